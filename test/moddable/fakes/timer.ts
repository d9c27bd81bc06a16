// A fake of Moddable's `timer` module on a clock the test advances by hand.
type Callback = (id: unknown) => void;
interface Entry { id: number; due: number; callback: Callback; interval?: number }

let now = 0;
let next = 1;
const entries = new Map<number, Entry>();

const Timer = {
  set(callback: Callback, ms = 0, interval?: number): number {
    const id = next++;
    entries.set(id, { id, due: now + ms, callback, ...(interval !== undefined ? { interval } : {}) });
    return id;
  },
  repeat(callback: Callback, ms: number): number {
    return Timer.set(callback, ms, ms);
  },
  clear(id: unknown): void {
    entries.delete(id as number);
  },
};
export default Timer;

/** Run every timer due within `ms` from now, in time order. */
export function advance(ms: number): void {
  const end = now + ms;
  for (;;) {
    const due = [...entries.values()].filter((e) => e.due <= end).sort((a, b) => a.due - b.due || a.id - b.id)[0];
    if (!due) break;
    now = due.due;
    if (due.interval !== undefined) due.due += due.interval;
    else entries.delete(due.id);
    due.callback(due.id);
  }
  now = end;
}

export function pendingTimers(): number {
  return entries.size;
}
