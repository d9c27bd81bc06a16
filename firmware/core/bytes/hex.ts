// Hex text <-> bytes, and MAC address forms. MACs are kept as 12 uppercase hex
// characters in display order ("A4C138AABBCC"), the form Tasmota prints and stores.

const HEX_DIGITS = '0123456789abcdef';

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
 * Parse hex text. Accepts upper/lower case and ignores ':', '-' and spaces between
 * byte pairs (users paste MACs and keys in all these forms). Returns undefined for
 * anything else: an odd number of digits or a non-hex character.
 */
export function fromHex(text: string): Uint8Array | undefined {
  const clean = text.replace(/[\s:-]/g, '');
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) return undefined;
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.substr(i * 2, 2), 16);
  return out;
}

/** Normalise a MAC in any common notation to "A4C138AABBCC"; undefined if it is not 6 bytes. */
export function normalizeMac(text: string): string | undefined {
  const bytes = fromHex(text);
  if (!bytes || bytes.length !== 6) return undefined;
  return toHex(bytes).toUpperCase();
}

/** MAC bytes in display order (most significant first) from the normalised form. */
export function macBytes(mac: string): Uint8Array {
  const bytes = fromHex(mac);
  if (!bytes || bytes.length !== 6) throw new Error(`invalid MAC "${mac}"`);
  return bytes;
}

/** MAC from bytes transmitted least significant first (MiBeacon, pvvx). */
export function macFromReversed(bytes: Uint8Array): string {
  return toHex(bytes.slice().reverse()).toUpperCase();
}

/** Same bytes, reversed (a copy). */
export function reversed(bytes: Uint8Array): Uint8Array {
  return bytes.slice().reverse();
}

/** Concatenate byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
