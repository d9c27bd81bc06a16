// HAP's TLV8: items of type (1 byte), length (1 byte), value (up to 255 bytes). A longer
// value is written as consecutive items of the same type, every one but the last 255
// bytes long (SRP's 384-byte A and B); the reader joins them. Two separate items of the
// same type in a list (list-pairings) are set apart by an empty Separator item.

import { concat } from '../bytes/bytes.js';
import { utf8Encode } from '../mqtt/utf8.js';

/** TLV types (HAP spec, table 5-6). */
export const TLV = {
  Method: 0x00, Identifier: 0x01, Salt: 0x02, PublicKey: 0x03, Proof: 0x04, EncryptedData: 0x05,
  State: 0x06, Error: 0x07, RetryDelay: 0x08, Certificate: 0x09, Signature: 0x0a, Permissions: 0x0b,
  FragmentData: 0x0c, FragmentLast: 0x0d, Flags: 0x13, Separator: 0xff,
} as const;

/** TLV error codes. */
export const TLV_ERROR = { Unknown: 1, Authentication: 2, Backoff: 3, MaxPeers: 4, MaxTries: 5, Unavailable: 6, Busy: 7 } as const;

export type TlvValue = Uint8Array | number | string;

export class TlvError extends Error {}

/** An item list: [type, value] in order. Numbers are one byte (State, Method, Error); strings UTF-8. */
export function encodeTlv(items: readonly (readonly [number, TlvValue])[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [type, value] of items) {
    const bytes = typeof value === 'number' ? Uint8Array.of(value) : typeof value === 'string' ? utf8Encode(value) : value;
    let at = 0;
    // An empty value is still one item (the Separator).
    do {
      const n = Math.min(255, bytes.length - at);
      const item = new Uint8Array(2 + n);
      item[0] = type;
      item[1] = n;
      item.set(bytes.subarray(at, at + n), 2);
      parts.push(item);
      at += n;
    } while (at < bytes.length);
  }
  return concat(...parts);
}

/**
 * The items of `bytes` with fragments joined, in order. Throws TlvError for a truncated item;
 * a body that is not TLV at all is the controller's mistake, answered as an error, never a crash.
 */
export function decodeTlvList(bytes: Uint8Array): [number, Uint8Array][] {
  const items: [number, Uint8Array][] = [];
  let at = 0;
  let lastType = -1;
  let lastFull = false;
  while (at < bytes.length) {
    if (at + 2 > bytes.length) throw new TlvError('TLV item header cut short');
    const type = bytes[at]!;
    const n = bytes[at + 1]!;
    if (at + 2 + n > bytes.length) throw new TlvError(`TLV item of type ${type} cut short`);
    const value = bytes.subarray(at + 2, at + 2 + n);
    // A continuation: same type right after a full 255-byte fragment.
    if (type === lastType && lastFull) {
      const prev = items[items.length - 1]!;
      const joined = new Uint8Array(prev[1].length + n);
      joined.set(prev[1]);
      joined.set(value, prev[1].length);
      prev[1] = joined;
    } else {
      items.push([type, value.slice()]);
    }
    lastType = type;
    lastFull = n === 255;
    at += 2 + n;
  }
  return items;
}

/** The first item of each type (what every pairing message needs). */
export function decodeTlv(bytes: Uint8Array): Map<number, Uint8Array> {
  const map = new Map<number, Uint8Array>();
  for (const [type, value] of decodeTlvList(bytes)) if (!map.has(type)) map.set(type, value);
  return map;
}

/** A one-byte item (State, Method), or undefined when absent or of another length. */
export function tlvByte(items: Map<number, Uint8Array>, type: number): number | undefined {
  const v = items.get(type);
  return v && v.length === 1 ? v[0] : undefined;
}
