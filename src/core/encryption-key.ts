import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { Construct } from 'constructs';
import { z } from 'zod';
import { Grant, type IGrantable } from './iam/grant';
import { PolicyDocument } from './iam/policy-document';
import type { PolicyStatement } from './iam/policy-statement';
import { GaiConfigError, GaiError } from './errors';
import { PlatformContext } from './platform-context';
import { protectFromDestroy } from './protection';
import { parseProps } from './props';

/**
 * AWS services that use a key themselves (as a service principal) rather than through a caller's
 * credentials, with the exact actions each needs. Services that encrypt on a caller's behalf
 * (S3 objects, DynamoDB, Lambda environment, Secrets Manager) need no entry: the caller's grant
 * with `kms:ViaService` covers them.
 */
export const KEY_SERVICES = {
  /** CloudWatch Logs encrypting log groups in this account and region. */
  logs: { actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'] },
  /** S3 server access log delivery into an SSE-KMS bucket. */
  's3-logging': { actions: ['kms:Decrypt', 'kms:GenerateDataKey'] },
  /** S3 event notifications into encrypted SQS queues or SNS topics. */
  s3: { actions: ['kms:Decrypt', 'kms:GenerateDataKey'] },
  /** SNS delivering to encrypted SQS subscriptions. */
  sns: { actions: ['kms:Decrypt', 'kms:GenerateDataKey'] },
  /** EventBridge delivering to encrypted SQS queues or SNS topics. */
  events: { actions: ['kms:Decrypt', 'kms:GenerateDataKey'] },
  /** CloudWatch alarms publishing to encrypted SNS topics. */
  cloudwatch: { actions: ['kms:Decrypt', 'kms:GenerateDataKey'] },
  /** AWS Budgets notifications to encrypted SNS topics. */
  budgets: { actions: ['kms:Decrypt', 'kms:GenerateDataKey'] },
} as const;
export type KeyService = keyof typeof KEY_SERVICES;

/** Key administration delegated to the account (IAM policies decide who may do it). */
export const KEY_ADMIN_ACTIONS = [
  'kms:CancelKeyDeletion',
  'kms:CreateAlias',
  'kms:DeleteAlias',
  'kms:DescribeKey',
  'kms:DisableKey',
  'kms:DisableKeyRotation',
  'kms:EnableKey',
  'kms:EnableKeyRotation',
  'kms:GetKeyPolicy',
  'kms:GetKeyRotationStatus',
  'kms:ListAliases',
  'kms:ListGrants',
  'kms:ListKeyPolicies',
  'kms:ListKeyRotations',
  'kms:ListResourceTags',
  'kms:PutKeyPolicy',
  'kms:RetireGrant',
  'kms:RevokeGrant',
  'kms:RotateKeyOnDemand',
  'kms:ScheduleKeyDeletion',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:UpdateAlias',
  'kms:UpdateKeyDescription',
] as const;

/** Cryptographic use delegated to the account: principals still need an IAM grant (see grant… methods). */
export const KEY_USE_ACTIONS = [
  'kms:CreateGrant',
  'kms:Decrypt',
  'kms:DescribeKey',
  'kms:Encrypt',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
] as const;

export const EncryptionKeyPropsSchema = z.strictObject({
  description: z.string().max(8192).optional().describe('Key description. Default `gaiops key for <construct path>`.'),
  services: z
    .array(z.enum(Object.keys(KEY_SERVICES) as [KeyService, ...KeyService[]]))
    .default([])
    .describe(
      'AWS services allowed to use the key as service principals (`logs`, `s3-logging`, `s3`, `sns`, `events`, `cloudwatch`, `budgets`), each limited to this account by `aws:SourceAccount` (logs: by log-group ARN). Default none.',
    ),
  deletionWindowInDays: z
    .number()
    .int()
    .min(7)
    .max(30)
    .optional()
    .describe('Waiting period before a scheduled deletion completes, 7–30 days; only 30 outside ephemeral environments. Default 30, or 7 in ephemeral environments.'),
  rotationPeriodInDays: z
    .number()
    .int()
    .min(90)
    .max(2560)
    .default(365)
    .describe('Automatic rotation period (rotation is always on). Default 365.'),
});
export type EncryptionKeyProps = z.input<typeof EncryptionKeyPropsSchema>;

export interface KeyGrantOptions {
  /** Limit the grant to use through one service (`kms:ViaService`), e.g. `s3` → `s3.<region>.amazonaws.com`. */
  readonly viaService?: string;
  /** Require this encryption context (`kms:EncryptionContext:<key>` StringEquals). */
  readonly encryptionContext?: Readonly<Record<string, string>>;
}

/**
 * A customer-managed KMS key with automatic rotation, an alias, and a key policy that lets the
 * account administer and use it through IAM, and lets exactly the listed AWS services use it
 * (restricted to this account). Protected by `prevent_destroy` outside ephemeral environments.
 */
export class EncryptionKey extends Construct {
  readonly resource: KmsKey;
  readonly alias: KmsAlias;
  /** Key ARN (a token). */
  readonly keyArn: string;
  /** Key id (a token). */
  readonly keyId: string;
  /** `alias/<prefix>-<environment>-<path>`. */
  readonly aliasName: string;
  /** AWS services the key policy lets use the key as service principals. */
  readonly services: readonly KeyService[];
  private readonly ctx: PlatformContext;
  private readonly policy = new PolicyDocument('resource');

  constructor(scope: Construct, id: string, props: EncryptionKeyProps = {}) {
    super(scope, id);
    const p = parseProps(this, EncryptionKeyPropsSchema, props);
    const ctx = (this.ctx = PlatformContext.of(this));
    if (p.deletionWindowInDays !== undefined && p.deletionWindowInDays !== 30 && !ctx.ephemeral) {
      // The longest window is the only undo for a mistaken deletion of a key that protects data.
      throw new GaiConfigError([
        { constructPath: this.node.path, fieldPath: 'deletionWindowInDays', message: 'must be 30 (the maximum) unless the environment is ephemeral' },
      ]);
    }
    const root = ctx.accountRootArn;
    this.services = [...new Set(p.services)].sort();

    const statements: PolicyStatement[] = [
      { sid: 'AccountAdministration', principals: { AWS: [root] }, actions: [...KEY_ADMIN_ACTIONS], resources: ['*'] },
      { sid: 'AccountUseThroughIam', principals: { AWS: [root] }, actions: [...KEY_USE_ACTIONS], resources: ['*'] },
      ...[...new Set(p.services)].sort().map((service) => this.serviceStatement(service)),
    ];

    statements.forEach((st) => this.policy.add(st));
    this.resource = new KmsKey(this, 'Resource', {
      description: p.description ?? `gaiops key for ${this.node.path}`,
      enableKeyRotation: true,
      rotationPeriodInDays: p.rotationPeriodInDays,
      deletionWindowInDays: p.deletionWindowInDays ?? (ctx.ephemeral ? 7 : 30),
      keyUsage: 'ENCRYPT_DECRYPT',
      customerMasterKeySpec: 'SYMMETRIC_DEFAULT',
      policy: this.policy.toJsonLazy(),
    });
    protectFromDestroy(this.resource, ctx);
    this.aliasName = `alias/${ctx.physicalName('kms-alias', this)}`;
    this.alias = new KmsAlias(this, 'Alias', { name: this.aliasName, targetKeyId: this.resource.keyId });
    this.keyArn = this.resource.arn;
    this.keyId = this.resource.keyId;
  }

  /**
   * Adds a statement to the key policy (rendered at synth), for a service that needs conditions
   * specific to one resource — e.g. EventBridge on one encrypted bus. Principals are required;
   * statement ids must be unique.
   */
  addToResourcePolicy(statement: PolicyStatement): void {
    if (statement.sid && this.policy.statements.some((s) => s.sid === statement.sid)) {
      throw new GaiError('gaiops:encryption-key:duplicate-sid', `${this.node.path}: key policy already has a statement ${statement.sid}`);
    }
    this.policy.add(statement);
  }

  /** Encrypt and decrypt (data keys included). */
  grantEncryptDecrypt(grantee: IGrantable, options: KeyGrantOptions = {}): Grant {
    return this.grant(
      grantee,
      ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'],
      options,
    );
  }

  /** Decrypt only. */
  grantDecrypt(grantee: IGrantable, options: KeyGrantOptions = {}): Grant {
    return this.grant(grantee, ['kms:Decrypt', 'kms:DescribeKey'], options);
  }

  /** Encrypt only (including generating data keys). */
  grantEncrypt(grantee: IGrantable, options: KeyGrantOptions = {}): Grant {
    return this.grant(grantee, ['kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'], options);
  }

  /** Any exact KMS actions on this key, with the same options. */
  grant(grantee: IGrantable, actions: readonly string[], options: KeyGrantOptions = {}): Grant {
    const conditions: Record<string, Record<string, string>> = {};
    if (options.viaService) {
      conditions.StringEquals = { 'kms:ViaService': `${options.viaService}.${this.ctx.region}.amazonaws.com` };
    }
    for (const [k, v] of Object.entries(options.encryptionContext ?? {})) {
      conditions.StringEquals = { ...(conditions.StringEquals ?? {}), [`kms:EncryptionContext:${k}`]: v };
    }
    return Grant.addTo(grantee, [
      { actions, resources: [this.keyArn], ...(Object.keys(conditions).length > 0 ? { conditions } : {}) },
    ]);
  }

  private serviceStatement(service: KeyService): PolicyStatement {
    const ctx = this.ctx;
    const sid = `Service${service.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase())}`;
    if (service === 'logs') {
      return {
        sid,
        principals: { Service: [`logs.${ctx.region}.amazonaws.com`] },
        actions: [...KEY_SERVICES.logs.actions],
        resources: ['*'],
        conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': ctx.arn('logs', 'log-group:*') } },
      };
    }
    const principal = service === 's3-logging' ? 'logging.s3.amazonaws.com' : `${service}.amazonaws.com`;
    return {
      sid,
      principals: { Service: [principal] },
      actions: [...KEY_SERVICES[service].actions],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:SourceAccount': ctx.accountId } },
    };
  }
}
