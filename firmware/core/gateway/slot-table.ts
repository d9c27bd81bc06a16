// What the registry keeps per device, laid out for a small heap (issue 11): the numbers
// every device has (counters, RSSI, last heard, frame counter, status, flags, which values
// changed, the last frame's bytes) live in typed arrays owned by the registry and indexed
// by slot number, allocated once for `limit` slots. A Slot object holds only what differs
// in shape per device (MAC, name, values) and reads the rest through accessors, so the
// rest of the code keeps writing `slot.rssi` or `slot.counter`.
//
// On a 32-bit XS an object costs one 16-byte slot plus one per property, a Set or nested
// object several more: a device used to hold some 50 of them. The arrays below cost
// BYTES_PER_SLOT bytes per slot, whether or not the slot is in use.

import type { Values } from '../decoders/types.js';
import type { ValueKey } from '../values/keys.js';
import { deviceByPid, unknownDeviceName } from '../devices/table.js';
import { keyId, knownKeyId, MAX_KEY_IDS } from '../values/key-ids.js';

/** Longest frame kept for the repeat comparison: a legacy advertisement's 31 bytes. */
export const FRAME_BYTES = 31;
/**
 * Each remembered frame takes 8 words, zero after its end: an advertisement copied into a
 * scratch buffer of the same layout (one native call) is compared a word at a time, a
 * quarter of the loop steps of a byte compare.
 */
export const FRAME_WORDS = 8; // Registry.repeatedSlot compares exactly 8 words, unrolled
export const UPDATED_WORDS = MAX_KEY_IDS / 32;

const STATUS = ['ok', 'needs-key', 'wrong-key'] as const;
export type SlotStatus = (typeof STATUS)[number];

// flags
const URGENT = 1;
const CONFIGURED = 2;
/** A value key without a number was updated: report every key as updated. */
const UPDATED_ALL = 4;
/** The remembered frame is BTHome: a repeat may name a device without a name (decode it then). */
export const FRAME_NAMES = 8;

export interface SlotStats {
  frames: number;
  decoded: number;
  duplicates: number;
  replays: number;
  decryptFailures: number;
  errors: number;
}

/** Bytes of typed arrays per slot (what `new SlotTable(limit)` allocates, divided by limit). */
export const BYTES_PER_SLOT = 7 * 4 + 3 * 8 + 2 + 2 + 3 + UPDATED_WORDS * 4 + 1 + FRAME_WORDS * 4 + 1; // + 1: the registry's inUse byte

export class SlotTable {
  readonly frames: Uint32Array;
  readonly decoded: Uint32Array;
  readonly duplicates: Uint32Array;
  readonly replays: Uint32Array;
  readonly decryptFailures: Uint32Array;
  readonly errors: Uint32Array;
  /** Motion and door events since boot (Tasmota's "Events"). */
  readonly events: Uint32Array;
  /** ms (Clock) of the last frame, 0 = never heard since boot. */
  readonly lastSeen: Float64Array;
  /** The frame counter; NaN = none yet. */
  readonly counter: Float64Array;
  /** Last counter of the run of authenticated frames behind `counter`; NaN = none. */
  readonly behindLast: Float64Array;
  readonly rssi: Int16Array;
  readonly pid: Uint16Array;
  readonly status: Uint8Array;
  readonly flags: Uint8Array;
  readonly behindCount: Uint8Array;
  /** One bit per value key id (key-ids.ts): updated since the last publish. */
  readonly updated: Uint32Array;
  /** Length of the remembered frame in `frame`; 0 = none. */
  readonly frameLength: Uint8Array;
  /** The last frame, FRAME_WORDS per slot (zero after its end), remembered when a repeat of it is surely a duplicate. */
  readonly frameWords: Uint32Array;
  /** The same memory as bytes, to store a frame. */
  readonly frameBytes: Uint8Array;

