// BTHome v2 (service data UUID 0xFCD2), plain and encrypted.
//
// Byte 0 is the device info: bit 0 encrypted, bit 1 MAC included (6 bytes, reversed,
// follow), bit 2 trigger-based, bits 5-7 version (2).
// Then objects: id (1) and a value whose size the id fixes (0x53/0x54 carry a length
// byte). Encrypted: device info | ciphertext | counter (4, LE) | MIC (4), AES-CCM with
// a 13-byte nonce = MAC (display order) ‖ D2 FC ‖ device info ‖ counter, no AAD.

import { concat, macBytes, macFromReversed, toHex } from '../bytes/hex.js';
import { intLE, u32le } from '../bytes/read.js';
import { ccmDecrypt } from '../crypto/ccm.js';
import { FAKE_PID, readingIdentity } from '../devices/table.js';
import type { BaseValueKey, ValueKey } from '../values/keys.js';
import { fail, NO_MAC, type DecodeContext, type DecodeResult, type Reading, type Values } from './types.js';

export const BTHOME_UUID = 0xfcd2;

const INFO = { encrypted: 0x01, macIncluded: 0x02, trigger: 0x04 } as const;

// [id, value key, size, signed, divisor]. Keys follow Tasmota names where Tasmota has
// one (Temperature, Humidity, Illuminance, Battery, ...), else BTHome's own names.
type Row = [number, BaseValueKey, number, boolean, number];
const MEASUREMENTS: Row[] = [
  [0x00, 'PacketId', 1, false, 1],
  [0x01, 'Battery', 1, false, 1],
  [0x02, 'Temperature', 2, true, 100],
  [0x03, 'Humidity', 2, false, 100],
  [0x04, 'Pressure', 3, false, 100],
  [0x05, 'Illuminance', 3, false, 100],
  [0x06, 'Weight', 2, false, 100],
  [0x07, 'WeightLb', 2, false, 100],
  [0x08, 'DewPoint', 2, true, 100],
  [0x09, 'Count', 1, false, 1],
  [0x0a, 'Energy', 3, false, 1000],
  [0x0b, 'Power', 3, false, 100],
  [0x0c, 'Voltage', 2, false, 1000],
  [0x0d, 'PM2.5', 2, false, 1],
  [0x0e, 'PM10', 2, false, 1],
  [0x12, 'CO2', 2, false, 1],
  [0x13, 'TVOC', 2, false, 1],
  [0x14, 'Moisture', 2, false, 100],
  [0x2e, 'Humidity', 1, false, 1],
  [0x2f, 'Moisture', 1, false, 1],
  [0x3d, 'Count', 2, false, 1],
  [0x3e, 'Count', 4, false, 1],
  [0x3f, 'Rotation', 2, true, 10],
  [0x40, 'Distance', 2, false, 1], // mm
  [0x41, 'DistanceM', 2, false, 10],
  [0x42, 'Duration', 3, false, 1000],
  [0x43, 'Current', 2, false, 1000],
  [0x44, 'Speed', 2, false, 100],
  [0x45, 'Temperature', 2, true, 10],
  [0x46, 'UV', 1, false, 10],
  [0x47, 'Volume', 2, false, 10],
  [0x48, 'VolumeMl', 2, false, 1],
  [0x49, 'VolumeFlowRate', 2, false, 1000],
  [0x4a, 'Voltage', 2, false, 10],
  [0x4b, 'Gas', 3, false, 1000],
  [0x4c, 'Gas', 4, false, 1000],
  [0x4d, 'Energy', 4, false, 1000],
  [0x4e, 'Volume', 4, false, 1000],
  [0x4f, 'Water', 4, false, 1000],
  [0x50, 'Timestamp', 4, false, 1],
  [0x51, 'Acceleration', 2, false, 1000],
  [0x52, 'Gyroscope', 2, false, 1000],
  [0x55, 'VolumeStorage', 4, false, 1000],
  [0x56, 'Fertility', 2, false, 1], // conductivity µS/cm: Tasmota's name for it (Flora)
  [0x57, 'Temperature', 1, true, 1],
  [0x58, 'Temperature', 1, true, 1 / 0.35],
  [0x59, 'Count', 1, true, 1],
  [0x5a, 'Count', 2, true, 1],
  [0x5b, 'Count', 4, true, 1],
  [0x5c, 'Power', 4, true, 100],
  [0x5d, 'Current', 2, true, 1000],
  [0x5e, 'Direction', 2, false, 100],
  [0x5f, 'Precipitation', 2, false, 10],
  [0x60, 'Channel', 1, false, 1],
  [0x61, 'RotationalSpeed', 2, false, 1],
  [0x62, 'Speed', 4, true, 1e6],
  [0x63, 'Acceleration', 4, true, 1e6],
  [0x64, 'LightLevel', 1, false, 1],
  [0xf0, 'DeviceTypeId', 2, false, 1],
  [0xf1, 'FirmwareVersion', 4, false, 1],
  [0xf2, 'FirmwareVersion', 3, false, 1],
];

