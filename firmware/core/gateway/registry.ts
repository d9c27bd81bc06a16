// The device registry: one slot per device, holding its last values, RSSI, counters and
// the frame-counter state that drops repeats and rejects replays. Decoding happens here
// because the key to use belongs to the slot.
//
// Slots are few (64 by default) and anyone in radio range can invent MACs, so:
// - configured devices (mi32cfg, MI32Cfg, MI32Key) are never displaced by auto-added ones;
//   those that do not fit wait in `waiting` (kept, saved by MI32Cfg) until a slot frees up;
// - auto-added devices are evicted least-recently-heard, but only once idle for `idleMs`,
//   so a flood of one-frame MACs cannot push out sensors that are still talking;
// - keys for devices never heard are bounded (MAX_PENDING_KEYS, oldest dropped);
// - Overflow counts distinct refused MACs in bounded memory (distinct-count.ts).

import { decodeAdvertisement } from '../decode.js';
import { deviceByPid, deviceName } from '../devices/table.js';
import { isError, type DecodeError, type DecodeResult, type Reading, type Values } from '../decoders/types.js';
import type { AesEncryptBlock } from '../host.js';
import { usableName } from './validate.js';
import { DistinctCounter } from './distinct-count.js';
import { checkCounter, counterBits, RESYNC_RUN } from './replay-guard.js';
import type { CounterMarkPort } from './counter-marks.js';
import { keyId, MAX_KEY_IDS } from '../values/key-ids.js';
import { ownKeyInfo, type ValueKey, type ValueKeyInfo } from '../values/keys.js';
import { BYTES_PER_SLOT, FRAME_BYTES, FRAME_NAMES, FRAME_WORDS, Slot, SlotTable, UPDATED_WORDS, type SlotStats } from './slot-table.js';

export { RESYNC_RUN, Slot, BYTES_PER_SLOT };
export type { SlotStats };

/**
 * Values that report a moment (a press, a turn, a motion), not a state: sent once, never
 * repeated. Motion too, as Tasmota: "Motion":1 goes out with the motion object only, never
 * again next to a later no-motion time or at the teleperiod. The value-key table's `kind`.
 */
export function isMomentary(key: string): boolean {
  return (kindOf(key, -1) & MOMENTARY) !== 0;
}

// What merge needs to know of a value key: its row of the value-key table (values/keys.ts)
// as bits, worked out once per key id (key-ids.ts) instead of a lookup per value of every frame.
const MOMENTARY = 1; // kept apart and sent once (events, Motion)
const URGENT = 2; // published at once (buttons, door, no-motion time)
const URGENT_NONZERO = 4; // published at once unless 0 (leak, motion: "Motion":0 waits, as Tasmota)
const COUNTS_ONE = 8; // a 1 counts toward the device's Events (motion)
const COUNTS_CHANGE = 16; // a change counts toward Events (door)
const CLASSIFIED = 128;
const KIND_BITS: Record<ValueKeyInfo['kind'], number> = { state: 0, event: MOMENTARY, momentary: MOMENTARY };
const URGENCY_BITS: Record<ValueKeyInfo['urgent'], number> = { never: 0, always: URGENT, nonzero: URGENT_NONZERO };
const COUNTING_BITS: Record<NonNullable<ValueKeyInfo['countsEvents']>, number> = { one: COUNTS_ONE, change: COUNTS_CHANGE };
const keyKinds = new Uint8Array(MAX_KEY_IDS);

function kindOf(key: string, id: number): number {
  if (id >= 0 && keyKinds[id] !== 0) return keyKinds[id]!;
  const row = ownKeyInfo(key); // a key without a row is a state like any other
  const kind = CLASSIFIED | (row === undefined ? 0
    : KIND_BITS[row.kind] | URGENCY_BITS[row.urgent] | (row.countsEvents === undefined ? 0 : COUNTING_BITS[row.countsEvents]));
  if (id >= 0) keyKinds[id] = kind;
  return kind;
}

export interface Advertisement {
  mac: string;
  rssi: number;
  ad: Uint8Array;
  /** The sender's address type as Tasmota numbers it (NimBLE's): 0 public, 1 random (2/3 resolvable); byte 6 of adv_cb's buffer. */
  addrType?: number;
}

