import { Construct } from 'constructs';
import { GaiConfigError } from '../core/errors';
import type { Grant } from '../core/iam/grant';
import { HttpWorkload } from '../core/k8s/http-workload';
import { PlatformContext } from '../core/platform-context';
import { parseProps } from '../core/props';
import { SERVER_MODE_ENV } from './runtime/server-mode';
import { FeatureServerPropsSchema, type FeatureServerConfig, type FeatureServerProps } from './feature-server-schema';

export type { FeatureServerConfig, FeatureServerProps } from './feature-server-schema';

/** `app.kubernetes.io/component` of the feature server pods. */
export const FEATURE_SERVER_COMPONENT = 'feature-server';

/**
 * The FeatureStore's online serving API as a container on EKS, next to the model servers: the
 * `feature-store-serving` runtime (the same handler as the serving Lambda) in `online` mode —
 * `POST /get-online-features` only — as an {@link HttpWorkload}: Deployment (non-root, read-only
 * root, probes on `/healthz` and `/readyz`), Service `http://<name>.<namespace>.svc:8080`, CPU HPA,
 * PodDisruptionBudget, NetworkPolicies admitting only `clients`, and a Pod Identity role that may
 * read the online table and the groups config, nothing else. Build it in a workloads stack; the
 * store (`servingForm: 'kubernetes'` or `'both'`) may live in a data stack.
 */
export class FeatureServer extends Construct {
  readonly config: FeatureServerConfig;
  readonly workload: HttpWorkload;
  /** What the store granted the server role. */
  readonly grant: Grant;
  /** `http://<name>.<namespace>.svc:8080`: clients `POST <serviceUrl>/get-online-features`. */
  readonly serviceUrl: string;

  constructor(scope: Construct, id: string, props: FeatureServerProps) {
    super(scope, id);
    const p = parseProps(this, FeatureServerPropsSchema, props);
    this.config = p;
    if (p.store.servingForm === 'lambda') {
      throw new GaiConfigError([
        {
          constructPath: this.node.path,
          fieldPath: 'store',
          message: `${p.store.node.path} has servingForm 'lambda': set it to 'kubernetes' or 'both' to serve it from the cluster`,
        },
      ]);
    }
    const ctx = PlatformContext.of(this);
    const namespace = p.namespace ?? p.name;
    this.workload = new HttpWorkload(this, 'Resource', {
      name: p.name,
      component: FEATURE_SERVER_COMPONENT,
      partOf: 'feature-store',
      namespace,
      createNamespace: p.createNamespace,
      cluster: p.cluster,
      image: p.image,
      env: { ...p.store.runtimeEnvironment, [SERVER_MODE_ENV]: 'online', AWS_REGION: ctx.region },
      readinessPath: '/readyz',
      clients: p.clients,
      clientEgressPolicies: p.clientEgressPolicies,
      replicas: p.replicas,
      targetCpuUtilization: p.targetCpuUtilization,
      resources: p.resources,
      httpsEgressCidrs: p.httpsEgressCidrs,
      runAsUser: p.runAsUser,
      kubernetesProvider: p.kubernetesProvider,
      roleDescription: `FeatureServer ${namespace}/${p.name}: online feature reads through EKS Pod Identity`,
    });
    this.grant = p.store.grantOnlineServing(this.workload.role);
    this.serviceUrl = this.workload.serviceUrl;
  }
}
