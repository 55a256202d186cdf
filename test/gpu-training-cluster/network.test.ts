import { describe, expect, it } from 'vitest';
import { GaiConfigError } from '../../src/core/errors';
import { EncryptionKey } from '../../src/core/encryption-key';
import { activeFindings, evaluatePolicies } from '../../src/core/policy/engine';
import { EKS_RULES } from '../../src/core/policy/rules/eks';
import { NETWORK_RULES } from '../../src/core/policy/rules/network';
import { ClusterNetwork } from '../../src/gpu-training-cluster/network';
import type { ClusterNetworkProps } from '../../src/gpu-training-cluster/schema';
import { byPath, only, platformStack, policy, resources, synth, type TfJson } from '../support/synth';

function network(props: Partial<ClusterNetworkProps> = {}) {
  const stack = platformStack();
  const net = new ClusterNetwork(stack, 'Network', { clusterName: 'gai-test-training', ...props });
  return { stack, net, json: synth(stack) };
}

/** The construct-path suffixes of a type's resources, sorted. */
function paths(json: TfJson, type: string): string[] {
  return resources(json, type)
    .map(([, c]) => String(c['//'].metadata.path).replace(/^teststack\/Network\//, ''))
    .sort();
}

describe('ClusterNetwork', () => {
  it('creates a VPC with a public and a private subnet in each of 3 zones by default, CIDRs computed by cidrsubnet', () => {
    const { json } = network();
    expect(only(json, 'aws_vpc')).toMatchObject({ cidr_block: '10.0.0.0/16', enable_dns_hostnames: true, enable_dns_support: true });
    const azs = only({ resource: json.data as TfJson['resource'] }, 'aws_availability_zones');
    expect(azs).toMatchObject({ state: 'available', filter: [{ name: 'opt-in-status', values: ['opt-in-not-required'] }] });
    expect(paths(json, 'aws_subnet')).toEqual(['Private1', 'Private2', 'Private3', 'Public1', 'Public2', 'Public3']);
    for (let i = 0; i < 3; i++) {
      const priv = byPath(json, 'aws_subnet', `Network/Private${i + 1}`);
      const pub = byPath(json, 'aws_subnet', `Network/Public${i + 1}`);
      expect(priv.cidr_block).toBe(`\${cidrsubnet("10.0.0.0/16", 3, ${i})}`);
      expect(pub.cidr_block).toBe(`\${cidrsubnet("10.0.0.0/16", 8, ${192 + i})}`);
      expect(priv.availability_zone).toMatch(new RegExp(`^\\$\\{element\\(data\\.aws_availability_zones\\.[\\w]+\\.names, ${i}\\)\\}$`));
      expect(pub.availability_zone).toBe(priv.availability_zone);
      expect(priv.map_public_ip_on_launch).toBe(false);
      expect(pub.map_public_ip_on_launch).toBe(false);
    }
  });

  it('tags private subnets for Karpenter discovery and internal load balancers, public subnets for internet-facing ones', () => {
    const { json } = network();
    expect(byPath(json, 'aws_subnet', 'Network/Private2').tags).toMatchObject({
      'karpenter.sh/discovery': 'gai-test-training',
      'kubernetes.io/role/internal-elb': '1',
    });
    const pub = byPath(json, 'aws_subnet', 'Network/Public2').tags;
    expect(pub).toMatchObject({ 'kubernetes.io/role/elb': '1' });
    expect(pub).not.toHaveProperty('karpenter.sh/discovery');
  });

  it('uses explicit zones and any count from 2 to 6', () => {
    const explicit = network({ availabilityZones: ['eu-west-1a', 'eu-west-1b'] }).json;
    expect(resources(explicit, 'aws_subnet')).toHaveLength(4);
    expect(explicit.data?.aws_availability_zones).toBeUndefined();
    expect(byPath(explicit, 'aws_subnet', 'Network/Private2').availability_zone).toBe('eu-west-1b');
    const six = network({ azCount: 6 }).json;
    expect(resources(six, 'aws_subnet')).toHaveLength(12);
    expect(byPath(six, 'aws_subnet', 'Network/Public6').cidr_block).toBe('${cidrsubnet("10.0.0.0/16", 8, 197)}');
    expect(byPath(six, 'aws_subnet', 'Network/Private6').cidr_block).toBe('${cidrsubnet("10.0.0.0/16", 3, 5)}');
  });

  it('routes each private subnet through the NAT gateway of its own zone (perAz, default)', () => {
    const { json } = network();
    expect(paths(json, 'aws_nat_gateway')).toEqual(['Nat1', 'Nat2', 'Nat3']);
    expect(resources(json, 'aws_eip')).toHaveLength(3);
    for (let i = 1; i <= 3; i++) {
      const nat = byPath(json, 'aws_nat_gateway', `Network/Nat${i}`);
      expect(nat.subnet_id).toMatch(new RegExp(`aws_subnet\\.Network_Public${i}_`));
      expect(byPath(json, 'aws_route', `Network/Private${i}DefaultRoute`)).toMatchObject({
        destination_cidr_block: '0.0.0.0/0',
        nat_gateway_id: expect.stringMatching(new RegExp(`aws_nat_gateway\\.Network_Nat${i}_`)),
      });
    }
    expect(byPath(json, 'aws_route', 'Network/PublicDefaultRoute')).toMatchObject({
      destination_cidr_block: '0.0.0.0/0',
      gateway_id: expect.stringMatching(/aws_internet_gateway\.Network_InternetGateway_/),
    });
    expect(resources(json, 'aws_route_table_association')).toHaveLength(6);
  });

  it('shares one NAT gateway with natGateways: single', () => {
    const { json } = network({ natGateways: 'single' });
    expect(paths(json, 'aws_nat_gateway')).toEqual(['Nat1']);
    expect(resources(json, 'aws_eip')).toHaveLength(1);
    for (let i = 1; i <= 3; i++) {
      expect(byPath(json, 'aws_route', `Network/Private${i}DefaultRoute`).nat_gateway_id).toMatch(/aws_nat_gateway\.Network_Nat1_/);
    }
  });

  it('logs ALL traffic to an encrypted log group through a role that may write only there', () => {
    const { json } = network();
    const flowLog = only(json, 'aws_flow_log');
    expect(flowLog).toMatchObject({
      traffic_type: 'ALL',
      log_destination_type: 'cloud-watch-logs',
      vpc_id: expect.stringMatching(/aws_vpc\.Network_/),
      log_destination: expect.stringMatching(/aws_cloudwatch_log_group\.Network_FlowLogs_.*\.arn/),
      iam_role_arn: expect.stringMatching(/aws_iam_role\.Network_FlowLogRole_/),
    });
    const group = only(json, 'aws_cloudwatch_log_group');
    expect(group).toMatchObject({ retention_in_days: 365, kms_key_id: expect.stringMatching(/aws_kms_key\.Network_Key_/) });
    const key = policy(only(json, 'aws_kms_key').policy).Statement.find((s) => s.Sid === 'ServiceLogs');
    expect(key.Principal).toEqual({ Service: 'logs.eu-west-1.amazonaws.com' });
    const role = only(json, 'aws_iam_role');
    expect(policy(role.assume_role_policy).Statement).toEqual([
      { Effect: 'Allow', Principal: { Service: 'vpc-flow-logs.amazonaws.com' }, Action: 'sts:AssumeRole' },
    ]);
    const groupArn = '${aws_cloudwatch_log_group.' + resources(json, 'aws_cloudwatch_log_group')[0][0] + '.arn}';
    expect(policy(only(json, 'aws_iam_role_policy').policy).Statement).toEqual([
      {
        Sid: 'WriteFlowLogs',
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
        Resource: [groupArn, `${groupArn}:*`],
      },
    ]);
  });

  it('takes a given key and flow-log retention', () => {
    const stack = platformStack();
    const key = new EncryptionKey(stack, 'Shared', { services: ['logs'] });
    new ClusterNetwork(stack, 'Network', { clusterName: 'c1', encryptionKey: key, flowLogRetentionDays: 90 });
    const json = synth(stack);
    expect(resources(json, 'aws_kms_key')).toHaveLength(1);
    expect(only(json, 'aws_cloudwatch_log_group')).toMatchObject({ retention_in_days: 90, kms_key_id: expect.stringMatching(/Shared/) });
  });

  it('creates an S3 gateway endpoint on the private route tables and interface endpoints with private DNS reachable on 443 from the VPC only', () => {
    const { json } = network();
    const endpoints = resources(json, 'aws_vpc_endpoint').map(([, e]) => e);
    const s3 = endpoints.find((e) => e.service_name === 'com.amazonaws.eu-west-1.s3')!;
    expect(s3.vpc_endpoint_type).toBe('Gateway');
    expect(s3.route_table_ids).toHaveLength(3);
    for (const id of s3.route_table_ids) expect(id).toMatch(/aws_route_table\.Network_Private\dRouteTable_/);
    const interfaces = endpoints.filter((e) => e.vpc_endpoint_type === 'Interface');
    expect(interfaces.map((e) => e.service_name).sort()).toEqual(
      ['ec2', 'ecr.api', 'ecr.dkr', 'logs', 'sts'].map((s) => `com.amazonaws.eu-west-1.${s}`),
    );
    for (const e of interfaces) {
      expect(e.private_dns_enabled).toBe(true);
      expect(e.subnet_ids).toHaveLength(3);
      for (const s of e.subnet_ids) expect(s).toMatch(/aws_subnet\.Network_Private\d_/);
      expect(e.security_group_ids).toEqual([expect.stringMatching(/aws_security_group\.Network_EndpointSecurityGroup_/)]);
    }
    const sg = only(json, 'aws_security_group');
    expect(sg.ingress).toBeUndefined();
    expect(sg.egress).toBeUndefined();
    expect(only(json, 'aws_vpc_security_group_ingress_rule')).toMatchObject({
      ip_protocol: 'tcp',
      from_port: 443,
      to_port: 443,
      cidr_ipv4: expect.stringMatching(/aws_vpc\.Network_.*\.cidr_block/),
    });
  });

  it('creates only the interface endpoints asked for (the S3 gateway always)', () => {
    const { json } = network({ interfaceEndpoints: ['sts', 'eks-auth'] });
    expect(paths(json, 'aws_vpc_endpoint')).toEqual(['EksAuthEndpoint', 'S3Endpoint', 'StsEndpoint']);
    expect(byPath(json, 'aws_vpc_endpoint', 'Network/EksAuthEndpoint').service_name).toBe('com.amazonaws.eu-west-1.eks-auth');
  });

  it('strips every rule from the default security group', () => {
    const { json } = network();
    const dsg = only(json, 'aws_default_security_group');
    expect(dsg.vpc_id).toMatch(/aws_vpc\.Network_/);
    expect(dsg.ingress).toBeUndefined();
    expect(dsg.egress).toBeUndefined();
  });

  it('passes the policy pack and the network and EKS rules with no findings', () => {
    const { json } = network();
    expect(activeFindings(evaluatePolicies(json as never, [...NETWORK_RULES, ...EKS_RULES]))).toEqual([]);
  });

  it('exposes the network interface', () => {
    const { net } = network();
    expect(net.privateSubnetIds).toHaveLength(3);
    expect(net.publicSubnetIds).toHaveLength(3);
    expect(net.vpcId).toMatch(/TOKEN/);
    expect(net.vpcCidr).toMatch(/TOKEN/);
  });

  it('wraps an existing VPC without creating anything', () => {
    const stack = platformStack();
    const existing = ClusterNetwork.fromExisting(stack, 'Existing', {
      vpcId: 'vpc-0123',
      vpcCidr: '10.1.0.0/16',
      privateSubnetIds: ['subnet-a', 'subnet-b'],
    });
    expect(existing).toEqual(expect.objectContaining({ vpcId: 'vpc-0123', vpcCidr: '10.1.0.0/16', privateSubnetIds: ['subnet-a', 'subnet-b'], publicSubnetIds: [] }));
    expect(() => ClusterNetwork.fromExisting(stack, 'Bad', { vpcId: 'vpc-1', vpcCidr: 'nope', privateSubnetIds: ['subnet-a'] })).toThrow(
      /teststack\/Bad: vpcCidr: must be an IPv4 CIDR[\s\S]*teststack\/Bad: privateSubnetIds: must list subnets in at least 2/,
    );
  });

  it('rejects bad props with one GaiConfigError naming each field', () => {
    const bad = (props: Partial<ClusterNetworkProps>) => () => network(props);
    for (const azCount of [1, 7]) {
      expect(bad({ azCount })).toThrow(GaiConfigError);
      expect(bad({ azCount })).toThrow(/teststack\/Network: azCount: must be (at least 2|at most 6)/);
    }
    expect(bad({ availabilityZones: ['eu-west-1a'] })).toThrow(/availabilityZones: must list at least 2/);
    expect(bad({ availabilityZones: ['eu-west-1a', 'eu-west-1a'] })).toThrow(/availabilityZones: lists an Availability Zone twice/);
    expect(bad({ cidr: '10.0.0.0/33' })).toThrow(/teststack\/Network: cidr: must be an IPv4 CIDR/);
    expect(bad({ cidr: '300.0.0.0/16' })).toThrow(/cidr: must be an IPv4 CIDR/);
    expect(bad({ cidr: '10.0.0.0/8' })).toThrow(/cidr: prefix must be between \/16 and \/20/);
    expect(bad({ cidr: '10.0.1.0/16' })).toThrow(/cidr: has host bits set/);
    try {
      network({ cidr: 'x', azCount: 9, natGateways: 'many' as never });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(GaiConfigError);
      expect((e as GaiConfigError).problems.map((p) => p.fieldPath).sort()).toEqual(['azCount', 'cidr', 'natGateways']);
    }
  });
});
