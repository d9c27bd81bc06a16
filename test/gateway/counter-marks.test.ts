// Replay protection across restarts (issue 16, item 3): a gateway restarted on the same
// Store (the device's flash) still rejects a frame captured before the restart.
import { describe, expect, it } from 'vitest';
import { CounterMarks, MARK_WINDOW, MARKS_FILE } from '../../firmware/core/gateway/counter-marks.js';
import { Gateway } from '../../firmware/core/gateway/gateway.js';
import { RESYNC_RUN } from '../../firmware/core/gateway/registry.js';
import { createNodeAes } from '../../host-sim/crypto.js';
import { FakeClock } from '../mqtt/fakes.js';
import { MemoryStore, recordingLog, silentLog } from '../helpers/gateway.js';
import { KEY_HEX, lywsd03, MAC } from '../security/helpers.js';

const CFG = `[{"MAC":"${MAC}","PID":"055b","key":"${KEY_HEX}"}]`;

/** A gateway "booted" on `store` with the keyed LYWSD03MMC in its mi32cfg. */
function boot(store: MemoryStore, log = silentLog): Gateway {
  if (!store.exists('mi32cfg')) store.write('mi32cfg', new TextEncoder().encode(CFG));
  const gw = new Gateway({ clock: new FakeClock(), store, log, aes: createNodeAes() });
  gw.start();
  return gw;
}

const frame = (counter: number, tenths = 215) => lywsd03(counter >> 8, counter & 0xff, tenths);

describe('replay protection across restarts', () => {
  it('a frame captured before a restart and replayed after it is rejected and counted', () => {
    const store = new MemoryStore();
    const first = boot(store);
    const captured = frame(0x210);
    for (const c of [0x20f, 0x210, 0x211]) expect(first.handleAdvertisement(frame(c))[0]!.kind).toBe('values');
    first.stop();

    const second = boot(store);
    const [outcome] = second.handleAdvertisement(captured);
    expect(outcome!.kind).toBe('replay');
    expect(second.registry.totals.replays).toBe(1);
    expect(second.registry.slots.get(MAC)!.values.Temperature).toBeUndefined();
  });

  it('without the marks file (the old behaviour) the same replay is accepted: the test is about the file', () => {
    const store = new MemoryStore();
    const first = boot(store);
    first.handleAdvertisement(frame(0x211));
    store.remove(MARKS_FILE);
    const second = boot(store);
    expect(second.handleAdvertisement(frame(0x210))[0]!.kind).toBe('values');
  });

  it('a reset device (battery change: its counter starts low) is accepted after the resync run', () => {
    const store = new MemoryStore();
    const first = boot(store);
    first.handleAdvertisement(frame(0x4000));
    const second = boot(store);
    const kinds = [1, 2, 3].map((c) => second.handleAdvertisement(frame(c, 200 + c))[0]!.kind);
    expect(kinds).toEqual([...Array(RESYNC_RUN - 1).fill('replay'), 'values']);
    expect(second.registry.slots.get(MAC)!.values.Temperature).toBe(20.3);
    expect(second.handleAdvertisement(frame(4, 204))[0]!.kind).toBe('values');
  });

  it('the device itself, carrying on after the restart, is taken back by the same resync run', () => {
    const store = new MemoryStore();
    boot(store).handleAdvertisement(frame(0x300));
    const second = boot(store);
    const kinds = [0x301, 0x302, 0x303].map((c) => second.handleAdvertisement(frame(c))[0]!.kind);
    expect(kinds).toEqual(['replay', 'replay', 'values']);
  });

  it('writes the flash once per window of frames, not per frame', () => {
    const store = new MemoryStore();
    const gw = boot(store);
    const window = MARK_WINDOW[32]!;
    for (let c = 1; c <= 3 * window; c++) gw.handleAdvertisement(frame(c, c & 0x1ff));
    // the first frame writes counter + window; then once each time the counter reaches the mark
    expect(gw.counterMarks.writes).toBe(3);
    expect(JSON.parse(new TextDecoder().decode(store.read(MARKS_FILE)))).toEqual({ [MAC]: [3 * window + 1, 32] });
  });

  it('a replaced key starts a new history: its mark is forgotten', () => {
    const store = new MemoryStore();
    const gw = boot(store);
    gw.handleAdvertisement(frame(0x500));
    expect(gw.counterMarks.markOf(MAC, 32)).toBe(0x500 + MARK_WINDOW[32]!);
    gw.registry.setKey(MAC, new Uint8Array(16).fill(7));
    expect(gw.counterMarks.markOf(MAC, 32)).toBeUndefined();
  });

  it('a damaged counters.json is reported and kept aside; good entries are used, bad ones ignored; the gateway starts', () => {
    for (const [text, aside] of [
      ['{"A4C138112233":[600,32],"nonsense":[1,32],"A4C138000001":[5,7],"A4C138000002":[-1,32],"A4C138000003":"x"}', false],
      ['[[[[[[[[[[[[[[[[[[[[[[[[[[[[', true],
      ['{"A4C138112233": [600, 32', true],
    ] as const) {
      const store = new MemoryStore();
      store.write(MARKS_FILE, new TextEncoder().encode(text));
      const lines: string[] = [];
      const marks = new CounterMarks(store, recordingLog(lines));
      const problems = marks.load();
      expect(problems.length).toBeGreaterThan(0);
      expect(store.exists(`${MARKS_FILE}.bad`)).toBe(aside);
      expect(marks.markOf(MAC, 32)).toBe(aside ? undefined : 600);
      expect(lines.every((l) => l.startsWith('warn'))).toBe(true);
    }
  });

  it('a flash that refuses writes: the guard still works in RAM, and it is said once', () => {
    const store = new MemoryStore();
    store.write('mi32cfg', new TextEncoder().encode(CFG));
    const lines: string[] = [];
    const failing = Object.assign(Object.create(Object.getPrototypeOf(store)) as MemoryStore, store);
    const gw = boot(failing, recordingLog(lines));
    failing.write = () => { throw new Error('read-only'); };
    for (let c = 1; c <= 3 * MARK_WINDOW[32]!; c += 100) gw.handleAdvertisement(frame(c));
    expect(gw.handleAdvertisement(frame(1))[0]!.kind).toBe('replay');
    expect(lines.filter((l) => l.includes('read-only'))).toHaveLength(1);
  });
});

