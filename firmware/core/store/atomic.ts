// Atomic saves over the Store port: write a temp file, then rename it over the target.
// A power cut leaves either the old file or the new one, plus maybe a stray temp file,
// which the next boot resolves (recoverAtomic).

import type { Store } from '../host.js';

const TEMP_SUFFIX = '.tmp';

/** A save that did not happen (read-only or full flash, a directory in the way); the old file is intact. */
export class StoreWriteError extends Error {}

export function writeAtomic(store: Store, name: string, data: Uint8Array): void {
  const temp = name + TEMP_SUFFIX;
  try {
    store.write(temp, data);
    store.rename(temp, name);
  } catch (e) {
    // Best effort: a half-written temp would only be discarded at the next boot anyway.
    try {
      if (store.exists(temp)) store.remove(temp);
    } catch {
      // nothing more to do; the target was never touched
    }
    throw new StoreWriteError(`could not save ${name}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * Finish or discard an interrupted save. If only the temp file exists the rename never
 * happened after a complete write-and-close of a first save: finish it. If both exist,
 * the target is the last complete save and the temp may be partial: discard the temp.
 */
export function recoverAtomic(store: Store, name: string): 'none' | 'finished' | 'discarded' {
  const temp = name + TEMP_SUFFIX;
  if (!store.exists(temp)) return 'none';
  if (store.exists(name)) {
    store.remove(temp);
    return 'discarded';
  }
  store.rename(temp, name);
  return 'finished';
}

/** A free name to keep a bad file aside under: name.bad, name.bad1, ... — never overwrites. */
export function asideName(store: Store, name: string): string {
  let candidate = name + '.bad';
  for (let n = 1; store.exists(candidate); n++) candidate = `${name}.bad${n}`;
  return candidate;
}
