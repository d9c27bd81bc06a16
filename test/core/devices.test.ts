// The device table and every MiBeacon model in it, decoded from frames the test builds
// and encrypts itself (plain and v5-encrypted) with objects for each of its entities.
import { describe, expect, it } from 'vitest';
import { decodeServiceData } from '../../firmware/core/decode.js';
import { isError } from '../../firmware/core/decoders/types.js';
import { DEVICE_TYPES, FAKE_PID, deviceByPid, deviceName } from '../../firmware/core/devices/table.js';
import { createNodeAes } from '../../host-sim/crypto.js';
import { bytes, miBeacon, type MiObject } from '../helpers/frames.js';

// PIDs from Bluetooth-Devices/xiaomi-ble src/xiaomi_ble/devices.py @509f516e (DEVICE_TYPES)
const XIAOMI_BLE_PIDS = [
  0x0083, 0x0098, 0x00db, 0x0113, 0x0153, 0x015d, 0x01aa, 0x02df, 0x0347, 0x0380, 0x0387, 0x0391, 0x03b6, 0x03bc, 0x03bf,
  0x03d6, 0x03dd, 0x040a, 0x045b, 0x045c, 0x0489, 0x04e1, 0x04e6, 0x04e9, 0x055b, 0x0576, 0x0599, 0x066f, 0x068e, 0x069e,
  0x069f, 0x06d3, 0x0784, 0x07bf, 0x07f6, 0x0806, 0x0863, 0x098b, 0x098c, 0x0997, 0x0a83, 0x0a8d, 0x0b48, 0x0c3c, 0x0de7,
  0x0dfd, 0x0e39, 0x11c2, 0x1203, 0x1568, 0x1569, 0x16e4, 0x1790, 0x1889, 0x1949, 0x1c10, 0x2387, 0x2542, 0x2832, 0x2aeb,
  0x30d9, 0x3531, 0x38bb, 0x3a61, 0x3bd5, 0x3e17, 0x3f0f, 0x3f4c, 0x45c9, 0x4683, 0x48cf, 0x4b05, 0x4c04, 0x4c47, 0x4c60,
  0x4dcb, 0x4f59, 0x50fb, 0x520b, 0x55b5, 0x5968, 0x59fa, 0x59fb, 0x59fc, 0x5bea, 0x5db1, 0x6188, 0x6375, 0x6a0f, 0x78d1,
  0x78db,
];

// Tasmota MI32's 18 types: PID -> display name
const TASMOTA_TYPES: Record<number, string> = {
  0x0098: 'Flora', 0x01aa: 'MJ_HT_V1', 0x045b: 'LYWSD02', 0x055b: 'LYWSD03', 0x0347: 'CGG1', 0x0576: 'CGD1',
  0x03dd: 'NLIGHT', 0x07f6: 'MJYD2S', 0x0153: 'YLYK01', 0x0387: 'MHOC401', 0x06d3: 'MHOC303', 0x0a1c: 'ATC',
  0x098b: 'MCCGQ02', 0x0863: 'SJWS01L', 0x944a: 'PVVX', 0x03b6: 'YLKG08', 0x07bf: 'YLAI003', 0xb770: 'BTHOME',
};

/** One sample object per entity, and the values it must give. */
const SAMPLES: Record<string, [MiObject, Record<string, number | string>]> = {
  Temperature: [[0x1004, bytes('d700')], { Temperature: 21.5 }],
  Humidity: [[0x1006, bytes('e001')], { Humidity: 48 }],
  Battery: [[0x100a, bytes('5a')], { Battery: 90 }],
  Moisture: [[0x1008, bytes('20')], { Moisture: 32 }],
  Fertility: [[0x1009, bytes('2c01')], { Fertility: 300 }],
  Motion: [[0x0003, new Uint8Array(0)], { Motion: 1 }],
  NMT: [[0x1017, bytes('3c000000')], { NMT: 60 }],
  Light: [[0x1018, bytes('01')], { Light: 1 }],
  Door: [[0x1019, bytes('00')], { Door: 1 }],
  Leak: [[0x1014, bytes('01')], { Leak: 1 }],
  Smoke: [[0x1015, bytes('01')], { Smoke: 1 }],
  Formaldehyde: [[0x1010, bytes('0a00')], { Formaldehyde: 0.1 }],
  Consumable: [[0x1013, bytes('50')], { Consumable: 80 }],
  PowerState: [[0x1012, bytes('01')], { PowerState: 1 }],
  Occupancy: [[0x484e, bytes('01')], { Occupancy: 1 }],
  Toothbrush: [[0x0010, bytes('0005')], { Toothbrush: 1, Count: 5 }],
  Dimmer: [[0x1001, bytes('000204')], { Dimmer: 2 }],
  Button: [[0x1001, bytes('010000')], { Button1: 1 }],
  Weight: [[0x4e16, bytes('01511800008a1b1169')], { ProfileId: 1, Weight: 62.25 }],
  Asleep: [[0x5810, bytes('00')], { Asleep: 1 }],
  Lock: [[0x000b, bytes('20020001807c442f61')], { Lock: 0, KeyId: 'Fingerprint key id 2', LockMethod: 'biometrics', LockAction: 'unlock_outside_the_door' }],
  Wearing: [[0x6461, bytes('00')], { Wearing: 1 }],
  Illuminance: [[0x1007, bytes('640000')], { Illuminance: 100 }],
  Score: [[0x0010, bytes('0150')], { Toothbrush: 0, Score: 80 }],
  // body composition scales (0x6E16, 9 bytes): profile 1 | mass 625 (62.5 kg), heart rate 20 (+50), impedance 5000 (/10) packed in a u32 | 4 more
  HeartRate: [[0x6e16, bytes('0171a2204e00000000')], { ProfileId: 1, Weight: 62.5, HeartRate: 70, ImpedanceLow: 500, Stabilized: 0 }],
  // the same with only an impedance: the scale's second, stabilised measurement
  ImpedanceHigh: [[0x6e16, bytes('010000803e00000000')], { ProfileId: 1, ImpedanceHigh: 400, Stabilized: 1 }],
};

