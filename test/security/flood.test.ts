// Issue 10, point 7: floods of random MACs and of MI32Key commands. Configured devices
// keep their slots, auto-added ones are evicted least-recently-heard, Overflow counts
// MACs, and keys for unknown devices are bounded.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Gateway } from '../../firmware/core/gateway/gateway.js';
import { MAX_PENDING_KEYS, Registry } from '../../firmware/core/gateway/registry.js';
import { createNodeAes } from '../../host-sim/crypto.js';
import { DirStore } from '../../host-sim/store.js';
import { FakeClock } from '../mqtt/fakes.js';
import { silentLog } from '../helpers/gateway.js';
import { bytes, miBeacon } from '../helpers/frames.js';
import { adv, atcPlain, KEY_HEX, lywsd03, MAC, randomMac, seeded } from './helpers.js';

function floodedGateway() {
  const dir = mkdtempSync(join(tmpdir(), 'flood-'));
  writeFileSync(join(dir, 'mi32cfg'), JSON.stringify([{ MAC, PID: '055b', key: KEY_HEX }, { MAC: 'A4C138000002', PID: '0a1c', key: '' }]));
  const clock = new FakeClock();
  const gw = new Gateway({ clock, store: new DirStore(dir), log: silentLog, aes: createNodeAes() }, { topic: 'home' }, 64);
  gw.start();
  gw.command('MI32Option3 1', 'console'); // auto-add on
  return { gw, clock };
}

function flood(gw: Gateway, count: number, repeats: number, seed = 1): Set<string> {
  const rand = seeded(seed);
  const macs = new Set<string>();
  while (macs.size < count) macs.add(randomMac(rand));
  for (let r = 0; r < repeats; r++) for (const m of macs) gw.handleAdvertisement(adv(atcPlain(m, 215, r), m, 0x181a));
  return macs;
}

describe('flood of advertisements (issue 10, point 7)', () => {
  it('10,000 random MACs with auto-add on: the configured keyed device still decodes', () => {
    const { gw, clock } = floodedGateway();
    flood(gw, 10_000, 1);
    clock.advance(1000);
    expect(gw.handleAdvertisement(lywsd03(3, 1, 230))[0]).toMatchObject({ kind: 'values' });
    expect(gw.handleAdvertisement(adv(atcPlain('A4C138000002', 200, 1), 'A4C138000002', 0x181a))[0]).toMatchObject({ kind: 'values' });
    expect(gw.registry.slots.size).toBe(64);
  });

  it('after a flood, a device the user gives a key (MI32Key) is decoded when heard: it takes the least-recently-heard auto-added slot', () => {
    const { gw, clock } = floodedGateway();
    flood(gw, 10_000, 1);
    const mac = 'A4C138FEED01';
    expect(gw.command(`MI32Key ${KEY_HEX}${mac}`, 'console')).toMatchObject({ MI32Key: 'Done', MAC: mac });
    clock.advance(1000);
    const frame = adv(miBeacon({ pid: 0x055b, mac, counter: 1, key: bytes(KEY_HEX), objects: [[0x1004, new Uint8Array([0xe6, 0x00])]] }), mac);
    expect(gw.handleAdvertisement(frame)[0]).toMatchObject({ kind: 'values' });
    expect(gw.registry.slots.get(mac)!.configured).toBe(true);
    expect(gw.registry.slots.size).toBe(64);
  });

  it('configured devices keep their slots even when never heard; auto-added ones are evicted least-recently-heard once idle', () => {
    const { gw, clock } = floodedGateway();
    const macs = [...flood(gw, 62, 1, 7)];
    expect(gw.registry.slots.size).toBe(64);
    clock.advance(60_000);
    // hear all but the first flood MAC again: that one is now the least recently heard
    for (const m of macs.slice(1)) gw.handleAdvertisement(adv(atcPlain(m, 215, 9), m, 0x181a));
    const newcomer = 'A4C1380000AA';
    // everything was heard within the idle time: the newcomer is refused and counted
    expect(gw.handleAdvertisement(adv(atcPlain(newcomer, 215, 1), newcomer, 0x181a))[0]).toMatchObject({ kind: 'ignored', reason: 'full' });
    clock.advance(Registry.DEFAULT_IDLE_MS);
    for (const m of macs.slice(1)) gw.handleAdvertisement(adv(atcPlain(m, 215, 10), m, 0x181a));
    expect(gw.handleAdvertisement(adv(atcPlain(newcomer, 215, 2), newcomer, 0x181a))[0]).toMatchObject({ kind: 'values' });
    expect(gw.registry.slots.has(macs[0]!)).toBe(false);
    expect(gw.registry.slots.has(MAC)).toBe(true);
    expect(gw.registry.slots.has('A4C138000002')).toBe(true);
  });

  it('Overflow equals the number of distinct refused MACs, not frames', () => {
    const { gw } = floodedGateway();
    flood(gw, 62 + 200, 5, 3); // 62 free slots, 200 refused MACs, 5 frames each
    expect(gw.registry.totals.overflow).toBe(200);
    const state = JSON.parse(gw.stateMessage(0));
    expect(state.MI32.Overflow).toBe(200);
  });

  it('Overflow for 10,000 MACs sent 3 times each stays within 1% of the 9,938 refused (bounded memory estimate)', () => {
    const { gw } = floodedGateway();
    flood(gw, 10_000, 3);
    const refused = 10_000 - 62;
    expect(Math.abs(gw.registry.totals.overflow - refused)).toBeLessThanOrEqual(refused / 100);
  });
});

describe('flood of MI32Key commands (issue 10, point 7)', () => {
  it('500,000 MI32Key commands for unknown MACs keep at most MAX_PENDING_KEYS pending keys, and say when one is dropped', () => {
    const { gw } = floodedGateway();
    const rand = seeded(5);
    let dropped = 0;
    for (let i = 0; i < 500_000; i++) {
      const reply = gw.command(`MI32Key ${KEY_HEX}${randomMac(rand)}`, 'console');
      if (reply.Dropped) dropped++;
    }
    expect(gw.registry.pendingKeyCount).toBeLessThanOrEqual(MAX_PENDING_KEYS);
    expect(gw.registry.keys.size).toBeLessThanOrEqual(MAX_PENDING_KEYS + 64 + 2);
    expect(dropped).toBe(500_000 - MAX_PENDING_KEYS);
    // the configured key survived the flood
    expect(gw.handleAdvertisement(lywsd03(3, 1, 230))[0]).toMatchObject({ kind: 'values' });
  });
});
