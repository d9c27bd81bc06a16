// Issue 11: "a repeated or unrelated advertisement costs a byte comparison, not a
// decode". The gateway counts what took the fast path; AES calls show nothing was
// decrypted; and a differential run against the registry alone shows the outcomes and
// counters are exactly those of the decode path.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { serviceDataStructure } from '../../firmware/core/ad/structures.js';
import { Gateway } from '../../firmware/core/gateway/gateway.js';
import { Registry, type Advertisement, type Outcome } from '../../firmware/core/gateway/registry.js';
import type { AesEncryptBlock } from '../../firmware/core/host.js';
import { createNodeAes } from '../../host-sim/crypto.js';
import { FakeClock } from '../mqtt/fakes.js';
import { bytes, miBeacon } from '../helpers/frames.js';
import { MemoryStore, silentLog } from '../helpers/gateway.js';

const KEY = '0123456789ABCDEFFEDCBA9876543210';
const OTHER_KEY = 'FFEEDDCCBBAA99887766554433221100';
const MAC = 'A4C138112233';
const ATC_MAC = 'A4C138445566';
const CFG = `[{"MAC":"${MAC}","PID":"055b","key":"${KEY}"},{"MAC":"${ATC_MAC}","PID":"0a1c","key":""}]`;

const encrypted = (counter: number, tenths: number): Advertisement => ({
  mac: MAC, rssi: -70,
  ad: serviceDataStructure(0xfe95, miBeacon({ pid: 0x055b, mac: MAC, counter, key: bytes(KEY), objects: [[0x1004, new Uint8Array([tenths & 0xff, tenths >> 8])]] })),
});
const atc = (counter: number, tenths: number): Advertisement => ({
  mac: ATC_MAC, rssi: -60,
  ad: serviceDataStructure(0x181a, bytes(`${ATC_MAC}${(tenths & 0xffff).toString(16).padStart(4, '0')}3c5f0b8c${counter.toString(16).padStart(2, '0')}`)),
});
const iBeacon: Advertisement = { mac: '5E1414A42A49', rssi: -80, ad: bytes('0201061aff4c000215' + '11'.repeat(16) + '00010002c5') };

function setup() {
  const store = new MemoryStore();
  store.write('mi32cfg', new TextEncoder().encode(CFG));
  const node = createNodeAes();
  let aesCalls = 0;
  const aes: AesEncryptBlock = (key, block) => { aesCalls++; return node(key, block); };
  const clock = new FakeClock();
  const gw = new Gateway({ clock, store, log: silentLog, aes }, { topic: 'home' });
  gw.start();
  return { gw, clock, aesCalls: () => aesCalls };
}

describe('advertisement fast path', () => {
  it('an unrelated advertisement is counted as ignored without being decoded', () => {
    const { gw, aesCalls } = setup();
    expect(gw.handleAdvertisement(iBeacon)).toEqual([{ kind: 'ignored', reason: 'not-ours' }]);
    expect(gw.fastPath.unrelated).toBe(1);
    expect(gw.registry.totals).toMatchObject({ frames: 1, ignored: 1, errors: 0 });
    expect(aesCalls()).toBe(0);
  });

  it('a repeated frame is a duplicate without a decrypt; a changed frame from the same device is decoded', () => {
    const { gw, clock, aesCalls } = setup();
    const first = gw.handleAdvertisement(encrypted(5, 215));
    expect(first[0]!.kind).toBe('values');
    const callsAfterFirst = aesCalls();
    expect(callsAfterFirst).toBeGreaterThan(0);
    for (let i = 0; i < 3; i++) {
      clock.advance(1000);
      const again = gw.handleAdvertisement({ ...encrypted(5, 215), rssi: -60 - i });
      expect(again).toHaveLength(1);
      expect(again[0]!.kind).toBe('duplicate');
    }
    expect(gw.fastPath.repeats).toBe(3);
    expect(aesCalls()).toBe(callsAfterFirst);
    const slot = gw.registry.slots.get(MAC)!;
    expect(slot.stats).toMatchObject({ frames: 4, decoded: 1, duplicates: 3 });
    expect(slot.rssi).toBe(-62);
    expect(slot.lastSeen).toBe(clock.now());
    expect(gw.registry.totals).toMatchObject({ frames: 4, decoded: 1, duplicates: 3 });

    const changed = gw.handleAdvertisement(encrypted(6, 222));
    expect(changed[0]!.kind).toBe('values');
    expect(aesCalls()).toBeGreaterThan(callsAfterFirst);
    expect(slot.values.Temperature).toBe(22.2);
    expect(gw.fastPath.repeats).toBe(3);
  });

  it('after a key change the same bytes are decoded again, as the registry does', () => {
    const { gw, aesCalls } = setup();
    gw.handleAdvertisement(encrypted(9, 200));
    gw.setKey(MAC, bytes(OTHER_KEY));
    const calls = aesCalls();
    const after = gw.handleAdvertisement(encrypted(9, 200));
    expect(after[0]!.kind).toBe('error');
    expect(aesCalls()).toBeGreaterThan(calls);
    expect(gw.fastPath.repeats).toBe(0);
  });

  it('gives the outcomes and counters of the decode path on any sequence of frames, repeats and key changes', () => {
    const frames = [encrypted(1, 200), encrypted(2, 201), encrypted(1, 200), atc(1, 180), atc(2, 181), atc(1, 180), iBeacon];
    const op = fc.oneof(
      { weight: 8, arbitrary: fc.integer({ min: 0, max: frames.length - 1 }).map((i) => ({ frame: i })) },
      { weight: 1, arbitrary: fc.constantFrom(KEY, OTHER_KEY).map((key) => ({ key })) },
    );
    fc.assert(fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
      const { gw } = setup();
      const registry = new Registry({ aes: createNodeAes(), limit: 64 });
      registry.autoAdd = false;
      registry.add(MAC, 0x055b);
      registry.setKey(MAC, bytes(KEY));
      registry.add(ATC_MAC, 0x0a1c);
      const summary = (o: Outcome) => (o.kind === 'duplicate' ? `duplicate ${o.slot.counter}` : 'reading' in o ? `${o.kind} ${o.reading.counter}` : o.kind === 'error' ? `error ${o.code}` : `${o.kind} ${o.reason}`);
      let t = 0;
      for (const o of ops) {
        if ('key' in o) {
          gw.setKey(MAC, bytes(o.key));
          registry.setKey(MAC, bytes(o.key));
          continue;
        }
        const adv = frames[o.frame]!;
        expect(gw.handleAdvertisement(adv).map(summary)).toEqual(registry.ingest(adv, ++t).map(summary));
      }
      expect(gw.registry.totals).toEqual(registry.totals);
      for (const mac of [MAC, ATC_MAC]) {
        const a = gw.registry.slots.get(mac)!;
        const b = registry.slots.get(mac)!;
        expect({ stats: a.stats, counter: a.counter, values: a.values, status: a.status }).toEqual({ stats: b.stats, counter: b.counter, values: b.values, status: b.status });
      }
    }), { numRuns: 500 });
  });
});
