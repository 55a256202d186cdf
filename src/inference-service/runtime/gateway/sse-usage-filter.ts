/**
 * Watches an OpenAI server-sent-event stream as it is forwarded: reads the usage chunk
 * (`stream_options.include_usage`) and, when the client did not ask for usage itself, removes that
 * chunk (`"choices": []` plus `usage`) from what the client receives.
 *
 * Works on bytes: events end at a blank line (`\n\n`, `\r\n\r\n` or `\r\r`), and UTF-8 multi-byte
 * sequences never contain CR or LF bytes, so events are found without decoding. Only an event that
 * holds a `"usage"` object (one per stream) is decoded and parsed — or every event when generated
 * text is captured for redacted logging.
 *
 * - Pass-through mode (`stripUsageChunk: false`): every chunk is forwarded unchanged, immediately.
 * - Strip mode: complete events are forwarded as soon as their blank line arrives (a whole chunk at
 *   once when nothing in it is removed); only a partial event at the end of a chunk is held back.
 * Memory is bounded by the largest single event (plus `captureTextChars` when text is captured).
 */
import { type TokenUsage, choiceText, usageFromObject } from './usage';

export interface SseUsageFilterOptions {
  /** Remove the usage-only chunk from the forwarded stream. */
  readonly stripUsageChunk: boolean;
  /** Capture up to this many characters of generated text (for redacted prompt logging); 0 = off. */
  readonly captureTextChars?: number;
}

const LF = 0x0a;
const CR = 0x0d;
const USAGE_KEY = Buffer.from('"usage"');
const EMPTY = Buffer.alloc(0);

export class SseUsageFilter {
  /** The last usage seen in the stream. */
  usage: TokenUsage | undefined;
  /** Captured generated text (see `captureTextChars`). */
  text = '';
  private pending: Buffer = EMPTY;
  private readonly strip: boolean;
  private readonly captureChars: number;

  constructor(options: SseUsageFilterOptions) {
    this.strip = options.stripUsageChunk;
    this.captureChars = options.captureTextChars ?? 0;
  }

  /** Feeds one upstream chunk; returns what to forward now (possibly empty). */
  push(chunk: Buffer): Buffer {
    // Fast path (almost every chunk): nothing held back, the chunk ends at an event boundary, no text
    // to capture and no usage object in it — nothing to inspect or remove, forward it as is.
    if (this.pending.length === 0 && this.captureChars === 0 && endsWithBlankLine(chunk) && !usageObjectAt(chunk, 0, chunk.length)) return chunk;
    const data = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    // Kept event ranges are only collected once an event was removed (rare: one per stream).
    let kept: Buffer[] | undefined;
    let start = 0;
    for (;;) {
      const end = eventEnd(data, start);
      if (end < 0) break;
      if (this.inspect(data, start, end)) kept?.push(data.subarray(start, end));
      else if (!kept) kept = start > 0 ? [data.subarray(0, start)] : [];
      start = end;
    }
    this.pending = start < data.length ? Buffer.from(data.subarray(start)) : EMPTY;
    if (!this.strip) return chunk;
    if (!kept) return start === data.length ? data : data.subarray(0, start);
    return kept.length === 0 ? EMPTY : kept.length === 1 ? kept[0] : Buffer.concat(kept);
  }

  /** End of the upstream stream: inspects and returns any unterminated last event. */
  flush(): Buffer {
    const rest = this.pending;
    this.pending = EMPTY;
    if (rest.length === 0) return EMPTY;
    const keep = this.inspect(rest, 0, rest.length);
    return this.strip && keep ? rest : EMPTY;
  }

  /** Looks at the event `buf[start, end)`; returns false for the usage-only chunk. */
  private inspect(buf: Buffer, start: number, end: number): boolean {
    const hasUsageObject = usageObjectAt(buf, start, end);
    if (!hasUsageObject && this.captureChars === 0) return true;
    const data = eventData(buf.toString('utf8', start, end));
    if (data === undefined || data === '[DONE]') return true;
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      return true; // not ours to judge: forward as is
    }
    if (this.captureChars > 0 && this.text.length < this.captureChars) {
      this.text = (this.text + choiceText(parsed)).slice(0, this.captureChars);
    }
    if (!hasUsageObject) return true;
    const usage = usageFromObject((parsed as { usage?: unknown }).usage);
    if (!usage) return true;
    this.usage = usage;
    const choices = (parsed as { choices?: unknown }).choices;
    return !(Array.isArray(choices) && choices.length === 0);
  }
}

/** True when `buf` ends with a blank line (`\n\n` or `\r\n\r\n`), i.e. with a complete event. */
function endsWithBlankLine(buf: Buffer): boolean {
  const n = buf.length;
  if (n < 2 || buf[n - 1] !== LF) return false;
  if (buf[n - 2] === LF) return true;
  return n >= 4 && buf[n - 2] === CR && buf[n - 3] === LF && buf[n - 4] === CR;
}

/** Index just past the blank line ending the event that starts at `from`, or -1. */
function eventEnd(buf: Buffer, from: number): number {
  let i = from;
  let cr = -2; // next CR at or after i (-1: none left), looked up lazily
  while (i < buf.length) {
    const lf = buf.indexOf(LF, i);
    if (cr !== -1 && cr < i) cr = buf.indexOf(CR, i);
    const nl = lf < 0 ? cr : cr < 0 ? lf : Math.min(lf, cr);
    if (nl < 0) return -1;
    // First line break at nl (CRLF counts as one); is it directly followed by another?
    let after = nl + 1;
    if (buf[nl] === CR) {
      if (after >= buf.length) return -1; // CR at the end: might be CRLF, wait for more
      if (buf[after] === LF) after += 1;
    }
    if (after >= buf.length) return -1;
    if (buf[after] === LF) return after + 1;
    if (buf[after] === CR) {
      if (after + 1 >= buf.length) return -1;
      return buf[after + 1] === LF ? after + 2 : after + 1;
    }
    i = after;
  }
  return -1;
}

/** True when the event contains `"usage"` followed by `:` and an object (not `null`). */
function usageObjectAt(buf: Buffer, start: number, end: number): boolean {
  let at = buf.indexOf(USAGE_KEY, start);
  while (at >= 0 && at < end) {
    let i = at + USAGE_KEY.length;
    while (i < end && (buf[i] === 0x20 || buf[i] === 0x09)) i++;
    if (buf[i] === 0x3a /* : */) {
      i++;
      while (i < end && (buf[i] === 0x20 || buf[i] === 0x09)) i++;
      if (buf[i] === 0x7b /* { */) return true;
    }
    at = buf.indexOf(USAGE_KEY, at + 1);
  }
  return false;
}

/** The `data:` lines of one event joined by `\n` (SSE rules), or undefined when it has none. */
function eventData(event: string): string | undefined {
  let data: string | undefined;
  for (const line of event.split(/\r\n|\r|\n/)) {
    if (!line.startsWith('data:')) continue;
    const value = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5);
    data = data === undefined ? value : `${data}\n${value}`;
  }
  return data;
}
