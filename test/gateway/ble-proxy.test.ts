// MI32Proxy: raw advertisements on tele/<topic>/BLE, switched by the command and
// persisted; the rate limit; bad arguments change nothing.
import { describe, expect, it } from 'vitest';
import { Gateway } from '../../firmware/core/gateway/gateway.js';
import { utf8Decode, utf8Encode } from '../../firmware/core/mqtt/utf8.js';
import { createNodeAes } from '../../host-sim/crypto.js';
import { FakeClock } from '../mqtt/fakes.js';
import { MemoryStore, RecordingMqtt, recordingLog } from '../helpers/gateway.js';

const PHONE = { mac: '5A1B2C3D4E5F', addrType: 1, rssi: -77, ad: Uint8Array.from([0x02, 0x01, 0x1a, 0x0a, 0xff, 0x4c, 0x00, 0x10, 0x05, 0x0b, 0x1c, 0x5e, 0x8e, 0x1a]) };
const SENSOR = { mac: 'A4C138AABBCC', addrType: 0, rssi: -60, ad: Uint8Array.from([0x02, 0x01, 0x06]) };

function setup(store = new MemoryStore()) {
  const clock = new FakeClock();
  const lines: string[] = [];
  const gw = new Gateway({ clock, store, log: recordingLog(lines), aes: createNodeAes() }, { topic: 't' });
  gw.start();
  const mqtt = new RecordingMqtt();
  gw.attachMqtt(mqtt);
  const ble = () => mqtt.on('tele/t/BLE').map((p) => JSON.parse(p) as Record<string, unknown>);
  return { clock, gw, mqtt, store, ble, lines };
}

describe('MI32Proxy', () => {
  it('is off by default: nothing on tele/<topic>/BLE and no proxy on the advertisement path', () => {
    const t = setup();
    expect(t.gw.command('MI32Proxy', 'console')).toEqual({ MI32Proxy: 0, Rate: 20, Sent: 0, Dropped: 0 });
    expect(t.gw.proxying).toBeUndefined();
    t.gw.handleAdvertisement(PHONE);
    expect(t.ble()).toEqual([]);
  });

  it('MI32Proxy 1 publishes every advertisement as {mac, addrType, rssi, ad}, even ones no decoder wants', () => {
    const t = setup();
    expect(t.gw.command('MI32Proxy 1', 'mqtt')).toMatchObject({ MI32Proxy: 1 });
    t.gw.handleAdvertisement(PHONE);
    t.gw.handleAdvertisement(SENSOR);
    expect(t.ble()).toEqual([
      { mac: '5A1B2C3D4E5F', addrType: 1, rssi: -77, ad: '02011a0aff4c0010050b1c5e8e1a' },
      { mac: 'A4C138AABBCC', addrType: 0, rssi: -60, ad: '020106' },
    ]);
    expect(t.gw.registry.totals.frames).toBe(2); // the gateway still counts them as before
  });

  it('MI32Proxy <MAC> ... publishes only the chosen devices (any MAC notation), and a blocked one not at all', () => {
    const t = setup();
    expect(t.gw.command('MI32Proxy a4:c1:38:aa:bb:cc, 5A1B2C3D4E5F', 'console')).toMatchObject({ MI32Proxy: ['A4C138AABBCC', '5A1B2C3D4E5F'] });
    t.gw.command('MI32Block 5A1B2C3D4E5F', 'console');
    t.gw.handleAdvertisement(PHONE);
    t.gw.handleAdvertisement(SENSOR);
    t.gw.handleAdvertisement({ ...SENSOR, mac: '112233445566' });
    expect(t.ble().map((m) => m.mac)).toEqual(['A4C138AABBCC']);
  });

  it('persists in settings.json and comes back at start; MI32Proxy 0 turns it off again', () => {
    const t = setup();
    t.gw.command('MI32Proxy A4C138AABBCC', 'console');
    expect(JSON.parse(utf8Decode(t.store.read('settings.json')!)).proxy).toEqual(['A4C138AABBCC']);
    const again = setup(t.store);
    expect(again.gw.command('MI32Proxy', 'console')).toMatchObject({ MI32Proxy: ['A4C138AABBCC'] });
    again.gw.handleAdvertisement(SENSOR);
    expect(again.ble()).toHaveLength(1);
    again.gw.command('MI32Proxy 0', 'console');
    expect(again.gw.proxying).toBeUndefined();
    again.gw.handleAdvertisement(SENSOR);
    expect(again.ble()).toHaveLength(1);
    expect(setup(t.store).gw.proxyMode).toBe(0);
  });

  it('is rate-limited to 20 advertisements a second over all devices; the rest are counted as dropped', () => {
    const t = setup();
    t.gw.command('MI32Proxy 1', 'console');
    for (let i = 0; i < 100; i++) t.gw.handleAdvertisement(PHONE);
    expect(t.ble()).toHaveLength(20);
    t.clock.advance(500); // half a second: 10 more
    for (let i = 0; i < 100; i++) t.gw.handleAdvertisement(PHONE);
    expect(t.ble()).toHaveLength(30);
    expect(t.gw.command('MI32Proxy', 'console')).toEqual({ MI32Proxy: 1, Rate: 20, Sent: 30, Dropped: 170 });
  });

  it('while the broker is away nothing is proxied (the offline queue keeps the readings); counted as dropped', () => {
    const t = setup();
    let online = false;
    Object.assign(t.mqtt, { connected: () => online });
    t.gw.command('MI32Proxy 1', 'console');
    for (let i = 0; i < 5; i++) t.gw.handleAdvertisement(PHONE);
    expect(t.ble()).toEqual([]);
    online = true;
    t.gw.handleAdvertisement(PHONE);
    expect(t.ble()).toHaveLength(1);
    expect(t.gw.command('MI32Proxy', 'console')).toMatchObject({ Sent: 1, Dropped: 5 });
  });

  it('a bad argument is an error reply and changes nothing', () => {
    const t = setup();
    t.gw.command('MI32Proxy 1', 'console');
    const saved = utf8Decode(t.store.read('settings.json')!);
    for (const arg of ['2', 'A4C138AABB', 'A4C138AABBCC zz', Array.from({ length: 33 }, (_, i) => `A4C138AABB${i.toString(16).padStart(2, '0')}`).join(' ')]) {
      const reply = t.gw.command(`MI32Proxy ${arg}`, 'mqtt');
      expect(reply.MI32Proxy, arg).toBe('Error');
      expect(reply.Error).toMatch(/MAC|at most 32/);
    }
    expect(t.gw.proxyMode).toBe(1);
    expect(utf8Decode(t.store.read('settings.json')!)).toBe(saved);
  });

  it('a bad proxy value in settings.json is reported and the proxy stays off', () => {
    const store = new MemoryStore();
    store.write('settings.json', utf8Encode(JSON.stringify({ topic: 't', proxy: ['not-a-mac'] })));
    const t = setup(store);
    expect(t.gw.proxyMode).toBe(0);
    expect(t.lines.some((l) => /settings\.json: proxy: "not-a-mac" is not a MAC/.test(l))).toBe(true);
  });
});
