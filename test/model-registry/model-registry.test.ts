import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { CORE_RULES, EncryptionKey, evaluatePolicies, GaiConfigError, Role, SecureQueue } from '../../src';
import { EVENTBRIDGE_RULES } from '../../src/core/policy/rules/eventbridge';
import {
  ARTIFACT_UPLOAD_PREFIX,
  MAX_CONFIG_BYTES,
  ModelRegistry,
  REGISTRY_GRANT_KINDS,
  REGISTRY_ROUTES,
  type RegistryRouteKind,
} from '../../src/model-registry/model-registry';
import { GovernanceGatesSchema, MODEL_REGISTRY_ENV, REGISTRY_EVENTS, RegistryConfigSchema, mergeGates } from '../../src/model-registry/registry-config';
import { effectiveGates } from '../../src/model-registry/runtime/governance';
import { createRegistryApp } from '../../src/model-registry/runtime/registry-app';
import { silentLogger } from '../../src/core/runtime/http-app';
import { GatesOverrideSchema, ModelRegistryPropsSchema, type ModelRegistryProps } from '../../src/model-registry/schema';
import { byPath, only, platformStack, policy, resources, synth, type TfJson } from '../support/synth';

const P = 'teststack/Registry';
const APPROVER = 'arn:aws:iam::111122223333:role/model-approvers';

function registry(props: ModelRegistryProps = {}) {
  const stack = platformStack();
  const mr = new ModelRegistry(stack, 'Registry', props);
  return { stack, mr };
}

/** `${aws_x.Name.attr}` of the resource at a construct path. */
function refTo(json: TfJson, type: string, path: string, attribute: string): string {
  const found = resources(json, type).filter(([, c]) => c['//']?.metadata?.path === path);
  if (found.length !== 1) throw new Error(`expected one ${type} at ${path}, found ${found.length}`);
  return `\${${type}.${found[0][0]}.${attribute}}`;
}

const routeKey = (r: { method: string; path: string }) => `${r.method} ${r.path}`;

/** `execute-api:Invoke` resources of statements → route keys (`<execution ARN>/$default/GET/api/...`). */
function invokedRoutes(statements: readonly { actions?: readonly string[]; Action?: unknown; resources?: readonly string[]; Resource?: unknown }[]): string[] {
  const out: string[] = [];
  for (const s of statements) {
    const actions = [s.actions ?? s.Action].flat() as string[];
    if (!actions.includes('execute-api:Invoke')) continue;
    for (const r of [s.resources ?? s.Resource].flat() as string[]) {
      const m = /\/\$default\/([A-Z]+)\/(.+)$/.exec(r);
      if (m) out.push(`${m[1]} /${m[2]}`);
    }
  }
  return out.sort();
}

const keysOf = (kinds: readonly RegistryRouteKind[]) => REGISTRY_ROUTES.filter((r) => kinds.includes(r.kind)).map(routeKey).sort();

/** The handler role's policy as resource → sorted actions (conditions noted as `action?condition`). */
function actionsByResource(json: TfJson): Map<string, string[]> {
  const doc = policy(byPath(json, 'aws_iam_role_policy', `${P}/Handler/ServiceRole/Policy/Resource`).policy);
  const map = new Map<string, Set<string>>();
  for (const s of doc.Statement) {
    expect(s.Effect).toBe('Allow');
    for (const r of [s.Resource].flat() as string[]) {
      const set = map.get(r) ?? new Set<string>();
      for (const a of [s.Action].flat() as string[]) set.add(a);
      map.set(r, set);
    }
  }
  return new Map([...map.entries()].map(([r, s]) => [r, [...s].sort()]));
}

function mrConfig(json: TfJson): unknown {
  return JSON.parse(only(json, 'aws_lambda_function').environment.variables[MODEL_REGISTRY_ENV.config]);
}

function configErrors(props: unknown): string[] {
  try {
    registry(props as ModelRegistryProps);
  } catch (e) {
    expect(e).toBeInstanceOf(GaiConfigError);
    return (e as GaiConfigError).problems.map((p) => `${p.fieldPath}: ${p.message}`);
  }
  return [];
}

