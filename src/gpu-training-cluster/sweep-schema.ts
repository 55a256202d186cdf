import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { z } from 'zod';
import { instanceOf } from '../core/props';
import { SweepSpecSchema } from './sweep-spec-schema';

// The spec schemas are construct-free (the training-job API bundles them); re-exported here.
export * from './sweep-spec-schema';

export const HyperparameterSweepPropsSchema = SweepSpecSchema.safeExtend({
  releaseName: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]{0,51}[a-z0-9])?$/, 'must be a Helm release name (DNS-1123 label, ≤ 53 characters)')
    .optional()
    .describe('Helm release name. Default `sweep-<sweepId>`.'),
  helmProvider: instanceOf(HelmProvider, 'HelmProvider').optional().describe("Helm provider installing the chart, e.g. `ClusterProviders.configure(…).helm`. Default the stack's default `helm` provider."),
  maxHistory: z.number().int().min(1).max(100).default(10).describe('Helm revisions kept (`max_history`). Default 10.'),
  timeoutSeconds: z.number().int().min(30).max(3600).default(300).describe('Helm install/upgrade timeout (the release does not wait for trials to finish). Default 300 seconds.'),
});
export type HyperparameterSweepProps = z.input<typeof HyperparameterSweepPropsSchema>;
export type HyperparameterSweepConfig = z.output<typeof HyperparameterSweepPropsSchema>;
