// MI32Activate against the simulated stock LYWSD03MMC: the gateway registers with it,
// logs in with the fresh token, stores the bind key in mi32cfg, and the sensor's
// encrypted advertisements then decode with it (also after a restart from the same flash).
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../firmware/core/bytes/hex.js';
import { Gateway } from '../../firmware/core/gateway/gateway.js';
import { utf8Decode } from '../../firmware/core/mqtt/utf8.js';
import { createNodeAes, createNodeAuthCrypto } from '../../host-sim/crypto.js';
import { SimGattLink } from '../../host-sim/gatt/sim-link.js';
import type { SensorActivation } from '../../host-sim/gatt/mi-sensor.js';
import { FakeClock } from '../mqtt/fakes.js';
import { settle } from '../helpers/settle.js';
import { MemoryStore, RecordingMqtt, recordingLog } from '../helpers/gateway.js';

const MAC = 'A4C1381A2B01';
const NAME = 'LYWSD03-1a2b01';

function gateway(clock: FakeClock, store: MemoryStore, link: SimGattLink, lines: string[] = []) {
  const gw = new Gateway({
    clock, store, log: recordingLog(lines), aes: createNodeAes(), gatt: link,
    random: { bytes: (n) => new Uint8Array(randomBytes(n)) }, authCrypto: createNodeAuthCrypto(),
  }, { topic: 't' });
  gw.start();
  const mqtt = new RecordingMqtt();
  gw.attachMqtt(mqtt);
  return { gw, mqtt };
}

/** The sensor's advertisement: its FE95 service data in an AD structure. */
function advert(sensor: SensorActivation, counter: number) {
  const sd = sensor.advertisement(counter);
  return { mac: MAC, rssi: -60, ad: Uint8Array.from([sd.length + 3, 0x16, 0x95, 0xfe, ...sd]) };
}

function setup() {
  const clock = new FakeClock();
  const store = new MemoryStore();
  const link = new SimGattLink(clock);
  const peripheral = link.add(MAC, 'LYWSD03MMC', { values: { temperature: 21.8 } });
  const lines: string[] = [];
  return { clock, store, link, peripheral, sensor: peripheral.protocol as SensorActivation, lines, ...gateway(clock, store, link, lines) };
}

describe('MI32Activate', () => {
  it('activates a stock LYWSD03MMC: the bind key goes to mi32cfg and its encrypted adverts decode with it', async () => {
    const t = setup();
    // Before: the stock sensor advertises in the clear.
    const plain = t.gw.handleAdvertisement(advert(t.sensor, 1));
    expect(plain[0]).toMatchObject({ kind: 'values' });
    const reply = t.gw.command(`MI32Activate ${MAC}`, 'console');
    expect(reply).toMatchObject({ MI32Activate: 'Activating', Device: NAME, Warning: expect.stringContaining('unbinds') });
    await settle(t.clock, 10_000);
    const key = t.sensor.mi.bindKey!;
    expect(key).toHaveLength(16);
    expect(t.sensor.mi.counts).toMatchObject({ registrations: 1, logins: 1 });
    const results = t.mqtt.on('stat/t/RESULT').map((p) => JSON.parse(p));
    expect(results.at(-1)).toEqual({ MI32Activate: { [NAME]: { Key: `...${toHex(key).toUpperCase().slice(-4)}`, Saved: 'mi32cfg' } } });
    // The key is in mi32cfg (Tasmota's file), the token in mitokens.
    const cfg = JSON.parse(utf8Decode(t.store.read('mi32cfg')!)) as { MAC: string; key: string }[];
    expect(cfg.find((e) => e.MAC === MAC)!.key.toLowerCase()).toBe(toHex(key));
    expect(JSON.parse(utf8Decode(t.store.read('mitokens')!))[MAC]).toMatchObject({ kind: 'sensor' });
    // The sensor now encrypts; the gateway decodes.
    const out = t.gw.handleAdvertisement(advert(t.sensor, 2));
    expect(out[0]).toMatchObject({ kind: 'values', reading: { values: { Temperature: 21.8 } } });
    // And after a restart from the same flash: the key is there; the counter too (counters.json,
    // replay protection across restarts), so the sensor's first frames after it are below its
    // persisted mark and count as replays until the resync run takes it back.
    const again = gateway(t.clock, t.store, t.link);
    expect([3, 4].map((c) => again.gw.handleAdvertisement(advert(t.sensor, c))[0]!.kind)).toEqual(['replay', 'replay']);
    expect(again.gw.handleAdvertisement(advert(t.sensor, 5))[0]).toMatchObject({ kind: 'values', reading: { values: { Temperature: 21.8 } } });
    // The token (the sensor's login secret) is in no message and no log line.
    const everything = [...t.mqtt.sent.map((m) => m.payload), ...t.lines].join('\n').toLowerCase();
    expect(everything).not.toContain(toHex(t.sensor.mi.token!));
    expect(everything).not.toContain(toHex(key));
  });

  it('refuses models it does not support and malformed forms; a failed activation changes nothing', async () => {
    const t = setup();
    expect(t.gw.command('MI32Activate', 'console')).toMatchObject({ MI32Activate: 'Error', Error: expect.stringContaining('LYWSD03MMC, MHO-C401') });
    expect(t.gw.command('MI32Activate zz', 'console')).toMatchObject({ MI32Activate: 'Error' });
    t.link.setFault(MAC, 'write-fails');
    t.gw.command(`MI32Activate ${MAC}`, 'console');
    await settle(t.clock, 15_000);
    const last = JSON.parse(t.mqtt.on('stat/t/RESULT').at(-1)!);
    expect(last.MI32Activate[NAME].Error).toBeTruthy();
    expect(t.store.read('mi32cfg')).toBeUndefined();
    expect(t.store.read('mitokens')).toBeUndefined();
    expect(t.gw.registry.keyOf(MAC)).toBeUndefined();
    expect(t.gw.registry.slots.has(MAC)).toBe(false);
  });

  it('a sensor whose login proof does not verify (wrong-token) is not activated', async () => {
    const t = setup();
    t.link.setFault(MAC, 'wrong-token');
    t.gw.command(`MI32Activate ${MAC}`, 'console');
    await settle(t.clock, 10_000);
    const last = JSON.parse(t.mqtt.on('stat/t/RESULT').at(-1)!);
    expect(last.MI32Activate[NAME]).toMatchObject({ Code: 'wrong-token' });
    expect(t.store.read('mi32cfg')).toBeUndefined();
    expect(t.gw.registry.keyOf(MAC)).toBeUndefined();
  });
});