describe('ModelRegistry', () => {
  it('synthesizes with no policy finding, core or EventBridge, error or warning', () => {
    const { stack, mr } = registry({ approverRoleArns: [APPROVER] });
    const role = new Role(stack, 'Pipeline', { assumedBy: ['codebuild.amazonaws.com'] });
    mr.grantRegister(role);
    mr.addEventTarget('AuditSink', new SecureQueue(stack, 'AuditSink', { encryptionKey: mr.encryptionKey }));
    const json = synth(stack); // the PolicyPack fails synth on any core error
    expect(evaluatePolicies(json as Record<string, unknown>, [...CORE_RULES, ...EVENTBRIDGE_RULES])).toEqual([]);
  });

  it('synthesizes in an ephemeral environment (nothing protected from destroy)', () => {
    const stack = platformStack({ ephemeral: true });
    new ModelRegistry(stack, 'Registry');
    const json = synth(stack);
    expect(byPath(json, 'aws_dynamodb_table', `${P}/Audit/Resource`).deletion_protection_enabled).toBe(false);
    expect(evaluatePolicies(json as Record<string, unknown>, EVENTBRIDGE_RULES)).toEqual([]);
  });

  it('uses a key passed in, adding its EventBridge statements once per registry', () => {
    const stack = platformStack();
    const key = new EncryptionKey(stack, 'SharedKey', { services: ['events', 'logs'] });
    new ModelRegistry(stack, 'Registry', { encryptionKey: key });
    new ModelRegistry(stack, 'Second', { encryptionKey: key, eventArchive: { enabled: false } });
    const json = synth(stack);
    expect(resources(json, 'aws_kms_key').map(([, k]) => k['//'].metadata.path).sort()).toEqual([
      'teststack/AccessLogs/Key/Resource',
      'teststack/SharedKey/Resource',
    ]);
    const sids: string[] = policy(byPath(json, 'aws_kms_key', 'teststack/SharedKey/Resource').policy).Statement.map((s: any) => s.Sid);
    expect(new Set(sids).size).toBe(sids.length);
    expect(sids.filter((s) => s.startsWith('EventBridgeRegistryBus'))).toHaveLength(2);
    expect(sids.filter((s) => s.startsWith('EventBridgeRegistryArchive'))).toHaveLength(1);
  });

  describe('API', () => {
    it('serves exactly REGISTRY_ROUTES, every route AWS_IAM and invocable through its own Lambda permission', () => {
      const json = synth(registry().stack);
      const routes = resources(json, 'aws_apigatewayv2_route').map(([, r]) => r);
      expect(routes.map((r) => r.route_key).sort()).toEqual(REGISTRY_ROUTES.map(routeKey).sort());
      for (const r of routes) expect(r.authorization_type).toBe('AWS_IAM');
      expect(resources(json, 'aws_lambda_permission')).toHaveLength(REGISTRY_ROUTES.length);
      expect(only(json, 'aws_apigatewayv2_stage').default_route_settings).toMatchObject({ throttling_burst_limit: 100, throttling_rate_limit: 50 });
    });

    it('lists every MLflow and gaiops endpoint once, with the chosen kinds', () => {
      const keys = REGISTRY_ROUTES.map(routeKey);
      expect(new Set(keys).size).toBe(keys.length);
      const mlflow = (m: string, p: string) => `${m} /api/2.0/mlflow/${p}`;
      const gaiops = (m: string, p: string) => `${m} /api/2.0/gaiops/${p}`;
      expect(keys.sort()).toEqual(
        [
          ...['create:POST', 'get:GET', 'search:GET', 'rename:POST', 'update:PATCH', 'delete:DELETE', 'set-tag:POST', 'delete-tag:DELETE']
            .map((e) => e.split(':'))
            .map(([p, m]) => mlflow(m, `registered-models/${p}`)),
          mlflow('POST', 'registered-models/get-latest-versions'),
          mlflow('GET', 'registered-models/get-latest-versions'),
          ...['POST', 'DELETE', 'GET'].map((m) => mlflow(m, 'registered-models/alias')),
          ...[
            'create:POST',
            'get:GET',
            'search:GET',
            'update:PATCH',
            'delete:DELETE',
            'set-tag:POST',
            'delete-tag:DELETE',
            'get-download-uri:GET',
            'transition-stage:POST',
          ]
            .map((e) => e.split(':'))
            .map(([p, m]) => mlflow(m, `model-versions/${p}`)),
          gaiops('GET', 'model-versions/lineage'),
          gaiops('POST', 'model-versions/lineage'),
          gaiops('POST', 'model-versions/approve'),
          gaiops('POST', 'model-versions/reject'),
          gaiops('POST', 'model-versions/withdraw'),
          gaiops('GET', 'model-versions/governance'),
          gaiops('GET', 'audit'),
        ].sort(),
      );
      const kind = (key: string) => REGISTRY_ROUTES.find((r) => routeKey(r) === key)!.kind;
      for (const r of REGISTRY_ROUTES.filter((x) => x.method === 'GET')) expect(r.kind).toBe('read');
      expect(kind(mlflow('POST', 'registered-models/get-latest-versions'))).toBe('read');
      expect(kind(mlflow('POST', 'registered-models/alias'))).toBe('deploy');
      expect(kind(mlflow('POST', 'model-versions/transition-stage'))).toBe('deploy');
      expect(kind(mlflow('POST', 'registered-models/rename'))).toBe('admin');
      expect(kind(mlflow('DELETE', 'model-versions/delete'))).toBe('admin');
      // The creator's narrow delete is in grantRegister; the runtime restricts it (see withdraw.test.ts).
      expect(kind(gaiops('POST', 'model-versions/withdraw'))).toBe('write');
      expect(REGISTRY_ROUTES.filter((r) => r.kind === 'approve').map(routeKey).sort()).toEqual([
        gaiops('POST', 'model-versions/approve'),
        gaiops('POST', 'model-versions/reject'),
      ]);
    });

    it('match the routes the runtime serves, each refusing an unauthenticated caller (403, not 404)', async () => {
      const app = createRegistryApp({
        dynamo: new DynamoDBClient({ region: 'eu-west-1' }),
        s3: new S3Client({ region: 'eu-west-1' }),
        events: { publish: async () => undefined },
        config: RegistryConfigSchema.parse({ version: 1, defaultGates: {} }),
        metadataTable: 'm',
        auditTable: 'a',
        artifactBucket: 'b',
        logger: silentLogger,
      });
      const served = (app as unknown as { routes: { method: string; pattern: string }[] }).routes
        .map((r) => `${r.method} ${r.pattern}`)
        .filter((k) => k !== 'GET /healthz');
      expect(served.sort()).toEqual(REGISTRY_ROUTES.map(routeKey).sort());
      for (const r of REGISTRY_ROUTES) {
        const response = await app.handle({ method: r.method, path: r.path, requestId: 'test', headers: { 'content-type': 'application/json' }, rawBody: r.method === 'GET' ? undefined : '{}' });
        expect(response.status, routeKey(r)).toBe(403);
      }
    });

    it('runs the model-registry runtime with the registry environment', () => {
      const json = synth(registry({ memorySize: 2048, timeoutSeconds: 20 }).stack);
      const fn = only(json, 'aws_lambda_function');
      expect(fn).toMatchObject({ runtime: 'nodejs22.x', memory_size: 2048, timeout: 20, handler: 'index.handler' });
      expect(fn.filename).toMatch(/model-registry-[0-9a-f]{16}\.zip$/);
      const env = fn.environment.variables;
      expect(env[MODEL_REGISTRY_ENV.metadataTable]).toBe(refTo(json, 'aws_dynamodb_table', `${P}/Metadata/Resource`, 'name'));
      expect(env[MODEL_REGISTRY_ENV.auditTable]).toBe(refTo(json, 'aws_dynamodb_table', `${P}/Audit/Resource`, 'name'));
      expect(env[MODEL_REGISTRY_ENV.artifactBucket]).toBe(refTo(json, 'aws_s3_bucket', `${P}/Artifacts/Resource`, 'bucket'));
      expect(env[MODEL_REGISTRY_ENV.eventBus]).toBe(refTo(json, 'aws_cloudwatch_event_bus', `${P}/Events`, 'name'));
      // The runtime's idempotency records expire through TTL on `ttl`.
      expect(byPath(json, 'aws_dynamodb_table', `${P}/Metadata/Resource`).ttl).toEqual({ enabled: true, attribute_name: 'ttl' });
    });
  });

  describe('MR_CONFIG', () => {
    it('is a RegistryConfigSchema-valid config with the gates, merged model gates and approvers, never trusting the principal header', () => {
      const json = synth(
        registry({
          gates: { requiredMetrics: [{ metric: 'auc', min: 0.8 }], requireApproval: true, fairness: { minDisparateImpactRatio: 0.85 } },
          modelGates: { 'fraud-scorer': { requiredMetrics: [{ metric: 'auc', min: 0.95 }], fairness: { maxEqualizedOddsDifference: 0.05 } } },
          approverRoleArns: [APPROVER],
        }).stack,
      );
      const raw = mrConfig(json) as { modelGates: Record<string, unknown> };
      const config = RegistryConfigSchema.parse(raw);
      expect(config.trustPrincipalHeader).toBe(false);
      expect(config.approverRoleArns).toEqual([APPROVER]);
      expect(config.defaultGates).toEqual(
        GovernanceGatesSchema.parse({ requiredMetrics: [{ metric: 'auc', min: 0.8 }], fairness: { minDisparateImpactRatio: 0.85 } }),
      );
      // Overrides carry exactly the fields (and fairness thresholds) they set…
      expect(raw.modelGates).toEqual({ 'fraud-scorer': { requiredMetrics: [{ metric: 'auc', min: 0.95 }], fairness: { maxEqualizedOddsDifference: 0.05 } } });
      // …and the runtime replaces the defaults with them field by field, fairness threshold by threshold.
      const expected = {
        ...config.defaultGates,
        requiredMetrics: [{ metric: 'auc', min: 0.95 }],
        fairness: { maxDemographicParityDifference: 0.1, minDisparateImpactRatio: 0.85, maxEqualizedOddsDifference: 0.05 },
      };
      expect(effectiveGates(config, 'fraud-scorer')).toEqual(expected);
      expect(mergeGates(config.defaultGates, { requiredMetrics: [{ metric: 'auc', min: 0.95 }], fairness: { maxEqualizedOddsDifference: 0.05 } })).toEqual(expected);
      expect(effectiveGates(config, 'other-model')).toEqual(config.defaultGates);
    });

    it('defaults to the shared schema defaults and no approvers', () => {
      const config = RegistryConfigSchema.parse(mrConfig(synth(registry().stack)));
      expect(config).toEqual({ version: 1, defaultGates: GovernanceGatesSchema.parse({}), modelGates: {}, approverRoleArns: [], trustPrincipalHeader: false });
    });

    it('grantApprove makes the role an approver, even after construction, once', () => {
      const { stack, mr } = registry({ approverRoleArns: [APPROVER] });
      const role = new Role(stack, 'Approver', { assumedBy: ['lambda.amazonaws.com'] });
      mr.grantApprove(role);
      mr.grantApprove(role);
      const imported = Role.fromRoleName(stack, 'Imported', 'risk-officers', 'arn:aws:iam::111122223333:role/risk-officers');
      mr.grantApprove(imported);
      const json = synth(stack);
      const config = mrConfig(json) as { approverRoleArns: string[] };
      expect(config.approverRoleArns).toEqual([APPROVER, refTo(json, 'aws_iam_role', 'teststack/Approver/Resource', 'arn'), 'arn:aws:iam::111122223333:role/risk-officers']);
      expect(mr.approvers).toHaveLength(3);
      // grantRead/grantRegister/grantAdmin do not make approvers.
      const other = new Role(stack, 'Other', { assumedBy: ['lambda.amazonaws.com'] });
      mr.grantAdmin(other);
      expect(mr.approvers).toHaveLength(3);
    });

    it('refuses a configuration larger than Lambda\'s environment allows', () => {
      const gates = { requiredMetrics: [{ metric: 'auc', min: 0.9 }, { metric: 'f1', min: 0.8 }] };
      const modelGates = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`model-${i}`, gates]));
      const problems = configErrors({ modelGates });
      expect(problems).toEqual([expect.stringMatching(new RegExp(`^modelGates: the governance configuration is \\d+ bytes as JSON; .* ${MAX_CONFIG_BYTES} bytes`))]);
    });
  });

  describe('least privilege', () => {
    it('gives the API role exact actions per resource: audit append-only, PutEvents on the bus only', () => {
      const json = synth(registry().stack);
      const byResource = actionsByResource(json);
      const metadata = refTo(json, 'aws_dynamodb_table', `${P}/Metadata/Resource`, 'arn');
      const audit = refTo(json, 'aws_dynamodb_table', `${P}/Audit/Resource`, 'arn');
      const bucket = refTo(json, 'aws_s3_bucket', `${P}/Artifacts/Resource`, 'arn');
      const bus = refTo(json, 'aws_cloudwatch_event_bus', `${P}/Events`, 'arn');
      const key = refTo(json, 'aws_kms_key', `${P}/Key/Resource`, 'arn');

      expect(byResource.get(metadata)).toEqual([
        'dynamodb:BatchGetItem',
        'dynamodb:BatchWriteItem',
        'dynamodb:ConditionCheckItem',
        'dynamodb:DeleteItem',
        'dynamodb:DescribeTable',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:Scan',
        'dynamodb:UpdateItem',
      ]);
      expect(byResource.get(audit)).toEqual(['dynamodb:DescribeTable', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query']);
      expect(byResource.has(`${audit}/index/*`)).toBe(false);
      expect(byResource.get(bucket)).toEqual(['s3:GetBucketLocation', 's3:ListBucket']);
      // Read only: clients upload artifacts, the API checks and hashes them.
      expect(byResource.get(`${bucket}/artifacts/*`)).toEqual(['s3:GetObject', 's3:GetObjectVersion']);
      expect(byResource.has(`${bucket}/*`)).toBe(false);
      expect(byResource.get(bus)).toEqual(['events:PutEvents']);
      expect(byResource.get(key)).toEqual(['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:ReEncryptFrom', 'kms:ReEncryptTo']);
      expect(byResource.get('*')).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
      // …and every use of the key is bound to a service (kms:ViaService) or an encryption context.
      const keyStatements = policy(byPath(json, 'aws_iam_role_policy', `${P}/Handler/ServiceRole/Policy/Resource`).policy).Statement.filter(
        (s: any) => s.Resource === key,
      );
      for (const s of keyStatements) expect(Object.keys(s.Condition.StringEquals).length).toBeGreaterThan(0);

      // Nothing else anywhere: PutEvents only on the bus, no audit mutation on any resource.
      for (const [resource, actions] of byResource) {
        if (resource !== bus) expect(actions).not.toContain('events:PutEvents');
        for (const a of ['dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem']) {
          if (resource !== metadata) expect(actions, resource).not.toContain(a);
        }
      }
      // Listing without a prefix condition, so a missing artifact is a 404 (not a 403) for the runtime.
      const listing = policy(byPath(json, 'aws_iam_role_policy', `${P}/Handler/ServiceRole/Policy/Resource`).policy).Statement.filter(
        (s: any) => [s.Action].flat().includes('s3:ListBucket'),
      );
      expect(listing).toEqual([{ Effect: 'Allow', Action: ['s3:GetBucketLocation', 's3:ListBucket'], Resource: bucket }]);
      const s3Kms = policy(byPath(json, 'aws_iam_role_policy', `${P}/Handler/ServiceRole/Policy/Resource`).policy).Statement.filter(
        (s: any) => s.Condition?.StringEquals?.['kms:ViaService'] === 's3.eu-west-1.amazonaws.com',
      );
      expect(s3Kms).toEqual([
        { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:DescribeKey'], Resource: key, Condition: { StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com', 'kms:EncryptionContext:aws:s3:arn': bucket } } },
      ]);
    });

    it('denies every principal changing or deleting audit records with a table policy', () => {
      const json = synth(registry().stack);
      const tablePolicy = byPath(json, 'aws_dynamodb_resource_policy', `${P}/AuditAppendOnly`);
      expect(tablePolicy.resource_arn).toBe(refTo(json, 'aws_dynamodb_table', `${P}/Audit/Resource`, 'arn'));
      expect(policy(tablePolicy.policy).Statement).toEqual([
        {
          Sid: 'DenyAuditRecordChanges',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: ['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:PartiQLDelete', 'dynamodb:PartiQLUpdate', 'dynamodb:UpdateItem'],
          Resource: tablePolicy.resource_arn,
        },
      ]);
      const tables = resources(json, 'aws_dynamodb_table').map(([, t]) => t);
      for (const t of tables) {
        expect(t).toMatchObject({ hash_key: 'pk', range_key: 'sk', point_in_time_recovery: { enabled: true }, deletion_protection_enabled: true });
      }
    });
  });

  describe('events', () => {
    it('encrypts the bus and its archive with the registry key, which lets EventBridge use it for this bus only', () => {
      const json = synth(registry({ eventArchive: { retentionDays: 90 } }).stack);
      const key = refTo(json, 'aws_kms_key', `${P}/Key/Resource`, 'arn');
      const bus = byPath(json, 'aws_cloudwatch_event_bus', `${P}/Events`);
      expect(bus).toMatchObject({
        name: 'gai-test-registry-events',
        kms_key_identifier: key,
        dead_letter_config: { arn: refTo(json, 'aws_sqs_queue', `${P}/DeadLetters/Resource`, 'arn') },
      });
      const archive = only(json, 'aws_cloudwatch_event_archive');
      expect(archive).toMatchObject({
        event_source_arn: refTo(json, 'aws_cloudwatch_event_bus', `${P}/Events`, 'arn'),
        kms_key_identifier: key,
        retention_days: 90,
      });
      expect(archive.name.length).toBeLessThanOrEqual(48);
      expect(JSON.parse(archive.event_pattern)).toEqual({ source: ['gaiops.model-registry'] });

      const statements = policy(byPath(json, 'aws_kms_key', `${P}/Key/Resource`).policy).Statement;
      const sid = (s: string) => statements.find((x: any) => x.Sid === s);
      // The bus ARN is built from its name (no reference to the bus: that would be a cycle).
      const busArn = expect.stringMatching(/^arn:\$\{data\.aws_partition\.[^}]+\}:events:eu-west-1:\$\{data\.aws_caller_identity\.[^}]+\}:event-bus\/gai-test-registry-events$/);
      const account = expect.stringMatching(/^\$\{data\.aws_caller_identity\.[^}]+\.account_id\}$/);
      expect(sid('EventBridgeRegistryBus')).toEqual({
        Sid: 'EventBridgeRegistryBus',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: '*',
        Condition: { StringEquals: { 'aws:SourceAccount': account, 'aws:SourceArn': busArn, 'kms:EncryptionContext:aws:events:event-bus:arn': busArn } },
      });
      expect(sid('EventBridgeRegistryArchive')).toMatchObject({
        Action: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'],
        Condition: { StringEquals: { 'kms:EncryptionContext:aws:events:event-bus:arn': busArn } },
      });
      expect(sid('EventBridgeDescribeKey')).toMatchObject({ Action: 'kms:DescribeKey', Condition: { StringEquals: { 'aws:SourceAccount': account } } });
      // The key's own statements are still there: account administration, logs, events to SQS.
      expect(statements.map((s: any) => s.Sid)).toEqual([
        'AccountAdministration',
        'AccountUseThroughIam',
        'ServiceEvents',
        'ServiceLogs',
        'EventBridgeDescribeKey',
        'EventBridgeRegistryBus',
        'EventBridgeRegistryArchive',
      ]);
    });

    it('routes the four registry events to the deployment queue, with retries, a dead-letter queue and a rule-scoped queue policy', () => {
      const json = synth(registry().stack);
      const rule = byPath(json, 'aws_cloudwatch_event_rule', `${P}/DeploymentEventsRule/Resource`);
      expect(rule.event_bus_name).toBe(refTo(json, 'aws_cloudwatch_event_bus', `${P}/Events`, 'name'));
      expect(JSON.parse(rule.event_pattern)).toEqual({ source: [REGISTRY_EVENTS.source], 'detail-type': [...REGISTRY_EVENTS.detailTypes] });
      const queueArn = refTo(json, 'aws_sqs_queue', `${P}/DeploymentEvents/Resource`, 'arn');
      const dlqArn = refTo(json, 'aws_sqs_queue', `${P}/DeadLetters/Resource`, 'arn');
      const ruleArn = refTo(json, 'aws_cloudwatch_event_rule', `${P}/DeploymentEventsRule/Resource`, 'arn');
      expect(byPath(json, 'aws_cloudwatch_event_target', `${P}/DeploymentEventsRule/Target`)).toMatchObject({
        arn: queueArn,
        dead_letter_config: { arn: dlqArn },
        retry_policy: { maximum_event_age_in_seconds: 86400, maximum_retry_attempts: 185 },
      });
      const queue = byPath(json, 'aws_sqs_queue', `${P}/DeploymentEvents/Resource`);
      expect(JSON.parse(queue.redrive_policy)).toEqual({ deadLetterTargetArn: dlqArn, maxReceiveCount: 5 });
      expect(queue.kms_master_key_id).toBe(refTo(json, 'aws_kms_key', `${P}/Key/Resource`, 'arn'));

      const queuePolicy = policy(byPath(json, 'aws_sqs_queue_policy', `${P}/DeploymentEvents/Policy`).policy).Statement;
      expect(queuePolicy.find((s: any) => s.Sid === 'EventBridgeDeploymentEventsRuleDelivery')).toEqual({
        Sid: 'EventBridgeDeploymentEventsRuleDelivery',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: queueArn,
        Condition: { ArnEquals: { 'aws:SourceArn': ruleArn } },
      });
      expect(queuePolicy.find((s: any) => s.Sid === 'DenyInsecureTransport')).toBeDefined();
      const dlqPolicy = policy(byPath(json, 'aws_sqs_queue_policy', `${P}/DeadLetters/Policy`).policy).Statement;
      const sources = dlqPolicy.filter((s: any) => s.Effect === 'Allow').map((s: any) => s.Condition.ArnEquals['aws:SourceArn']);
      expect(sources.sort()).toEqual([ruleArn, refTo(json, 'aws_cloudwatch_event_bus', `${P}/Events`, 'arn')].sort());
    });

    it('takes an event bus name and no archive', () => {
      const json = synth(registry({ eventBusName: 'ml-registry', eventArchive: { enabled: false } }).stack);
      expect(only(json, 'aws_cloudwatch_event_bus').name).toBe('ml-registry');
      expect(resources(json, 'aws_cloudwatch_event_archive')).toEqual([]);
      const sids = policy(byPath(json, 'aws_kms_key', `${P}/Key/Resource`).policy).Statement.map((s: any) => s.Sid);
      expect(sids).not.toContain('EventBridgeRegistryArchive');
    });

    it('adds event targets for later consumers, and exposes the bus', () => {
      const { stack, mr } = registry();
      const key = new EncryptionKey(stack, 'ConsumerKey', { services: ['events'] });
      const queue = new SecureQueue(stack, 'Rollouts', { encryptionKey: key });
      const route = mr.addEventTarget('Rollouts', queue, { detailTypes: ['AliasChanged', 'StageTransitioned'] });
      expect(route.node.path).toBe(`${P}/Rollouts`);
      const json = synth(stack);
      const rule = byPath(json, 'aws_cloudwatch_event_rule', `${P}/Rollouts/Resource`);
      expect(JSON.parse(rule.event_pattern)['detail-type']).toEqual(['AliasChanged', 'StageTransitioned']);
      expect(byPath(json, 'aws_cloudwatch_event_target', `${P}/Rollouts/Target`).arn).toBe(refTo(json, 'aws_sqs_queue', 'teststack/Rollouts/Resource', 'arn'));
      const statements = policy(byPath(json, 'aws_sqs_queue_policy', 'teststack/Rollouts/Policy').policy).Statement;
      expect(statements.find((s: any) => s.Sid === 'EventBridgeRolloutsDelivery').Condition).toEqual({
        ArnEquals: { 'aws:SourceArn': refTo(json, 'aws_cloudwatch_event_rule', `${P}/Rollouts/Resource`, 'arn') },
      });
      expect(mr.eventBusArn).toMatch(/TOKEN/);
      expect(mr.eventBusName).toMatch(/TOKEN/);

      expect(() => mr.addEventTarget('Bad', queue, { detailTypes: ['ModelDeleted' as never] })).toThrow(/detailTypes\[0\]: ModelDeleted is not a registry event/);
      expect(() => mr.addEventTarget('Self', queue, { deadLetterQueue: queue })).toThrow(/deadLetterQueue: must not be the target queue itself/);
    });

    it('lets consumers read the deployment queue', () => {
      const { stack, mr } = registry();
      const ci = new Role(stack, 'Ci', { assumedBy: ['codebuild.amazonaws.com'] });
      expect(mr.grantConsumeDeploymentEvents(ci).actions).toEqual([
        'sqs:ChangeMessageVisibility',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:ReceiveMessage',
      ]);
    });
  });

  describe('artifact store', () => {
    it('has no Object Lock by default', () => {
      const json = synth(registry().stack);
      expect(byPath(json, 'aws_s3_bucket', `${P}/Artifacts/Resource`).object_lock_enabled).toBeUndefined();
      expect(resources(json, 'aws_s3_bucket_object_lock_configuration')).toEqual([]);
    });

    it('locks every artifact version when objectLock is set (governance mode by default)', () => {
      const json = synth(registry({ objectLock: { retentionDays: 2555 } }).stack);
      expect(byPath(json, 'aws_s3_bucket', `${P}/Artifacts/Resource`).object_lock_enabled).toBe(true);
      expect(only(json, 'aws_s3_bucket_object_lock_configuration').rule).toEqual({ default_retention: { mode: 'GOVERNANCE', days: 2555 } });
      const compliance = synth(registry({ objectLock: { retentionDays: 30, mode: 'COMPLIANCE' } }).stack);
      expect(only(compliance, 'aws_s3_bucket_object_lock_configuration').rule.default_retention.mode).toBe('COMPLIANCE');
    });
  });

  describe('grants', () => {
    function granted(grant: (mr: ModelRegistry, role: Role) => unknown) {
      const { stack, mr } = registry();
      const role = new Role(stack, 'Grantee', { assumedBy: ['lambda.amazonaws.com'] });
      const result = grant(mr, role) as { statements: readonly { actions: readonly string[]; resources: readonly string[] }[] };
      const json = synth(stack);
      const statements = policy(byPath(json, 'aws_iam_role_policy', 'teststack/Grantee/Policy/Resource').policy).Statement;
      const bucket = refTo(json, 'aws_s3_bucket', `${P}/Artifacts/Resource`, 'arn');
      const s3 = (resource: string) =>
        statements
          .filter((s: any) => [s.Resource].flat().includes(resource))
          .flatMap((s: any) => [s.Action].flat())
          .sort();
      return { result, statements, routes: invokedRoutes(statements), upload: s3(`${bucket}/${ARTIFACT_UPLOAD_PREFIX}*`), read: s3(`${bucket}/artifacts/*`) };
    }

    it('grantRead: the read routes and artifact reads', () => {
      const g = granted((mr, r) => mr.grantRead(r));
      expect(g.routes).toEqual(keysOf(['read']));
      expect(g.read).toEqual(['s3:GetObject', 's3:GetObjectVersion']);
      expect(g.upload).toEqual([]);
      expect(invokedRoutes(g.result.statements)).toEqual(g.routes);
    });

    it('grantRegister: read, write and deploy routes and uploads under artifacts/sha256/ — no rename, delete or approval', () => {
      const g = granted((mr, r) => mr.grantRegister(r));
      expect(g.routes).toEqual(keysOf(['read', 'write', 'deploy']));
      expect(g.routes).not.toContain('POST /api/2.0/mlflow/registered-models/rename');
      expect(g.routes).not.toContain('POST /api/2.0/gaiops/model-versions/approve');
      expect(g.routes).not.toContain('DELETE /api/2.0/mlflow/model-versions/delete');
      expect(g.routes).toContain('POST /api/2.0/gaiops/model-versions/withdraw');
      expect(g.upload).toEqual(['s3:AbortMultipartUpload', 's3:ListMultipartUploadParts', 's3:PutObject']);
      expect(g.read).toEqual(['s3:GetObject', 's3:GetObjectVersion']);
      const kms = g.statements.filter((s: any) => [s.Action].flat().includes('kms:GenerateDataKey'));
      expect(kms).toHaveLength(1);
      expect(kms[0].Condition.StringEquals).toMatchObject({ 'kms:ViaService': 's3.eu-west-1.amazonaws.com' });
    });

    it('grantApprove: read, approve and reject routes', () => {
      const g = granted((mr, r) => mr.grantApprove(r));
      expect(g.routes).toEqual(keysOf(['read', 'approve']));
      expect(g.upload).toEqual([]);
    });

    it('grantAdmin: every route', () => {
      const g = granted((mr, r) => mr.grantAdmin(r));
      expect(g.routes).toEqual(REGISTRY_ROUTES.map(routeKey).sort());
      expect(g.upload).toEqual(['s3:AbortMultipartUpload', 's3:ListMultipartUploadParts', 's3:PutObject']);
    });

    it('derive from the route kinds', () => {
      expect(REGISTRY_GRANT_KINDS.admin).toEqual(['read', 'write', 'deploy', 'approve', 'admin']);
      const all = new Set(REGISTRY_ROUTES.map((r) => r.kind));
      expect([...all].sort()).toEqual([...REGISTRY_GRANT_KINDS.admin].sort());
    });
  });

  describe('props', () => {
    it('rejects bad approvers, gates and thresholds in one GaiConfigError naming every path', () => {
      const problems = configErrors({
        approverRoleArns: ['arn:aws:iam::111122223333:user/alice', APPROVER],
        gates: {
          requiredMetrics: [{ metric: 'auc' }, { metric: 'f1', min: 0.9, max: 0.5 }],
          fairness: { minDisparateImpactRatio: 1.5, maxDemographicParityDifference: -0.1 },
        },
        modelGates: { 'fraud-scorer': { requiredMetrics: [{ metric: 'recall' }], fairness: { maxEqualizedOddsDifference: 2 } } },
        memorySize: 64,
        timeoutSeconds: 60,
      });
      const paths = problems.map((p) => p.split(':')[0]).sort();
      expect(paths).toEqual(
        [
          'approverRoleArns[0]',
          'gates.requiredMetrics[0]',
          'gates.requiredMetrics[1].max',
          'gates.fairness.minDisparateImpactRatio',
          'gates.fairness.maxDemographicParityDifference',
          'modelGates.fraud-scorer.requiredMetrics[0]',
          'modelGates.fraud-scorer.fairness.maxEqualizedOddsDifference',
          'memorySize',
          'timeoutSeconds',
        ].sort(),
      );
      expect(problems).toContain('gates.requiredMetrics[0]: a metric gate needs min, max or both');
      expect(problems).toContain('gates.requiredMetrics[1].max: must be greater than or equal to min (0.9)');
    });

    it('checks metric bounds and duplicate metric gates, in the defaults and the overrides', () => {
      expect(configErrors({ gates: { requiredMetrics: [{ metric: 'f1', min: 0.9, max: 0.5 }, { metric: 'f1', min: 0.1 }] } })).toEqual([
        'gates.requiredMetrics[0].max: must be greater than or equal to min (0.9)',
        'gates.requiredMetrics[1].metric: metric f1 has two gates',
      ]);
      expect(configErrors({ modelGates: { m: { requiredMetrics: [{ metric: 'f1', min: 2, max: 1 }] } } })).toEqual([
        'modelGates.m.requiredMetrics[0].max: must be greater than or equal to min (2)',
      ]);
    });

    it('rejects unknown fields, the default bus and bad archive retention', () => {
      expect(configErrors({ gate: {}, eventBusName: 'default', eventArchive: { retentionDays: -1 } }).sort()).toEqual([
        expect.stringMatching(/^<props>: Unrecognized key: "gate"/),
        'eventArchive.retentionDays: Too small: expected number to be >=0',
        'eventBusName: must not be the default bus',
      ]);
    });

    it('lets approver ARNs known only at apply time through', () => {
      const { stack } = registry();
      const role = new Role(stack, 'R', { assumedBy: ['lambda.amazonaws.com'] });
      expect(() => new ModelRegistry(stack, 'Other', { approverRoleArns: [role.roleArn] })).not.toThrow();
    });

    it('override schema covers every gates field', () => {
      expect(Object.keys(GatesOverrideSchema.shape).sort()).toEqual(Object.keys(GovernanceGatesSchema.shape).sort());
      expect(ModelRegistryPropsSchema.parse({}).gates).toEqual(GovernanceGatesSchema.parse({}));
    });

    it('mergeGates keeps unspecified fields from the defaults, not from the schema', () => {
      const defaults = GovernanceGatesSchema.parse({ requireApproval: false, protectedAliases: ['prod', 'canary'] });
      expect(mergeGates(defaults, { requireModelCard: false })).toEqual({ ...defaults, requireModelCard: false });
    });
  });
});
