// Issue 10, point 3: a keyed pvvx/ATC device must not be spoofable with plain 0x181A
// frames that name its MAC, whichever address sends them.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Gateway } from '../../firmware/core/gateway/gateway.js';
import { Registry } from '../../firmware/core/gateway/registry.js';
import { createNodeAes } from '../../host-sim/crypto.js';
import { decodeOne } from '../../host-sim/decode-command.js';
import { DirStore } from '../../host-sim/store.js';
import { FakeClock } from '../mqtt/fakes.js';
import { bytes, hex, pvvxEncrypted } from '../helpers/frames.js';
import { RecordingMqtt, silentLog } from '../helpers/gateway.js';
import { adv, atcPlain, pvvxPlain } from './helpers.js';

const PVVX_MAC = 'A4C138ABCDEF';
const PVVX_KEY_HEX = '00112233445566778899AABBCCDDEEFF';
const PVVX_KEY = bytes(PVVX_KEY_HEX);
const ATTACKER = 'C0FFEE000001';

function keyedPvvx() {
  const r = new Registry({ aes: createNodeAes() });
  r.setKey(PVVX_MAC, PVVX_KEY);
  // the genuine device: encrypted pvvx custom frame, 21.50 °C
  expect(r.ingest(adv(pvvxEncrypted(PVVX_MAC, PVVX_KEY, 5, 2150, 5000, 80), PVVX_MAC, 0x181a), 1)[0]!.kind).toBe('values');
  return r;
}

const SPOOFS: [string, Uint8Array][] = [
  ['13-byte ATC1441', atcPlain(PVVX_MAC, 999, 6)],
  ['15-byte pvvx', pvvxPlain(PVVX_MAC, 9999, 6)],
  ['17-byte pvvx', pvvxPlain(PVVX_MAC, 9999, 6, 17)],
];

describe('plain 0x181A frames naming a keyed MAC (issue 10, point 3)', () => {
  for (const [name, frame] of SPOOFS) {
    for (const sender of [PVVX_MAC, ATTACKER]) {
      it(`a plain ${name} frame naming the keyed MAC, sent from ${sender === PVVX_MAC ? 'its own' : 'another'} address, is not-encrypted and changes nothing`, () => {
        const r = keyedPvvx();
        const [o] = r.ingest(adv(frame, sender, 0x181a), 2);
        expect(o).toMatchObject({ kind: 'error', code: 'not-encrypted' });
        expect(r.slots.get(PVVX_MAC)!.values.Temperature).toBe(21.5);
        expect(r.slots.get(PVVX_MAC)!.counter).toBe(5);
        expect(r.totals.decoded).toBe(1);
      });
    }
    it(`mi32 decode refuses a plain ${name} frame when a key is given for its MAC`, () => {
      const out = JSON.parse(decodeOne({ uuid: '181a', data: hex(frame), key: PVVX_KEY_HEX + PVVX_MAC }, createNodeAes()));
      expect(out).toMatchObject({ code: 'not-encrypted' });
      expect(out).not.toHaveProperty('values');
    });
  }

  it('a plain frame sent from a keyed address but naming another MAC is not taken (its MAC is not the sender)', () => {
    const r = keyedPvvx();
    const [o] = r.ingest(adv(atcPlain('A4C138000099', 999, 1), PVVX_MAC, 0x181a), 2);
    expect(o).toMatchObject({ kind: 'error', code: 'not-encrypted' });
    expect(r.slots.has('A4C138000099')).toBe(false);
  });

  it('a plain frame of another format (Qingping) from a keyed address is refused too', () => {
    const r = keyedPvvx();
    const qingping = bytes('080cefcdab38c1a40104f100ad01020125'); // CGD1 layout naming the keyed MAC, reversed
    const [o] = r.ingest(adv(qingping, PVVX_MAC, 0xfdcd), 2);
    expect(o).toMatchObject({ kind: 'error', code: 'not-encrypted' });
    expect(r.slots.get(PVVX_MAC)!.values.Temperature).toBe(21.5);
  });

  it('the gateway publishes nothing from the spoofed frames (direct bridge on)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spoof-'));
    writeFileSync(join(dir, 'mi32cfg'), JSON.stringify([{ MAC: PVVX_MAC, PID: '944a', key: PVVX_KEY_HEX }]));
    const clock = new FakeClock();
    const gw = new Gateway({ clock, store: new DirStore(dir), log: silentLog, aes: createNodeAes() }, { topic: 'home' });
    const mqtt = new RecordingMqtt();
    gw.start();
    gw.attachMqtt(mqtt);
    gw.command('MI32Option2 1', 'console');
    for (const [, frame] of SPOOFS) gw.handleAdvertisement(adv(frame, ATTACKER, 0x181a));
    for (const [, frame] of SPOOFS) gw.handleAdvertisement(adv(frame, PVVX_MAC, 0x181a));
    clock.advance(100);
    gw.teleperiod();
    expect(mqtt.on('tele/home/SENSOR').join('\n')).not.toMatch(/99\.9|Temperature/);
  });
});

describe('ATBTN manufacturer data naming a keyed MAC', () => {
  it('is refused (not-encrypted) like every other plain reading: its MAC is the sender\'s first 4 bytes and 2 bytes of the frame, both the sender\'s to choose', () => {
    const r = keyedPvvx();
    // company 0x004e, counter 07, switch id CD EF: names A4C138AB + CDEF = the keyed pvvx device
    const ad = bytes('11ff4e00' + '7fffffff' + '07' + '05' + 'cdef' + '00' + '02' + '50000100');
    const [o] = r.ingest({ mac: 'A4C138AB0000', rssi: -60, ad }, 2);
    expect(o).toMatchObject({ kind: 'error', code: 'not-encrypted' });
    expect(r.slots.get(PVVX_MAC)!.values).not.toHaveProperty('Button2');
  });
});
