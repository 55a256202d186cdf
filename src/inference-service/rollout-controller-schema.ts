import { z } from 'zod';
import { EncryptionKey } from '../core/encryption-key';
import { LogRetentionDaysSchema } from '../core/platform-settings';
import { instanceOf } from '../core/props';
import type { ClusterReference } from '../gpu-training-cluster/cluster';
import { ModelRegistry } from '../model-registry/model-registry';
import { VariantNameSchema } from './gateway-config';
import { InferenceService } from './inference-service';
import { PrometheusSourceSchema, RolloutStepsSchema, RolloutThresholdsSchema } from './runtime/rollout/rollout-config';

const NAMESPACE = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a Kubernetes namespace name');
const OBJECT_NAME = z.string().regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, 'must be a Kubernetes object name');

/** A service described by hand (when the InferenceService construct is not in this app). */
export const RolloutServiceSchema = z.strictObject({
  namespace: NAMESPACE.describe('Namespace of the service.'),
  configMap: OBJECT_NAME.describe('The gateway ConfigMap holding `gateway.json` (InferenceService: `<name>-gateway`).'),
  variants: z
    .array(
      z.strictObject({
        name: VariantNameSchema.describe('Variant name in `gateway.json`.'),
        deployment: OBJECT_NAME.describe('Its model-server Deployment (InferenceService: `<name>-<variant>`).'),
        model: z.strictObject({
          name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'must be a registry model name'),
          alias: z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/, 'must be a registry alias such as production'),
        }),
      }),
    )
    .min(1)
    .max(16)
    .describe('Variants whose model follows a registry alias: each is the candidate when its alias moves.'),
});
export type RolloutService = z.output<typeof RolloutServiceSchema>;

const ClusterReferenceSchema = z.custom<ClusterReference>(
  (v) => v !== null && typeof v === 'object' && ['clusterName', 'endpoint', 'certificateAuthority', 'securityGroupId'].every((k) => typeof (v as Record<string, unknown>)[k] === 'string'),
  'must be a ClusterReference (GpuTrainingCluster `reference()`)',
);

export const RolloutControllerPropsSchema = z
  .strictObject({
    service: z
      .union([instanceOf(InferenceService, 'InferenceService'), RolloutServiceSchema])
      .describe('The InferenceService (its namespace, gateway ConfigMap and alias-following variants are read from it), or the same described by hand.'),
    variants: z
      .array(VariantNameSchema)
      .min(1)
      .optional()
      .describe('Variants to roll out. Default every non-shadow variant whose model is `{ name, alias }`.'),
    registry: instanceOf(ModelRegistry, 'ModelRegistry').describe('The ModelRegistry whose bus carries `AliasChanged` (and receives `RolloutStarted/Completed/RolledBack`); may live in another stack.'),
    cluster: ClusterReferenceSchema.describe('The cluster (GpuTrainingCluster `reference()`): the function calls its private API endpoint with an EKS access entry.'),
    vpc: z
      .strictObject({
        vpcId: z.string().min(1),
        subnetIds: z.array(z.string().min(1)).min(1).describe('Private subnets with a route to DynamoDB and EventBridge (NAT or VPC endpoints).'),
        securityGroupIds: z.array(z.string().min(1)).min(1).optional().describe('Security groups of the function. Default a new group allowing egress on 443 only (plus the Prometheus URL port).'),
      })
      .describe('Where the function runs: the cluster VPC (ClusterNetwork `vpcId`, `privateSubnetIds`).'),
    allowClusterApiAccess: z
      .boolean()
      .default(true)
      .describe("Add an ingress rule on 443 to the cluster security group from the function's security group (the private endpoint admits only that group by default). Default true."),
    steps: RolloutStepsSchema.default([5, 25, 50, 100]).describe('Percent of the A/B traffic the candidate gets at each step, strictly increasing; the last one is its final share. Default [5, 25, 50, 100].'),
    bakeMinutes: z.number().int().min(1).max(1440).default(10).describe('How long each step runs healthy before the next. Default 10.'),
    thresholds: RolloutThresholdsSchema.prefault({}).describe('Health thresholds of the candidate. Default error ratio 0.02, p99 30,000 ms, at least 20 requests per window.'),
    maxNoDataChecks: z
      .number()
      .int()
      .min(0)
      .max(10_000)
      .default(30)
      .describe('Consecutive one-minute checks without enough traffic, after a step\'s bake time, before rolling back; 0 holds until traffic arrives. Default 30.'),
    prometheus: PrometheusSourceSchema.prefault({ kind: 'service-proxy' }).describe(
      'Where health metrics come from: `{ kind: "service-proxy", namespace, service, port }` (through the API server, no extra network path) or `{ kind: "url", url }` (an internal endpoint reachable from the subnets). Default the service proxy of `monitoring/kube-prometheus-stack-prometheus:9090`.',
    ),
    kubernetesGroup: z
      .string()
      .regex(/^[a-z0-9][a-z0-9:._-]{0,62}$/, 'must be a Kubernetes group name')
      .optional()
      .describe('Kubernetes group of the access entry, bound by RolloutControllerAccess. Default `gaiops:rollout:<namespace>`.'),
    encryptionKey: instanceOf(EncryptionKey, 'EncryptionKey').optional().describe("Key of the state table, logs, environment and dead-letter queue; must allow `events` and `logs`. Default a new key."),
    memorySize: z.number().int().min(128).max(10240).default(256).describe('Function memory in MB. Default 256.'),
    timeoutSeconds: z.number().int().min(10).max(900).default(60).describe('Function timeout. Default 60.'),
    logRetentionDays: LogRetentionDaysSchema.optional().describe("Log retention. Default the platform's `logRetentionDays`."),
  })
  .superRefine((p, ctx) => {
    if (p.prometheus.kind === 'url' && !/^https?:\/\/[^/:]+(:\d+)?(\/|$)/.test(p.prometheus.url)) {
      ctx.addIssue({ code: 'custom', path: ['prometheus', 'url'], message: 'must be http(s)://host[:port][/path]' });
    }
  });
export type RolloutControllerProps = z.input<typeof RolloutControllerPropsSchema>;
export type RolloutControllerConfig = z.output<typeof RolloutControllerPropsSchema>;
