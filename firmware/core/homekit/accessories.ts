// The accessory database: the bridge (aid 1: AccessoryInformation and ProtocolInformation)
// and one bridged accessory per device, with a service per value key that has a HomeKit
// mapping in the value-key table (values/keys.ts `hap`). What each characteristic is
// (type, format, range, unit) comes from that table; only HAP's own structural
// characteristics (Name, Identify, Manufacturer, ServiceLabelIndex, ...) are listed here.

import { baseKey, buttonIndex, valueKeyInfo, type HapClass } from '../values/keys.js';
import type { IdMap } from './ids.js';

export type HapFormat = 'bool' | 'uint8' | 'float' | 'string';
export type HapPerm = 'pr' | 'pw' | 'ev';
export type HapValue = number | boolean | string | null;

/** Where a characteristic's value comes from (characteristics.ts reads it). */
export type ValueSource =
  | { kind: 'fixed'; value: HapValue }
  /** A reading of the device, mapped by its key's HapClass. */
  | { kind: 'key'; mac: string; key: string; hap: HapClass; decimals?: number }
  /** StatusLowBattery from the battery percentage. */
  | { kind: 'low-battery'; mac: string }
  /** MotionDetected, held by the bridge until its clear timeout. */
  | { kind: 'motion'; mac: string }
  /** ProgrammableSwitchEvent: event-only, reads give null. */
  | { kind: 'button'; mac: string; button: number }
  /** Identify: write-only. */
  | { kind: 'identify' };

export interface Characteristic {
  aid: number;
  iid: number;
  type: string;
  format: HapFormat;
  perms: readonly HapPerm[];
  unit?: string;
  minValue?: number;
  maxValue?: number;
  minStep?: number;
  maxLen?: number;
  validValues?: readonly number[];
  source: ValueSource;
}

export interface Service {
  iid: number;
  type: string;
  primary?: boolean;
  characteristics: Characteristic[];
}

export interface Accessory {
  aid: number;
  /** The device's MAC; undefined for the bridge. */
  mac?: string;
  services: Service[];
}

export interface BridgeInfo {
  name: string;
  manufacturer: string;
  model: string;
  serialNumber: string;
  firmwareRevision: string;
}

export interface DeviceSpec {
  mac: string;
  name: string;
  model: string;
  manufacturer: string;
  /** Value keys it has or may have (numbered ones included, buttons not). */
  keys: readonly string[];
  /** Its button numbers (1-based). */
  buttons: readonly number[];
  /** Decimals per key, as the SENSOR message writes them. */
  decimals: (key: string) => number | undefined;
}

type Meta = Omit<Characteristic, 'aid' | 'iid' | 'type' | 'source'>;
const READ: readonly HapPerm[] = ['pr'];
const NOTIFY: readonly HapPerm[] = ['pr', 'ev'];
const STRING: Meta = { format: 'string', perms: READ, maxLen: 64 };

/** HAP's structural characteristics (hap-nodejs definitions), by short type. */
const STRUCTURE: Record<string, Meta> = {
  '14': { format: 'bool', perms: ['pw'] }, // Identify
  '20': STRING, // Manufacturer
  '21': STRING, // Model
  '23': STRING, // Name
  '30': STRING, // SerialNumber
  '52': { format: 'string', perms: READ }, // FirmwareRevision
  '37': STRING, // Version (ProtocolInformation)
  '79': { format: 'uint8', perms: NOTIFY, minValue: 0, maxValue: 1, minStep: 1, validValues: [0, 1] }, // StatusLowBattery
  'CB': { format: 'uint8', perms: READ, minValue: 1, maxValue: 255, minStep: 1 }, // ServiceLabelIndex
  'CD': { format: 'uint8', perms: READ, minValue: 0, maxValue: 1, minStep: 1, validValues: [0, 1] }, // ServiceLabelNamespace
};

const SERVICE = { AccessoryInformation: '3E', ProtocolInformation: 'A2', ServiceLabel: 'CC', Battery: '96' } as const;
/** The HAP protocol version the bridge speaks (ProtocolInformation, mDNS pv 1.1). */
export const HAP_PROTOCOL_VERSION = '1.1.0';

/**
 * A name the Home app accepts: letters, digits, spaces, apostrophes and hyphens, starting
 * and ending with a letter or digit, at most 64 characters ("MJ_HT_V1-a1b2c3" -> "MJ HT V1-a1b2c3").
 */
export function homeKitName(text: string, fallback: string): string {
  // No Unicode property escapes in regular expressions: Moddable builds XS without them (mcconfig refuses the module).
  let kept = '';
  for (const ch of text) kept += isLetterOrDigit(ch) || ch === "'" || ch === '-' ? ch : ' ';
  const name = trimToLettersOrDigits(trimToLettersOrDigits(kept.replace(/\s+/g, ' ')).slice(0, 64));
  return name.length >= 2 ? name : fallback;
}

/** A letter or digit: ASCII ones, letters of scripts with case (Latin, Greek, Cyrillic, ...), and CJK, kana and Hangul. */
function isLetterOrDigit(ch: string): boolean {
  const c = ch.codePointAt(0)!;
  if (c < 128) return (c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 122);
  return ch.toLowerCase() !== ch.toUpperCase() || (c >= 0x3040 && c <= 0x9fff) || (c >= 0xac00 && c <= 0xd7af) || (c >= 0xf900 && c <= 0xfaff);
}

/** `text` without what precedes its first and follows its last letter or digit. */
function trimToLettersOrDigits(text: string): string {
  const chars = Array.from(text);
  let start = 0;
  let end = chars.length;
  while (start < end && !isLetterOrDigit(chars[start]!)) start++;
  while (end > start && !isLetterOrDigit(chars[end - 1]!)) end--;
  return chars.slice(start, end).join('');
}

