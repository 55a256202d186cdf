import { createHash } from 'node:crypto';
import { AthenaWorkgroup } from '@cdktf/provider-aws/lib/athena-workgroup';
import { DataAwsSecretsmanagerRandomPassword } from '@cdktf/provider-aws/lib/data-aws-secretsmanager-random-password';
import { GlueCatalogDatabase } from '@cdktf/provider-aws/lib/glue-catalog-database';
import { GlueCatalogTable, type GlueCatalogTableStorageDescriptorColumns } from '@cdktf/provider-aws/lib/glue-catalog-table';
import { LambdaEventSourceMapping } from '@cdktf/provider-aws/lib/lambda-event-source-mapping';
import { S3BucketNotification } from '@cdktf/provider-aws/lib/s3-bucket-notification';
import { S3Object } from '@cdktf/provider-aws/lib/s3-object';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { SecretsmanagerSecretVersion } from '@cdktf/provider-aws/lib/secretsmanager-secret-version';
import { Construct } from 'constructs';
import { EncryptionKey } from '../core/encryption-key';
import { GaiError } from '../core/errors';
import { HttpApi, type HttpRoute } from '../core/http-api';
import { Grant, type IGrantable } from '../core/iam/grant';
import { LambdaCode } from '../core/lambda-code';
import { NodeFunction } from '../core/node-function';
import { PlatformContext } from '../core/platform-context';
import { parseProps } from '../core/props';
import { protectFromDestroy } from '../core/protection';
import { SecureBucket } from '../core/secure-bucket';
import { SecureQueue } from '../core/secure-queue';
import { SecureTable } from '../core/secure-table';
import {
  FEATURE_STORE_ENV,
  FeatureStoreConfigSchema,
  OFFLINE_LAYOUT,
  TABLE_KEYS,
  type FeatureGroup,
  type FeatureStoreConfig,
  type FeatureType,
} from './feature-group';
import { FeatureStorePropsSchema, PARTITION_COLUMN, type FeatureStoreProps, type FeatureStorePropsParsed, type ServingForm } from './schema';

/** Every route of the serving API (all AWS_IAM-authorised). */
export const FEATURE_STORE_ROUTES = {
  getOnlineFeatures: { method: 'POST', path: '/get-online-features' },
  push: { method: 'POST', path: '/push' },
  listVersions: { method: 'GET', path: '/datasets/{group}/versions' },
  getVersion: { method: 'GET', path: '/datasets/{group}/versions/{id}' },
  tagVersion: { method: 'POST', path: '/datasets/{group}/versions/{id}/tags' },
  verifyVersion: { method: 'POST', path: '/datasets/{group}/versions/{id}/verify' },
  revert: { method: 'POST', path: '/datasets/{group}/revert' },
} as const satisfies Record<string, HttpRoute>;

/** Glue/Athena column types of the feature types. */
export const GLUE_TYPES: Readonly<Record<FeatureType, string>> = {
  int: 'bigint',
  float: 'double',
  string: 'string',
  bool: 'boolean',
  timestamp: 'timestamp',
};

/** Glue table storage of the offline store: JSON Lines read with the OpenX SerDe. */
export const OFFLINE_TABLE_FORMAT = {
  inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
  serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
} as const;

/** `offline/<group>/`: the group's history, above its `date=` partitions (OFFLINE_LAYOUT.offline). */
export function offlineGroupPrefix(group: string): string {
  const full = OFFLINE_LAYOUT.offline(group, '');
  return full.slice(0, full.lastIndexOf(`${PARTITION_COLUMN}=`));
}

/** The store-wide areas of the Offline bucket (every group's prefix starts with one of them). */
const AREAS = {
  raw: OFFLINE_LAYOUT.raw('').replace(/\/+$/, '/'),
  offline: offlineGroupPrefix('').replace(/\/+$/, '/'),
  rejected: OFFLINE_LAYOUT.rejected('').replace(/\/+$/, '/'),
  manifests: OFFLINE_LAYOUT.manifests('').replace(/\/+$/, '/'),
} as const;

/** Escapes Terraform template sequences (`${`, `%{`) so a literal string reaches AWS unchanged. */
export function escapeTerraformTemplate(value: string): string {
  return value.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');
}

