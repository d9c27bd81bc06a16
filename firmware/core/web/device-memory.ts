// What the web page remembers per device beyond the registry, in a fixed budget: a 24-hour
// history (hourly min/max/last of up to three readings) and the device's last encrypted
// frame, against which a bind key typed on the page is checked on the spot.
//
// Everything lives in typed arrays allocated once for `capacity` devices (no objects per
// device, per hour or per value): BYTES_PER_DEVICE each, whether in use or not. A device
// gets a row when it is first heard with something worth keeping; when every row is taken,
// the row used least recently is given to the newcomer.

import type { Advertisement, Outcome } from '../gateway/registry.js';
import { valueKeyInfo, VALUE_KEYS } from '../values/keys.js';

export const HISTORY_HOURS = 24;
/** Readings per device with a history (the first ones in SENSOR order: T/H/… or moisture/…). */
export const HISTORY_SERIES = 3;
/** Min, max, last. */
const STATS = 3;
const HOUR_MS = 3_600_000;
/** An empty bucket. */
const EMPTY = -32768;
const INT16_MAX = 32767;
/** Longest frame kept for the key check: a legacy advertisement. */
export const FRAME_MAX = 31;
const NO_KEY = 255;

// flags
const REFUSED_PLAIN = 1;

/** Bytes of typed arrays per device row (what `new DeviceMemory(n)` allocates, divided by n). */
export const BYTES_PER_DEVICE =
  HISTORY_SERIES * HISTORY_HOURS * STATS * 2 // Int16 buckets
  + 4 // newest hour (Uint32)
  + 8 // last use (Float64), for giving the row away
  + HISTORY_SERIES * 2 // key index (Uint8) and decimal exponent (Int8) per series
  + FRAME_MAX + 1 // the last encrypted frame and its length
  + 1; // flags

/** The rows of keys with a history: state readings, not the tail (RSSI, Time, MAC) nor counters. */
const SKIPPED = new Set(['RSSI', 'Time', 'MAC', 'Events', 'Timestamp', 'PacketId', 'Count']);
const KEY_INDEX = new Map<string, number>(VALUE_KEYS.map((row, i) => [row.key, i]));

export interface HistoryPoint {
  /** Start of the hour, ms (gateway clock). */
  t: number;
  min: number;
  max: number;
  last: number;
}

export interface HistorySeries {
  key: string;
  label: string;
  unit: string;
  points: HistoryPoint[];
}

