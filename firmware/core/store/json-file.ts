// A small JSON file (devices.json, upload.json, settings.json, counters.json, mitokens, HomeKit's state): read at start without letting it
// stop the start, and saved atomically. What is unreadable, too large, too deep or not an
// object is reported and kept aside; the caller checks each field and uses its defaults.

import type { Store } from '../host.js';
import { utf8Encode } from '../mqtt/utf8.js';
import { writeAtomic } from './atomic.js';
import { jsonDepthProblem, keepAside, readStoredText } from './read-text.js';

export interface JsonFileRead {
  /** The object, or undefined when the file is absent or unusable. */
  value: Record<string, unknown> | undefined;
  problems: string[];
}

/**
 * `instead` says what the caller does without the file; it ends the problem of a file that
 * is not a JSON object ('' leaves it off, for callers that add their own ending).
 */
export function readJsonObject(store: Store, name: string, maxBytes: number, maxDepth: number, instead = 'using defaults'): JsonFileRead {
  const read = readStoredText(store, name, maxBytes);
  const problems = read.problems.slice();
  if (read.kind !== 'text') return { value: undefined, problems };
  try {
    const tooDeep = jsonDepthProblem(read.text, maxDepth);
    if (tooDeep) throw new Error(tooDeep);
    const raw: unknown = JSON.parse(read.text);
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new Error('not a JSON object');
    return { value: raw as Record<string, unknown>, problems };
  } catch (e) {
    problems.push(`${name} is not valid (${(e as Error).message}); ${keepAside(store, name)}${instead ? `; ${instead}` : ''}`);
    return { value: undefined, problems };
  }
}

/** Throws StoreWriteError when the flash refuses: callers save first and change state after. */
export function writeJsonObject(store: Store, name: string, value: unknown): void {
  writeAtomic(store, name, utf8Encode(JSON.stringify(value)));
}
