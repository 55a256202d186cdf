import { describe, expect, it } from 'vitest';
import { EncryptionKey, GaiConfigError, KEY_ADMIN_ACTIONS, Role } from '../../src';
import { byPath, only, platformStack, policy, synth } from '../support/synth';

describe('EncryptionKey', () => {
  it('creates a rotating CMK with an alias, a 30-day deletion window and prevent_destroy', () => {
    const stack = platformStack();
    new EncryptionKey(stack, 'DataKey');
    const json = synth(stack);
    const key = only(json, 'aws_kms_key');
    expect(key.enable_key_rotation).toBe(true);
    expect(key.rotation_period_in_days).toBe(365);
    expect(key.deletion_window_in_days).toBe(30);
    expect(key.lifecycle).toEqual({ prevent_destroy: true });
    expect(only(json, 'aws_kms_alias').name).toBe('alias/gai-test-data-key');
  });

  it('in ephemeral environments drops prevent_destroy and uses a 7-day window', () => {
    const stack = platformStack({ ephemeral: true });
    new EncryptionKey(stack, 'DataKey');
    const key = only(synth(stack), 'aws_kms_key');
    expect(key.lifecycle).toBeUndefined();
    expect(key.deletion_window_in_days).toBe(7);
  });

  it('lets the account administer and use it through IAM with exact actions, and only the listed services', () => {
    const stack = platformStack();
    new EncryptionKey(stack, 'DataKey', { services: ['logs', 'sns'] });
    const doc = policy(only(synth(stack), 'aws_kms_key').policy);
    const sids = doc.Statement.map((s) => s.Sid);
    expect(sids).toEqual(['AccountAdministration', 'AccountUseThroughIam', 'ServiceLogs', 'ServiceSns']);
    const admin = doc.Statement[0];
    expect(admin.Principal.AWS).toMatch(/^arn:\$\{data\.aws_partition\.[^}]+\}:iam::\$\{data\.aws_caller_identity\.[^}]+\}:root$/);
    expect(admin.Action).toEqual([...KEY_ADMIN_ACTIONS]);
    for (const s of doc.Statement) for (const a of [s.Action].flat()) expect(a).not.toContain('*');
    const logs = doc.Statement[2];
    expect(logs.Principal).toEqual({ Service: 'logs.eu-west-1.amazonaws.com' });
    expect(logs.Condition.ArnLike['kms:EncryptionContext:aws:logs:arn']).toMatch(/:logs:eu-west-1:.*:log-group:\*$/);
    const sns = doc.Statement[3];
    expect(sns.Principal).toEqual({ Service: 'sns.amazonaws.com' });
    expect(sns.Action).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(Object.keys(sns.Condition.StringEquals)).toEqual(['aws:SourceAccount']);
  });

  it('grants encrypt/decrypt on this key only, optionally through one service and context', () => {
    const stack = platformStack();
    const key = new EncryptionKey(stack, 'DataKey');
    const role = new Role(stack, 'Worker', { assumedBy: ['lambda.amazonaws.com'] });
    const grant = key.grantEncryptDecrypt(role, { viaService: 's3', encryptionContext: { 'aws:s3:arn': 'arn:aws:s3:::b' } });
    expect(grant.actions).toEqual(['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:ReEncryptFrom', 'kms:ReEncryptTo']);
    const doc = policy(byPath(synth(stack), 'aws_iam_role_policy', 'Worker/Policy/Resource').policy);
    expect(doc.Statement).toHaveLength(1);
    expect(doc.Statement[0].Resource).toMatch(/^\$\{aws_kms_key\.[^}]+\.arn\}$/);
    expect(doc.Statement[0].Condition.StringEquals).toEqual({
      'kms:ViaService': 's3.eu-west-1.amazonaws.com',
      'kms:EncryptionContext:aws:s3:arn': 'arn:aws:s3:::b',
    });
  });

  it('takes extra resource-specific statements, rendered at synth, and refuses duplicate ids', () => {
    const stack = platformStack();
    const key = new EncryptionKey(stack, 'DataKey');
    key.addToResourcePolicy({
      sid: 'EventBridgeBus',
      principals: { Service: ['events.amazonaws.com'] },
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: ['*'],
      conditions: { StringEquals: { 'kms:EncryptionContext:aws:events:event-bus:arn': 'arn:aws:events:eu-west-1:1:event-bus/b' } },
    });
    expect(() => key.addToResourcePolicy({ sid: 'EventBridgeBus', principals: { Service: ['x.amazonaws.com'] }, actions: ['kms:Decrypt'], resources: ['*'] })).toThrow(
      /duplicate-sid/,
    );
    const doc = policy(only(synth(stack), 'aws_kms_key').policy);
    expect(doc.Statement.map((s) => s.Sid)).toEqual(['AccountAdministration', 'AccountUseThroughIam', 'EventBridgeBus']);
  });

  it('rejects bad props with every field named', () => {
    const stack = platformStack();
    expect(() => new EncryptionKey(stack, 'K', { services: ['ec2' as never], deletionWindowInDays: 3, rotationPeriodInDays: 10 })).toThrow(
      GaiConfigError,
    );
    try {
      new EncryptionKey(stack, 'K2', { services: ['ec2' as never], deletionWindowInDays: 3, rotationPeriodInDays: 10 });
    } catch (e) {
      expect((e as GaiConfigError).problems.map((p) => p.fieldPath).sort()).toEqual(['deletionWindowInDays', 'rotationPeriodInDays', 'services[0]']);
    }
  });

  it('keeps the 30-day deletion window outside ephemeral environments (found by the props property test)', () => {
    expect(() => new EncryptionKey(platformStack(), 'K', { deletionWindowInDays: 7 })).toThrow(/K: deletionWindowInDays: must be 30 \(the maximum\) unless the environment is ephemeral/);
    const ephemeral = platformStack({ ephemeral: true });
    new EncryptionKey(ephemeral, 'K', { deletionWindowInDays: 10 });
    expect(only(synth(ephemeral), 'aws_kms_key').deletion_window_in_days).toBe(10);
  });
});
