// Simulated GATT peripherals as data: one table per model (services → characteristics),
// each characteristic encoding its bytes from the peripheral's named values and, when
// writable, decoding a write back into them. These are models built from what public
// projects know about the devices (lywsd02 library, Tasmota's legacy MI32 driver, miflora,
// published GATT dumps), not captures of real devices; see README.md.

import { GATT_PROPERTY } from '../../firmware/core/host.js';
import { parseUuid } from '../../firmware/core/gatt/uuid.js';
import { miServiceModel, SensorActivation } from './mi-sensor.js';
import { M365 } from './scooter.js';

export { ATT_ERROR } from './model-types.js';
export type { CharacteristicModel, PeripheralModel, PeripheralProtocol, PeripheralValues, ProtocolHost, ServiceModel } from './model-types.js';
import type { CharacteristicModel, PeripheralModel, PeripheralValues, ServiceModel } from './model-types.js';
import { ATT_ERROR } from './model-types.js';

const { read: READ, write: WRITE, notify: NOTIFY } = GATT_PROPERTY;

function uuid(text: string): string {
  const u = parseUuid(text);
  if (!u) throw new Error(`bad UUID in model table: ${text}`);
  return u;
}
const xiaomi = (short: string) => uuid(`ebe0${short}-7a0a-4b0c-8a1a-6ff2997da3a6`);

// --- byte layouts ---------------------------------------------------------------------

/** Little-endian fields written in order; each checks that its value fits. */
class Fields {
  private readonly bytes: Uint8Array;
  private readonly view: DataView;
  private at = 0;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }
  private check(name: string, v: number, min: number, max: number): number {
    if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`${name} ${v} does not fit (${min}…${max})`);
    return v;
  }
  u8(name: string, v: number): this { this.view.setUint8(this.at, this.check(name, v, 0, 0xff)); this.at += 1; return this; }
  i8(name: string, v: number): this { this.view.setInt8(this.at, this.check(name, v, -0x80, 0x7f)); this.at += 1; return this; }
  u16(name: string, v: number): this { this.view.setUint16(this.at, this.check(name, v, 0, 0xffff), true); this.at += 2; return this; }
  i16(name: string, v: number): this { this.view.setInt16(this.at, this.check(name, v, -0x8000, 0x7fff), true); this.at += 2; return this; }
  u32(name: string, v: number): this { this.view.setUint32(this.at, this.check(name, v, 0, 0xffffffff), true); this.at += 4; return this; }
  ascii(name: string, text: string): this {
    if (!/^[\x20-\x7e]*$/.test(text) || this.at + text.length > this.bytes.length) throw new RangeError(`${name} "${text}" does not fit`);
    for (let i = 0; i < text.length; i++) this.bytes[this.at++] = text.charCodeAt(i);
    return this;
  }
  done(): Uint8Array { return this.bytes; }
}

