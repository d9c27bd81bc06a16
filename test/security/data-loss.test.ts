// Issue 10, point 6 (first half): MI32Cfg must write back every configured device and
// key, also those that did not fit in the slots; duplicate MAC entries merge with the key.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Gateway } from '../../firmware/core/gateway/gateway.js';
import { parseConfigText } from '../../firmware/core/gateway/mi32cfg.js';
import { createNodeAes } from '../../host-sim/crypto.js';
import { DirStore } from '../../host-sim/store.js';
import { FakeClock } from '../mqtt/fakes.js';
import { bytes, miBeacon } from '../helpers/frames.js';
import { silentLog } from '../helpers/gateway.js';
import { adv } from './helpers.js';

function gatewayWith(cfg: unknown, slots = 64) {
  const dir = mkdtempSync(join(tmpdir(), 'loss-'));
  writeFileSync(join(dir, 'mi32cfg'), JSON.stringify(cfg));
  const clock = new FakeClock();
  const gw = new Gateway({ clock, store: new DirStore(dir), log: silentLog, aes: createNodeAes() }, { topic: 'home' }, slots);
  gw.start();
  const saved = () => JSON.parse(readFileSync(join(dir, 'mi32cfg'), 'utf8')) as { MAC: string; PID: string; key: string }[];
  return { gw, clock, saved };
}

const macOf = (i: number) => 'A4C138' + i.toString(16).toUpperCase().padStart(6, '0');
const keyOf = (i: number) => i.toString(16).toUpperCase().padStart(2, '0').repeat(16);

describe('no data loss in mi32cfg (issue 10, point 6)', () => {
  const seventy = Array.from({ length: 70 }, (_, i) => ({ MAC: macOf(i + 1), PID: '055b', key: keyOf(i + 1) }));

  it('MI32Cfg with 70 devices in mi32cfg and 64 slots writes back all 70 with their keys', () => {
    const { gw, saved } = gatewayWith(seventy, 64);
    expect(gw.registry.slots.size).toBe(64);
    expect(gw.command('MI32Cfg', 'console')).toEqual({ MI32Cfg: 'Done', Devices: 70 });
    expect(saved()).toEqual(seventy);
  });

  it('a configured device that did not fit waits for a slot, and is decoded once one is free', () => {
    const { gw } = gatewayWith(seventy, 64);
    const last = 70;
    const frame = miBeacon({ pid: 0x055b, mac: macOf(last), counter: 1, key: bytes(keyOf(last)), objects: [[0x1004, new Uint8Array([0xd7, 0x00])]] });
    // the 64 slots hold configured devices never heard since start: one yields to it
    const [o] = gw.handleAdvertisement(adv(frame, macOf(last)));
    expect(o).toMatchObject({ kind: 'values' });
    expect(gw.registry.slots.get(macOf(last))!.values.Temperature).toBe(21.5);
    expect(gw.registry.slots.size).toBe(64);
    // and nobody was lost on the way
    expect(gw.command('MI32Cfg', 'console')).toMatchObject({ Devices: 70 });
  });

  it('duplicate MAC entries merge, keeping the key (whichever entry carries it)', () => {
    const mac = 'A4C138000001';
    for (const cfg of [
      [{ MAC: mac, PID: '055b', key: '' }, { MAC: mac, PID: '055b', key: keyOf(1) }],
      [{ MAC: mac, PID: '055b', key: keyOf(1) }, { MAC: mac.toLowerCase(), PID: '055b', key: '' }],
    ]) {
      const parsed = parseConfigText(JSON.stringify(cfg));
      expect(parsed.entries).toHaveLength(1);
      expect(parsed.entries[0]!.key).toEqual(bytes(keyOf(1)));
      expect(parsed.problems.join(' ')).toMatch(/twice/);
      const { gw, saved } = gatewayWith(cfg);
      gw.command('MI32Cfg', 'console');
      expect(saved()).toEqual([{ MAC: mac, PID: '055b', key: keyOf(1) }]);
    }
  });
});
