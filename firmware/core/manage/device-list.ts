// The devices the gateway manages, as the seed's Bluetooth client manager does: an allow
// list of approved devices (Tasmota's MI32Block is the deny list), each with the id the
// upload API knows it by and whether it is paired (bonded), and the working mode.
// Persisted in devices.json; every change is saved first and applied only when the save
// worked, so a full or read-only flash changes nothing. Read back at start field by field:
// a bad entry is reported and skipped, the rest is used.

import { normalizeMac } from '../bytes/hex.js';
import type { Store } from '../host.js';
import { readJsonObject, writeJsonObject } from '../store/json-file.js';

/** passive: listen only; active: also GATT to approved devices (pairing); off: scanning off. */
export type WorkingMode = 'passive' | 'active' | 'off';
export const WORKING_MODES: readonly WorkingMode[] = ['passive', 'active', 'off'];

export interface ManagedDevice {
  /** 12 upper-case hex digits. */
  mac: string;
  /** The upload API's iotDeviceId; the MAC unless MI32Approve gave one. */
  id: string;
  /** Bonded with MI32Pair (the bond itself is kept by the BLE stack). */
  paired: boolean;
}

export const DEVICES_FILE = 'devices.json';
/** More approved devices than any ESP32's registry holds at its default size. */
export const MAX_APPROVED = 64;
const MAX_BYTES = 16_384;
/** {"mode", "devices": [{...}]}: three levels. */
const MAX_DEPTH = 3;

/** What the upload API takes as an id: a UUID, a MAC, a short name. No spaces, quotes or control characters. */
export function deviceIdProblem(id: string): string | undefined {
  if (!/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/.test(id)) return 'the device id must be 1-64 letters, digits, ".", "_", ":" or "-" (a UUID fits)';
  return undefined;
}

export class DeviceList {
  mode: WorkingMode = 'passive';
  /** Approved devices in the order they were approved. */
  readonly approved = new Map<string, ManagedDevice>();

  constructor(private readonly store: Store) {}

  isApproved(mac: string): boolean {
    return this.approved.has(mac);
  }

  isPaired(mac: string): boolean {
    return this.approved.get(mac)?.paired === true;
  }

  /** devices.json, each entry checked; returns the problems (bad entries are skipped). */
  load(): string[] {
    const read = readJsonObject(this.store, DEVICES_FILE, MAX_BYTES, MAX_DEPTH);
    const problems = read.problems;
    const raw = read.value;
    if (!raw) return problems;
    if (raw.mode !== undefined) {
      if (WORKING_MODES.includes(raw.mode as WorkingMode)) this.mode = raw.mode as WorkingMode;
      else problems.push(`${DEVICES_FILE}: mode ${JSON.stringify(raw.mode).slice(0, 20)} is not one of ${WORKING_MODES.join(', ')}; using passive`);
    }
    const list = raw.devices === undefined ? [] : raw.devices;
    if (!Array.isArray(list)) return [...problems, `${DEVICES_FILE}: devices is not a list; no device is approved`];
    for (const entry of list) {
      const device = parseDevice(entry);
      if (typeof device === 'string') problems.push(`${DEVICES_FILE}: ${device}; skipped`);
      else if (this.approved.size >= MAX_APPROVED) problems.push(`${DEVICES_FILE}: more than ${MAX_APPROVED} devices; ${device.mac} skipped`);
      else this.approved.set(device.mac, device);
    }
    return problems;
  }

  /** Approve (or change the id of) a device. Throws when the list is full or the save fails. */
  approve(mac: string, id: string | undefined): ManagedDevice {
    const old = this.approved.get(mac);
    if (!old && this.approved.size >= MAX_APPROVED) throw new Error(`at most ${MAX_APPROVED} approved devices: MI32Remove one first`);
    const device: ManagedDevice = { mac, id: id ?? old?.id ?? mac, paired: old?.paired ?? false };
    this.commit(() => { this.approved.set(mac, device); });
    return device;
  }

  remove(mac: string): void {
    this.commit(() => { this.approved.delete(mac); });
  }

  setMode(mode: WorkingMode): void {
    this.commit(() => { this.mode = mode; });
  }

  setPaired(mac: string, paired: boolean): void {
    const device = this.approved.get(mac);
    if (!device || device.paired === paired) return;
    this.commit(() => { device.paired = paired; });
  }

  /** Apply `change` to a copy, save the copy, then apply it here: a failed save changes nothing. */
  private commit(change: () => void): void {
    const mode = this.mode;
    const before = [...this.approved.values()].map((d) => ({ ...d }));
    change();
    try {
      writeJsonObject(this.store, DEVICES_FILE, this.toJson());
    } catch (e) {
      this.mode = mode;
      this.approved.clear();
      for (const d of before) this.approved.set(d.mac, d);
      throw e;
    }
  }

  private toJson(): unknown {
    return { mode: this.mode, devices: [...this.approved.values()].map((d) => ({ MAC: d.mac, id: d.id, paired: d.paired })) };
  }
}

function parseDevice(raw: unknown): ManagedDevice | string {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return 'an entry is not an object';
  const e = raw as Record<string, unknown>;
  const mac = typeof e.MAC === 'string' ? normalizeMac(e.MAC) : undefined;
  if (!mac) return `MAC ${JSON.stringify(e.MAC)?.slice(0, 20)} is not 12 hex digits`;
  const id = e.id === undefined ? mac : e.id;
  if (typeof id !== 'string' || deviceIdProblem(id)) return `${mac}: id ${JSON.stringify(id)?.slice(0, 20)} is not a device id`;
  if (e.paired !== undefined && typeof e.paired !== 'boolean') return `${mac}: paired must be true or false`;
  return { mac, id, paired: e.paired === true };
}
