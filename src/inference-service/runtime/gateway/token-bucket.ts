/**
 * A token bucket: `capacity` tokens, refilled continuously at `capacity / periodMs`. Time is passed
 * in (milliseconds), so the logic is deterministic under test.
 */
export class TokenBucket {
  private level: number;
  private updatedAt: number;

  constructor(
    private capacity: number,
    private readonly periodMs: number,
    now: number,
  ) {
    if (!(capacity > 0) || !(periodMs > 0)) throw new Error('capacity and periodMs must be positive');
    this.level = capacity;
    this.updatedAt = now;
  }

  get limit(): number {
    return this.capacity;
  }

  /** Tokens available now (negative after a debit beyond the level). */
  available(now: number): number {
    this.refill(now);
    return this.level;
  }

  /** Takes `n` tokens if that many are available; returns whether it did. */
  tryTake(n: number, now: number): boolean {
    this.refill(now);
    if (this.level < n) return false;
    this.level -= n;
    return true;
  }

  /** Takes `n` tokens unconditionally (the level may go negative: usage known only afterwards). */
  debit(n: number, now: number): void {
    this.refill(now);
    this.level -= n;
  }

  /** Milliseconds until `n` tokens are available (0 when they are now; Infinity if n > capacity). */
  msUntil(n: number, now: number): number {
    this.refill(now);
    if (this.level >= n) return 0;
    if (n > this.capacity) return Number.POSITIVE_INFINITY;
    return Math.ceil(((n - this.level) * this.periodMs) / this.capacity);
  }

  /** Changes the capacity (keys reloaded); the current level is clamped to the new capacity. */
  resize(capacity: number, now: number): void {
    if (!(capacity > 0)) throw new Error('capacity must be positive');
    this.refill(now);
    this.capacity = capacity;
    this.level = Math.min(this.level, capacity);
  }

  private refill(now: number): void {
    const elapsed = now - this.updatedAt;
    if (elapsed > 0) {
      this.level = Math.min(this.capacity, this.level + (elapsed * this.capacity) / this.periodMs);
      this.updatedAt = now;
    }
  }
}
