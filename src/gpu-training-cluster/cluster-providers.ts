import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import type { Construct } from 'constructs';
import { z } from 'zod';
import { PlatformContext } from '../core/platform-context';
import { isToken, parseProps } from '../core/props';
import { Fn } from '../core/tf';
import type { ClusterReference } from './cluster';

/** The client authentication API `aws eks get-token` speaks. */
export const EXEC_API_VERSION = 'client.authentication.k8s.io/v1beta1';

export const ClusterProvidersOptionsSchema = z.strictObject({
  region: z
    .string()
    .refine((v) => isToken(v) || /^[a-z]{2}(-[a-z]+)+-\d$/.test(v), 'must be an AWS region such as eu-west-1')
    .optional()
    .describe("Region of the cluster (`aws eks get-token --region`). Default the stack's platform region."),
  alias: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'must be a Terraform provider alias (a letter, then letters, digits, _ or -)')
    .optional()
    .describe('Provider alias, for a stack that talks to several clusters. Default none (the default kubernetes and helm providers).'),
  idPrefix: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9]*$/, 'must be letters and digits, starting with a letter')
    .default('')
    .describe('Prefix of the provider construct ids (`<idPrefix>Kubernetes`, `<idPrefix>Helm`), for several clusters in one stack. Default none.'),
});
export type ClusterProvidersOptions = z.input<typeof ClusterProvidersOptionsSchema>;

/** The kubernetes and helm providers of a stack, both connected to one cluster. */
export interface ClusterProviderSet {
  readonly kubernetes: KubernetesProvider;
  readonly helm: HelmProvider;
}

/**
 * Configures the `kubernetes` and `helm` providers of a stack after the cluster's from its
 * {@link ClusterReference}: host = the API endpoint, the CA decoded with `base64decode`, and
 * credentials from `aws eks get-token` run by the provider at plan/apply time (exec auth). No token
 * is ever stored in the configuration or the state; whoever runs Terraform needs `aws` CLI v2 and
 * an identity with an EKS access entry on the cluster.
 */
export class ClusterProviders {
  /** Adds both providers to `stack` (construct ids `Kubernetes` and `Helm`, or with `idPrefix`). */
  static configure(stack: Construct, cluster: ClusterReference, options: ClusterProvidersOptions = {}): ClusterProviderSet {
    const o = parseProps(stack, ClusterProvidersOptionsSchema, options);
    const region = o.region ?? PlatformContext.of(stack).region;
    const host = cluster.endpoint;
    const clusterCaCertificate = Fn.base64decode(cluster.certificateAuthority);
    const exec = { apiVersion: EXEC_API_VERSION, command: 'aws', args: ClusterProviders.getTokenArgs(cluster.clusterName, region) };
    const kubernetes = new KubernetesProvider(stack, `${o.idPrefix}Kubernetes`, {
      host,
      clusterCaCertificate,
      exec: [exec],
      ...(o.alias ? { alias: o.alias } : {}),
    });
    const helm = new HelmProvider(stack, `${o.idPrefix}Helm`, {
      kubernetes: { host, clusterCaCertificate, exec },
      ...(o.alias ? { alias: o.alias } : {}),
    });
    return { kubernetes, helm };
  }

  /** `aws` arguments printing an ExecCredential for the cluster. */
  static getTokenArgs(clusterName: string, region: string): string[] {
    return ['eks', 'get-token', '--cluster-name', clusterName, '--region', region, '--output', 'json'];
  }
}
