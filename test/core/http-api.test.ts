import { describe, expect, it } from 'vitest';
import { evaluatePolicies, GaiConfigError, HttpApi, LambdaCode, NodeFunction, Role, CORE_RULES } from '../../src';
import { byPath, only, platformStack, policy, resources, synth } from '../support/synth';

function api(routes = [
  { method: 'POST' as const, path: '/digest' },
  { method: 'GET' as const, path: '/datasets/{group}/versions' },
]) {
  const stack = platformStack();
  const fn = new NodeFunction(stack, 'Handler', { code: LambdaCode.fromRuntime('object-digest') });
  const httpApi = new HttpApi(stack, 'Api', { handler: fn, routes });
  return { stack, fn, httpApi };
}

describe('HttpApi', () => {
  it('makes every route AWS_IAM, logs access as JSON to an encrypted log group and throttles the stage', () => {
    const { stack } = api();
    const json = synth(stack);
    expect(only(json, 'aws_apigatewayv2_api')).toMatchObject({ name: 'gai-test-api', protocol_type: 'HTTP' });
    const routes = resources(json, 'aws_apigatewayv2_route').map(([, r]) => r);
    expect(routes.map((r) => r.route_key).sort()).toEqual(['GET /datasets/{group}/versions', 'POST /digest']);
    for (const r of routes) {
      expect(r.authorization_type).toBe('AWS_IAM');
      expect(r.target).toMatch(/^integrations\/\$\{aws_apigatewayv2_integration\./);
    }
    const stage = only(json, 'aws_apigatewayv2_stage');
    expect(stage).toMatchObject({
      name: '$default',
      auto_deploy: true,
      default_route_settings: { throttling_burst_limit: 100, throttling_rate_limit: 50, detailed_metrics_enabled: true },
    });
    const format = JSON.parse(stage.access_log_settings.format);
    expect(format).toMatchObject({ requestId: '$context.requestId', caller: '$context.identity.userArn', status: '$context.status' });
    const logGroup = byPath(json, 'aws_cloudwatch_log_group', 'Api/AccessLogs/Resource');
    expect(logGroup).toMatchObject({ name: '/aws/apigateway/gai-test-api', retention_in_days: 365, kms_key_id: expect.stringMatching(/Handler_Key_/) });
    expect(only(json, 'aws_apigatewayv2_integration')).toMatchObject({ integration_type: 'AWS_PROXY', payload_format_version: '2.0' });
  });

  it('lets API Gateway invoke the function only through each declared route', () => {
    const { stack } = api();
    const permissions = resources(synth(stack), 'aws_lambda_permission').map(([, p]) => p);
    expect(permissions.map((p) => p.source_arn).sort()).toEqual([
      expect.stringMatching(/execution_arn\}\/\$default\/GET\/datasets\/\*\/versions$/),
      expect.stringMatching(/execution_arn\}\/\$default\/POST\/digest$/),
    ]);
    for (const p of permissions) expect(p).toMatchObject({ action: 'lambda:InvokeFunction', principal: 'apigateway.amazonaws.com' });
  });

  it('grants execute-api:Invoke on chosen routes only', () => {
    const { stack, httpApi } = api();
    const reader = new Role(stack, 'Reader', { assumedBy: ['lambda.amazonaws.com'] });
    httpApi.grantInvoke(reader, [{ method: 'GET', path: '/datasets/{group}/versions' }]);
    const statements = policy(byPath(synth(stack), 'aws_iam_role_policy', 'Reader/Policy/Resource').policy).Statement;
    expect(statements).toEqual([
      { Effect: 'Allow', Action: 'execute-api:Invoke', Resource: expect.stringMatching(/\/\$default\/GET\/datasets\/\*\/versions$/) },
    ]);
    expect(() => httpApi.grantInvoke(reader, [{ method: 'DELETE', path: '/digest' }])).toThrow(/no route DELETE \/digest/);
  });

  it('rejects bad routes, all at once', () => {
    try {
      api([
        { method: 'POST', path: 'digest' },
        { method: 'GET', path: '/a' },
        { method: 'GET', path: '/a' },
        { method: 'HEAD' as never, path: '/b' },
      ]);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(GaiConfigError);
      expect((e as GaiConfigError).problems.map((p) => p.fieldPath).sort()).toEqual(['routes[0].path', 'routes[3].method']);
    }
    expect(() => api([{ method: 'GET', path: '/a' }, { method: 'GET', path: '/a' }])).toThrow(/routes\[1\]: duplicate route GET \/a/);
  });
});

describe('API Gateway rules', () => {
  const base = (route: Record<string, unknown>, stage: Record<string, unknown>) => ({
    resource: { aws_apigatewayv2_route: { r: route }, aws_apigatewayv2_stage: { s: stage } },
  });
  const goodStage = {
    access_log_settings: { destination_arn: 'arn:aws:logs:eu-west-1:1:log-group:x', format: '{}' },
    default_route_settings: { throttling_burst_limit: 10, throttling_rate_limit: 5 },
  };
  const ids = (json: Record<string, unknown>) => evaluatePolicies(json, CORE_RULES).map((f) => f.ruleId);

  it('flags unauthenticated routes, stages without access logs or throttling', () => {
    expect(ids(base({ route_key: 'GET /x' }, {}))).toEqual(['GAI-APIGW-001', 'GAI-APIGW-002', 'GAI-APIGW-003']);
    expect(ids(base({ route_key: 'GET /x', authorization_type: 'NONE' }, goodStage))).toEqual(['GAI-APIGW-001']);
  });

  it('passes AWS_IAM routes on a logged, throttled stage', () => {
    expect(ids(base({ route_key: 'GET /x', authorization_type: 'AWS_IAM' }, goodStage))).toEqual([]);
  });
});
