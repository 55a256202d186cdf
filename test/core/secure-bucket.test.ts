import { describe, expect, it } from 'vitest';
import { AccessLogBucket, EncryptionKey, GaiConfigError, Role, SecureBucket } from '../../src';
import { byPath, platformStack, policy, resources, synth, type TfJson } from '../support/synth';

function bucketParts(json: TfJson, path: string) {
  const get = (type: string, suffix: string) => byPath(json, type, `${path}/${suffix}`);
  return {
    bucket: get('aws_s3_bucket', 'Resource'),
    versioning: get('aws_s3_bucket_versioning', 'Versioning'),
    encryption: get('aws_s3_bucket_server_side_encryption_configuration', 'Encryption'),
    publicAccess: get('aws_s3_bucket_public_access_block', 'PublicAccessBlock'),
    ownership: get('aws_s3_bucket_ownership_controls', 'Ownership'),
    policy: get('aws_s3_bucket_policy', 'Policy'),
    lifecycle: get('aws_s3_bucket_lifecycle_configuration', 'Lifecycle'),
  };
}

describe('SecureBucket', () => {
  it('creates every protection with the documented defaults', () => {
    const stack = platformStack();
    new SecureBucket(stack, 'Datasets');
    const json = synth(stack);
    const b = bucketParts(json, 'teststack/Datasets');
    expect(b.bucket.bucket).toMatch(/^gai-test-datasets-\$\{data\.aws_caller_identity\.[^}]+\.account_id\}$/);
    expect(b.bucket.force_destroy).toBe(false);
    expect(b.bucket.lifecycle).toEqual({ prevent_destroy: true });
    expect(b.bucket.tags).toEqual({ 'data-classification': 'confidential' });
    expect(b.versioning.versioning_configuration).toEqual({ status: 'Enabled' });
    expect(b.encryption.rule[0]).toEqual({
      apply_server_side_encryption_by_default: { sse_algorithm: 'aws:kms', kms_master_key_id: expect.stringMatching(/^\$\{aws_kms_key\..+\.arn\}$/) },
      bucket_key_enabled: true,
    });
    expect(b.publicAccess).toMatchObject({ block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true });
    expect(b.ownership.rule).toEqual({ object_ownership: 'BucketOwnerEnforced' });
    expect(b.policy.depends_on).toEqual([expect.stringMatching(/^aws_s3_bucket_public_access_block\./)]);
    const statements = policy(b.policy.policy).Statement;
    expect(statements.map((s) => s.Sid)).toEqual(['DenyInsecureTransport', 'DenyOutdatedTls']);
    expect(statements[0]).toMatchObject({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
    expect(statements[1].Condition).toEqual({ NumericLessThan: { 's3:TlsVersion': '1.2' } });
    const [abort, noncurrent] = b.lifecycle.rule;
    expect(abort.abort_incomplete_multipart_upload).toEqual([{ days_after_initiation: 7 }]);
    expect(noncurrent.noncurrent_version_transition).toEqual([{ noncurrent_days: 30, storage_class: 'STANDARD_IA' }]);
    expect(noncurrent.noncurrent_version_expiration).toEqual([{ noncurrent_days: 90 }]);
    expect(b.lifecycle.rule).toHaveLength(2);
  });

  it('logs to the stack\'s shared access-log bucket, which accepts only S3 log delivery from this account', () => {
    const stack = platformStack();
    new SecureBucket(stack, 'A');
    new SecureBucket(stack, 'B');
    const json = synth(stack);
    const logging = resources(json, 'aws_s3_bucket_logging').map(([, c]) => c);
    expect(logging).toHaveLength(2);
    const target = byPath(json, 'aws_s3_bucket', 'teststack/AccessLogs/Resource');
    expect(target.bucket).toMatch(/^gai-test-access-logs-/);
    for (const l of logging) {
      expect(l.target_bucket).toMatch(/^\$\{aws_s3_bucket\.AccessLogs_.+\.id\}$/);
      expect(l.target_prefix).toMatch(/^\$\{aws_s3_bucket\..+\.bucket\}\/$/);
    }
    const logPolicy = policy(byPath(json, 'aws_s3_bucket_policy', 'teststack/AccessLogs/Policy').policy).Statement;
    const delivery = logPolicy.find((s) => s.Sid === 'AllowServerAccessLogDelivery');
    expect(delivery).toMatchObject({ Effect: 'Allow', Principal: { Service: 'logging.s3.amazonaws.com' }, Action: 's3:PutObject' });
    expect(Object.keys(delivery.Condition.StringEquals)).toEqual(['aws:SourceAccount']);
    // The log bucket's key lets the logging service encrypt.
    const keyPolicy = policy(byPath(json, 'aws_kms_key', 'teststack/AccessLogs/Key/Resource').policy).Statement;
    expect(keyPolicy.find((s) => s.Sid === 'ServiceS3Logging').Principal).toEqual({ Service: 'logging.s3.amazonaws.com' });
  });

  it('takes a key and a log bucket passed in, and lifecycle overrides', () => {
    const stack = platformStack();
    const key = new EncryptionKey(stack, 'Key');
    const logs = new AccessLogBucket(stack, 'MyLogs');
    new SecureBucket(stack, 'Data', {
      encryptionKey: key,
      accessLogs: { bucket: logs, prefix: 'data/' },
      lifecycle: { noncurrentVersionTransitionDays: null, noncurrentVersionExpirationDays: 7, currentVersionExpirationDays: 30 },
      dataClassification: 'restricted',
    });
    const json = synth(stack);
    expect(resources(json, 'aws_kms_key')).toHaveLength(2); // Key + MyLogs key
    const b = bucketParts(json, 'teststack/Data');
    expect(b.encryption.rule[0].apply_server_side_encryption_by_default.kms_master_key_id).toMatch(/aws_kms_key\.Key_/);
    expect(byPath(json, 'aws_s3_bucket_logging', 'Data/AccessLogs').target_prefix).toBe('data/');
    expect(b.lifecycle.rule[1].noncurrent_version_transition).toBeUndefined();
    expect(b.lifecycle.rule[2]).toMatchObject({ id: 'expire-current-versions', expiration: [{ days: 30 }] });
    expect(b.bucket.tags['data-classification']).toBe('restricted');
  });

  it('grants read, write and prefix-scoped access with exact actions', () => {
    const stack = platformStack();
    const bucket = new SecureBucket(stack, 'Data');
    const reader = new Role(stack, 'Reader', { assumedBy: ['lambda.amazonaws.com'] });
    const writer = new Role(stack, 'Writer', { assumedBy: ['lambda.amazonaws.com'] });
    const scoped = new Role(stack, 'Scoped', { assumedBy: ['lambda.amazonaws.com'] });
    expect(bucket.grantRead(reader).actions).toEqual(['s3:GetBucketLocation', 's3:GetObject', 's3:GetObjectVersion', 's3:ListBucket']);
    expect(bucket.grantWrite(writer).actions).toEqual([
      's3:AbortMultipartUpload',
      's3:ListBucketMultipartUploads',
      's3:ListMultipartUploadParts',
      's3:PutObject',
    ]);
    bucket.grantReadPrefix(scoped, 'raw/');
    const json = synth(stack);
    const scopedDoc = policy(byPath(json, 'aws_iam_role_policy', 'Scoped/Policy/Resource').policy).Statement;
    const list = scopedDoc.find((s) => s.Action === 's3:ListBucket');
    expect(list.Condition).toEqual({ StringLike: { 's3:prefix': 'raw/*' } });
    const get = scopedDoc.find((s) => Array.isArray(s.Action) && s.Action.includes('s3:GetObject'));
    expect(get.Resource).toMatch(/\.arn\}\/raw\/\*$/);
    const kms = scopedDoc.find((s) => s.Action.includes?.('kms:Decrypt'));
    expect(kms.Condition.StringEquals['kms:ViaService']).toBe('s3.eu-west-1.amazonaws.com');
    expect(kms.Condition.StringEquals['kms:EncryptionContext:aws:s3:arn']).toMatch(/aws_s3_bucket\.Data_/);
    expect(() => bucket.grantReadPrefix(scoped, '/abs*')).toThrow(GaiConfigError);
  });

  it('refuses forceDestroy outside ephemeral environments and allows it inside', () => {
    expect(() => new SecureBucket(platformStack(), 'X', { forceDestroy: true })).toThrow(/forceDestroy: only allowed when the environment is ephemeral/);
    const stack = platformStack({ ephemeral: true });
    new SecureBucket(stack, 'X', { forceDestroy: true });
    const b = byPath(synth(stack), 'aws_s3_bucket', 'teststack/X/Resource');
    expect(b.force_destroy).toBe(true);
    expect(b.lifecycle).toBeUndefined();
  });

  it('reports every bad prop at once', () => {
    try {
      new SecureBucket(platformStack(), 'X', {
        bucketName: 'Bad_Name',
        dataClassification: 'secret' as never,
        lifecycle: { noncurrentVersionTransitionDays: 60, noncurrentVersionExpirationDays: 30 },
        accessLogs: { prefix: 'no-slash' },
      });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(GaiConfigError);
      expect((e as GaiConfigError).problems.map((p) => p.fieldPath).sort()).toEqual(
        ['accessLogs.prefix', 'bucketName', 'dataClassification', 'lifecycle.noncurrentVersionExpirationDays'].sort(),
      );
    }
  });
});

