import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { activeFindings, CORE_RULES, evaluatePolicies } from '../../src';
import { buildReferenceApp } from '../../stacks/main';

const outdir = mkdtempSync(join(tmpdir(), 'gaiops-ref-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('reference deployment (stacks/main.ts)', () => {
  buildReferenceApp({ outdir }).synth();
  const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8'));
  const stackJson = JSON.parse(readFileSync(join(outdir, 'stacks/foundation/cdk.tf.json'), 'utf8'));

  const dataJson = JSON.parse(readFileSync(join(outdir, 'stacks/data/cdk.tf.json'), 'utf8'));
  const clusterJson = JSON.parse(readFileSync(join(outdir, 'stacks/cluster/cdk.tf.json'), 'utf8'));

  it('synthesizes every stack with no policy errors or warnings', () => {
    expect(Object.keys(manifest.stacks).sort()).toEqual(['cluster', 'data', 'foundation']);
    for (const [name, stack] of Object.entries(manifest.stacks) as [string, { annotations: unknown[] }][]) {
      expect(stack.annotations, name).toEqual([]);
    }
    expect(activeFindings(evaluatePolicies(stackJson, CORE_RULES))).toEqual([]);
    expect(activeFindings(evaluatePolicies(dataJson, CORE_RULES))).toEqual([]);
    expect(activeFindings(evaluatePolicies(clusterJson, CORE_RULES))).toEqual([]);
  });

  it('puts the network, the private EKS cluster and Karpenter IAM in the cluster stack', () => {
    const eks = Object.values(clusterJson.resource.aws_eks_cluster as Record<string, { name: string; vpc_config: { endpoint_public_access: boolean } }>);
    expect(eks).toHaveLength(1);
    expect(eks[0].name).toBe('gai-dev-training');
    expect(eks[0].vpc_config.endpoint_public_access).toBe(false);
    expect(Object.keys(clusterJson.resource.aws_nat_gateway)).toHaveLength(1);
    expect(Object.keys(clusterJson.output).sort()).toEqual(['cluster_endpoint', 'cluster_name', 'karpenter_interruption_queue', 'karpenter_node_role']);
  });

  it('puts the FeatureStore and the ModelRegistry in the data stack', () => {
    const paths = Object.values(dataJson.resource as Record<string, Record<string, { '//': { metadata: { path: string } } }>>)
      .flatMap((byName) => Object.values(byName))
      .map((r) => r['//'].metadata.path);
    expect(paths.some((p) => p.startsWith('data/Features/'))).toBe(true);
    expect(paths.some((p) => p.startsWith('data/Registry/'))).toBe(true);
    expect(Object.keys(dataJson.resource.aws_glue_catalog_table)).toHaveLength(2);
    expect(Object.keys(dataJson.resource.aws_cloudwatch_event_bus)).toHaveLength(1);
    expect(Object.keys(dataJson.output).sort()).toEqual([
      'feature_api_url',
      'feature_bucket',
      'feature_glue_database',
      'registry_api_url',
      'registry_artifact_bucket',
      'registry_event_bus',
    ]);
  });

  it('contains every core piece', () => {
    for (const type of [
      'aws_kms_key',
      'aws_s3_bucket',
      'aws_s3_bucket_logging',
      'aws_dynamodb_table',
      'aws_lambda_function',
      'aws_cloudwatch_log_group',
      'aws_sqs_queue',
      'aws_ecr_repository',
      'terraform_data',
    ]) {
      expect(Object.keys(stackJson.resource[type] ?? {}).length, type).toBeGreaterThan(0);
    }
    expect(Object.keys(stackJson.output)).toEqual(['dataset_versions_table', 'datasets_bucket', 'object_digest_function', 'object_digest_image']);
    expect(stackJson['//'].gaiops).toEqual({ platform: 'gai', environment: 'dev', ephemeral: true });
  });

  it('ships the Lambda zip and the container context as assets beside the stack', () => {
    const fn = Object.values(stackJson.resource.aws_lambda_function)[0] as { filename: string };
    expect(existsSync(join(outdir, 'stacks/foundation', fn.filename))).toBe(true);
    const publish = Object.values(stackJson.resource.terraform_data)[0] as { provisioner: { 'local-exec': { environment: { CONTEXT: string } } }[] };
    const context = join(outdir, 'stacks/foundation', publish.provisioner[0]['local-exec'].environment.CONTEXT);
    expect(existsSync(join(context, 'Dockerfile'))).toBe(true);
    expect(existsSync(join(context, 'index.js'))).toBe(true);
  });

  it('is reproducible: a second synth gives the same stack JSON', () => {
    const again = mkdtempSync(join(tmpdir(), 'gaiops-ref-'));
    try {
      buildReferenceApp({ outdir: again }).synth();
      for (const stack of ['foundation', 'data', 'cluster']) {
        expect(readFileSync(join(again, `stacks/${stack}/cdk.tf.json`), 'utf8')).toBe(readFileSync(join(outdir, `stacks/${stack}/cdk.tf.json`), 'utf8'));
      }
    } finally {
      rmSync(again, { recursive: true, force: true });
    }
  });
});