export type Outcome =
  | { kind: 'values'; slot: Slot; reading: Reading }
  /** The slot's counter is the repeated one. A byte-identical repeat returns a shared value, valid until the next advertisement. */
  | { kind: 'duplicate'; slot: Slot }
  | { kind: 'replay'; slot: Slot; reading: Reading }
  | { kind: 'error'; slot?: Slot; error: string; code: string }
  | { kind: 'ignored'; reason: 'not-ours' | 'full' | 'auto-add-off' | 'filtered' };

/** The slot counters summed over all devices, plus frames no slot took. */
export interface RegistryTotals extends SlotStats {
  ignored: number;
  /** Distinct devices (MACs) refused because every slot was taken. */
  overflow: number;
}

/** Keys given by MI32Key for devices not heard yet: at most this many wait, the oldest is dropped. */
export const MAX_PENDING_KEYS = 32;

export interface RegistryOptions {
  aes: AesEncryptBlock;
  limit?: number;
  /** An auto-added device not heard for this long may give its slot to a newcomer. */
  idleMs?: number;
  /** Keyed devices' counters kept across restarts (counter-marks.ts). */
  marks?: CounterMarkPort;
}

/** A configured device without a slot: what MI32Cfg must write back. */
export interface WaitingDevice {
  pid: number;
  name?: string;
}

export interface KeyResult {
  /** The MAC has a slot. */
  known: boolean;
  /** The pending key dropped to make room (oldest first), if any. */
  dropped?: string;
}

export class Registry {
  static readonly DEFAULT_IDLE_MS = 5 * 60_000;
  readonly slots = new Map<string, Slot>();
  /** Bind keys of devices in slots and of configured devices waiting for one. */
  readonly keys = new Map<string, Uint8Array>();
  /** Configured devices that did not fit: kept (and saved) until a slot is free. */
  readonly waiting = new Map<string, WaitingDevice>();
  readonly limit: number;
  readonly idleMs: number;
  autoAdd = true;
  readonly totals: RegistryTotals = { frames: 0, decoded: 0, duplicates: 0, replays: 0, decryptFailures: 0, errors: 0, ignored: 0, overflow: 0 };
  /** MI32Key for MACs with no slot and no configuration, in insertion order (oldest first). */
  private readonly pendingKeys = new Map<string, Uint8Array>();
  private readonly refused = new DistinctCounter();
  private readonly aes: AesEncryptBlock;
  private readonly marks: CounterMarkPort | undefined;
  /** Per-slot numbers, indexed by Slot.i (slot-table.ts). */
  private readonly table: SlotTable;
  /** 1 where a slot number is taken. */
  private readonly inUse: Uint8Array;
  /** The outcome of a byte-identical repeat: one shared value, so a repeat allocates nothing. */
  private readonly repeatOutcome: [{ kind: 'duplicate'; slot: Slot }];
  /** An advertisement is copied here (one native call) to be compared with a remembered frame a word at a time. */
  private readonly scratchBytes = new Uint8Array(FRAME_WORDS * 4);
  private readonly scratchWords = new Uint32Array(this.scratchBytes.buffer);
  /** How many leading bytes of scratchBytes may be non-zero (the last copy's length). */
  private scratchUsed = 0;
  private readonly keyFor = (mac: string): Uint8Array | undefined => this.keys.get(mac) ?? this.pendingKeys.get(mac);

  constructor(options: RegistryOptions) {
    this.aes = options.aes;
    this.marks = options.marks;
    this.limit = options.limit ?? 64;
    // the typed arrays are sized by it: a bad size must fail here, not as a wrong index later
    if (!Number.isInteger(this.limit) || this.limit < 1 || this.limit > 65535) throw new RangeError(`registry size must be a whole number 1-65535, got ${this.limit}`);
    this.idleMs = options.idleMs ?? Registry.DEFAULT_IDLE_MS;
    this.table = new SlotTable(this.limit);
    this.inUse = new Uint8Array(this.limit);
    this.repeatOutcome = [{ kind: 'duplicate', slot: undefined as unknown as Slot }];
  }

  get pendingKeyCount(): number {
    return this.pendingKeys.size;
  }

