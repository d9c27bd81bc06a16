// The HomeKit setup code ("XXX-XX-XXX", the SRP password of pair-setup): Tasmota MI32's
// rule from the Wi-Fi MAC unless the user set one, and the codes the HAP spec forbids;
// the setup ID, the X-HM:// setup payload (what the QR code holds) and the setup hash for
// the mDNS TXT record `sh`.

import { utf8Encode } from '../mqtt/utf8.js';

const FORBIDDEN = new Set(['12345678', '87654321', ...Array.from({ length: 10 }, (_, d) => String(d).repeat(8))]);
const FORMAT = /^\d{3}-\d{2}-\d{3}$/;

/** Why `code` cannot be a setup code, or undefined when it can. */
export function setupCodeProblem(code: string): string | undefined {
  if (!FORMAT.test(code)) return 'a setup code is 8 digits written XXX-XX-XXX';
  if (FORBIDDEN.has(code.replace(/-/g, ''))) return `${code} is one of the codes the HomeKit spec forbids (all one digit, 123-45-678, 876-54-321)`;
  return undefined;
}

/**
 * Tasmota's MI32getSetupCodeFromMAC: the first 10 hex digits of the MAC, each not 1-9
 * becoming '1', dashes at 3 and 6 ("AABBCC1234F2" -> "111-11-234"). When that lands on a
 * forbidden code (a MAC without digits 1-9 gives 111-11-111), the last digit is moved
 * on by one, so the code stays derivable from the MAC and is never refused by iOS.
 */
export function setupCodeFromMac(mac: string): string {
  const hex = mac.replace(/[^0-9a-fA-F]/g, '').toUpperCase().padEnd(12, '0');
  const chars = [...hex.slice(0, 10)].map((c) => (c >= '1' && c <= '9' ? c : '1'));
  chars[3] = '-';
  chars[6] = '-';
  let code = chars.join('');
  if (setupCodeProblem(code)) code = code.slice(0, 9) + String((Number(code[9]) % 9) + 1);
  return code;
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
export function setupUri(code: string, setupId: string = DEFAULT_SETUP_ID, category: number = HAP_CATEGORY.bridge, flags: number = SETUP_FLAG.ip): string {
  const problem = setupCodeProblem(code);
  if (problem) throw new RangeError(problem);
  if (!isValidSetupId(setupId)) throw new RangeError(`setup ID must be 4 characters of 0-9 A-Z: ${JSON.stringify(setupId)}`);
  if (!Number.isInteger(category) || category < 0 || category > 255) throw new RangeError(`category ${category} out of range`);
  if (!Number.isInteger(flags) || flags < 0 || flags > 15) throw new RangeError(`flags ${flags} out of range`);
  const value = category * 2 ** 31 + flags * 2 ** 27 + Number(code.replace(/-/g, ''));
  return `X-HM://${value.toString(36).toUpperCase().padStart(9, '0')}${setupId}`;
}

/**
 * The TXT record's `sh`: base64 of the first 4 bytes of SHA-512(setup ID + Device ID). The
 * Home app scans the QR code, then looks for the accessory whose `sh` matches. "MIBR" +
 * "1A:2B:3C:4D:5E:6F" gives 36xo1w==.
 */
export function setupHash(setupId: string, deviceId: string, sha512: (data: Uint8Array) => Uint8Array): string {
  return base64(sha512(utf8Encode(setupId + deviceId.toUpperCase())).subarray(0, 4));
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function base64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += BASE64[(n >> 18) & 63]! + BASE64[(n >> 12) & 63]!;
    out += i + 1 < bytes.length ? BASE64[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.length ? BASE64[n & 63] : '=';
  }
  return out;
}
