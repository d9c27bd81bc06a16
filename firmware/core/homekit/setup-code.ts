// The HomeKit setup code ("XXX-XX-XXX"), setup ID, the X-HM:// setup payload (what the QR
// code holds) and the setup hash for the mDNS TXT record `sh`.
//
// The code comes from the Wi-Fi MAC by Tasmota's MI32 rule unless the user set one, so a
// gateway moved from Tasmota keeps the code printed on its label. Tasmota's rule can give
// a code the HAP spec forbids (111-11-111 for a MAC with no digit 1-9 in its first five
// bytes); we never hand out one of those (see fromMacFallback).

import { utf8Encode } from '../mqtt/utf8.js';

/** The codes the HAP spec forbids: all digits equal, 12345678, 87654321. */
export function isForbiddenSetupCode(code: string): boolean {
  const digits = code.replace(/-/g, '');
  return /^(\d)\1{7}$/.test(digits) || digits === '12345678' || digits === '87654321';
}

export type SetupCodeResult = { ok: true; code: string } | { ok: false; error: string };

/**
 * A setup code as the user typed it: "XXX-XX-XXX" or eight digits. The dashed form (which
 * SRP uses as the password) or why it is refused.
 */
export function parseSetupCode(input: string): SetupCodeResult {
  const text = input.trim();
  const m = /^(\d{3})-?(\d{2})-?(\d{3})$/.exec(text);
  if (!m || (text.length !== 8 && text.length !== 10) || (text.length === 10 && (text[3] !== '-' || text[6] !== '-'))) {
    return { ok: false, error: 'setup code must be 8 digits, as XXX-XX-XXX or XXXXXXXX' };
  }
  const code = `${m[1]}-${m[2]}-${m[3]}`;
  if (isForbiddenSetupCode(code)) return { ok: false, error: `setup code ${code} is not allowed by HomeKit (all digits equal, 123-45-678 or 876-54-321)` };
  return { ok: true, code };
}

/** The MAC as 12 upper-case hex digits, from "aa:bb:..", "AA-BB-..", "aabb.." or 6 bytes. */
function macHex(mac: string | Uint8Array): string {
  if (typeof mac !== 'string') {
    if (mac.length !== 6) throw new RangeError('a MAC is 6 bytes');
    return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();
  }
  const hex = mac.replace(/[:\-.]/g, '').toUpperCase();
  if (!/^[0-9A-F]{12}$/.test(hex)) throw new RangeError(`not a MAC address: ${JSON.stringify(mac)}`);
  return hex;
}

/**
 * Tasmota MI32's code from the Wi-Fi station MAC (MI32getSetupCodeFromMAC): of the first 10
 * hex digits keep 1-9, write 1 for 0 and A-F, then dashes at positions 3 and 6 (the digits
 * at those positions are dropped). AABBCC1234F2 gives 111-11-234.
 */
export function tasmotaSetupCode(mac: string | Uint8Array): string {
  const hex = macHex(mac);
  const chars = Array.from(hex.slice(0, 10), (c) => (c >= '1' && c <= '9' ? c : '1'));
  chars[3] = '-';
  chars[6] = '-';
  return chars.join('');
}

/**
 * The default setup code: Tasmota's when HomeKit allows it, else the fallback. Deterministic,
 * so the code on a label stays right across restarts and reflashes.
 */
export function setupCodeFromMac(mac: string | Uint8Array): string {
  const tasmota = tasmotaSetupCode(mac);
  return isForbiddenSetupCode(tasmota) ? fromMacFallback(macHex(mac)) : tasmota;
}

/**
 * For a MAC whose Tasmota code is forbidden: the whole MAC as a number, mod 10^8, as eight
 * digits; the next number up while that is forbidden too (at most a few steps).
 */
function fromMacFallback(hex: string): string {
  let n = Number(BigInt('0x' + hex) % 100_000_000n);
  for (;;) {
    const digits = String(n).padStart(8, '0');
    const code = `${digits.slice(0, 3)}-${digits.slice(3, 5)}-${digits.slice(5)}`;
    if (!isForbiddenSetupCode(code)) return code;
    n = (n + 1) % 100_000_000;
  }
}

/** Tasmota's setup ID; any 4 characters of 0-9 A-Z will do, and it needs no secrecy. */
export const DEFAULT_SETUP_ID = 'MI32';

export function isValidSetupId(id: string): boolean {
  return /^[0-9A-Z]{4}$/.test(id);
}

/** HAP accessory categories we use (hap-nodejs Categories). */
export const HAP_CATEGORY = { bridge: 2, sensor: 10 } as const;
/** Setup payload flags: how the accessory is reached. */
export const SETUP_FLAG = { ip: 2, ble: 4, ipWac: 8 } as const;

/**
 * The setup payload, what the QR code and NFC tag hold: X-HM:// + 9 base-36 digits + setup
 * ID. The number, high bits to low: version 0 (3 bits), reserved 0 (4), category (8), flags
 * (4), the code's 8 digits as an integer (27). 031-45-154, bridge, IP, "MIBR" gives
 * X-HM://0023ISYWYMIBR (hap-nodejs prints the same).
 */
export function setupUri(code: string, setupId: string, category: number = HAP_CATEGORY.bridge, flags: number = SETUP_FLAG.ip): string {
  const parsed = parseSetupCode(code);
  if (!parsed.ok) throw new RangeError(parsed.error);
  if (!isValidSetupId(setupId)) throw new RangeError(`setup ID must be 4 characters of 0-9 A-Z: ${JSON.stringify(setupId)}`);
  if (!Number.isInteger(category) || category < 0 || category > 255) throw new RangeError(`category ${category} out of range`);
  if (!Number.isInteger(flags) || flags < 0 || flags > 15) throw new RangeError(`flags ${flags} out of range`);
  const value = category * 2 ** 31 + flags * 2 ** 27 + Number(parsed.code.replace(/-/g, ''));
  return `X-HM://${value.toString(36).toUpperCase().padStart(9, '0')}${setupId}`;
}

/**
 * The TXT record's `sh`: base64 of the first 4 bytes of SHA-512(setup ID + Device ID). The
 * Home app scans the QR code, then looks for the accessory whose `sh` matches. "MIBR" +
 * "1A:2B:3C:4D:5E:6F" gives 36xo1w==.
 */
export function setupHash(setupId: string, deviceId: string, sha512: (data: Uint8Array) => Uint8Array): string {
  const input = utf8Encode(setupId + deviceId.toUpperCase());
  return base64(sha512(input).subarray(0, 4));
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function base64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += BASE64[(n >> 18) & 63] + BASE64[(n >> 12) & 63];
    out += i + 1 < bytes.length ? BASE64[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.length ? BASE64[n & 63] : '=';
  }
  return out;
}
