import { describe, expect, it } from 'vitest';
import { GaiConfigError, Role, SecureTable } from '../../src';
import { byPath, only, platformStack, policy, synth } from '../support/synth';

describe('SecureTable', () => {
  it('creates an on-demand table with PITR, CMK encryption, deletion protection and prevent_destroy', () => {
    const stack = platformStack();
    new SecureTable(stack, 'Versions', { partitionKey: { name: 'datasetId' }, sortKey: { name: 'version', type: 'N' } });
    const t = only(synth(stack), 'aws_dynamodb_table');
    expect(t).toMatchObject({
      name: 'gai-test-versions',
      billing_mode: 'PAY_PER_REQUEST',
      hash_key: 'datasetId',
      range_key: 'version',
      attribute: [
        { name: 'datasetId', type: 'S' },
        { name: 'version', type: 'N' },
      ],
      point_in_time_recovery: { enabled: true },
      server_side_encryption: { enabled: true, kms_key_arn: expect.stringMatching(/^\$\{aws_kms_key\./) },
      deletion_protection_enabled: true,
      lifecycle: { prevent_destroy: true },
      tags: { 'data-classification': 'confidential' },
    });
    expect(t.ttl).toBeUndefined();
    expect(t.stream_enabled).toBeUndefined();
  });

  it('supports TTL, GSIs, streams and provisioned billing; ephemeral drops protection', () => {
    const stack = platformStack({ ephemeral: true });
    new SecureTable(stack, 'Online', {
      partitionKey: { name: 'pk' },
      sortKey: { name: 'sk' },
      timeToLiveAttribute: 'expiresAt',
      stream: 'NEW_AND_OLD_IMAGES',
      billing: { mode: 'PROVISIONED', readCapacity: 5, writeCapacity: 2 },
      globalSecondaryIndexes: [{ name: 'byGroup', partitionKey: { name: 'group' }, sortKey: { name: 'sk' }, projection: 'INCLUDE', nonKeyAttributes: ['v'] }],
    });
    const t = only(synth(stack), 'aws_dynamodb_table');
    expect(t.ttl).toEqual({ enabled: true, attribute_name: 'expiresAt' });
    expect(t.stream_view_type).toBe('NEW_AND_OLD_IMAGES');
    expect(t.read_capacity).toBe(5);
    expect(t.global_secondary_index).toEqual([
      { name: 'byGroup', hash_key: 'group', range_key: 'sk', projection_type: 'INCLUDE', non_key_attributes: ['v'], read_capacity: 5, write_capacity: 2 },
    ]);
    expect(t.attribute.map((a: { name: string }) => a.name)).toEqual(['group', 'pk', 'sk']);
    expect(t.deletion_protection_enabled).toBe(false);
    expect(t.lifecycle).toBeUndefined();
  });

  it('grants read and write data with exact actions, decrypting only through DynamoDB', () => {
    const stack = platformStack();
    const table = new SecureTable(stack, 'T', { partitionKey: { name: 'pk' } });
    const role = new Role(stack, 'Reader', { assumedBy: ['lambda.amazonaws.com'] });
    expect(table.grantReadData(role).actions).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:ConditionCheckItem',
      'dynamodb:DescribeTable',
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:Scan',
    ]);
    const doc = policy(byPath(synth(stack), 'aws_iam_role_policy', 'Reader/Policy/Resource').policy).Statement;
    const ddb = doc.find((s) => s.Action.includes('dynamodb:GetItem'));
    expect(ddb.Resource).toEqual([expect.stringMatching(/aws_dynamodb_table\.T_.+\.arn\}$/), expect.stringMatching(/\.arn\}\/index\/\*$/)]);
    const kms = doc.find((s) => s.Action.includes('kms:Decrypt'));
    expect(kms.Condition.StringEquals['kms:ViaService']).toBe('dynamodb.eu-west-1.amazonaws.com');
    expect(table.grantWriteData(role).actions).not.toContain('dynamodb:Scan');
  });

  it('reports every bad prop, including cross-field problems', () => {
    try {
      new SecureTable(platformStack(), 'T', {
        partitionKey: { name: 'bad key' },
        globalSecondaryIndexes: [
          { name: 'ix', partitionKey: { name: 'g' }, projection: 'INCLUDE' },
          { name: 'ix', partitionKey: { name: 'g' }, nonKeyAttributes: ['x'] },
        ],
      });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(GaiConfigError);
      expect((e as GaiConfigError).problems.map((p) => p.fieldPath).sort()).toEqual([
        'globalSecondaryIndexes[0].name',
        'globalSecondaryIndexes[0].nonKeyAttributes',
        'globalSecondaryIndexes[1].name',
        'globalSecondaryIndexes[1].name',
        'globalSecondaryIndexes[1].nonKeyAttributes',
        'partitionKey.name',
      ]);
    }
    expect(() => new SecureTable(platformStack(), 'T', { partitionKey: { name: 'a' }, sortKey: { name: 'b' }, globalSecondaryIndexes: [{ name: 'ix1', partitionKey: { name: 'b', type: 'N' } }] })).toThrow(
      /globalSecondaryIndexes\[0\]\.partitionKey\.type: attribute b is already declared with type S/,
    );
  });
});