describe('SecureBucket object lock', () => {
  it('enables Object Lock at creation with a default governance retention', () => {
    const stack = platformStack();
    new SecureBucket(stack, 'Artifacts', { objectLock: { retentionDays: 365 } });
    const json = synth(stack);
    expect(byPath(json, 'aws_s3_bucket', 'teststack/Artifacts/Resource').object_lock_enabled).toBe(true);
    const lock = byPath(json, 'aws_s3_bucket_object_lock_configuration', 'teststack/Artifacts/ObjectLock');
    expect(lock.rule).toEqual({ default_retention: { mode: 'GOVERNANCE', days: 365 } });
    expect(lock.depends_on).toEqual([expect.stringMatching(/^aws_s3_bucket_versioning\./)]);
  });

  it('has no Object Lock unless asked', () => {
    const stack = platformStack();
    new SecureBucket(stack, 'Data');
    const json = synth(stack);
    expect(byPath(json, 'aws_s3_bucket', 'teststack/Data/Resource').object_lock_enabled).toBeUndefined();
    expect(resources(json, 'aws_s3_bucket_object_lock_configuration')).toEqual([]);
  });
});

describe('SecureBucket prefix expirations', () => {
  it('adds per-prefix expiry rules to the one lifecycle configuration', () => {
    const stack = platformStack();
    new SecureBucket(stack, 'Landing', { lifecycle: { prefixExpirations: [{ prefix: 'raw/', days: 30 }, { prefix: 'tmp/x/', days: 1, noncurrentDays: 2 }] } });
    const json = synth(stack);
    expect(resources(json, 'aws_s3_bucket_lifecycle_configuration').filter(([n]) => n.startsWith('Landing'))).toHaveLength(1);
    const rules = byPath(json, 'aws_s3_bucket_lifecycle_configuration', 'teststack/Landing/Lifecycle').rule;
    expect(rules.slice(2)).toEqual([
      { id: 'expire-raw', status: 'Enabled', filter: [{ prefix: 'raw/' }], expiration: [{ days: 30 }], noncurrent_version_expiration: [{ noncurrent_days: 1 }] },
      { id: 'expire-raw-delete-markers', status: 'Enabled', filter: [{ prefix: 'raw/' }], expiration: [{ expired_object_delete_marker: true }] },
      { id: 'expire-tmp-x', status: 'Enabled', filter: [{ prefix: 'tmp/x/' }], expiration: [{ days: 1 }], noncurrent_version_expiration: [{ noncurrent_days: 2 }] },
      { id: 'expire-tmp-x-delete-markers', status: 'Enabled', filter: [{ prefix: 'tmp/x/' }], expiration: [{ expired_object_delete_marker: true }] },
    ]);
  });

  it('refuses duplicate or malformed prefixes', () => {
    expect(() => new SecureBucket(platformStack(), 'L', { lifecycle: { prefixExpirations: [{ prefix: 'raw/', days: 1 }, { prefix: 'raw/', days: 2 }] } })).toThrow(
      /lifecycle\.prefixExpirations\[1\]\.prefix: duplicate prefix raw\//,
    );
    expect(() => new SecureBucket(platformStack(), 'L', { lifecycle: { prefixExpirations: [{ prefix: 'raw', days: 0 }] } })).toThrow(GaiConfigError);
  });
});
