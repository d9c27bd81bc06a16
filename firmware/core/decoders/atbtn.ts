// ATBTN: Avago Tech Bluetooth buttons (Tasmota's _ble driver, type AT_BTN, PID 0x004e).
// They send manufacturer data (company id 0x004e), not service data:
//   company id (2) | ? (4, 7fffffff) | counter (1) | ? (1, 05) | switch id (2) |
//   ? (1, 00) | button (1, 1-3) | ? (4, 50000100)        = 16 bytes with the company id
// Every button sends from the same address (C1:A2:A3:A4:A5:A6), so, as Tasmota does,
// the switch id replaces the last two bytes of the address to tell buttons apart.

import { toHex } from '../bytes/hex.js';
import { readingIdentity } from '../devices/table.js';
import { fail, type DecodeResult } from './types.js';

export const ATBTN_COMPANY_ID = 0x004e;
/** The manufacturer data after the company id. */
const LENGTH = 14;
const IDENTITY = readingIdentity(ATBTN_COMPANY_ID);

export function decodeAtbtn(data: Uint8Array, sourceMac: string | undefined): DecodeResult {
  const base = { format: 'atbtn' as const, ...IDENTITY, encrypted: false };
  if (data.length !== LENGTH) return fail('too-short', `ATBTN manufacturer data must be ${LENGTH} bytes after the company id, got ${data.length}`, { mac: sourceMac, ...base });
  if (sourceMac === undefined) return fail('bad-input', 'ATBTN frames carry no MAC: give the sender MAC', base);
  const mac = sourceMac.slice(0, 8) + toHex(data.subarray(6, 8)).toUpperCase();
  const button = data[9]!;
  return { mac, ...base, counter: data[4]!, values: { [`Button${button}`]: 1 } };
}
