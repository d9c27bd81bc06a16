// Sensors re-send their last reading in every advertising event until they measure
// again, so most Xiaomi advertisements are byte-identical repeats. This filter recognises
// a repeat of a device's last frame by comparing bytes, before any decode, and gives the
// outcome the registry would have given: a duplicate, counted as one.
//
// A prototype beside the registry (phase 1 of issue 11): it reads and updates a slot's
// counters the way Registry.apply does for a duplicate. Phase 2 moves the comparison into
// the registry's slot and drops this module.
//
// When is a repeat surely a duplicate? The decode is a pure function of the bytes, the
// sender MAC and the bind key, so the same bytes from the same MAC with the same key give
// the same reading; the registry calls it a duplicate when the reading's counter equals
// the slot's counter (checkCounter: difference 0). So a frame is remembered only when its
// single outcome left slot.counter equal to its counter, and a repeat takes the fast path
// only while the slot is still registered, its counter unchanged and its key the same
// object. Anything else (an error, no counter, two service data elements, a key change,
// a new frame) goes through the decode as before.

import type { Advertisement, Outcome, Registry } from './registry.js';
import { usableName } from './validate.js';

type Duplicate = Extract<Outcome, { kind: 'duplicate' | 'replay' }>;

/** Few fields: one of these is held per device (its slot and counter are in the outcome). */
interface LastFrame {
  /** A copy of the advertisement bytes. */
  ad: Uint8Array;
  /** The duplicate outcome, made once: [{ kind: 'duplicate', slot, reading }]. */
  outcome: [Duplicate];
  key: Uint8Array | undefined;
}

export class RepeatFilter {
  private readonly last = new Map<string, LastFrame>();

  constructor(private readonly registry: Registry) {}

  /**
   * The registry's outcome for `adv` when it repeats the sender's last frame and nothing
   * that decides the verdict changed (counted as the registry counts a duplicate);
   * undefined when it must be decoded.
   */
  repeat(adv: Advertisement, now: number): Outcome[] | undefined {
    const last = this.last.get(adv.mac);
    if (last === undefined || !sameBytes(last.ad, adv.ad)) return undefined;
    const { slot, reading } = last.outcome[0];
    const registry = this.registry;
    if (registry.slots.get(slot.mac) !== slot || slot.counter !== reading.counter || registry.keys.get(slot.mac) !== last.key) {
      this.last.delete(adv.mac);
      return undefined;
    }
    // What Registry.ingest and apply do for a duplicate, in the same order.
    registry.totals.frames++;
    slot.stats.frames++;
    slot.rssi = adv.rssi;
    slot.lastSeen = now;
    if (slot.name === undefined && reading.format === 'bthome' && usableName(reading.localName)) slot.name = reading.localName;
    slot.stats.duplicates++;
    registry.totals.duplicates++;
    return last.outcome;
  }

  /** After the registry took `adv`: remember it when a byte-identical repeat would surely be a duplicate. */
  remember(adv: Advertisement, outcomes: Outcome[]): void {
    const o = outcomes.length === 1 ? outcomes[0]! : undefined;
    if (o === undefined || (o.kind !== 'values' && o.kind !== 'duplicate') || o.reading.counter === null || o.slot.counter !== o.reading.counter) {
      this.last.delete(adv.mac);
      return;
    }
    const previous = this.last.get(adv.mac);
    if (previous !== undefined && o.kind === 'duplicate' && previous.outcome[0].slot === o.slot && sameBytes(previous.ad, adv.ad)) return;
    // Bounded by the registry: only advertisements that reached a slot are remembered.
    this.last.set(adv.mac, {
      ad: adv.ad.slice(),
      outcome: [{ kind: 'duplicate', slot: o.slot, reading: o.reading }],
      key: this.registry.keys.get(o.slot.mac),
    });
    if (this.last.size > this.registry.limit) this.last.delete(this.last.keys().next().value!);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
