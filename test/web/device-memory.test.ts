// The page's per-device memory (history and last encrypted frame) in its fixed budget,
// and the firmware upload's rules with a fake OTA port and clock.

import { describe, expect, it } from 'vitest';
import type { Outcome, Slot } from '../../firmware/core/gateway/registry.js';
import { BYTES_PER_DEVICE, DeviceMemory, FRAME_MAX, HISTORY_HOURS } from '../../firmware/core/web/device-memory.js';
import { OTA_IDLE_MS, OtaUpload, type OtaPort } from '../../firmware/core/web/ota.js';
import { FakeClock } from '../mqtt/fakes.js';
import { silentLog } from '../helpers/gateway.js';

const HOUR = 3_600_000;
const T0 = 1_800_000_000_000 - (1_800_000_000_000 % HOUR);

/** A 'values' outcome for `mac` with these slot values (only what DeviceMemory reads). */
function values(mac: string, v: Record<string, number>, encrypted = false): Outcome {
  return { kind: 'values', slot: { mac, values: v } as unknown as Slot, reading: { encrypted } as never };
}
const adv = (mac: string, ad = new Uint8Array([2, 1, 6])) => ({ mac, rssi: -60, ad });

describe('DeviceMemory', () => {
  it('states its budget, and 200 devices fit in it', () => {
    expect(BYTES_PER_DEVICE).toBe(483); // README "Web page" quotes it: 96.6 KB for 200 devices
    const m = new DeviceMemory(200);
    // what the typed arrays really take (the row map and MAC list are the only other per-device cost)
    const allocated = Object.values(m).filter((v) => ArrayBuffer.isView(v)).reduce((n, v) => n + (v as Uint8Array).byteLength, 0);
    expect(allocated).toBe(200 * BYTES_PER_DEVICE);
    for (let i = 0; i < 200; i++) m.observe(adv(`A4C1380000${i.toString(16).padStart(2, '0')}`), [values(`A4C1380000${i.toString(16).padStart(2, '0')}`, { Temperature: 20 })], T0);
    expect(m.size).toBe(200);
  });

  it('keeps hourly min/max/last of the first three state readings, for 24 hours', () => {
    const m = new DeviceMemory(4);
    const mac = 'A4C138000001';
    m.observe(adv(mac), [values(mac, { Temperature: 21.3, Humidity: 40, Battery: 90, Illuminance: 5, Button: 1 })], T0);
    m.observe(adv(mac), [values(mac, { Temperature: 20.1, Humidity: 41, Battery: 90 })], T0 + 60_000);
    m.observe(adv(mac), [values(mac, { Temperature: 22.5, Humidity: 39, Battery: 89 })], T0 + HOUR);
    const h = m.history(mac, T0 + HOUR);
    expect(h.map((s) => s.key)).toEqual(['Temperature', 'Humidity', 'Battery']); // Illuminance: no fourth series; Button: an event
    expect(h[0]!.points).toEqual([{ t: T0, min: 20.1, max: 21.3, last: 20.1 }, { t: T0 + HOUR, min: 22.5, max: 22.5, last: 22.5 }]);
    expect(h[0]).toMatchObject({ label: 'Temperature', unit: '°C' });
    // a day later the old hours have gone; a silent day leaves no points
    expect(m.history(mac, T0 + 25 * HOUR)[0]!.points).toEqual([]);
    m.observe(adv(mac), [values(mac, { Temperature: 19 })], T0 + 30 * HOUR);
    expect(m.history(mac, T0 + 30 * HOUR)[0]!.points).toEqual([{ t: T0 + 30 * HOUR, min: 19, max: 19, last: 19 }]);
  });

  it('a reading too large for its scale rescales the series instead of wrapping', () => {
    const m = new DeviceMemory(1);
    const mac = 'A4C138000001';
    m.observe(adv(mac), [values(mac, { Illuminance: 120 })], T0);
    m.observe(adv(mac), [values(mac, { Illuminance: 98_765 })], T0 + 1000);
    const [s] = m.history(mac, T0);
    expect(s!.points[0]).toEqual({ t: T0, min: 120, max: 98_770, last: 98_770 });
  });

  it('keeps the last encrypted frame (not plain ones, not over 31 bytes), and flags refused plain frames', () => {
    const m = new DeviceMemory(2);
    const mac = 'A4C138000001';
    const frame = new Uint8Array([1, 2, 3, 4]);
    m.observe(adv(mac, frame), [{ kind: 'error', slot: { mac } as Slot, error: 'no key', code: 'no-key' }], T0);
    expect(m.lastEncryptedFrame(mac)).toEqual(frame);
    m.observe(adv(mac, new Uint8Array([9])), [values(mac, { Temperature: 1 })], T0); // plain: kept frame stays
    expect(m.lastEncryptedFrame(mac)).toEqual(frame);
    m.observe(adv(mac, new Uint8Array(FRAME_MAX + 1)), [values(mac, { Temperature: 1 }, true)], T0);
    expect(m.lastEncryptedFrame(mac)).toEqual(frame);
    m.observe(adv(mac), [{ kind: 'error', slot: { mac } as Slot, error: 'plain', code: 'not-encrypted' }], T0);
    expect(m.refusedPlain(mac)).toBe(true);
    m.observe(adv(mac), [values(mac, { Temperature: 1 }, true)], T0);
    expect(m.refusedPlain(mac)).toBe(false);
  });

  it('when full, the row used least recently goes to a newcomer; forget frees a row', () => {
    const m = new DeviceMemory(2);
    m.observe(adv('A'), [values('A', { Temperature: 1 })], T0);
    m.observe(adv('B'), [values('B', { Temperature: 2 })], T0 + 1);
    m.observe(adv('A'), [values('A', { Temperature: 3 })], T0 + 2);
    m.observe(adv('C'), [values('C', { Temperature: 4 })], T0 + 3);
    expect(m.history('B', T0)).toEqual([]);
    expect(m.history('C', T0)[0]!.points[0]!.last).toBe(4);
    expect(m.history('A', T0)[0]!.points[0]!.last).toBe(3);
    m.forget('A');
    expect(m.size).toBe(1);
    expect(HISTORY_HOURS).toBe(24);
  });
});

