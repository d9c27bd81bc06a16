// Reconnect delays: exponential from minDelayMs up to maxDelayMs, with jitter so a fleet
// of gateways that lost the same broker does not come back in lock-step.

export interface BackoffOptions {
  /** First delay. Default 1000 ms. */
  minDelayMs?: number;
  /** Ceiling. Default 60000 ms. */
  maxDelayMs?: number;
  /** Growth per failed attempt. Default 2. */
  factor?: number;
  /** Fraction 0..1 of the delay added at random on top of it. Default 0.5. */
  jitter?: number;
}

export class Backoff {
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  readonly factor: number;
  readonly jitter: number;
  private attempt = 0;

  /** @param random returns a number in [0, 1) */
  constructor(options: BackoffOptions, private readonly random: () => number) {
    this.minDelayMs = options.minDelayMs ?? 1000;
    this.maxDelayMs = options.maxDelayMs ?? 60_000;
    this.factor = options.factor ?? 2;
    this.jitter = options.jitter ?? 0.5;
    if (!(this.minDelayMs >= 0) || !(this.maxDelayMs >= this.minDelayMs) || !(this.factor >= 1) || !(this.jitter >= 0 && this.jitter <= 1)) {
      throw new RangeError('backoff needs 0 <= minDelayMs <= maxDelayMs, factor >= 1, 0 <= jitter <= 1');
    }
  }

  /** Attempts made since the last reset. */
  get attempts(): number { return this.attempt; }

  /** Delay before the next attempt; always within [minDelayMs, maxDelayMs]. */
  next(): number {
    // Cap the exponent so a long outage cannot overflow to Infinity.
    const base = Math.min(this.maxDelayMs, this.minDelayMs * Math.pow(this.factor, Math.min(this.attempt, 64)));
    this.attempt++;
    return Math.min(this.maxDelayMs, Math.round(base * (1 + this.jitter * this.random())));
  }

  /** Called after a successful connection: the next loss starts again at minDelayMs. */
  reset(): void { this.attempt = 0; }
}
