import { DynamodbTable, type DynamodbTableGlobalSecondaryIndex } from '@cdktf/provider-aws/lib/dynamodb-table';
import { Construct } from 'constructs';
import { z } from 'zod';
import { EncryptionKey } from './encryption-key';
import { GaiConfigError } from './errors';
import { Grant, type IGrantable } from './iam/grant';
import { PlatformContext } from './platform-context';
import { DataClassificationSchema } from './platform-settings';
import { protectFromDestroy } from './protection';
import { instanceOf, parseProps } from './props';

const AttributeName = z.string().min(1).max(255).regex(/^[A-Za-z0-9_.-]+$/, 'must be 1-255 letters, digits, _ . or -');
const KeySchema = z.strictObject({ name: AttributeName, type: z.enum(['S', 'N', 'B']).default('S') });

export const SecureTablePropsSchema = z
  .strictObject({
    tableName: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{3,255}$/)
      .optional()
      .describe('Physical table name. Default `<prefix>-<environment>-<construct path>`.'),
    partitionKey: KeySchema.describe('Partition (hash) key: name and type (`S`, `N`, `B`; default `S`).'),
    sortKey: KeySchema.optional().describe('Sort (range) key. Default none.'),
    globalSecondaryIndexes: z
      .array(
        z.strictObject({
          name: z.string().regex(/^[A-Za-z0-9_.-]{3,255}$/, 'must be 3-255 letters, digits, _ . or -'),
          partitionKey: KeySchema,
          sortKey: KeySchema.optional(),
          projection: z.enum(['ALL', 'KEYS_ONLY', 'INCLUDE']).default('ALL'),
          nonKeyAttributes: z.array(AttributeName).optional(),
        }),
      )
      .max(20)
      .default([])
      .describe('Global secondary indexes (projection default `ALL`). Default none.'),
    timeToLiveAttribute: AttributeName.optional().describe('Attribute holding the expiry epoch seconds; enables TTL. Default none (TTL off).'),
    billing: z
      .discriminatedUnion('mode', [
        z.strictObject({ mode: z.literal('PAY_PER_REQUEST') }),
        z.strictObject({ mode: z.literal('PROVISIONED'), readCapacity: z.number().int().min(1), writeCapacity: z.number().int().min(1) }),
      ])
      .default({ mode: 'PAY_PER_REQUEST' })
      .describe('Billing: on-demand (`PAY_PER_REQUEST`, default) or `PROVISIONED` with capacities.'),
    stream: z
      .enum(['KEYS_ONLY', 'NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES'])
      .optional()
      .describe('DynamoDB Streams view type. Default none (streams off).'),
    encryptionKey: instanceOf(EncryptionKey, 'EncryptionKey').optional().describe('KMS key for table encryption. Default a new EncryptionKey.'),
    dataClassification: DataClassificationSchema.default('confidential').describe('`data-classification` tag. Default `confidential`.'),
  })
  .superRefine((p, issue) => {
    p.globalSecondaryIndexes.forEach((g, i) => {
      if (g.projection === 'INCLUDE' && !(g.nonKeyAttributes && g.nonKeyAttributes.length > 0)) {
        issue.addIssue({ code: 'custom', path: ['globalSecondaryIndexes', i, 'nonKeyAttributes'], message: 'required when projection is INCLUDE' });
      }
      if (g.projection !== 'INCLUDE' && g.nonKeyAttributes) {
        issue.addIssue({ code: 'custom', path: ['globalSecondaryIndexes', i, 'nonKeyAttributes'], message: 'only allowed when projection is INCLUDE' });
      }
    });
    const names = p.globalSecondaryIndexes.map((g) => g.name);
    names.forEach((n, i) => {
      if (names.indexOf(n) !== i) issue.addIssue({ code: 'custom', path: ['globalSecondaryIndexes', i, 'name'], message: `duplicate index name ${n}` });
    });
  });
export type SecureTableProps = z.input<typeof SecureTablePropsSchema>;

/**
 * A DynamoDB table with point-in-time recovery, SSE with a customer-managed key, deletion
 * protection and `prevent_destroy` (both off only in ephemeral environments), on-demand billing by
 * default, optional TTL, GSIs and streams.
 */