  /** The bind key in use for `mac`: a configured device's, or one waiting for its device to be heard. */
  keyOf(mac: string): Uint8Array | undefined {
    return this.keyFor(mac);
  }

  /** Every bind key held, configured devices' first, then those waiting for their device (MI32Keys). */
  allKeys(): [string, Uint8Array][] {
    return [...this.keys, ...this.pendingKeys];
  }

  /** Forget the key of `mac` (MI32Keys MAC); true when there was one. */
  removeKey(mac: string): boolean {
    const configured = this.keys.delete(mac);
    return this.pendingKeys.delete(mac) || configured;
  }

  /** Forget every key (MI32Keys2). */
  clearKeys(): void {
    this.keys.clear();
    this.pendingKeys.clear();
  }

  /**
   * Add (or update) a configured device: not subject to autoAdd, never displaced by
   * auto-added devices. When every slot holds a configured device it waits (kept, saved).
   */
  add(mac: string, pid: number, name?: string): Slot | undefined {
    const existing = this.slots.get(mac);
    if (existing) {
      if (name !== undefined) {
        if (name) existing.name = name;
        else delete existing.name;
      }
      existing.configured = true;
      return existing;
    }
    const kept = name ?? this.waiting.get(mac)?.name;
    const device: WaitingDevice = { pid, ...(kept ? { name: kept } : {}) };
    // configuration takes slots from auto-added devices only; between configured
    // devices, first come (in file order) first served, the rest wait
    if (this.slots.size >= this.limit && !this.evictFor('configuration', 0)) {
      this.waiting.set(mac, device);
      return undefined;
    }
    this.waiting.delete(mac);
    return this.createSlot(mac, device.pid, device.name, true);
  }

  /**
   * Forget a device entirely (the web page's "remove"): its slot, key and waiting entry.
   * True when there was anything to forget. The caller saves mi32cfg.
   */
  remove(mac: string): boolean {
    const slot = this.slots.get(mac);
    if (slot) {
      this.slots.delete(mac);
      this.inUse[slot.i] = 0;
      slot.i = -1; // detached, as an evicted slot
    }
    const keyed = this.removeKey(mac);
    const waited = this.waiting.delete(mac);
    return slot !== undefined || keyed || waited;
  }

