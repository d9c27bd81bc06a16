// Issue 11 phase 2: the registry recognises repeats itself and keeps per-device numbers in
// typed arrays (slot-table.ts). What that must not change: a frame that differs from the
// last one is decoded, a BTHome device without a name still gets its advertised one, an
// evicted slot reads as empty, and the registry size from the build is validated.
import { describe, expect, it } from 'vitest';
import { adStructure, serviceDataStructure } from '../../firmware/core/ad/structures.js';
import { Registry } from '../../firmware/core/gateway/registry.js';
import { DEFAULT_SLOTS, MAX_SLOTS, slotCount } from '../../firmware/core/gateway/validate.js';
import { createNodeAes } from '../../host-sim/crypto.js';
import { bytes, miBeacon } from '../helpers/frames.js';

const MAC = 'A4C138112233';
const KEY = bytes('0123456789abcdeffedcba9876543210');
const lywsd03 = (ext: number, counter: number, tenths: number) => ({
  mac: MAC, rssi: -60,
  ad: serviceDataStructure(0xfe95, miBeacon({ pid: 0x055b, mac: MAC, counter, extCounter: ext, key: KEY, objects: [[0x1004, new Uint8Array([tenths & 0xff, tenths >> 8])]] })),
});

function keyed() {
  const r = new Registry({ aes: createNodeAes() });
  r.setKey(MAC, KEY);
  return r;
}

describe('repeats in the registry', () => {
  it('a byte-identical repeat is a duplicate without a decode; the same frame counter byte with another ext counter is a new frame', () => {
    const r = keyed();
    expect(r.ingest(lywsd03(0, 7, 215), 1)[0]!.kind).toBe('values');
    expect(r.repeat(lywsd03(0, 7, 215), 2)?.[0]).toMatchObject({ kind: 'duplicate' });
    // v5: the registry's counter is ext << 8 | byte 4; byte 4 alone is not the counter
    expect(r.repeat(lywsd03(1, 7, 216), 3)).toBeUndefined();
    expect(r.ingest(lywsd03(1, 7, 216), 3)[0]!.kind).toBe('values');
    const slot = r.slots.get(MAC)!;
    expect(slot.counter).toBe(0x107);
    expect(slot.values.Temperature).toBe(21.6);
    expect(slot.stats).toMatchObject({ frames: 3, decoded: 2, duplicates: 1 });
  });

  it('a new key forgets the remembered frame: the same bytes are decoded again', () => {
    const r = keyed();
    r.ingest(lywsd03(0, 7, 215), 1);
    r.setKey(MAC, bytes('ffeeddccbbaa99887766554433221100'));
    expect(r.repeat(lywsd03(0, 7, 215), 2)).toBeUndefined();
    expect(r.ingest(lywsd03(0, 7, 215), 2)[0]).toMatchObject({ kind: 'error', code: 'wrong-key' });
  });

  it('a BTHome repeat still names a device whose name was cleared, as a decode does', () => {
    const r = new Registry({ aes: createNodeAes() });
    const mac = 'C0FFEE123456';
    // BTHome v2 plain: device info 0x40, packet id 0x00 = 9, temperature 0x02 = 21.50 °C
    const ad = new Uint8Array([...adStructure(0x09, new TextEncoder().encode('Kitchen')), ...serviceDataStructure(0xfcd2, bytes('400009026608'))]);
    expect(r.ingest({ mac, rssi: -50, ad }, 1)[0]!.kind).toBe('values');
    const slot = r.slots.get(mac)!;
    expect(slot.name).toBe('Kitchen');
    expect(r.repeat({ mac, rssi: -50, ad }, 2)).toBeDefined();
    r.add(mac, slot.pid, ''); // MI32Name with an empty name clears it
    expect(slot.name).toBeUndefined();
    expect(r.repeat({ mac, rssi: -50, ad }, 3)).toBeUndefined();
    expect(r.ingest({ mac, rssi: -50, ad }, 3)[0]!.kind).toBe('duplicate');
    expect(slot.name).toBe('Kitchen');
  });

  it('an evicted slot is detached: it reads as empty and its number serves the newcomer', () => {
    const r = new Registry({ aes: createNodeAes(), limit: 1, idleMs: 10 });
    const atc = (mac: string, counter: number) => ({ mac, rssi: -70, ad: serviceDataStructure(0x181a, bytes(`${mac}00e63c5f0b8c${counter.toString(16).padStart(2, '0')}`)) });
    r.ingest(atc('A4C138000001', 1), 1);
    const old = r.slots.get('A4C138000001')!;
    expect(old.rssi).toBe(-70);
    r.ingest(atc('A4C138000002', 5), 100);
    const fresh = r.slots.get('A4C138000002')!;
    expect(r.slots.has('A4C138000001')).toBe(false);
    expect(fresh.counter).toBe(5);
    expect([old.counter, old.stats.frames]).toEqual([null, 0]);
    old.rssi = -1; // a write to a detached slot goes nowhere
    expect(fresh.rssi).toBe(-70);
  });
});

describe('registry size from the build (mcconfig slots=)', () => {
  it('takes a whole number 1-MAX_SLOTS and refuses anything else with the default and a reason', () => {
    expect(slotCount(undefined)).toEqual({ slots: DEFAULT_SLOTS });
    expect(slotCount('200')).toEqual({ slots: 200 });
    expect(slotCount(String(MAX_SLOTS))).toEqual({ slots: MAX_SLOTS });
    for (const bad of ['0', '-5', '12.5', '1e3', 'lots', String(MAX_SLOTS + 1), '99999999', ' ', {}]) {
      const got = slotCount(bad);
      expect(got.slots).toBe(DEFAULT_SLOTS);
      expect(got.problem).toMatch(/slots must be a whole number/);
    }
  });

  it('a Registry refuses a size its arrays cannot have', () => {
    for (const limit of [0, -1, 1.5, NaN, 70000]) expect(() => new Registry({ aes: createNodeAes(), limit })).toThrow(RangeError);
  });
});
