/**
 * The playground's logger: one JSON object per line on a stream (stderr), so stdout carries only
 * the ready line. Same shape and redaction as the runtimes' Powertools logs (`level`, `message`,
 * `service`, `timestamp`, attributes; credential-looking keys redacted).
 */
import type { AppLogger } from '../../core/runtime/http-app';
import { redactingReplacer } from '../../core/runtime/logger';

export interface LogSink {
  write(chunk: string): unknown;
}

/** A logger for `service` writing to `sink`; `debug` lines are dropped. */
export function streamLogger(service: string, sink: LogSink): AppLogger {
  const line = (level: string, message: string, attributes: Record<string, unknown>[]): void => {
    const entry = Object.assign({ level, message, service, timestamp: new Date().toISOString() }, ...attributes);
    sink.write(`${JSON.stringify(entry, redactingReplacer)}\n`);
  };
  return {
    debug: () => undefined,
    info: (message, ...attributes) => line('INFO', message, attributes),
    warn: (message, ...attributes) => line('WARN', message, attributes),
    error: (message, ...attributes) => line('ERROR', message, attributes),
  };
}
