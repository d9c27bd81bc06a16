// Keep-alive (MQTT 3.1.1 §3.1.2.10) with one timer re-armed from what actually happened.
// A PINGREQ goes out once keep-alive has passed without sending (the spec's rule) or
// without receiving (so a client that only publishes QoS 0 still notices a dead broker).
// No PINGRESP within half the period means the broker is gone: at most 1.5 × keep-alive
// after its last sign of life.

import type { Clock, TimerHandle } from '../host.js';

export class KeepAlive {
  private timer: TimerHandle | undefined;
  private lastSentAt = 0;
  private lastReceivedAt = 0;
  private pingSentAt: number | undefined;

  /**
   * @param periodMs keep-alive in ms; 0 turns it off
   * @param sendPing writes a PINGREQ
   * @param onTimeout the broker did not answer; the caller drops the connection
   */
  constructor(
    private readonly clock: Clock,
    readonly periodMs: number,
    private readonly sendPing: () => void,
    private readonly onTimeout: (waitedMs: number) => void,
  ) {}

  /** The session is up (CONNACK): start watching. */
  start(): void {
    this.stop();
    this.lastReceivedAt = this.clock.now();
    if (this.periodMs > 0) this.schedule();
  }

  stop(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.pingSentAt = undefined;
  }

  /** Any packet written. Cheap on purpose: it runs per publish; the timer re-reads it when it fires. */
  sent(): void { this.lastSentAt = this.clock.now(); }
  received(): void { this.lastReceivedAt = this.clock.now(); }
  pingResponse(): void { this.pingSentAt = undefined; }

  private schedule(): void {
    const due = this.pingSentAt !== undefined
      ? this.pingSentAt + this.periodMs / 2
      : Math.min(this.lastSentAt, this.lastReceivedAt) + this.periodMs;
    this.timer = this.clock.setTimeout(() => this.check(), Math.max(0, due - this.clock.now()));
  }

  private check(): void {
    this.timer = undefined;
    const now = this.clock.now();
    if (this.pingSentAt !== undefined) {
      if (now - this.pingSentAt >= this.periodMs / 2) {
        const waited = now - this.pingSentAt;
        this.pingSentAt = undefined;
        this.onTimeout(waited);
        return;
      }
    } else if (now - this.lastSentAt >= this.periodMs || now - this.lastReceivedAt >= this.periodMs) {
      this.pingSentAt = now; // before sending: a reply may be handled inside sendPing on some ports
      this.sendPing();
    }
    if (this.timer === undefined) this.schedule();
  }
}
