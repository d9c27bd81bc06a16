// The device registry: one slot per device, holding its last values, RSSI, counters and
// the frame-counter state that drops repeats and rejects replays. Decoding happens here
// because the key to use belongs to the slot.

import { decodeAdvertisement } from '../decode.js';
import { LOCK_EVENT_KEYS } from '../decoders/mibeacon-locks.js';
import { deviceByPid, deviceName, unknownDeviceName } from '../devices/table.js';
import { isError, type DecodeResult, type Reading, type Values } from '../decoders/types.js';
import type { AesEncryptBlock } from '../host.js';
import { usableName } from './validate.js';

/**
 * Values that report a moment (a press, a turn, a motion), not a state: sent once, never
 * repeated. Motion too, as Tasmota: "Motion":1 goes out with the motion object only, never
 * again next to a later no-motion time or at the teleperiod.
 */
export function isMomentary(key: string): boolean {
  return key.startsWith('Button') || key === 'Dimmer' || key === 'Dimmer_P' || key === 'Hold' || key === 'Motion' || LOCK_EVENT_KEYS.includes(key);
}

/** Values Tasmota always publishes at once (buttons, motion, door, leak, no-motion time); Motion 0 waits for the next message. */
function isEvent(key: string, value: number | string): boolean {
  if (key === 'Motion') return value !== 0;
  return isMomentary(key) || key === 'Door' || key === 'NMT' || (key === 'Leak' && value !== 0);
}

export interface SlotStats {
  frames: number;
  decoded: number;
  duplicates: number;
  replays: number;
  decryptFailures: number;
  errors: number;
}

export interface Slot {
  mac: string;
  pid: number;
  model: string;
  type: string;
  /** Name override (mi32cfg "name", MI32Name, or a BTHome local name). */
  name?: string;
  values: Values;
  /** Momentary values of the last frame(s) not yet published. */
  momentary: Values;
  /** Keys updated since the last publish (for MI32Option0 0); non-empty = something to send. */
  updated: Set<string>;
  /** An event Tasmota always publishes at once is waiting. */
  urgent: boolean;
  /** Motion and door events since boot (Tasmota's "Events"). */
  events: number;
  rssi: number;
  /** ms (Clock) of the last frame, 0 = never heard since boot. */
  lastSeen: number;
  counter: number | null;
  stats: SlotStats;
  status: 'ok' | 'needs-key' | 'wrong-key';
  /** Counters of encrypted frames that were behind `counter`: a device reset shows as a run of them. */
  behind: { count: number; last: number | null };
}

export interface Advertisement {
  mac: string;
  rssi: number;
  ad: Uint8Array;
}

export type Outcome =
  | { kind: 'values'; slot: Slot; reading: Reading }
  | { kind: 'duplicate' | 'replay'; slot: Slot; reading: Reading }
  | { kind: 'error'; slot?: Slot; error: string; code: string }
  | { kind: 'ignored'; reason: 'not-ours' | 'full' | 'auto-add-off' | 'filtered' };

/** The slot counters summed over all devices, plus frames no slot took. */
export interface RegistryTotals extends SlotStats {
  ignored: number;
  /** Devices not admitted because the registry was full. */
  overflow: number;
}

/** Consecutive authenticated frames with rising counters, all behind the stored one, that resync a reset device. */
export const RESYNC_RUN = 3;

export interface RegistryOptions {
  aes: AesEncryptBlock;
  limit?: number;
}

export class Registry {
  readonly slots = new Map<string, Slot>();
  /** Bind keys by MAC; a key may be set before its device is first heard. */
  readonly keys = new Map<string, Uint8Array>();
  readonly limit: number;
  autoAdd = true;
  readonly totals: RegistryTotals = { frames: 0, decoded: 0, duplicates: 0, replays: 0, decryptFailures: 0, errors: 0, ignored: 0, overflow: 0 };
  private readonly overflowMacs = new Set<string>();
  private readonly aes: AesEncryptBlock;

  constructor(options: RegistryOptions) {
    this.aes = options.aes;
    this.limit = options.limit ?? 64;
  }

  /** Add (or update) a slot from configuration; not subject to autoAdd. */
  add(mac: string, pid: number, name?: string): Slot | undefined {
    const existing = this.slots.get(mac);
    if (existing) {
      if (name !== undefined) existing.name = name || undefined;
      return existing;
    }
    if (this.slots.size >= this.limit) {
      this.countOverflow(mac);
      return undefined;
    }
    const device = deviceByPid(pid);
    const slot: Slot = {
      mac, pid,
      model: device?.model ?? unknownDeviceName(pid),
      type: device?.name ?? unknownDeviceName(pid),
      ...(name ? { name } : {}),
      values: {}, momentary: {}, updated: new Set(), urgent: false, events: 0,
      rssi: 0, lastSeen: 0, counter: null,
      stats: { frames: 0, decoded: 0, duplicates: 0, replays: 0, decryptFailures: 0, errors: 0 },
      status: 'ok', behind: { count: 0, last: null },
    };
    this.slots.set(mac, slot);
    return slot;
  }

