// The page's device management: the device list as the dashboard shows it, and add,
// rename, remove, bind key (checked on the spot against the device's last encrypted
// frame), import and export of mi32cfg. Every change is saved through the gateway's
// mi32cfg path (MI32Cfg); replies never carry a key, only its last four digits.

import { normalizeMac } from '../bytes/hex.js';
import { decodeAdvertisement, parseKey } from '../decode.js';
import { isError } from '../decoders/types.js';
import { expandLegacyKey } from '../decoders/mibeacon.js';
import type { Gateway } from '../gateway/gateway.js';
import { formatConfig, MI32CFG_FILE, parseConfigText, saveConfig } from '../gateway/mi32cfg.js';
import type { Reply } from '../gateway/command-reply.js';
import { maskedKey } from '../gateway/command-reply.js';
import type { Slot } from '../gateway/registry.js';
import { formatValue, sensorEntries } from '../gateway/telemetry.js';
import { deviceNameProblem } from '../gateway/validate.js';
import type { AesEncryptBlock, Store } from '../host.js';
import { utf8Decode } from '../mqtt/utf8.js';
import { valueKeyInfo } from '../values/keys.js';
import type { DeviceMemory } from './device-memory.js';

export interface DeviceContext {
  gateway: Gateway;
  memory: DeviceMemory;
  aes: AesEncryptBlock;
  store: Store;
  /** A command through the same path as the console and MQTT (app.command, source http). */
  command(line: string): Reply;
  /** Gateway time (ms). */
  now(): number;
}

/** What the tile shows of a device's key: none (plain device), ok, needs-key, wrong-key, refused-plain. */
export type KeyState = 'none' | 'ok' | 'needs-key' | 'wrong-key' | 'refused-plain';

export interface Reading {
  key: string;
  label: string;
  unit: string;
  /** As the SENSOR JSON writes it (decimals from the value-key table). */
  text: string;
}

export interface DeviceView {
  mac: string;
  name: string;
  model: string;
  pid: string;
  configured: boolean;
  readings: Reading[];
  battery: number | null;
  rssi: number | null;
  /** ms since the device was last heard; null: not heard since start. */
  lastSeenAgo: number | null;
  keyState: KeyState;
  /** The key's last four digits ("...1A2B"), never the key. */
  key: string | null;
  /** A frame to check a new key against was heard. */
  checkable: boolean;
}

/** Keys the tile shows elsewhere or not at all. */
const NOT_READINGS = new Set(['Battery', 'RSSI', 'Time', 'MAC']);

export function keyState(ctx: DeviceContext, slot: Slot): KeyState {
  const key = ctx.gateway.registry.keyOf(slot.mac);
  if (slot.status === 'needs-key') return 'needs-key';
  if (!key) return 'none';
  if (slot.status === 'wrong-key') return 'wrong-key';
  return ctx.memory.refusedPlain(slot.mac) ? 'refused-plain' : 'ok';
}

export function deviceView(ctx: DeviceContext, slot: Slot): DeviceView {
  const registry = ctx.gateway.registry;
  const readings: Reading[] = [];
  let battery: number | null = null;
  for (const [key, value] of sensorEntries(slot, 'tele', { allValues: true })) {
    if (key === 'Battery') battery = typeof value === 'number' ? value : null;
    if (NOT_READINGS.has(key)) continue;
    const info = valueKeyInfo(key);
    const text = typeof value === 'string' ? value : formatValue(key, value);
    readings.push({ key, label: info?.label ?? key, unit: info && 'unit' in info && info.unit ? info.unit : '', text });
  }
  const key = registry.keyOf(slot.mac);
  const heard = slot.lastSeen > 0;
  return {
    mac: slot.mac, name: registry.displayName(slot), model: slot.model, pid: slot.pid.toString(16).padStart(4, '0'),
    configured: slot.configured, readings, battery,
    rssi: heard ? slot.rssi : null, lastSeenAgo: heard ? Math.max(0, ctx.now() - slot.lastSeen) : null,
    keyState: keyState(ctx, slot), key: key ? maskedKey(key) : null,
    checkable: ctx.memory.lastEncryptedFrame(slot.mac) !== undefined,
  };
}

