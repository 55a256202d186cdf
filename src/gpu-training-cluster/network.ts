import { DataAwsAvailabilityZones } from '@cdktf/provider-aws/lib/data-aws-availability-zones';
import { DefaultSecurityGroup } from '@cdktf/provider-aws/lib/default-security-group';
import { Eip } from '@cdktf/provider-aws/lib/eip';
import { FlowLog } from '@cdktf/provider-aws/lib/flow-log';
import { InternetGateway } from '@cdktf/provider-aws/lib/internet-gateway';
import { NatGateway } from '@cdktf/provider-aws/lib/nat-gateway';
import { Route } from '@cdktf/provider-aws/lib/route';
import { RouteTable } from '@cdktf/provider-aws/lib/route-table';
import { RouteTableAssociation } from '@cdktf/provider-aws/lib/route-table-association';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { Subnet } from '@cdktf/provider-aws/lib/subnet';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { VpcEndpoint } from '@cdktf/provider-aws/lib/vpc-endpoint';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { Construct } from 'constructs';
import { EncryptionKey } from '../core/encryption-key';
import { Role } from '../core/iam/role';
import { LogGroup } from '../core/log-group';
import { PlatformContext } from '../core/platform-context';
import { parseProps } from '../core/props';
import { Fn } from '../core/tf';
import {
  ClusterNetworkPropsSchema,
  ExistingNetworkPropsSchema,
  type ClusterNetworkProps,
  type ExistingNetworkProps,
  type IClusterNetwork,
} from './schema';

/** Private subnet `i` is the `i`-th eighth of the VPC CIDR; public subnets share the seventh eighth. */
const PRIVATE_NEWBITS = 3;
const PUBLIC_NEWBITS = 8;
const PUBLIC_FIRST_NETNUM = 6 * 2 ** (PUBLIC_NEWBITS - PRIVATE_NEWBITS);

/**
 * The VPC of a GpuTrainingCluster: public and private subnets in 2–6 Availability Zones, an
 * internet gateway, NAT gateways (one per zone, or one), flow logs of all traffic into an encrypted
 * log group, an S3 gateway endpoint and interface endpoints reachable from the VPC only, and the
 * VPC's default security group stripped of every rule.
 */
export class ClusterNetwork extends Construct implements IClusterNetwork {
  /** An existing VPC, for a cluster in a network gaiops does not manage. Creates nothing. */
  static fromExisting(scope: Construct, id: string, props: ExistingNetworkProps): IClusterNetwork {
    return new ExistingNetwork(scope, id, props);
  }

