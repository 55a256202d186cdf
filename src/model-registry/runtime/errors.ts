/**
 * Error model of the registry runtime. Handlers throw `RegistryError` (an `HttpError` whose `code`
 * is an MLflow error code); `toMlflowErrorResponse` rewrites every error response of the app,
 * including the ones `HttpApp` produces itself (unknown route, bad JSON, ...), into MLflow's body
 * shape `{ "error_code": "...", "message": "..." }` (plus `details` when there are any).
 */
import { HttpError, type SerializedHttpResponse } from '../../core/runtime/http-app';

/** The MLflow (Databricks) error codes this service returns, with their HTTP status. */
export const MLFLOW_ERROR_STATUS = {
  INVALID_PARAMETER_VALUE: 400,
  RESOURCE_ALREADY_EXISTS: 400,
  MALFORMED_REQUEST: 400,
  BAD_REQUEST: 400,
  PERMISSION_DENIED: 403,
  RESOURCE_DOES_NOT_EXIST: 404,
  ENDPOINT_NOT_FOUND: 404,
  INTERNAL_ERROR: 500,
  TEMPORARILY_UNAVAILABLE: 503,
} as const;
export type MlflowErrorCode = keyof typeof MLFLOW_ERROR_STATUS;

/** A failure with an MLflow error code; the status follows from the code unless given. */
export class RegistryError extends HttpError {
  constructor(
    public readonly errorCode: MlflowErrorCode,
    message: string,
    details?: unknown,
    status: number = MLFLOW_ERROR_STATUS[errorCode],
  ) {
    super(status, errorCode, message, details);
    this.name = 'RegistryError';
  }
}

export const invalidParameter = (message: string, details?: unknown): RegistryError =>
  new RegistryError('INVALID_PARAMETER_VALUE', message, details);
export const notFound = (message: string): RegistryError => new RegistryError('RESOURCE_DOES_NOT_EXIST', message);
export const alreadyExists = (message: string): RegistryError => new RegistryError('RESOURCE_ALREADY_EXISTS', message);
export const permissionDenied = (message: string, details?: unknown): RegistryError =>
  new RegistryError('PERMISSION_DENIED', message, details);

/** `HttpApp`'s own error codes → MLflow codes (the status is kept). */
const HTTP_APP_CODES: Readonly<Record<string, string>> = {
  not_found: 'ENDPOINT_NOT_FOUND',
  method_not_allowed: 'ENDPOINT_NOT_FOUND',
  unsupported_media_type: 'BAD_REQUEST',
  invalid_json: 'MALFORMED_REQUEST',
  invalid_body: 'INVALID_PARAMETER_VALUE',
  invalid_query: 'INVALID_PARAMETER_VALUE',
  payload_too_large: 'BAD_REQUEST',
  internal_error: 'INTERNAL_ERROR',
};

/**
 * Rewrites an `HttpApp` error response (`{ "error": { code, message, details? } }`) into MLflow's
 * `{ "error_code", "message", "details"? }`. Successful responses are returned unchanged.
 */
export function toMlflowErrorResponse(response: SerializedHttpResponse): SerializedHttpResponse {
  if (response.status < 400 || response.body === '') return response;
  let parsed: unknown;
  try {
    parsed = JSON.parse(response.body);
  } catch {
    return response;
  }
  const error = (parsed as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
  if (!error || typeof error.code !== 'string') return response;
  const body: Record<string, unknown> = {
    error_code: HTTP_APP_CODES[error.code] ?? error.code,
    message: typeof error.message === 'string' ? error.message : 'request failed',
  };
  if (error.details !== undefined) body.details = error.details;
  return { ...response, body: JSON.stringify(body) };
}
