import type { FakeClock } from '../mqtt/fakes.js';

/** Move a fake clock `ms` forward timer by timer, letting promise continuations run in between. */
export async function settle(clock: FakeClock, ms: number): Promise<void> {
  const flush = async () => { for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r)); };
  for (let left = ms; ;) {
    await flush();
    const next = clock.nextTimerIn();
    if (next === undefined || next > left) {
      clock.advance(left);
      await flush();
      return;
    }
    clock.advance(next);
    left -= next;
  }
}
