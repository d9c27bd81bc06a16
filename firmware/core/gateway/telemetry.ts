// Tasmota's SENSOR JSON: one object per device under its name, keys in Tasmota's order,
// temperature and humidity with one decimal (TempRes/HumRes 1), "TempUnit" appended.
// Unlike today's Tasmota, teleperiod messages carry the readings (MI32Option1 0).
// Order and decimals are the value-key table's (values/keys.ts `order`, `decimals`).

import type { Values } from '../decoders/types.js';
import { utf8Length } from '../mqtt/utf8.js';
import { ARRIVAL_ORDER, ownKeyInfo, valueKeyInfo, VALUE_KEYS, type BaseValueKey, type ValueKey } from '../values/keys.js';
import type { Registry, Slot } from './registry.js';
import { localTimeText } from './timezone.js';

/** The table's keys whose `order` passes `where`, lowest order first. */
function keysPlaced(where: (order: number) => boolean): BaseValueKey[] {
  return VALUE_KEYS.filter((row) => where(row.order)).sort((a, b) => a.order - b.order).map((row) => row.key);
}

// Tasmota's head (Temperature .. Fertility), the buttons (by name), its middle (Dimmer ..
// NMT), every other key in arrival order, then the tail (Battery, then the slot's RSSI, Time, MAC).
const BUTTONS = valueKeyInfo('Button')!.order;
const HEAD = keysPlaced((order) => order < BUTTONS);
const MIDDLE = keysPlaced((order) => order > BUTTONS && order < ARRIVAL_ORDER);
const TAIL: readonly string[] = keysPlaced((order) => order > ARRIVAL_ORDER);
/** Keys counted in the device's Events: the count goes out with them. */
const COUNTED = VALUE_KEYS.filter((row) => 'countsEvents' in row).map((row) => row.key);
/** Decimals per key, numbered copies left out (Temperature2 is printed as it is, as before the table). */
const DECIMALS = new Map<string, number>(VALUE_KEYS.flatMap((row) => ('decimals' in row ? [[row.key, row.decimals]] : [])));

/** Dew point by the Magnus formula with Tasmota's constants. */
export function dewPoint(temperature: number, humidity: number): number {
  if (humidity <= 0) return NaN;
  const gamma = Math.log(humidity / 100) + (17.62 * temperature) / (243.5 + temperature);
  return (243.5 * gamma) / (17.62 - gamma);
}

export type SensorMode = 'tele' | 'realtime';

export interface SensorOptions {
  /** MI32Option0: real-time messages carry all known values (true) or only updated ones. */
  allValues: boolean;
  /** Minutes east of UTC of the top-level "Time" (Timezone); default 0. */
  timezone?: number;
}

/** The per-device object, as ordered [key, value] pairs. */
export function sensorEntries(slot: Slot, mode: SensorMode, options: SensorOptions): [string, number | string][] {
  const source: Values = {};
  const updated = slot.updated;
  const include = (key: string): boolean => mode === 'tele' || options.allValues || updated.has(key);
  for (const [k, v] of Object.entries(slot.values) as [ValueKey, number | string][]) if (include(k)) source[k] = v;
  if (mode === 'realtime') Object.assign(source, slot.momentary);
  const t = slot.values.Temperature;
  const h = slot.values.Humidity;
  if (typeof t === 'number' && typeof h === 'number' && 'Temperature' in source && 'Humidity' in source) {
    const dp = dewPoint(t, h);
    if (Number.isFinite(dp)) source.DewPoint = dp;
  }
  // Events (motion and door devices only count them): at teleperiod, and with a motion or door value.
  if (slot.events > 0 && (mode === 'tele' || COUNTED.some((k) => k in source))) source.Events = slot.events;
  const out: [string, number | string][] = [];
  const taken = new Set<string>();
  const take = (k: ValueKey): void => {
    if (k in source && !taken.has(k)) {
      out.push([k, source[k]!]);
      taken.add(k);
    }
  };
  HEAD.forEach(take);
  const keys = Object.keys(source) as ValueKey[];
  keys.filter((k) => ownKeyInfo(k)?.order === BUTTONS).sort().forEach(take); // Button0..ButtonN, by name
  MIDDLE.forEach(take);
  keys.filter((k) => !TAIL.includes(k)).forEach(take);
  take('Battery'); // the one tail key a decoder gives: RSSI, Time and MAC are the slot's
  out.push(['RSSI', slot.rssi]);
  if (mode === 'tele') out.push(['Time', Math.floor(slot.lastSeen / 1000)]);
  out.push(['MAC', slot.mac]);
  return out;
}

/** JSON text with Tasmota's number formatting (one decimal for temperature/humidity). */
export function formatValue(key: string, value: number | string): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (!Number.isFinite(value)) return 'null';
  const decimals = DECIMALS.get(key);
  return decimals === undefined ? String(value) : value.toFixed(decimals);
}

function objectText(entries: [string, number | string][]): string {
  return '{' + entries.map(([k, v]) => JSON.stringify(k) + ':' + formatValue(k, v)).join(',') + '}';
}


/**
 * Build tele/<topic>/SENSOR for the given slots: one message, or several when one would be
 * longer than `maxBytes` (UTF-8). Each is a whole Tasmota SENSOR object with its own Time
 * header (and TempUnit when it has a temperature), as Tasmota splits its MI32 output; a
 * device is never cut in two. Empty when there is nothing to say.
 */
export function sensorMessages(registry: Registry, slots: Slot[], mode: SensorMode, options: SensorOptions, now: number, maxBytes = Infinity): string[] {
  const head = '{"Time":' + JSON.stringify(localTimeText(now, options.timezone ?? 0));
  const unitTail = ',"TempUnit":"C"';
  const messages: string[] = [];
  let parts: string[] = [];
  let bytes = 0;
  let tempUnit = false;
  const close = () => {
    if (parts.length) messages.push(head + ',' + parts.join(',') + (tempUnit ? unitTail : '') + '}');
    parts = [];
    bytes = utf8Length(head) + unitTail.length + 1;
    tempUnit = false;
  };
  close();
  for (const slot of slots) {
    const entries = sensorEntries(slot, mode, options);
    const part = JSON.stringify(registry.displayName(slot)) + ':' + objectText(entries);
    const size = utf8Length(part) + 1;
    if (parts.length > 0 && bytes + size > maxBytes) close();
    parts.push(part);
    bytes += size;
    if (entries.some(([k]) => k === 'Temperature')) tempUnit = true;
  }
  close();
  return messages;
}

/** The SENSOR message for `slots` in one piece (no size limit); undefined when there is nothing to say. */
export function sensorMessage(registry: Registry, slots: Slot[], mode: SensorMode, options: SensorOptions, now: number): string | undefined {
  return sensorMessages(registry, slots, mode, options, now)[0];
}

/** After a real-time publish: the flags and momentary values it carried are spent. */
export function markSent(slot: Slot): void {
  slot.updated.clear();
  slot.momentary = {};
  slot.urgent = false;
}
