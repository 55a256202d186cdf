/**
 * The access log: one JSON line per request, written straight to a stream (stdout in the
 * container), not through the shared Powertools logger — that one redacts every key matching
 * /token|secret|.../i, which would hide token counts. Field names are chosen so that generic
 * redaction in a log pipeline does not hit them either (`usageInput`, not `inputTokens`). The raw
 * user id, API key, headers and bodies are never written; prompts and completions only with
 * `logging.prompts: redacted`, after `redactPii`, and truncated.
 */
import type { Writable } from 'node:stream';

export interface AccessLogEntry {
  /** Request id (client `x-request-id` when well-formed, else generated). */
  readonly requestId: string;
  /** API key alias (`null` when unauthenticated). */
  readonly keyAlias: string | null;
  readonly team: string | null;
  /** Variant that answered (the last one tried), `null` when none was tried. */
  readonly variant: string | null;
  /** Public model id from the request (`null` when absent). */
  readonly model: string | null;
  /** `chat` | `completions` | `embeddings` | `models`. */
  readonly route: string;
  readonly status: number;
  /** OpenAI-style error code when the gateway refused or failed the request. */
  readonly errorCode: string | null;
  readonly stream: boolean;
  /** Upstream attempts (retries + 1); 0 when refused before routing. */
  readonly attempts: number;
  readonly latencyMs: number;
  /** Request start to first streamed chunk (streams only). */
  readonly ttftMs: number | null;
  readonly usageInput: number | null;
  readonly usageOutput: number | null;
  readonly costUsd: number | null;
  /** First 16 hex chars of sha256(user), `null` when the caller named no user. */
  readonly userHash: string | null;
  /** Present only with `logging.prompts: redacted`. */
  readonly prompt?: string;
  readonly completion?: string;
}

/**
 * Writes access-log lines, batched: lines of one event-loop turn are joined and written at once
 * (`setImmediate`), which saves a write (and, on stdout, a syscall) per request under load.
 * `flush()` writes what is pending now (shutdown).
 */
export class AccessLogWriter {
  private pending: string[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private readonly clock = new IsoClock();

  constructor(private readonly out: Writable | undefined) {}

  write(entry: AccessLogEntry): void {
    if (!this.out) return;
    this.pending.push(formatAccessLine(entry, this.clock.now()));
    this.scheduled ??= setImmediate(() => this.flush());
  }

  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (this.pending.length === 0 || !this.out || this.out.destroyed) return;
    const text = `${this.pending.join('\n')}\n`;
    this.pending = [];
    this.out.write(text);
  }
}

/**
 * `new Date().toISOString()`, formatted at most once per millisecond, and through `Date` at most
 * once per second (within a second only the milliseconds change).
 */
export class IsoClock {
  private ms = Number.NaN;
  private iso = '';
  private second = Number.NaN;
  /** `toISOString()` of the current second up to and including the `.`. */
  private prefix = '';

  constructor(private readonly clock: () => number = Date.now) {}

  now(): string {
    const ms = Math.trunc(this.clock()); // what Date does with a fractional time value
    if (ms !== this.ms) {
      this.ms = ms;
      const second = Math.floor(ms / 1000);
      if (second !== this.second) {
        this.second = second;
        this.prefix = new Date(second * 1000).toISOString().slice(0, -4);
      }
      const millis = ms - second * 1000;
      this.iso = `${this.prefix}${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`;
    }
    return this.iso;
  }
}

/**
 * One access-log line: the same text as
 * `JSON.stringify({ level: 'INFO', message: 'access', timestamp, service: 'inference-gateway', ...entry })`
 * for an entry with the fields in `AccessLogEntry` order, built by concatenation (no intermediate
 * object, only the string values go through `JSON.stringify`). Hot path: one call per request.
 */
export function formatAccessLine(e: AccessLogEntry, timestamp: string): string {
  let line =
    `{"level":"INFO","message":"access","timestamp":"${timestamp}","service":"inference-gateway","requestId":${str(e.requestId)}` +
    `,"keyAlias":${str(e.keyAlias)},"team":${str(e.team)},"variant":${str(e.variant)},"model":${str(e.model)},"route":${str(e.route)}` +
    `,"status":${num(e.status)},"errorCode":${str(e.errorCode)},"stream":${e.stream ? 'true' : 'false'},"attempts":${num(e.attempts)}` +
    `,"latencyMs":${num(e.latencyMs)},"ttftMs":${num(e.ttftMs)},"usageInput":${num(e.usageInput)},"usageOutput":${num(e.usageOutput)}` +
    `,"costUsd":${num(e.costUsd)},"userHash":${str(e.userHash)}`;
  if (e.prompt !== undefined) line += `,"prompt":${str(e.prompt)}`;
  if (e.completion !== undefined) line += `,"completion":${str(e.completion)}`;
  return `${line}}`;
}

/** `JSON.stringify(value)`; printable ASCII without `"` or `\\` (ids, names, aliases) is quoted as is. */
function str(value: string | null): string {
  if (value === null) return 'null';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return JSON.stringify(value);
  }
  return `"${value}"`;
}

function num(value: number | null): string {
  return value !== null && Number.isFinite(value) ? String(value) : 'null';
}