  /** The slot at `index`, counting from 0 in the order devices were added (Tasmota's slot numbers). */
  slotAt(index: number): Slot | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= this.slots.size) return undefined;
    let i = 0;
    for (const slot of this.slots.values()) if (i++ === index) return slot;
    return undefined;
  }

  /**
   * A bind key from the user. A device in a slot becomes configured (its slot reserved);
   * a key for a device never heard waits, bounded. The same key again changes nothing:
   * resetting the counter would let old frames through again.
   */
  setKey(mac: string, key: Uint8Array): KeyResult {
    const slot = this.slots.get(mac);
    if (slot || this.waiting.has(mac)) {
      const old = this.keys.get(mac);
      this.keys.set(mac, key);
      if (slot) {
        slot.configured = true;
        if (!old || !sameBytes(old, key)) {
          // A key replacing another: a new counter history. (A first key, e.g. from mi32cfg at start, keeps the persisted mark.)
          if (old) this.marks?.forget(mac);
          slot.status = 'ok';
          slot.counter = null; // a new key starts a new counter history (and forgets the last frame)
          slot.behindCount = 0;
          slot.behindLast = null;
        }
      }
      return { known: slot !== undefined };
    }
    this.pendingKeys.delete(mac);
    this.pendingKeys.set(mac, key);
    if (this.pendingKeys.size <= MAX_PENDING_KEYS) return { known: false };
    const oldest = this.pendingKeys.keys().next().value!;
    this.pendingKeys.delete(oldest);
    return { known: false, dropped: oldest };
  }

  /** Every configured or auto-added device with its key, slots first: what MI32Cfg writes. */
  devices(): { mac: string; pid: number; key?: Uint8Array; name?: string }[] {
    const out: { mac: string; pid: number; key?: Uint8Array; name?: string }[] = [];
    const push = (mac: string, pid: number, name: string | undefined): void => {
      const key = this.keys.get(mac);
      out.push({ mac, pid, ...(key ? { key } : {}), ...(name ? { name } : {}) });
    };
    for (const s of this.slots.values()) push(s.mac, s.pid, s.name);
    for (const [mac, w] of this.waiting) push(mac, w.pid, w.name);
    return out;
  }

  displayName(slot: Slot): string {
    return slot.name ?? deviceName(slot.type, slot.mac);
  }

  ingest(adv: Advertisement, now: number): Outcome[] {
    const repeated = this.repeat(adv, now);
    if (repeated !== undefined) return repeated;
    return this.decode(adv, now);
  }

  /**
   * The outcome of a byte-identical repeat of the sender's last frame, counted as the
   * duplicate the decode would find, without decoding; undefined when `adv` must be decoded.
   *
   * Why that is exact: the decode is a pure function of the bytes, the sender MAC and the
   * bind key, and a reading whose counter equals the slot's counter is a duplicate. A frame
   * is remembered only when its single outcome left the slot's counter equal to its own;
   * changing the counter or the key forgets it (Slot.counter's setter), and a new slot
   * starts with none. A BTHome frame may still name a device that has no name: decoded.
   */
  repeat(adv: Advertisement, now: number): Outcome[] | undefined {
    const slot = this.repeatedSlot(adv);
    return slot === undefined ? undefined : this.countRepeat(slot, adv, now);
  }

  /** The sender's slot when `adv` is a byte-identical repeat of its remembered frame (counts nothing). */
  repeatedSlot(adv: Advertisement): Slot | undefined {
    const slot = this.slots.get(adv.mac);
    if (slot === undefined) return undefined;
    const t = this.table;
    const i = slot.i;
    const n = t.frameLength[i]!;
    const ad = adv.ad;
    if (n === 0 || n !== ad.length) return undefined;
    if (t.flags[i]! & FRAME_NAMES && slot.name === undefined) return undefined;
    // The stored frame is 0 after its end: so is the copy (what a longer copy left is cleared).
    const scratch = this.scratchBytes;
    if (this.scratchUsed > n) scratch.fill(0, n, this.scratchUsed);
    scratch.set(ad);
    this.scratchUsed = n;
    // All FRAME_WORDS words, unrolled: fewer XS steps than a loop (whose `let` is copied per turn).
    const w = this.scratchWords;
    const f = t.frameWords;
    const o = i * FRAME_WORDS;
    return f[o] === w[0] && f[o + 1] === w[1] && f[o + 2] === w[2] && f[o + 3] === w[3]
      && f[o + 4] === w[4] && f[o + 5] === w[5] && f[o + 6] === w[6] && f[o + 7] === w[7] ? slot : undefined;
  }

  /** Count a repeat of `slot`'s remembered frame as the duplicate it is: what apply does for one, in the same order. */
  countRepeat(slot: Slot, adv: Advertisement, now: number): Outcome[] {
    const t = this.table;
    const i = slot.i;
    this.totals.frames++;
    t.frames[i]!++;
    t.rssi[i] = adv.rssi;
    t.lastSeen[i] = now;
    t.duplicates[i]!++;
    this.totals.duplicates++;
    const outcome = this.repeatOutcome;
    outcome[0].slot = slot;
    return outcome;
  }

  /** Decode `adv` and apply each reading; remember the frame when a repeat of it is surely a duplicate. */
  decode(adv: Advertisement, now: number): Outcome[] {
    this.totals.frames++;
    const results = decodeAdvertisement(adv.ad, adv.mac, { aes: this.aes, keyFor: this.keyFor });
    const outcomes = results.map((r) => this.apply(adv, r, now));
    this.remember(adv, outcomes, results);
    return outcomes;
  }

  private remember(adv: Advertisement, outcomes: Outcome[], results: DecodeResult[]): void {
    const own = this.slots.get(adv.mac);
    if (own === undefined) return;
    const t = this.table;
    t.frameLength[own.i] = 0;
    const o = outcomes.length === 1 ? outcomes[0]! : undefined;
    const r = results[0]!;
    if (o === undefined || (o.kind !== 'values' && o.kind !== 'duplicate') || o.slot !== own || isError(r)) return;
    // the table's counter directly (NaN when none, never equal): Slot.counter is an accessor
    if (r.counter === null || t.counter[own.i] !== r.counter || adv.ad.length > FRAME_BYTES) return;
    const at = own.i * FRAME_WORDS * 4;
    t.frameBytes.fill(0, at, at + FRAME_WORDS * 4);
    t.frameBytes.set(adv.ad, at);
    t.frameLength[own.i] = adv.ad.length;
    t.flags[own.i] = r.format === 'bthome' ? t.flags[own.i]! | FRAME_NAMES : t.flags[own.i]! & ~FRAME_NAMES;
  }

  private apply(adv: Advertisement, result: DecodeResult, now: number): Outcome {
    if (isError(result)) return this.applyError(adv, now, result);
    let slot = this.slots.get(result.mac);
    if (!slot) {
      const admitted = this.admit(result.mac, parseInt(result.pid ?? '0', 16), now, usableName(result.localName));
      if (typeof admitted === 'string') {
        this.totals.ignored++;
        return { kind: 'ignored', reason: admitted };
      }
      slot = admitted;
    }
    const t = this.table;
    const i = slot.i;
    t.frames[i]!++;
    t.rssi[i] = adv.rssi;
    t.lastSeen[i] = now;
    // Tasmota names BTHome devices by their advertised name when they have one.
    if (slot.name === undefined && result.format === 'bthome' && usableName(result.localName)) slot.name = result.localName;
    // Authenticated frames' counters persist (counter-marks.ts); worked out once per frame.
    const marks = this.marks;
    const markBits = marks !== undefined && result.encrypted && result.counter !== null ? counterBits(result) : 0;
    // First authenticated frame since the start (the table's counter is NaN, Slot.counter's null): the counter starts at the persisted mark.
    if (markBits !== 0 && Number.isNaN(t.counter[i]!)) {
      const mark = marks!.markOf(slot.mac, markBits);
      if (mark !== undefined) slot.counter = mark;
    }
    const verdict = checkCounter(slot, result);
    if (verdict === 'duplicate') {
      t.duplicates[i]!++;
      this.totals.duplicates++;
      return { kind: verdict, slot };
    }
    if (verdict === 'replay') {
      t.replays[i]!++;
      this.totals.replays++;
      return { kind: verdict, slot, reading: result };
    }
    if (markBits !== 0) marks!.advanced(slot.mac, result.counter!, markBits);
    t.decoded[i]!++;
    this.totals.decoded++;
    t.status[i] = 0; // 'ok'
    this.merge(slot, result.values);
    return { kind: 'values', slot, reading: result };
  }

  private applyError(adv: Advertisement, now: number, e: DecodeError): Outcome {
    const { code, error } = e;
    if (code === 'unknown-format') {
      this.totals.ignored++;
      return { kind: 'ignored', reason: 'not-ours' };
    }
    this.totals.errors++;
    const mac = e.mac ?? adv.mac;
    let slot = this.slots.get(mac);
    // A device we cannot decrypt yet still gets a slot, so the user sees it needs a key.
    if (!slot && code === 'no-key' && e.pid) {
      const admitted = this.admit(mac, parseInt(e.pid, 16), now);
      if (typeof admitted !== 'string') slot = admitted;
    }
    const t = this.table;
    if (slot) {
      t.frames[slot.i]!++;
      t.errors[slot.i]!++;
    }
    // A plain frame in a keyed device's name proves nothing about the device: it must
    // not change its status, RSSI or last-heard time (that is what a spoofer would want).
    if (code === 'not-encrypted') {
      if (!e.empty) this.totals.decryptFailures++;
      return { kind: 'error', ...(slot ? { slot } : {}), error, code };
    }
    if (slot) {
      slot.rssi = adv.rssi;
      slot.lastSeen = now;
      if (code === 'no-key') slot.status = 'needs-key';
      if (code === 'wrong-key') {
        slot.status = 'wrong-key';
        t.decryptFailures[slot.i]!++;
      }
    }
    if (code === 'wrong-key') this.totals.decryptFailures++;
    return { kind: 'error', ...(slot ? { slot } : {}), error, code };
  }

  /**
   * A slot for a device heard for the first time (since boot or since it was evicted).
   * Configured devices and those the user gave a key take one from auto-added devices
   * (or from a configured device never heard since boot); auto-added newcomers only
   * from an idle auto-added device. Refused MACs are counted once each in Overflow.
   */
  private admit(mac: string, pid: number, now: number, name?: string): Slot | 'full' | 'auto-add-off' {
    const waiting = this.waiting.get(mac);
    const configured = waiting !== undefined || this.pendingKeys.has(mac);
    if (!configured && !this.autoAdd) return 'auto-add-off';
    if (this.slots.size >= this.limit && !this.evictFor(configured ? 'configured' : 'auto', now)) {
      this.totals.overflow = this.refused.add(mac);
      return 'full';
    }
    const pending = this.pendingKeys.get(mac);
    if (pending) {
      this.pendingKeys.delete(mac);
      this.keys.set(mac, pending);
    }
    this.waiting.delete(mac);
    return this.createSlot(mac, waiting?.pid ?? pid, waiting?.name ?? name, configured);
  }

  /**
   * Free one slot, if the rules allow; true when one was freed. `auto`: a newcomer found
   * by auto-add, which may only take an idle auto-added slot. `configuration`: loading
   * mi32cfg, any auto-added slot. `configured`: a configured device heard, which may also
   * take the slot of a configured device not heard since boot (that one waits instead).
   */
  private evictFor(newcomer: 'auto' | 'configuration' | 'configured', now: number): boolean {
    let victim: Slot | undefined;
    for (const s of this.slots.values()) {
      if (s.configured || this.keys.has(s.mac)) continue;
      if (newcomer === 'auto' && now - s.lastSeen < this.idleMs) continue;
      if (!victim || s.lastSeen < victim.lastSeen) victim = s;
    }
    if (!victim && newcomer === 'configured') {
      // every slot is configured: one never heard since boot makes room, and waits
      for (const s of this.slots.values()) if (s.lastSeen === 0) { victim = s; break; }
    }
    if (!victim) return false;
    this.slots.delete(victim.mac);
    this.inUse[victim.i] = 0;
    const wasConfigured = victim.configured;
    victim.i = -1; // detached: reads as empty from here on
    if (wasConfigured) this.waiting.set(victim.mac, { pid: victim.pid, ...(victim.name ? { name: victim.name } : {}) });
    return true;
  }

  private createSlot(mac: string, pid: number, name: string | undefined, configured: boolean): Slot {
    const i = this.freeIndex();
    this.table.reset(i, pid, configured);
    this.inUse[i] = 1;
    const slot = new Slot(this.table, i, mac, name);
    this.slots.set(mac, slot);
    return slot;
  }

  /** The first free slot number (there is one: callers keep slots.size below limit). */
  private freeIndex(): number {
    const i = this.inUse.indexOf(0);
    if (i < 0) throw new Error('registry: no free slot');
    return i;
  }

  private merge(slot: Slot, values: Values): void {
    const bogusBattery = deviceByPid(slot.pid)?.bogusBattery === true;
    const t = this.table;
    const i = slot.i;
    let urgent = false;
    // Object.keys and a while loop: for-in and for-of cost more per key in XS
    const keys = Object.keys(values) as ValueKey[];
    let k = 0;
    while (k < keys.length) {
      const key = keys[k++]!;
      const value = values[key]!;
      if (bogusBattery && key === 'Battery') continue; // Tasmota: these adverts' battery is not trustworthy
      const id = keyId(key);
      const kind = id >= 0 && keyKinds[id] !== 0 ? keyKinds[id]! : kindOf(key, id);
      if (kind & URGENT || (kind & URGENT_NONZERO && value !== 0)) urgent = true;
      if ((kind & COUNTS_ONE && value === 1) || (kind & COUNTS_CHANGE && slot.values[key] !== value)) t.events[i]!++;
      if (kind & MOMENTARY) slot.setMomentary(key, value);
      else slot.values[key] = value;
      if (id < 0) t.markUpdated(i, id);
      else t.updated[i * UPDATED_WORDS + (id >> 5)] = t.updated[i * UPDATED_WORDS + (id >> 5)]! | (1 << (id & 31));
    }
    if (urgent) slot.urgent = true;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
