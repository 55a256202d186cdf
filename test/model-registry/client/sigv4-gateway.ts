/**
 * A small real HTTP gateway standing in for API Gateway's IAM authorization in front of the
 * registry served by `serveHttp`: it verifies each request's SigV4 signature by re-signing it with
 * the caller's secret (and checks the payload hash), maps the access key to a principal which it
 * forwards as `x-gaiops-principal` (the registry runs with `trustPrincipalHeader`), and can inject
 * faults: error statuses, lost responses, connection resets and delays.
 */
import { createHash } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

export interface GatewayIdentity {
  readonly secretAccessKey: string;
  readonly principal: string;
}

export type Fault =
  | { readonly kind: 'status'; readonly status: number; readonly retryAfter?: string }
  | { readonly kind: 'drop-response' }
  | { readonly kind: 'reset' }
  | { readonly kind: 'delay'; readonly ms: number };

export interface Gateway {
  readonly url: string;
  readonly stats: { requests: number; verified: number; rejected: number; forwarded: number };
  /** Idempotency keys seen, in order (one per request). */
  readonly idempotencyKeys: (string | undefined)[];
  /** Faults applied to the next requests, one each, in order. */
  inject(...faults: Fault[]): void;
  close(): Promise<void>;
}

const AUTH = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;

function parseAmzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  return m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6])) : undefined;
}

export async function startGateway(target: string, identities: Readonly<Record<string, GatewayIdentity>>, expected = { region: 'eu-west-1', service: 'execute-api' }): Promise<Gateway> {
  const faults: Fault[] = [];
  const stats = { requests: 0, verified: 0, rejected: 0, forwarded: 0 };
  const idempotencyKeys: (string | undefined)[] = [];
  const upstream = new URL(target);

  async function verify(req: IncomingMessage, body: Buffer): Promise<{ principal: string } | { status: number; message: string }> {
    const header = String(req.headers.authorization ?? '');
    const m = AUTH.exec(header);
    if (!m) return { status: 403, message: 'Missing Authentication Token' };
    const [, accessKeyId, day, region, service, signedHeaderList, signature] = m;
    const identity = identities[accessKeyId];
    if (!identity) return { status: 403, message: 'The security token included in the request is invalid.' };
    if (region !== expected.region || service !== expected.service) return { status: 403, message: `Credential should be scoped to ${expected.region}/${expected.service}` };
    const amzDate = String(req.headers['x-amz-date'] ?? '');
    const signingDate = parseAmzDate(amzDate);
    if (!signingDate || !amzDate.startsWith(day) || Math.abs(Date.now() - signingDate.getTime()) > 5 * 60_000) {
      return { status: 403, message: 'Signature expired or x-amz-date missing' };
    }
    const names = signedHeaderList.split(';');
    if (!names.includes('host') || !names.includes('x-amz-date')) return { status: 403, message: "'Host' and 'X-Amz-Date' must be signed" };
    const payloadHash = createHash('sha256').update(body).digest('hex');
    const claimed = req.headers['x-amz-content-sha256'];
    if (claimed !== undefined && claimed !== payloadHash) return { status: 403, message: 'The payload hash does not match' };
    const headers: Record<string, string> = {};
    for (const name of names) {
      const value = req.headers[name];
      if (value === undefined) return { status: 403, message: `signed header ${name} is missing` };
      headers[name] = Array.isArray(value) ? value.join(',') : value;
    }
    const url = new URL(req.url ?? '/', `http://${headers.host}`);
    const signer = new SignatureV4({
      service,
      region,
      sha256: Sha256,
      credentials: { accessKeyId, secretAccessKey: identity.secretAccessKey, sessionToken: headers['x-amz-security-token'] },
    });
    const resigned = await signer.sign(
      {
        method: req.method ?? 'GET',
        protocol: 'http:',
        hostname: url.hostname,
        port: url.port ? Number(url.port) : undefined,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers,
        body: body.length > 0 ? body.toString('utf8') : undefined,
      },
      { signingDate },
    );
    const expectedSignature = /Signature=([0-9a-f]{64})$/.exec(String(resigned.headers.authorization))?.[1];
    if (expectedSignature !== signature) {
      return { status: 403, message: 'The request signature we calculated does not match the signature you provided.' };
    }
    return { principal: identity.principal };
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        stats.requests++;
        idempotencyKeys.push(req.headers['idempotency-key'] as string | undefined);
        const body = Buffer.concat(chunks);
        const fault = faults.shift();
        const json = (status: number, payload: unknown, extra: Record<string, string> = {}) => {
          const text = JSON.stringify(payload);
          res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...extra });
          res.end(text);
        };
        if (fault?.kind === 'reset') {
          req.socket.destroy();
          return;
        }
        if (fault?.kind === 'status') {
          json(fault.status, { message: fault.status === 429 ? 'Too Many Requests' : 'Service Unavailable' }, fault.retryAfter ? { 'retry-after': fault.retryAfter } : {});
          return;
        }
        if (fault?.kind === 'delay') await new Promise((resolve) => setTimeout(resolve, fault.ms));
        const verdict = await verify(req, body);
        if ('status' in verdict) {
          stats.rejected++;
          json(verdict.status, { message: verdict.message });
          return;
        }
        stats.verified++;
        const headers: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(req.headers)) if (value !== undefined && name !== 'x-gaiops-principal') headers[name] = value;
        headers['x-gaiops-principal'] = verdict.principal;
        headers.host = upstream.host;
        const forwarded = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, (reply) => {
          const replyChunks: Buffer[] = [];
          reply.on('data', (c: Buffer) => replyChunks.push(c));
          reply.on('end', () => {
            stats.forwarded++;
            if (res.destroyed) return;
            if (fault?.kind === 'drop-response') {
              json(502, { message: 'Bad Gateway' });
              return;
            }
            res.writeHead(reply.statusCode ?? 502, reply.headers);
            res.end(Buffer.concat(replyChunks));
          });
        });
        forwarded.on('error', () => json(502, { message: 'Bad Gateway' }));
        forwarded.end(body);
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stats,
    idempotencyKeys,
    inject(...f) {
      faults.push(...f);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
