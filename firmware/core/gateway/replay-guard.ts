// Frame-counter state of one device: repeats are dropped, and for a keyed device a
// counter that goes backwards is a replay. Only readings that were authenticated
// (Reading.encrypted: the tag verified) reach here for a keyed device: the decoders
// refuse anything else (decoders/types.ts refuseUnauthenticated), so a forged header
// can move neither the counter nor the resync run.

import type { Reading } from '../decoders/types.js';

/** Consecutive authenticated frames with rising counters, all behind the stored one, that resync a reset device. */
export const RESYNC_RUN = 3;

export interface CounterState {
  counter: number | null;
  /** The run of encrypted frames behind `counter` (a device reset shows as one): its length and last counter. */
  behindCount: number;
  behindLast: number | null;
}

export type CounterVerdict = 'new' | 'duplicate' | 'replay';

/**
 * Same counter as last time: the device repeats frames, so it is a duplicate. For
 * encrypted frames a counter behind the last one is a replay, unless RESYNC_RUN
 * authenticated frames in a row rise from there (the device was reset). Any frame ahead
 * of the stored counter breaks the run, so a replayed run must fit between two live frames.
 */
export function checkCounter(state: CounterState, r: Reading): CounterVerdict {
  if (r.counter === null) return 'new';
  const last = state.counter;
  if (last === null) {
    state.counter = r.counter;
    return 'new';
  }
  const span = 2 ** counterBits(r);
  const diff = (((r.counter - last) % span) + span) % span;
  if (diff === 0) return 'duplicate';
  if (diff < span / 2 || !r.encrypted) {
    state.counter = r.counter;
    state.behindCount = 0;
    state.behindLast = null;
    return 'new';
  }
  const behindLast = state.behindLast;
  if (behindLast !== null && r.counter === behindLast) return 'duplicate';
  state.behindCount = behindLast !== null && r.counter > behindLast ? state.behindCount + 1 : 1;
  state.behindLast = r.counter;
  if (state.behindCount >= RESYNC_RUN) {
    state.counter = r.counter;
    state.behindCount = 0;
    state.behindLast = null;
    return 'new';
  }
  return 'replay';
}

/** Width of the counter a format carries, for wrap-around comparison. */
export function counterBits(r: Reading): number {
  if (r.format === 'mibeacon' && r.encrypted) return 32;
  if (r.format === 'bthome' && r.encrypted) return 32;
  return 8;
}
