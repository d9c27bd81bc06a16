// Captures for replay: JSONL or btsnoop, picked by the first bytes of the file.
// Readers return what they could read plus a list of errors; only I/O failures
// (missing file, permissions) reject.

import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { isBtsnoop, parseBtsnoop } from './btsnoop.js';
import { parseJsonl } from './jsonl.js';
import type { CaptureResult } from './types.js';

export * from './types.js';
export { parseJsonl, parseJsonlLine, toJsonl, toJsonlLine, MAX_AD_LENGTH } from './jsonl.js';
export { parseBtsnoop, writeBtsnoop, btsnoopFromAdvertisements, isBtsnoop, BTSNOOP_MAGIC, BTSNOOP_EPOCH_2000, DATALINK, MONITOR_OPCODE, H4 } from './btsnoop.js';
export type { HciPacket, WriteOptions } from './btsnoop.js';
export { parseAdvertisingReports, leAdvertisingReportEvent, leExtendedAdvertisingReportEvent, HCI_EVENT_LE_META, LE_ADVERTISING_REPORT, LE_EXTENDED_ADVERTISING_REPORT } from './hci.js';
export type { AdvertisingReport, ReportSpec, ReportsResult } from './hci.js';

export type CaptureFormat = 'jsonl' | 'btsnoop';

export interface ParsedCapture extends CaptureResult {
  format: CaptureFormat;
}

/** Parse capture bytes: btsnoop if they start with "btsnoop\0", JSONL (UTF-8 text) otherwise. */
export function parseCapture(bytes: Uint8Array): ParsedCapture {
  if (isBtsnoop(bytes)) return { format: 'btsnoop', ...parseBtsnoop(bytes) };
  let text = new TextDecoder('utf-8').decode(bytes);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // editors on Windows add a BOM
  return { format: 'jsonl', ...parseJsonl(text) };
}

/** Read a capture file. Rejects only when the file cannot be read. */
export async function readCapture(path: string): Promise<ParsedCapture> {
  return parseCapture(new Uint8Array(await readFile(path)));
}

/** Synchronous form of readCapture, for CLI start-up. Throws only when the file cannot be read. */
export function readCaptureSync(path: string): ParsedCapture {
  return parseCapture(new Uint8Array(readFileSync(path)));
}
