import type { PolicyRule, SynthResource } from '../types';
import { blocks, isExpression, isSet, quoteAll, show } from './helpers';
import { OPEN_TO_INTERNET } from './eks';

export const vpcFlowLogs: PolicyRule = {
  id: 'GAI-VPC-001',
  severity: 'error',
  title: 'VPCs have flow logs of all traffic',
  rationale:
    'Flow logs are the only record of which addresses talked to which on what port; without them (or with accepted or rejected traffic only) exfiltration and lateral movement cannot be traced.',
  fix: 'Add an aws_flow_log with vpc_id = the VPC id and traffic_type = "ALL", delivering to an encrypted log group with retention (ClusterNetwork does this).',
  appliesTo: ['aws_vpc'],
  check: (vpc, ctx) => {
    const logs = ctx.referencing('aws_flow_log', 'vpc_id', vpc);
    if (logs.length === 0) return ['no aws_flow_log records this VPC\'s traffic'];
    const all = logs.some((l) => isExpression(l.config.traffic_type) || l.config.traffic_type === 'ALL');
    return all ? [] : [`its flow logs (${logs.map((l) => l.address).join(', ')}) capture only ${logs.map((l) => show(l.config.traffic_type)).join(', ')} traffic, not "ALL"`];
  },
};

export const vpcDefaultSecurityGroupClosed: PolicyRule = {
  id: 'GAI-VPC-002',
  severity: 'warning',
  title: "VPCs' default security groups allow no traffic",
  rationale:
    'Every VPC has a default security group that lets its members talk to each other on every port and reach anywhere; anything launched without a security group lands in it.',
  fix: 'Add an aws_default_security_group with vpc_id = the VPC id and no ingress or egress blocks: Terraform then removes every rule (ClusterNetwork does this).',
  appliesTo: ['aws_vpc'],
  check: (vpc, ctx) => {
    const groups = ctx.referencing('aws_default_security_group', 'vpc_id', vpc);
    if (groups.length === 0) return ['no aws_default_security_group manages the default security group, so it keeps its allow-all rules'];
    const open = groups.filter((g) => isSet(g.config.ingress) || isSet(g.config.egress));
    return open.length > 0 ? [`${open.map((g) => g.address).join(', ')} keeps ingress or egress rules on the default security group`] : [];
  },
};

/** `ports 443-443/tcp`, or `all ports` for protocol -1/all. */
function ports(protocol: unknown, from: unknown, to: unknown): string {
  const p = String(protocol ?? '').toLowerCase();
  if (p === '-1' || p === 'all') return 'all ports and protocols';
  return from === to ? `port ${show(from)}/${p}` : `ports ${show(from)}-${show(to)}/${p}`;
}

/** The internet-wide CIDRs among some attribute values. */
function openCidrs(...values: unknown[]): string[] {
  return values
    .flatMap((v) => (Array.isArray(v) ? v : [v]))
    .filter((v): v is string => typeof v === 'string' && OPEN_TO_INTERNET.includes(v.trim()));
}

function securityGroupIngressProblems(resource: SynthResource): string[] {
  const c = resource.config;
  switch (resource.type) {
    case 'aws_security_group':
      return blocks(c.ingress).flatMap((rule, i) => {
        const open = openCidrs(rule.cidr_blocks, rule.ipv6_cidr_blocks);
        return open.length > 0 ? [`ingress[${i}] allows ${ports(rule.protocol, rule.from_port, rule.to_port)} from ${quoteAll(open)}`] : [];
      });
    case 'aws_security_group_rule': {
      if (c.type !== 'ingress') return [];
      const open = openCidrs(c.cidr_blocks, c.ipv6_cidr_blocks);
      return open.length > 0 ? [`allows ingress on ${ports(c.protocol, c.from_port, c.to_port)} from ${quoteAll(open)}`] : [];
    }
    case 'aws_vpc_security_group_ingress_rule': {
      const open = openCidrs(c.cidr_ipv4, c.cidr_ipv6);
      return open.length > 0 ? [`allows ingress on ${ports(c.ip_protocol, c.from_port, c.to_port)} from ${quoteAll(open)}`] : [];
    }
    default:
      return [];
  }
}

export const securityGroupNoInternetIngress: PolicyRule = {
  id: 'GAI-SG-001',
  severity: 'error',
  title: 'Security groups allow no ingress from 0.0.0.0/0 or ::/0',
  rationale:
    'Ingress from anywhere exposes the port to every scanner on the internet; nodes, endpoints and control planes of the platform are reached through load balancers, VPC endpoints or private networks.',
  fix: 'Allow ingress from the VPC CIDR, a named network or a source security group instead (ClusterNetwork\'s endpoint group allows 443 from the VPC CIDR only); put internet-facing traffic behind a load balancer with its own rules.',
  appliesTo: ['aws_security_group', 'aws_security_group_rule', 'aws_vpc_security_group_ingress_rule'],
  check: (resource) => securityGroupIngressProblems(resource),
};

/** The VPC and security group rules of the policy pack. */
export const NETWORK_RULES: readonly PolicyRule[] = [vpcFlowLogs, vpcDefaultSecurityGroupClosed, securityGroupNoInternetIngress];