export function deviceList(ctx: DeviceContext): DeviceView[] {
  return [...ctx.gateway.registry.slots.values()].map((slot) => deviceView(ctx, slot));
}

/** An answer for the page: an HTTP status and a JSON body. */
export interface Answer {
  status: number;
  body: Record<string, unknown>;
}

const ok = (body: Record<string, unknown>): Answer => ({ status: 200, body });
const refuse = (status: number, error: string): Answer => ({ status, body: { error } });

/** The MAC from a path segment or a form field, or undefined. */
export function macFrom(text: unknown): string | undefined {
  return typeof text === 'string' && /^[0-9a-fA-F:-]{12,17}$/.test(text) ? normalizeMac(text) : undefined;
}

export type KeyVerdict = { verdict: 'ok' } | { verdict: 'wrong-key'; error: string } | { verdict: 'unchecked'; note: string };

/** Does `key` open the device's last encrypted frame? Decodes that frame alone, changing nothing. */
export function checkKey(ctx: DeviceContext, mac: string, key: Uint8Array): KeyVerdict {
  const frame = ctx.memory.lastEncryptedFrame(mac);
  if (!frame) return { verdict: 'unchecked', note: 'no encrypted frame heard from this device yet: the key is saved unchecked' };
  const results = decodeAdvertisement(frame, mac, { aes: ctx.aes, keyFor: (m) => (m === mac ? key : undefined) });
  if (results.some((r) => !isError(r) && r.encrypted)) return { verdict: 'ok' };
  const wrong = results.find((r) => isError(r) && r.code === 'wrong-key');
  if (wrong) return { verdict: 'wrong-key', error: "wrong key: the device's last encrypted frame does not verify with it (nothing was saved)" };
  return { verdict: 'unchecked', note: 'the last frame could not be checked with this key: saved unchecked' };
}

/** Save the device list through the gateway's mi32cfg path; an empty list is written as [] (the last device removed). */
function save(ctx: DeviceContext): string | undefined {
  try {
    if (ctx.gateway.saveConfig() === 0) saveConfig(ctx.store, []);
    return undefined;
  } catch (e) {
    return `not saved: ${(e as Error).message}`;
  }
}

/** A bind key for a known device: checked against its last encrypted frame, then saved to mi32cfg. */
export function setDeviceKey(ctx: DeviceContext, mac: string, keyText: unknown): Answer {
  const registry = ctx.gateway.registry;
  if (!registry.slots.has(mac) && !registry.waiting.has(mac)) return refuse(404, `no device ${mac}`);
  const parsed = parseKey(keyText);
  if (typeof parsed === 'string') return refuse(400, parsed);
  if (parsed.mac && parsed.mac !== mac) return refuse(400, `the key names MAC ${parsed.mac}, not ${mac}`);
  const key = expandLegacyKey(parsed.key);
  const verdict = checkKey(ctx, mac, key);
  if (verdict.verdict === 'wrong-key') return refuse(422, verdict.error);
  ctx.gateway.setKey(mac, key);
  ctx.memory.keyChanged(mac);
  const problem = save(ctx);
  if (problem) return refuse(500, `the key is in use until restart but ${problem}`);
  return ok({ MAC: mac, Key: maskedKey(key), checked: verdict.verdict === 'ok', ...(verdict.verdict === 'unchecked' ? { note: verdict.note } : {}) });
}

/** Forget the key of a device (it is treated as a plain device again). */
export function clearDeviceKey(ctx: DeviceContext, mac: string): Answer {
  const registry = ctx.gateway.registry;
  if (!registry.removeKey(mac)) return refuse(404, `${mac} has no key`);
  const slot = registry.slots.get(mac);
  if (slot) slot.status = 'ok';
  ctx.memory.keyChanged(mac);
  const problem = save(ctx);
  return problem ? refuse(500, problem) : ok({ MAC: mac, Key: null });
}

