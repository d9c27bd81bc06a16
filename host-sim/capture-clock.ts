// The gateway's clock for `mi32 run --speed max`: while the capture is replayed as fast
// as possible, time is the capture's own (advanced advertisement by advertisement), so
// the teleperiod and the 50 ms real-time batching happen as they did when the capture
// was recorded: a one-hour capture replayed in seconds still gives its 12 STATE + SENSOR
// messages at TelePeriod 300. Before and after the replay it is the wall clock, carried on
// from the capture time reached (timers left over are moved onto real timers).

import type { Clock, TimerHandle } from '../firmware/core/host.js';

interface Timer {
  at: number;
  callback: () => void;
  real?: ReturnType<typeof setTimeout>;
}

export class CaptureClock implements Clock {
  /** Capture time (ms) while replaying; undefined = wall clock. */
  private virtual: number | undefined;
  /** Wall-clock mode: now() = Date.now() + offset (the capture time reached, carried on). */
  private offset = 0;
  private readonly timers = new Map<number, Timer>();
  private nextId = 1;

  now(): number {
    return this.virtual ?? Date.now() + this.offset;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    const timer: Timer = { at: this.now() + Math.max(0, ms), callback };
    this.timers.set(id, timer);
    if (this.virtual === undefined) this.arm(id, timer);
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    const timer = this.timers.get(handle as number);
    if (timer?.real !== undefined) clearTimeout(timer.real);
    this.timers.delete(handle as number);
  }

  /** From now on time is capture time, starting at the current time. */
  startCaptureTime(): void {
    if (this.virtual !== undefined) return;
    this.virtual = this.now();
    for (const timer of this.timers.values()) {
      if (timer.real !== undefined) clearTimeout(timer.real);
      timer.real = undefined;
    }
  }

  /** Move capture time forward to `time`, firing the timers due on the way, in order. Never goes back. */
  advanceTo(time: number): void {
    if (this.virtual === undefined) return;
    for (;;) {
      let dueId: number | undefined;
      let due: Timer | undefined;
      for (const [id, timer] of this.timers) {
        if (timer.at <= time && (!due || timer.at < due.at)) {
          due = timer;
          dueId = id;
        }
      }
      if (!due || dueId === undefined) break;
      this.timers.delete(dueId);
      this.virtual = Math.max(this.virtual!, due.at);
      due.callback();
    }
    this.virtual = Math.max(this.virtual!, time);
  }

  /** Back to the wall clock, carrying on from the capture time reached. */
  endCaptureTime(): void {
    if (this.virtual === undefined) return;
    this.offset = this.virtual - Date.now();
    this.virtual = undefined;
    for (const [id, timer] of this.timers) this.arm(id, timer);
  }

  private arm(id: number, timer: Timer): void {
    timer.real = setTimeout(() => {
      this.timers.delete(id);
      timer.callback();
    }, Math.max(0, timer.at - this.now()));
  }
}
