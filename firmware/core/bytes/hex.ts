// Hex text <-> bytes, and MAC address forms. MACs are kept as 12 uppercase hex
// characters in display order ("A4C138AABBCC"), the form Tasmota prints and stores.

const HEX_DIGITS = '0123456789abcdef';
const HEX_UPPER = '0123456789ABCDEF';
const HEX_UPPER_CODES = [48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 65, 66, 67, 68, 69, 70];

/** Lowercase hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    out += HEX_DIGITS[b >> 4]! + HEX_DIGITS[b & 15]!;
  }
  return out;
}

/**
 * Parse hex text. Accepts upper/lower case and ignores ':', '-' and whitespace between
 * byte pairs (users paste MACs and keys in all these forms). Returns undefined for
 * anything else: an odd number of digits or a non-hex character.
 *
 * A character loop, not regular expressions: XS compiles a regex literal each time it
 * is evaluated (~35 µs in xsnap), and this runs on the advertisement path.
 */
export function fromHex(text: string): Uint8Array | undefined {
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (hexValue(c) >= 0) digits++;
    else if (!isSeparator(c)) return undefined;
  }
  if (digits % 2 !== 0) return undefined;
  const out = new Uint8Array(digits / 2);
  let high = -1;
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const v = hexValue(text.charCodeAt(i));
    if (v < 0) continue;
    if (high < 0) high = v;
    else {
      out[o++] = (high << 4) | v;
      high = -1;
    }
  }
  return out;
}

/** 0-15 for a hex digit's char code, -1 otherwise. */
function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/** ':' '-' and what the regex class \s matches (ECMAScript WhiteSpace and LineTerminator). */
function isSeparator(c: number): boolean {
  return c === 0x3a || c === 0x2d || (c >= 0x09 && c <= 0x0d) || c === 0x20 || c === 0xa0 || c === 0x1680
    || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/** Normalise a MAC in any common notation to "A4C138AABBCC"; undefined if it is not 6 bytes. */
export function normalizeMac(text: string): string | undefined {
  const bytes = fromHex(text);
  if (!bytes || bytes.length !== 6) return undefined;
  return toHex(bytes).toUpperCase();
}

/** MAC bytes in display order (most significant first) from the normalised form. */
export function macBytes(mac: string): Uint8Array {
  const bytes = mac.length === 12 ? macDigits(mac, false) : fromHex(mac);
  if (!bytes || bytes.length !== 6) throw new Error(`invalid MAC "${mac}"`);
  return bytes;
}

/** MAC bytes least significant first, as MiBeacon and pvvx put them in nonces: one allocation. */
export function macBytesReversed(mac: string): Uint8Array {
  const bytes = mac.length === 12 ? macDigits(mac, true) : fromHex(mac)?.reverse();
  if (!bytes || bytes.length !== 6) throw new Error(`invalid MAC "${mac}"`);
  return bytes;
}

/** 12 hex digits to 6 bytes (optionally reversed); undefined on a non-hex digit. */
function macDigits(mac: string, reverse: boolean): Uint8Array | undefined {
  const out = new Uint8Array(6);
  for (let i = 0; i < 6; i++) {
    const high = hexValue(mac.charCodeAt(2 * i));
    const low = hexValue(mac.charCodeAt(2 * i + 1));
    if (high < 0 || low < 0) return undefined;
    out[reverse ? 5 - i : i] = (high << 4) | low;
  }
  return out;
}

/** MAC from bytes transmitted least significant first (MiBeacon, pvvx): one flat string, no copies. */
export function macFromReversed(bytes: Uint8Array): string {
  if (bytes.length !== 6) {
    let out = '';
    for (let i = bytes.length - 1; i >= 0; i--) out += HEX_UPPER[bytes[i]! >> 4]! + HEX_UPPER[bytes[i]! & 15]!;
    return out;
  }
  const d = (b: number): number => HEX_UPPER_CODES[b]!;
  return String.fromCharCode(
    d(bytes[5]! >> 4), d(bytes[5]! & 15), d(bytes[4]! >> 4), d(bytes[4]! & 15), d(bytes[3]! >> 4), d(bytes[3]! & 15),
    d(bytes[2]! >> 4), d(bytes[2]! & 15), d(bytes[1]! >> 4), d(bytes[1]! & 15), d(bytes[0]! >> 4), d(bytes[0]! & 15),
  );
}

/** Same bytes, reversed (a copy). */
export function reversed(bytes: Uint8Array): Uint8Array {
  return bytes.slice().reverse();
}

export { concat } from './bytes.js';

const DIGITS = '0123456789abcdef';

/** A 16-bit number as 4 lowercase hex digits ("055b"): PIDs, UUIDs, object ids. Four table
 *  lookups, not toString + padStart: it runs for every decoded frame. */
export function hex4(n: number): string {
  return DIGITS[(n >> 12) & 15]! + DIGITS[(n >> 8) & 15]! + DIGITS[(n >> 4) & 15]! + DIGITS[n & 15]!;
}
