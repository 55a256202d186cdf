/**
 * Structured JSON logging for gaiops runtimes, built on Powertools for AWS Lambda's `Logger`.
 *
 * Log level comes from `POWERTOOLS_LOG_LEVEL` (or `AWS_LAMBDA_LOG_LEVEL` / `LOG_LEVEL`), default
 * `INFO`; `SILENT` turns logging off. As a last line of defence, values under keys that look like
 * credentials (`authorization`, `cookie`, `password`, `secret`, `token`, `apiKey`, ...) are replaced
 * by `[REDACTED]` before a line is written. Callers must still never log bodies, queries or headers.
 */
import { Logger } from '@aws-lambda-powertools/logger';

export type { Logger } from '@aws-lambda-powertools/logger';

const SENSITIVE_KEY = /authori[sz]ation|cookie|passw(or)?d|secret|token|api[-_]?key|credential|private[-_]?key|session/i;

/** JSON replacer used by every gaiops logger: redacts values of credential-looking keys. */
export function redactingReplacer(key: string, value: unknown): unknown {
  if (key !== '' && SENSITIVE_KEY.test(key) && value !== undefined && value !== null) return '[REDACTED]';
  return value;
}

export interface CreateLoggerOptions {
  /** Overrides the environment-derived level, e.g. `'DEBUG'` or `'SILENT'`. */
  readonly logLevel?: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'CRITICAL' | 'SILENT';
  /** Keys added to every line (must not contain secrets or personal data). */
  readonly persistentKeys?: Record<string, string | number | boolean>;
}

/** A Powertools `Logger` writing one JSON object per line, tagged with `service: serviceName`. */
export function createLogger(serviceName: string, options: CreateLoggerOptions = {}): Logger {
  return new Logger({
    serviceName,
    ...(options.logLevel ? { logLevel: options.logLevel } : {}),
    ...(options.persistentKeys ? { persistentKeys: options.persistentKeys } : {}),
    jsonReplacerFn: redactingReplacer,
  });
}
