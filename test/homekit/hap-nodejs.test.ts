// The accessory database checked against hap-nodejs: for every service our bridge builds,
// the same service made with hap-nodejs's Service and Characteristic classes must have the
// same characteristic types (its required ones all there, none it does not know), and
// each characteristic the same format, permissions, unit and valid values; where our
// value-key table narrows a range, hap-nodejs must accept that range as props and our
// sample values in it unchanged.

import { Characteristic as HapCharacteristic, Service as HapService } from 'hap-nodejs';
import { describe, expect, it } from 'vitest';
import { deviceAccessory, hapKeys, type Accessory, type Characteristic } from '../../firmware/core/homekit/accessories.js';
import { IdMap } from '../../firmware/core/homekit/ids.js';
import { accessoriesJson, readValue, type ValueReader } from '../../firmware/core/homekit/characteristics.js';
import { deviceByPid } from '../../firmware/core/devices/table.js';
import { valueKeyInfo } from '../../firmware/core/values/keys.js';
import { createNodeHapCrypto } from '../../host-sim/hap-crypto.js';
import { MemoryStore, silentLog } from '../helpers/gateway.js';

const long = (short: string) => `${short.padStart(8, '0')}-0000-1000-8000-0026BB765291`;

/** hap-nodejs's class for a long UUID, among the static members of Service or Characteristic. */
function classFor<T extends { UUID: string }>(holder: object, uuid: string): T {
  const found = Object.values(holder).find((v) => typeof v === 'function' && (v as { UUID?: string }).UUID === uuid);
  if (!found) throw new Error(`hap-nodejs has no class for ${uuid}`);
  return found as T;
}

/** Devices covering every HomeKit mapping in the value-key table: [pid, extra heard keys]. */
const DEVICES: [number, string[]][] = [
  [0x055b, []], // LYWSD03MMC: temperature, humidity, battery
  [0x0098, []], // Flora: + light, moisture
  [0x07f6, []], // MJYD02YL: motion, light
  [0x098b, []], // MCCGQ02HL: contact
  [0x0863, []], // SJWS01LM: leak and its button
  [0x0153, []], // YLYK01YL: 6 buttons
  [0xb770, ['Occupancy', 'Smoke', 'Temperature2']], // BTHome: whatever it sends
];

const SAMPLE: Record<string, number> = { Temperature: 21.4, Temperature2: -3.5, Humidity: 45.6, Moisture: 31, Illuminance: 250, Battery: 87, Door: 1, Leak: 1, Occupancy: 1, Smoke: 0 };
const reader: ValueReader = { values: () => SAMPLE, motion: () => true };

function build(): Accessory[] {
  const ids = new IdMap({ store: new MemoryStore(), log: silentLog, crypto: createNodeHapCrypto() });
  return DEVICES.map(([pid, heard], i) => {
    const type = deviceByPid(pid)!;
    const { keys, buttons } = hapKeys(type.entities, heard);
    for (let n = 1; n <= (type.buttons ?? 0); n++) if (!buttons.includes(n)) buttons.push(n);
    return deviceAccessory(ids, {
      mac: `A4C13800000${i}`, name: `${type.model} ${i}`.replace(/[^A-Za-z0-9 ]/g, ' '), model: type.model, manufacturer: type.vendor, keys, buttons,
      decimals: (key) => valueKeyInfo(key)?.decimals,
    }, '0.1.0');
  });
}

