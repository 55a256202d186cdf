/**
 * Adapts an `HttpApp` to AWS Lambda behind an API Gateway HTTP API (payload format 2.0); the same
 * payload is used by Lambda function URLs.
 */
import { randomUUID } from 'node:crypto';
import type {
  APIGatewayEventRequestContextV2,
  APIGatewayProxyEventV2WithRequestContext,
  APIGatewayProxyStructuredResultV2,
} from 'aws-lambda';
import { type HttpApp, parseQueryString } from './http-app';

/** Any payload-v2 event, with or without an authorizer block. */
export type HttpApiEvent = APIGatewayProxyEventV2WithRequestContext<APIGatewayEventRequestContextV2>;

/** A Lambda handler for HTTP API payload v2 events. */
export type LambdaHttpHandler = (event: HttpApiEvent) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * Returns a Lambda handler that runs `app` for each event:
 * - method from `requestContext.http.method`, path from `rawPath` (a leading `/<stage>` of a
 *   non-`$default` stage is removed, so routes do not depend on the stage name);
 * - query from `rawQueryString` (first value wins for repeated names);
 * - body decoded from base64 when `isBase64Encoded`;
 * - request id from `requestContext.requestId`, echoed as the `x-request-id` response header;
 * - `principal` from the IAM authorizer block (`requestContext.authorizer.iam.userArn`, else
 *   `callerId`), see `principalFromRequestContext`; undefined for routes without IAM auth.
 * Never throws for a well-formed event: errors become JSON error responses.
 */
export function toLambdaHandler(app: HttpApp): LambdaHttpHandler {
  return async (event) => {
    const requestContext = event.requestContext ?? ({} as Partial<APIGatewayEventRequestContextV2>);
    const requestId = requestContext.requestId || randomUUID();
    const rawBody =
      event.body === undefined || event.body === null
        ? undefined
        : event.isBase64Encoded
          ? Buffer.from(event.body, 'base64').toString('utf8')
          : event.body;
    const response = await app.handle({
      method: requestContext.http?.method ?? '',
      path: stripStage(event.rawPath ?? requestContext.http?.path ?? '/', requestContext.stage),
      query: parseQueryString(event.rawQueryString),
      headers: event.headers ?? {},
      rawBody,
      requestId,
      principal: principalFromRequestContext(requestContext),
    });
    return {
      statusCode: response.status,
      headers: { ...response.headers, 'x-request-id': requestId },
      body: response.body,
      isBase64Encoded: false,
    };
  };
}

/**
 * The caller established by an API Gateway IAM (SigV4) authorizer: `authorizer.iam.userArn` (e.g.
 * `arn:aws:sts::123456789012:assumed-role/Role/session`), else `authorizer.iam.callerId`; undefined
 * when the event carries no IAM authorizer context. Client headers are never consulted.
 */
export function principalFromRequestContext(requestContext: unknown): string | undefined {
  const iam = (requestContext as { authorizer?: { iam?: { userArn?: unknown; callerId?: unknown } } } | undefined)?.authorizer?.iam;
  if (!iam) return undefined;
  for (const candidate of [iam.userArn, iam.callerId]) {
    if (typeof candidate === 'string' && candidate.trim() !== '') return candidate.trim();
  }
  return undefined;
}

function stripStage(path: string, stage: string | undefined): string {
  if (!stage || stage === '$default') return path;
  const prefix = `/${stage}`;
  if (path === prefix) return '/';
  return path.startsWith(`${prefix}/`) ? path.slice(prefix.length) : path;
}
