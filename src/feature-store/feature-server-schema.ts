/**
 * Props of the FeatureServer construct: the FeatureStore it serves, the cluster and image, who may
 * call it, and the workload settings shared with every gaiops in-cluster HTTP service
 * (`HttpWorkloadPropsSchema`).
 */
import { z } from 'zod';
import { serviceWorkloadShape } from '../core/k8s/http-workload';
import { instanceOfLater } from '../core/props';
import { FeatureStore } from './feature-store';

export const FeatureServerPropsSchema = z.strictObject({
  store: instanceOfLater(() => FeatureStore, 'FeatureStore').describe(
    'The FeatureStore served (may live in another stack); its `servingForm` must be `kubernetes` or `both`. The server role gets `grantOnlineServing` (online table read, groups config read).',
  ),
  ...serviceWorkloadShape({
    name: 'feature-server',
    runtime: 'feature-store-serving',
    clients: 'Who may call the server (NetworkPolicy ingress on port 8080), e.g. `[{ namespace: "chat" }]` for an InferenceService namespace; nobody else can. Required.',
  }),
});
export type FeatureServerProps = z.input<typeof FeatureServerPropsSchema>;
export type FeatureServerConfig = z.output<typeof FeatureServerPropsSchema>;
