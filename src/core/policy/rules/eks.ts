import type { PolicyRule } from '../types';
import { blocks, customerManagedKeyProblems, firstBlock, isExpression, isSet, isTrue, numberValue, quoteAll, show } from './helpers';

const CLUSTER = ['aws_eks_cluster'] as const;

/** CIDRs that open an endpoint or a port to the whole internet. */
export const OPEN_TO_INTERNET: readonly string[] = ['0.0.0.0/0', '::/0'];

/** The five EKS control-plane log types. */
export const EKS_LOG_TYPES: readonly string[] = ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'];

/** A boolean attribute that is false (`false` or `"false"`). */
function isFalse(value: unknown): boolean {
  return value === false || value === 'false';
}

/** A list attribute as strings (an expression or a scalar gives `undefined`). */
function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined;
}

export const eksPrivateEndpoint: PolicyRule = {
  id: 'GAI-EKS-001',
  severity: 'error',
  title: 'EKS API server endpoints are private, or public only to an allowlist',
  rationale:
    'A public endpoint open to 0.0.0.0/0 exposes the Kubernetes API to the whole internet: every credential leak, authentication bug or API server vulnerability is then reachable by anyone.',
  fix: 'Set vpc_config.endpoint_public_access = false and endpoint_private_access = true (GpuTrainingCluster default), or list the allowed networks in vpc_config.public_access_cidrs without 0.0.0.0/0 or ::/0 (GpuTrainingCluster `publicAccessCidrs`).',
  appliesTo: CLUSTER,
  check: (cluster) => {
    const vpc = firstBlock(cluster.config.vpc_config);
    if (!vpc) return ['has no vpc_config'];
    const publicAccess = vpc.endpoint_public_access;
    if (isFalse(publicAccess)) return [];
    // Known only at apply time: judge the allowlist if there is one.
    if (isExpression(publicAccess) && !isSet(vpc.public_access_cidrs)) return [];
    const state = isSet(publicAccess) ? 'true' : 'not set (EKS defaults it to true)';
    if (!isSet(vpc.public_access_cidrs)) {
      return [`vpc_config.endpoint_public_access is ${state} and public_access_cidrs is not set, so the API server is reachable from 0.0.0.0/0`];
    }
    const cidrs = stringList(vpc.public_access_cidrs);
    if (cidrs === undefined) return [];
    const open = cidrs.filter((c) => OPEN_TO_INTERNET.includes(c.trim()));
    return open.length > 0 ? [`vpc_config.public_access_cidrs contains ${quoteAll(open)}, so the public API server endpoint is open to the internet`] : [];
  },
};

export const eksSecretsEncryption: PolicyRule = {
  id: 'GAI-EKS-002',
  severity: 'error',
  title: 'EKS clusters encrypt Kubernetes secrets with a customer-managed KMS key',
  rationale:
    'Envelope encryption of secrets with a customer-managed key protects them in etcd and its backups beyond the default disk encryption, and puts decryption under a key policy you control and can revoke.',
  fix: 'Add encryption_config { resources = ["secrets"], provider { key_arn = <customer-managed key ARN> } } (GpuTrainingCluster does this with its EncryptionKey).',
  appliesTo: CLUSTER,
  check: (cluster) => {
    const configs = blocks(cluster.config.encryption_config);
    if (configs.length === 0) return ['has no encryption_config, so Kubernetes secrets are not envelope-encrypted with a KMS key'];
    const forSecrets = configs.filter((c) => isExpression(c.resources) || (stringList(c.resources) ?? []).includes('secrets'));
    if (forSecrets.length === 0) return ['encryption_config.resources does not include "secrets"'];
    return customerManagedKeyProblems(firstBlock(forSecrets[0].provider)?.key_arn, 'encryption_config.provider.key_arn', 'no envelope encryption');
  },
};

export const eksControlPlaneLogging: PolicyRule = {
  id: 'GAI-EKS-003',
  severity: 'error',
  title: 'EKS clusters send every control-plane log type to CloudWatch Logs',
  rationale:
    'The audit log records who did what through the Kubernetes API, the authenticator log which IAM identity became which user; without all five log types, incidents on the cluster cannot be investigated.',
  fix: `Set enabled_cluster_log_types = [${EKS_LOG_TYPES.map((t) => JSON.stringify(t)).join(', ')}] and pre-create /aws/eks/<name>/cluster with retention and a customer-managed key (GpuTrainingCluster does both).`,
  appliesTo: CLUSTER,
  check: (cluster) => {
    const value = cluster.config.enabled_cluster_log_types;
    if (isExpression(value)) return [];
    const enabled = stringList(value) ?? [];
    const missing = EKS_LOG_TYPES.filter((t) => !enabled.includes(t));
    return missing.length > 0 ? [`enabled_cluster_log_types lacks ${quoteAll(missing)}`] : [];
  },
};

