import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eksToken,
  IdentityTokenError,
  identityToken,
  principalArnOf,
  verifyEksToken,
  verifyIdentityToken,
} from '../../src/core/runtime/sts-identity';
import { type FakeSts, startFakeSts, TEST_ROLE_IDENTITY, TEST_USER_IDENTITY } from '../support/fake-sts';

const REGION = 'eu-west-1';

function decode(token: string, prefix: string): URL {
  expect(token.startsWith(prefix)).toBe(true);
  const encoded = token.slice(prefix.length);
  expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/); // base64url, no padding
  return new URL(Buffer.from(encoded, 'base64url').toString('utf8'));
}

function encode(url: string, prefix = 'gaiops-sts-v1.'): string {
  return prefix + Buffer.from(url, 'utf8').toString('base64url');
}

async function refusal(promise: Promise<unknown>): Promise<IdentityTokenError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(IdentityTokenError);
  return error as IdentityTokenError;
}

describe('token format', () => {
  it('eksToken is a k8s-aws-v1 presigned GetCallerIdentity URL signing x-k8s-aws-id, valid 60 s', async () => {
    const token = await eksToken({ clusterName: 'gai-prod', region: REGION, credentials: TEST_ROLE_IDENTITY, now: new Date('2026-01-02T03:04:05Z') });
    const url = decode(token, 'k8s-aws-v1.');
    expect(url.origin).toBe('https://sts.eu-west-1.amazonaws.com');
    expect(url.pathname).toBe('/');
    const q = url.searchParams;
    expect(q.get('Action')).toBe('GetCallerIdentity');
    expect(q.get('Version')).toBe('2011-06-15');
    expect(q.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(q.get('X-Amz-Credential')).toBe(`${TEST_ROLE_IDENTITY.accessKeyId}/20260102/eu-west-1/sts/aws4_request`);
    expect(q.get('X-Amz-Date')).toBe('20260102T030405Z');
    expect(q.get('X-Amz-Expires')).toBe('60');
    expect(q.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id');
    expect(q.get('X-Amz-Security-Token')).toBe(TEST_ROLE_IDENTITY.sessionToken);
    expect(q.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(token).not.toContain('=');
  });

  it('identityToken signs x-gaiops-audience and accepts a credential provider', async () => {
    const token = await identityToken({ audience: 'training-api', region: REGION, credentials: async () => TEST_USER_IDENTITY });
    const url = decode(token, 'gaiops-sts-v1.');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host;x-gaiops-audience');
    expect(url.searchParams.has('X-Amz-Security-Token')).toBe(false);
  });

  it('is deterministic for the same inputs and differs per audience', async () => {
    const now = new Date('2026-01-02T03:04:05Z');
    const a = await identityToken({ audience: 'a', region: REGION, credentials: TEST_USER_IDENTITY, now });
    expect(await identityToken({ audience: 'a', region: REGION, credentials: TEST_USER_IDENTITY, now })).toBe(a);
    expect(await identityToken({ audience: 'b', region: REGION, credentials: TEST_USER_IDENTITY, now })).not.toBe(a);
  });

  it('refuses an empty or multi-line audience', async () => {
    await expect(identityToken({ audience: ' ', region: REGION, credentials: TEST_USER_IDENTITY })).rejects.toThrow(/non-empty single line/);
    await expect(identityToken({ audience: 'a\nb', region: REGION, credentials: TEST_USER_IDENTITY })).rejects.toThrow(/non-empty single line/);
  });
});

describe('principalArnOf', () => {
  it('maps assumed-role session ARNs to role ARNs (path lost) and leaves others unchanged', () => {
    expect(principalArnOf('arn:aws:sts::111122223333:assumed-role/TrainingApi/s-1')).toBe('arn:aws:iam::111122223333:role/TrainingApi');
    expect(principalArnOf('arn:aws-cn:sts::111122223333:assumed-role/R/x@y')).toBe('arn:aws-cn:iam::111122223333:role/R');
    expect(principalArnOf('arn:aws:iam::111122223333:user/alice')).toBe('arn:aws:iam::111122223333:user/alice');
    expect(principalArnOf('arn:aws:sts::111122223333:federated-user/bob')).toBe('arn:aws:sts::111122223333:federated-user/bob');
  });
});

describe('verifyIdentityToken against a fake STS that recomputes SigV4', () => {
  let sts: FakeSts;
  const opts = () => ({ audience: 'training-api', region: REGION, allowedEndpoints: [sts.url] });
  const mint = (over: Partial<Parameters<typeof identityToken>[0]> = {}) =>
    identityToken({ audience: 'training-api', region: REGION, credentials: TEST_ROLE_IDENTITY, stsEndpoint: sts.url, ...over });

  beforeAll(async () => {
    sts = await startFakeSts({ region: REGION });
  });
  afterAll(() => sts.close());

  it('returns the caller of a valid token, with the role ARN behind the session', async () => {
    const identity = await verifyIdentityToken(await mint(), opts());
    expect(identity).toEqual({
      arn: TEST_ROLE_IDENTITY.arn,
      account: '111122223333',
      userId: TEST_ROLE_IDENTITY.userId,
      principalArn: 'arn:aws:iam::111122223333:role/TrainingApi',
    });
    const call = sts.calls.at(-1)!;
    expect(call.outcome).toBe('ok');
    expect(call.headers['x-gaiops-audience']).toBe('training-api');
    expect(call.headers.accept).toBe('application/json');
  });

  it('verifies IAM user tokens (principalArn unchanged) and EKS tokens', async () => {
    const user = await verifyIdentityToken(await mint({ credentials: TEST_USER_IDENTITY }), opts());
    expect(user.principalArn).toBe('arn:aws:iam::111122223333:user/alice');
    const eks = await eksToken({ clusterName: 'gai-prod', region: REGION, credentials: TEST_ROLE_IDENTITY, stsEndpoint: sts.url });
    expect((await verifyEksToken(eks, { ...opts(), audience: 'gai-prod' })).arn).toBe(TEST_ROLE_IDENTITY.arn);
    expect((await refusal(verifyEksToken(eks, { ...opts(), audience: 'other-cluster' }))).reason).toBe('rejected-by-sts');
  });

  it('refuses a token minted for another audience (STS signature mismatch)', async () => {
    const error = await refusal(verifyIdentityToken(await mint({ audience: 'feature-store' }), opts()));
    expect(error.reason).toBe('rejected-by-sts');
    expect(error.message).toContain('SignatureDoesNotMatch');
    expect(sts.calls.at(-1)!.outcome).toBe('SignatureDoesNotMatch');
  });

  it('refuses tampered URLs', async () => {
    const url = decode(await mint(), 'gaiops-sts-v1.');
    const longer = new URL(url);
    longer.searchParams.set('X-Amz-Expires', '120');
    expect((await refusal(verifyIdentityToken(encode(longer.toString()), opts()))).reason).toBe('rejected-by-sts');
    const otherKey = new URL(url);
    otherKey.searchParams.set('X-Amz-Credential', (url.searchParams.get('X-Amz-Credential') ?? '').replace(TEST_ROLE_IDENTITY.accessKeyId, TEST_USER_IDENTITY.accessKeyId));
    expect((await refusal(verifyIdentityToken(encode(otherKey.toString()), opts()))).reason).toBe('rejected-by-sts');
    const sig = url.searchParams.get('X-Amz-Signature')!;
    const flipped = new URL(url);
    flipped.searchParams.set('X-Amz-Signature', (sig[0] === 'a' ? 'b' : 'a') + sig.slice(1));
    expect((await refusal(verifyIdentityToken(encode(flipped.toString()), opts()))).reason).toBe('rejected-by-sts');
  });

  it('refuses an expired token locally, and STS refuses one the verifier clock still accepts', async () => {
    const past = new Date(Date.now() - 10 * 60 * 1000);
    const old = await mint({ now: past });
    const calls = sts.calls.length;
    expect((await refusal(verifyIdentityToken(old, opts()))).reason).toBe('expired');
    expect(sts.calls.length).toBe(calls); // never sent
    const error = await refusal(verifyIdentityToken(old, { ...opts(), now: () => past }));
    expect(error.reason).toBe('rejected-by-sts');
    expect(sts.calls.at(-1)!.outcome).toBe('ExpiredToken');
  });

  it('refuses endpoints that are not allowed without calling them', async () => {
    const calls = sts.calls.length;
    const token = await mint();
    expect((await refusal(verifyIdentityToken(token, { audience: 'training-api', region: REGION }))).reason).toBe('endpoint-not-allowed');
    const evil = encode(`https://sts.eu-west-1.amazonaws.com.evil.example/?Action=GetCallerIdentity`);
    expect((await refusal(verifyIdentityToken(evil, { audience: 'training-api', region: REGION }))).reason).toBe('endpoint-not-allowed');
    expect(sts.calls.length).toBe(calls);
  });

  it('refuses wrong prefixes, garbage, other actions, long lifetimes, unsigned audiences and unknown parameters', async () => {
    const eks = await eksToken({ clusterName: 'training-api', region: REGION, credentials: TEST_ROLE_IDENTITY, stsEndpoint: sts.url });
    expect((await refusal(verifyIdentityToken(eks, opts()))).reason).toBe('wrong-prefix');
    expect((await refusal(verifyIdentityToken('', opts()))).reason).toBe('malformed');
    expect((await refusal(verifyIdentityToken('gaiops-sts-v1.%%%', opts()))).reason).toBe('malformed');
    expect((await refusal(verifyIdentityToken(`gaiops-sts-v1.${'A'.repeat(9000)}`, opts()))).reason).toBe('malformed');

    const url = decode(await mint(), 'gaiops-sts-v1.');
    const action = new URL(url);
    action.searchParams.set('Action', 'AssumeRole');
    expect((await refusal(verifyIdentityToken(encode(action.toString()), opts()))).reason).toBe('invalid-request');
    const extra = new URL(url);
    extra.searchParams.set('RoleArn', 'x');
    expect((await refusal(verifyIdentityToken(encode(extra.toString()), opts()))).reason).toBe('invalid-request');
    const repeated = new URL(url);
    repeated.searchParams.append('Action', 'GetCallerIdentity');
    expect((await refusal(verifyIdentityToken(encode(repeated.toString()), opts()))).reason).toBe('invalid-request');

    // Correctly signed by the holder of the credentials, but outside the verifier's rules.
    const endpoint = new URL(sts.url);
    const signer = new SignatureV4({ service: 'sts', region: REGION, credentials: TEST_USER_IDENTITY, sha256: Sha256 });
    const presign = async (headers: Record<string, string>, expiresIn: number) => {
      const r = await signer.presign(
        { method: 'GET', protocol: 'http:', hostname: endpoint.hostname, port: Number(endpoint.port), path: '/', query: { Action: 'GetCallerIdentity', Version: '2011-06-15' }, headers: { host: endpoint.host, ...headers } },
        { expiresIn },
      );
      return encode(`${sts.url}/?${new URLSearchParams(r.query as Record<string, string>).toString()}`);
    };
    expect((await refusal(verifyIdentityToken(await presign({ 'x-gaiops-audience': 'training-api' }, 3600), opts()))).reason).toBe('lifetime-too-long');
    expect((await refusal(verifyIdentityToken(await presign({}, 60), opts()))).reason).toBe('audience-not-signed');
    // The same construction within the rules verifies, so the refusals above are about the rules.
    expect((await verifyIdentityToken(await presign({ 'x-gaiops-audience': 'training-api' }, 60), opts())).arn).toBe(TEST_USER_IDENTITY.arn);
  });

  it('never puts the token or its signature in error messages', async () => {
    const token = await mint({ audience: 'someone-else' });
    const signature = decode(token, 'gaiops-sts-v1.').searchParams.get('X-Amz-Signature')!;
    const error = await refusal(verifyIdentityToken(token, opts()));
    expect(error.message).not.toContain(token.slice(14, 40));
    expect(error.message).not.toContain(signature);
  });

  it('refuses unknown credentials and reports an unreachable STS', async () => {
    const unknown = await mint({ credentials: { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'x' } });
    expect((await refusal(verifyIdentityToken(unknown, opts()))).message).toContain('InvalidClientTokenId');
    const closed = await startFakeSts({ region: REGION });
    const token = await identityToken({ audience: 'training-api', region: REGION, credentials: TEST_ROLE_IDENTITY, stsEndpoint: closed.url });
    await closed.close();
    expect((await refusal(verifyIdentityToken(token, { ...opts(), allowedEndpoints: [closed.url] }))).reason).toBe('sts-unavailable');
  });
});
