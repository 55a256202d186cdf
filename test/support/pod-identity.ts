/** The trust policy statement of a role only EKS Pod Identity may assume, for one cluster, namespace and service account. */
export function podIdentityTrustStatement(clusterName: string, namespace: string, serviceAccount: string) {
  return {
    Sid: 'EksPodIdentity',
    Effect: 'Allow',
    Principal: { Service: 'pods.eks.amazonaws.com' },
    Action: ['sts:AssumeRole', 'sts:TagSession'],
    Condition: {
      StringEquals: {
        'aws:RequestTag/eks-cluster-name': clusterName,
        'aws:RequestTag/kubernetes-namespace': namespace,
        'aws:RequestTag/kubernetes-service-account': serviceAccount,
      },
    },
  };
}
