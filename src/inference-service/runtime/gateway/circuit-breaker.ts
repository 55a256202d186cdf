/**
 * Per-variant circuit breaker. Closed: requests flow, consecutive failures are counted. After
 * `failureThreshold` consecutive failures it opens and rejects for `openMs`; then one request is let
 * through as a half-open probe (all others still rejected): success closes it, failure reopens it.
 * Time is passed in, so the state machine is deterministic under test.
 */
export type BreakerState = 'closed' | 'half_open' | 'open';

/** Gauge encoding of `GATEWAY_METRICS.breakerState`. */
export const BREAKER_STATE_VALUE: Readonly<Record<BreakerState, number>> = { closed: 0, half_open: 1, open: 2 };

export interface BreakerSettings {
  readonly failureThreshold: number;
  readonly openMs: number;
}

export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private probeInFlight = false;

  constructor(
    private settings: BreakerSettings,
    private readonly onStateChange: (state: BreakerState) => void = () => undefined,
  ) {}

  get state(): BreakerState {
    return this.current;
  }

  /** Applies new settings (config reload); the state is kept. */
  configure(settings: BreakerSettings): void {
    this.settings = settings;
  }

  /**
   * Asks to send a request now. True when closed, or when open long enough and no probe is in
   * flight (the caller becomes the half-open probe and must report its outcome).
   */
  tryAcquire(now: number): boolean {
    if (this.current === 'closed') return true;
    if (this.current === 'open') {
      if (now - this.openedAt < this.settings.openMs) return false;
      this.transition('half_open');
    }
    if (this.probeInFlight) return false;
    this.probeInFlight = true;
    return true;
  }

  onSuccess(): void {
    this.failures = 0;
    this.probeInFlight = false;
    if (this.current !== 'closed') this.transition('closed');
  }

  onFailure(now: number): void {
    this.failures += 1;
    if (this.current === 'half_open' || (this.current === 'closed' && this.failures >= this.settings.failureThreshold)) {
      this.probeInFlight = false;
      this.openedAt = now;
      this.transition('open');
    }
  }

  /** A request ended without an outcome (the client went away): a half-open probe may be retried. */
  onAbandon(): void {
    this.probeInFlight = false;
  }

  private transition(state: BreakerState): void {
    this.current = state;
    this.onStateChange(state);
  }
}
