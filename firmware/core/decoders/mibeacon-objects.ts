// MiBeacon object ids -> decoders. One table; each entry says how many value bytes
// the object must have and what readings it yields. Sources: Xiaomi's object
// definitions as implemented by xiaomi-ble/ble_monitor, and Tasmota MI32 (button,
// knob and XMWXKG01LM handling follow Tasmota so the JSON matches). Where a model reads
// an object its own way, the decoder asks the model's row (devices/table.ts quirk flags).

import { f32le, intLE, s8, u16le, u24le, u32le, u8 } from '../bytes/read.js';
import { hex4 } from '../bytes/hex.js';
import { armed, chargingState, fingerprint, lockDoor, lockEvent } from './mibeacon-locks.js';
import type { DeviceQuirks } from '../devices/table.js';
import type { BaseValueKey } from '../values/keys.js';
import type { Values } from './types.js';

type ObjectDecoder = (v: Uint8Array, out: Values, device: DeviceQuirks) => void;

interface ObjectSpec {
  /** What the object is, for docs and logs. */
  what: string;
  /** Exact value length; objects of another length are ignored as malformed. */
  size?: number;
  /** Minimum value length, for objects whose tail varies. */
  minSize?: number;
  decode: ObjectDecoder;
}

/** Press types shared by Tasmota's "Button<n>" values: 1 single, 2 double, 3 hold. */
const PRESS = { single: 1, double: 2, hold: 3 } as const;

function int(key: BaseValueKey, size: number, signed: boolean, divisor = 1): Pick<ObjectSpec, 'size' | 'decode'> {
  return { size, decode: (v, out) => { out[key] = intLE(v, 0, size, signed) / divisor; } };
}

function flag(key: BaseValueKey, isOn: (b: number) => boolean = (b) => b > 0): Pick<ObjectSpec, 'size' | 'decode'> {
  return { size: 1, decode: (v, out) => { out[key] = isOn(v[0]!) ? 1 : 0; } };
}

function float(key: BaseValueKey, digits: number): Pick<ObjectSpec, 'size' | 'decode'> {
  const f = 10 ** digits;
  return { size: 4, decode: (v, out) => { out[key] = Math.round(f32le(v, 0) * f) / f; } };
}

/**
 * Door/opening objects differ only in which raw values mean open and closed (and, for
 * some, "left open"). Locks append more bytes after the state byte, hence minSize.
 */
function door(open: number[], closed: number[], leftOpen: number[] = []): Pick<ObjectSpec, 'minSize' | 'decode'> {
  return {
    minSize: 1,
    decode: (v, out) => {
      const state = v[0]!;
      if (open.includes(state)) out.Door = 1;
      else if (closed.includes(state)) out.Door = 0;
      if (leftOpen.includes(state)) out.DoorLeftOpen = 1;
      else if (closed.includes(state) && leftOpen.length) out.DoorLeftOpen = 0;
    },
  };
}

/** 0x4804 / 0x4A12: 1 open, 2 closed; closing also clears the left-open and removed alarms. */
function openingState(v: Uint8Array, out: Values): void {
  if (v[0] === 1) out.Door = 1;
  else if (v[0] === 2) Object.assign(out, { Door: 0, DoorLeftOpen: 0, DeviceForciblyRemoved: 0 });
}

/** Multi-key switches of the 0x4Exx/0x560x/0x4A0x families: value byte = which key. */
function keyPress(press: number): Pick<ObjectSpec, 'decode'> {
  return {
    decode: (v, out, device) => {
      // Tasmota reads XMWXKG01LM's button number from the object length; a single-key
      // device has one button, so we call it Button1 rather than copy that guess.
      let key = device.buttonOne || v.length === 0 ? 1 : v[0]!;
      if (device.zeroBasedKeys) key += 1;
      out[`Button${key}`] = press;
    },
  };
}

