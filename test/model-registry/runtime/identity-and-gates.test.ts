/** Caller identity, approver role matching, the four-eyes check and per-model gate resolution. */
import { describe, expect, it } from 'vitest';
import { RegistryConfigSchema } from '../../../src/model-registry/registry-config';
import { effectiveGates, isProtectedAlias } from '../../../src/model-registry/runtime/governance';
import {
  DEV_DEFAULT_PRINCIPAL,
  isApprover,
  isSamePerson,
  parseAssumedRole,
  resolvePrincipal,
  roleArnOfSession,
} from '../../../src/model-registry/runtime/identity';
import { diffStates } from '../../../src/model-registry/runtime/registry-service';

describe('resolvePrincipal', () => {
  const request = (principal?: string, header?: string) => ({
    principal,
    headers: (header === undefined ? {} : { 'x-gaiops-principal': header }) as Record<string, string>,
  });

  it('deployed: only the transport principal counts; none → 403', () => {
    const deployed = { trustPrincipalHeader: false };
    expect(resolvePrincipal(request('arn:aws:sts::1:assumed-role/R/s', 'spoof'), deployed)).toBe('arn:aws:sts::1:assumed-role/R/s');
    expect(() => resolvePrincipal(request(undefined, 'arn:aws:sts::1:assumed-role/R/s'), deployed)).toThrow(/no authenticated caller/);
    expect(() => resolvePrincipal(request('  '), deployed)).toThrow(/no authenticated caller/);
    expect(() => resolvePrincipal(request('bad\nvalue'), deployed)).toThrow(/malformed/);
  });

  it('dev: the header, else the transport principal, else the dev default', () => {
    const dev = { trustPrincipalHeader: true };
    expect(resolvePrincipal(request('transport', 'header'), dev)).toBe('header');
    expect(resolvePrincipal(request('transport'), dev)).toBe('transport');
    expect(resolvePrincipal(request(), dev)).toBe(DEV_DEFAULT_PRINCIPAL);
    expect(DEV_DEFAULT_PRINCIPAL).toBe('arn:aws:sts::000000000000:assumed-role/gaiops-dev/local');
  });
});

describe('approver roles', () => {
  it('maps assumed-role sessions to role ARNs (without path)', () => {
    expect(parseAssumedRole('arn:aws:sts::123456789012:assumed-role/Approver/jane@example.com')).toEqual({
      partition: 'aws',
      account: '123456789012',
      roleName: 'Approver',
      sessionName: 'jane@example.com',
    });
    expect(roleArnOfSession('arn:aws-us-gov:sts::123456789012:assumed-role/Approver/s1')).toBe('arn:aws-us-gov:iam::123456789012:role/Approver');
    expect(parseAssumedRole('arn:aws:iam::123456789012:user/jane')).toBeUndefined();
    expect(parseAssumedRole('AROAEXAMPLE:jane')).toBeUndefined();
  });

  it('matches partition, account and role name; role paths are ignored', () => {
    const roles = ['arn:aws:iam::123456789012:role/governance/ml/Approver', 'arn:aws:iam::123456789012:role/Lead'];
    expect(isApprover('arn:aws:sts::123456789012:assumed-role/Approver/jane', roles)).toBe(true);
    expect(isApprover('arn:aws:sts::123456789012:assumed-role/Lead/sam', roles)).toBe(true);
    expect(isApprover('arn:aws:sts::210987654321:assumed-role/Approver/jane', roles)).toBe(false); // other account
    expect(isApprover('arn:aws-cn:sts::123456789012:assumed-role/Approver/jane', roles)).toBe(false); // other partition
    expect(isApprover('arn:aws:sts::123456789012:assumed-role/ApproverX/jane', roles)).toBe(false);
    expect(isApprover('arn:aws:sts::123456789012:assumed-role/ml/jane', roles)).toBe(false); // a path segment is not a role name
    expect(isApprover('arn:aws:iam::123456789012:role/Approver', roles)).toBe(false); // not a session
    expect(isApprover('arn:aws:iam::123456789012:user/Approver', roles)).toBe(false);
    expect(isApprover('arn:aws:sts::123456789012:assumed-role/Approver/jane', [])).toBe(false);
  });

  it('four-eyes: same ARN, or the same session name in the same account, is the same person', () => {
    expect(isSamePerson('arn:aws:sts::1:assumed-role/A/jane', 'arn:aws:sts::1:assumed-role/A/jane')).toBe(true);
    expect(isSamePerson('arn:aws:sts::123456789012:assumed-role/Engineer/jane', 'arn:aws:sts::123456789012:assumed-role/Approver/jane')).toBe(true);
    expect(isSamePerson('arn:aws:sts::123456789012:assumed-role/Engineer/jane', 'arn:aws:sts::123456789012:assumed-role/Approver/sam')).toBe(false);
    expect(isSamePerson('arn:aws:sts::123456789012:assumed-role/A/jane', 'arn:aws:sts::210987654321:assumed-role/A/jane')).toBe(false);
    expect(isSamePerson('arn:aws:iam::1:user/jane', 'arn:aws:iam::1:user/sam')).toBe(false);
  });
});

describe('effectiveGates', () => {
  const raw = {
    version: 1 as const,
    defaultGates: { requiredMetrics: [{ metric: 'auc', min: 0.8 }], fairness: { maxDemographicParityDifference: 0.05 }, protectedAliases: ['production', 'prod'] },
    modelGates: {
      relaxed: { requireApproval: false },
      fair: { fairness: { minDisparateImpactRatio: 0.9 } },
      strict: { requiredMetrics: [{ metric: 'f1', min: 0.7 }], protectedAliases: ['production', 'champion'] },
    },
  };
  const config = RegistryConfigSchema.parse(raw);

  it('replaces only the fields a model sets explicitly (fairness per threshold)', () => {
    expect(effectiveGates(config, 'other')).toEqual(config.defaultGates);
    const relaxed = effectiveGates(config, 'relaxed');
    expect(relaxed).toEqual({ ...config.defaultGates, requireApproval: false });
    expect(relaxed.requiredMetrics).toEqual([{ metric: 'auc', min: 0.8 }]); // not the schema default []
    expect(effectiveGates(config, 'fair').fairness).toEqual({ maxDemographicParityDifference: 0.05, minDisparateImpactRatio: 0.9, maxEqualizedOddsDifference: 0.1 });
    const strict = effectiveGates(config, 'strict');
    expect(strict.requiredMetrics).toEqual([{ metric: 'f1', min: 0.7 }]);
    expect(isProtectedAlias(strict, 'Champion')).toBe(true);
    expect(isProtectedAlias(strict, 'prod')).toBe(false);
    expect(isProtectedAlias(effectiveGates(config, 'other'), 'PROD')).toBe(true);
  });
});

describe('audit diffs', () => {
  it('keeps only changed fields, recursing into maps; null marks absence', () => {
    expect(diffStates({ a: 1, tags: { x: '1', y: '2' }, d: null }, { a: 1, tags: { x: '1', y: '3', z: '4' }, d: 'set' })).toEqual({
      before: { tags: { y: '2', z: null }, d: null },
      after: { tags: { y: '3', z: '4' }, d: 'set' },
    });
    expect(diffStates(null, { a: 1 })).toEqual({ before: null, after: { a: 1 } });
    expect(diffStates({ list: [1, 2] }, { list: [1, 3] })).toEqual({ before: { list: [1, 2] }, after: { list: [1, 3] } });
  });
});
