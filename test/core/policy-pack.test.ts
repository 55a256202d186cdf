import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { App, CORE_RULES, EncryptionKey, GaiError, PlatformStack, PolicyPack, SecureBucket, type PolicyRule } from '../../src';
import { platformStack, resources, synth } from '../support/synth';

describe('PolicyPack aspect', () => {
  it('fails synth on an error finding, naming rule id, resource address and construct path', () => {
    const stack = platformStack();
    new S3Bucket(stack, 'RawBucket', { bucket: 'raw' });
    expect(() => synth(stack)).toThrow(/\[GAI-S3-001\] error aws_s3_bucket\.RawBucket \(teststack\/RawBucket\): .*fix: /);
    try {
      synth(stack);
    } catch (e) {
      const message = (e as Error).message;
      for (const id of ['GAI-S3-002', 'GAI-S3-003', 'GAI-S3-004', 'GAI-S3-008']) expect(message).toContain(`[${id}]`);
      // Warning rules (logging, lifecycle) do not fail synth.
      expect(message).not.toContain('[GAI-S3-005]');
    }
  });

  it('passes compliant constructs with zero findings', () => {
    const stack = platformStack();
    new SecureBucket(stack, 'Data');
    const findings = stack.policyPack.evaluate(stack);
    synth(stack);
    expect(findings.filter((f) => !f.suppressedBecause)).toEqual([]);
  });

  it('turns warnings into annotations instead of failing', () => {
    const warnOnly: PolicyRule = {
      id: 'GAI-TEST-001',
      severity: 'warning',
      title: 'queues are reviewed',
      rationale: 'test rule',
      fix: 'none',
      appliesTo: ['aws_sqs_queue'],
      check: () => ['needs review'],
    };
    const app = new App({ outdir: '/tmp/gaiops-unused' });
    const stack = new PlatformStack(app, 'w', {
      settings: { prefix: 'gai', environment: 'test', region: 'eu-west-1', owner: 'o', costCenter: 'c' },
      policyRules: [warnOnly],
    });
    const queue = new SqsQueue(stack, 'Q', {});
    synth(stack);
    const warnings = queue.node.metadata.filter((m) => m.type === '@cdktf/warn');
    expect(warnings.map((w) => String(w.data))).toEqual([expect.stringContaining('[GAI-TEST-001] warning aws_sqs_queue.Q (w/Q): needs review')]);
  });

  it('records suppressions with their justification in the synthesized JSON and stops failing', () => {
    const stack = platformStack();
    const bucket = new SecureBucket(stack, 'Data');
    PolicyPack.suppress(bucket, 'GAI-S3-009', 'Object ownership is enforced by an SCP in this organisation');
    const json = synth(stack);
    const suppressed = resources(json, 'aws_s3_bucket').find(([name]) => name.startsWith('Data_'))![1];
    expect(suppressed['//'].gaiops.suppressions).toEqual([
      { ruleId: 'GAI-S3-009', justification: 'Object ownership is enforced by an SCP in this organisation' },
    ]);
    // A real violation, suppressed: synth passes and the finding is reported as suppressed.
    const other = platformStack();
    const raw = new Construct(other, 'Legacy');
    new S3Bucket(raw, 'Bucket', { bucket: 'legacy' });
    for (const rule of CORE_RULES.filter((r) => r.appliesTo.includes('aws_s3_bucket'))) {
      PolicyPack.suppress(raw, rule.id, 'Imported legacy bucket, migrated to SecureBucket in ticket OPS-123');
    }
    expect(() => synth(other)).not.toThrow();
    const findings = other.policyPack.evaluate(other);
    expect(findings.length).toBeGreaterThan(0);
    expect(findings.every((f) => f.suppressedBecause === 'Imported legacy bucket, migrated to SecureBucket in ticket OPS-123')).toBe(true);
  });

  it('requires a rule id and a written justification', () => {
    const stack = platformStack();
    const key = new EncryptionKey(stack, 'K');
    expect(() => PolicyPack.suppress(key, 'S3-1', 'a long enough justification here')).toThrow(GaiError);
    expect(() => PolicyPack.suppress(key, 'GAI-KMS-001', 'because')).toThrow(/justification/);
    expect(() => PolicyPack.suppress(new Construct(stack, 'Empty'), 'GAI-KMS-001', 'a long enough justification here')).toThrow(/no Terraform resource/);
    PolicyPack.suppress(key, 'GAI-NOPE-001', 'a long enough justification here');
    expect(() => synth(stack)).toThrow(/suppression of unknown rule GAI-NOPE-001/);
  });

  it('rejects duplicate rule ids', () => {
    expect(() => new PolicyPack([CORE_RULES[0], CORE_RULES[0]])).toThrow(/used twice/);
  });
});
