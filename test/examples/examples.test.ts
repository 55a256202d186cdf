/**
 * Every example under examples/ is synthesized once (into a temp dir) and checked: each stack's
 * cdk.tf.json passes the policy pack with no unsuppressed finding, plus what the example is about.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, parseDocument } from 'yaml';

import {
  activeFindings,
  CORE_RULES,
  evaluatePolicies,
  GatewayConfigSchema,
  GatewayKeysSchema,
  hashApiKey,
  parseAllowList,
  startGateway,
  type GatewayServer,
} from '../../src';
import { main, type CliIo } from '../../src/cli/main';
import { buildRecommendationsApp, loadSweepInputs, type RecommendationsApp } from '../../examples/ecommerce-recommendations/main';
import { generateGatewayKeys, runKeysCli, type KeyRequests } from '../../examples/marketing-content/keys';
import { buildSyntheticDataApp, loadDriftInputs, type SyntheticDataApp } from '../../examples/synthetic-data/main';
import { synthesizeApp, type SynthesizedApp } from '../support/synth-app';
import { resources, type TfJson } from '../support/synth';
import { configError } from '../support/config-error';

const EXAMPLES = resolve(__dirname, '../../examples');
const tmp = mkdtempSync(join(tmpdir(), 'gaiops-examples-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Every finding the policy pack reports and nothing suppresses, as readable lines. */
function unsuppressed(stacks: Readonly<Record<string, TfJson>>): string[] {
  return Object.entries(stacks).flatMap(([name, json]) =>
    activeFindings(evaluatePolicies(json as unknown as Record<string, unknown>, CORE_RULES)).map((f) => `${name}: [${f.ruleId}] ${f.severity} ${f.address}: ${f.message}`),
  );
}

/** The one resource of `type` whose construct path (without a final `/Resource`) ends with `suffix`. */
function at(json: TfJson, type: string, suffix: string): Record<string, any> {
  const found = resources(json, type).filter(([, c]) => String(c['//']?.metadata?.path ?? '').replace(/\/Resource$/, '').endsWith(suffix));
  expect(found, `${type} at …${suffix}`).toHaveLength(1);
  return found[0][1];
}

function lambdaEnv(json: TfJson, pathSuffix: string, name: string): string {
  return at(json, 'aws_lambda_function', pathSuffix).environment.variables[name];
}

/** The apply order the CI script derives from a synthesized manifest. */
function stackOrder(outdir: string, environment: string): string[] {
  return execFileSync(process.execPath, [join(EXAMPLES, 'ci/stack-order.mjs'), join(outdir, 'manifest.json'), environment], { encoding: 'utf8' }).trim().split('\n');
}