export class SecureTable extends Construct {
  readonly resource: DynamodbTable;
  readonly encryptionKey: EncryptionKey;
  readonly tableName: string;
  readonly tableArn: string;
  /** Stream ARN when a stream is enabled (a token). */
  readonly streamArn?: string;

  constructor(scope: Construct, id: string, props: SecureTableProps) {
    super(scope, id);
    const p = parseProps(this, SecureTablePropsSchema, props);
    const ctx = PlatformContext.of(this);

    // Every key attribute, with one type each.
    const attributes = new Map<string, string>();
    const keys: { path: string; key: { name: string; type: string } }[] = [
      { path: 'partitionKey', key: p.partitionKey },
      ...(p.sortKey ? [{ path: 'sortKey', key: p.sortKey }] : []),
      ...p.globalSecondaryIndexes.flatMap((g, i) => [
        { path: `globalSecondaryIndexes[${i}].partitionKey`, key: g.partitionKey },
        ...(g.sortKey ? [{ path: `globalSecondaryIndexes[${i}].sortKey`, key: g.sortKey }] : []),
      ]),
    ];
    const conflicts = keys.filter(({ key }) => {
      const seen = attributes.get(key.name);
      attributes.set(key.name, seen ?? key.type);
      return seen !== undefined && seen !== key.type;
    });
    if (conflicts.length > 0) {
      throw new GaiConfigError(
        conflicts.map(({ path, key }) => ({
          constructPath: this.node.path,
          fieldPath: `${path}.type`,
          message: `attribute ${key.name} is already declared with type ${attributes.get(key.name)}`,
        })),
      );
    }

    this.encryptionKey = p.encryptionKey ?? new EncryptionKey(this, 'Key');
    const provisioned = p.billing.mode === 'PROVISIONED' ? p.billing : undefined;
    const gsis: DynamodbTableGlobalSecondaryIndex[] = p.globalSecondaryIndexes.map((g) => ({
      name: g.name,
      hashKey: g.partitionKey.name,
      rangeKey: g.sortKey?.name,
      projectionType: g.projection,
      nonKeyAttributes: g.nonKeyAttributes,
      readCapacity: provisioned?.readCapacity,
      writeCapacity: provisioned?.writeCapacity,
    }));

    this.resource = new DynamodbTable(this, 'Resource', {
      name: p.tableName ?? ctx.physicalName('dynamodb', this),
      billingMode: p.billing.mode,
      readCapacity: provisioned?.readCapacity,
      writeCapacity: provisioned?.writeCapacity,
      hashKey: p.partitionKey.name,
      rangeKey: p.sortKey?.name,
      attribute: [...attributes.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, type]) => ({ name, type })),
      globalSecondaryIndex: gsis.length > 0 ? gsis : undefined,
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true, kmsKeyArn: this.encryptionKey.keyArn },
      deletionProtectionEnabled: !ctx.ephemeral,
      ttl: p.timeToLiveAttribute ? { enabled: true, attributeName: p.timeToLiveAttribute } : undefined,
      streamEnabled: p.stream ? true : undefined,
      streamViewType: p.stream,
      tags: { 'data-classification': p.dataClassification },
    });
    protectFromDestroy(this.resource, ctx);
    this.tableName = this.resource.name;
    this.tableArn = this.resource.arn;
    this.streamArn = p.stream ? this.resource.streamArn : undefined;
  }

  /** Get, batch-get, query and scan the table and its indexes; decrypt through DynamoDB. */
  grantReadData(grantee: IGrantable): Grant {
    this.encryptionKey.grantDecrypt(grantee, { viaService: 'dynamodb' });
    return Grant.addTo(grantee, [
      {
        actions: ['dynamodb:BatchGetItem', 'dynamodb:ConditionCheckItem', 'dynamodb:DescribeTable', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan'],
        resources: [this.tableArn, `${this.tableArn}/index/*`],
      },
    ]);
  }

  /** Put, update, delete and batch-write items; encrypt through DynamoDB. */
  grantWriteData(grantee: IGrantable): Grant {
    this.encryptionKey.grantEncryptDecrypt(grantee, { viaService: 'dynamodb' });
    return Grant.addTo(grantee, [
      {
        actions: ['dynamodb:BatchWriteItem', 'dynamodb:ConditionCheckItem', 'dynamodb:DeleteItem', 'dynamodb:DescribeTable', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        resources: [this.tableArn],
      },
    ]);
  }
}
