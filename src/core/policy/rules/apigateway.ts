import type { PolicyRule } from '../types';
import { firstBlock, isSet, numberValue } from './helpers';

export const apiRouteAuthorization: PolicyRule = {
  id: 'GAI-APIGW-001',
  severity: 'error',
  title: 'API Gateway v2 routes require authorization',
  rationale: 'A route with authorization_type NONE lets anyone on the internet call the integration behind it.',
  fix: 'Set authorization_type = "AWS_IAM" (or JWT / CUSTOM with an authorizer); gaiops HttpApi makes every route AWS_IAM.',
  appliesTo: ['aws_apigatewayv2_route'],
  check: (route) => {
    const type = route.config.authorization_type;
    return type === undefined || type === 'NONE' ? [`route ${String(route.config.route_key)} has authorization_type ${String(type ?? 'NONE (unset)')}`] : [];
  },
};

export const apiStageAccessLogs: PolicyRule = {
  id: 'GAI-APIGW-002',
  severity: 'error',
  title: 'API Gateway v2 stages write access logs',
  rationale: 'Access logs are the record of who called which route, when, and with what result — needed for audits and incident response.',
  fix: 'Set access_log_settings { destination_arn, format } on the stage; gaiops HttpApi logs JSON lines to an encrypted log group.',
  appliesTo: ['aws_apigatewayv2_stage'],
  check: (stage) => {
    const settings = firstBlock(stage.config.access_log_settings);
    return settings && isSet(settings.destination_arn) && isSet(settings.format) ? [] : ['the stage has no access_log_settings'];
  },
};

export const apiStageThrottling: PolicyRule = {
  id: 'GAI-APIGW-003',
  severity: 'warning',
  title: 'API Gateway v2 stages set default throttling',
  rationale: 'Without stage throttling one caller can exhaust the account-level API Gateway and Lambda concurrency for everyone.',
  fix: 'Set default_route_settings { throttling_burst_limit, throttling_rate_limit } on the stage; gaiops HttpApi defaults to 100 burst / 50 rps.',
  appliesTo: ['aws_apigatewayv2_stage'],
  check: (stage) => {
    const settings = firstBlock(stage.config.default_route_settings);
    const burst = numberValue(settings?.throttling_burst_limit);
    const rate = numberValue(settings?.throttling_rate_limit);
    return burst !== undefined && rate !== undefined && burst > 0 && rate > 0 ? [] : ['the stage sets no default throttling limits'];
  },
};

export const APIGATEWAY_RULES: readonly PolicyRule[] = [apiRouteAuthorization, apiStageAccessLogs, apiStageThrottling];
