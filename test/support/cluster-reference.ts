import type { ClusterReference } from '../../src/gpu-training-cluster/cluster';

/** A cluster reference as a later stack receives it, with literal values, for tests of Kubernetes-side constructs. */
export const TEST_CLUSTER: ClusterReference = {
  clusterName: 'gai-test-training',
  endpoint: 'https://ABCDEF0123456789.gr7.eu-west-1.eks.amazonaws.com',
  certificateAuthority: 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t',
  oidcIssuer: 'https://oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF',
  nodeRoleArn: 'arn:aws:iam::111122223333:role/gai-test-training-karpenter-node',
  nodeRoleName: 'gai-test-training-karpenter-node',
  karpenterControllerRoleArn: 'arn:aws:iam::111122223333:role/gai-test-training-karpenter',
  interruptionQueueName: 'gai-test-training-interruption',
  securityGroupId: 'sg-0123456789abcdef0',
};