  readonly resource: Vpc;
  /** The cluster name the private subnets are tagged for (`karpenter.sh/discovery`). */
  readonly clusterName: string;
  readonly vpcId: string;
  readonly vpcCidr: string;
  readonly privateSubnetIds: string[];
  readonly publicSubnetIds: string[];
  /** Route tables of the private subnets (one per zone). */
  readonly privateRouteTableIds: string[];
  /** The NAT gateways (one per zone, or one). */
  readonly natGateways: NatGateway[];
  /** The security group of the interface endpoints (HTTPS from the VPC CIDR only). */
  readonly endpointSecurityGroupId: string;
  readonly flowLogGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ClusterNetworkProps) {
    super(scope, id);
    const p = parseProps(this, ClusterNetworkPropsSchema, props);
    const ctx = PlatformContext.of(this);
    const name = ctx.physicalName('eks', this);
    this.clusterName = p.clusterName;

    this.resource = new Vpc(this, 'Resource', {
      cidrBlock: p.cidr,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      tags: { Name: name },
    });
    this.vpcId = this.resource.id;
    this.vpcCidr = this.resource.cidrBlock;

    // The default security group is open between its members; strip every rule so nothing relies on it.
    new DefaultSecurityGroup(this, 'DefaultSecurityGroup', { vpcId: this.vpcId, tags: { Name: `${name}-default-deny` } });

    const zones = p.availabilityZones ?? this.zonesFromRegion(p.azCount);

    const igw = new InternetGateway(this, 'InternetGateway', { vpcId: this.vpcId, tags: { Name: name } });
    const publicRoutes = new RouteTable(this, 'PublicRouteTable', { vpcId: this.vpcId, tags: { Name: `${name}-public` } });
    new Route(this, 'PublicDefaultRoute', { routeTableId: publicRoutes.id, destinationCidrBlock: '0.0.0.0/0', gatewayId: igw.id });

    const publicSubnets = zones.map((zone, i) => {
      const subnet = new Subnet(this, `Public${i + 1}`, {
        vpcId: this.vpcId,
        availabilityZone: zone,
        cidrBlock: Fn.cidrsubnet(p.cidr, PUBLIC_NEWBITS, PUBLIC_FIRST_NETNUM + i),
        mapPublicIpOnLaunch: false,
        tags: { Name: `${name}-public-${i + 1}`, 'kubernetes.io/role/elb': '1' },
      });
      new RouteTableAssociation(this, `Public${i + 1}RouteTable`, { subnetId: subnet.id, routeTableId: publicRoutes.id });
      return subnet;
    });

    const natCount = p.natGateways === 'perAz' ? zones.length : 1;
    this.natGateways = Array.from({ length: natCount }, (_, i) => {
      const eip = new Eip(this, `NatIp${i + 1}`, { domain: 'vpc', tags: { Name: `${name}-nat-${i + 1}` }, dependsOn: [igw] });
      return new NatGateway(this, `Nat${i + 1}`, {
        allocationId: eip.allocationId,
        subnetId: publicSubnets[i].id,
        connectivityType: 'public',
        tags: { Name: `${name}-nat-${i + 1}` },
        dependsOn: [igw],
      });
    });

    const privateRouteTables: RouteTable[] = [];
    const privateSubnets = zones.map((zone, i) => {
      const subnet = new Subnet(this, `Private${i + 1}`, {
        vpcId: this.vpcId,
        availabilityZone: zone,
        cidrBlock: Fn.cidrsubnet(p.cidr, PRIVATE_NEWBITS, i),
        mapPublicIpOnLaunch: false,
        tags: {
          Name: `${name}-private-${i + 1}`,
          'kubernetes.io/role/internal-elb': '1',
          'karpenter.sh/discovery': p.clusterName,
        },
      });
      const table = new RouteTable(this, `Private${i + 1}RouteTable`, { vpcId: this.vpcId, tags: { Name: `${name}-private-${i + 1}` } });
      new Route(this, `Private${i + 1}DefaultRoute`, {
        routeTableId: table.id,
        destinationCidrBlock: '0.0.0.0/0',
        natGatewayId: this.natGateways[p.natGateways === 'perAz' ? i : 0].id,
      });
      new RouteTableAssociation(this, `Private${i + 1}RouteTableAssociation`, { subnetId: subnet.id, routeTableId: table.id });
      privateRouteTables.push(table);
      return subnet;
    });
    this.privateSubnetIds = privateSubnets.map((s) => s.id);
    this.publicSubnetIds = publicSubnets.map((s) => s.id);
    this.privateRouteTableIds = privateRouteTables.map((t) => t.id);

    // Flow logs: all traffic, into an encrypted log group, delivered by a role that may write only there.
    const key = p.encryptionKey ?? new EncryptionKey(this, 'Key', { services: ['logs'], description: `gaiops flow-log key for ${this.node.path}` });
    this.flowLogGroup = new LogGroup(this, 'FlowLogs', { encryptionKey: key, retentionDays: p.flowLogRetentionDays });
    const flowLogRole = new Role(this, 'FlowLogRole', {
      assumedBy: ['vpc-flow-logs.amazonaws.com'],
      description: `Delivers the flow logs of ${this.node.path} to CloudWatch Logs`,
    });
    flowLogRole.addToPrincipalPolicy({
      sid: 'WriteFlowLogs',
      actions: ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
      resources: [this.flowLogGroup.logGroupArn, `${this.flowLogGroup.logGroupArn}:*`],
    });
    new FlowLog(this, 'FlowLog', {
      vpcId: this.vpcId,
      trafficType: 'ALL',
      logDestinationType: 'cloud-watch-logs',
      logDestination: this.flowLogGroup.logGroupArn,
      iamRoleArn: flowLogRole.roleArn,
      maxAggregationInterval: 60,
      tags: { Name: name },
      dependsOn: flowLogRole.dependables,
    });

    // Endpoints: S3 (gateway, on the private route tables) and interface endpoints for the AWS APIs nodes call.
    new VpcEndpoint(this, 'S3Endpoint', {
      vpcId: this.vpcId,
      serviceName: `com.amazonaws.${ctx.region}.s3`,
      vpcEndpointType: 'Gateway',
      routeTableIds: this.privateRouteTableIds,
      tags: { Name: `${name}-s3` },
    });
    const endpointSg = new SecurityGroup(this, 'EndpointSecurityGroup', {
      name: `${name}-endpoints`,
      description: 'Interface VPC endpoints: HTTPS from the VPC only',
      vpcId: this.vpcId,
      tags: { Name: `${name}-endpoints` },
    });
    new VpcSecurityGroupIngressRule(this, 'EndpointHttpsFromVpc', {
      securityGroupId: endpointSg.id,
      description: 'HTTPS from the VPC',
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      cidrIpv4: this.vpcCidr,
    });
    this.endpointSecurityGroupId = endpointSg.id;
    for (const service of [...new Set(p.interfaceEndpoints)].sort()) {
      const idPart = service.replace(/(^|[.-])([a-z])/g, (_m, _s, c: string) => c.toUpperCase());
      new VpcEndpoint(this, `${idPart}Endpoint`, {
        vpcId: this.vpcId,
        serviceName: `com.amazonaws.${ctx.region}.${service}`,
        vpcEndpointType: 'Interface',
        privateDnsEnabled: true,
        subnetIds: this.privateSubnetIds,
        securityGroupIds: [endpointSg.id],
        tags: { Name: `${name}-${service}` },
      });
    }
  }

  /** The first `count` zones of the region that need no opt-in. */
  private zonesFromRegion(count: number): string[] {
    const azs = new DataAwsAvailabilityZones(this, 'AvailabilityZones', {
      state: 'available',
      filter: [{ name: 'opt-in-status', values: ['opt-in-not-required'] }],
    });
    return Array.from({ length: count }, (_, i) => Fn.element(azs.names, i) as string);
  }
}

class ExistingNetwork extends Construct implements IClusterNetwork {
  readonly vpcId: string;
  readonly vpcCidr: string;
  readonly privateSubnetIds: string[];
  readonly publicSubnetIds: string[];

  constructor(scope: Construct, id: string, props: ExistingNetworkProps) {
    super(scope, id);
    const p = parseProps(this, ExistingNetworkPropsSchema, props);
    this.vpcId = p.vpcId;
    this.vpcCidr = p.vpcCidr;
    this.privateSubnetIds = [...p.privateSubnetIds];
    this.publicSubnetIds = [...p.publicSubnetIds];
  }
}
