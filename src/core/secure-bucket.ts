import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketLoggingA as S3BucketLogging } from '@cdktf/provider-aws/lib/s3-bucket-logging';
import { S3BucketObjectLockConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-object-lock-configuration';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA as S3BucketServerSideEncryptionConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { Construct } from 'constructs';
import { z } from 'zod';
import { EncryptionKey } from './encryption-key';
import { GaiConfigError } from './errors';
import { Grant, type IGrantable } from './iam/grant';
import { PolicyDocument } from './iam/policy-document';
import type { PolicyStatement } from './iam/policy-statement';
import { PlatformContext } from './platform-context';
import { DataClassificationSchema } from './platform-settings';
import { protectFromDestroy } from './protection';
import { instanceOf, instanceOfLater, parseProps } from './props';

/** An S3 key prefix for grants and log delivery: no leading slash, no wildcards, ends with `/`. */
export const S3PrefixSchema = z
  .string()
  .min(1)
  .max(512)
  .regex(/^[A-Za-z0-9!_.'()=\-][A-Za-z0-9!_.'()=\-/]*\/$/, 'must be a key prefix such as `raw/` (no leading slash or wildcards, ending with /)');

export const SecureBucketPropsSchema = z.strictObject({
  bucketName: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)')
    .optional()
    .describe('Physical bucket name. Default `<prefix>-<environment>-<construct path>-<account id>`, shortened with a hash to fit 63 characters.'),
  encryptionKey: instanceOf(EncryptionKey, 'EncryptionKey')
    .optional()
    .describe('KMS key for SSE-KMS (with an S3 bucket key). Default a new EncryptionKey with rotation.'),
  dataClassification: DataClassificationSchema.default('confidential').describe(
    'Value of the `data-classification` tag. Default `confidential`.',
  ),
  accessLogs: z
    .strictObject({
      bucket: instanceOfLater(() => AccessLogBucket, 'AccessLogBucket').optional(),
      prefix: S3PrefixSchema.optional(),
    })
    .default({})
    .describe(
      'Server access logging. `bucket` default: the stack\'s shared AccessLogBucket (created on first use); `prefix` default `<bucket name>/`.',
    ),
  lifecycle: z
    .strictObject({
      abortIncompleteMultipartUploadDays: z.number().int().min(1).max(365).default(7),
      noncurrentVersionTransitionDays: z.number().int().min(30).nullable().default(30),
      noncurrentVersionExpirationDays: z.number().int().min(1).default(90),
      currentVersionExpirationDays: z.number().int().min(1).nullable().default(null),
      prefixExpirations: z
        .array(
          z.strictObject({
            prefix: S3PrefixSchema,
            days: z.number().int().min(1),
            noncurrentDays: z.number().int().min(1).default(1),
          }),
        )
        .default([])
        .superRefine((list, ctx) => {
          list.forEach((e, i) => {
            if (list.findIndex((o) => o.prefix === e.prefix) !== i) ctx.addIssue({ code: 'custom', path: [i, 'prefix'], message: `duplicate prefix ${e.prefix}` });
          });
        }),
    })
    .default({
      abortIncompleteMultipartUploadDays: 7,
      noncurrentVersionTransitionDays: 30,
      noncurrentVersionExpirationDays: 90,
      currentVersionExpirationDays: null,
      prefixExpirations: [],
    })
    .refine(
      (l) => l.noncurrentVersionTransitionDays === null || l.noncurrentVersionExpirationDays > l.noncurrentVersionTransitionDays,
      { message: 'noncurrentVersionExpirationDays must be later than noncurrentVersionTransitionDays', path: ['noncurrentVersionExpirationDays'] },
    )
    .describe(
      'Lifecycle: abort incomplete multipart uploads after 7 days; move noncurrent versions to STANDARD_IA after 30 days (`null`: never) and expire them after 90; never expire current versions (`currentVersionExpirationDays`, default `null`); `prefixExpirations` (default none): objects under a prefix expire after `days`, their noncurrent versions `noncurrentDays` (default 1) later, and the delete markers left behind are removed.',
    ),
  objectLock: z
    .strictObject({
      mode: z.enum(['GOVERNANCE', 'COMPLIANCE']).default('GOVERNANCE'),
      retentionDays: z.number().int().min(1).max(36500),
    })
    .optional()
    .describe(
      'S3 Object Lock (WORM) with a default retention for every new object version, for regulated environments. Only settable when the bucket is created. Default none.',
    ),
  forceDestroy: z
    .boolean()
    .default(false)
    .describe('Let `terraform destroy` delete a non-empty bucket. Only allowed in ephemeral environments. Default `false`.'),
});
export type SecureBucketProps = z.input<typeof SecureBucketPropsSchema>;

/**
 * An S3 bucket that is safe by construction: versioned, SSE-KMS with a customer-managed key and a
 * bucket key, all public access blocked, ACLs disabled, a TLS-only bucket policy, server access
 * logs, a lifecycle that cleans up incomplete uploads and old versions, and `prevent_destroy`
 * outside ephemeral environments.
 */