  /** The slot at `index`, counting from 0 in the order devices were added (Tasmota's slot numbers). */
  slotAt(index: number): Slot | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= this.slots.size) return undefined;
    let i = 0;
    for (const slot of this.slots.values()) if (i++ === index) return slot;
    return undefined;
  }

  setKey(mac: string, key: Uint8Array): void {
    this.keys.set(mac, key);
    const slot = this.slots.get(mac);
    if (slot) {
      slot.status = 'ok';
      slot.counter = null; // a new key starts a new counter history
    }
  }

  displayName(slot: Slot): string {
    return slot.name ?? deviceName(slot.type, slot.mac);
  }

  ingest(adv: Advertisement, now: number): Outcome[] {
    this.totals.frames++;
    const results = decodeAdvertisement(adv.ad, adv.mac, { aes: this.aes, keyFor: (mac) => this.keys.get(mac) });
    return results.map((r) => this.apply(adv, r, now));
  }

  private apply(adv: Advertisement, result: DecodeResult, now: number): Outcome {
    if (isError(result)) return this.applyError(adv, now, result.code, result.error, result.mac, result.pid);
    let slot = this.slots.get(result.mac);
    if (!slot) {
      if (!this.autoAdd) {
        this.totals.ignored++;
        return { kind: 'ignored', reason: 'auto-add-off' };
      }
      slot = this.add(result.mac, parseInt(result.pid ?? '0', 16), usableName(result.localName));
      if (!slot) return { kind: 'ignored', reason: 'full' };
    }
    slot.stats.frames++;
    slot.rssi = adv.rssi;
    slot.lastSeen = now;
    // Tasmota names BTHome devices by their advertised name when they have one.
    if (slot.name === undefined && result.format === 'bthome' && usableName(result.localName)) slot.name = result.localName;
    const verdict = this.checkCounter(slot, result);
    if (verdict !== 'new') {
      slot.stats[verdict === 'duplicate' ? 'duplicates' : 'replays']++;
      this.totals[verdict === 'duplicate' ? 'duplicates' : 'replays']++;
      return { kind: verdict, slot, reading: result };
    }
    slot.stats.decoded++;
    this.totals.decoded++;
    slot.status = 'ok';
    this.merge(slot, result.values);
    return { kind: 'values', slot, reading: result };
  }

  private applyError(adv: Advertisement, now: number, code: string, error: string, mac: string | undefined, pid: string | null | undefined): Outcome {
    if (code === 'unknown-format') {
      this.totals.ignored++;
      return { kind: 'ignored', reason: 'not-ours' };
    }
    this.totals.errors++;
    let slot = this.slots.get(mac ?? adv.mac);
    // A device we cannot decrypt yet still gets a slot, so the user sees it needs a key.
    if (!slot && code === 'no-key' && this.autoAdd && pid) slot = this.add(mac ?? adv.mac, parseInt(pid, 16));
    if (slot) {
      slot.stats.frames++;
      slot.stats.errors++;
      slot.rssi = adv.rssi;
      slot.lastSeen = now;
      if (code === 'no-key') slot.status = 'needs-key';
    }
    if (code === 'wrong-key' || code === 'not-encrypted') {
      if (slot) {
        slot.status = 'wrong-key';
        slot.stats.decryptFailures++;
      }
      this.totals.decryptFailures++;
    }
    return { kind: 'error', ...(slot ? { slot } : {}), error, code };
  }

  /**
   * Same counter as last time: the device repeats frames, so it is a duplicate. For
   * encrypted frames a counter behind the last one is a replay, unless RESYNC_RUN
   * authenticated frames in a row rise from there (the device was reset).
   */
  private checkCounter(slot: Slot, r: Reading): 'new' | 'duplicate' | 'replay' {
    if (r.counter === null) return 'new';
    const bits = counterBits(r);
    const last = slot.counter;
    if (last === null) {
      slot.counter = r.counter;
      return 'new';
    }
    const span = 2 ** bits;
    const diff = (((r.counter - last) % span) + span) % span;
    if (diff === 0) return 'duplicate';
    if (diff < span / 2 || !r.encrypted) {
      slot.counter = r.counter;
      slot.behind = { count: 0, last: null };
      return 'new';
    }
    const b = slot.behind;
    if (b.last !== null && r.counter === b.last) return 'duplicate';
    b.count = b.last !== null && r.counter > b.last ? b.count + 1 : 1;
    b.last = r.counter;
    if (b.count >= RESYNC_RUN) {
      slot.counter = r.counter;
      slot.behind = { count: 0, last: null };
      return 'new';
    }
    return 'replay';
  }

  private merge(slot: Slot, values: Values): void {
    const device = deviceByPid(slot.pid);
    for (const [key, value] of Object.entries(values)) {
      if (key === 'Battery' && device?.bogusBattery) continue; // Tasmota: these adverts' battery is not trustworthy
      if (isEvent(key, value)) slot.urgent = true;
      if ((key === 'Motion' && value === 1) || (key === 'Door' && slot.values.Door !== value)) slot.events++;
      if (isMomentary(key)) slot.momentary[key] = value;
      else slot.values[key] = value;
      slot.updated.add(key);
    }
  }

  private countOverflow(mac: string): void {
    if (!this.overflowMacs.has(mac)) {
      this.overflowMacs.add(mac);
      this.totals.overflow++;
    }
    // remember only a bounded number of refused MACs, so a flood cannot grow memory
    if (this.overflowMacs.size > 256) this.overflowMacs.clear();
  }
}

/** Width of the counter a format carries, for wrap-around comparison. */
function counterBits(r: Reading): number {
  if (r.format === 'mibeacon' && r.encrypted) return 32;
  if (r.format === 'bthome' && r.encrypted) return 32;
  return 8;
}
