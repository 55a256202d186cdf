/**
 * IAM roles for Kubernetes service accounts through EKS Pod Identity: trusted by
 * `pods.eks.amazonaws.com` (`sts:AssumeRole` + `sts:TagSession`) and only for one cluster,
 * namespace and service account, matched on the session tags EKS Pod Identity sets.
 */
import { EksPodIdentityAssociation } from '@cdktf/provider-aws/lib/eks-pod-identity-association';
import type { Construct } from 'constructs';
import type { ITerraformDependable } from '../tf';
import { renderPolicy } from './policy-statement';
import { Role } from './role';

/** Session tags EKS Pod Identity sets when it assumes a role, used in the trust policy conditions. */
export const POD_IDENTITY_SESSION_TAGS = {
  clusterName: 'aws:RequestTag/eks-cluster-name',
  namespace: 'aws:RequestTag/kubernetes-namespace',
  serviceAccount: 'aws:RequestTag/kubernetes-service-account',
} as const;

export interface PodIdentityRoleOptions {
  readonly clusterName: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  /** Role description. Default `<namespace>/<serviceAccount> of <clusterName> through EKS Pod Identity`. */
  readonly description?: string;
}

/**
 * A role only EKS Pod Identity may assume, and only for one cluster, namespace and service account.
 * The association (`aws_eks_pod_identity_association`) must keep session tags on (the default).
 */
export function podIdentityRole(scope: Construct, id: string, o: PodIdentityRoleOptions): Role {
  const role = new Role(scope, id, {
    assumedBy: ['pods.eks.amazonaws.com'],
    trustActions: ['sts:AssumeRole', 'sts:TagSession'],
    description: o.description ?? `${o.namespace}/${o.serviceAccount} of ${o.clusterName} through EKS Pod Identity`,
  });
  role.resource.assumeRolePolicy = renderPolicy([
    {
      sid: 'EksPodIdentity',
      actions: ['sts:AssumeRole', 'sts:TagSession'],
      principals: { Service: ['pods.eks.amazonaws.com'] },
      resources: [],
      conditions: {
        StringEquals: {
          [POD_IDENTITY_SESSION_TAGS.clusterName]: o.clusterName,
          [POD_IDENTITY_SESSION_TAGS.namespace]: o.namespace,
          [POD_IDENTITY_SESSION_TAGS.serviceAccount]: o.serviceAccount,
        },
      },
    },
  ]);
  return role;
}

export interface PodIdentityAssociationOptions {
  readonly clusterName: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  /** The role from `podIdentityRole` (same cluster, namespace and service account). */
  readonly role: Role;
  /** More resources to wait for (e.g. the Pod Identity agent add-on). The role's are always added. */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * Binds a service account to a `podIdentityRole` (`aws_eks_pod_identity_association`), with session
 * tags kept on — the role's trust policy matches them — and after the role's policies exist.
 */
export function podIdentityAssociation(scope: Construct, id: string, o: PodIdentityAssociationOptions): EksPodIdentityAssociation {
  return new EksPodIdentityAssociation(scope, id, {
    clusterName: o.clusterName,
    namespace: o.namespace,
    serviceAccount: o.serviceAccount,
    roleArn: o.role.roleArn,
    disableSessionTags: false,
    dependsOn: [...(o.dependsOn ?? []), ...o.role.dependables],
  });
}
