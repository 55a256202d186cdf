import { describe, expect, it } from 'vitest';
import { EncryptionKey, GaiConfigError, LambdaCode, NodeFunction, Role, SecureQueue } from '../../src';
import { byPath, only, platformStack, policy, resources, synth } from '../support/synth';

const code = () => LambdaCode.fromRuntime('object-digest');

describe('NodeFunction', () => {
  it('deploys the prebuilt zip on nodejs22.x arm64 with tracing, JSON logs, DLQ and encrypted environment', () => {
    const stack = platformStack();
    new NodeFunction(stack, 'Digest', { code: code(), environment: { MODE: 'strict' } });
    const json = synth(stack);
    const fn = only(json, 'aws_lambda_function');
    const artifact = code();
    expect(fn).toMatchObject({
      function_name: 'gai-test-digest',
      runtime: 'nodejs22.x',
      architectures: ['arm64'],
      handler: 'index.handler',
      memory_size: 512,
      timeout: 30,
      tracing_config: { mode: 'Active' },
      source_code_hash: artifact.sha256Base64,
      kms_key_arn: expect.stringMatching(/^\$\{aws_kms_key\.Digest_Key_/),
      dead_letter_config: { target_arn: expect.stringMatching(/^\$\{aws_sqs_queue\.Digest_DeadLetterQueue_/) },
      logging_config: { log_format: 'JSON', log_group: expect.stringMatching(/aws_cloudwatch_log_group\.Digest_LogGroup_/) },
      environment: { variables: { MODE: 'strict', NODE_OPTIONS: '--enable-source-maps', POWERTOOLS_SERVICE_NAME: 'gai-test-digest' } },
    });
    expect(fn.reserved_concurrent_executions).toBeUndefined();
    expect(fn.filename).toBe(`assets/${fn.filename.split('/')[1]}/${artifact.sha256}/object-digest-${artifact.sha256.slice(0, 16)}.zip`);
    expect(fn.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^aws_cloudwatch_log_group\./), expect.stringMatching(/^aws_iam_role_policy\./)]));
    const logGroup = only(json, 'aws_cloudwatch_log_group');
    expect(logGroup).toMatchObject({ name: '/aws/lambda/gai-test-digest', retention_in_days: 365, kms_key_id: expect.stringMatching(/Digest_Key_/) });
    expect(only(json, 'aws_sqs_queue')).toMatchObject({ message_retention_seconds: 1209600, kms_master_key_id: expect.stringMatching(/Digest_Key_/) });
    const keyPolicy = policy(only(json, 'aws_kms_key').policy).Statement;
    expect(keyPolicy.map((s) => s.Sid)).toContain('ServiceLogs');
  });

  it('has its own role trusted only by Lambda, whose only policy holds exactly what it needs', () => {
    const stack = platformStack();
    new NodeFunction(stack, 'Digest', { code: code() });
    const json = synth(stack);
    const role = only(json, 'aws_iam_role');
    expect(policy(role.assume_role_policy).Statement).toEqual([
      { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
    ]);
    expect(role.managed_policy_arns).toBeUndefined();
    expect(resources(json, 'aws_iam_role_policy_attachment')).toHaveLength(0);
    const statements = policy(only(json, 'aws_iam_role_policy').policy).Statement;
    const byAction = Object.fromEntries(statements.flatMap((s) => [s.Action].flat().map((a: string) => [a, s])));
    expect(Object.keys(byAction).sort()).toEqual([
      'kms:Decrypt',
      'kms:DescribeKey',
      'kms:GenerateDataKey',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:SendMessage',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
    expect(byAction['logs:PutLogEvents'].Resource).toMatch(/^\$\{aws_cloudwatch_log_group\.Digest_LogGroup_.+\.arn\}:\*$/);
    expect(byAction['xray:PutTraceSegments'].Resource).toBe('*');
    expect(byAction['sqs:SendMessage'].Resource).toMatch(/aws_sqs_queue\.Digest_DeadLetterQueue_/);
    const envDecrypt = statements.find((s) => s.Condition?.StringEquals?.['kms:EncryptionContext:LambdaFunctionName']);
    expect(envDecrypt.Condition.StringEquals['kms:EncryptionContext:LambdaFunctionName']).toBe('gai-test-digest');
  });

  it('takes a key, queue, VPC, retention and reserved concurrency', () => {
    const stack = platformStack();
    const key = new EncryptionKey(stack, 'Shared', { services: ['logs'] });
    const dlq = new SecureQueue(stack, 'Failures', { encryptionKey: key });
    const fn = new NodeFunction(stack, 'Digest', {
      code: code(),
      encryptionKey: key,
      deadLetterQueue: dlq,
      reservedConcurrency: 5,
      logRetentionDays: 30,
      vpc: { subnetIds: ['subnet-1'], securityGroupIds: ['sg-1'] },
    });
    const caller = new Role(stack, 'Caller', { assumedBy: ['states.amazonaws.com'] });
    expect(fn.grantInvoke(caller).actions).toEqual(['lambda:InvokeFunction']);
    const json = synth(stack);
    expect(resources(json, 'aws_kms_key')).toHaveLength(1);
    expect(resources(json, 'aws_sqs_queue')).toHaveLength(1);
    const lambda = only(json, 'aws_lambda_function');
    expect(lambda.reserved_concurrent_executions).toBe(5);
    expect(lambda.vpc_config).toEqual({ subnet_ids: ['subnet-1'], security_group_ids: ['sg-1'] });
    expect(only(json, 'aws_cloudwatch_log_group').retention_in_days).toBe(30);
    const statements = policy(byPath(json, 'aws_iam_role_policy', 'Digest/ServiceRole/Policy/Resource').policy).Statement;
    const create = statements.find((s) => [s.Action].flat().includes('ec2:CreateNetworkInterface'));
    expect(create.Resource).toEqual([
      expect.stringMatching(/:ec2:eu-west-1:.*:network-interface\/\*$/),
      expect.stringMatching(/:subnet\/subnet-1$/),
      expect.stringMatching(/:security-group\/sg-1$/),
    ]);
  });

  it('rejects bad props, naming every field', () => {
    try {
      new NodeFunction(platformStack(), 'F', {
        code: 'index.zip' as never,
        memorySize: 64,
        timeoutSeconds: 901,
        environment: { AWS_REGION: 'x', '1bad': 'y' },
        logRetentionDays: 10 as never,
      });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(GaiConfigError);
      expect((e as GaiConfigError).problems.map((p) => p.fieldPath).sort()).toEqual([
        'code',
        'environment.1bad',
        'environment.AWS_REGION',
        'logRetentionDays',
        'memorySize',
        'timeoutSeconds',
      ]);
      expect((e as GaiConfigError).message).toContain('teststack/F: code: must be a LambdaCode');
    }
  });
});
