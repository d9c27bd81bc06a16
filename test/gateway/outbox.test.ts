// Store-and-forward (issue 16, item 2) on its own: a fake MQTT client that can be up or
// down and acknowledges when told, and an in-memory Store.
import { describe, expect, it } from 'vitest';
import { Outbox, type OutboxSink, RAM_BYTES, bufferBudgetProblem } from '../../firmware/core/gateway/outbox.js';
import { MemoryStore, recordingLog, silentLog } from '../helpers/gateway.js';

/** A client that is connected or not; publishes wait for ack() (a PUBACK) or fail on down(). */
class FakeSink implements OutboxSink {
  up = false;
  delivered: string[] = [];
  pending: { payload: string; done: (e?: Error) => void }[] = [];
  autoAck = true;
  connected() { return this.up; }
  publish(_topic: string, payload: string, done: (e?: Error) => void) {
    if (payload === 'too-large') throw new Error('payload-too-large');
    if (this.autoAck) {
      this.delivered.push(payload);
      done();
    } else this.pending.push({ payload, done });
  }
  ackAll() {
    const list = this.pending;
    this.pending = [];
    for (const p of list) {
      this.delivered.push(p.payload);
      p.done();
    }
  }
  /** The connection is lost and the client ended: what it held comes back as errors. */
  fail() {
    this.up = false;
    const list = this.pending;
    this.pending = [];
    for (const p of list) p.done(new Error('client-ended'));
  }
}

const reading = (i: number, pad = 0) => `{"Time":"t${i}","n":${i}${' '.repeat(pad)}}`;
const TOPIC = 'tele/mi32/SENSOR';

