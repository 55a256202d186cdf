/**
 * Props of the FeatureServer construct: the FeatureStore it serves, the cluster and image, who may
 * call it, and the workload settings shared with every gaiops in-cluster HTTP service
 * (`HttpWorkloadPropsSchema`).
 */
import { z } from 'zod';
import { HttpWorkloadPropsSchema } from '../core/k8s/http-workload';
import { instanceOfLater } from '../core/props';
import { FeatureStore } from './feature-store';

const w = HttpWorkloadPropsSchema.shape;

export const FeatureServerPropsSchema = z.strictObject({
  store: instanceOfLater(() => FeatureStore, 'FeatureStore').describe(
    'The FeatureStore served (may live in another stack); its `servingForm` must be `kubernetes` or `both`. The server role gets `grantOnlineServing` (online table read, groups config read).',
  ),
  cluster: w.cluster,
  image: w.image.describe('The server image: a ContainerImage of runtime `feature-store-serving`, or `ContainerImage.fromUri` with a pinned tag or digest.'),
  name: w.name.default('feature-server').describe('Name of the Deployment, Service, ServiceAccount and HPA. Default `feature-server`.'),
  namespace: w.namespace.optional().describe('Namespace. Default `name`.'),
  createNamespace: w.createNamespace,
  clients: w.clients.describe(
    'Who may call the server (NetworkPolicy ingress on port 8080), e.g. `[{ namespace: "chat" }]` for an InferenceService namespace; nobody else can. Required.',
  ),
  clientEgressPolicies: w.clientEgressPolicies,
  replicas: w.replicas,
  targetCpuUtilization: w.targetCpuUtilization,
  resources: w.resources,
  httpsEgressCidrs: w.httpsEgressCidrs,
  runAsUser: w.runAsUser,
  kubernetesProvider: w.kubernetesProvider,
});
export type FeatureServerProps = z.input<typeof FeatureServerPropsSchema>;
export type FeatureServerConfig = z.output<typeof FeatureServerPropsSchema>;