describe('examples/ecommerce-recommendations', () => {
  let out: SynthesizedApp;
  let built: RecommendationsApp;
  beforeAll(() => {
    out = synthesizeApp((outdir) => (built = buildRecommendationsApp({ outdir })).app, 'example-ecommerce');
  });
  afterAll(() => out?.dispose());

  it('synthesizes six layered stacks, every one passing the policy pack', () => {
    expect(Object.keys(out.stacks)).toEqual(['dev-access', 'dev-addons', 'dev-cluster', 'dev-data', 'dev-observability', 'dev-workloads']);
    expect(unsuppressed(out.stacks)).toEqual([]);
  });

  it('the CI stack-order script puts every stack after its dependencies, in the documented layer order', () => {
    const order = stackOrder(out.outdir, 'dev');
    expect(order).toEqual(['dev-data', 'dev-cluster', 'dev-addons', 'dev-workloads', 'dev-observability', 'dev-access']);
    for (const [name, stack] of Object.entries(out.manifest.stacks)) {
      for (const dependency of stack.dependencies) expect(order.indexOf(dependency.split('/').at(-1)!), `${dependency} before ${name}`).toBeLessThan(order.indexOf(name));
    }
  });

  it('keeps e-mail addresses out of storage (keyed hash) and reports gender and age band for bias checks', () => {
    const config = JSON.parse(at(out.stacks['dev-data'], 'aws_s3_object', 'Features/Config').content);
    const demographics = config.groups.find((g: { name: string }) => g.name === 'customer_demographics');
    expect(demographics.features.find((f: { name: string }) => f.name === 'email').pii).toBe('hash');
    expect(demographics.sensitiveAttributes).toEqual(['gender', 'age_band']);
    expect(config.groups.map((g: { name: string }) => g.name)).toEqual(['customer_demographics', 'purchase_history', 'product_details', 'training_examples']);
  });

  it('gates promotion on recorded ranking metrics and stricter fairness thresholds', () => {
    const registry = JSON.parse(lambdaEnv(out.stacks['dev-data'], 'Registry/Handler', 'MR_CONFIG'));
    expect(registry.defaultGates.requiredMetrics).toEqual([
      { metric: 'recall_at_20', min: 0.25 },
      { metric: 'ndcg_at_20', min: 0.18 },
      { metric: 'catalog_coverage', min: 0.4 },
    ]);
    expect(registry.defaultGates.fairness).toEqual({ maxDemographicParityDifference: 0.05, minDisparateImpactRatio: 0.85, maxEqualizedOddsDifference: 0.08 });
    expect(registry.defaultGates.requireApproval).toBe(true);
  });

  it('runs an 8-trial TrainJob sweep of the two-tower model in the workloads stack, after the team namespace', () => {
    const trials = built.sweep.objects.filter((o) => o.kind === 'TrainJob');
    expect(trials).toHaveLength(8);
    const text = JSON.stringify(trials);
    expect(text).toContain('"TRAINER_DATASET_GROUP"');
    expect(text).toContain('training_examples');
    expect(text).toContain('two-tower-recommender');
    for (const t of trials) expect((t.spec as { runtimeRef: { name: string } }).runtimeRef.name).toBe('torch-distributed');
    const release = at(out.stacks['dev-workloads'], 'helm_release', 'TwoTowerSweep/Release');
    expect(release.name).toBe('sweep-two-tower-2026-11');
    // The namespace attribute refers to the team's namespace resource: created before the trials.
    expect(release.namespace).toMatch(/^\$\{kubernetes_namespace_v1\.Teams_recommendations_Namespace_[0-9A-F]+\.metadata\[0\]\.name\}$/);
    expect(release.provider).toBeUndefined();
  });

  it('A/B tests two registered versions on the custom embeddings server behind the gateway', () => {
    const workloads = out.stacks['dev-workloads'];
    const gateway = GatewayConfigSchema.parse(JSON.parse(at(workloads, 'kubernetes_config_map_v1', 'Inference-recommender/Gateway/Config').data['gateway.json']));
    expect(gateway.model).toBe('shop-recommender');
    expect(gateway.variants.map((v) => [v.name, v.weight, v.upstream, v.upstreamModel])).toEqual([
      ['control', 50, 'http://recommender-control.recommender.svc:8080', 'two-tower-recommender'],
      ['candidate', 50, 'http://recommender-candidate.recommender.svc:8080', 'two-tower-recommender'],
    ]);
    expect(gateway.fallbackVariant).toBe('control');
    for (const variant of ['control', 'candidate']) {
      const container = at(workloads, 'kubernetes_deployment_v1', `Variant-${variant}/Deployment`).spec.template.spec.container[0];
      expect(container.image).toBe('111122223333.dkr.ecr.eu-west-1.amazonaws.com/two-tower-server:1.4.0');
      expect(container.port.map((p: { container_port: number }) => p.container_port)).toEqual([8080]);
    }
    // The model-fetcher pins each variant to its exact registered version.
    const fetched = ['control', 'candidate'].map((v) => {
      const env: { name: string; value: string }[] = at(workloads, 'kubernetes_deployment_v1', `Variant-${v}/Deployment`).spec.template.spec.init_container[0].env;
      return Object.fromEntries(env.filter((e) => e.name.startsWith('MODEL_')).map((e) => [e.name, e.value]));
    });
    expect(fetched).toEqual([
      { MODEL_NAME: 'two-tower-recommender', MODEL_VERSION: '3', MODEL_DIR: '/models' },
      { MODEL_NAME: 'two-tower-recommender', MODEL_VERSION: '4', MODEL_DIR: '/models' },
    ]);
  });

  it('watches request drift, and prediction drift, bias and the A/B test against the training dataset version', () => {
    const obs = out.stacks['dev-observability'];
    const requests = JSON.parse(lambdaEnv(obs, 'Drift-recommender/Function', 'DRIFT_CONFIG'));
    expect(requests.window.prefix).toBe('gateway/recommender/');
    const predictions = JSON.parse(lambdaEnv(obs, 'Drift-two-tower-recommender-training_examples/Function', 'DRIFT_CONFIG'));
    expect(predictions.baseline.manifestKey).toBe('manifests/training_examples/3f6c1d0e9b8a7c6d5e4f30211a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d.json');
    expect(predictions.window.prefix).toBe('predictions/recommender/');
    expect(predictions.fairness).toMatchObject({ sensitiveAttributes: ['gender', 'age_band'], predictionColumn: 'recommended', labelColumn: 'purchased', disparateImpactThreshold: 0.85 });
    expect(predictions.abTest).toMatchObject({ variantColumn: 'variant', conversionColumn: 'clicked', control: 'control' });
  });

  it('refuses incomplete sweep inputs, naming the file and the field', () => {
    const file = join(tmp, 'sweep-inputs.json');
    const { registryApiUrl: _dropped, ...rest } = JSON.parse(readFileSync(join(EXAMPLES, 'ecommerce-recommendations/sweep-inputs.json'), 'utf8'));
    writeFileSync(file, JSON.stringify(rest));
    const err = configError(() => loadSweepInputs(file));
    expect(err.problems.map((p) => `${p.constructPath}: ${p.fieldPath}`)).toEqual([`${file}: registryApiUrl`]);
    // A dataset version that is not an id is caught by the sweep itself.
    writeFileSync(file, JSON.stringify({ ...rest, registryApiUrl: 'https://x.execute-api.eu-west-1.amazonaws.com', datasetVersion: 'latest' }));
    expect(configError(() => buildRecommendationsApp({ outdir: join(tmp, 'bad'), sweepInputsFile: file })).message).toContain('dataset.version');
  });
});