/**
 * A feature store: an S3 offline store (history as JSON Lines, partitioned by day, queryable with
 * Athena through Glue tables with partition projection), a DynamoDB online store (latest values,
 * TTL) and a dataset-versions table, an S3 → SQS → Lambda ingest pipeline that validates rows and
 * applies PII transforms with a key from Secrets Manager, and an AWS_IAM-authorised HTTP API for
 * online reads, pushes and dataset versions. See README.md.
 */
export class FeatureStore extends Construct {
  /** The feature groups, parsed (defaults applied). */
  readonly groups: readonly FeatureGroup[];
  /** The config object's content (`{ version: 1, groups }`), as written to S3. */
  readonly config: FeatureStoreConfig;
  /** sha256 (hex) of the config object's content. */
  readonly configSha256: string;
  readonly encryptionKey: EncryptionKey;
  /** Offline store: `raw/`, `offline/`, `rejected/`, `manifests/`, `config/` (OFFLINE_LAYOUT). */
  readonly bucket: SecureBucket;
  /** Athena query results (SSE-KMS, expire after `retention.queryResultsDays`). */
  readonly queryResultsBucket: SecureBucket;
  /** The `aws_s3_object` holding the groups config. */
  readonly configObject: S3Object;
  readonly onlineTable: SecureTable;
  readonly versionsTable: SecureTable;
  readonly ingestQueue: SecureQueue;
  readonly ingestDeadLetterQueue: SecureQueue;
  readonly ingest: NodeFunction;
  /** Where the serving API runs (`servingForm` prop). */
  readonly servingForm: ServingForm;
  /**
   * The `FS_*` environment of the serving runtime (bucket, tables, config key, PII secret ARN):
   * what the serving function gets, and what a FeatureServer container gets.
   */
  readonly runtimeEnvironment: Readonly<Record<string, string>>;
  /** The ARN of the secret holding the HMAC key for `pii: hash` columns (a token, or the ARN you passed). */
  readonly piiKeySecretArn: string;
  /** The secret, when the store created it. */
  readonly piiKeySecret?: SecretsmanagerSecret;
  readonly glueDatabase: GlueCatalogDatabase;
  /** The Glue database name (a token). */
  readonly glueDatabaseName: string;
  /** One Glue table per group with `offline: true`, by group name. */
  readonly glueTables: ReadonlyMap<string, GlueCatalogTable>;
  readonly workgroup: AthenaWorkgroup;
  /** The Athena workgroup name (a token). */
  readonly workgroupName: string;

  private readonly ctx: PlatformContext;
  private readonly piiKeySecretKeyArn?: string;
  private readonly lambdaServing?: { readonly fn: NodeFunction; readonly api: HttpApi };

  /** The serving function (`servingForm` `lambda` or `both`; throws for `kubernetes`). */
  get serving(): NodeFunction {
    return this.lambdaApi('serving').fn;
  }

  /** The AWS_IAM-authorised HTTP API (`servingForm` `lambda` or `both`; throws for `kubernetes`). */
  get api(): HttpApi {
    return this.lambdaApi('api').api;
  }

  /** `https://<id>.execute-api.<region>.amazonaws.com` (a token; `servingForm` `lambda` or `both`, throws for `kubernetes`). */
  get apiUrl(): string {
    return this.lambdaApi('apiUrl').api.url;
  }