// Binary sensors, one byte each: 1 = on/open/detected.
const BINARY: [number, BaseValueKey][] = [
  [0x0f, 'Generic'], [0x10, 'PowerState'], [0x11, 'Opening'], [0x15, 'BatteryLow'], [0x16, 'BatteryCharging'],
  [0x17, 'CarbonMonoxide'], [0x18, 'Cold'], [0x19, 'Connectivity'], [0x1a, 'Door'], [0x1b, 'GarageDoor'],
  [0x1c, 'GasDetected'], [0x1d, 'Heat'], [0x1e, 'Light'], [0x1f, 'Lock'], [0x20, 'Leak'], [0x21, 'Motion'],
  [0x22, 'Moving'], [0x23, 'Occupancy'], [0x24, 'Plug'], [0x25, 'Presence'], [0x26, 'Problem'],
  [0x27, 'Running'], [0x28, 'Safety'], [0x29, 'Smoke'], [0x2a, 'Sound'], [0x2b, 'Tamper'],
  [0x2c, 'Vibration'], [0x2d, 'Window'],
];

const BTHOME = { format: 'bthome' as const, ...readingIdentity(FAKE_PID.BTHOME) };

const BUTTON_ID = 0x3a;
const DIMMER_ID = 0x3c;
const TEXT_ID = 0x53;
const RAW_ID = 0x54;

/** BTHome button events -> Tasmota press values (1 single, 2 double, 3 hold), others kept distinct. */
const BUTTON_EVENT: Record<number, number> = { 1: 1, 2: 2, 3: 4, 4: 3, 5: 5, 6: 6, 0x80: 3 };

const SIZE = new Map<number, number>();
const DECODE = new Map<number, (v: Uint8Array, put: (key: ValueKey, n: number | string) => void, state: { buttons: number }) => void>();
for (const [id, key, size, signed, divisor] of MEASUREMENTS) {
  SIZE.set(id, size);
  DECODE.set(id, (v, put) => put(key, round(intLE(v, 0, size, signed) / divisor)));
}
for (const [id, key] of BINARY) {
  SIZE.set(id, 1);
  DECODE.set(id, (v, put) => put(key, v[0]! ? 1 : 0));
}
SIZE.set(BUTTON_ID, 1);
DECODE.set(BUTTON_ID, (v, put, state) => {
  // Every button object is the next button, event 0 ("none") included, so the index is stable.
  state.buttons += 1;
  const press = BUTTON_EVENT[v[0]!];
  if (press !== undefined) put(`Button${state.buttons}`, press);
});
SIZE.set(DIMMER_ID, 2);
DECODE.set(DIMMER_ID, (v, put) => {
  // event 1 = rotate left, 2 = rotate right; steps in byte 1
  if (v[0] === 1) put('Dimmer', -v[1]!);
  else if (v[0] === 2) put('Dimmer', v[1]!);
});

DECODE.set(TEXT_ID, (v, put) => {
  const text = printableAscii(v);
  if (text !== undefined) put('Text', text); // invalid text is dropped, as bthome-ble does
});
DECODE.set(RAW_ID, (v, put) => put('Raw', toHex(v)));

/** ASCII text, or undefined if any byte is not printable ASCII (no TextDecoder on every XS build). */
function printableAscii(bytes: Uint8Array): string | undefined {
  let s = '';
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i]! < 0x20 || bytes[i]! > 0x7e) return undefined;
    s += String.fromCharCode(bytes[i]!);
  }
  return s;
}

/** Round away float noise from the divisions (e.g. 0.35 steps) without losing precision. */
function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}

