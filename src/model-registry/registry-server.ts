import { Construct } from 'constructs';
import type { Grant, IGrantable } from '../core/iam/grant';
import { HttpWorkload } from '../core/k8s/http-workload';
import { PlatformContext } from '../core/platform-context';
import { parseProps } from '../core/props';
import { Lazy } from '../core/tf';
import { REGISTRY_GRANT_KINDS, type ModelRegistry, type RegistryRouteKind } from './model-registry';
import { MODEL_REGISTRY_ENV } from './registry-config';
import { RegistryServerPropsSchema, type RegistryAccessLevel, type RegistryServerConfig, type RegistryServerProps } from './registry-server-schema';
import { CALLER_IDENTITY_ENV, type RegistryAccess } from './runtime/caller-identity';

export type { RegistryServerConfig, RegistryServerProps } from './registry-server-schema';

/** `app.kubernetes.io/component` of the registry server pods. */
export const REGISTRY_SERVER_COMPONENT = 'registry-server';

/**
 * The ModelRegistry API as a container on EKS, for training jobs that register models without
 * leaving the VPC: the `model-registry` runtime (the same handler as the registry Lambda, the same
 * `MR_*` environment) as an {@link HttpWorkload} — Deployment, Service
 * `http://<name>.<namespace>.svc:8080`, CPU HPA, PodDisruptionBudget, NetworkPolicies admitting only
 * `clients` (the training team namespaces), and a Pod Identity role with the registry function's
 * DynamoDB, S3, KMS and EventBridge permissions.
 *
 * Callers authenticate with STS identity tokens minted for `audience` (`RegistryClient` option
 * `identityToken`); the server verifies them with STS and authorizes each route as the Lambda
 * form's IAM grants would (`callers`, `grantRead`, `grantRegister`, `grantApprove`, `grantAdmin`).
 * Build it in a workloads stack; the registry may live in a data stack.
 */
export class RegistryServer extends Construct {
  readonly config: RegistryServerConfig;
  readonly registry: ModelRegistry;
  readonly workload: HttpWorkload;
  /** The audience identity tokens must name (`MR_IDENTITY_AUDIENCE`). */
  readonly audience: string;
  /** `http://<name>.<namespace>.svc:8080`: the `baseUrl` of a RegistryClient in the cluster. */
  readonly serviceUrl: string;
  private readonly callers: { principalArn: string; kinds: RegistryRouteKind[] }[] = [];

  constructor(scope: Construct, id: string, props: RegistryServerProps) {
    super(scope, id);
    const p = parseProps(this, RegistryServerPropsSchema, props);
    this.config = p;
    this.registry = p.registry;
    const ctx = PlatformContext.of(this);
    const namespace = p.namespace ?? p.name;
    this.audience = p.audience ?? `${p.name}.${namespace}.svc`;

    // The registry function's MR_* variables (MR_CONFIG is rendered at synth, approvers included).
    const lambdaEnv = p.registry.handler.resource.environmentInput?.variables ?? {};
    const registryEnv = Object.fromEntries(Object.values(MODEL_REGISTRY_ENV).map((name) => [name, lambdaEnv[name]]));

    this.workload = new HttpWorkload(this, 'Resource', {
      name: p.name,
      component: REGISTRY_SERVER_COMPONENT,
      partOf: 'model-registry',
      namespace,
      createNamespace: p.createNamespace,
      cluster: p.cluster,
      image: p.image,
      env: {
        ...registryEnv,
        [CALLER_IDENTITY_ENV.audience]: this.audience,
        [CALLER_IDENTITY_ENV.access]: Lazy.stringValue({ produce: () => JSON.stringify(this.accessDocument()) }),
        AWS_REGION: ctx.region,
      },
      // The registry has no warm-up: serving /healthz means ready.
      readinessPath: '/healthz',
      clients: p.clients,
      clientEgressPolicies: p.clientEgressPolicies,
      replicas: p.replicas,
      targetCpuUtilization: p.targetCpuUtilization,
      resources: p.resources,
      httpsEgressCidrs: p.httpsEgressCidrs,
      runAsUser: p.runAsUser,
      kubernetesProvider: p.kubernetesProvider,
      roleDescription: `RegistryServer ${namespace}/${p.name}: the model registry API through EKS Pod Identity`,
    });
    p.registry.grantApiRuntime(this.workload.role);
    for (const c of p.callers) this.allow(c.principalArn, c.access);
    this.serviceUrl = this.workload.serviceUrl;
  }

  /** Read routes on this server, plus `ModelRegistry.grantRead` (artifact reads, the HTTP API's read routes). */
  grantRead(grantee: IGrantable): Grant {
    this.allow(grantee.grantPrincipal.roleArn, 'read');
    return this.registry.grantRead(grantee);
  }

  /** Read, write and deploy routes on this server, plus `ModelRegistry.grantRegister` (artifact uploads). */
  grantRegister(grantee: IGrantable): Grant {
    this.allow(grantee.grantPrincipal.roleArn, 'register');
    return this.registry.grantRegister(grantee);
  }

  /** Read and approve routes on this server, plus `ModelRegistry.grantApprove` (which makes the role an approver). */
  grantApprove(grantee: IGrantable): Grant {
    this.allow(grantee.grantPrincipal.roleArn, 'approve');
    return this.registry.grantApprove(grantee);
  }

  /** Every route on this server, plus `ModelRegistry.grantAdmin`. */
  grantAdmin(grantee: IGrantable): Grant {
    this.allow(grantee.grantPrincipal.roleArn, 'admin');
    return this.registry.grantAdmin(grantee);
  }

  /** `MR_ACCESS` as the runtime reads it: the registry's route table and the callers' route kinds. */
  accessDocument(): RegistryAccess {
    return {
      version: 1,
      routes: this.registry.routes.map(({ method, path, kind }) => ({ method, path, kind })),
      callers: this.callers.map((c) => ({ principalArn: c.principalArn, kinds: [...c.kinds] })),
    } as RegistryAccess;
  }

  private allow(principalArn: string, access: RegistryAccessLevel): void {
    const kinds = REGISTRY_GRANT_KINDS[access];
    const existing = this.callers.find((c) => c.principalArn === principalArn);
    if (existing) existing.kinds = [...new Set([...existing.kinds, ...kinds])].sort() as RegistryRouteKind[];
    else this.callers.push({ principalArn, kinds: [...kinds].sort() as RegistryRouteKind[] });
  }
}