  constructor(scope: Construct, id: string, props: FeatureStoreProps) {
    super(scope, id);
    const p = parseProps(this, FeatureStorePropsSchema, props);
    const ctx = (this.ctx = PlatformContext.of(this));
    this.groups = p.featureGroups;
    this.config = parseProps(`${this.node.path}.config`, FeatureStoreConfigSchema, { version: 1, groups: p.featureGroups });
    const configJson = JSON.stringify(this.config);
    this.configSha256 = createHash('sha256').update(configJson).digest('hex');

    this.encryptionKey = p.encryptionKey ?? new EncryptionKey(this, 'Key', { services: ['logs', 's3'] });
    const key = this.encryptionKey;

    // ── Offline store ────────────────────────────────────────────────────────────────────────
    this.bucket = new SecureBucket(this, 'Offline', {
      encryptionKey: key,
      dataClassification: p.dataClassification,
      lifecycle: {
        prefixExpirations: [
          { prefix: AREAS.raw, days: p.retention.rawDays },
          { prefix: AREAS.rejected, days: p.retention.rejectedDays },
          ...(p.retention.offlineDays !== null ? [{ prefix: AREAS.offline, days: p.retention.offlineDays }] : []),
          ...(p.retention.manifestsDays !== null ? [{ prefix: AREAS.manifests, days: p.retention.manifestsDays }] : []),
        ],
      },
    });
    this.configObject = new S3Object(this, 'Config', {
      bucket: this.bucket.bucketName,
      key: OFFLINE_LAYOUT.config,
      content: escapeTerraformTemplate(configJson),
      contentType: 'application/json',
      serverSideEncryption: 'aws:kms',
      kmsKeyId: key.keyArn,
      // With the bucket key the KMS encryption context is the bucket ARN, which the read grants require.
      bucketKeyEnabled: true,
      metadata: { sha256: this.configSha256 },
    });

    // ── Online store and dataset versions ────────────────────────────────────────────────────
    this.onlineTable = new SecureTable(this, 'Online', {
      partitionKey: { name: TABLE_KEYS.online.partitionKey, type: 'S' },
      timeToLiveAttribute: TABLE_KEYS.online.ttlAttribute,
      encryptionKey: key,
      dataClassification: p.dataClassification,
    });
    this.versionsTable = new SecureTable(this, 'Versions', {
      partitionKey: { name: TABLE_KEYS.versions.partitionKey, type: 'S' },
      sortKey: { name: TABLE_KEYS.versions.sortKey, type: 'S' },
      encryptionKey: key,
      dataClassification: p.dataClassification,
    });

    // ── PII key ──────────────────────────────────────────────────────────────────────────────
    if (p.piiKeySecretArn !== undefined) {
      this.piiKeySecretArn = p.piiKeySecretArn;
      this.piiKeySecretKeyArn = p.piiKeySecretKeyArn;
    } else {
      const secret = new SecretsmanagerSecret(this, 'PiiKey', {
        name: ctx.physicalName('secret', this, 'pii-key'),
        description: `HMAC-SHA256 key for the pii: hash columns of feature store ${this.node.path}`,
        kmsKeyId: key.keyArn,
        recoveryWindowInDays: ctx.ephemeral ? 7 : 30,
      });
      protectFromDestroy(secret, ctx);
      // The initial value is random and, like every data source result, stored in Terraform state.
      const initial = new DataAwsSecretsmanagerRandomPassword(this, 'PiiKeyInitialValue', {
        passwordLength: 64,
        excludePunctuation: true,
      });
      const version = new SecretsmanagerSecretVersion(this, 'PiiKeyVersion', {
        secretId: secret.id,
        secretString: initial.randomPassword,
        // The data source returns a new password on every plan; only the first one is kept.
        lifecycle: { ignoreChanges: ['secret_string'] },
      });
      protectFromDestroy(version, ctx);
      this.piiKeySecret = secret;
      this.piiKeySecretArn = secret.arn;
    }

    // ── Ingest: S3 raw/ → SQS → Lambda ───────────────────────────────────────────────────────
    const environment = {
      [FEATURE_STORE_ENV.bucket]: this.bucket.bucketName,
      [FEATURE_STORE_ENV.onlineTable]: this.onlineTable.tableName,
      [FEATURE_STORE_ENV.versionsTable]: this.versionsTable.tableName,
      [FEATURE_STORE_ENV.configKey]: OFFLINE_LAYOUT.config,
      [FEATURE_STORE_ENV.piiSecretArn]: this.piiKeySecretArn,
    };
    this.ingest = new NodeFunction(this, 'Ingest', {
      code: LambdaCode.fromRuntime('feature-store-ingest'),
      description: `Feature store ingest (${this.node.path}): validates raw/ objects into the offline and online stores`,
      memorySize: p.ingest.memorySize,
      timeoutSeconds: p.ingest.timeoutSeconds,
      reservedConcurrency: p.ingest.reservedConcurrency,
      environment,
      encryptionKey: key,
    });

    this.ingestDeadLetterQueue = new SecureQueue(this, 'IngestDeadLetter', { encryptionKey: key });
    this.ingestQueue = new SecureQueue(this, 'IngestQueue', {
      encryptionKey: key,
      // AWS guidance for Lambda event sources: at least 6 times the function timeout.
      visibilityTimeoutSeconds: 6 * p.ingest.timeoutSeconds,
      deadLetter: { queue: this.ingestDeadLetterQueue, maxReceiveCount: 5 },
    });
    this.ingestQueue.addToResourcePolicy({
      sid: 'AllowS3RawObjectNotifications',
      principals: { Service: ['s3.amazonaws.com'] },
      actions: ['sqs:SendMessage'],
      resources: [this.ingestQueue.queueArn],
      conditions: {
        ArnEquals: { 'aws:SourceArn': this.bucket.bucketArn },
        StringEquals: { 'aws:SourceAccount': ctx.accountId },
      },
    });
    const queuePolicy = this.ingestQueue.policyResource;
    // S3 checks that it may send to the queue when the notification is put: the policy goes first.
    new S3BucketNotification(this, 'RawNotifications', {
      bucket: this.bucket.resource.id,
      queue: [{ id: 'raw-objects', queueArn: this.ingestQueue.queueArn, events: ['s3:ObjectCreated:*'], filterPrefix: AREAS.raw }],
      dependsOn: [queuePolicy],
    });

    this.bucket.grantReadPrefix(this.ingest, AREAS.raw);
    this.grantConfigRead(this.ingest);
    this.grantNotFoundAnswers(this.ingest);
    for (const area of [AREAS.offline, AREAS.rejected, AREAS.manifests]) this.bucket.grantWritePrefix(this.ingest, area);
    // Idempotency and verification: what was already written.
    for (const area of [AREAS.offline, AREAS.manifests]) this.bucket.grantReadPrefix(this.ingest, area);
    for (const table of [this.onlineTable, this.versionsTable]) {
      table.grantReadData(this.ingest);
      table.grantWriteData(this.ingest);
    }
    this.grantPiiKeyRead(this.ingest);
    this.ingestQueue.grantConsumeMessages(this.ingest);

    new LambdaEventSourceMapping(this, 'IngestEventSource', {
      eventSourceArn: this.ingestQueue.queueArn,
      functionName: this.ingest.functionArn,
      batchSize: p.ingest.batchSize,
      functionResponseTypes: ['ReportBatchItemFailures'],
      scalingConfig: { maximumConcurrency: p.ingest.maxConcurrency },
      // Lambda checks the role can read the queue when the mapping is created.
      dependsOn: this.ingest.role.dependables,
    });

    // ── Serving API ──────────────────────────────────────────────────────────────────────────
    this.servingForm = p.servingForm;
    this.runtimeEnvironment = environment;
    if (p.servingForm !== 'kubernetes') this.lambdaServing = this.createLambdaServing(p, environment, key);

    // ── Query: Glue catalog + Athena ─────────────────────────────────────────────────────────
    this.glueDatabase = new GlueCatalogDatabase(this, 'Catalog', {
      name: ctx.physicalName('glue-database', this),
      description: `Offline feature groups of ${this.node.path}`,
    });
    this.glueDatabaseName = this.glueDatabase.name;
    const tables = new Map<string, GlueCatalogTable>();
    for (const group of this.groups.filter((g) => g.offline)) {
      tables.set(group.name, this.offlineTable(group, p.query.partitionRange));
    }
    this.glueTables = tables;

    this.queryResultsBucket = new SecureBucket(this, 'QueryResults', {
      encryptionKey: key,
      dataClassification: p.dataClassification,
      lifecycle: {
        abortIncompleteMultipartUploadDays: 1,
        noncurrentVersionTransitionDays: null,
        noncurrentVersionExpirationDays: 1,
        currentVersionExpirationDays: p.retention.queryResultsDays,
      },
    });
    this.workgroup = new AthenaWorkgroup(this, 'Workgroup', {
      name: ctx.physicalName('athena-workgroup', this),
      description: `Queries over the offline store of ${this.node.path}`,
      state: 'ENABLED',
      forceDestroy: false,
      configuration: {
        enforceWorkgroupConfiguration: true,
        publishCloudwatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: p.query.bytesScannedCutoffPerQuery,
        requesterPaysEnabled: false,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${this.queryResultsBucket.bucketName}/`,
          expectedBucketOwner: ctx.accountId,
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKeyArn: key.keyArn },
        },
      },
    });
    this.workgroupName = this.workgroup.name;
  }

  /** The serving function behind the AWS_IAM-authorised HTTP API. */
  private createLambdaServing(p: FeatureStorePropsParsed, environment: Record<string, string>, key: EncryptionKey): { fn: NodeFunction; api: HttpApi } {
    const fn = new NodeFunction(this, 'Serving', {
      code: LambdaCode.fromRuntime('feature-store-serving'),
      description: `Feature store API (${this.node.path}): online features, push, dataset versions`,
      memorySize: p.serving.memorySize,
      timeoutSeconds: p.serving.timeoutSeconds,
      reservedConcurrency: p.serving.reservedConcurrency,
      environment,
      encryptionKey: key,
    });
    this.onlineTable.grantReadData(fn);
    this.onlineTable.grantWriteData(fn); // push
    this.versionsTable.grantReadData(fn);
    this.versionsTable.grantWriteData(fn); // tag, revert
    for (const area of [AREAS.offline, AREAS.manifests]) this.bucket.grantReadPrefix(fn, area); // verify
    // push: the same pipeline as the ingest (offline files, rejected rows, a manifest per version).
    for (const area of [AREAS.offline, AREAS.rejected, AREAS.manifests]) this.bucket.grantWritePrefix(fn, area);
    this.grantConfigRead(fn);
    this.grantNotFoundAnswers(fn);
    this.grantPiiKeyRead(fn); // push applies the PII transforms
    const api = new HttpApi(this, 'Api', {
      handler: fn,
      routes: Object.values(FEATURE_STORE_ROUTES),
      throttling: p.apiThrottling,
    });
    return { fn, api };
  }

  private lambdaApi(what: string): { fn: NodeFunction; api: HttpApi } {
    if (!this.lambdaServing) {
      throw new GaiError(
        'gaiops:feature-store:no-lambda-api',
        `${this.node.path}: ${what} does not exist with servingForm 'kubernetes' (no serving function, no HTTP API); callers reach the FeatureServer in the cluster, admitted by its NetworkPolicy`,
      );
    }
    return this.lambdaServing;
  }

  /** Invoke `POST /get-online-features` (the HTTP API: throws for `servingForm` `kubernetes`, whose callers the FeatureServer's NetworkPolicy admits). */
  grantRead(grantee: IGrantable): Grant {
    return this.lambdaApi('grantRead (the HTTP API route)').api.grantInvoke(grantee, [FEATURE_STORE_ROUTES.getOnlineFeatures]);
  }

  /**
   * What a FeatureServer container needs to answer `get-online-features`: read the online table
   * (decrypting through DynamoDB) and the groups config object. Nothing else: no writes, no
   * versions, no PII key.
   */
  grantOnlineServing(grantee: IGrantable): Grant {
    const grants = [this.onlineTable.grantReadData(grantee)];
    grants.push(this.grantConfigRead(grantee));
    return combine(grantee, grants);
  }

  /**
   * Write landing objects under `raw/<group>/` (one group, or each configured group) and invoke
   * `POST /push` (the route cannot be limited to a group: the group is in the request body).
   */
  grantIngest(grantee: IGrantable, group?: string): Grant {
    const groups = group === undefined ? this.groups : [this.group(group)];
    const grants = groups.map((g) => this.bucket.grantWritePrefix(grantee, OFFLINE_LAYOUT.raw(g.name)));
    if (this.lambdaServing) grants.push(this.lambdaServing.api.grantInvoke(grantee, [FEATURE_STORE_ROUTES.push]));
    return combine(grantee, grants);
  }

  /**
   * Read dataset history and manifests (`offline/<group>/`, `manifests/<group>/` — or every
   * group's), invoke the `GET /datasets/…` routes for those groups, and query them with Athena:
   * the workgroup (start, get, results), the Glue catalog, database and tables, and the query
   * results bucket (Athena reads and writes results with the caller's credentials).
   */
  grantDatasetRead(grantee: IGrantable, group?: string): Grant {
    const ctx = this.ctx;
    const grants: Grant[] = [];
    let tableArns: string[];
    if (group === undefined) {
      grants.push(this.bucket.grantReadPrefix(grantee, AREAS.offline));
      grants.push(this.bucket.grantReadPrefix(grantee, AREAS.manifests));
      if (this.lambdaServing) grants.push(this.lambdaServing.api.grantInvoke(grantee, [FEATURE_STORE_ROUTES.listVersions, FEATURE_STORE_ROUTES.getVersion]));
      tableArns = [ctx.arn('glue', `table/${this.glueDatabaseName}/*`)];
    } else {
      const g = this.group(group);
      if (!g.offline) {
        throw new GaiError('gaiops:feature-store:no-offline-store', `${this.node.path}: feature group ${group} has no offline store (offline: false)`);
      }
      grants.push(this.bucket.grantReadPrefix(grantee, offlineGroupPrefix(g.name)));
      grants.push(this.bucket.grantReadPrefix(grantee, OFFLINE_LAYOUT.manifests(g.name)));
      if (this.lambdaServing) {
        grants.push(
          Grant.addTo(grantee, [
            {
              actions: ['execute-api:Invoke'],
              resources: [FEATURE_STORE_ROUTES.listVersions, FEATURE_STORE_ROUTES.getVersion].map((r) => this.routeArnForGroup(r, g.name)),
            },
          ]),
        );
      }
      tableArns = [ctx.arn('glue', `table/${this.glueDatabaseName}/${g.name}`)];
    }
    grants.push(
      Grant.addTo(grantee, [
        {
          actions: ['athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StartQueryExecution'],
          resources: [this.workgroup.arn],
        },
        {
          actions: ['glue:GetDatabase', 'glue:GetPartitions', 'glue:GetTable'],
          resources: [ctx.arn('glue', 'catalog'), ctx.arn('glue', `database/${this.glueDatabaseName}`), ...tableArns],
        },
      ]),
    );
    grants.push(this.queryResultsBucket.grantRead(grantee));
    grants.push(this.queryResultsBucket.grantWrite(grantee));
    return combine(grantee, grants);
  }

  /** The parsed group of that name (throws when there is none). */
  group(name: string): FeatureGroup {
    const g = this.groups.find((x) => x.name === name);
    if (!g) {
      throw new GaiError(
        'gaiops:feature-store:unknown-group',
        `${this.node.path}: no feature group ${name} (groups: ${this.groups.map((x) => x.name).join(', ')})`,
      );
    }
    return g;
  }

  /** A route's execute-api ARN with `{group}` set (other path parameters `*`). */
  private routeArnForGroup(route: HttpRoute, group: string): string {
    const path = route.path.replace('{group}', group).replace(/\{[^}]+\}/g, '*').replace(/^\//, '');
    return `${this.api.executionArn}/$default/${route.method}/${path}`;
  }

  /** Read the groups config object (decrypting through S3 for this bucket only). */
  private grantConfigRead(grantee: IGrantable): Grant {
    const key = this.encryptionKey.grantDecrypt(grantee, { viaService: 's3', encryptionContext: { 'aws:s3:arn': this.bucket.bucketArn } });
    const object = Grant.addTo(grantee, [{ actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: [`${this.bucket.bucketArn}/${OFFLINE_LAYOUT.config}`] }]);
    return combine(grantee, [key, object]);
  }

  /**
   * `s3:ListBucket` on the Offline bucket without a prefix condition. S3 answers a GetObject for a
   * missing key with 404 only when the caller may list the bucket, and a prefix-conditioned listing
   * grant does not count (the request has no `s3:prefix`); otherwise it answers 403. The runtimes
   * rely on 404 to tell "not written yet" (a manifest, an expired file) from "not allowed".
   */
  private grantNotFoundAnswers(grantee: IGrantable): void {
    Grant.addTo(grantee, [{ actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn] }]);
  }

  /** Read the PII key secret, decrypting through Secrets Manager for that secret only. */
  private grantPiiKeyRead(grantee: IGrantable): void {
    Grant.addTo(grantee, [{ actions: ['secretsmanager:GetSecretValue'], resources: [this.piiKeySecretArn] }]);
    const options = { viaService: 'secretsmanager', encryptionContext: { SecretARN: this.piiKeySecretArn } };
    if (this.piiKeySecret) {
      this.encryptionKey.grantDecrypt(grantee, options);
    } else if (this.piiKeySecretKeyArn) {
      Grant.addTo(grantee, [
        {
          actions: ['kms:Decrypt'],
          resources: [this.piiKeySecretKeyArn],
          conditions: {
            StringEquals: {
              'kms:ViaService': `secretsmanager.${this.ctx.region}.amazonaws.com`,
              'kms:EncryptionContext:SecretARN': this.piiKeySecretArn,
            },
          },
        },
      ]);
    }
  }

  /** The group's Glue table over `offline/<group>/`, partitioned by projected `date`. */
  private offlineTable(group: FeatureGroup, range: { start: string; end: string }): GlueCatalogTable {
    const root = `s3://${this.bucket.bucketName}/`;
    return new GlueCatalogTable(this, `Table-${group.name}`, {
      databaseName: this.glueDatabaseName,
      name: group.name,
      description: `Offline history of feature group ${group.name} (JSON Lines written by the feature store ingest)`,
      tableType: 'EXTERNAL_TABLE',
      parameters: {
        EXTERNAL: 'TRUE',
        classification: 'json',
        'projection.enabled': 'true',
        [`projection.${PARTITION_COLUMN}.type`]: 'date',
        [`projection.${PARTITION_COLUMN}.range`]: `${range.start},${range.end}`,
        [`projection.${PARTITION_COLUMN}.format`]: 'yyyy-MM-dd',
        [`projection.${PARTITION_COLUMN}.interval`]: '1',
        [`projection.${PARTITION_COLUMN}.interval.unit`]: 'DAYS',
        // `$${date}` reaches Glue as `${date}`, which Athena fills in.
        'storage.location.template': `${root}${OFFLINE_LAYOUT.offline(group.name, `$\${${PARTITION_COLUMN}}`)}`,
      },
      partitionKeys: [{ name: PARTITION_COLUMN, type: 'string', comment: 'Day of the partition (yyyy-MM-dd), projected' }],
      storageDescriptor: {
        location: `${root}${offlineGroupPrefix(group.name)}`,
        inputFormat: OFFLINE_TABLE_FORMAT.inputFormat,
        outputFormat: OFFLINE_TABLE_FORMAT.outputFormat,
        serDeInfo: {
          name: 'openx-json',
          serializationLibrary: OFFLINE_TABLE_FORMAT.serializationLibrary,
          parameters: { 'ignore.malformed.json': 'FALSE', 'case.insensitive': 'TRUE', 'dots.in.keys': 'FALSE' },
        },
        columns: glueColumns(group),
      },
    });
  }
}

/** The Glue columns of a group: entity keys, event time, features (PII `drop` columns omitted). */
export function glueColumns(group: FeatureGroup): GlueCatalogTableStorageDescriptorColumns[] {
  return [
    ...group.entityKeys.map((k) => ({ name: k.name, type: GLUE_TYPES[k.type], comment: 'Entity key' })),
    { name: group.eventTimeColumn, type: GLUE_TYPES.timestamp, comment: 'Event time' },
    ...group.features
      .filter((f) => f.pii !== 'drop')
      .map((f) => ({
        name: f.name,
        type: f.pii ? GLUE_TYPES.string : GLUE_TYPES[f.type],
        ...(f.pii === 'hash' ? { comment: 'PII: keyed HMAC-SHA256 (hex)' } : f.pii === 'mask' ? { comment: 'PII: masked, last 4 characters kept' } : {}),
      })),
  ];
}

/**
 * One Grant listing everything several grants added. The statements are added again to the same
 * principal, which is harmless: policies merge identical statements at synth.
 */
function combine(grantee: IGrantable, grants: readonly Grant[]): Grant {
  return Grant.addTo(grantee, grants.flatMap((g) => g.statements));
}

