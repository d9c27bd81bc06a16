import { describe, expect, it } from 'vitest';
import { serviceDataStructure } from '../../firmware/core/ad/structures.js';
import { Registry, RESYNC_RUN } from '../../firmware/core/gateway/registry.js';
import { createNodeAes } from '../../host-sim/crypto.js';
import { bytes, miBeacon } from '../helpers/frames.js';

const MAC = 'A4C138112233';
const KEY = bytes('0123456789abcdeffedcba9876543210');

function adv(data: Uint8Array, mac = MAC, uuid = 0xfe95) {
  return { mac, rssi: -60, ad: serviceDataStructure(uuid, data) };
}

function lywsd03(ext: number, counter: number, tempTenths: number, key = KEY) {
  return adv(miBeacon({ pid: 0x055b, mac: MAC, counter, extCounter: ext, key, objects: [[0x1004, new Uint8Array([tempTenths & 0xff, tempTenths >> 8])]] }));
}

function atc(mac: string, counter: number, temp = 230) {
  const d = bytes(mac + '00e63c5f0b8c00');
  d[6] = temp >> 8; d[7] = temp & 0xff; d[12] = counter;
  return adv(d, mac, 0x181a);
}

describe('registry', () => {
  it('creates a slot named as Tasmota names it and keeps last values, RSSI and time', () => {
    const r = new Registry({ aes: createNodeAes() });
    r.setKey(MAC, KEY);
    const [o] = r.ingest(lywsd03(0, 1, 215), 5000);
    expect(o!.kind).toBe('values');
    const slot = r.slots.get(MAC)!;
    expect(r.displayName(slot)).toBe('LYWSD03-112233');
    expect(slot.values).toEqual({ Temperature: 21.5 });
    expect([slot.rssi, slot.lastSeen]).toEqual([-60, 5000]);
  });

  it('processes a repeated frame once', () => {
    const r = new Registry({ aes: createNodeAes() });
    r.setKey(MAC, KEY);
    const kinds = [lywsd03(0, 7, 215), lywsd03(0, 7, 215), lywsd03(0, 7, 215), lywsd03(0, 8, 216)].map((a) => r.ingest(a, 1)[0]!.kind);
    expect(kinds).toEqual(['values', 'duplicate', 'duplicate', 'values']);
    expect(r.totals).toMatchObject({ decoded: 2, duplicates: 2 });
  });

  it('rejects and counts an encrypted frame whose counter goes backwards, keeping the newer values', () => {
    const r = new Registry({ aes: createNodeAes() });
    r.setKey(MAC, KEY);
    r.ingest(lywsd03(2, 10, 230), 1);
    const [o] = r.ingest(lywsd03(1, 200, 150), 2); // 0x01c8 < 0x020a
    expect(o!.kind).toBe('replay');
    expect(r.slots.get(MAC)!.values.Temperature).toBe(23);
    expect(r.totals.replays).toBe(1);
    expect(r.slots.get(MAC)!.stats.replays).toBe(1);
  });

  it(`resyncs after ${RESYNC_RUN} rising authenticated frames behind the last counter (device reset)`, () => {
    const r = new Registry({ aes: createNodeAes() });
    r.setKey(MAC, KEY);
    r.ingest(lywsd03(0x100, 0, 230), 1);
    const kinds = [1, 2, 3, 4].map((c) => r.ingest(lywsd03(0, c, 200 + c), 2)[0]!.kind);
    expect(kinds).toEqual(['replay', 'replay', 'values', 'values']);
    expect(r.slots.get(MAC)!.values.Temperature).toBe(20.4);
  });

  it('accepts a plain device whose counter restarts (no security to defend)', () => {
    const r = new Registry({ aes: createNodeAes() });
    const m = 'A4C138AABBCC';
    expect([atc(m, 50), atc(m, 3, 240)].map((a) => r.ingest(a, 1)[0]!.kind)).toEqual(['values', 'values']);
    expect(r.slots.get(m)!.values.Temperature).toBe(24);
  });

  it('counts devices beyond the slot limit and ignores them', () => {
    const r = new Registry({ aes: createNodeAes(), limit: 3 });
    const macs = ['A4C138000001', 'A4C138000002', 'A4C138000003', 'A4C138000004', 'A4C138000005'];
    for (const m of [...macs, ...macs]) r.ingest(atc(m, 1), 1);
    expect(r.slots.size).toBe(3);
    expect(r.totals.overflow).toBe(2);
  });

  it('ignores unknown devices when auto-add is off, but still serves configured ones', () => {
    const r = new Registry({ aes: createNodeAes() });
    r.autoAdd = false;
    r.add('A4C138000001', 0x0a1c);
    expect(r.ingest(atc('A4C138000001', 1), 1)[0]!.kind).toBe('values');
    expect(r.ingest(atc('A4C138000002', 1), 1)[0]).toEqual({ kind: 'ignored', reason: 'auto-add-off' });
  });

  it('drops the untrustworthy advertised battery of LYWSD03MMC, as Tasmota does', () => {
    const r = new Registry({ aes: createNodeAes() });
    r.setKey(MAC, KEY);
    r.ingest(adv(miBeacon({ pid: 0x055b, mac: MAC, counter: 1, key: KEY, objects: [[0x100a, bytes('64')]] })), 1);
    expect(r.slots.get(MAC)!.values).toEqual({});
  });

  it('marks a device without a key as needing one, and a wrong key as a decrypt failure', () => {
    const r = new Registry({ aes: createNodeAes() });
    expect(r.ingest(lywsd03(0, 1, 215), 1)[0]).toMatchObject({ kind: 'error', code: 'no-key' });
    expect(r.slots.get(MAC)!.status).toBe('needs-key');
    r.setKey(MAC, bytes('ffeeddccbbaa99887766554433221100'));
    expect(r.ingest(lywsd03(0, 2, 215), 1)[0]).toMatchObject({ kind: 'error', code: 'wrong-key' });
    expect(r.slots.get(MAC)!.status).toBe('wrong-key');
    expect(r.totals.decryptFailures).toBe(1);
    r.setKey(MAC, KEY);
    expect(r.ingest(lywsd03(0, 3, 215), 1)[0]!.kind).toBe('values');
    expect(r.slots.get(MAC)!.status).toBe('ok');
  });
});