/** Builds one accessory, taking its ids from the IdMap. */
class AccessoryBuilder {
  readonly services: Service[] = [];
  constructor(private readonly ids: IdMap, readonly aid: number) {}

  service(type: string, subtype: string, characteristics: [type: string, source: ValueSource, meta?: Meta][], primary = false): Service {
    const name = `${type}/${subtype}`;
    const service: Service = { iid: this.ids.iid(this.aid, name), type, characteristics: [], ...(primary ? { primary } : {}) };
    for (const [ctype, source, meta] of characteristics) {
      const m = meta ?? STRUCTURE[ctype];
      if (!m) throw new Error(`no metadata for characteristic ${ctype}`);
      service.characteristics.push({ aid: this.aid, iid: this.ids.iid(this.aid, `${name}/${ctype}`), type: ctype, ...m, source });
    }
    this.services.push(service);
    return service;
  }

  information(info: BridgeInfo): void {
    const fixed = (value: HapValue): ValueSource => ({ kind: 'fixed', value });
    this.service(SERVICE.AccessoryInformation, '', [
      ['14', { kind: 'identify' }], ['20', fixed(info.manufacturer)], ['21', fixed(info.model)], ['23', fixed(info.name)],
      ['30', fixed(info.serialNumber)], ['52', fixed(info.firmwareRevision)],
    ]);
  }
}

/** The characteristic metadata of a value key's HapClass. */
function keyMeta(hap: HapClass): Meta {
  return {
    format: hap.format, perms: NOTIFY,
    ...(hap.unit ? { unit: hap.unit } : {}),
    ...(hap.minValue !== undefined ? { minValue: hap.minValue } : {}),
    ...(hap.maxValue !== undefined ? { maxValue: hap.maxValue } : {}),
    ...(hap.minStep !== undefined ? { minStep: hap.minStep } : {}),
    ...(hap.validValues ? { validValues: hap.validValues } : {}),
  };
}

/** "Temperature2" -> "Temperature 2": the service's Name. */
function keyLabel(key: string): string {
  const info = valueKeyInfo(key);
  const base = baseKey(key);
  const number = key.slice(base.length);
  return (info?.label ?? base) + (number ? ' ' + number : '');
}

export function bridgeAccessory(ids: IdMap, info: BridgeInfo): Accessory {
  const b = new AccessoryBuilder(ids, 1);
  b.information(info);
  b.service(SERVICE.ProtocolInformation, '', [['37', { kind: 'fixed', value: HAP_PROTOCOL_VERSION }]]);
  return { aid: 1, services: b.services };
}

export function deviceAccessory(ids: IdMap, device: DeviceSpec, firmwareRevision: string): Accessory {
  const aid = ids.aid(device.mac);
  const b = new AccessoryBuilder(ids, aid);
  const { mac } = device;
  b.information({ name: device.name, manufacturer: device.manufacturer, model: device.model, serialNumber: mac, firmwareRevision });
  let primary = true;
  for (const key of device.keys) {
    const hap = valueKeyInfo(key)?.hap;
    if (!hap || hap.map === 'button') continue;
    const decimals = device.decimals(key);
    const source: ValueSource = hap.map === 'bool' && hap.characteristic === '22' ? { kind: 'motion', mac } : { kind: 'key', mac, key, hap, ...(decimals !== undefined ? { decimals } : {}) };
    const chars: [string, ValueSource, Meta?][] = [[hap.characteristic, source, keyMeta(hap)]];
    // The battery service carries the low-battery flag, which HAP requires there.
    if (hap.service === SERVICE.Battery) chars.push(['79', { kind: 'low-battery', mac }]);
    chars.push(['23', { kind: 'fixed', value: keyLabel(key) }]);
    b.service(hap.service, key, chars, primary && hap.service !== SERVICE.Battery);
    if (hap.service !== SERVICE.Battery) primary = false;
  }
  if (device.buttons.length > 0) {
    const hap = valueKeyInfo('Button')!.hap!;
    // Several switches on one accessory need a ServiceLabel saying how they are numbered (1: 1, 2, 3...).
    b.service(SERVICE.ServiceLabel, '', [['CD', { kind: 'fixed', value: 1 }]]);
    for (const n of device.buttons) {
      b.service(hap.service, `Button${n}`, [
        [hap.characteristic, { kind: 'button', mac, button: n }, keyMeta(hap)],
        ['CB', { kind: 'fixed', value: n }],
        ['23', { kind: 'fixed', value: `Button ${n}` }],
      ], false);
    }
  }
  return { aid, mac, services: b.services };
}

/** The structure without values: what `c#` follows. */
export function databaseShape(accessories: readonly Accessory[]): string {
  return accessories.map((a) => `${a.aid}:` + a.services.map((s) => `${s.iid}=${s.type}(` + s.characteristics.map((c) => `${c.iid}=${c.type}`).join(',') + ')').join(';')).join('|');
}

/** The keys of a device's readings that make services, in the order they become services: its model's, then any others heard. */
export function hapKeys(declared: readonly string[], heard: readonly string[], firstButton = 1): { keys: string[]; buttons: number[] } {
  const keys: string[] = [];
  const buttons = new Set<number>();
  for (const key of [...declared, ...heard]) {
    const hap = valueKeyInfo(key)?.hap;
    if (!hap) continue;
    if (hap.map === 'button') { const n = buttonIndex(key, firstButton); if (n > 0) buttons.add(n); }
    else if (!keys.includes(key)) keys.push(key);
  }
  return { keys, buttons: [...buttons].sort((a, b) => a - b) };
}
