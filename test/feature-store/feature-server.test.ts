/**
 * FeatureServer: the serving API as a container on EKS. Synth (across a data and a workloads
 * stack, policy pack included), the store's `servingForm`, failure cases — and the container entry
 * point in `online` mode on embedded S3 + DynamoDB, answering exactly what the Lambda form answers.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App, CORE_RULES, evaluatePolicies, GaiError, PlatformStack, Role } from '../../src';
import { ContainerImage } from '../../src/core/container-image';
import { KUBERNETES_RULES } from '../../src/core/policy/rules/kubernetes';
import { toLambdaHandler, type HttpApiEvent } from '../../src/core/runtime/lambda-http';
import type { HttpServerHandle } from '../../src/core/runtime/node-http';
import { ECOMMERCE_FEATURE_GROUPS } from '../../src/feature-store/ecommerce-groups';
import { FEATURE_STORE_ENV } from '../../src/feature-store/feature-group';
import { FeatureServer, type FeatureServerProps } from '../../src/feature-store/feature-server';
import { FEATURE_STORE_ROUTES, FeatureStore } from '../../src/feature-store/feature-store';
import { createIngestor } from '../../src/feature-store/runtime/ingest';
import { createServingApp } from '../../src/feature-store/runtime/serving-app';
import { SERVER_MODE_ENV, parseServerMode } from '../../src/feature-store/runtime/server-mode';
import { main } from '../../src/feature-store/runtime/serving-server';
import { ClusterProviders } from '../../src/gpu-training-cluster/cluster-providers';
import { TEST_CLUSTER } from '../support/cluster-reference';
import { podIdentityTrustStatement } from '../support/pod-identity';
import { byPath, platformStack, policy, resources, SETTINGS, synth, type TfJson } from '../support/synth';
import { type TestStore, startTestStore } from './support/store';
import { configError } from '../support/config-error';

const IMAGE = ContainerImage.fromUri('111122223333.dkr.ecr.eu-west-1.amazonaws.com/gai-test-feature-store-serving:sha256-0123456789abcdef');

describe('FeatureServer across stacks (store in a data stack, server in a workloads stack)', () => {
  let data: TfJson;
  let json: TfJson;
  let server: FeatureServer;
  let store: FeatureStore;

  beforeAll(() => {
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'gaiops-test-')) });
    const dataStack = new PlatformStack(app, 'data', { settings: SETTINGS });
    store = new FeatureStore(dataStack, 'Features', { featureGroups: [...ECOMMERCE_FEATURE_GROUPS], servingForm: 'kubernetes' });
    const workloads = new PlatformStack(app, 'workloads', { settings: SETTINGS });
    const { kubernetes } = ClusterProviders.configure(workloads, TEST_CLUSTER);
    server = new FeatureServer(workloads, 'FeatureServer', { store, cluster: TEST_CLUSTER, image: IMAGE, clients: [{ namespace: 'assistant' }], kubernetesProvider: kubernetes });
    app.synth(); // cross-stack references and every validation, the policy pack among them
    data = JSON.parse(readFileSync(join(app.outdir, 'stacks', 'data', 'cdk.tf.json'), 'utf8'));
    json = JSON.parse(readFileSync(join(app.outdir, 'stacks', 'workloads', 'cdk.tf.json'), 'utf8'));
  });

  it("servingForm 'kubernetes' creates no serving function and no HTTP API", () => {
    expect(resources(data, 'aws_lambda_function').map(([, f]) => f['//'].metadata.path)).toEqual(['data/Features/Ingest/Resource']);
    expect(resources(data, 'aws_apigatewayv2_api')).toEqual([]);
    expect(store.servingForm).toBe('kubernetes');
    expect(() => store.api).toThrow(GaiError);
    expect(() => store.apiUrl).toThrow(/gaiops:feature-store:no-lambda-api/);
  });

  it('runs the serving runtime in online mode with the store\'s FS_* environment', () => {
    const c = byPath(json, 'kubernetes_deployment_v1', 'FeatureServer/Resource/Deployment').spec.template.spec.container[0];
    expect(c.image).toBe(IMAGE.imageUri);
    const env = Object.fromEntries(c.env.map((e: { name: string; value: string }) => [e.name, e.value]));
    expect(env[SERVER_MODE_ENV]).toBe('online');
    expect(env.AWS_REGION).toBe(SETTINGS.region);
    for (const name of [FEATURE_STORE_ENV.bucket, FEATURE_STORE_ENV.onlineTable, FEATURE_STORE_ENV.versionsTable, FEATURE_STORE_ENV.piiSecretArn]) {
      expect(env[name], name).toMatch(/data\.terraform_remote_state\.cross-stack-reference-input-data/);
    }
    expect(env[FEATURE_STORE_ENV.configKey]).toBe('config/feature-groups.json');
    expect(c.readiness_probe.http_get.path).toBe('/readyz');
    expect(server.serviceUrl).toBe('http://feature-server.feature-server.svc:8080');
  });

  it('grants the pod role reads of the online table and the groups config, nothing else', () => {
    const role = byPath(json, 'aws_iam_role', 'FeatureServer/Resource/Role/Resource');
    expect(policy(role.assume_role_policy).Statement).toEqual([podIdentityTrustStatement(TEST_CLUSTER.clusterName, 'feature-server', 'feature-server')]);
    const statements = policy(byPath(json, 'aws_iam_role_policy', 'FeatureServer/Resource/Role/Policy/Resource').policy).Statement;
    const actions = [...new Set(statements.flatMap((s: { Action: string | string[] }) => [s.Action].flat()))].sort();
    expect(actions).toEqual(['dynamodb:BatchGetItem', 'dynamodb:ConditionCheckItem', 'dynamodb:DescribeTable', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan', 'kms:Decrypt', 'kms:DescribeKey', 's3:GetObject', 's3:GetObjectVersion']);
    const dynamo = statements.find((s: { Action: string | string[] }) => [s.Action].flat().includes('dynamodb:GetItem'));
    expect([dynamo.Resource].flat()).toEqual([expect.stringContaining('Features_Online'), expect.stringMatching(/Features_Online.*\/index\/\*$/)]);
    const s3 = statements.find((s: { Action: string | string[] }) => [s.Action].flat().includes('s3:GetObject'));
    expect([s3.Resource].flat()).toEqual([expect.stringMatching(/\/config\/feature-groups\.json$/)]);
  });

  it('admits only the named client namespace', () => {
    const ingress = byPath(json, 'kubernetes_network_policy_v1', 'FeatureServer/Resource/Ingress').spec.ingress;
    expect(ingress).toEqual([{ from: [{ namespace_selector: { match_labels: { 'kubernetes.io/metadata.name': 'assistant' } } }], ports: [{ port: '8080', protocol: 'TCP' }] }]);
    expect(byPath(json, 'kubernetes_network_policy_v1', 'FeatureServer/Resource/ClientEgress-assistant').metadata.namespace).toBe('assistant');
  });

  it('passes the policy pack with no finding, warnings included', () => {
    expect(evaluatePolicies(json as never, [...new Set([...CORE_RULES, ...KUBERNETES_RULES])])).toEqual([]);
  });
});

describe('FeatureStore servingForm', () => {
  it("'both' keeps the serving function and the API next to the container", () => {
    const stack = platformStack();
    const { kubernetes } = ClusterProviders.configure(stack, TEST_CLUSTER);
    const store = new FeatureStore(stack, 'Features', { featureGroups: [...ECOMMERCE_FEATURE_GROUPS], servingForm: 'both' });
    new FeatureServer(stack, 'Server', { store, cluster: TEST_CLUSTER, image: IMAGE, clients: [{ namespace: 'assistant' }], kubernetesProvider: kubernetes });
    const json = synth(stack);
    expect(resources(json, 'aws_lambda_function').map(([, f]) => f['//'].metadata.path).sort()).toEqual(['teststack/Features/Ingest/Resource', 'teststack/Features/Serving/Resource']);
    expect(resources(json, 'aws_apigatewayv2_api')).toHaveLength(1);
    expect(resources(json, 'kubernetes_deployment_v1')).toHaveLength(1);
  });

  it("'kubernetes': grantRead throws; grantIngest and grantDatasetRead grant no route of an API that does not exist", () => {
    const stack = platformStack();
    const store = new FeatureStore(stack, 'Features', { featureGroups: [...ECOMMERCE_FEATURE_GROUPS], servingForm: 'kubernetes' });
    const role = new Role(stack, 'Client', { assumedBy: ['lambda.amazonaws.com'] });
    expect(() => store.grantRead(role)).toThrow(/servingForm 'kubernetes'/);
    expect(store.grantIngest(role, 'customers').actions).not.toContain('execute-api:Invoke');
    expect(store.grantDatasetRead(role, 'customers').actions).not.toContain('execute-api:Invoke');
    expect(store.grantDatasetRead(role).actions).not.toContain('execute-api:Invoke');
    expect(Object.keys(FEATURE_STORE_ROUTES)).toContain('getOnlineFeatures');
    synth(stack);
  });

  it('defaults to lambda, and refuses an unknown form naming the field', () => {
    const stack = platformStack();
    expect(new FeatureStore(stack, 'Features', { featureGroups: [...ECOMMERCE_FEATURE_GROUPS] }).servingForm).toBe('lambda');
    const error = configError(() => new FeatureStore(stack, 'Other', { featureGroups: [...ECOMMERCE_FEATURE_GROUPS], servingForm: 'ecs' as never }));
    expect(error.problems.map((p) => p.fieldPath)).toEqual(['servingForm']);
  });
});

describe('FeatureServer props', () => {
  const build = (storeForm: 'lambda' | 'kubernetes', props: Partial<FeatureServerProps>) => {
    const stack = platformStack();
    const store = new FeatureStore(stack, 'Features', { featureGroups: [...ECOMMERCE_FEATURE_GROUPS], servingForm: storeForm });
    return () => new FeatureServer(stack, 'Server', { store, cluster: TEST_CLUSTER, image: IMAGE, clients: [{ namespace: 'assistant' }], ...props });
  };

  it("refuses a store whose servingForm is 'lambda'", () => {
    const error = configError(build('lambda', {}));
    expect(error.problems).toEqual([{ constructPath: 'teststack/Server', fieldPath: 'store', message: expect.stringMatching(/servingForm 'lambda'/) }]);
  });

  it('refuses missing clients, a bad namespace and bad replicas, naming each field', () => {
    const error = configError(build('kubernetes', { clients: [], namespace: 'Bad_NS', targetCpuUtilization: 5 }));
    expect(error.problems.map((p) => p.fieldPath).sort()).toEqual(['clients', 'namespace', 'targetCpuUtilization']);
    expect(configError(build('kubernetes', { store: 'features' as never })).problems.map((p) => p.fieldPath)).toEqual(['store']);
  });
});

describe('the container entry point (online mode) against embedded S3 + DynamoDB', () => {
  let testStore: TestStore;
  let container: HttpServerHandle;
  let lambda: ReturnType<typeof toLambdaHandler>;
  const saved: Record<string, string | undefined> = {};
  const sdkEnv = (t: TestStore) => ({
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_ENDPOINT_URL_DYNAMODB: t.dynamoServer.endpoint,
    AWS_ENDPOINT_URL_S3: t.s3Server.endpoint,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  const fsEnv = (t: TestStore, configKey = 'config/feature-groups.json') => ({
    [FEATURE_STORE_ENV.bucket]: t.bucket,
    [FEATURE_STORE_ENV.onlineTable]: t.onlineTable,
    [FEATURE_STORE_ENV.versionsTable]: t.versionsTable,
    [FEATURE_STORE_ENV.configKey]: configKey,
    [FEATURE_STORE_ENV.piiSecretArn]: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:pii-AbCdEf',
    PORT: '0',
    HOST: '127.0.0.1',
  });

  beforeAll(async () => {
    testStore = await startTestStore();
    const pushed = await createIngestor(testStore.deps({ creator: 'seed' })).push({
      group: 'customers',
      to: 'online',
      creator: 'seed',
      rows: [
        { customer_id: 'P000001', updated_at: '2026-02-15T00:00:00Z', email: 'fresh@mail.example.com', phone: '+1 555 000 1234', orders_count: 5, segment: 'vip' },
        { customer_id: 'P000002', updated_at: '2026-02-16T00:00:00Z', email: 'nophone@mail.example.com', phone: null, orders_count: 0 },
      ],
    });
    expect(pushed.counts.valid).toBe(2);
    // The SDK clients the entry point builds read credentials, region and endpoints from process.env.
    for (const [k, v] of Object.entries(sdkEnv(testStore))) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    container = await main({ ...process.env, ...fsEnv(testStore), [SERVER_MODE_ENV]: 'online' });
    lambda = toLambdaHandler(createServingApp(testStore.deps()));
  }, 60_000);

  afterAll(async () => {
    await container?.close();
    await testStore?.close();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  const viaContainer = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${container.url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as any };
  };
  const viaLambda = async (method: string, path: string, body?: unknown) => {
    const event = {
      version: '2.0',
      routeKey: '$default',
      rawPath: path,
      rawQueryString: '',
      headers: { 'content-type': 'application/json' },
      requestContext: { http: { method, path }, requestId: 'req-1', stage: '$default' },
      body: body === undefined ? undefined : JSON.stringify(body),
      isBase64Encoded: false,
    } as unknown as HttpApiEvent;
    const res = await lambda(event);
    return { status: res.statusCode, json: JSON.parse(res.body ?? 'null') };
  };

  it.each([
    ['features of two customers (one unknown)', { features: ['customers:orders_count', 'customers:phone', 'customers:email'], entities: { customer_id: ['P000001', 'P000002', 'C404'] } }, 200],
    ['a feature that does not exist', { features: ['customers:nope'], entities: { customer_id: ['P000001'] } }, 404],
    ['a malformed request', { features: 'customers:orders_count', entities: {} }, 400],
  ])('answers %s exactly as the Lambda form', async (_name, body, status) => {
    const [fromContainer, fromLambda] = await Promise.all([viaContainer('POST', '/get-online-features', body), viaLambda('POST', '/get-online-features', body)]);
    expect(fromContainer.status).toBe(status);
    expect(fromContainer).toEqual(fromLambda);
  });

  it('reads real online rows', async () => {
    const res = await viaContainer('POST', '/get-online-features', { features: ['customers:orders_count'], entities: { customer_id: ['P000001', 'P000002'] } });
    expect(res.json.results[1].values).toEqual([5, 0]);
  });

  it('serves only get-online-features and the probes: writes and dataset routes do not exist here', async () => {
    expect((await viaContainer('GET', '/healthz')).json).toEqual({ status: 'ok' });
    expect(await viaContainer('GET', '/readyz')).toEqual({ status: 200, json: { status: 'ready' } });
    const push = await viaContainer('POST', '/push', { group: 'customers', rows: [{ customer_id: 'X' }] });
    expect(push.status).toBe(404);
    expect(push.json.error.code).toBe('not_found');
    expect((await viaContainer('GET', '/datasets/customers/versions')).status).toBe(404);
    // The Lambda form serves the same push (same handler, full route set).
    expect((await viaLambda('POST', '/push', { group: 'customers', rows: [] })).status).toBe(400);
  });

  it('is not ready while the groups config cannot be loaded', async () => {
    const broken = await main({ ...process.env, ...fsEnv(testStore, 'config/missing.json'), [SERVER_MODE_ENV]: 'online' });
    try {
      const res = await fetch(`${broken.url}/readyz`);
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_ready');
      expect((await fetch(`${broken.url}/healthz`)).status).toBe(200);
    } finally {
      await broken.close();
    }
  });

  it('refuses an unknown FS_SERVER_MODE at start', () => {
    expect(parseServerMode(undefined)).toBe('full');
    expect(parseServerMode(' online ')).toBe('online');
    expect(() => parseServerMode('write')).toThrow(/FS_SERVER_MODE must be one of full, online/);
  });
});