  constructor(readonly size: number) {
    this.frames = new Uint32Array(size);
    this.decoded = new Uint32Array(size);
    this.duplicates = new Uint32Array(size);
    this.replays = new Uint32Array(size);
    this.decryptFailures = new Uint32Array(size);
    this.errors = new Uint32Array(size);
    this.events = new Uint32Array(size);
    this.lastSeen = new Float64Array(size);
    this.counter = new Float64Array(size);
    this.behindLast = new Float64Array(size);
    this.rssi = new Int16Array(size);
    this.pid = new Uint16Array(size);
    this.status = new Uint8Array(size);
    this.flags = new Uint8Array(size);
    this.behindCount = new Uint8Array(size);
    this.updated = new Uint32Array(size * UPDATED_WORDS);
    this.frameLength = new Uint8Array(size);
    this.frameWords = new Uint32Array(size * FRAME_WORDS);
    this.frameBytes = new Uint8Array(this.frameWords.buffer);
  }

  /** Mark value key `id` (key-ids.ts) of slot `i` updated; -1 (no id): every key counts as updated. */
  markUpdated(i: number, id: number): void {
    if (id < 0) this.flags[i] = this.flags[i]! | UPDATED_ALL;
    else this.updated[i * UPDATED_WORDS + (id >> 5)] = this.updated[i * UPDATED_WORDS + (id >> 5)]! | (1 << (id & 31));
  }

  /** Make slot `i` as new for a device. */
  reset(i: number, pid: number, configured: boolean): void {
    this.frames[i] = this.decoded[i] = this.duplicates[i] = this.replays[i] = this.decryptFailures[i] = this.errors[i] = this.events[i] = 0;
    this.lastSeen[i] = 0;
    this.counter[i] = this.behindLast[i] = NaN;
    this.rssi[i] = 0;
    this.pid[i] = pid;
    this.status[i] = 0;
    this.flags[i] = configured ? CONFIGURED : 0;
    this.behindCount[i] = 0;
    this.updated.fill(0, i * UPDATED_WORDS, (i + 1) * UPDATED_WORDS);
    this.frameLength[i] = 0;
  }
}

/** The keys of one slot's values updated since the last publish (a view over the table's bits). */
export class UpdatedKeys {
  constructor(private readonly t: SlotTable, private readonly i: number) {}

  has(key: string): boolean {
    if (this.t.flags[this.i]! & UPDATED_ALL) return true;
    const id = knownKeyId(key);
    return id >= 0 && (this.t.updated[this.i * UPDATED_WORDS + (id >> 5)]! & (1 << (id & 31))) !== 0;
  }

  add(key: string): void {
    this.t.markUpdated(this.i, keyId(key));
  }

  /** How many keys are marked (at least 1 when every key counts as updated). */
  get size(): number {
    let n = this.t.flags[this.i]! & UPDATED_ALL ? 1 : 0;
    for (let w = 0; w < UPDATED_WORDS; w++) {
      let bits = this.t.updated[this.i * UPDATED_WORDS + w]!;
      while (bits !== 0) {
        bits &= bits - 1;
        n++;
      }
    }
    return n;
  }

  clear(): void {
    this.t.updated.fill(0, this.i * UPDATED_WORDS, (this.i + 1) * UPDATED_WORDS);
    this.t.flags[this.i] = this.t.flags[this.i]! & ~UPDATED_ALL;
  }
}

/**
 * One tracked device. Own properties: the table, the slot number, MAC and values, plus the
 * name and momentary values only while there are some. Everything else is in the table.
 * A slot that was evicted is detached (index -1): it reads as empty and keeps no writes.
 */
export class Slot {
  /** Name override (mi32cfg "name", MI32Name, or a BTHome local name); own property only when set. */
  declare name?: string;
  /** Momentary values not yet published; own property only when there are some (see `momentary`). */
  declare private m?: Values;
  values: Values = {};

  /** `i`: the slot number, the index into the table's arrays; -1 once evicted (set by the registry only). */
  constructor(private readonly t: SlotTable, public i: number, readonly mac: string, name: string | undefined) {
    if (name) this.name = name;
  }

