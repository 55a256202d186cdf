/** Where the EKS Pod Identity agent serves credentials (host network, every node; IPv4 clusters): pods that use Pod Identity need egress to it. */
export const POD_IDENTITY_AGENT = { cidr: '169.254.170.23/32', port: '80' } as const;
