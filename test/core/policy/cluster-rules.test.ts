import { describe, expect, it } from 'vitest';
import { evaluatePolicies } from '../../../src/core/policy/engine';
import { EKS_RULES } from '../../../src/core/policy/rules/eks';
import { NETWORK_RULES } from '../../../src/core/policy/rules/network';
import { add, compliantStack, patch, ref, remove, type Config, type TfJson, type Case, type RuleCases } from './fixtures';

const RULES = [...EKS_RULES, ...NETWORK_RULES];
const CLUSTER = 'aws_eks_cluster.Cluster';
const TEMPLATE = 'aws_launch_template.Nodes';
const VPC = 'aws_vpc.Vpc';
const FLOW_LOG = 'aws_flow_log.Vpc_FlowLog';
const DEFAULT_SG = 'aws_default_security_group.Vpc_Default';
const SG = 'aws_security_group.Endpoints';
const INGRESS = 'aws_vpc_security_group_ingress_rule.Endpoints_Https';

function withPath(path: string, config: Config): Config {
  return { ...config, '//': { metadata: { path: `test/${path}` } } };
}

/** The core compliant fixture plus a compliant cluster, launch template, VPC and security group. */
function clusterStack(): TfJson {
  const resources: [string, Config][] = [
    [
      CLUSTER,
      withPath('Cluster/Resource', {
        name: 'gai-dev-training',
        role_arn: ref('aws_iam_role.FnRole', 'arn'),
        vpc_config: { endpoint_private_access: true, endpoint_public_access: false, subnet_ids: ['subnet-a', 'subnet-b'] },
        encryption_config: { resources: ['secrets'], provider: { key_arn: ref('aws_kms_key.Key', 'arn') } },
        enabled_cluster_log_types: ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'],
        access_config: { authentication_mode: 'API', bootstrap_cluster_creator_admin_permissions: false },
      }),
    ],
    [
      TEMPLATE,
      withPath('Nodes', {
        name: 'gai-dev-nodes',
        metadata_options: { http_endpoint: 'enabled', http_tokens: 'required', http_put_response_hop_limit: 1 },
        block_device_mappings: [{ device_name: '/dev/xvda', ebs: { volume_type: 'gp3', encrypted: 'true', kms_key_id: ref('aws_kms_key.Key', 'arn') } }],
      }),
    ],
    [VPC, withPath('Vpc/Resource', { cidr_block: '10.0.0.0/16' })],
    [FLOW_LOG, withPath('Vpc/FlowLog', { vpc_id: ref(VPC, 'id'), traffic_type: 'ALL', log_destination: ref('aws_cloudwatch_log_group.FnLogs', 'arn') })],
    [DEFAULT_SG, withPath('Vpc/Default', { vpc_id: ref(VPC, 'id') })],
    [SG, withPath('Endpoints/Resource', { vpc_id: ref(VPC, 'id'), description: 'endpoints' })],
    [INGRESS, withPath('Endpoints/Https', { security_group_id: ref(SG, 'id'), ip_protocol: 'tcp', from_port: 443, to_port: 443, cidr_ipv4: ref(VPC, 'cidr_block') })],
  ];
  return resources.reduce((json, [address, config]) => add(json, address, config), compliantStack());
}

const base = clusterStack();

function messagesFor(json: TfJson, address: string, ruleId: string): string[] {
  return evaluatePolicies(json, RULES)
    .filter((f) => f.address === address && f.ruleId === ruleId)
    .map((f) => f.message);
}


const compliant: Case = { name: 'the compliant fixture', json: base };
const vpcConfig = (extra: Config) => patch(base, CLUSTER, { vpc_config: { endpoint_private_access: true, subnet_ids: ['subnet-a'], ...extra } });
const metadata = (options: Config | undefined) => patch(base, TEMPLATE, { metadata_options: options });
const ebs = (block: Config) => patch(base, TEMPLATE, { block_device_mappings: [{ device_name: '/dev/xvda', ebs: block }] });

