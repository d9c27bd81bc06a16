// Replay protection across restarts: the frame counter of every keyed device survives a
// reboot without writing the flash at every frame. As counters in key stores do, a mark
// is written a window ahead of the live counter (counter + WINDOW) and rewritten only when
// the live counter reaches it: one write per WINDOW frames of a device. After a restart a
// device's counter starts at its mark, so a frame captured before the restart (its counter
// is at most the live one, below the mark) is a replay. The device's own next frames are
// below the mark too: they are rejected until the resync run of replay-guard.ts (RESYNC_RUN
// authenticated frames with rising counters) takes the device back, as after a battery change.
//
// counters.json: {"<MAC>":[mark, bits], ...}, written atomically; checked again when read.

import type { Log, Store } from '../host.js';
import { utf8Encode } from '../mqtt/utf8.js';
import { writeAtomic } from '../store/atomic.js';
import { readJsonObject } from '../store/json-file.js';

export const MARKS_FILE = 'counters.json';
/** How far ahead the mark is written, by counter width: 32-bit MiBeacon/BTHome counters, 8-bit ATC/pvvx. */
export const MARK_WINDOW: Readonly<Record<number, number>> = { 32: 1024, 8: 64 };
/** Devices kept at most (the registry holds up to 512; keyed ones waiting for a slot too). */
const MAX_MARKS = 1024;
const MAX_FILE_BYTES = 64 * 1024;

interface Mark { mark: number; bits: number }

/** A mark and its counter width in one number (mark * 2 + 1 for 32 bits): a Map entry per device, no object. */
const pack = (m: Mark): number => m.mark * 2 + (m.bits === 32 ? 1 : 0);
const unpack = (v: number): Mark => ({ mark: Math.floor(v / 2), bits: v % 2 === 1 ? 32 : 8 });

/** What the registry asks (RegistryOptions.marks). */
export interface CounterMarkPort {
  /** The persisted mark of `mac` for a counter of `bits` bits, if any: a restarted gateway takes only counters past it. */
  markOf(mac: string, bits: number): number | undefined;
  /** An authenticated frame moved the counter of `mac` to `counter`. */
  advanced(mac: string, counter: number, bits: number): void;
  /** A new key: the device's counter history starts again. */
  forget(mac: string): void;
}

export class CounterMarks implements CounterMarkPort {
  private readonly marks = new Map<string, number>();
  /** Saves done (tests and the README's writes-a-day figure). */
  writes = 0;
  private saveFailed = false;

  constructor(private readonly store: Store, private readonly log: Log) {}

  load(): string[] {
    const { value, problems } = readJsonObject(this.store, MARKS_FILE, MAX_FILE_BYTES, 2, '');
    if (value) {
      for (const [mac, entry] of Object.entries(value)) {
        const mark = checkedMark(mac, entry);
        if (typeof mark === 'string') problems.push(`${MARKS_FILE}: ${mark}; ignored`);
        else if (this.marks.size < MAX_MARKS) this.marks.set(mac, pack(mark));
      }
    }
    // A mark that could not be read only weakens the guard to what it is without one (RAM only).
    for (const p of problems) this.log.warn(`${p} (replay protection for those devices starts again from their next frame)`);
    return problems;
  }

  markOf(mac: string, bits: number): number | undefined {
    const v = this.marks.get(mac);
    if (v === undefined) return undefined;
    const m = unpack(v);
    return m.bits === bits ? m.mark : undefined;
  }

  advanced(mac: string, counter: number, bits: number): void {
    const v = this.marks.get(mac);
    // This runs per keyed frame and almost always returns here: the width is the low bit,
    // compared before anything is unpacked, and no Math call (v is a whole number).
    const low = bits === 32 ? 1 : 0;
    if (v !== undefined && v % 2 === low) {
      const span = bits === 32 ? 4294967296 : 256;
      // How far the mark is ahead of the counter, modulo the counter's range.
      let ahead = (v - low) / 2 - counter;
      if (ahead < 0 || ahead >= span) ahead = ((ahead % span) + span) % span;
      // Below the mark (within half the counter's range): the mark still covers it.
      if (ahead !== 0 && ahead < span / 2) return;
    }
    const span = 2 ** bits;
    if (v === undefined && this.marks.size >= MAX_MARKS) return;
    this.marks.set(mac, pack({ mark: (counter + (MARK_WINDOW[bits] ?? MARK_WINDOW[8]!)) % span, bits }));
    this.save();
  }

  forget(mac: string): void {
    if (this.marks.delete(mac)) this.save();
  }

  private save(): void {
    const out: Record<string, [number, number]> = {};
    for (const [mac, v] of this.marks) {
      const m = unpack(v);
      out[mac] = [m.mark, m.bits];
    }
    try {
      writeAtomic(this.store, MARKS_FILE, utf8Encode(JSON.stringify(out)));
      this.writes++;
      this.saveFailed = false;
    } catch (e) {
      // The guard keeps working in RAM; only a restart would forget. Said once, not per frame.
      if (!this.saveFailed) this.log.warn(`${(e as Error).message}: replay protection holds until the next restart only`);
      this.saveFailed = true;
    }
  }
}

function checkedMark(mac: string, value: unknown): Mark | string {
  if (!/^[0-9A-F]{12}$/.test(mac)) return `"${mac.slice(0, 20)}" is not a MAC`;
  if (!Array.isArray(value) || value.length !== 2) return `${mac}: expected [mark, bits]`;
  const [mark, bits] = value as unknown[];
  if (bits !== 8 && bits !== 32) return `${mac}: counter width must be 8 or 32`;
  if (typeof mark !== 'number' || !Number.isInteger(mark) || mark < 0 || mark >= 2 ** bits) return `${mac}: mark out of range`;
  return { mark, bits };
}