/** 0x1001: [num, value, type] — buttons, remotes and the YLKG07/08 knob (Tasmota semantics). */
function button(v: Uint8Array, out: Values, device: DeviceQuirks): void {
  const num = v[0]!;
  const value = v[1]!;
  const type = v[2]!;
  const knob = device.knob;
  if (type === 4) {
    // rotation: signed steps; while pressed the step count is in `num`
    if (num === 0) out.Dimmer = s8(v, 1);
    else out.Dimmer_P = s8(v, 0);
    return;
  }
  if (knob && num === 1 && type === 3) {
    out.Hold = value; // long press, value = duration
    return;
  }
  // Tasmota: press type 0/1/2 = single/double/hold; the knob counts presses in `value`.
  let press: number;
  if (knob && type === 3) press = value; // 1 = single, 2 = double, ...
  else if (type <= 2) press = device.swappedPress && type > 0 ? (type === 1 ? PRESS.hold : PRESS.double) : type + 1;
  else if (type === 5) press = PRESS.single;
  else if (type === 6) press = PRESS.hold;
  else press = type + 1;
  out[`Button${num}`] = press;
}

/** 0x6E16: profile (1) | packed u32: mass 11 bits (/10 kg), heart rate 7 bits (+50), impedance 14 bits (/10). */
function s400(v: Uint8Array, out: Values): void {
  const packed = u32le(v, 1);
  const mass = packed & 0x7ff;
  const heartRate = (packed >>> 11) & 0x7f;
  const impedance = Math.floor(packed / 0x40000);
  out.ProfileId = v[0]!;
  if (mass) out.Weight = mass / 10;
  if (heartRate > 0 && heartRate < 127) out.HeartRate = heartRate + 50;
  if (!mass && !heartRate && !impedance) out.Stabilized = 0; // reset: nobody on the scale
  else if (!mass && !heartRate) { out.ImpedanceHigh = impedance / 10; out.Stabilized = 1; }
  else if (impedance) { out.ImpedanceLow = impedance / 10; out.Stabilized = 0; }
  else out.Stabilized = 1;
}