function num(values: PeripheralValues, key: string): number {
  const v = values[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new RangeError(`${key} must be a number, got ${JSON.stringify(v)}`);
  return v;
}
function str(values: PeripheralValues, key: string): string {
  const v = values[key];
  if (typeof v !== 'string') throw new RangeError(`${key} must be a string, got ${JSON.stringify(v)}`);
  return v;
}
const scaled = (values: PeripheralValues, key: string, factor: number) => Math.round(num(values, key) * factor);

// --- characteristics shared by several models -------------------------------------------

/** 0x2a00; Xiaomi's stock firmware sends the name NUL-terminated (published MHO-C401 dump). */
function deviceName(nulTerminated: boolean): CharacteristicModel {
  return {
    uuid: uuid('2a00'),
    properties: READ,
    encode: (v) => {
      const name = str(v, 'name') + (nulTerminated ? '\0' : '');
      return Uint8Array.from(name, (c) => c.charCodeAt(0) & 0xff);
    },
  };
}

function genericAccess(nulTerminated: boolean, end?: number): ServiceModel {
  return { uuid: uuid('1800'), start: 1, end, characteristics: [deviceName(nulTerminated)] };
}

/** ebe0ccb7: uint32 LE unix seconds + int8 timezone hours. A write sets the device clock. */
function xiaomiClock(extra: Partial<CharacteristicModel> = {}): CharacteristicModel {
  return {
    uuid: xiaomi('ccb7'),
    properties: READ | WRITE,
    encode: (v) => new Fields(5).u32('time', num(v, 'time')).i8('timezone', num(v, 'timezone')).done(),
    decode: (v, bytes) => {
      // The lywsd02 library notes "5 or 4 bytes": the timezone byte is optional.
      if (bytes.length !== 4 && bytes.length !== 5) return ATT_ERROR.invalidLength;
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      v.time = view.getUint32(0, true);
      if (bytes.length === 5) v.timezone = view.getInt8(4);
      return undefined;
    },
    ...extra,
  };
}

/** ebe0ccbe: one byte; the codes differ per model (LYWSD02: 0xFF °C). Other bytes are refused. */
function xiaomiUnit(codes: { C: number; F: number }, extra: Partial<CharacteristicModel> = {}): CharacteristicModel {
  return {
    uuid: xiaomi('ccbe'),
    properties: READ | WRITE,
    encode: (v) => {
      const unit = str(v, 'unit');
      if (unit !== 'C' && unit !== 'F') throw new RangeError(`unit must be "C" or "F", got "${unit}"`);
      return Uint8Array.of(codes[unit]);
    },
    decode: (v, bytes) => {
      if (bytes.length !== 1) return ATT_ERROR.invalidLength;
      const unit = bytes[0] === codes.C ? 'C' : bytes[0] === codes.F ? 'F' : undefined;
      if (!unit) return ATT_ERROR.valueNotAllowed;
      v.unit = unit;
      return undefined;
    },
    ...extra,
  };
}

function xiaomiBattery(extra: Partial<CharacteristicModel> = {}): CharacteristicModel {
  return { uuid: xiaomi('ccc4'), properties: READ, encode: (v) => new Fields(1).u8('battery', num(v, 'battery')).done(), ...extra };
}

// --- the models ---------------------------------------------------------------------------

/** Display settings of the Xiaomi thermometers; the clock was never set (some time in late 2023). */
const SETTINGS_DEFAULTS: PeripheralValues = { unit: 'C', time: 1_700_000_000, timezone: 0 };

/**
 * LYWSD03MMC and MHO-C401 share the stock firmware's layout. Handles follow the published
 * MHO-C401 dump (OzzyCzech/MHO-C401): Generic Access 0x01–0x07, ebe0ccb0 0x21–0x4e, ccb7 at
 * 0x23, ccbe at 0x33, ccc1 at 0x36 (CCCD 0x38, the handle gatttool recipes write 0100 to),
 * ccc4 at 0x3a. Characteristics the examples do not touch are left out.
 */
function lywsd03Layout(name: string): PeripheralModel {
  return {
    name,
    mainService: xiaomi('ccb0'),
    defaults: { name, temperature: 22.5, humidity: 45, voltage: 2950, battery: 85, ...SETTINGS_DEFAULTS },
    services: [
      genericAccess(true, 0x07),
      {
        uuid: xiaomi('ccb0'),
        start: 0x21,
        end: 0x4e,
        characteristics: [
          xiaomiClock({ handle: 0x23, userDescription: true }),
          xiaomiUnit({ C: 0x00, F: 0x01 }, { handle: 0x33, userDescription: true }),
          {
            // int16 LE °C ×100, uint8 %RH, uint16 LE cell voltage mV.
            uuid: xiaomi('ccc1'),
            properties: READ | NOTIFY,
            handle: 0x36,
            userDescription: true,
            notifyEveryMs: 2000,
            encode: (v) => new Fields(5)
              .i16('temperature', scaled(v, 'temperature', 100)).u8('humidity', num(v, 'humidity')).u16('voltage', num(v, 'voltage')).done(),
          },
          xiaomiBattery({ handle: 0x3a, userDescription: true }),
        ],
      },
      // After the vendor service, so its handles stay where the dump has them.
      miServiceModel(0x50),
    ],
    protocol: (host) => new SensorActivation(host),
  };
}

/**
 * LYWSD02, the e-ink clock. Only the data characteristic's place is published (ebe0ccb0 from
 * 0x3c, ccc1 value 0x4b, CCCD 0x4c: lhvo/LYWSD02MMC); the other handles are assigned in order.
 */
const LYWSD02: PeripheralModel = {
  name: 'LYWSD02',
  mainService: xiaomi('ccb0'),
  defaults: { name: 'LYWSD02', temperature: 22.5, humidity: 45, battery: 85, ...SETTINGS_DEFAULTS },
  services: [
    genericAccess(false),
    {
      uuid: xiaomi('ccb0'),
      start: 0x3c,
      characteristics: [
        xiaomiClock(),
        xiaomiUnit({ C: 0xff, F: 0x01 }),
        {
          // int16 LE °C ×100, uint8 %RH (lywsd02 library: "3 bytes").
          uuid: xiaomi('ccc1'),
          properties: READ | NOTIFY,
          handle: 0x4b,
          notifyEveryMs: 2000,
          encode: (v) => new Fields(3).i16('temperature', scaled(v, 'temperature', 100)).u8('humidity', num(v, 'humidity')).done(),
        },
        xiaomiBattery(),
      ],
    },
  ],
};

/**
 * HHCCJCY01 "Flora". Handles as the miflora library addresses them: name 0x03, mode 0x33,
 * real-time data 0x35, battery/firmware 0x38. Real-time data reads as zeros until A0 1F is
 * written to the mode characteristic; the device forgets the mode when the link drops.
 */
const REALTIME_ON = [0xa0, 0x1f];
const HHCCJCY01: PeripheralModel = {
  name: 'HHCCJCY01',
  mainService: uuid('1204'),
  defaults: {
    name: 'Flower care', temperature: 21.3, illuminance: 350, moisture: 38, conductivity: 520, battery: 95, firmware: '3.2.1', realtime: 0,
  },
  onDisconnect: (v) => { v.realtime = 0; },
  services: [
    genericAccess(false),
    {
      uuid: uuid('1204'),
      start: 0x31,
      characteristics: [
        {
          uuid: uuid('1a00'),
          properties: READ | WRITE,
          handle: 0x33,
          encode: (v) => Uint8Array.from(num(v, 'realtime') ? REALTIME_ON : [0, 0]),
          decode: (v, bytes) => {
            if (bytes.length !== 2) return ATT_ERROR.invalidLength;
            v.realtime = bytes[0] === REALTIME_ON[0] && bytes[1] === REALTIME_ON[1] ? 1 : 0;
            return undefined;
          },
        },
        {
          // int16 LE °C ×10, 0, uint32 LE lux, uint8 moisture %, uint16 LE µS/cm, zeros.
          uuid: uuid('1a01'),
          properties: READ | NOTIFY,
          handle: 0x35,
          encode: (v) => {
            const data = new Fields(16)
              .i16('temperature', scaled(v, 'temperature', 10)).u8('zero', 0).u32('illuminance', num(v, 'illuminance'))
              .u8('moisture', num(v, 'moisture')).u16('conductivity', num(v, 'conductivity')).done();
            return num(v, 'realtime') ? data : new Uint8Array(16);
          },
        },
        {
          // battery %, 0x27, firmware version ASCII (7 bytes for "3.2.1").
          uuid: uuid('1a02'),
          properties: READ,
          handle: 0x38,
          encode: (v) => {
            const firmware = str(v, 'firmware');
            return new Fields(2 + firmware.length).u8('battery', num(v, 'battery')).u8('separator', 0x27).ascii('firmware', firmware).done();
          },
        },
      ],
    },
  ],
};

/** CGD1 (Qingping alarm clock): the standard Battery Service; handles assigned in order. */
const CGD1: PeripheralModel = {
  name: 'CGD1',
  mainService: uuid('180f'),
  defaults: { name: 'CGD1', battery: 76 },
  services: [
    genericAccess(false),
    {
      uuid: uuid('180f'),
      characteristics: [
        // Notifies when the level changes (peripheral.update), not periodically.
        { uuid: uuid('2a19'), properties: READ | NOTIFY, encode: (v) => new Fields(1).u8('battery', num(v, 'battery')).done() },
      ],
    },
  ],
};

export const MODELS: Readonly<Record<string, PeripheralModel>> = {
  'LYWSD03MMC': lywsd03Layout('LYWSD03MMC'),
  'MHO-C401': lywsd03Layout('MHO-C401'),
  'LYWSD02': LYWSD02,
  'HHCCJCY01': HHCCJCY01,
  'CGD1': CGD1,
  'M365': M365,
};

/** A model by name, case-insensitively; undefined when there is none. */
export function findModel(name: string): PeripheralModel | undefined {
  const upper = name.toUpperCase();
  return Object.values(MODELS).find((m) => m.name.toUpperCase() === upper);
}
