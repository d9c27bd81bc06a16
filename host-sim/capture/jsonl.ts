// JSONL captures: one advertisement per line,
//   {"t": 1234, "mac": "A4:C1:38:AA:BB:CC", "addrType": "public", "rssi": -71, "ad": "0201060f16..."}
// t: ms since capture start (>= 0, may be fractional); mac: any common notation (colons,
// dashes, plain; any case), normalised to "A4C138AABBCC"; addrType: "public" | "random"
// or 0 | 1 as HCI numbers them (absent: "public"); rssi: integer dBm; ad: the raw
// advertising payload in hex.
//
// Errors are returned, not thrown: every bad line becomes one CaptureError with its
// 1-based line number and reading goes on with the next line. Blank lines and lines
// starting with '#' are skipped (hand-written captures like comments).

import { fromHex, normalizeMac, toHex } from '../../firmware/core/bytes/hex.js';
import type { CaptureError, CaptureResult, CapturedAdvertisement } from './types.js';

/** Longest advertising data the LE spec allows (extended advertising, all fragments). */
export const MAX_AD_LENGTH = 1650;

/**
 * Parse one line. Returns undefined for blank and comment lines, a CaptureError (with
 * `line` set) for a bad one.
 */
export function parseJsonlLine(text: string, line: number): CapturedAdvertisement | CaptureError | undefined {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return undefined;
  const bad = (error: string): CaptureError => ({ error, line });
  let obj: unknown;
  try {
    obj = JSON.parse(trimmed);
  } catch (e) {
    return bad(`not valid JSON (${(e as Error).message})`);
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return bad('expected a JSON object {"t","mac","addrType","rssi","ad"}');
  const o = obj as Record<string, unknown>;

  if (typeof o.t !== 'number' || !Number.isFinite(o.t) || o.t < 0) return bad(`"t" must be a number of milliseconds >= 0, got ${show(o.t)}`);
  if (typeof o.mac !== 'string') return bad(`"mac" must be a string, got ${show(o.mac)}`);
  const mac = normalizeMac(o.mac);
  if (!mac) return bad(`"mac" ${show(o.mac)} is not a 6-byte address`);
  const addrType = parseAddrType(o.addrType);
  if (!addrType) return bad(`"addrType" must be "public", "random", 0 or 1, got ${show(o.addrType)}`);
  if (typeof o.rssi !== 'number' || !Number.isInteger(o.rssi) || o.rssi < -128 || o.rssi > 127) return bad(`"rssi" must be an integer dBm (-128..127), got ${show(o.rssi)}`);
  if (typeof o.ad !== 'string') return bad(`"ad" must be a hex string, got ${show(o.ad)}`);
  const ad = fromHex(o.ad);
  if (!ad) return bad(`"ad" is not valid hex`);
  if (ad.length > MAX_AD_LENGTH) return bad(`"ad" is ${ad.length} bytes, more than the ${MAX_AD_LENGTH} an advertisement can carry`);
  return { t: o.t, mac, addrType, rssi: o.rssi, ad };
}

/** Parse a whole JSONL capture. Lines are numbered from 1; "\r\n" endings are fine. */
export function parseJsonl(text: string): CaptureResult {
  const advertisements: CapturedAdvertisement[] = [];
  const errors: CaptureError[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const item = parseJsonlLine(lines[i]!, i + 1);
    if (item === undefined) continue;
    if ('error' in item) errors.push(item);
    else advertisements.push(item);
  }
  return { advertisements, errors };
}

/** One capture line (no newline), fields in the documented order, hex in lowercase. */
export function toJsonlLine(a: CapturedAdvertisement): string {
  return JSON.stringify({ t: a.t, mac: a.mac, addrType: a.addrType, rssi: a.rssi, ad: toHex(a.ad) });
}

/** A whole capture: one line per advertisement, each ending in "\n". */
export function toJsonl(advertisements: readonly CapturedAdvertisement[]): string {
  let out = '';
  for (const a of advertisements) out += toJsonlLine(a) + '\n';
  return out;
}

function parseAddrType(v: unknown): 'public' | 'random' | undefined {
  if (v === undefined || v === 0 || v === 'public') return 'public';
  if (v === 1 || v === 'random') return 'random';
  if (typeof v === 'string') {
    const lower = v.toLowerCase();
    if (lower === 'public' || lower === 'random') return lower;
  }
  return undefined;
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 40 ? s.slice(0, 37) + '...' : s;
}