export const eksAccessEntries: PolicyRule = {
  id: 'GAI-EKS-004',
  severity: 'error',
  title: 'EKS clusters authenticate through access entries and do not make the creator an administrator',
  rationale:
    'The aws-auth ConfigMap (CONFIG_MAP mode) is edited inside the cluster, unaudited by IAM and easy to break; and the identity that ran terraform silently becoming a permanent cluster-admin is an invisible, unrevocable grant.',
  fix: 'Set access_config { authentication_mode = "API" (or "API_AND_CONFIG_MAP" while migrating), bootstrap_cluster_creator_admin_permissions = false } and grant admins with aws_eks_access_entry + aws_eks_access_policy_association (GpuTrainingCluster `adminRoleArns`).',
  appliesTo: CLUSTER,
  check: (cluster) => {
    const access = firstBlock(cluster.config.access_config);
    const problems: string[] = [];
    const mode = access?.authentication_mode;
    if (!isExpression(mode) && mode !== 'API' && mode !== 'API_AND_CONFIG_MAP') {
      problems.push(`access_config.authentication_mode is ${show(mode)}, not "API" or "API_AND_CONFIG_MAP"`);
    }
    const bootstrap = access?.bootstrap_cluster_creator_admin_permissions;
    if (!isExpression(bootstrap) && !isFalse(bootstrap)) {
      problems.push(`access_config.bootstrap_cluster_creator_admin_permissions is ${show(bootstrap)}, not false, so the cluster creator may become a cluster-admin`);
    }
    return problems;
  },
};

const LAUNCH_TEMPLATE = ['aws_launch_template'] as const;

export const launchTemplateImdsV2: PolicyRule = {
  id: 'GAI-EC2-001',
  severity: 'error',
  title: 'Launch templates require IMDSv2 with a response hop limit of 1',
  rationale:
    'IMDSv1 answers unauthenticated GET requests, so an SSRF in any workload leaks the node role\'s credentials; a hop limit above 1 lets every pod (one hop behind the node) reach the node\'s metadata and its role.',
  fix: 'Set metadata_options { http_endpoint = "enabled", http_tokens = "required", http_put_response_hop_limit = 1 } (or http_endpoint = "disabled"); give pods AWS access through EKS Pod Identity instead.',
  appliesTo: LAUNCH_TEMPLATE,
  check: (template) => {
    const metadata = firstBlock(template.config.metadata_options);
    if (metadata?.http_endpoint === 'disabled') return [];
    if (!metadata) return ['has no metadata_options, so instances accept IMDSv1 and the AMI decides the hop limit'];
    const problems: string[] = [];
    if (!isExpression(metadata.http_tokens) && metadata.http_tokens !== 'required') {
      problems.push(`metadata_options.http_tokens is ${show(metadata.http_tokens)}, not "required", so IMDSv1 is accepted`);
    }
    const hops = numberValue(metadata.http_put_response_hop_limit);
    if (!isExpression(metadata.http_put_response_hop_limit) && hops !== 1) {
      problems.push(`metadata_options.http_put_response_hop_limit is ${show(metadata.http_put_response_hop_limit)}, not 1, so containers can reach the instance metadata`);
    }
    return problems;
  },
};

export const launchTemplateEncryptedVolumes: PolicyRule = {
  id: 'GAI-EC2-002',
  severity: 'error',
  title: 'EBS volumes defined in launch templates are encrypted',
  rationale: 'Node volumes hold container images, logs, scratch data and checkpoints; unencrypted they are readable from snapshots and by anyone who can attach them.',
  fix: 'Set encrypted = "true" (and kms_key_id to a customer-managed key) in every block_device_mappings.ebs block of the aws_launch_template.',
  appliesTo: LAUNCH_TEMPLATE,
  check: (template) =>
    blocks(template.config.block_device_mappings).flatMap((mapping, i) => {
      const ebs = firstBlock(mapping.ebs);
      if (!ebs || isExpression(ebs.encrypted) || isTrue(ebs.encrypted)) return [];
      return [`block_device_mappings[${i}] (${show(mapping.device_name)}) ebs.encrypted is ${show(ebs.encrypted)}, so the volume is not encrypted`];
    }),
};

/** The EKS cluster and node launch template rules of the policy pack. */
export const EKS_RULES: readonly PolicyRule[] = [
  eksPrivateEndpoint,
  eksSecretsEncryption,
  eksControlPlaneLogging,
  eksAccessEntries,
  launchTemplateImdsV2,
  launchTemplateEncryptedVolumes,
];
