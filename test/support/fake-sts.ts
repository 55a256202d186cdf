/**
 * A fake AWS STS endpoint for identity-token tests: a real HTTP server on 127.0.0.1 answering
 * presigned `GET /?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-…` requests the way STS does.
 * It recomputes the SigV4 query-string signature itself (node:crypto, independent of the signer
 * under test) from the request it receives — method, path, query, the signed headers as actually
 * sent — with the secret of a known test identity, checks the credential scope (date, region,
 * `sts`), the session token and the expiry, and answers the caller identity as JSON
 * (`Accept: application/json`) or a JSON `Error` with status 403.
 */
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A principal the fake STS knows. */
export interface FakeStsIdentity {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  /** e.g. `arn:aws:sts::111122223333:assumed-role/TrainingApi/session-1`. */
  readonly arn: string;
  readonly userId: string;
}

export interface FakeSts {
  /** e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  /** Every request: outcome `ok` or the error code answered. */
  readonly calls: { readonly outcome: string; readonly headers: Record<string, string> }[];
  close(): Promise<void>;
}

/** A role session identity with temporary credentials, usable as both the signer's credentials and the fake's record. */
export const TEST_ROLE_IDENTITY: FakeStsIdentity = {
  accessKeyId: 'ASIATESTTESTTEST0001',
  secretAccessKey: 'test/secret+key/for+the/fake=sts/000000',
  sessionToken: 'IQoJb3JpZ2luX2VjEPr//////////test+session/token==',
  arn: 'arn:aws:sts::111122223333:assumed-role/TrainingApi/session-1',
  userId: 'AROATESTTESTTEST00001:session-1',
};

/** An IAM user identity with long-term credentials. */
export const TEST_USER_IDENTITY: FakeStsIdentity = {
  accessKeyId: 'AKIATESTTESTTEST0002',
  secretAccessKey: 'another/test+secret/key0000000000000000',
  arn: 'arn:aws:iam::111122223333:user/alice',
  userId: 'AIDATESTTESTTEST00002',
};

function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

const sha256Hex = (data: string): string => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

class StsFault extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Starts the fake STS for `region` (the credential scope must name it). */
export async function startFakeSts(o: { region: string; identities?: readonly FakeStsIdentity[]; now?: () => Date }): Promise<FakeSts> {
  const identities = new Map((o.identities ?? [TEST_ROLE_IDENTITY, TEST_USER_IDENTITY]).map((i) => [i.accessKeyId, i]));
  const now = o.now ?? (() => new Date());
  const calls: FakeSts['calls'] = [];

  const verify = (req: IncomingMessage, headers: Record<string, string>): FakeStsIdentity => {
    if (req.method !== 'GET') throw new StsFault('InvalidAction', 'only GET presigned requests are supported');
    const url = new URL(req.url ?? '/', 'http://placeholder');
    if (url.pathname !== '/') throw new StsFault('InvalidAction', 'path must be /');
    const params = [...url.searchParams];
    const get = (name: string): string | undefined => params.find(([k]) => k === name)?.[1];
    if (get('Action') !== 'GetCallerIdentity') throw new StsFault('InvalidAction', 'unsupported action');
    if (get('Version') !== '2011-06-15') throw new StsFault('InvalidAction', 'unsupported version');
    if (get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') throw new StsFault('IncompleteSignature', 'algorithm');
    const credential = get('X-Amz-Credential') ?? '';
    const [accessKeyId, date, region, service, terminator] = credential.split('/');
    const identity = identities.get(accessKeyId ?? '');
    if (!identity) throw new StsFault('InvalidClientTokenId', 'The security token included in the request is invalid.');
    if (region !== o.region || service !== 'sts' || terminator !== 'aws4_request') throw new StsFault('SignatureDoesNotMatch', 'credential scope mismatch');
    const amzDate = get('X-Amz-Date') ?? '';
    const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
    if (!m || date !== amzDate.slice(0, 8)) throw new StsFault('IncompleteSignature', 'date');
    const signedAt = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
    const expires = Number(get('X-Amz-Expires'));
    if (!Number.isInteger(expires) || expires < 1 || expires > 604800) throw new StsFault('AuthorizationQueryParametersError', 'X-Amz-Expires');
    const t = now().getTime();
    if (t > signedAt + expires * 1000) throw new StsFault('ExpiredToken', 'Signature expired');
    if (signedAt > t + 5 * 60 * 1000) throw new StsFault('SignatureDoesNotMatch', 'Signature not yet current');
    if (identity.sessionToken !== undefined && get('X-Amz-Security-Token') !== identity.sessionToken) {
      throw new StsFault('InvalidClientTokenId', 'The security token included in the request is invalid.');
    }
    const signedHeaders = (get('X-Amz-SignedHeaders') ?? '').split(';');
    if (!signedHeaders.includes('host')) throw new StsFault('SignatureDoesNotMatch', 'host must be signed');

    const canonicalQuery = params
      .filter(([k]) => k !== 'X-Amz-Signature')
      .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
      .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
      .map(([k, v]) => `${k}=${v}`)
      .join('&');
    const canonicalHeaders = signedHeaders.map((name) => `${name}:${(headers[name] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
    const canonicalRequest = ['GET', '/', canonicalQuery, canonicalHeaders, signedHeaders.join(';'), sha256Hex('')].join('\n');
    const scope = `${date}/${region}/sts/aws4_request`;
    const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
    let key = hmac(`AWS4${identity.secretAccessKey}`, date!);
    key = hmac(key, region!);
    key = hmac(key, 'sts');
    key = hmac(key, 'aws4_request');
    const expected = Buffer.from(createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex'));
    const given = Buffer.from(get('X-Amz-Signature') ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new StsFault('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
    }
    return identity;
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
    const requestId = randomUUID();
    let status: number;
    let body: object;
    try {
      const identity = verify(req, headers);
      const account = identity.arn.split(':')[4];
      status = 200;
      body = {
        GetCallerIdentityResponse: {
          GetCallerIdentityResult: { Account: account, Arn: identity.arn, UserId: identity.userId },
          ResponseMetadata: { RequestId: requestId },
        },
      };
      calls.push({ outcome: 'ok', headers });
    } catch (error) {
      const fault = error instanceof StsFault ? error : new StsFault('InternalFailure', String(error));
      status = fault.code === 'InternalFailure' ? 500 : 403;
      body = { Error: { Code: fault.code, Message: fault.message, Type: 'Sender' }, RequestId: requestId };
      calls.push({ outcome: fault.code, headers });
    }
    const payload = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
    res.end(payload);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
