import type { PolicyRule } from '../types';
import { firstBlock, isExpression, isSet, related, show } from './helpers';

const FUNCTION = ['aws_lambda_function'] as const;

/**
 * Managed runtimes gaiops accepts: Amazon Linux 2023 runtimes with an AWS Lambda deprecation date
 * still ahead (as of November 2026). Update as AWS publishes new runtimes and deprecations.
 */
export const SUPPORTED_LAMBDA_RUNTIMES: readonly string[] = [
  'nodejs22.x',
  'nodejs24.x',
  'python3.12',
  'python3.13',
  'python3.14',
  'java21',
  'java25',
  'dotnet10',
  'ruby3.3',
  'ruby3.4',
  'provided.al2023',
];

/** Runtimes AWS Lambda has deprecated (no security patches; creation, then updates, blocked). */
export const DEPRECATED_LAMBDA_RUNTIMES: readonly string[] = [
  'nodejs',
  'nodejs4.3',
  'nodejs4.3-edge',
  'nodejs6.10',
  'nodejs8.10',
  'nodejs10.x',
  'nodejs12.x',
  'nodejs14.x',
  'nodejs16.x',
  'nodejs18.x',
  'nodejs20.x',
  'python2.7',
  'python3.6',
  'python3.7',
  'python3.8',
  'python3.9',
  'java8',
  'dotnetcore1.0',
  'dotnetcore2.0',
  'dotnetcore2.1',
  'dotnetcore3.1',
  'dotnet5.0',
  'dotnet6',
  'dotnet7',
  'dotnet8',
  'go1.x',
  'ruby2.5',
  'ruby2.7',
  'ruby3.2',
  'provided',
];

/** Runtimes on Amazon Linux 2, which reached end of life on 30 June 2026. */
export const AMAZON_LINUX_2_RUNTIMES: readonly string[] = ['java8.al2', 'java11', 'java17', 'python3.10', 'python3.11', 'provided.al2'];

/** Supported runtimes of the same language as `runtime` (every supported runtime when none is). */
function successors(runtime: string): string[] {
  const family = (r: string): string => {
    const name = /^[a-z]+/.exec(r)?.[0] ?? r;
    return name === 'dotnetcore' ? 'dotnet' : name === 'go' ? 'provided' : name;
  };
  const same = SUPPORTED_LAMBDA_RUNTIMES.filter((r) => family(r) === family(runtime));
  return same.length > 0 ? same : [...SUPPORTED_LAMBDA_RUNTIMES];
}

export const lambdaActiveTracing: PolicyRule = {
  id: 'GAI-LMB-001',
  severity: 'warning',
  title: 'Lambda functions have active X-Ray tracing',
  rationale: 'Active tracing records every invocation end to end, so latency and errors can be followed across services.',
  fix: 'Set tracing_config { mode = "Active" } on the aws_lambda_function, and allow xray:PutTraceSegments and xray:PutTelemetryRecords in its role.',
  appliesTo: FUNCTION,
  check: (fn) => {
    const tracing = firstBlock(fn.config.tracing_config);
    if (!tracing) return ['has no tracing_config block, so X-Ray tracing is off'];
    return tracing.mode === 'Active' ? [] : [`tracing_config.mode is ${show(tracing.mode)}; expected "Active"`];
  },
};

export const lambdaFailureDestination: PolicyRule = {
  id: 'GAI-LMB-002',
  severity: 'error',
  title: 'Lambda functions keep failed asynchronous events (dead-letter queue or on-failure destination)',
  rationale:
    'An asynchronous event that still fails after Lambda\'s retries is dropped unless a dead-letter queue or on-failure destination keeps it for inspection and replay.',
  fix: 'Set dead_letter_config { target_arn = <SQS queue or SNS topic ARN> } on the aws_lambda_function (or add an aws_lambda_function_event_invoke_config with destination_config.on_failure). Functions driven only by event source mappings (SQS, streams) should suppress this rule and keep failures on the source\'s redrive policy or on_failure destination instead.',
  appliesTo: FUNCTION,
  check: (fn, ctx) => {
    if (isSet(firstBlock(fn.config.dead_letter_config)?.target_arn)) return [];
    const invokeConfigs = related(ctx, fn, {
      type: 'aws_lambda_function_event_invoke_config',
      attribute: 'function_name',
      targetAttribute: 'function_name',
    });
    const onFailure = invokeConfigs.some((c) => isSet(firstBlock(firstBlock(c.config.destination_config)?.on_failure)?.destination));
    if (onFailure) return [];
    return [
      'has no dead_letter_config.target_arn and no aws_lambda_function_event_invoke_config with an on_failure destination, so failed asynchronous events are dropped',
    ];
  },
};

export const lambdaEnvironmentKms: PolicyRule = {
  id: 'GAI-LMB-003',
  severity: 'error',
  title: 'Lambda functions with environment variables encrypt them with a customer-managed KMS key',
  rationale:
    'Environment variables often carry configuration worth protecting; with a customer-managed key, reading them needs kms:Decrypt on a key you control and audit rather than the AWS-managed aws/lambda key.',
  fix: 'Set kms_key_arn on the aws_lambda_function (an EncryptionKey\'s keyArn) and grant the function role kms:Decrypt on it; keep secrets in Secrets Manager rather than in variables.',
  appliesTo: FUNCTION,
  check: (fn) => {
    const variables = firstBlock(fn.config.environment)?.variables;
    const hasVariables =
      isExpression(variables) || (variables !== null && typeof variables === 'object' && Object.keys(variables).length > 0);
    if (!hasVariables || isSet(fn.config.kms_key_arn)) return [];
    return ['environment.variables is set but kms_key_arn is not, so the variables are encrypted with the AWS-managed key aws/lambda'];
  },
};

export const lambdaSupportedRuntime: PolicyRule = {
  id: 'GAI-LMB-004',
  severity: 'error',
  title: 'Lambda functions use a supported, non-deprecated runtime',
  rationale:
    'Deprecated runtimes get no security patches, and Lambda blocks creating and then updating functions that use them, which can leave a fix undeployable.',
  fix: `Set runtime on the aws_lambda_function to a supported runtime (${SUPPORTED_LAMBDA_RUNTIMES.join(', ')}) and update the code for it; container-image functions need no runtime.`,
  appliesTo: FUNCTION,
  check: (fn) => {
    const runtime = fn.config.runtime;
    // Container-image functions have no runtime; an expression cannot be judged at synth.
    if (typeof runtime !== 'string' || runtime === '' || isExpression(runtime)) return [];
    if (SUPPORTED_LAMBDA_RUNTIMES.includes(runtime)) return [];
    const use = `use ${successors(runtime).join(' or ')}`;
    if (DEPRECATED_LAMBDA_RUNTIMES.includes(runtime)) return [`runtime ${show(runtime)} is deprecated by AWS Lambda; ${use}`];
    if (AMAZON_LINUX_2_RUNTIMES.includes(runtime)) {
      return [`runtime ${show(runtime)} runs on Amazon Linux 2, which reached end of life on 30 June 2026; ${use}`];
    }
    return [`runtime ${show(runtime)} is not a supported Lambda runtime; ${use}`];
  },
};

export const LAMBDA_RULES: readonly PolicyRule[] = [lambdaActiveTracing, lambdaFailureDestination, lambdaEnvironmentKms, lambdaSupportedRuntime];
