/**
 * One upstream request as an undici dispatch handler (`pool.dispatch(options, exchange)`), instead of
 * `pool.request()`: no response `Readable` per request (its state object, event listeners,
 * `nextTick`s and the promise around it), the body chunks go straight from undici's parser to a sink
 * (the client response), with backpressure: a sink returning `false` pauses the upstream socket until
 * `resume()`.
 *
 * Lifecycle: `head` resolves when the final response head arrived (`statusCode`, `headers`), or
 * rejects when the request failed before (connect error, timeout, abort). Then exactly one of:
 * - `pipe(sink)`: forward the body (chunks that arrived before are replayed first);
 * - `discard()`: read it to the end and drop it (connection reuse), aborting beyond 64 KiB;
 * - nothing yet (a held 429/5xx answer, see the gateway's retries): up to 64 KiB are buffered, then
 *   the upstream is paused until `pipe` or `discard`.
 * `abort(reason)` (or the request's `RequestAbort`) cancels it at any point; after the head the sink's
 * `error` is called.
 */
import type { RequestAbort } from './request-abort';

export interface ExchangeSink {
  /** A body chunk; return false to pause the upstream until `UpstreamExchange.resume()`. */
  data(chunk: Buffer): boolean;
  /** The body ended. */
  end(): void;
  /** The upstream failed (or was aborted) after the head. */
  error(error: Error): void;
}

/** Bytes buffered for a response nobody consumes yet, and read when discarding, at most. */
export const EXCHANGE_HOLD_BYTES = 64 * 1024;

const NO_ABORT = (): void => undefined;

export class UpstreamExchange {
  /** Final status (0 until the head arrived). */
  statusCode = 0;
  /** Response headers (lower-case names; repeated ones joined by `, `); only the kept ones, when given. */
  readonly headers: Record<string, string> = {};
  /** Resolves on the response head; rejects with the error when the request failed before it. */
  readonly head: Promise<void>;

  private resolveHead!: () => void;
  private rejectHead!: (error: Error) => void;
  private abortUpstream: ((reason: Error) => void) | undefined;
  private resumeUpstream: (() => void) | undefined;
  private pendingAbort: Error | undefined;
  private sink: ExchangeSink | undefined;
  private discarding = false;
  private buffered: Buffer[] | undefined;
  private bufferedBytes = 0;
  private paused = false;
  private headReceived = false;
  private ended = false;
  private failure: Error | undefined;
  private finished = false;
  /** Byte lengths of the kept header names: other names are skipped without being decoded. */
  private readonly keptLengths: ReadonlySet<number> | undefined;

  /**
   * @param signal aborts the exchange.
   * @param keep lower-case names of the response headers to record in `headers` (default: all).
   */
  constructor(
    signal?: RequestAbort,
    private readonly keep?: ReadonlySet<string>,
  ) {
    this.keptLengths = keep ? keptNameLengths(keep) : undefined;
    this.head = new Promise<void>((resolve, reject) => {
      this.resolveHead = resolve;
      this.rejectHead = reject;
    });
    this.head.catch(NO_ABORT); // awaited by the caller; never an unhandled rejection
    if (signal) {
      if (signal.aborted) this.abort(abortError(signal.reason));
      else signal.once('abort', () => this.abort(abortError(signal.reason)));
    }
  }

  // --- consumer side ------------------------------------------------------------------------------

  /** Forwards the body to `sink` (replaying what was buffered). */
  pipe(sink: ExchangeSink): void {
    this.sink = sink;
    const buffered = this.buffered;
    this.buffered = undefined;
    let more = true;
    if (buffered) for (const chunk of buffered) more = sink.data(chunk);
    if (this.ended) sink.end();
    else if (this.failure) sink.error(this.failure);
    else if (more) this.resume();
    else this.paused = true;
  }

  /** Drops the body: read to the end when small (connection reuse), else the request is aborted. */
  discard(): void {
    this.discarding = true;
    this.buffered = undefined;
    if (this.finished) return;
    if (this.bufferedBytes > EXCHANGE_HOLD_BYTES) this.abort(new Error('discarded upstream response'));
    else this.resume();
  }

  /** Resumes a paused upstream (the sink drained). */
  resume(): void {
    if (!this.paused || this.finished) return;
    this.paused = false;
    this.resumeUpstream?.();
  }

  /** Cancels the request (its sink gets `error` once undici reports the abort). */
  abort(reason: Error): void {
    if (this.finished) return;
    if (this.abortUpstream) this.abortUpstream(reason);
    else this.pendingAbort ??= reason;
  }

  // --- undici DispatchHandler (legacy callback form, what undici calls natively) -----------------------

  onConnect(abort: (reason?: Error) => void): void {
    this.abortUpstream = abort;
    if (this.pendingAbort) abort(this.pendingAbort);
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[] | string[] | null, resume: () => void, _statusText?: string): boolean {
    if (statusCode < 200) return true; // 1xx
    this.statusCode = statusCode;
    this.resumeUpstream = resume;
    if (rawHeaders) {
      const { keep, keptLengths } = this;
      for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
        if (keptLengths && !keptLengths.has(rawHeaders[i].length)) continue;
        const name = rawHeaders[i].toString().toLowerCase();
        if (keep && !keep.has(name)) continue;
        const value = rawHeaders[i + 1].toString();
        const previous = this.headers[name];
        this.headers[name] = previous === undefined ? value : `${previous}, ${value}`;
      }
    }
    this.headReceived = true;
    this.resolveHead();
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.sink) {
      if (this.sink.data(chunk)) return true;
      this.paused = true;
      return false;
    }
    this.bufferedBytes += chunk.length;
    if (this.discarding) {
      if (this.bufferedBytes <= EXCHANGE_HOLD_BYTES) return true;
      this.abort(new Error('discarded upstream response'));
      return false;
    }
    (this.buffered ??= []).push(chunk);
    if (this.bufferedBytes <= EXCHANGE_HOLD_BYTES) return true;
    this.paused = true;
    return false;
  }

  onComplete(_trailers?: unknown): void {
    this.finished = true;
    this.ended = true;
    this.sink?.end();
  }

  onError(error: Error): void {
    if (this.finished) return;
    this.finished = true;
    if (!this.headReceived) {
      this.rejectHead(error);
      return;
    }
    this.failure = error;
    this.sink?.error(error);
  }
}

const KEPT_LENGTHS = new WeakMap<ReadonlySet<string>, ReadonlySet<number>>();

/** Byte lengths of `names`, computed once per set. */
function keptNameLengths(names: ReadonlySet<string>): ReadonlySet<number> {
  let lengths = KEPT_LENGTHS.get(names);
  if (!lengths) {
    lengths = new Set([...names].map((n) => Buffer.byteLength(n)));
    KEPT_LENGTHS.set(names, lengths);
  }
  return lengths;
}

function abortError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error('request aborted');
}
