// HCI LE advertising report events: parse them out of captured HCI event packets, and
// build them (for tests and btsnoop writing). Packets here start at the event code,
// without the H4 packet-type byte.
//
// LE Meta event (0x3E): code | parameter length | subevent | ...
//   LE Advertising Report (0x02): num reports, then per report (the layout controllers
//   and BlueZ use): event type (1) | address type (1) | address (6, LE) | data length (1)
//   | data | RSSI (1, signed).
//   LE Extended Advertising Report (0x0D): num reports, then per report: event type (2)
//   | address type (1) | address (6, LE) | primary PHY (1) | secondary PHY (1) | SID (1)
//   | TX power (1) | RSSI (1) | periodic interval (2) | direct address type (1) | direct
//   address (6) | data length (1) | data. Event type bits 5-6 are the data status:
//   0 complete, 1 more fragments follow, 2 truncated by the controller.

import { toHex } from '../../firmware/core/bytes/hex.js';

export const HCI_EVENT_LE_META = 0x3e;
export const LE_ADVERTISING_REPORT = 0x02;
export const LE_EXTENDED_ADVERTISING_REPORT = 0x0d;

export interface AdvertisingReport {
  mac: string;
  addrType: 'public' | 'random';
  rssi: number;
  ad: Uint8Array;
  /** Legacy: ADV_IND 0 .. SCAN_RSP 4. Extended: the 16-bit event type. */
  eventType: number;
  extended: boolean;
  /** Extended only: advertising SID, used to join fragments. */
  sid?: number;
  /** Extended only: data status (0 complete, 1 more to come, 2 truncated). */
  dataStatus?: number;
}

export interface ReportsResult {
  reports: AdvertisingReport[];
  /** Set when the event was malformed; `reports` then holds those before the fault. */
  error?: string;
}

/** HCI address types 0/2 are public (identity) addresses; 1/3 random; 0xFF anonymous. */
function addrTypeName(code: number): 'public' | 'random' {
  return code === 0 || code === 2 ? 'public' : 'random';
}

function macFromLe(bytes: Uint8Array, offset: number): string {
  return toHex(bytes.slice(offset, offset + 6).reverse()).toUpperCase();
}

function s8(b: number): number {
  return b >= 128 ? b - 256 : b;
}

/**
 * Advertising reports in one HCI event packet (no H4 byte). Returns undefined for any
 * event that is not an LE (extended) advertising report, so callers can skip it quietly.
 */
export function parseAdvertisingReports(packet: Uint8Array): ReportsResult | undefined {
  if (packet.length < 3 || packet[0] !== HCI_EVENT_LE_META) return undefined;
  const subevent = packet[2];
  if (subevent !== LE_ADVERTISING_REPORT && subevent !== LE_EXTENDED_ADVERTISING_REPORT) return undefined;
  const declared = packet[1]!;
  const name = subevent === LE_ADVERTISING_REPORT ? 'LE Advertising Report' : 'LE Extended Advertising Report';
  if (packet.length - 2 < declared) return { reports: [], error: `${name}: parameter length ${declared} but only ${packet.length - 2} bytes present` };
  const params = packet.subarray(2, 2 + declared);
  if (params.length < 2) return { reports: [], error: `${name}: no report count` };
  return subevent === LE_ADVERTISING_REPORT ? legacyReports(params) : extendedReports(params);
}

function legacyReports(p: Uint8Array): ReportsResult {
  const count = p[1]!;
  const reports: AdvertisingReport[] = [];
  let i = 2;
  for (let n = 0; n < count; n++) {
    if (i + 9 > p.length) return { reports, error: `LE Advertising Report: report ${n + 1} of ${count} is cut off in its header` };
    const length = p[i + 8]!;
    if (i + 9 + length + 1 > p.length) return { reports, error: `LE Advertising Report: report ${n + 1} of ${count} says ${length} data bytes, more than the event holds` };
    reports.push({
      eventType: p[i]!,
      addrType: addrTypeName(p[i + 1]!),
      mac: macFromLe(p, i + 2),
      ad: p.slice(i + 9, i + 9 + length),
      rssi: s8(p[i + 9 + length]!),
      extended: false,
    });
    i += 10 + length;
  }
  return { reports };
}