describe('Outbox', () => {
  it('passes readings straight through while connected', () => {
    const sink = new FakeSink();
    sink.up = true;
    const box = new Outbox(new MemoryStore(), silentLog, 4096);
    box.attach(sink);
    for (let i = 0; i < 5; i++) expect(box.take(TOPIC, reading(i))).toBe(true);
    expect(sink.delivered).toEqual([0, 1, 2, 3, 4].map((i) => reading(i)));
    expect(box.stats).toEqual({ buffered: 0, dropped: 0, sent: 5 });
  });

  it('is off at budget 0 and without MQTT: the caller publishes as before', () => {
    const box = new Outbox(new MemoryStore(), silentLog, 0);
    box.attach(new FakeSink());
    expect(box.take(TOPIC, reading(1))).toBe(false);
    expect(new Outbox(new MemoryStore(), silentLog, 4096).take(TOPIC, reading(1))).toBe(false);
  });

  it('keeps readings while down, spills them to the Store past the RAM part, and sends all in order on reconnect', () => {
    const store = new MemoryStore();
    const sink = new FakeSink();
    const box = new Outbox(store, silentLog, 65_536);
    box.attach(sink);
    const N = 200; // ~40 bytes each: 8 KB, twice the RAM part
    for (let i = 0; i < N; i++) box.take(TOPIC, reading(i, 10));
    expect([...store.files.keys()].filter((f) => f.startsWith('outbox.')).length).toBeGreaterThan(0);
    expect(box.stats.buffered).toBe(N);
    sink.up = true;
    box.pump();
    expect(sink.delivered).toEqual(Array.from({ length: N }, (_, i) => reading(i, 10)));
    expect(box.stats).toEqual({ buffered: 0, dropped: 0, sent: N });
    expect([...store.files.keys()].filter((f) => f.startsWith('outbox.'))).toEqual([]); // every spilled file removed once sent
  });

  it('past the budget drops the oldest, and counts exactly what it dropped', () => {
    const sink = new FakeSink();
    const box = new Outbox(new MemoryStore(), silentLog, 1000);
    box.attach(sink);
    const size = TOPIC.length + reading(10, 50).length; // every reading below has this size
    for (let i = 10; i < 60; i++) box.take(TOPIC, reading(i, 50));
    const kept = Math.floor(1000 / size);
    expect(box.stats).toEqual({ buffered: kept, dropped: 50 - kept, sent: 0 });
    sink.up = true;
    box.pump();
    expect(sink.delivered).toEqual(Array.from({ length: kept }, (_, k) => reading(60 - kept + k, 50))); // the newest, in order
  });

  it('a reading with the client and unacknowledged when the link drops is sent again, in its place', () => {
    const sink = new FakeSink();
    sink.autoAck = false;
    sink.up = true;
    const box = new Outbox(new MemoryStore(), silentLog, 65_536);
    box.attach(sink);
    for (let i = 0; i < 3; i++) box.take(TOPIC, reading(i));
    expect(sink.pending.map((p) => p.payload)).toEqual([0, 1, 2].map((i) => reading(i)));
    sink.fail(); // no PUBACK came: they are back in line
    for (let i = 3; i < 6; i++) box.take(TOPIC, reading(i));
    expect(box.stats.buffered).toBe(6);
    const next = new FakeSink();
    next.up = true;
    box.attach(next);
    expect(next.delivered).toEqual([0, 1, 2, 3, 4, 5].map((i) => reading(i)));
  });

  it('sends at most a window of readings to the client at once', () => {
    const sink = new FakeSink();
    sink.autoAck = false;
    const box = new Outbox(new MemoryStore(), silentLog, 65_536);
    box.attach(sink);
    for (let i = 0; i < 50; i++) box.take(TOPIC, reading(i));
    sink.up = true;
    box.pump();
    expect(sink.pending.length).toBe(8);
    sink.ackAll();
    expect(sink.delivered.length).toBe(8);
    expect(sink.pending.length).toBe(8);
  });

  it('persist() at a clean stop leaves the readings in the Store; the next start sends them first, in order', () => {
    const store = new MemoryStore();
    const first = new Outbox(store, silentLog, 65_536);
    const down = new FakeSink();
    first.attach(down);
    for (let i = 0; i < 150; i++) first.take(TOPIC, reading(i, 10)); // some spilled, some in RAM
    first.persist();
    const second = new Outbox(store, silentLog, 65_536);
    second.load();
    expect(second.stats.buffered).toBe(150);
    const sink = new FakeSink();
    sink.up = true;
    second.attach(sink);
    second.take(TOPIC, reading(150, 10));
    expect(sink.delivered).toEqual(Array.from({ length: 151 }, (_, i) => reading(i, 10)));
  });

  it('a damaged segment file is reported and kept aside; its good lines count, bad lines are skipped', () => {
    const store = new MemoryStore();
    const lines: string[] = [];
    const enc = (t: string) => new TextEncoder().encode(t);
    store.write('outbox.0', enc('{"seq":5}\n["tele/mi32/SENSOR","{\\"a\\":1}"]\n[[[[[[[[[[[[1]]]]]]]]]]]]\n{"x":1}\n["tele/mi32/SENSOR","{\\"a\\":2}"]\n'));
    store.write('outbox.1', enc('not json at all'));
    store.write('outbox.2', new Uint8Array([0xff, 0xfe, 0x00]));
    const box = new Outbox(store, recordingLog(lines), 65_536);
    const problems = box.load();
    expect(problems).toHaveLength(2);
    expect(store.exists('outbox.1.bad')).toBe(true);
    expect(store.exists('outbox.2.bad')).toBe(true);
    expect(lines.filter((l) => l.includes('is not a reading'))).toHaveLength(2);
    const sink = new FakeSink();
    sink.up = true;
    box.attach(sink);
    expect(sink.delivered).toEqual(['{"a":1}', '{"a":2}']);
  });

  it('a Store that refuses writes: readings stay in RAM (bounded), the loss is counted and said once', () => {
    const store = new MemoryStore();
    store.write = () => { throw new Error('no space left'); };
    const lines: string[] = [];
    const box = new Outbox(store, recordingLog(lines), 65_536);
    box.attach(new FakeSink());
    for (let i = 0; i < 400; i++) box.take(TOPIC, reading(i, 10));
    const { buffered, dropped } = box.stats;
    expect(buffered + dropped).toBe(400);
    expect(buffered * (TOPIC.length + reading(100, 10).length)).toBeLessThanOrEqual(RAM_BYTES + 64);
    expect(lines.filter((l) => l.includes('no space left'))).toHaveLength(1);
  });

  it('a reading the client refuses outright is dropped and counted, the next ones go on', () => {
    const sink = new FakeSink();
    sink.up = true;
    const box = new Outbox(new MemoryStore(), silentLog, 4096);
    box.attach(sink);
    box.take(TOPIC, 'too-large');
    box.take(TOPIC, reading(1));
    expect(sink.delivered).toEqual([reading(1)]);
    expect(box.stats).toEqual({ buffered: 0, dropped: 1, sent: 1 });
  });

  it('a smaller budget drops the oldest at once; 0 keeps what is kept but takes nothing new', () => {
    const box = new Outbox(new MemoryStore(), silentLog, 4096);
    box.attach(new FakeSink());
    for (let i = 0; i < 40; i++) box.take(TOPIC, reading(i));
    box.setBudget(256);
    const size = TOPIC.length + reading(10).length;
    expect(box.stats.buffered).toBe(Math.floor(256 / size));
    box.setBudget(0);
    expect(box.stats.buffered).toBe(Math.floor(256 / size));
    expect(box.take(TOPIC, reading(99))).toBe(false);
  });

  it('checks MI32Buffer values', () => {
    expect(bufferBudgetProblem(0)).toBeUndefined();
    expect(bufferBudgetProblem(65_536)).toBeUndefined();
    expect(bufferBudgetProblem(100)).toMatch(/0 \(off\) or 256-262144/);
    expect(bufferBudgetProblem(1e9)).toMatch(/0 \(off\)/);
    expect(bufferBudgetProblem('1000')).toMatch(/whole number/);
    expect(bufferBudgetProblem(1.5)).toMatch(/whole number/);
  });
});

describe('Outbox and large readings', () => {
  it('a 16 KB teleperiod message is kept, spilled and read back whole', () => {
    const store = new MemoryStore();
    const box = new Outbox(store, silentLog, 65_536);
    const down = new FakeSink();
    box.attach(down);
    const big = JSON.stringify({ Time: 't', devices: 'x"'.repeat(5300) }); // 16 KB; its quotes double in the file
    box.take(TOPIC, big);
    box.take(TOPIC, reading(1));
    box.persist();
    const again = new Outbox(store, silentLog, 65_536);
    expect(again.load()).toEqual([]);
    const sink = new FakeSink();
    sink.up = true;
    again.attach(sink);
    expect(sink.delivered).toEqual([big, reading(1)]);
  });
});
