/**
 * Props of `DriftJob` (the drift analysis as a Kubernetes CronJob) and the conversion of a
 * DriftDetector's EventBridge schedule into a Kubernetes cron schedule.
 */
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { z } from 'zod';
import { instanceOf, instanceOfLater, isToken } from '../core/props';
import type { ClusterReference } from '../gpu-training-cluster/cluster';
import { QUANTITY_PATTERN, quantityValue } from '../gpu-training-cluster/teams-schema';
import { ImageSchema } from '../inference-service/schema';
import { DriftDetector } from './drift-detector';
import { NodeSelectorSchema, TolerationsSchema } from '../core/k8s/scheduling';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** CronJob names: the controller appends `-<11 digits>` to Job names, which must stay ≤ 63. */
const CRON_JOB_NAME = /^[a-z0-9]([-a-z0-9]{0,50}[a-z0-9])?$/;
const CIDR = /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/;

/** A five-field Kubernetes cron expression (minute hour day-of-month month day-of-week; names and `?` allowed). */
const KUBERNETES_CRON = /^\s*(\S+\s+){4}\S+\s*$/;

/**
 * The Kubernetes (five-field, UTC via the CronJob's `timeZone`) equivalent of an EventBridge
 * schedule expression, or `{ problem }` when there is none:
 * - `rate(N minutes)` → `*∕N * * * *` when N divides 60; `rate(N hours)` → `0 *∕N * * *` when N
 *   divides 24; `rate(1 day)` → `0 0 * * *`. (EventBridge rates count from the rule's creation;
 *   the CronJob runs on the clock: same period, aligned to the hour or day.)
 * - `cron(min hour dom month dow year)` → the first five fields with `?` as `*` and numeric days
 *   of the week moved from EventBridge's 1–7 (SUN = 1) to 0–6 (SUN = 0); `year` must be `*`;
 *   `L`, `W` and `#` have no Kubernetes equivalent.
 */
