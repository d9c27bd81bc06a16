// MI32Battery, MI32Time and MI32Unit: Tasmota removed them; here they are rebuilt on the
// GATT client with the operations the device table's row names (devices/table.ts `gatt`, gatt/device-ops.ts). The command replies at once
// ("Queued" and the devices), and the outcome follows on stat/<topic>/RESULT when the
// connections are done: {"MI32Battery":{"LYWSD02-a1b2c3":{"Battery":87}, ...}}.

import { normalizeMac } from '../bytes/hex.js';
import type { GattClient, GattRequest, GattResult } from '../gatt/client.js';
import { deviceByPid, modelsWith } from '../devices/table.js';
import type { DeviceGatt, DeviceOpKind } from '../gatt/device-ops.js';
import { CommandError, type Reply } from './command-reply.js';
import type { Registry, Slot } from './registry.js';

export interface GattCommandContext {
  registry: Registry;
  gatt: GattClient | undefined;
  now(): number;
  /** Publish a late outcome like a command reply (console + stat/<topic>/RESULT). */
  result(reply: Reply): void;
}

/** One device's part of a late reply: its readings, or what went wrong (not value keys: Error, Code, Timezone, TempUnit). */
type Outcome = Record<string, number | string | undefined>;

const COMMAND_NAME: Record<DeviceOpKind, string> = { battery: 'MI32Battery', clock: 'MI32Time', unit: 'MI32Unit' };

/** "" = every device that supports it; else a slot number (from 0), a MAC or a device name. */
function selectSlots(registry: Registry, selector: string, kind: DeviceOpKind): Slot[] {
  const slots = [...registry.slots.values()];
  const supported = (s: Slot) => opsOf(s)?.[kind] !== undefined;
  const models = () => modelsWith((d) => d.gatt?.[kind] !== undefined).join(', ');
  if (selector === '') {
    const all = slots.filter(supported);
    if (all.length === 0) throw new CommandError(`no known device supports this (models: ${models()})`);
    return all;
  }
  const mac = normalizeMac(selector);
  const lower = selector.toLowerCase();
  const slot = /^\d+$/.test(selector) ? registry.slotAt(Number(selector))
    : slots.find((s) => s.mac === mac || registry.displayName(s).toLowerCase() === lower);
  if (!slot) throw new CommandError(`no device "${selector}" (give a slot number from 0, a MAC or a name)`);
  if (!supported(slot)) throw new CommandError(`${registry.displayName(slot)} (${slot.model}) does not support this (models: ${models()})`);
  return [slot];
}

/** The GATT operations of a slot's model, from its row. */
function opsOf(slot: Slot): DeviceGatt | undefined {
  return deviceByPid(slot.pid)?.gatt;
}

function failure(r: GattResult): Outcome {
  return { Error: r.message, Code: r.error };
}

/** Submit requests for several devices and report once all of them finished. */
function collect(ctx: GattCommandContext, kind: DeviceOpKind, slots: Slot[], run: (slot: Slot, done: (v: Outcome) => void) => void): Reply {
  const gatt = ctx.gatt;
  if (!gatt) throw new CommandError('this platform has no GATT client');
  const outcome: Record<string, Outcome> = {};
  let left = slots.length;
  const names = slots.map((s) => ctx.registry.displayName(s));
  slots.forEach((slot, i) => {
    run(slot, (values) => {
      outcome[names[i]!] = values;
      if (--left === 0) ctx.result({ [COMMAND_NAME[kind]]: outcome });
    });
  });
  return { [COMMAND_NAME[kind]]: 'Queued', Devices: names };
}

function request(gatt: GattClient, req: GattRequest, done: (r: GattResult) => void, fail: (v: Outcome) => void): void {
  try {
    gatt.submit(req, done);
  } catch (e) {
    fail({ Error: (e as Error).message });
  }
}

export function batteryCommand(ctx: GattCommandContext, arg: string): Reply {
  const slots = selectSlots(ctx.registry, arg.trim(), 'battery');
  return collect(ctx, 'battery', slots, (slot, done) => {
    const spec = opsOf(slot)!.battery!;
    request(ctx.gatt!, { op: spec.op, mac: slot.mac, service: spec.service, characteristic: spec.characteristic }, (r) => {
      if (r.error !== 0) return done(failure(r));
      const values = r.value ? spec.decode(r.value) : undefined;
      if (!values) return done({ Error: `unexpected value (${r.value?.length ?? 0} bytes)` });
      // Like Berry's MI32.set_bat: the values show with the next message; no event of their own.
      Object.assign(slot.values, values);
      done(values);
    }, done);
  });
}

export function clockCommand(ctx: GattCommandContext, arg: string): Reply {
  const [selector = '', tzText] = arg.trim().split(/\s+/);
  if (selector === '') throw new CommandError('usage: MI32Time <slot|MAC|name> [timezone hours]');
  const tz = tzText === undefined ? 0 : Number(tzText);
  if (!Number.isInteger(tz) || tz < -12 || tz > 14) throw new CommandError(`timezone must be whole hours from -12 to 14, got "${tzText}"`);
  const slots = selectSlots(ctx.registry, selector, 'clock');
  return collect(ctx, 'clock', slots, (slot, done) => {
    const spec = opsOf(slot)!.clock!;
    const utc = Math.floor(ctx.now() / 1000);
    request(ctx.gatt!, { op: 12, mac: slot.mac, service: spec.service, characteristic: spec.characteristic, value: spec.encode(utc, tz), withResponse: true },
      (r) => done(r.error !== 0 ? failure(r) : { Time: utc, Timezone: tz }), done);
  });
}

export function unitCommand(ctx: GattCommandContext, arg: string): Reply {
  const [selector = '', unitText] = arg.trim().split(/\s+/);
  if (selector === '') throw new CommandError('usage: MI32Unit <slot|MAC|name> [C|F] (no unit: toggle)');
  const wanted = unitText === undefined ? undefined : unitText.toUpperCase();
  if (wanted !== undefined && wanted !== 'C' && wanted !== 'F') throw new CommandError(`unit must be C or F, got "${unitText}"`);
  const slots = selectSlots(ctx.registry, selector, 'unit');
  return collect(ctx, 'unit', slots, (slot, done) => {
    const spec = opsOf(slot)!.unit!;
    const target = { mac: slot.mac, service: spec.service, characteristic: spec.characteristic };
    const write = (unit: 'C' | 'F') => request(ctx.gatt!, { ...target, op: 12, value: Uint8Array.of(unit === 'C' ? spec.celsius : spec.fahrenheit), withResponse: true },
      (r) => done(r.error !== 0 ? failure(r) : { TempUnit: unit }), done);
    if (wanted) return write(wanted as 'C' | 'F');
    // Toggle, as Tasmota's MI32Unit did: read the current unit first.
    request(ctx.gatt!, { ...target, op: 1 }, (r) => {
      if (r.error !== 0) return done(failure(r));
      write(r.value?.[0] === spec.fahrenheit ? 'C' : 'F');
    }, done);
  });
}