describe('examples/marketing-content', () => {
  const outdir = join(tmp, 'marketing');
  let stacks: Record<string, TfJson>;
  let synthCode: number;
  let stderr = '';
  beforeAll(async () => {
    const io: CliIo = { stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) }, cwd: join(EXAMPLES, 'marketing-content') };
    synthCode = await main(['synth', '--config', 'platform.yaml', '--output', outdir], io);
    stacks = Object.fromEntries(readdirSync(join(outdir, 'stacks')).map((n) => [n, JSON.parse(readFileSync(join(outdir, 'stacks', n, 'cdk.tf.json'), 'utf8')) as TfJson]));
  });

  it('synthesizes from YAML alone with `gaiops synth --config`, every stack passing the policy pack', () => {
    expect(synthCode, stderr).toBe(0);
    expect(stderr).toContain('synthesizing 5 stacks (policy pack included): mkt-data → mkt-cluster → mkt-addons → mkt-workloads → mkt-observability');
    expect(unsuppressed(stacks)).toEqual([]);
  });

  it('serves Llama 3.1 8B on the pinned vLLM image with a Mistral shadow, behind an HTTPS gateway reading the keys Secret', () => {
    const workloads = stacks['mkt-workloads'];
    const gateway = GatewayConfigSchema.parse(JSON.parse(at(workloads, 'kubernetes_config_map_v1', 'Inference-copywriter/Gateway/Config').data['gateway.json']));
    expect(gateway.variants.map((v) => [v.name, v.upstreamModel, v.weight, v.shadowPercent])).toEqual([
      ['llama', 'llama-3-1-8b-instruct', 100, 0],
      ['mistral-shadow', 'mistral-7b-instruct', 0, 5],
    ]);
    for (const v of ['llama', 'mistral-shadow']) {
      expect(at(workloads, 'kubernetes_deployment_v1', `Variant-${v}/Deployment`).spec.template.spec.container[0].image).toBe('docker.io/vllm/vllm-openai:v0.11.0');
    }
    const volumes = at(workloads, 'kubernetes_deployment_v1', 'Inference-copywriter/Gateway/Deployment').spec.template.spec.volume;
    expect(volumes.filter((v: { secret?: unknown }) => v.secret).map((v: { secret: { secret_name: string } }) => v.secret.secret_name)).toEqual(['copywriter-gateway-keys']);
    const ingress = at(workloads, 'kubernetes_ingress_v1', 'Inference-copywriter/Ingress');
    expect(ingress.metadata.annotations['alb.ingress.kubernetes.io/listen-ports']).toBe('[{"HTTPS":443}]');
    const usage = JSON.parse(lambdaEnv(stacks['mkt-observability'], 'Drift-copywriter/Function', 'DRIFT_CONFIG')).llmUsage;
    expect(usage).toMatchObject({ teamField: 'team', inputTokensField: 'usageInput', outputTokensField: 'usageOutput', costField: 'costUsd' });
  });

  const requests = parseYaml(readFileSync(join(EXAMPLES, 'marketing-content/teams.yaml'), 'utf8')) as KeyRequests;

  it('keys.ts issues random keys, stores only their sha256 with the per-team limits, valid for GatewayKeysSchema', () => {
    const { keysJson, issued, kept, revoked } = generateGatewayKeys(requests);
    expect(GatewayKeysSchema.safeParse(keysJson).success).toBe(true);
    expect(issued.map((k) => k.alias)).toEqual(['brand-studio', 'performance-ads', 'localization', 'content-ml-eval']);
    expect([kept, revoked]).toEqual([[], []]);
    expect(new Set(issued.map((k) => k.key)).size).toBe(4);
    for (const k of issued) {
      expect(k.key).toMatch(/^gk_[A-Za-z0-9_-]{43}$/);
      expect(keysJson.keys.find((e) => e.alias === k.alias)!.sha256).toBe(hashApiKey(k.key));
      expect(JSON.stringify(keysJson)).not.toContain(k.key);
    }
    expect(keysJson.keys[0]).toMatchObject({ team: 'brand', requestsPerMinute: 120, tokensPerMinute: 60000, tokenBudget: 20000000, allowVariantOverride: false });
    expect(keysJson.keys[3]).toMatchObject({ alias: 'content-ml-eval', allowVariantOverride: true });
  });

  it('keys.ts keeps existing hashes, updates limits and revokes aliases no longer requested (rotation)', () => {
    const first = generateGatewayKeys(requests).keysJson;
    const rotated: KeyRequests = {
      keys: [...requests.keys.filter((k) => k.alias !== 'localization'), { alias: 'localization-v2', team: 'localization', tokensPerMinute: 80000 }].map((k) =>
        k.alias === 'brand-studio' ? { ...k, tokenBudget: 40000000 } : k,
      ),
    };
    const second = generateGatewayKeys(rotated, first);
    expect(second.kept).toEqual(['brand-studio', 'performance-ads', 'content-ml-eval']);
    expect(second.issued.map((k) => k.alias)).toEqual(['localization-v2']);
    expect(second.revoked).toEqual(['localization']);
    const brand = second.keysJson.keys.find((k) => k.alias === 'brand-studio')!;
    expect(brand.sha256).toBe(first.keys[0].sha256);
    expect(brand.tokenBudget).toBe(40000000);
  });

  it('keys.ts as a command: prints each key once, writes keys.json, and refuses bad requests naming the field', () => {
    const keysFile = join(tmp, 'keys.json');
    let stdout = '';
    let errors = '';
    const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (errors += s) } };
    expect(runKeysCli([join(EXAMPLES, 'marketing-content/teams.yaml'), '--out', keysFile], io)).toBe(0);
    const written = GatewayKeysSchema.parse(JSON.parse(readFileSync(keysFile, 'utf8')));
    const printed = stdout.trim().split('\n').map((line) => line.split('\t'));
    expect(printed.map(([alias]) => alias)).toEqual(written.keys.map((k) => k.alias));
    for (const [alias, key] of printed) expect(hashApiKey(key)).toBe(written.keys.find((k) => k.alias === alias)!.sha256);
    expect(errors).toContain('4 new key(s)');

    const bad = join(tmp, 'bad-teams.yaml');
    writeFileSync(bad, 'keys:\n  - alias: Brand Studio\n    tokensPerMinute: 0\n');
    errors = '';
    expect(runKeysCli([bad, '--out', join(tmp, 'never.json')], io)).toBe(2);
    expect(errors).toContain('keys[0].alias');
    expect(errors).toContain('keys[0].tokensPerMinute');
    expect(runKeysCli([bad], io)).toBe(2);
  });

  describe('the synthesized gateway.json with a generated keys.json, on the real gateway', () => {
    let server: GatewayServer;
    let issued: { alias: string; key: string }[];
    beforeAll(async () => {
      const generated = generateGatewayKeys(requests);
      issued = [...generated.issued];
      const configPath = join(tmp, 'gateway.json');
      const keysPath = join(tmp, 'gateway-keys.json');
      writeFileSync(configPath, at(stacks['mkt-workloads'], 'kubernetes_config_map_v1', 'Inference-copywriter/Gateway/Config').data['gateway.json']);
      writeFileSync(keysPath, JSON.stringify(generated.keysJson));
      server = await startGateway({ configPath, keysPath, accessLog: null });
    });
    afterAll(() => server?.close());

    it('admits every issued key and refuses any other', async () => {
      for (const { key } of issued) {
        const res = await fetch(`${server.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
        expect(res.status).toBe(200);
        expect(((await res.json()) as { data: { id: string }[] }).data.map((m) => m.id)).toEqual(['marketing-copywriter']);
      }
      const refused = await fetch(`${server.url}/v1/models`, { headers: { authorization: `Bearer gk_${'A'.repeat(43)}` } });
      expect(refused.status).toBe(401);
    });
  });
});

describe('examples/synthetic-data', () => {
  let out: SynthesizedApp;
  let built: SyntheticDataApp;
  beforeAll(() => {
    out = synthesizeApp((outdir) => (built = buildSyntheticDataApp({ outdir })).app, 'example-synthetic');
  });
  afterAll(() => out?.dispose());

  it('synthesizes the prod platform, every stack passing the policy pack, with S3 state and lockfile locking', () => {
    expect(Object.keys(out.stacks)).toEqual(['prod-access', 'prod-addons', 'prod-cluster', 'prod-data', 'prod-observability', 'prod-workloads']);
    expect(unsuppressed(out.stacks)).toEqual([]);
    const backend = (out.stacks['prod-data'] as unknown as { terraform: { backend: { s3: Record<string, unknown> } } }).terraform.backend.s3;
    expect(backend).toMatchObject({ bucket: 'pharma-terraform-state-111122223333', key: 'gaiops/rwe-prod/prod-data.tfstate', encrypt: true, use_lockfile: true });
    expect(built.platform.settings.ephemeral).toBe(false);
    expect(stackOrder(out.outdir, 'prod')).toEqual(['prod-data', 'prod-cluster', 'prod-addons', 'prod-workloads', 'prod-observability', 'prod-access']);
  });

  it('drops, hashes or masks patient identifiers; the synthetic group has none', () => {
    const config = JSON.parse(at(out.stacks['prod-data'], 'aws_s3_object', 'Features/Config').content);
    const pii = (group: string) =>
      Object.fromEntries(config.groups.find((g: { name: string }) => g.name === group).features.filter((f: { pii?: string }) => f.pii).map((f: { name: string; pii: string }) => [f.name, f.pii]));
    expect(pii('patients')).toEqual({ mrn: 'hash', full_name: 'drop', email: 'drop', postcode: 'mask' });
    expect(pii('synthetic_patients')).toEqual({});
    expect(built.platform.config.data.dataClassification).toBe('restricted');
  });

  it('requires privacy and utility metrics before the generator is promoted', () => {
    const registry = JSON.parse(lambdaEnv(out.stacks['prod-data'], 'Registry/Handler', 'MR_CONFIG'));
    expect(registry.defaultGates.requiredMetrics).toEqual([
      { metric: 'dcr_5th_percentile', min: 0.05 },
      { metric: 'membership_inference_auc', max: 0.55 },
      { metric: 'tstr_auc_ratio', min: 0.9 },
    ]);
  });

  it('lets the synthesis team read the real data and the analytics team the synthetic data only', () => {
    const workloads = out.stacks['prod-workloads'];
    const policyOf = (team: string) => at(workloads, 'aws_iam_role_policy', `Teams/${team}/Role/Policy`).policy as string;
    expect(policyOf('synthesis')).toContain('offline/patients/*');
    expect(policyOf('synthesis')).toContain('offline/lab_results/*');
    expect(policyOf('analytics')).toContain('offline/synthetic_patients/*');
    expect(policyOf('analytics')).not.toMatch(/offline\/(patients|lab_results)\//);
    const quota = (team: string) => at(workloads, 'kubernetes_resource_quota_v1', `Teams/${team}/ResourceQuota`).spec.hard['requests.nvidia.com/gpu'];
    expect([quota('synthesis'), quota('analytics')]).toEqual(['4', '0']);
  });

  it('compares synthetic with real distributions in a CronJob in the cluster, alerting on drift', () => {
    const obs = out.stacks['prod-observability'];
    const cron = at(obs, 'kubernetes_cron_job_v1', 'SyntheticVsRealJob');
    expect(cron.spec.schedule).toBe('0 5 * * *');
    const env = cron.spec.job_template.spec.template.spec.container[0].env;
    const drift = JSON.parse(env.find((e: { name: string }) => e.name === 'DRIFT_CONFIG').value);
    expect(drift.baseline.manifestKey).toBe('manifests/patients/8e2a4c6e8a0c2e4a6c8e0a2c4e6a8c0e2a4c6e8a0c2e4a6c8e0a2c4e6a8c0e2a.json');
    expect(drift.window).toMatchObject({ prefix: 'offline/synthetic_patients/', lookbackHours: 168 });
    expect(drift.columns.map((c: { name: string }) => c.name)).toEqual(['sex', 'age_band', 'diagnosis_code', 'hba1c', 'bmi', 'systolic_bp', 'smoker', 'readmitted_30d']);
    expect(drift.outputs.topicArn).toMatch(/aws_sns_topic\.Alarms_AlertTopic/);
    // No Lambda for this analysis: it runs only in the cluster.
    expect(resources(obs, 'aws_lambda_function').filter(([, r]) => String(r['//']?.metadata?.path).includes('SyntheticVsReal'))).toEqual([]);
    expect(built.job.node.scope).toBe(built.platform.stacks.observability);
  });

  it('refuses a drift input that is not a dataset version id, naming the field', () => {
    const file = join(tmp, 'drift-inputs.json');
    writeFileSync(file, JSON.stringify({ realDatasetVersion: 'v1', extra: true }));
    const err = configError(() => buildSyntheticDataApp({ outdir: join(tmp, 'bad-synth'), driftInputsFile: file }));
    expect(err.problems.map((p) => `${p.constructPath}: ${p.fieldPath}`).sort()).toEqual([`${file}: <props>`, `${file}: realDatasetVersion`]);
    expect(err.message).toContain('must be a dataset version id');
    writeFileSync(file, JSON.stringify({ realDatasetVersion: 'f'.repeat(64) }));
    expect(loadDriftInputs(file).realDatasetVersion).toBe('f'.repeat(64));
  });
});

describe('examples/ci', () => {
  const text = readFileSync(join(EXAMPLES, 'ci/github-actions.yml'), 'utf8');
  const doc = parseDocument(text);
  const workflow = doc.toJS() as {
    on: Record<string, unknown>;
    permissions: Record<string, string>;
    jobs: Record<string, { if?: string; environment?: unknown; permissions?: Record<string, string>; steps: { uses?: string; run?: string; name?: string; with?: Record<string, unknown> }[] }>;
  };
  const steps = Object.values(workflow.jobs).flatMap((j) => j.steps);

  it('is valid YAML with a pull-request and a main trigger', () => {
    expect(doc.errors).toEqual([]);
    expect(Object.keys(workflow.on).sort()).toEqual(['pull_request', 'push', 'workflow_dispatch']);
  });

  it('pins every action to a full commit SHA, with the release named in a comment', () => {
    const uses = steps.filter((s) => s.uses).map((s) => s.uses!);
    expect(uses.length).toBeGreaterThanOrEqual(8);
    for (const u of uses) expect(u).toMatch(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+(\/[A-Za-z0-9_./-]+)?@[0-9a-f]{40}$/);
    for (const line of text.split('\n').filter((l) => /^\s*(-\s+)?uses:/.test(l))) expect(line).toMatch(/@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
    expect(uses).toContain('aws-actions/configure-aws-credentials@e3dd6a429d7300a6a4c196c26e071d42e0343502');
  });

  it('grants minimal permissions: read the repository, plus an OIDC token where AWS is assumed', () => {
    expect(workflow.permissions).toEqual({ contents: 'read' });
    for (const [name, job] of Object.entries(workflow.jobs)) {
      const assumesAws = job.steps.some((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials@'));
      expect(job.permissions, name).toEqual(assumesAws ? { contents: 'read', 'id-token': 'write' } : undefined);
    }
    expect(text).not.toMatch(/write-all|aws-access-key-id|aws-secret-access-key/);
    for (const s of steps.filter((x) => x.uses?.startsWith('actions/checkout@'))) expect(s.with?.['persist-credentials']).toBe(false);
  });

  it('validates with the policy pack and plan-guards every plan before anything is applied', () => {
    for (const job of Object.values(workflow.jobs)) {
      const runs = job.steps.map((s) => s.run ?? '');
      const synth = runs.findIndex((r) => r.includes('npx gaiops synth'));
      const validate = runs.findIndex((r) => r.includes('npx gaiops validate --json'));
      const planned = runs.findIndex((r) => /terraform -chdir="\$dir" plan .*-out=tfplan/.test(r));
      expect(synth).toBeGreaterThanOrEqual(0);
      expect(validate).toBeGreaterThan(synth);
      expect(planned).toBeGreaterThan(validate);
      const loop = runs[planned];
      const show = loop.indexOf('show -json tfplan');
      const guard = loop.indexOf('npx gaiops plan-guard "plans/$stack.json" --allow plan-guard-allow.yaml');
      expect(show).toBeGreaterThan(loop.indexOf('-out=tfplan'));
      expect(guard).toBeGreaterThan(show);
      const apply = loop.indexOf(' apply ');
      if (apply >= 0) expect(apply).toBeGreaterThan(guard);
      // Nothing applies outside the guarded loop, and only the saved plan is applied.
      runs.forEach((r, i) => {
        if (i !== planned) expect(r).not.toMatch(/terraform\b.*\bapply\b/);
      });
      if (apply >= 0) expect(loop).toMatch(/terraform -chdir="\$dir" apply -input=false -lock-timeout=5m tfplan/);
    }
  });

  it('applies only on main, in the manifest order, behind an environment approval', () => {
    const appliers = Object.entries(workflow.jobs).filter(([, j]) => j.steps.some((s) => /terraform\b.*\bapply\b/.test(s.run ?? '')));
    expect(appliers.map(([n]) => n)).toEqual(['apply']);
    const [, apply] = appliers[0];
    expect(apply.environment).toBe('production');
    expect(apply.if).toContain("github.ref == 'refs/heads/main'");
    expect(apply.if).not.toContain('pull_request');
    expect(workflow.jobs.plan.if).toBe("github.event_name == 'pull_request'");
    for (const job of Object.values(workflow.jobs)) {
      expect(job.steps.some((s) => (s.run ?? '').includes('node .github/scripts/stack-order.mjs cdktf.out/manifest.json "$PLATFORM_ENV"'))).toBe(true);
    }
  });

  it('ships a valid plan-guard allow-list', () => {
    const entries = parseAllowList(parseYaml(readFileSync(join(EXAMPLES, 'ci/plan-guard-allow.yaml'), 'utf8')));
    expect(entries.map((e) => e.address)).toEqual(['aws_kms_key.Drift-recommender_Key_DBE40DD4']);
  });
});
