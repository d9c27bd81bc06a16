// Characteristic values and their JSON: /accessories, GET /characteristics, and the
// subscriptions PUT /characteristics makes. Values are the readings the SENSOR messages
// carry (the registry slot's values, rounded as telemetry writes them), mapped into the
// characteristic's range; a device not heard yet reads as the range's low end.

import { valueAt } from '../decoders/types.js';
import type { Values } from '../decoders/types.js';
import type { Accessory, Characteristic, HapValue } from './accessories.js';

/** HAP status codes (HAP table 6-11). */
export const HAP_STATUS = {
  OK: 0, InsufficientPrivileges: -70401, ServiceCommunicationFailure: -70402, Busy: -70403, ReadOnly: -70404,
  WriteOnly: -70405, NotificationNotSupported: -70406, OutOfResources: -70407, Timeout: -70408,
  ResourceDoesNotExist: -70409, InvalidValue: -70410, InsufficientAuthorization: -70411,
} as const;

/** Below this battery percentage StatusLowBattery says low (hap-nodejs plugins and Tasmota's web page use 20). */
export const LOW_BATTERY_PERCENT = 20;

export interface ValueReader {
  /** The device's current values (the registry slot's), or undefined when it has none. */
  values(mac: string): Values | undefined;
  motion(mac: string): boolean;
}

/** Tasmota's press codes (1 single, 2 double, 3 hold) as ProgrammableSwitchEvent (0, 1, 2); undefined for others. */
export function switchEvent(press: unknown): number | undefined {
  return press === 1 ? 0 : press === 2 ? 1 : press === 3 ? 2 : undefined;
}

function clamp(c: Characteristic, n: number): number {
  let v = n;
  if (c.minValue !== undefined && v < c.minValue) v = c.minValue;
  if (c.maxValue !== undefined && v > c.maxValue) v = c.maxValue;
  return c.format === 'uint8' ? Math.round(v) : v;
}

/** The value a read returns; undefined for a characteristic that cannot be read (Identify). */
export function readValue(c: Characteristic, reader: ValueReader): HapValue | undefined {
  const s = c.source;
  switch (s.kind) {
    case 'fixed': return s.value;
    case 'identify': return undefined;
    case 'button': return null; // event-only (hap-nodejs answers null too)
    case 'motion': return reader.motion(s.mac);
    case 'low-battery': {
      const battery = reader.values(s.mac)?.Battery;
      return typeof battery === 'number' && battery < LOW_BATTERY_PERCENT ? 1 : 0;
    }
    case 'key': {
      const found = reader.values(s.mac);
      const raw = found && valueAt(found, s.key);
      if (s.hap.map === 'bool') return typeof raw === 'number' && raw !== 0;
      if (typeof raw !== 'number' || !Number.isFinite(raw)) return clamp(c, 0);
      // As the SENSOR JSON writes it (one decimal for temperature and humidity).
      const shown = s.decimals !== undefined ? Number(raw.toFixed(s.decimals)) : raw;
      return clamp(c, shown);
    }
  }
}

/**
 * The characteristic's metadata as HAP JSON writes it. Arrays are copied: on the device the
 * shared ones (perms, valid values) are preloaded into flash, and XS's JSON.stringify cannot
 * mark a flash object while it walks it ("read only value", seen on the lin build).
 */
function meta(c: Characteristic): Record<string, unknown> {
  return {
    format: c.format,
    ...(c.unit ? { unit: c.unit } : {}),
    ...(c.minValue !== undefined ? { minValue: c.minValue } : {}),
    ...(c.maxValue !== undefined ? { maxValue: c.maxValue } : {}),
    ...(c.minStep !== undefined ? { minStep: c.minStep } : {}),
    ...(c.maxLen !== undefined ? { maxLen: c.maxLen } : {}),
    ...(c.validValues ? { 'valid-values': [...c.validValues] } : {}),
  };
}

export function accessoriesJson(accessories: readonly Accessory[], reader: ValueReader): string {
  return JSON.stringify({
    accessories: accessories.map((a) => ({
      aid: a.aid,
      services: a.services.map((s) => ({
        iid: s.iid, type: s.type, ...(s.primary ? { primary: true } : {}),
        characteristics: s.characteristics.map((c) => {
          const value = c.perms.includes('pr') ? readValue(c, reader) : undefined;
          return { iid: c.iid, type: c.type, perms: [...c.perms], ...meta(c), ...(value !== undefined ? { value } : {}) };
        }),
      })),
    })),
  });
}

export interface CharacteristicIndex {
  get(aid: number, iid: number): Characteristic | undefined;
}

export function indexCharacteristics(accessories: readonly Accessory[]): CharacteristicIndex {
  const map = new Map<string, Characteristic>();
  for (const a of accessories) for (const s of a.services) for (const c of s.characteristics) map.set(`${c.aid}.${c.iid}`, c);
  return { get: (aid, iid) => map.get(`${aid}.${iid}`) };
}

/** Parsed "1.10,2.11": at most this many ids per request (a bridge has a few hundred). */
const MAX_IDS = 512;

export function parseIds(text: string | undefined): { aid: number; iid: number }[] | string {
  if (!text) return 'id= is missing';
  const parts = text.split(',');
  if (parts.length > MAX_IDS) return `more than ${MAX_IDS} ids`;
  const out: { aid: number; iid: number }[] = [];
  for (const part of parts) {
    const m = /^(\d{1,9})\.(\d{1,9})$/.exec(part);
    if (!m) return `"${part.slice(0, 20)}" is not aid.iid`;
    out.push({ aid: Number(m[1]), iid: Number(m[2]) });
  }
  return out;
}

export interface ReadOptions {
  meta: boolean;
  perms: boolean;
  type: boolean;
  ev: boolean;
  subscribed: (aid: number, iid: number) => boolean;
}

/** GET /characteristics: the status (200, or 207 when any item failed) and the body. */
export function readCharacteristics(ids: { aid: number; iid: number }[], index: CharacteristicIndex, reader: ValueReader, options: ReadOptions): { status: 200 | 207; body: string } {
  let failed = false;
  const items = ids.map(({ aid, iid }) => {
    const c = index.get(aid, iid);
    if (!c) {
      failed = true;
      return { aid, iid, status: HAP_STATUS.ResourceDoesNotExist };
    }
    if (!c.perms.includes('pr')) {
      failed = true;
      return { aid, iid, status: HAP_STATUS.WriteOnly };
    }
    return {
      aid, iid, value: readValue(c, reader) ?? null,
      ...(options.meta ? meta(c) : {}), ...(options.perms ? { perms: [...c.perms] } : {}), ...(options.type ? { type: c.type } : {}),
      ...(options.ev ? { ev: options.subscribed(aid, iid) } : {}), status: 0,
    };
  });
  // 200: no status per item; 207: every item has one.
  if (!failed) for (const item of items) delete (item as { status?: number }).status;
  return { status: failed ? 207 : 200, body: JSON.stringify({ characteristics: items }) };
}