const CASES: Record<string, RuleCases> = {
  'GAI-EKS-001': {
    address: CLUSTER,
    fail: [
      { name: 'public access unset (defaults to true) and no CIDRs', json: vpcConfig({}), message: /not set \(EKS defaults it to true\).*0\.0\.0\.0\/0/ },
      { name: 'public access true without CIDRs', json: vpcConfig({ endpoint_public_access: true }), message: /is true and public_access_cidrs is not set/ },
      {
        name: 'public access to 0.0.0.0/0',
        json: vpcConfig({ endpoint_public_access: true, public_access_cidrs: ['203.0.113.0/24', '0.0.0.0/0'] }),
        message: /public_access_cidrs contains "0\.0\.0\.0\/0"/,
      },
      {
        name: 'public access from a variable with 0.0.0.0/0',
        json: vpcConfig({ endpoint_public_access: '${var.public}', public_access_cidrs: ['0.0.0.0/0'] }),
        message: /contains "0\.0\.0\.0\/0"/,
      },
      { name: 'public access to ::/0', json: vpcConfig({ endpoint_public_access: true, public_access_cidrs: ['::/0'] }), message: /"::\/0"/ },
      { name: 'no vpc_config', json: patch(base, CLUSTER, { vpc_config: undefined }), message: /has no vpc_config/ },
    ],
    pass: [
      compliant,
      { name: 'a public endpoint with an allowlist', json: vpcConfig({ endpoint_public_access: true, public_access_cidrs: ['203.0.113.0/24'] }) },
      { name: 'public access "false" as a string', json: vpcConfig({ endpoint_public_access: 'false' }) },
      { name: 'public access from a variable, no allowlist to judge', json: vpcConfig({ endpoint_public_access: '${var.public}' }) },
    ],
  },
  'GAI-EKS-002': {
    address: CLUSTER,
    fail: [
      { name: 'no encryption_config', json: patch(base, CLUSTER, { encryption_config: undefined }), message: /has no encryption_config/ },
      {
        name: 'encryption of other resources only',
        json: patch(base, CLUSTER, { encryption_config: { resources: ['configmaps'], provider: { key_arn: ref('aws_kms_key.Key', 'arn') } } }),
        message: /does not include "secrets"/,
      },
      {
        name: 'no key',
        json: patch(base, CLUSTER, { encryption_config: { resources: ['secrets'], provider: {} } }),
        message: /encryption_config\.provider\.key_arn is not set/,
      },
      {
        name: 'an AWS-managed key alias',
        json: patch(base, CLUSTER, { encryption_config: [{ resources: ['secrets'], provider: [{ key_arn: 'alias/aws/eks' }] }] }),
        message: /AWS-managed key "alias\/aws\/eks"/,
      },
    ],
    pass: [
      compliant,
      {
        name: 'blocks as one-element arrays with a literal key ARN',
        json: patch(base, CLUSTER, {
          encryption_config: [{ resources: ['secrets'], provider: [{ key_arn: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab' }] }],
        }),
      },
    ],
  },
  'GAI-EKS-003': {
    address: CLUSTER,
    fail: [
      { name: 'no log types', json: patch(base, CLUSTER, { enabled_cluster_log_types: undefined }), message: /lacks "api", "audit", "authenticator", "controllerManager", "scheduler"/ },
      { name: 'audit only', json: patch(base, CLUSTER, { enabled_cluster_log_types: ['audit'] }), message: /lacks "api", "authenticator", "controllerManager", "scheduler"$/ },
    ],
    pass: [compliant, { name: 'an expression', json: patch(base, CLUSTER, { enabled_cluster_log_types: '${var.log_types}' }) }],
  },
  'GAI-EKS-004': {
    address: CLUSTER,
    fail: [
      {
        name: 'no access_config',
        json: patch(base, CLUSTER, { access_config: undefined }),
        message: /authentication_mode is \(unset\)/,
      },
      {
        name: 'CONFIG_MAP mode',
        json: patch(base, CLUSTER, { access_config: { authentication_mode: 'CONFIG_MAP', bootstrap_cluster_creator_admin_permissions: false } }),
        message: /authentication_mode is "CONFIG_MAP"/,
      },
      {
        name: 'the creator bootstrapped as admin',
        json: patch(base, CLUSTER, { access_config: { authentication_mode: 'API', bootstrap_cluster_creator_admin_permissions: true } }),
        message: /bootstrap_cluster_creator_admin_permissions is true, not false/,
      },
      {
        name: 'bootstrap left unset',
        json: patch(base, CLUSTER, { access_config: { authentication_mode: 'API' } }),
        message: /bootstrap_cluster_creator_admin_permissions is \(unset\)/,
      },
    ],
    pass: [
      compliant,
      {
        name: 'API_AND_CONFIG_MAP while migrating',
        json: patch(base, CLUSTER, { access_config: [{ authentication_mode: 'API_AND_CONFIG_MAP', bootstrap_cluster_creator_admin_permissions: 'false' }] }),
      },
    ],
  },
  'GAI-EC2-001': {
    address: TEMPLATE,
    fail: [
      { name: 'no metadata_options', json: metadata(undefined), message: /has no metadata_options/ },
      { name: 'IMDSv1 allowed', json: metadata({ http_tokens: 'optional', http_put_response_hop_limit: 1 }), message: /http_tokens is "optional"/ },
      { name: 'hop limit 2', json: metadata({ http_tokens: 'required', http_put_response_hop_limit: 2 }), message: /hop_limit is 2, not 1/ },
      { name: 'hop limit unset', json: metadata({ http_tokens: 'required' }), message: /hop_limit is \(unset\), not 1/ },
    ],
    pass: [
      compliant,
      { name: 'IMDS disabled', json: metadata({ http_endpoint: 'disabled' }) },
      { name: 'hop limit as a string', json: metadata([{ http_tokens: 'required', http_put_response_hop_limit: '1' }] as never) },
    ],
  },
  'GAI-EC2-002': {
    address: TEMPLATE,
    fail: [
      { name: 'encrypted unset', json: ebs({ volume_type: 'gp3' }), message: /block_device_mappings\[0\] \("\/dev\/xvda"\) ebs\.encrypted is \(unset\)/ },
      { name: 'encrypted "false"', json: ebs({ volume_type: 'gp3', encrypted: 'false' }), message: /ebs\.encrypted is "false"/ },
    ],
    pass: [
      compliant,
      { name: 'encrypted as a boolean', json: ebs({ encrypted: true }) },
      { name: 'no block device mappings (the AMI\'s, encrypted by account default)', json: patch(base, TEMPLATE, { block_device_mappings: undefined }) },
    ],
  },
  'GAI-VPC-001': {
    address: VPC,
    fail: [
      { name: 'no flow log', json: remove(base, FLOW_LOG), message: /no aws_flow_log records/ },
      { name: 'rejected traffic only', json: patch(base, FLOW_LOG, { traffic_type: 'REJECT' }), message: /capture only "REJECT" traffic/ },
    ],
    pass: [compliant],
  },
  'GAI-VPC-002': {
    address: VPC,
    fail: [
      { name: 'no aws_default_security_group', json: remove(base, DEFAULT_SG), message: /keeps its allow-all rules/ },
      {
        name: 'rules kept on the default group',
        json: patch(base, DEFAULT_SG, { ingress: [{ protocol: '-1', self: true, from_port: 0, to_port: 0 }] }),
        message: /keeps ingress or egress rules/,
      },
    ],
    pass: [compliant],
  },
  'GAI-SG-001': {
    address: INGRESS,
    fail: [
      { name: 'HTTPS from anywhere', json: patch(base, INGRESS, { cidr_ipv4: '0.0.0.0/0' }), message: /allows ingress on port 443\/tcp from "0\.0\.0\.0\/0"/ },
      {
        name: 'every protocol from ::/0',
        json: patch(base, INGRESS, { ip_protocol: '-1', from_port: undefined, to_port: undefined, cidr_ipv4: undefined, cidr_ipv6: '::/0' }),
        message: /all ports and protocols from "::\/0"/,
      },
      {
        name: 'an inline ingress block on the security group',
        address: SG,
        json: patch(base, SG, { ingress: [{ protocol: 'tcp', from_port: 22, to_port: 22, cidr_blocks: ['10.0.0.0/8', '0.0.0.0/0'] }] }),
        message: /ingress\[0\] allows port 22\/tcp from "0\.0\.0\.0\/0"/,
      },
      {
        name: 'an aws_security_group_rule of type ingress',
        address: 'aws_security_group_rule.Open',
        json: add(base, 'aws_security_group_rule.Open', {
          type: 'ingress',
          security_group_id: ref(SG, 'id'),
          protocol: 'all',
          from_port: 0,
          to_port: 65535,
          ipv6_cidr_blocks: ['::/0'],
        }),
        message: /allows ingress on all ports and protocols from "::\/0"/,
      },
    ],
    pass: [
      compliant,
      { name: 'egress rules to anywhere', address: SG, json: patch(base, SG, { egress: [{ protocol: '-1', from_port: 0, to_port: 0, cidr_blocks: ['0.0.0.0/0'] }] }) },
      {
        name: 'an aws_security_group_rule of type egress',
        address: 'aws_security_group_rule.Out',
        json: add(base, 'aws_security_group_rule.Out', { type: 'egress', security_group_id: ref(SG, 'id'), protocol: '-1', from_port: 0, to_port: 0, cidr_blocks: ['0.0.0.0/0'] }),
      },
      { name: 'ingress from a private range', json: patch(base, INGRESS, { cidr_ipv4: '10.0.0.0/8' }) },
    ],
  },
};

describe('EKS and network rules', () => {
  it('have unique ids, a severity, title, rationale and fix, and a case table each', () => {
    const ids = RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(Object.keys(CASES).sort());
    for (const rule of RULES) {
      expect(rule.id).toMatch(/^GAI-[A-Z0-9]+-\d{3}$/);
      expect(['error', 'warning']).toContain(rule.severity);
      for (const text of [rule.title, rule.rationale, rule.fix]) expect(text.length).toBeGreaterThan(20);
      expect(rule.appliesTo.length).toBeGreaterThan(0);
    }
  });

  it('find nothing in the compliant fixture', () => {
    expect(evaluatePolicies(base, RULES)).toEqual([]);
  });

  for (const [ruleId, cases] of Object.entries(CASES)) {
    describe(ruleId, () => {
      for (const c of cases.fail) {
        it(`fails: ${c.name}`, () => {
          const messages = messagesFor(c.json, c.address ?? cases.address, ruleId);
          expect(messages.length).toBeGreaterThan(0);
          if (c.message) expect(messages.some((m) => c.message!.test(m)), messages.join('\n')).toBe(true);
        });
      }
      for (const c of cases.pass) {
        it(`passes: ${c.name}`, () => {
          expect(messagesFor(c.json, c.address ?? cases.address, ruleId)).toEqual([]);
        });
      }
    });
  }

  it('report findings with the rule id, resource address and construct path', () => {
    const findings = evaluatePolicies(patch(base, CLUSTER, { enabled_cluster_log_types: ['api'] }), RULES);
    expect(findings).toEqual([
      expect.objectContaining({ ruleId: 'GAI-EKS-003', severity: 'error', address: CLUSTER, path: 'test/Cluster/Resource' }),
    ]);
  });
});
