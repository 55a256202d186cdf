/**
 * NetworkPolicy specs shared by gaiops namespaces (typed for the kubernetes provider's
 * `kubernetes_network_policy_v1`).
 */
import type { NetworkPolicyV1Spec } from '@cdktf/provider-kubernetes/lib/network-policy-v1';

/** Deny all ingress and egress of every pod in the namespace (the baseline the other policies open). */
export const DEFAULT_DENY_SPEC: NetworkPolicyV1Spec = { podSelector: {}, policyTypes: ['Ingress', 'Egress'] };

/** Egress from every pod to CoreDNS (`k8s-app: kube-dns` in kube-system), port 53 over UDP and TCP. */
export const DNS_EGRESS_SPEC: NetworkPolicyV1Spec = {
  podSelector: {},
  policyTypes: ['Egress'],
  egress: [
    {
      to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
      ports: [
        { port: '53', protocol: 'UDP' },
        { port: '53', protocol: 'TCP' },
      ],
    },
  ],
};
