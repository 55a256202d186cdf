/**
 * Finds the top-level `usage` object of a JSON response while it streams through, without keeping
 * the body: a byte-level scanner tracks nesting depth and string state, remembers the last key at
 * depth 1, and copies only the bytes of the value of a top-level `"usage": { ... }`. Strings are
 * handled (escapes included), so text that merely contains `"usage"` is not mistaken for it.
 * UTF-8 continuation bytes never equal the ASCII structural characters, so bytes are scanned as is.
 */
import { type TokenUsage, choiceText, usageFromObject } from './usage';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const USAGE = Buffer.from('usage');
const MAX_USAGE_BYTES = 64 * 1024;

export interface JsonUsageScannerOptions {
  /**
   * Also keep the first bytes of the body, up to this many, to extract the generated text at the end
   * (redacted prompt logging). Bodies larger than this yield no text. 0 = off (the default).
   */
  readonly captureBodyBytes?: number;
}

export class JsonUsageScanner {
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Bytes of the current depth-1 string (only its first 6 are kept: enough to compare to `usage`). */
  private stringStart = -1;
  private stringBytes: number[] = [];
  private lastString = '';
  private currentKey = '';
  private capturing = false;
  private captured: Buffer[] = [];
  private capturedBytes = 0;
  private usageValue: TokenUsage | undefined;
  private readonly captureLimit: number;
  private bodyParts: Buffer[] = [];
  private bodyBytes = 0;
  private bodyOverflow = false;

  constructor(options: JsonUsageScannerOptions = {}) {
    this.captureLimit = options.captureBodyBytes ?? 0;
  }

  get usage(): TokenUsage | undefined {
    return this.usageValue;
  }

  push(chunk: Buffer): void {
    if (this.captureLimit > 0 && !this.bodyOverflow) {
      this.bodyBytes += chunk.length;
      if (this.bodyBytes > this.captureLimit) {
        this.bodyOverflow = true;
        this.bodyParts = [];
      } else {
        this.bodyParts.push(chunk);
      }
    }
    let captureFrom = this.capturing ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (this.inString && this.stringStart < 0 && !this.escaped) {
        // Inside a string that is not a depth-1 key candidate: jump to its closing quote.
        const end = closingQuote(chunk, i);
        if (end < 0) {
          this.escaped = trailingBackslashes(chunk, i, chunk.length) % 2 === 1;
          break;
        }
        this.inString = false;
        i = end;
        continue;
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (b === BACKSLASH) this.escaped = true;
        else if (b === QUOTE) {
          this.inString = false;
          if (this.stringStart >= 0) {
            this.lastString = this.stringBytes.length === USAGE.length && Buffer.from(this.stringBytes).equals(USAGE) ? 'usage' : '?';
            this.stringStart = -1;
          }
        } else if (this.stringStart >= 0 && this.stringBytes.length <= USAGE.length) {
          this.stringBytes.push(b);
        }
        continue;
      }
      if (b === QUOTE) {
        if (this.depth === 1) {
          // A depth-1 string (key or value) that ends in this chunk: compare it whole.
          const end = closingQuote(chunk, i + 1);
          if (end >= 0) {
            this.lastString = end - i - 1 === USAGE.length && chunk.compare(USAGE, 0, USAGE.length, i + 1, end) === 0 ? 'usage' : '?';
            i = end;
            continue;
          }
        }
        this.inString = true;
        if (this.depth === 1) {
          this.stringStart = i;
          this.stringBytes = [];
        }
      } else if (b === COLON) {
        if (this.depth === 1) this.currentKey = this.lastString;
      } else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
        if (this.depth === 1 && b === OPEN_BRACE && this.currentKey === 'usage' && !this.capturing) {
          this.capturing = true;
          captureFrom = i;
        }
        this.depth += 1;
      } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
        this.depth -= 1;
        if (this.depth === 1) {
          this.currentKey = '';
          if (this.capturing) {
            this.appendCapture(chunk.subarray(captureFrom, i + 1));
            this.finishCapture();
            captureFrom = -1;
          }
        }
      } else if (b === 0x2c /* , */ && this.depth === 1) {
        this.currentKey = '';
      }
    }
    if (this.capturing && captureFrom >= 0) this.appendCapture(chunk.subarray(captureFrom));
  }

  /** The generated text, when the body was captured whole and is a JSON object with choices. */
  text(): string {
    if (this.captureLimit === 0 || this.bodyOverflow) return '';
    try {
      return choiceText(JSON.parse(Buffer.concat(this.bodyParts).toString('utf8')));
    } catch {
      return '';
    }
  }

  private appendCapture(part: Buffer): void {
    this.capturedBytes += part.length;
    if (this.capturedBytes <= MAX_USAGE_BYTES) this.captured.push(part);
  }

  private finishCapture(): void {
    this.capturing = false;
    if (this.capturedBytes <= MAX_USAGE_BYTES) {
      try {
        const bytes = this.captured.length === 1 ? this.captured[0] : Buffer.concat(this.captured);
        const usage = usageFromObject(JSON.parse(bytes.toString('utf8')));
        if (usage) this.usageValue = usage;
      } catch {
        // malformed usage object: no usage
      }
    }
    this.captured = [];
    this.capturedBytes = 0;
  }
}

/** Index of the first unescaped `"` at or after `from` (no escape pending at `from`), or -1. */
function closingQuote(chunk: Buffer, from: number): number {
  let q = chunk.indexOf(QUOTE, from);
  while (q >= 0 && trailingBackslashes(chunk, from, q) % 2 === 1) q = chunk.indexOf(QUOTE, q + 1);
  return q;
}

/** Number of consecutive `\\` bytes ending just before `end` (not looking before `from`). */
function trailingBackslashes(chunk: Buffer, from: number, end: number): number {
  let n = 0;
  while (end - n - 1 >= from && chunk[end - n - 1] === BACKSLASH) n++;
  return n;
}
