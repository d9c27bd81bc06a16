// What the MI32Battery, MI32Time and MI32Unit commands do per model: which characteristic
// to touch and how its bytes read. Data, not code paths: the device table's rows
// (devices/table.ts, keyed by PID) name one of the GATT_OPS below; a new model is a row.
// Layouts as Tasmota's legacy MI32 driver and the lywsd02 / miflora libraries use them.

import type { Values } from '../decoders/types.js';
import { s16le, u16le } from '../bytes/read.js';

/** Xiaomi's vendor service on LYWSD02/LYWSD03MMC/MHO-C401 (stock firmware). */
const XIAOMI_SVC = 'ebe0ccb0-7a0a-4b0c-8a1a-6ff2997da3a6';
const xiaomi = (short: string) => `ebe0${short}-7a0a-4b0c-8a1a-6ff2997da3a6`;
const sig = (short: string) => `0000${short}-0000-1000-8000-00805f9b34fb`;

export interface BatteryRead {
  /** 1 = read; 13 = one-shot subscribe: the first notification carries the reading. */
  op: 1 | 13;
  service: string;
  characteristic: string;
  /** Values from the bytes, or undefined when they make no sense (too short). */
  decode(value: Uint8Array): Values | undefined;
}

export interface ClockWrite {
  service: string;
  characteristic: string;
  encode(utcSeconds: number, tzHours: number): Uint8Array;
}

export interface UnitSetting {
  service: string;
  characteristic: string;
  celsius: number;
  fahrenheit: number;
}

export interface DeviceGatt {
  battery?: BatteryRead;
  clock?: ClockWrite;
  unit?: UnitSetting;
}


/** Battery % from the cell voltage, as Tasmota estimated it for the LYWSD03MMC (2.1 V empty … 3.3 V full). */
export function batteryFromMillivolts(mv: number): number {
  return Math.max(0, Math.min(100, Math.round((mv - 2100) / 12)));
}

/**
 * The LYWSD03MMC and MHO-C401 have no trustworthy battery characteristic; their
 * temperature/humidity notification (ebe0ccc1) carries the cell voltage, so a one-shot
 * subscribe yields temperature, humidity and the battery at once (Tasmota did the same).
 */
const NOTIFIED_READING: BatteryRead = {
  op: 13,
  service: XIAOMI_SVC,
  characteristic: xiaomi('ccc1'),
  decode: (v) => (v.length < 5 ? undefined : {
    Temperature: s16le(v, 0) / 100, Humidity: v[2]!, Voltage: u16le(v, 3) / 1000, Battery: batteryFromMillivolts(u16le(v, 3)),
  }),
};

const BATTERY_BYTE = (service: string, characteristic: string): BatteryRead => ({
  op: 1, service, characteristic, decode: (v) => (v.length < 1 || v[0]! > 100 ? undefined : { Battery: v[0]! }),
});

/** uint32 LE seconds + int8 timezone hours (lywsd02 library, Tasmota MI32Time). */
const XIAOMI_CLOCK: ClockWrite = {
  service: XIAOMI_SVC,
  characteristic: xiaomi('ccb7'),
  encode: (utc, tz) => {
    const out = new Uint8Array(5);
    new DataView(out.buffer).setUint32(0, utc >>> 0, true);
    out[4] = tz & 0xff;
    return out;
  },
};

/** The operation sets the device table's rows refer to (`gatt`). */
export const GATT_OPS = {
  /** LYWSD03MMC and MHO-C401, stock firmware. */
  xiaomiThermometer: { battery: NOTIFIED_READING, clock: XIAOMI_CLOCK, unit: { service: XIAOMI_SVC, characteristic: xiaomi('ccbe'), celsius: 0x00, fahrenheit: 0x01 } },
  // The LYWSD02 writes °C as 0xFF (lywsd02 library; Tasmota toggled between 0x01 and 0xFF).
  lywsd02: { battery: BATTERY_BYTE(XIAOMI_SVC, xiaomi('ccc4')), clock: XIAOMI_CLOCK, unit: { service: XIAOMI_SVC, characteristic: xiaomi('ccbe'), celsius: 0xff, fahrenheit: 0x01 } },
  // Flora: 0x1a02 = [battery %][?][firmware ASCII] (miflora library).
  flora: { battery: BATTERY_BYTE(sig('1204'), sig('1a02')) },
  cgd1: { battery: BATTERY_BYTE(sig('180f'), sig('2a19')) },
} as const satisfies Record<string, DeviceGatt>;

export type DeviceOpKind = keyof DeviceGatt;