describe('OtaUpload', () => {
  function fakePort() {
    const calls: string[] = [];
    const port: OtaPort = { chip: 'esp32s3', begin: (n) => calls.push(`begin ${n}`), write: (b) => calls.push(`write ${b.length}`), complete: () => calls.push('complete'), cancel: () => calls.push('cancel'), restart: () => calls.push('restart') };
    return { port, calls };
  }
  const image = (size: number) => { const b = new Uint8Array(size); b[0] = 0xe9; b[12] = 9; return b; };

  it('a client that stops sending has its update cancelled; the running image is untouched', () => {
    const { port, calls } = fakePort();
    const clock = new FakeClock();
    const ota = new OtaUpload(port, clock, silentLog);
    expect(ota.chunk('0', '64', image(64).subarray(0, 32)).status).toBe(200);
    clock.advance(OTA_IDLE_MS);
    expect(calls).toEqual(['begin 64', 'write 32', 'cancel']);
    expect(ota.open).toBe(false);
  });

  it('completes once the last byte is written, then restarts into it', () => {
    const { port, calls } = fakePort();
    const clock = new FakeClock();
    const ota = new OtaUpload(port, clock, silentLog);
    ota.chunk('0', '64', image(64).subarray(0, 32));
    expect(ota.chunk('32', '64', image(64).subarray(32)).body).toEqual({ received: 64, total: 64, done: true, restarting: true });
    clock.advance(1000);
    expect(calls).toEqual(['begin 64', 'write 32', 'write 32', 'complete', 'restart']);
  });

  it('refuses a non-image, an image for another chip, a size out of range, and answers 501 without a port', () => {
    const { port, calls } = fakePort();
    const ota = new OtaUpload(port, new FakeClock(), silentLog);
    expect(ota.chunk('0', '64', new Uint8Array(64)).body.error).toMatch(/not an ESP32 application image/);
    const esp32 = image(64); esp32[12] = 0;
    expect(ota.chunk('0', '64', esp32).body.error).toBe('the image was built for esp32; this gateway is esp32s3');
    expect(ota.chunk('0', '99999999', image(64)).status).toBe(413);
    expect(ota.chunk('x', '64', image(64)).status).toBe(400);
    expect(calls).toEqual([]);
    expect(new OtaUpload(undefined, new FakeClock(), silentLog).chunk('0', '64', image(64)).status).toBe(501);
  });
});