export const MIBEACON_OBJECTS: ReadonlyMap<number, ObjectSpec> = new Map<number, ObjectSpec>([
  [0x0003, { what: 'motion (nightlight)', decode: (_v, out) => { out.Motion = 1; } }],
  [0x0006, { what: 'fingerprint', size: 5, decode: fingerprint }],
  [0x0007, { what: 'door (lock)', minSize: 1, decode: lockDoor }],
  [0x0008, { what: 'armed away', minSize: 1, decode: armed }],
  [0x000b, { what: 'lock event', size: 9, decode: lockEvent }],
  [0x000a, { what: 'body temperature', size: 2, decode: (v, out) => { out.Temperature = intLE(v, 0, 2, true) / 100; } }],
  [0x000f, {
    what: 'motion with illuminance', size: 3,
    decode: (v, out, device) => {
      const lux = u24le(v, 0);
      out.Motion = 1;
      if (device.lightFlag) out.Light = lux >= 100 ? 1 : 0;
      else out.Illuminance = lux;
    },
  }],
  [0x0010, {
    what: 'toothbrush', minSize: 1,
    decode: (v, out) => {
      out.Toothbrush = v[0] === 0 ? 1 : 0;
      if (v.length > 1) out[v[0] === 0 ? 'Count' : 'Score'] = v[1]!;
    },
  }],
  [0x1001, { what: 'button / remote / knob', size: 3, decode: button }],
  [0x1004, { what: 'temperature', ...int('Temperature', 2, true, 10) }],
  [0x1005, { what: 'power and temperature (kettle)', size: 2, decode: (v, out) => { out.PowerState = v[0]! ? 1 : 0; out.Temperature = v[1]!; } }],
  [0x1006, { what: 'humidity', ...int('Humidity', 2, false, 10) }],
  [0x1007, {
    what: 'illuminance', size: 3,
    decode: (v, out, device) => {
      const lux = u24le(v, 0);
      if (device.lightFlag) out.Light = lux === 100 ? 1 : 0;
      else out.Illuminance = lux;
      if (device.noMotionOnIlluminance) out.Motion = 0;
    },
  }],
  [0x1008, { what: 'soil moisture', ...int('Moisture', 1, false) }],
  [0x1009, { what: 'soil conductivity', ...int('Fertility', 2, false) }],
  [0x100a, { what: 'battery', ...int('Battery', 1, false) }],
  [0x100d, {
    what: 'temperature and humidity', size: 4,
    decode: (v, out) => { out.Temperature = intLE(v, 0, 2, true) / 10; out.Humidity = u16le(v, 2) / 10; },
  }],
  [0x1010, { what: 'formaldehyde', ...int('Formaldehyde', 2, false, 100) }],
  [0x1012, { what: 'power on/off', ...flag('PowerState') }],
  [0x1013, { what: 'consumable', ...int('Consumable', 1, false) }],
  [0x1014, { what: 'water leak', ...flag('Leak') }],
  [0x1015, { what: 'smoke', ...flag('Smoke') }],
  [0x1017, { what: 'no-motion time', ...int('NMT', 4, false) }],
  [0x1018, { what: 'light', ...flag('Light') }],
  // 0x1019: 0 open, 1 closed, 2 "not closed after timeout" (still open), 3 device reset.
  [0x1019, { what: 'door / window', ...door([0, 2], [1], [2]) }],
  [0x101b, { what: 'no motion timeout', decode: (_v, out) => { out.Motion = 0; } }],
  [0x2000, {
    what: 'body temperature (two probes) and battery', size: 5,
    decode: (v, out) => {
      // xiaomi-ble's fit of the app's body temperature from the two probe readings
      const t1 = intLE(v, 0, 2, true), t2 = intLE(v, 2, 2, true);
      const body = 3.71934e-11 * Math.exp((0.69314 * t1) / 100) - 1.02801e-8 * Math.exp((0.53871 * t2) / 100) + 36.413;
      out.Temperature = body; // unrounded: rounding happens only at output (DESIGN §2)
      out.Battery = v[4]!;
    },
  }],
  [0x4801, { what: 'temperature (float)', ...float('Temperature', 1) }],
  [0x4802, { what: 'humidity (integer)', ...int('Humidity', 1, false) }],
  [0x4803, { what: 'battery', ...int('Battery', 1, false) }],
  [0x4804, { what: 'opening state', size: 1, decode: openingState }],
  [0x4805, { what: 'illuminance (float)', ...float('Illuminance', 2) }],
  [0x4806, { what: 'water leak', ...flag('Leak') }],
  [0x4808, { what: 'humidity (float)', ...float('Humidity', 1) }],
  [0x480c, { what: 'door / window state', ...door([0], [1]) }],
  [0x4818, {
    what: 'no-motion time', size: 2,
    // the app shows "motion" for up to 30 s after the last movement
    decode: (v, out) => { const nmt = u16le(v, 0); out.NMT = nmt; out.Motion = nmt <= 30 ? 1 : 0; },
  }],
  [0x483c, { what: 'seat pressure present', ...flag('Occupancy') }],
  // XMOSB01XS sends 0 clear / 1 detected / 2 clear; the Linptech sensors any non-zero
  [0x484e, { what: 'occupancy status', size: 1, decode: (v, out, device) => { out.Occupancy = (device.occupancyExact ? v[0] === 1 : v[0]! > 0) ? 1 : 0; } }],
  [0x4851, { what: 'occupied duration (minutes)', ...int('DurationDetected', 1, false) }],
  [0x4852, { what: 'cleared duration (minutes)', ...int('DurationCleared', 1, false) }],
  [0x483d, { what: 'pressure present duration', ...int('PressurePresentDuration', 4, false) }],
  [0x483e, { what: 'pressure not present duration', ...int('PressureNotPresentDuration', 4, false) }],
  [0x487b, { what: 'top splash sensor', ...flag('TopSplash') }],
  [0x4a01, { what: 'low battery', ...flag('BatteryLow') }],
  [0x4a08, {
    what: 'motion with illuminance (float)', size: 4,
    decode: (v, out) => { out.Motion = 1; out.Illuminance = Math.round(f32le(v, 0) * 100) / 100; },
  }],
  [0x4a0c, { what: 'single press', ...keyPress(PRESS.single) }],
  [0x4a0d, { what: 'double press', ...keyPress(PRESS.double) }],
  [0x4a0e, { what: 'long press', ...keyPress(PRESS.hold) }],
  [0x4a12, { what: 'opening event', size: 1, decode: openingState }],
  [0x4a13, { what: 'button press', size: 1, decode: (_v, out) => { out.Button1 = PRESS.single; } }],
  [0x4a1a, { what: 'door left open', size: 1, decode: (v, out) => { if (v[0] === 1) { out.Door = 1; out.DoorLeftOpen = 1; } } }],
  // SJWS02LM: 0/1 bottom submersion wet/dry, 2/3 top splash wet/dry
  [0x4a68, {
    what: 'water alarm event', size: 1,
    decode: (v, out) => { const e = v[0]!; if (e <= 1) out.Leak = e === 0 ? 1 : 0; else if (e <= 3) out.TopSplash = e === 2 ? 1 : 0; },
  }],
  [0x4c01, { what: 'temperature (float)', ...float('Temperature', 2) }],
  [0x4c02, { what: 'humidity (integer)', ...int('Humidity', 1, false) }],
  [0x4c03, { what: 'battery', ...int('Battery', 1, false) }],
  [0x4c08, { what: 'humidity (float)', ...float('Humidity', 1) }],
  [0x4e01, { what: 'low battery', ...flag('BatteryLow') }],
  [0x4e0c, { what: 'single press', ...keyPress(PRESS.single) }],
  [0x4e0d, { what: 'double press', ...keyPress(PRESS.double) }],
  [0x4e0e, { what: 'long press', ...keyPress(PRESS.hold) }],
  [0x4e16, {
    what: 'scale weight', size: 9,
    decode: (v, out) => { out.ProfileId = v[0]!; out.Weight = u32le(v, 1) / 100; },
  }],
  [0x3003, {
    what: 'brushing', minSize: 1,
    decode: (v, out) => { if (v[0]! <= 1) out.Toothbrush = v[0] === 0 ? 1 : 0; if (v.length === 6) out.Score = v[5]!; },
  }],
  [0x5003, { what: 'battery', ...int('Battery', 1, false) }],
  [0x5422, { what: 'charging state', size: 1, decode: chargingState }],
  [0x5403, { what: 'battery', ...int('Battery', 1, false) }],
  [0x5413, { what: 'close-range occupancy', ...flag('OccupancyCloseRange') }],
  [0x5810, { what: 'sleep state', size: 1, decode: (v, out) => { out.Asleep = v[0]! ^ 1 ? 1 : 0; } }],
  [0x6012, { what: 'humidity (integer)', ...int('Humidity', 1, false) }],
  [0x605d, { what: 'temperature (integer)', ...int('Temperature', 1, true) }],
  [0x6e16, { what: 'body composition scale S400', size: 9, decode: s400 }],
  [0x6461, { what: 'wearing state', size: 1, decode: (v, out) => { out.Wearing = v[0]! ^ 1 ? 1 : 0; } }],
  [0x560c, { what: 'single press', ...keyPress(PRESS.single) }],
  [0x560d, { what: 'double press', ...keyPress(PRESS.double) }],
  [0x560e, { what: 'long press', ...keyPress(PRESS.hold) }],
]);