export class DeviceMemory {
  private readonly rows = new Map<string, number>();
  private readonly macs: (string | undefined)[];
  private readonly buckets: Int16Array;
  private readonly newestHour: Uint32Array;
  private readonly lastUse: Float64Array;
  private readonly seriesKey: Uint8Array;
  private readonly exponent: Int8Array;
  private readonly frames: Uint8Array;
  private readonly frameLength: Uint8Array;
  private readonly flags: Uint8Array;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 4096) throw new RangeError(`history capacity must be 1-4096 devices, got ${capacity}`);
    this.macs = new Array<string | undefined>(capacity).fill(undefined);
    this.buckets = new Int16Array(capacity * HISTORY_SERIES * HISTORY_HOURS * STATS).fill(EMPTY);
    this.newestHour = new Uint32Array(capacity);
    this.lastUse = new Float64Array(capacity);
    this.seriesKey = new Uint8Array(capacity * HISTORY_SERIES).fill(NO_KEY);
    this.exponent = new Int8Array(capacity * HISTORY_SERIES);
    this.frames = new Uint8Array(capacity * FRAME_MAX);
    this.frameLength = new Uint8Array(capacity);
    this.flags = new Uint8Array(capacity);
  }

  /** Devices with a row now. */
  get size(): number {
    return this.rows.size;
  }

  /** Take what the page shows from one advertisement's outcomes (called after the gateway decoded it). */
  observe(adv: Advertisement, outcomes: readonly Outcome[], now: number): void {
    for (const o of outcomes) {
      if (o.kind === 'values') {
        const row = this.row(o.slot.mac, now);
        this.flags[row] = this.flags[row]! & ~REFUSED_PLAIN;
        if (o.reading.encrypted) this.keepFrame(row, adv.ad);
        this.record(row, o.slot.values, now);
      } else if (o.kind === 'error') {
        const mac = o.slot?.mac;
        if (mac === undefined) continue;
        if (o.code === 'wrong-key' || o.code === 'no-key') this.keepFrame(this.row(mac, now), adv.ad);
        else if (o.code === 'not-encrypted') {
          const row = this.row(mac, now);
          this.flags[row] = this.flags[row]! | REFUSED_PLAIN;
        }
      }
    }
  }

  /** The last encrypted frame heard from `mac`, if one was kept. */
  lastEncryptedFrame(mac: string): Uint8Array | undefined {
    const row = this.rows.get(mac);
    if (row === undefined || this.frameLength[row] === 0) return undefined;
    return this.frames.slice(row * FRAME_MAX, row * FRAME_MAX + this.frameLength[row]!);
  }

  /** A plain frame naming this keyed device was refused since its last good frame. */
  refusedPlain(mac: string): boolean {
    const row = this.rows.get(mac);
    return row !== undefined && (this.flags[row]! & REFUSED_PLAIN) !== 0;
  }

  /** After a new key: the old verdicts no longer hold. */
  keyChanged(mac: string): void {
    const row = this.rows.get(mac);
    if (row !== undefined) this.flags[row] = this.flags[row]! & ~REFUSED_PLAIN;
  }

  /** The device was removed: its row is free again. */
  forget(mac: string): void {
    const row = this.rows.get(mac);
    if (row === undefined) return;
    this.rows.delete(mac);
    this.macs[row] = undefined;
    this.clearRow(row);
  }

  /** The last 24 hours of `mac`, oldest hour first; empty hours left out. */
  history(mac: string, now: number): HistorySeries[] {
    const row = this.rows.get(mac);
    if (row === undefined) return [];
    const out: HistorySeries[] = [];
    const nowHour = Math.floor(now / HOUR_MS);
    for (let s = 0; s < HISTORY_SERIES; s++) {
      const k = this.seriesKey[row * HISTORY_SERIES + s]!;
      if (k === NO_KEY) continue;
      const info = VALUE_KEYS[k]!;
      const scale = 10 ** this.exponent[row * HISTORY_SERIES + s]!;
      const points: HistoryPoint[] = [];
      const newest = this.newestHour[row]!;
      for (let hour = newest - HISTORY_HOURS + 1; hour <= newest; hour++) {
        if (hour < 0 || hour <= nowHour - HISTORY_HOURS) continue;
        const at = this.bucketAt(row, s, hour);
        if (this.buckets[at] === EMPTY) continue;
        points.push({ t: hour * HOUR_MS, min: this.buckets[at]! / scale, max: this.buckets[at + 1]! / scale, last: this.buckets[at + 2]! / scale });
      }
      out.push({ key: info.key, label: info.label, unit: ('unit' in info ? info.unit : undefined) ?? '', points });
    }
    return out;
  }

  private row(mac: string, now: number): number {
    let row = this.rows.get(mac);
    if (row === undefined) {
      row = this.macs.indexOf(undefined);
      if (row < 0) {
        // Every row is taken: the one used least recently goes to the newcomer.
        row = 0;
        for (let r = 1; r < this.capacity; r++) if (this.lastUse[r]! < this.lastUse[row]!) row = r;
        this.rows.delete(this.macs[row]!);
        this.clearRow(row);
      }
      this.macs[row] = mac;
      this.rows.set(mac, row);
    }
    this.lastUse[row] = now;
    return row;
  }

  private clearRow(row: number): void {
    const per = HISTORY_SERIES * HISTORY_HOURS * STATS;
    this.buckets.fill(EMPTY, row * per, (row + 1) * per);
    this.seriesKey.fill(NO_KEY, row * HISTORY_SERIES, (row + 1) * HISTORY_SERIES);
    this.exponent.fill(0, row * HISTORY_SERIES, (row + 1) * HISTORY_SERIES);
    this.newestHour[row] = 0;
    this.frameLength[row] = 0;
    this.flags[row] = 0;
    this.lastUse[row] = 0;
  }

  private keepFrame(row: number, ad: Uint8Array): void {
    if (ad.length > FRAME_MAX) return; // extended advertisements: not kept (the key is then saved unchecked)
    this.frames.set(ad, row * FRAME_MAX);
    this.frameLength[row] = ad.length;
  }

  private bucketAt(row: number, series: number, hour: number): number {
    return ((row * HISTORY_SERIES + series) * HISTORY_HOURS + (hour % HISTORY_HOURS)) * STATS;
  }

  private record(row: number, values: Readonly<Record<string, number | string>>, now: number): void {
    const hour = Math.floor(now / HOUR_MS);
    const newest = this.newestHour[row]!;
    if (hour > newest) {
      // Hours nobody spoke in are emptied on the way (at most a whole day).
      const first = newest === 0 ? hour - HISTORY_HOURS + 1 : Math.max(newest + 1, hour - HISTORY_HOURS + 1);
      for (let h = first; h <= hour; h++) for (let s = 0; s < HISTORY_SERIES; s++) this.buckets.fill(EMPTY, this.bucketAt(row, s, h), this.bucketAt(row, s, h) + STATS);
      this.newestHour[row] = hour;
    } else if (hour <= newest - HISTORY_HOURS) {
      return; // older than the window (a clock that went back)
    }
    for (const key of Object.keys(values)) {
      const value = values[key];
      if (typeof value !== 'number' || !Number.isFinite(value)) continue;
      const s = this.series(row, key);
      if (s >= 0) this.put(row, s, hour, value);
    }
  }

  /** The series of `key` in `row`, claimed on first use while there is a free one; -1 when none. */
  private series(row: number, key: string): number {
    const k = KEY_INDEX.get(key);
    if (k === undefined || SKIPPED.has(key)) return -1;
    const info = valueKeyInfo(key)!;
    if (info.kind !== 'state') return -1;
    for (let s = 0; s < HISTORY_SERIES; s++) {
      const at = row * HISTORY_SERIES + s;
      if (this.seriesKey[at] === k) return s;
      if (this.seriesKey[at] === NO_KEY) {
        this.seriesKey[at] = k;
        this.exponent[at] = info.decimals ?? 0;
        return s;
      }
    }
    return -1;
  }

  /**
   * Stored as value × 10^exponent in an Int16: a reading too large for the series' scale
   * (lux, µS/cm) lowers the scale of the whole series by tens until it fits.
   */
  private put(row: number, s: number, hour: number, value: number): void {
    const e = row * HISTORY_SERIES + s;
    let scaled = Math.round(value * 10 ** this.exponent[e]!);
    while (Math.abs(scaled) > INT16_MAX && this.exponent[e]! > -6) {
      this.exponent[e] = this.exponent[e]! - 1;
      for (let h = 0; h < HISTORY_HOURS; h++) {
        const at = ((row * HISTORY_SERIES + s) * HISTORY_HOURS + h) * STATS;
        for (let i = at; i < at + STATS; i++) if (this.buckets[i] !== EMPTY) this.buckets[i] = Math.round(this.buckets[i]! / 10);
      }
      scaled = Math.round(value * 10 ** this.exponent[e]!);
    }
    scaled = Math.max(-INT16_MAX, Math.min(INT16_MAX, scaled));
    const at = this.bucketAt(row, s, hour);
    const b = this.buckets;
    if (b[at] === EMPTY) {
      b[at] = b[at + 1] = b[at + 2] = scaled;
    } else {
      if (scaled < b[at]!) b[at] = scaled;
      if (scaled > b[at + 1]!) b[at + 1] = scaled;
      b[at + 2] = scaled;
    }
  }
}