export class SecureBucket extends Construct {
  /** The `aws_s3_bucket` (escape hatch: any raw attribute). */
  readonly resource: S3Bucket;
  readonly encryptionKey: EncryptionKey;
  /** Bucket name (a token). */
  readonly bucketName: string;
  /** Bucket ARN (a token). */
  readonly bucketArn: string;
  private readonly policy = new PolicyDocument('resource');

  constructor(scope: Construct, id: string, props: SecureBucketProps = {}, internal: { accessLogTarget?: boolean } = {}) {
    super(scope, id);
    const p = parseProps(this, SecureBucketPropsSchema, props);
    const ctx = PlatformContext.of(this);
    if (p.forceDestroy && !ctx.ephemeral) {
      throw new GaiConfigError([
        { constructPath: this.node.path, fieldPath: 'forceDestroy', message: 'only allowed when the environment is ephemeral' },
      ]);
    }

    this.encryptionKey =
      p.encryptionKey ?? new EncryptionKey(this, 'Key', { services: internal.accessLogTarget ? ['s3-logging'] : [] });
    this.resource = new S3Bucket(this, 'Resource', {
      bucket: p.bucketName ?? ctx.globalName('s3', this),
      forceDestroy: p.forceDestroy,
      objectLockEnabled: p.objectLock ? true : undefined,
      tags: { 'data-classification': p.dataClassification },
    });
    protectFromDestroy(this.resource, ctx);
    this.bucketName = this.resource.bucket;
    this.bucketArn = this.resource.arn;
    const bucket = this.resource.id;

    const versioning = new S3BucketVersioningA(this, 'Versioning', {
      bucket,
      versioningConfiguration: { status: 'Enabled' },
    });
    new S3BucketServerSideEncryptionConfiguration(this, 'Encryption', {
      bucket,
      rule: [
        {
          applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: this.encryptionKey.keyArn },
          bucketKeyEnabled: true,
        },
      ],
    });
    const publicAccess = new S3BucketPublicAccessBlock(this, 'PublicAccessBlock', {
      bucket,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    if (p.objectLock) {
      new S3BucketObjectLockConfigurationA(this, 'ObjectLock', {
        bucket,
        dependsOn: [versioning],
        rule: { defaultRetention: { mode: p.objectLock.mode, days: p.objectLock.retentionDays } },
      });
    }
    new S3BucketOwnershipControls(this, 'Ownership', { bucket, rule: { objectOwnership: 'BucketOwnerEnforced' } });

    const l = p.lifecycle;
    new S3BucketLifecycleConfiguration(this, 'Lifecycle', {
      bucket,
      dependsOn: [versioning],
      rule: [
        {
          id: 'abort-incomplete-multipart-uploads',
          status: 'Enabled',
          filter: [{ prefix: '' }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: l.abortIncompleteMultipartUploadDays }],
        },
        {
          id: 'noncurrent-versions',
          status: 'Enabled',
          filter: [{ prefix: '' }],
          ...(l.noncurrentVersionTransitionDays !== null
            ? { noncurrentVersionTransition: [{ noncurrentDays: l.noncurrentVersionTransitionDays, storageClass: 'STANDARD_IA' }] }
            : {}),
          noncurrentVersionExpiration: [{ noncurrentDays: l.noncurrentVersionExpirationDays }],
        },
        ...(l.currentVersionExpirationDays !== null
          ? [{ id: 'expire-current-versions', status: 'Enabled', filter: [{ prefix: '' }], expiration: [{ days: l.currentVersionExpirationDays }] }]
          : []),
        // S3 allows one lifecycle configuration per bucket, so per-prefix expiry lives here too.
        ...l.prefixExpirations.flatMap(({ prefix, days, noncurrentDays }) => {
          const id = `expire-${prefix.replace(/\/+$/, '').replace(/[^A-Za-z0-9]+/g, '-')}`;
          return [
            { id, status: 'Enabled', filter: [{ prefix }], expiration: [{ days }], noncurrentVersionExpiration: [{ noncurrentDays }] },
            { id: `${id}-delete-markers`, status: 'Enabled', filter: [{ prefix }], expiration: [{ expiredObjectDeleteMarker: true }] },
          ];
        }),
      ],
    });

    const objects = `${this.bucketArn}/*`;
    this.policy.add({
      sid: 'DenyInsecureTransport',
      effect: 'Deny',
      principals: { AWS: ['*'] },
      actions: ['s3:*'],
      resources: [this.bucketArn, objects],
      conditions: { Bool: { 'aws:SecureTransport': 'false' } },
    });
    this.policy.add({
      sid: 'DenyOutdatedTls',
      effect: 'Deny',
      principals: { AWS: ['*'] },
      actions: ['s3:*'],
      resources: [this.bucketArn, objects],
      conditions: { NumericLessThan: { 's3:TlsVersion': '1.2' } },
    });
    if (internal.accessLogTarget) {
      this.policy.add({
        sid: 'AllowServerAccessLogDelivery',
        principals: { Service: ['logging.s3.amazonaws.com'] },
        actions: ['s3:PutObject'],
        resources: [objects],
        conditions: { StringEquals: { 'aws:SourceAccount': ctx.accountId } },
      });
    }
    // The policy waits for the public access block: a policy put first could be public for a moment.
    new S3BucketPolicy(this, 'Policy', { bucket, policy: this.policy.toJsonLazy(), dependsOn: [publicAccess] });

    if (!internal.accessLogTarget) {
      const target = p.accessLogs.bucket ?? AccessLogBucket.forStack(this);
      new S3BucketLogging(this, 'AccessLogs', {
        bucket,
        targetBucket: target.resource.id,
        targetPrefix: p.accessLogs.prefix ?? `${this.bucketName}/`,
        targetObjectKeyFormat: { partitionedPrefix: { partitionDateSource: 'EventTime' } },
      });
    }
  }