/** Objects that may legitimately carry no value bytes (a press with no payload). */
export const EMPTY_OBJECTS_ALLOWED = new Set([0x4a0c, 0x4a0d, 0x4a0e, 0x4e0c, 0x4e0d, 0x4e0e, 0x560c, 0x560d, 0x560e, 0x0003, 0x101b]);

export interface ObjectWalk {
  values: Values;
  unknown: string[];
  /** Set when an object's length runs past the payload. */
  malformedAt?: number;
}

/** Decode a run of objects [id LE16][len][value...]. Unknown ids are listed, not fatal. */
export function decodeObjects(payload: Uint8Array, device: DeviceQuirks): ObjectWalk {
  // Most frames have no unknown object: share one empty list until one is found.
  const walk: ObjectWalk = { values: {}, unknown: NONE };
  let i = 0;
  while (i + 3 <= payload.length) {
    const id = u16le(payload, i);
    const length = u8(payload, i + 2);
    const end = i + 3 + length;
    if (end > payload.length) {
      walk.malformedAt = i;
      break;
    }
    const spec = MIBEACON_OBJECTS.get(id);
    if (spec !== undefined && (sizeOk(spec, length) || (length === 0 && EMPTY_OBJECTS_ALLOWED.has(id)))) {
      spec.decode(payload.subarray(i + 3, end), walk.values, device);
    } else {
      if (walk.unknown === NONE) walk.unknown = [];
      walk.unknown.push('0x' + hex4(id) + (spec ? '/len' + length : ''));
    }
    i = end;
  }
  return walk;
}

const NONE: string[] = Object.freeze([]) as unknown as string[];

function sizeOk(spec: ObjectSpec, length: number): boolean {
  if (spec.size !== undefined) return length === spec.size;
  if (spec.minSize !== undefined) return length >= spec.minSize;
  return true;
}
