// mi32cfg: the device list and keys, in Tasmota's JSON shape, so a file written by
// Tasmota loads here and the reverse:
//   [{"MAC":"A4C138AABBCC","PID":"055b","key":"00112233445566778899AABBCCDDEEFF"}, ...]
// MAC: 12 hex (uppercase on save), PID: 4 hex read as big-endian text (lowercase on
// save), key: "" or 32 hex (uppercase on save), name: optional override, feat:
// Tasmota's feature bits (kept across a save, not used here).
// Unlike Tasmota, one bad entry is reported and skipped instead of ending the parse, a
// truncated file gives back its complete entries, and the load buffer has no 2 KB limit.

import { fromHex, hex4, normalizeMac, toHex } from '../bytes/hex.js';
import type { Store } from '../host.js';
import { utf8Encode } from '../mqtt/utf8.js';
import { writeAtomic } from '../store/atomic.js';
import { jsonDepthProblem, keepAside, readStoredText } from '../store/read-text.js';
import { deviceNameProblem } from './validate.js';

export const MI32CFG_FILE = 'mi32cfg';
/** Tasmota keeps the file under 2 KB; 64 KB holds hundreds of devices and bounds the parse. */
export const MI32CFG_MAX_BYTES = 65_536;
/** An array of flat objects: anything deeper is not a mi32cfg, and could overflow XS's stack. */
const MAX_DEPTH = 2;

export interface ConfigEntry {
  mac: string;
  pid: number;
  /** 16-byte bind key (or IRK for PID 0000), if any. */
  key?: Uint8Array;
  name?: string;
  /** Tasmota's feature bitmask (which values a slot shows); not used here, kept so a save does not lose it. */
  feat?: number;
}

export interface ConfigLoad {
  entries: ConfigEntry[];
  /** Human-readable problems: bad entries, corrupt file (and where it was kept). */
  problems: string[];
  /** The file existed (even if partly unreadable). */
  found: boolean;
}

/** Validate one raw JSON entry; a string is the reason it is unusable. */
export function parseEntry(raw: unknown, problems: string[] = []): ConfigEntry | string {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return 'entry is not an object';
  const e = raw as Record<string, unknown>;
  if (typeof e.MAC !== 'string' || !/^[0-9a-fA-F]{12}$/.test(e.MAC)) return `MAC ${JSON.stringify(e.MAC)} is not 12 hex digits`;
  if (typeof e.PID !== 'string' || !/^[0-9a-fA-F]{4}$/.test(e.PID)) return `PID ${JSON.stringify(e.PID)} of ${e.MAC} is not 4 hex digits`;
  const entry: ConfigEntry = { mac: normalizeMac(e.MAC)!, pid: parseInt(e.PID, 16) };
  if (e.key !== undefined && e.key !== '') {
    if (typeof e.key !== 'string' || !/^[0-9a-fA-F]{32}$/.test(e.key)) return `key of ${e.MAC} must be "" or 32 hex digits`;
    entry.key = fromHex(e.key)!;
  }
  if (e.name !== undefined && e.name !== '') {
    if (typeof e.name !== 'string') return `name of ${e.MAC} must be a string`;
    // A bad name loses only the name: the entry (and its key) stays, under Tasmota's default name.
    const problem = deviceNameProblem(e.name);
    if (problem) problems.push(`${e.MAC}: ${problem}; the default name is used`);
    else entry.name = e.name;
  }
  if (e.feat !== undefined) {
    // Tasmota's uint32 bitfield; a bad one loses only the field.
    if (typeof e.feat === 'number' && Number.isInteger(e.feat) && e.feat >= 0 && e.feat <= 0xffffffff) entry.feat = e.feat;
    else problems.push(`${e.MAC}: feat ${JSON.stringify(e.feat).slice(0, 20)} is not a feature bitmask (0-4294967295); dropped`);
  }
  return entry;
}

/** Parse file text. A whole-file JSON error falls back to salvaging each complete {...} entry. */
export function parseConfigText(text: string): { entries: ConfigEntry[]; problems: string[]; corrupt: boolean } {
  const problems: string[] = [];
  let raws: unknown[];
  let corrupt = false;
  const tooDeep = jsonDepthProblem(text, MAX_DEPTH);
  if (tooDeep) return { entries: [], problems: [`mi32cfg is not a device list: ${tooDeep}`], corrupt: true };
  try {
    const parsed: unknown = JSON.parse(text);
    if (!Array.isArray(parsed)) return { entries: [], problems: ['mi32cfg is not a JSON array'], corrupt: true };
    raws = parsed;
  } catch (e) {
    corrupt = true;
    problems.push(`mi32cfg is not valid JSON (${(e as Error).message}); reading the entries that are complete`);
    raws = [];
    for (const m of text.match(/\{[^{}]*\}/g) ?? []) {
      try {
        raws.push(JSON.parse(m));
      } catch {
        problems.push(`unreadable entry ${m.slice(0, 40)}`);
      }
    }
  }
  const byMac = new Map<string, ConfigEntry>();
  for (const raw of raws) {
    const entry = parseEntry(raw, problems);
    if (typeof entry === 'string') problems.push(entry);
    else {
      const first = byMac.get(entry.mac);
      if (first) problems.push(mergeDuplicate(first, entry));
      else byMac.set(entry.mac, entry);
    }
  }
  return { entries: [...byMac.values()], problems, corrupt };
}

/**
 * A MAC listed twice becomes one device: the first entry's PID, and whichever key and
 * name were given (a key is the one thing that cannot be typed again from the device;
 * two different keys: the later one, as Tasmota's load applies them in order).
 */
function mergeDuplicate(first: ConfigEntry, later: ConfigEntry): string {
  let note = 'merged';
  if (later.key) {
    if (first.key && !sameKey(first.key, later.key)) note = 'merged; it had two different keys, the later one is used';
    first.key = later.key;
  }
  if (first.name === undefined && later.name !== undefined) first.name = later.name;
  return `${first.mac} is listed twice; ${note}`;
}

function sameKey(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Load mi32cfg from the store. A corrupt file is renamed aside (never overwritten, so
 * the only copy survives) and its readable entries are used.
 */
export function loadConfig(store: Store): ConfigLoad {
  const read = readStoredText(store, MI32CFG_FILE, MI32CFG_MAX_BYTES);
  const problems = read.problems.slice();
  if (read.kind === 'absent') return { entries: [], problems, found: false };
  if (read.kind === 'bad') return { entries: [], problems, found: true };
  const parsed = parseConfigText(read.text);
  problems.push(...parsed.problems);
  if (parsed.corrupt) problems.push(`corrupt mi32cfg ${keepAside(store, MI32CFG_FILE)}; ${parsed.entries.length} entries recovered`);
  return { entries: parsed.entries, problems, found: true };
}

/** Tasmota's file text: one object per line inside the array. */
export function formatConfig(entries: readonly ConfigEntry[]): string {
  const lines = entries.map((e) => {
    const o: Record<string, string | number> = { MAC: e.mac, PID: hex4(e.pid), key: e.key ? toHex(e.key).toUpperCase() : '' };
    if (e.name) o.name = e.name;
    if (e.feat !== undefined) o.feat = e.feat; // Tasmota's order: MAC, PID, key, name, feat
    return JSON.stringify(o);
  });
  return '[\n' + lines.join(',\n') + '\n]\n';
}

export function saveConfig(store: Store, entries: readonly ConfigEntry[]): void {
  writeAtomic(store, MI32CFG_FILE, utf8Encode(formatConfig(entries)));
}