  /** Adds a statement to the bucket policy (principals required). */
  addToResourcePolicy(statement: PolicyStatement): void {
    this.policy.add(statement);
  }

  /** Read objects (any version) and list the bucket; decrypt through S3. */
  grantRead(grantee: IGrantable): Grant {
    this.grantKey(grantee, 'read');
    return Grant.addTo(grantee, [
      { actions: ['s3:GetBucketLocation', 's3:ListBucket'], resources: [this.bucketArn] },
      { actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: [`${this.bucketArn}/*`] },
    ]);
  }

  /** Write objects (multipart included); encrypt through S3. Does not allow deleting. */
  grantWrite(grantee: IGrantable): Grant {
    this.grantKey(grantee, 'write');
    return Grant.addTo(grantee, [
      { actions: ['s3:ListBucketMultipartUploads'], resources: [this.bucketArn] },
      { actions: ['s3:AbortMultipartUpload', 's3:ListMultipartUploadParts', 's3:PutObject'], resources: [`${this.bucketArn}/*`] },
    ]);
  }

  /** Read objects under one prefix and list only that prefix. */
  grantReadPrefix(grantee: IGrantable, prefix: string): Grant {
    const checked = parseProps(`${this.node.path}.grantReadPrefix`, S3PrefixSchema, prefix);
    this.grantKey(grantee, 'read');
    return Grant.addTo(grantee, [
      { actions: ['s3:GetBucketLocation'], resources: [this.bucketArn] },
      { actions: ['s3:ListBucket'], resources: [this.bucketArn], conditions: { StringLike: { 's3:prefix': [`${checked}*`] } } },
      { actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: [`${this.bucketArn}/${checked}*`] },
    ]);
  }

  /** Write objects under one prefix. */
  grantWritePrefix(grantee: IGrantable, prefix: string): Grant {
    const checked = parseProps(`${this.node.path}.grantWritePrefix`, S3PrefixSchema, prefix);
    this.grantKey(grantee, 'write');
    return Grant.addTo(grantee, [
      { actions: ['s3:AbortMultipartUpload', 's3:ListMultipartUploadParts', 's3:PutObject'], resources: [`${this.bucketArn}/${checked}*`] },
    ]);
  }

  private grantKey(grantee: IGrantable, mode: 'read' | 'write'): void {
    // With an S3 bucket key the encryption context is the bucket ARN: the grant is usable for
    // this bucket only, and only through S3.
    const options = { viaService: 's3', encryptionContext: { 'aws:s3:arn': this.bucketArn } };
    if (mode === 'read') this.encryptionKey.grantDecrypt(grantee, options);
    else this.encryptionKey.grantEncryptDecrypt(grantee, options);
  }
}

/**
 * The bucket that receives S3 server access logs: a SecureBucket that does not log to itself and
 * lets the S3 logging service (this account only) deliver into it, encrypted with its own key.
 */
export class AccessLogBucket extends SecureBucket {
  static readonly SHARED_ID = 'AccessLogs';

  /**
   * The stack's shared access-log bucket (id `AccessLogs` directly under the stack), created on
   * first use by any SecureBucket that was not given one.
   */
  static forStack(scope: Construct): AccessLogBucket {
    const stack = PlatformContext.of(scope).stack;
    const existing = stack.node.tryFindChild(AccessLogBucket.SHARED_ID);
    if (existing instanceof AccessLogBucket) return existing;
    return new AccessLogBucket(stack, AccessLogBucket.SHARED_ID);
  }

  constructor(scope: Construct, id: string, props: Omit<SecureBucketProps, 'accessLogs'> = {}) {
    super(
      scope,
      id,
      {
        dataClassification: 'internal',
        lifecycle: {
          abortIncompleteMultipartUploadDays: 1,
          noncurrentVersionTransitionDays: null,
          noncurrentVersionExpirationDays: 30,
          currentVersionExpirationDays: 365,
        },
        ...props,
      },
      { accessLogTarget: true },
    );
  }
}