describe('accessory database against hap-nodejs', () => {
  const accessories = build();
  const services = accessories.flatMap((a) => a.services);

  it('covers every service type of the value-key table and the structural ones', () => {
    const types = new Set(services.map((s) => s.type));
    for (const t of ['3E', '8A', '82', '96', '84', '85', '80', '83', '89', 'CC', '86', '87']) expect(types, t).toContain(t);
  });

  for (const service of build().flatMap((a) => a.services).filter((s, i, all) => all.findIndex((x) => x.type === s.type) === i)) {
    it(`service ${service.type}: the characteristics hap-nodejs requires and knows, with its formats, permissions and ranges`, () => {
      const ServiceClass = classFor<typeof HapService & (new (name?: string, subtype?: string) => HapService)>(HapService, long(service.type));
      const reference = new ServiceClass('Reference', 'sub');
      const known = new Set([...reference.characteristics, ...reference.optionalCharacteristics].map((c) => c.UUID));
      const ours = new Set(service.characteristics.map((c) => long(c.type)));
      for (const required of reference.characteristics) {
        if (required.UUID === HapCharacteristic.Name.UUID) continue; // hap-nodejs adds Name to every service it names
        expect(ours, `${service.type} lacks required ${required.displayName}`).toContain(required.UUID);
      }
      for (const c of service.characteristics) {
        expect(known, `${service.type} has ${c.type}, which hap-nodejs does not list for it`).toContain(long(c.type));
        compare(c, reference);
      }
    });
  }
});

function compare(c: Characteristic, reference: HapService): void {
  const CharacteristicClass = classFor<typeof HapCharacteristic & (new () => HapCharacteristic)>(HapCharacteristic, long(c.type));
  const ref = reference.getCharacteristic(CharacteristicClass as never);
  const props = ref.props;
  const what = `${c.type} (${ref.displayName})`;
  expect(c.format, what).toBe(props.format);
  expect([...c.perms].sort(), what).toEqual([...props.perms].sort());
  expect(c.unit, what).toBe(props.unit);
  expect(c.validValues && [...c.validValues], what).toEqual(props.validValues);
  expect(c.maxLen, what).toBe(props.maxLen);
  // A range we narrow lies inside hap-nodejs's; without narrowing it is hap-nodejs's own.
  if (c.minValue === undefined) expect(props.minValue, what).toBeUndefined();
  else expect(c.minValue, what).toBeGreaterThanOrEqual(props.minValue!);
  if (c.maxValue === undefined) expect(props.maxValue, what).toBeUndefined();
  else expect(c.maxValue, what).toBeLessThanOrEqual(props.maxValue!);
  if (c.minStep === undefined) expect(props.minStep, what).toBeUndefined();
  // hap-nodejs takes our props, and our value for a sample reading, unchanged.
  const warnings: unknown[] = [];
  ref.on('characteristic-warning' as never, ((w: unknown) => warnings.push(w)) as never);
  ref.setProps({ ...(c.minValue !== undefined ? { minValue: c.minValue } : {}), ...(c.maxValue !== undefined ? { maxValue: c.maxValue } : {}), ...(c.minStep !== undefined ? { minStep: c.minStep } : {}) });
  const value = readValue(c, reader);
  if (value !== undefined && value !== null && props.perms.includes('pr' as never)) {
    ref.updateValue(value as never);
    // hap-nodejs's step rounding leaves float artefacts (21.4 -> 21.400000000000006): close, not equal.
    if (typeof value === 'number') expect(ref.value as number, what).toBeCloseTo(value, 9);
    else expect(ref.value, what).toEqual(value);
  }
  expect(warnings, what).toEqual([]);
  // The JSON /accessories writes for it is hap-nodejs's, key by key (with the props above).
  (ref as unknown as { iid: number }).iid = c.iid;
  const json = ref.internalHAPRepresentation() as unknown as Record<string, unknown>;
  const mine = OUR_JSON.get(`${c.aid}.${c.iid}`)!;
  for (const key of ['type', 'format', 'unit', 'minValue', 'maxValue', 'minStep', 'maxLen', 'valid-values']) {
    expect(mine[key], `${what} ${key}`).toEqual(json[key]);
  }
  expect([...(mine.perms as string[])].sort(), what).toEqual([...(json.perms as string[])].sort());
}

const OUR_JSON = new Map<string, Record<string, unknown>>();
for (const a of (JSON.parse(accessoriesJson(build(), reader)) as { accessories: { aid: number; services: { characteristics: Record<string, unknown>[] }[] }[] }).accessories) {
  for (const s of a.services) for (const c of s.characteristics) OUR_JSON.set(`${a.aid}.${c.iid as number}`, c);
}
