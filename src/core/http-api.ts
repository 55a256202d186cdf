import { Apigatewayv2Api } from '@cdktf/provider-aws/lib/apigatewayv2-api';
import { Apigatewayv2Integration } from '@cdktf/provider-aws/lib/apigatewayv2-integration';
import { Apigatewayv2Route } from '@cdktf/provider-aws/lib/apigatewayv2-route';
import { Apigatewayv2Stage } from '@cdktf/provider-aws/lib/apigatewayv2-stage';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { Construct } from 'constructs';
import { z } from 'zod';
import { EncryptionKey } from './encryption-key';
import { Grant, type IGrantable } from './iam/grant';
import { LogGroup } from './log-group';
import { NodeFunction } from './node-function';
import { PlatformContext } from './platform-context';
import { LogRetentionDaysSchema } from './platform-settings';
import { instanceOf, parseProps } from './props';

export const HttpRouteSchema = z.strictObject({
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']),
  path: z
    .string()
    .regex(/^(\/([A-Za-z0-9._~-]+|\{[A-Za-z][A-Za-z0-9_]*\+?\}))+$|^\/$/, 'must be a path such as /datasets/{group}/versions'),
});
export type HttpRoute = z.infer<typeof HttpRouteSchema>;

/** The access-log line: JSON with the request id, caller identity, route, status and latency (no bodies, no query strings). */
export const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  time: '$context.requestTimeEpoch',
  ip: '$context.identity.sourceIp',
  caller: '$context.identity.userArn',
  routeKey: '$context.routeKey',
  status: '$context.status',
  latencyMs: '$context.responseLatency',
  integrationLatencyMs: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  responseLength: '$context.responseLength',
});

export const HttpApiPropsSchema = z.strictObject({
  handler: instanceOf(NodeFunction, 'NodeFunction').describe('The function serving every route (Lambda proxy, payload format 2.0).'),
  routes: z
    .array(HttpRouteSchema)
    .min(1)
    .superRefine((routes, ctx) => {
      const keys = routes.map((r) => `${r.method} ${r.path}`);
      keys.forEach((k, i) => {
        if (keys.indexOf(k) !== i) ctx.addIssue({ code: 'custom', path: [i], message: `duplicate route ${k}` });
      });
    })
    .describe('Every route, explicitly (no catch-all): each is AWS_IAM-authorised and grantable on its own.'),
  throttling: z
    .strictObject({ burstLimit: z.number().int().min(1).default(100), rateLimit: z.number().min(1).default(50) })
    .default({ burstLimit: 100, rateLimit: 50 })
    .describe('Stage-wide throttling: burst 100 requests, 50 requests per second.'),
  encryptionKey: instanceOf(EncryptionKey, 'EncryptionKey')
    .optional()
    .describe("Key for the access-log group (must allow `logs`). Default the handler's key."),
  accessLogRetentionDays: LogRetentionDaysSchema.optional().describe("Access-log retention. Default the platform's `logRetentionDays`."),
});
export type HttpApiProps = z.input<typeof HttpApiPropsSchema>;

/**
 * An API Gateway HTTP API in front of one NodeFunction: every route explicit and AWS_IAM
 * authorised (callers sign requests with SigV4 and need `execute-api:Invoke` on that route — see
 * `grantInvoke`), a `$default` stage with JSON access logs (encrypted, retention) and throttling,
 * and Lambda permissions scoped to each route's ARN.
 *
 * HTTP APIs have no private endpoint type: the endpoint is reachable from the internet but refuses
 * every unsigned or unauthorised request. Put a REST API with a VPC endpoint in front where
 * network isolation is required.
 */
export class HttpApi extends Construct {
  readonly resource: Apigatewayv2Api;
  readonly stage: Apigatewayv2Stage;
  readonly accessLogs: LogGroup;
  /** `https://<id>.execute-api.<region>.amazonaws.com` (a token). */
  readonly url: string;
  readonly apiId: string;
  readonly executionArn: string;
  readonly routes: readonly HttpRoute[];

  constructor(scope: Construct, id: string, props: HttpApiProps) {
    super(scope, id);
    const p = parseProps(this, HttpApiPropsSchema, props);
    const ctx = PlatformContext.of(this);
    this.routes = p.routes;
    const name = ctx.physicalName('lambda', this);

    this.resource = new Apigatewayv2Api(this, 'Resource', { name, protocolType: 'HTTP', description: `gaiops API ${this.node.path}` });
    this.apiId = this.resource.id;
    this.executionArn = this.resource.executionArn;
    this.url = this.resource.apiEndpoint;

    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      logGroupName: `/aws/apigateway/${name}`,
      encryptionKey: p.encryptionKey ?? p.handler.encryptionKey,
      retentionDays: p.accessLogRetentionDays,
    });
    this.stage = new Apigatewayv2Stage(this, 'DefaultStage', {
      apiId: this.apiId,
      name: '$default',
      autoDeploy: true,
      accessLogSettings: { destinationArn: this.accessLogs.logGroupArn, format: ACCESS_LOG_FORMAT },
      defaultRouteSettings: {
        throttlingBurstLimit: p.throttling.burstLimit,
        throttlingRateLimit: p.throttling.rateLimit,
        detailedMetricsEnabled: true,
      },
    });

    const integration = new Apigatewayv2Integration(this, 'Integration', {
      apiId: this.apiId,
      integrationType: 'AWS_PROXY',
      integrationMethod: 'POST',
      integrationUri: p.handler.invokeArn,
      payloadFormatVersion: '2.0',
      timeoutMilliseconds: 30000,
    });
    p.routes.forEach((route) => {
      const routeId = routeConstructId(route);
      new Apigatewayv2Route(this, routeId, {
        apiId: this.apiId,
        routeKey: `${route.method} ${route.path}`,
        authorizationType: 'AWS_IAM',
        target: `integrations/${integration.id}`,
      });
      new LambdaPermission(this, `${routeId}Permission`, {
        action: 'lambda:InvokeFunction',
        functionName: p.handler.functionName,
        principal: 'apigateway.amazonaws.com',
        sourceArn: this.routeArn(route),
      });
    });
  }

  /**
   * `execute-api:Invoke` on the given routes (default: all). Path parameters become `*` in the
   * route ARN, so `GET /datasets/{group}/versions` allows every group.
   */
  grantInvoke(grantee: IGrantable, routes: readonly HttpRoute[] = this.routes): Grant {
    for (const r of routes) {
      if (!this.routes.some((known) => known.method === r.method && known.path === r.path)) {
        throw new Error(`${this.node.path}: no route ${r.method} ${r.path}`);
      }
    }
    return Grant.addTo(grantee, [{ actions: ['execute-api:Invoke'], resources: routes.map((r) => this.routeArn(r)) }]);
  }

  /** `<execution ARN>/$default/<METHOD>/<path with {params} as *>`. */
  routeArn(route: HttpRoute): string {
    const path = route.path.replace(/\{[^}]+\}/g, '*').replace(/^\//, '');
    return `${this.executionArn}/$default/${route.method}/${path}`;
  }
}

/** `POST /datasets/{group}/revert` → `PostDatasetsGroupRevert` — stable, so Terraform addresses stay put. */
function routeConstructId(route: HttpRoute): string {
  const words = `${route.method} ${route.path}`.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return `Route${words.map((w) => w[0].toUpperCase() + w.slice(1).toLowerCase()).join('')}`;
}
