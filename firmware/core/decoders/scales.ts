// Xiaomi scales and the HHCCJCY10 plant sensor: fixed-layout service data that is not
// a MiBeacon. Layouts as decoded by xiaomi-ble.
//   Mi Smart Scale (0x181D, 10 bytes): control (1) | mass (u16 LE) | date/time...
//   Mi Body Composition Scale (0x181B, 13 bytes): control (2) | date/time (7) |
//     impedance (u16 LE) | mass (u16 LE)
//   HHCCJCY10 (0xFD50, 9 bytes, big-endian): moisture (u8) | temperature (u16 /10) |
//     illuminance (u24) | battery (u8) | conductivity (u16)
// Mass is sent as kg x 200, lb x 100 or catty x 100 depending on the display unit;
// we always report kg.

import { u16be, u16le } from '../bytes/read.js';
import { FAKE_PID, readingIdentity } from '../devices/table.js';
import { fail, NO_MAC, type DecodeResult, type Values } from './types.js';

export const SCALE_V1_UUID = 0x181d;
export const SCALE_V2_UUID = 0x181b;
export const HHCCJCY10_UUID = 0xfd50;

const KG_PER_LB = 0.45359237;
const SCALE_V1 = { format: 'scale' as const, ...readingIdentity(FAKE_PID.SCALE_V1), encrypted: false };
const SCALE_V2 = { format: 'scale' as const, ...readingIdentity(FAKE_PID.SCALE_V2), encrypted: false };
const HHCCJCY10 = { format: 'hhcc' as const, ...readingIdentity(FAKE_PID.HHCCJCY10), encrypted: false };

/** kg x 200 and catty x 100 are both kg / 200; only pounds need converting. */
function massKg(raw: number, pounds: boolean): number {
  const kg = pounds ? (raw / 100) * KG_PER_LB : raw / 200;
  return Math.round(kg * 1000) / 1000;
}

/** Weight only counts once the scale says it is stable and nobody stepped off. */
function massValues(kg: number, stabilized: boolean, removed: boolean): Values {
  const values: Values = { WeightNonStabilized: kg };
  const stable = stabilized && !removed && kg > 0;
  if (stable) values.Weight = kg;
  values.Stabilized = stable ? 1 : 0;
  return values;
}

export function decodeScaleV1(d: Uint8Array, mac: string | undefined): DecodeResult {
  const base = SCALE_V1;
  if (d.length !== 10) return fail('too-short', `Mi Scale frame must be 10 bytes, got ${d.length}`, { mac, ...base });
  const control = d[0]!;
  const kg = massKg(u16le(d, 1), (control & 0x01) !== 0);
  return { mac: mac ?? NO_MAC, ...base, counter: null, values: massValues(kg, (control & 0x20) !== 0, (control & 0x80) !== 0) };
}

export function decodeScaleV2(d: Uint8Array, mac: string | undefined): DecodeResult {
  const base = SCALE_V2;
  if (d.length !== 13) return fail('too-short', `Mi Body Composition Scale frame must be 13 bytes, got ${d.length}`, { mac, ...base });
  // control bytes read MSB-first as one 16-bit word: bit 8 lb, (bit 6 catty), bit 5 stable,
  // bit 7 removed, bit 1 impedance stable (xiaomi-ble's flag string positions 7/9/10/8/14)
  const c = (d[0]! << 8) | d[1]!;
  const kg = massKg(u16le(d, 11), (c & 0x0100) !== 0);
  const values = massValues(kg, (c & 0x0020) !== 0, (c & 0x0080) !== 0);
  if (values.Stabilized === 1 && (c & 0x0002) !== 0) values.Impedance = u16le(d, 9);
  return { mac: mac ?? NO_MAC, ...base, counter: null, values };
}

export function decodeHhccjcy10(d: Uint8Array, mac: string | undefined): DecodeResult {
  const base = HHCCJCY10;
  if (d.length !== 9) return fail('too-short', `HHCCJCY10 frame must be 9 bytes, got ${d.length}`, { mac, ...base });
  return {
    mac: mac ?? NO_MAC, ...base, counter: null,
    values: {
      Temperature: u16be(d, 1) / 10,
      Illuminance: (d[3]! << 16) | (d[4]! << 8) | d[5]!,
      Moisture: d[0]!,
      Fertility: u16be(d, 7),
      Battery: d[6]!,
    },
  };
}