describe('CounterMarks.advanced: when it writes', () => {
  // The rule as first written (modulo arithmetic with Math.floor): advanced() now skips the
  // Math calls on its per-frame path and must decide exactly the same, wrap-around included.
  const writesByRule = (mark: number, counter: number, bits: number): boolean => {
    const span = 2 ** bits;
    const ahead = (((mark - counter) % span) + span) % span;
    return !(ahead !== 0 && ahead < span / 2);
  };

  it('writes exactly when the rule says so, for 8- and 32-bit counters around the mark and the wrap', () => {
    const cases: { mark: number; counter: number; bits: number }[] = [];
    for (const bits of [8, 32]) {
      const span = 2 ** bits;
      for (const mark of [0, 1, 5, span / 2 - 1, span / 2, span / 2 + 1, span - 2, span - 1]) {
        for (const delta of [0, 1, 2, span / 2 - 1, span / 2, span / 2 + 1, span - 1]) cases.push({ mark, counter: (mark + delta) % span, bits });
      }
    }
    for (const { mark, counter, bits } of cases) {
      const store = new MemoryStore();
      store.write(MARKS_FILE, new TextEncoder().encode(JSON.stringify({ [MAC]: [mark, bits] })));
      const marks = new CounterMarks(store, silentLog);
      expect(marks.load()).toEqual([]);
      marks.advanced(MAC, counter, bits);
      expect({ mark, counter, bits, wrote: marks.writes === 1 }).toEqual({ mark, counter, bits, wrote: writesByRule(mark, counter, bits) });
    }
  });

  it('a mark of the other width is replaced at once', () => {
    const store = new MemoryStore();
    store.write(MARKS_FILE, new TextEncoder().encode(JSON.stringify({ [MAC]: [100, 8] })));
    const marks = new CounterMarks(store, silentLog);
    marks.load();
    marks.advanced(MAC, 50, 32);
    expect(marks.writes).toBe(1);
    expect(marks.markOf(MAC, 32)).toBe(50 + MARK_WINDOW[32]!);
  });
});