export function decodeBthome(data: Uint8Array, sourceMac: string | undefined, localName: string | undefined, ctx: DecodeContext): DecodeResult {
  const base = BTHOME;
  if (data.length < 1) return fail('too-short', 'BTHome service data is empty', { mac: sourceMac, ...base });
  const info = data[0]!;
  const version = info >> 5;
  const encrypted = (info & INFO.encrypted) !== 0;
  let objects = data.subarray(1);
  if (info & INFO.macIncluded) {
    // Devices with a random address name themselves here; that MAC is the identity.
    if (data.length < 7) return fail('too-short', 'BTHome frame truncated inside the MAC field', { mac: sourceMac, ...base, encrypted });
    sourceMac = macFromReversed(data.subarray(1, 7));
    objects = data.subarray(7);
  }
  // The nonce holds the sender's address: only decryption needs it.
  if (sourceMac === undefined && encrypted) return fail('bad-input', 'this encrypted BTHome frame carries no MAC: give the sender MAC', base);
  sourceMac ??= NO_MAC;
  if (version !== 2) return fail('unsupported', `BTHome version ${version} is not supported (only v2)`, { mac: sourceMac, ...base, encrypted });
  if (!encrypted && ctx.keyFor(sourceMac)) {
    // A device with a bind key that suddenly sends plain frames is someone else
    // speaking in its name; accepting it would defeat the key (bthome-ble does the same).
    return fail('not-encrypted', `plain BTHome frame from ${sourceMac}, which has a bind key: rejected`, { mac: sourceMac, ...base, encrypted });
  }

  let counter: number | null = null;
  if (encrypted) {
    const key = ctx.keyFor(sourceMac);
    if (!key) return fail('no-key', `encrypted BTHome and no bind key for ${sourceMac}`, { mac: sourceMac, ...base, encrypted });
    if (key.length !== 16) return fail('bad-input', 'BTHome needs a 16-byte bind key', { mac: sourceMac, ...base, encrypted });
    if (objects.length < 1 + 8) return fail('too-short', `encrypted BTHome too short: ${data.length} bytes`, { mac: sourceMac, ...base, encrypted });
    const counterBytes = objects.subarray(objects.length - 8, objects.length - 4);
    const nonce = concat(macBytes(sourceMac), new Uint8Array([0xd2, 0xfc, info]), counterBytes);
    const plain = ccmDecrypt({ aes: ctx.aes, key, nonce, tagLength: 4 }, objects.subarray(0, objects.length - 8), objects.subarray(objects.length - 4));
    if (!plain) return fail('wrong-key', `BTHome tag does not verify for ${sourceMac}: wrong key or corrupted frame`, { mac: sourceMac, ...base, encrypted });
    objects = plain;
    counter = u32le(counterBytes, 0);
  }

  const values: Values = {};
  const seen: Record<string, number> = {};
  // A second object of the same kind becomes Temperature2, Temperature3, ... as in BTHome's _2 suffix.
  const put = (key: ValueKey, n: number | string): void => {
    const count = (seen[key] = (seen[key] ?? 0) + 1);
    // key is a base key here (buttons are numbered once, by put's caller), so key + count is its numbered copy
    values[count === 1 ? key : `${key}${count}` as ValueKey] = n;
  };
  const state = { buttons: 0 };
  const unknown: string[] = [];
  let i = 0;
  while (i < objects.length) {
    const id = objects[i]!;
    let size = SIZE.get(id);
    let start = i + 1;
    if (id === TEXT_ID || id === RAW_ID) {
      if (start >= objects.length) return fail('malformed', `BTHome text/raw object at byte ${i} has no length`, { mac: sourceMac, ...base, encrypted });
      size = objects[start]!;
      start += 1;
    }
    if (size === undefined) {
      // Sizes come from the id, so after an unknown id nothing further can be located.
      unknown.push('0x' + id.toString(16).padStart(2, '0'));
      break;
    }
    if (start + size > objects.length) return fail('malformed', `BTHome object 0x${id.toString(16)} at byte ${i} runs past the end`, { mac: sourceMac, ...base, encrypted });
    if (id === 0x00) counter ??= objects[start]!;
    else DECODE.get(id)?.(objects.subarray(start, start + size), put, state);
    i = start + size;
  }
  const reading: Reading = { mac: sourceMac, ...base, encrypted, counter, values };
  if (unknown.length) reading.unknown = unknown;
  if (localName) reading.localName = localName;
  return reading;
}