export function addDevice(ctx: DeviceContext, body: Record<string, unknown>): Answer {
  const mac = macFrom(body.mac);
  if (!mac) return refuse(400, 'mac must be 12 hex digits');
  const pidText = typeof body.pid === 'string' ? body.pid : '';
  if (!/^[0-9a-fA-F]{4}$/.test(pidText)) return refuse(400, 'pid must be 4 hex digits (the model, e.g. 055b for LYWSD03MMC)');
  const name = typeof body.name === 'string' ? body.name.trim() : '';
  if (name) {
    const problem = deviceNameProblem(name);
    if (problem) return refuse(400, problem);
  }
  const registry = ctx.gateway.registry;
  if (registry.slots.has(mac) && registry.slots.get(mac)!.configured) return refuse(409, `${mac} is already in the device list`);
  let keyNote: Record<string, unknown> = {};
  if (typeof body.key === 'string' && body.key.trim() !== '') {
    const parsed = parseKey(body.key);
    if (typeof parsed === 'string') return refuse(400, parsed);
    const key = expandLegacyKey(parsed.key);
    const verdict = checkKey(ctx, mac, key);
    if (verdict.verdict === 'wrong-key') return refuse(422, verdict.error);
    registry.add(mac, parseInt(pidText, 16), name || undefined);
    ctx.gateway.setKey(mac, key);
    keyNote = { Key: maskedKey(key), checked: verdict.verdict === 'ok' };
  } else {
    registry.add(mac, parseInt(pidText, 16), name || undefined);
  }
  const problem = save(ctx);
  return problem ? refuse(500, problem) : ok({ MAC: mac, added: true, ...keyNote });
}

/** Rename through MI32Name (its checks: valid, not another device's name), then save. */
export function renameDevice(ctx: DeviceContext, mac: string, name: unknown): Answer {
  if (typeof name !== 'string') return refuse(400, 'name must be a string ("" goes back to the default name)');
  if (!ctx.gateway.registry.slots.has(mac)) return refuse(404, `no device ${mac}`);
  const reply = ctx.command(`MI32Name ${mac} ${name.trim()}`);
  if (reply.MI32Name === 'Error') return refuse(400, String(reply.Error));
  const problem = save(ctx);
  return problem ? refuse(500, problem) : ok({ MAC: mac, name: reply.MI32Name });
}

export function removeDevice(ctx: DeviceContext, mac: string): Answer {
  if (!ctx.gateway.registry.remove(mac)) return refuse(404, `no device ${mac}`);
  ctx.memory.forget(mac);
  const problem = save(ctx);
  return problem ? refuse(500, problem) : ok({ MAC: mac, removed: true });
}

/** The saved mi32cfg as it is on flash (keys included: a backup), or the current list when none was saved. */
export function exportConfig(ctx: DeviceContext): string {
  const bytes = ctx.store.read(MI32CFG_FILE);
  if (bytes) {
    try {
      return utf8Decode(bytes);
    } catch {
      // not UTF-8: export what the gateway holds instead
    }
  }
  return formatConfig(ctx.gateway.registry.devices());
}

/**
 * Merge a mi32cfg file into the device list (add or update each entry) and save. A file
 * with no usable entry changes nothing; bad entries are reported and skipped.
 */
export function importConfig(ctx: DeviceContext, text: string): Answer {
  const parsed = parseConfigText(text);
  if (parsed.entries.length === 0) return refuse(400, `no device entries in the file${parsed.problems.length ? `: ${parsed.problems.slice(0, 3).join('; ')}` : ''}`);
  const registry = ctx.gateway.registry;
  for (const e of parsed.entries) {
    registry.add(e.mac, e.pid, e.name);
    if (e.key) {
      ctx.gateway.setKey(e.mac, e.key);
      ctx.memory.keyChanged(e.mac);
    }
  }
  const problem = save(ctx);
  return problem ? refuse(500, problem) : ok({ imported: parsed.entries.length, problems: parsed.problems });
}