export function kubernetesSchedule(expression: string): { schedule: string } | { problem: string } {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const n = Number(rate[1]);
    const unit = rate[2].replace(/s$/, '');
    if (unit === 'minute' && n >= 1 && 60 % n === 0) return { schedule: n === 1 ? '* * * * *' : `*/${n} * * * *` };
    if (unit === 'hour' && n >= 1 && 24 % n === 0) return { schedule: n === 1 ? '0 * * * *' : `0 */${n} * * *` };
    if (unit === 'day' && n === 1) return { schedule: '0 0 * * *' };
    return { problem: `${expression} has no cron equivalent (minutes must divide 60, hours 24, days be 1): set schedule` };
  }
  const cron = /^cron\((.+)\)$/.exec(expression);
  if (!cron) return { problem: `${expression} is not an EventBridge rate(…) or cron(…) expression` };
  const fields = cron[1].trim().split(/\s+/);
  if (fields.length !== 6) return { problem: `${expression} must have 6 fields (minutes hours day-of-month month day-of-week year)` };
  const [minute, hour, dom, month, dow, year] = fields;
  if (year !== '*') return { problem: `${expression} restricts the year, which Kubernetes cron cannot: set schedule` };
  if ([dom, dow].some((f) => /[LW#]/i.test(f.replace(/MON|TUE|WED|THU|FRI|SAT|SUN/gi, '')))) {
    return { problem: `${expression} uses L, W or #, which Kubernetes cron cannot express: set schedule` };
  }
  const star = (f: string) => (f === '?' ? '*' : f);
  const weekday = star(dow).replace(/\d+/g, (d, offset: number, all: string) => (all[offset - 1] === '/' ? d : String(Number(d) - 1)));
  return { schedule: [minute, hour, star(dom), month, weekday].join(' ') };
}

const quantity = (what: 'CPU' | 'memory', example: string) => z.string().regex(QUANTITY_PATTERN, `must be a Kubernetes ${what} quantity such as ${example}`);

/** Default resources: sized for windows too big for Lambda (the detector's sketches bound memory; the CPU streams and decodes). */
export const DRIFT_JOB_DEFAULT_RESOURCES = { cpuRequest: '2', cpuLimit: '2', memoryRequest: '8Gi', memoryLimit: '8Gi' } as const;

const DriftJobResourcesSchema = z
  .strictObject({
    cpuRequest: quantity('CPU', '500m or 2').default(DRIFT_JOB_DEFAULT_RESOURCES.cpuRequest).describe('CPU request. Default `2`.'),
    cpuLimit: quantity('CPU', '500m or 2').default(DRIFT_JOB_DEFAULT_RESOURCES.cpuLimit).describe('CPU limit. Default `2`.'),
    memoryRequest: quantity('memory', '512Mi or 8Gi').default(DRIFT_JOB_DEFAULT_RESOURCES.memoryRequest).describe('Memory request. Default `8Gi`.'),
    memoryLimit: quantity('memory', '512Mi or 8Gi')
      .default(DRIFT_JOB_DEFAULT_RESOURCES.memoryLimit)
      .describe('Memory limit; the Node.js heap is capped at 75 % of it (`NODE_OPTIONS=--max-old-space-size`). Default `8Gi`.'),
  })
  .superRefine((r, ctx) => {
    const exceeds = (request: 'cpuRequest' | 'memoryRequest', limit: 'cpuLimit' | 'memoryLimit') => (quantityValue(r[request]) ?? 0) > (quantityValue(r[limit]) ?? Infinity);
    if (exceeds('cpuRequest', 'cpuLimit')) ctx.addIssue({ code: 'custom', path: ['cpuRequest'], message: `must not exceed cpuLimit (${r.cpuLimit})` });
    if (exceeds('memoryRequest', 'memoryLimit')) ctx.addIssue({ code: 'custom', path: ['memoryRequest'], message: `must not exceed memoryLimit (${r.memoryLimit})` });
    if ((quantityValue(r.memoryLimit) ?? Infinity) < 256 * 2 ** 20) ctx.addIssue({ code: 'custom', path: ['memoryLimit'], message: 'must be at least 256Mi' });
  });

const ClusterReferenceSchema = z.custom<ClusterReference>(
  (v) => v !== null && typeof v === 'object' && typeof (v as ClusterReference).clusterName === 'string',
  'must be a ClusterReference (GpuTrainingCluster.reference())',
);

const DetectorRef = instanceOfLater(() => DriftDetector, 'DriftDetector');

export const DriftJobPropsSchema = z
  .strictObject({
  detector: DetectorRef.refine((d) => !(d instanceof DriftDetector) || d.runAs === 'kubernetes', "must be a DriftDetector with runAs: 'kubernetes' (a 'lambda' detector already runs on its own schedule)").describe(
    "The DriftDetector (`runAs: 'kubernetes'`) whose analysis this CronJob runs: its config and environment, grants, schedule and metrics namespace.",
  ),
  cluster: ClusterReferenceSchema.describe('The cluster (GpuTrainingCluster `reference()`): its name scopes the Pod Identity association and the role trust.'),
  kubernetesProvider: instanceOf(KubernetesProvider, 'KubernetesProvider')
    .optional()
    .describe("Kubernetes provider for the namespace, ServiceAccount, CronJob and NetworkPolicies. Default the stack's default `kubernetes` provider."),
  namespace: z.string().regex(DNS_LABEL, 'must be a Kubernetes namespace name').default('gaiops-drift').describe('Namespace of the job. Default `gaiops-drift`.'),
  createNamespace: z
    .boolean()
    .default(true)
    .describe('Create the namespace (Pod Security `restricted` enforced) and its default-deny NetworkPolicies; `false` uses an existing namespace, whose policies then apply (the job adds only its own egress policy). Default true.'),
  name: z
    .string()
    .regex(CRON_JOB_NAME, 'must be a DNS-1123 label of at most 52 characters')
    .optional()
    .describe('Name of the CronJob, ServiceAccount and egress NetworkPolicy. Default `drift-<model>` (lower-cased, other characters as `-`, cut to 52).'),
  image: ImageSchema.optional().describe('The drift runtime image: a ContainerImage or a pinned URI. Default a new ContainerImage of runtime `monitoring-drift`.'),
  schedule: z
    .string()
    .regex(KUBERNETES_CRON, 'must be a five-field Kubernetes cron expression such as 0 * * * *')
    .optional()
    .describe("Kubernetes cron schedule (UTC). Default the detector's `schedule` converted (`rate(1 hour)` → `0 * * * *`; see `kubernetesSchedule`)."),
  startingDeadlineSeconds: z.number().int().min(10).max(86_400).default(600).describe('A run that could not start within this many seconds of its time is skipped. Default 600.'),
  backoffLimit: z.number().int().min(0).max(10).default(1).describe('Retries of a failed pod (exit 1: an AWS or other transient error); exit 2 (bad config) and 3 (baseline or window refused) fail the Job at once. Default 1.'),
  activeDeadlineSeconds: z.number().int().min(60).max(7 * 86_400).default(21_600).describe('The Job (all attempts) is stopped after this many seconds. Default 21,600 (6 h).'),
  ttlSecondsAfterFinished: z.number().int().min(0).max(30 * 86_400).default(86_400).describe('Finished Jobs and their pods (and logs) are deleted after this many seconds. Default 86,400 (1 day).'),
  resources: DriftJobResourcesSchema.prefault({}).describe('Container resources. Default requests = limits = 2 CPU, 8Gi memory.'),
  tmpSize: quantity('memory', '1Gi').default('1Gi').describe('Size limit of the `/tmp` emptyDir (the only writable path). Default `1Gi`.'),
  runAsUser: z.number().int().min(1).max(2_147_483_647).default(1000).describe('UID and GID of the container (the image\'s `node` user). Default 1000.'),
  nodeSelector: NodeSelectorSchema.optional().describe('Node selector of the pods. Default none.'),
  tolerations: TolerationsSchema
    .optional()
    .describe('Tolerations of the pods. Default none.'),
  httpsEgressCidrs: z
    .array(z.string().refine((c) => isToken(c) || CIDR.test(c), 'must be an IPv4 CIDR such as 10.0.0.0/16'))
    .min(1)
    .default(['0.0.0.0/0'])
    .describe('Where the pods may open HTTPS (S3, SNS, CloudWatch, STS: their VPC endpoints or the NAT). Default `0.0.0.0/0`.'),
  })
  .superRefine((p, ctx) => {
    if (p.schedule !== undefined || !(p.detector instanceof DriftDetector)) return;
    const converted = kubernetesSchedule(p.detector.schedule);
    if ('problem' in converted) ctx.addIssue({ code: 'custom', path: ['schedule'], message: converted.problem });
  });
export type DriftJobProps = z.input<typeof DriftJobPropsSchema>;
export type DriftJobConfig = z.output<typeof DriftJobPropsSchema>;
