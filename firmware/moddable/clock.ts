// The Clock port on Moddable's `timer`. A callback that throws is logged here instead of
// reaching the host, where an uncaught exception in a timer callback can reset the device.

import Timer from "timer";
import type { Clock, Log, TimerHandle } from "core/host";

export function createClock(log?: Log): Clock {
  return {
    now: () => Date.now(),
    setTimeout(callback: () => void, ms: number): TimerHandle {
      return Timer.set(() => {
        try {
          callback();
        } catch (e) {
          log?.error(`timer callback: ${(e as Error).message}`);
        }
      }, Math.max(0, Math.round(ms)));
    },
    clearTimeout(handle: TimerHandle): void {
      // Timer.clear ignores anything that is not a live timer (modTimer.c xs_timer_clear).
      Timer.clear(handle as Timer);
    },
  };
}