  get pid(): number { return this.t.pid[this.i] ?? 0; }
  get model(): string { return deviceByPid(this.pid)?.model ?? unknownDeviceName(this.pid); }
  get type(): string { return deviceByPid(this.pid)?.name ?? unknownDeviceName(this.pid); }

  /** Momentary values of the last frame(s) not yet published (a press, a turn): sent once. */
  get momentary(): Values { return this.m ?? {}; }
  set momentary(v: Values) {
    if (Object.keys(v).length > 0) this.m = v;
    else delete this.m;
  }
  setMomentary(key: ValueKey, value: number | string): void {
    (this.m ??= {})[key] = value;
  }

  /** Keys updated since the last publish (for MI32Option0 0); non-empty = something to send. */
  get updated(): UpdatedKeys { return new UpdatedKeys(this.t, this.i); }
  /** Something to send: a value updated (momentary ones are marked too) since the last publish. */
  get hasUpdates(): boolean {
    const { t, i } = this;
    if (t.flags[i]! & UPDATED_ALL) return true;
    for (let w = i * UPDATED_WORDS; w < (i + 1) * UPDATED_WORDS; w++) if (t.updated[w] !== 0) return true;
    return false;
  }

  /** An event Tasmota always publishes at once is waiting. */
  get urgent(): boolean { return (this.t.flags[this.i]! & URGENT) !== 0; }
  set urgent(v: boolean) { this.setFlag(URGENT, v); }
  /**
   * The user listed this device (mi32cfg, MI32Cfg) or gave it a key (MI32Key): its slot is
   * reserved, auto-added devices can never take it.
   */
  get configured(): boolean { return (this.t.flags[this.i]! & CONFIGURED) !== 0; }
  set configured(v: boolean) { this.setFlag(CONFIGURED, v); }

  get events(): number { return this.t.events[this.i] ?? 0; }
  set events(v: number) { this.t.events[this.i] = v; }
  get rssi(): number { return this.t.rssi[this.i] ?? 0; }
  set rssi(v: number) { this.t.rssi[this.i] = v; }
  /** ms (Clock) of the last frame, 0 = never heard since boot. */
  get lastSeen(): number { return this.t.lastSeen[this.i] ?? 0; }
  set lastSeen(v: number) { this.t.lastSeen[this.i] = v; }
  get status(): SlotStatus { return STATUS[this.t.status[this.i] ?? 0]!; }
  set status(v: SlotStatus) { this.t.status[this.i] = STATUS.indexOf(v); }

  /** The frame counter; changing it forgets the remembered frame (its repeat may no longer be a duplicate). */
  get counter(): number | null {
    const c = this.t.counter[this.i];
    return c === undefined || c !== c ? null : c;
  }
  set counter(v: number | null) {
    this.t.counter[this.i] = v === null ? NaN : v;
    this.t.frameLength[this.i] = 0;
  }
  /** Counters of encrypted frames that were behind `counter`: a device reset shows as a run of them. */
  get behindCount(): number { return this.t.behindCount[this.i] ?? 0; }
  set behindCount(v: number) { this.t.behindCount[this.i] = v; }
  get behindLast(): number | null {
    const c = this.t.behindLast[this.i];
    return c === undefined || c !== c ? null : c;
  }
  set behindLast(v: number | null) { this.t.behindLast[this.i] = v === null ? NaN : v; }
  /** A copy, for reading: { count, last }. */
  get behind(): { count: number; last: number | null } { return { count: this.behindCount, last: this.behindLast }; }

  /** A copy of the counters, for reading (the registry counts in the table). */
  get stats(): SlotStats {
    const { t, i } = this;
    return { frames: t.frames[i] ?? 0, decoded: t.decoded[i] ?? 0, duplicates: t.duplicates[i] ?? 0, replays: t.replays[i] ?? 0, decryptFailures: t.decryptFailures[i] ?? 0, errors: t.errors[i] ?? 0 };
  }

  private setFlag(flag: number, on: boolean): void {
    this.t.flags[this.i] = on ? this.t.flags[this.i]! | flag : this.t.flags[this.i]! & ~flag;
  }
}