/** Entities another sample's frame already gives (its values include them). */
const COVERED_BY: Record<string, string> = { Count: 'Toothbrush', ImpedanceLow: 'HeartRate', Stabilized: 'HeartRate' };
/** Samples whose object would collide with another of the model's samples: each goes in a frame of its own. */
const SOLO = new Set(['Dimmer', 'Score', 'HeartRate', 'ImpedanceHigh', 'Illuminance']);
/** What a model's quirk makes of a sample, spelt out: the MJYD2S reports "no motion" with a light-only frame (Tasmota). */
const QUIRKS: Record<string, Record<string, Record<string, number | string>>> = {
  MJYD02YL: { Illuminance: { Illuminance: 100, Motion: 0 } },
};

const FAKE = new Set<number>([...Object.values(FAKE_PID), 0x0576, 0xcc09, 0xcc0e, 0xcc18, 0xcc5d]);
const KEY = bytes('8d3d3c978d3d3c978d3d3c978d3d3c97');
const MAC = 'C4B1D2E3F405';
const aes = createNodeAes();

describe('device table', () => {
  it('has one row per product id', () => {
    const pids = DEVICE_TYPES.map((d) => d.pid);
    expect(new Set(pids).size).toBe(pids.length);
  });

  it('covers every xiaomi-ble product id and every Tasmota MI32 type with its Tasmota name', () => {
    for (const pid of XIAOMI_BLE_PIDS) expect(deviceByPid(pid), `PID 0x${pid.toString(16)}`).toBeDefined();
    for (const [pid, name] of Object.entries(TASMOTA_TYPES)) expect(deviceByPid(Number(pid))?.name).toBe(name);
  });

  it('names devices as Tasmota does', () => {
    expect(deviceName('LYWSD03', 'A4C138A1B2C3')).toBe('LYWSD03-a1b2c3');
  });
});

describe('every MiBeacon model decodes its entities', () => {
  const models = DEVICE_TYPES.filter((d) => !FAKE.has(d.pid));

  it('has a sample for every entity a model lists, so none is skipped silently', () => {
    const missing = new Set(models.flatMap((d) => d.entities).filter((e) => !SAMPLES[e] && !(COVERED_BY[e] && SAMPLES[COVERED_BY[e]!])));
    expect([...missing]).toEqual([]);
  });

  for (const device of models) {
    const samples = device.entities.filter((e) => SAMPLES[e]);
    // Knob devices report buttons too, scales two kinds of measurement: colliding samples get frames of their own.
    const together = samples.filter((e) => !SOLO.has(e));
    const groups = [together, ...samples.filter((e) => SOLO.has(e)).map((e) => [e])];
    for (const [index, group] of groups.entries()) {
      if (group.length === 0 && index > 0) continue;
      it(`${device.model} 0x${device.pid.toString(16).padStart(4, '0')} ${group.join(',') || '(no object)'}`, () => {
        const objects = group.map((e) => SAMPLES[e]![0]);
        const expected = Object.assign({}, ...group.map((e) => QUIRKS[device.model]?.[e] ?? SAMPLES[e]![1]));
        for (const key of [undefined, KEY]) {
          const frame = miBeacon({ pid: device.pid, mac: MAC, counter: 9, objects, ...(key ? { key } : {}) });
          const r = decodeServiceData(0xfe95, frame, MAC, { aes, keyFor: () => key });
          if (isError(r)) throw new Error(r.error);
          expect(r.model).toBe(device.model);
          expect(r.type).toBe(device.name);
          expect(r.encrypted).toBe(key !== undefined);
          expect(r.values).toEqual(expected);
        }
      });
    }
  }
});
