// Reading a stored text file at start without letting it stop the start: a file that
// cannot be read (a directory in its place, an I/O error), is too large, is not UTF-8 or
// nests too deep for the engine's stack is kept aside (never deleted: it may be the
// user's only copy) and reported, and the caller goes on with its defaults.

import type { Store } from '../host.js';
import { utf8Decode } from '../mqtt/utf8.js';
import { asideName, recoverAtomic } from './atomic.js';

export type TextRead =
  | { kind: 'absent'; problems: string[] }
  | { kind: 'text'; text: string; problems: string[] }
  | { kind: 'bad'; problems: string[] };

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Moves `name` aside as name.bad[N]; says where, or why it could not. */
export function keepAside(store: Store, name: string): string {
  try {
    const aside = asideName(store, name);
    store.rename(name, aside);
    return `kept as ${aside}`;
  } catch (e) {
    return `could not be moved aside (${message(e)}); it is ignored`;
  }
}

/**
 * Reads `name` (finishing or discarding an interrupted atomic save first) and decodes it
 * as strict UTF-8. Never throws: every failure is a problem in the result.
 */
export function readStoredText(store: Store, name: string, maxBytes: number): TextRead {
  const problems: string[] = [];
  try {
    const recovery = recoverAtomic(store, name);
    if (recovery === 'finished') problems.push(`${name}: finished a save that was interrupted`);
  } catch (e) {
    // E.g. a directory named name.tmp: it cannot be removed or renamed over the file.
    problems.push(`${name}.tmp is unreadable (${message(e)}); ${keepAside(store, `${name}.tmp`)}`);
  }
  let bytes: Uint8Array | undefined;
  try {
    bytes = store.read(name);
  } catch (e) {
    problems.push(`${name} cannot be read (${message(e)}); ${keepAside(store, name)}`);
    return { kind: 'bad', problems };
  }
  if (!bytes) return { kind: 'absent', problems };
  if (bytes.length > maxBytes) {
    problems.push(`${name} is ${bytes.length} bytes, over the limit of ${maxBytes}; ${keepAside(store, name)}`);
    return { kind: 'bad', problems };
  }
  try {
    return { kind: 'text', text: utf8Decode(bytes), problems };
  } catch (e) {
    problems.push(`${name} is not valid UTF-8 (${message(e)}); ${keepAside(store, name)}`);
    return { kind: 'bad', problems };
  }
}

/**
 * JSON.parse recurses per nesting level, and XS on an ESP32 has a few hundred stack
 * slots: 10 KB of "[" would reset the board. Our files nest 2 levels; refuse deeper text
 * before parsing it. Brackets inside strings do not count.
 */
export function jsonDepthProblem(text: string, maxDepth: number): string | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) return `JSON nests deeper than ${maxDepth} levels at offset ${i}`;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return undefined;
}