const EXT_HEADER = 24;

function extendedReports(p: Uint8Array): ReportsResult {
  const count = p[1]!;
  const reports: AdvertisingReport[] = [];
  let i = 2;
  for (let n = 0; n < count; n++) {
    if (i + EXT_HEADER > p.length) return { reports, error: `LE Extended Advertising Report: report ${n + 1} of ${count} is cut off in its header` };
    const length = p[i + 23]!;
    if (i + EXT_HEADER + length > p.length) return { reports, error: `LE Extended Advertising Report: report ${n + 1} of ${count} says ${length} data bytes, more than the event holds` };
    const eventType = p[i]! | (p[i + 1]! << 8);
    reports.push({
      eventType,
      addrType: addrTypeName(p[i + 2]!),
      mac: macFromLe(p, i + 3),
      sid: p[i + 11]!,
      rssi: s8(p[i + 13]!),
      ad: p.slice(i + EXT_HEADER, i + EXT_HEADER + length),
      extended: true,
      dataStatus: (eventType >> 5) & 3,
    });
    i += EXT_HEADER + length;
  }
  return { reports };
}

// ---- builders -------------------------------------------------------------------

export interface ReportSpec {
  mac: string;
  addrType: 'public' | 'random';
  rssi: number;
  ad: Uint8Array;
  /** Legacy default 0x03 ADV_NONCONN_IND; extended default 0x0000 (non-connectable, complete). */
  eventType?: number;
  /** Extended only. */
  sid?: number;
}

function macLe(mac: string): number[] {
  const out: number[] = [];
  for (let k = 5; k >= 0; k--) out.push(parseInt(mac.slice(k * 2, k * 2 + 2), 16));
  return out;
}

function metaEvent(subevent: number, body: number[]): Uint8Array {
  const length = body.length + 1;
  if (length > 255) throw new RangeError(`HCI event parameters of ${length} bytes do not fit in one event (max 255)`);
  return new Uint8Array([HCI_EVENT_LE_META, length, subevent, ...body]);
}

/** An LE Advertising Report event carrying all `reports` (legacy: 31 data bytes max each). */
export function leAdvertisingReportEvent(reports: readonly ReportSpec[]): Uint8Array {
  const body: number[] = [reports.length];
  for (const r of reports) {
    if (r.ad.length > 31) throw new RangeError(`legacy advertising data is at most 31 bytes, got ${r.ad.length}`);
    body.push(r.eventType ?? 0x03, r.addrType === 'public' ? 0 : 1, ...macLe(r.mac), r.ad.length, ...r.ad, r.rssi & 0xff);
  }
  return metaEvent(LE_ADVERTISING_REPORT, body);
}

/** An LE Extended Advertising Report event carrying all `reports`. */
export function leExtendedAdvertisingReportEvent(reports: readonly ReportSpec[]): Uint8Array {
  const body: number[] = [reports.length];
  for (const r of reports) {
    const type = r.eventType ?? 0x0000;
    body.push(
      type & 0xff, type >> 8,
      r.addrType === 'public' ? 0 : 1, ...macLe(r.mac),
      0x01, 0x00, // primary PHY LE 1M, no secondary
      r.sid ?? 0xff,
      0x7f, // TX power not available
      r.rssi & 0xff,
      0x00, 0x00, // no periodic advertising
      0x00, 0, 0, 0, 0, 0, 0, // no direct address
      r.ad.length, ...r.ad,
    );
  }
  return metaEvent(LE_EXTENDED_ADVERTISING_REPORT, body);
}
