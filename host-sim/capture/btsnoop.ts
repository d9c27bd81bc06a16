// btsnoop files: Android's btsnoop_hci.log and `btmon -w` (BlueZ src/shared/btsnoop.c).
//
// Header (16 bytes, big-endian): "btsnoop\0" | version (4) = 1 | datalink (4).
// Record: original length (4) | included length (4) | flags (4) | cumulative drops (4)
//         | timestamp (8, µs since 0000-01-01; 0x00E03AB44A676000 is 2000-01-01) | data.
// Datalinks we read:
//   1001 HCI without H4 byte; flags bit 1 = command/event, bit 0 = received.
//   1002 HCI UART (H4): data starts with the packet type (4 = event). Android writes this.
//   2001 BlueZ monitor (btmon -w): flags = controller index << 16 | opcode; opcode 3 =
//        event packet, data without the H4 byte.
// Only HCI LE Meta advertising report events become advertisements; everything else is
// skipped quietly. Problems (bad header, truncated record, malformed report) are
// returned as CaptureErrors; a truncated file yields every complete record before it.

import { concat } from '../../firmware/core/bytes/hex.js';
import { leAdvertisingReportEvent, leExtendedAdvertisingReportEvent, parseAdvertisingReports, type AdvertisingReport } from './hci.js';
import type { CaptureError, CaptureResult, CapturedAdvertisement } from './types.js';

export const BTSNOOP_MAGIC = new Uint8Array([0x62, 0x74, 0x73, 0x6e, 0x6f, 0x6f, 0x70, 0x00]); // "btsnoop\0"
export const DATALINK = { HCI: 1001, UART: 1002, BCSP: 1003, THREE_WIRE: 1004, MONITOR: 2001 } as const;
export const MONITOR_OPCODE = { NEW_INDEX: 0, DEL_INDEX: 1, COMMAND_PKT: 2, EVENT_PKT: 3, ACL_TX_PKT: 4, ACL_RX_PKT: 5, SCO_TX_PKT: 6, SCO_RX_PKT: 7 } as const;
export const H4 = { COMMAND: 0x01, ACL: 0x02, SCO: 0x03, EVENT: 0x04 } as const;
/** The btsnoop timestamp of 2000-01-01T00:00:00Z. */
export const BTSNOOP_EPOCH_2000 = 0x00e03ab44a676000n;
const UNIX_TO_2000_US = 946684800000000n;

const HEADER_SIZE = 16;
const RECORD_HEADER_SIZE = 24;

export function isBtsnoop(bytes: Uint8Array): boolean {
  if (bytes.length < BTSNOOP_MAGIC.length) return false;
  for (let i = 0; i < BTSNOOP_MAGIC.length; i++) if (bytes[i] !== BTSNOOP_MAGIC[i]) return false;
  return true;
}

/** One HCI event packet found in the file (before report parsing). */
interface EventRecord {
  record: number;
  offset: number;
  timestamp: bigint;
  packet: Uint8Array;
  /** Included length < original length: the capture tool cut the packet short. */
  clipped: boolean;
}

/** Read every advertising report out of a btsnoop file. Never throws. */
export function parseBtsnoop(bytes: Uint8Array): CaptureResult {
  const errors: CaptureError[] = [];
  const advertisements = [...btsnoopAdvertisements(bytes, errors)];
  return { advertisements, errors };
}

/**
 * The advertisements of a btsnoop file one at a time, so a long capture is replayed
 * without an object per advertisement held at once; problems are pushed to `errors`.
 */
export function* btsnoopAdvertisements(bytes: Uint8Array, errors: { push(e: CaptureError): void }): Generator<CapturedAdvertisement> {
  if (!isBtsnoop(bytes)) {
    errors.push({ error: 'not a btsnoop file (no "btsnoop\\0" magic)', offset: 0 });
    return;
  }
  if (bytes.length < HEADER_SIZE) {
    errors.push({ error: `btsnoop header truncated: ${bytes.length} of ${HEADER_SIZE} bytes`, offset: 0 });
    return;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8);
  const datalink = view.getUint32(12);
  if (version !== 1) {
    errors.push({ error: `btsnoop version ${version} is not supported (only 1)`, offset: 8 });
    return;
  }
  if (datalink !== DATALINK.HCI && datalink !== DATALINK.UART && datalink !== DATALINK.MONITOR) {
    errors.push({ error: `btsnoop datalink ${datalink} is not supported (1001 HCI, 1002 H4 UART, 2001 BlueZ monitor)`, offset: 12 });
    return;
  }

  let first: bigint | undefined;
  const fragments = new Map<string, Uint8Array>();
  let offset = HEADER_SIZE;
  for (let record = 1; offset < bytes.length; record++) {
    if (offset + RECORD_HEADER_SIZE > bytes.length) {
      errors.push({ error: `file ends inside a record header (${bytes.length - offset} of ${RECORD_HEADER_SIZE} bytes): truncated capture`, record, offset });
      break;
    }
    const original = view.getUint32(offset);
    const included = view.getUint32(offset + 4);
    const flags = view.getUint32(offset + 8);
    const timestamp = view.getBigUint64(offset + 16);
    const dataStart = offset + RECORD_HEADER_SIZE;
    if (included > bytes.length - dataStart) {
      errors.push({ error: `record says ${included} data bytes, only ${bytes.length - dataStart} left: truncated capture`, record, offset });
      break;
    }
    first ??= timestamp;
    const data = bytes.subarray(dataStart, dataStart + included);
    const event = eventPacket(datalink, flags, data);
    offset = dataStart + included;
    if (event) {
      const batch: CapturedAdvertisement[] = [];
      handleEvent({ record, offset: dataStart - RECORD_HEADER_SIZE, timestamp, packet: event, clipped: included < original }, first, batch, errors, fragments);
      yield* batch;
    }
  }
}

/** The HCI event packet (no H4 byte) a record carries, or undefined if it is not an event. */
function eventPacket(datalink: number, flags: number, data: Uint8Array): Uint8Array | undefined {
  switch (datalink) {
    case DATALINK.UART:
      return data.length > 0 && data[0] === H4.EVENT ? data.subarray(1) : undefined;
    case DATALINK.HCI:
      return (flags & 3) === 3 ? data : undefined;
    case DATALINK.MONITOR:
      return (flags & 0xffff) === MONITOR_OPCODE.EVENT_PKT ? data : undefined;
    default:
      return undefined;
  }
}

function handleEvent(ev: EventRecord, first: bigint, out: CapturedAdvertisement[], errors: { push(e: CaptureError): void }, fragments: Map<string, Uint8Array>): void {
  const parsed = parseAdvertisingReports(ev.packet);
  if (!parsed) return;
  const t = Number(ev.timestamp - first) / 1000;
  for (const r of parsed.reports) {
    const ad = joinFragments(r, fragments, ev, errors);
    if (ad) out.push({ t, mac: r.mac, addrType: r.addrType, rssi: r.rssi, ad });
  }
  if (parsed.error) {
    errors.push({ error: parsed.error + (ev.clipped ? ' (the capture stored only part of this packet)' : ''), record: ev.record, offset: ev.offset });
  }
}

/**
 * Extended reports may split one advertisement over several reports (data status 1 =
 * more to come). Join them per sender and SID; a controller-truncated one (status 2)
 * is reported and dropped, as the decoders would only see half an advertisement.
 */
function joinFragments(r: AdvertisingReport, fragments: Map<string, Uint8Array>, ev: EventRecord, errors: { push(e: CaptureError): void }): Uint8Array | undefined {
  if (!r.extended) return r.ad;
  const key = `${r.mac}/${r.addrType}/${r.sid}`;
  const before = fragments.get(key);
  const ad = before ? concat(before, r.ad) : r.ad;
  switch (r.dataStatus) {
    case 0:
      fragments.delete(key);
      return ad;
    case 1:
      fragments.set(key, ad);
      return undefined;
    default:
      fragments.delete(key);
      errors.push({ error: `extended advertisement from ${r.mac} was truncated by the controller (${ad.length} bytes received): dropped`, record: ev.record, offset: ev.offset });
      return undefined;
  }
}


// ---- writer ---------------------------------------------------------------------

export interface HciPacket {
  /** Milliseconds since the capture start (fractions are kept to the µs). */
  t: number;
  /** The packet without the H4 type byte. */
  packet: Uint8Array;
  /** H4 packet type; default 4 (event). */
  type?: number;
  /** Direction for commands/ACL: true = from the controller. Events are always received. */
  received?: boolean;
}

export interface WriteOptions {
  /** 1002 (H4, like Android; default), 1001 (HCI) or 2001 (BlueZ monitor, like btmon). */
  datalink?: 1001 | 1002 | 2001;
  /** Wall-clock time of t = 0, ms since the Unix epoch. Default 2024-01-01T00:00:00Z. */
  startMs?: number;
  /** Monitor format: controller index (default 0). */
  index?: number;
}

/** A btsnoop file holding `packets`. For tests and for converting captures. */
export function writeBtsnoop(packets: readonly HciPacket[], options: WriteOptions = {}): Uint8Array {
  const datalink = options.datalink ?? DATALINK.UART;
  const start = BigInt(Math.round((options.startMs ?? Date.UTC(2024, 0, 1)) * 1000)) - UNIX_TO_2000_US + BTSNOOP_EPOCH_2000;
  const chunks: Uint8Array[] = [];
  const header = new Uint8Array(HEADER_SIZE);
  header.set(BTSNOOP_MAGIC);
  const hv = new DataView(header.buffer);
  hv.setUint32(8, 1);
  hv.setUint32(12, datalink);
  chunks.push(header);
  for (const p of packets) {
    const type = p.type ?? H4.EVENT;
    const received = type === H4.EVENT || (p.received ?? false);
    const data = datalink === DATALINK.UART ? concat(new Uint8Array([type]), p.packet) : p.packet;
    let flags: number;
    if (datalink === DATALINK.MONITOR) flags = (((options.index ?? 0) << 16) | monitorOpcode(type, received)) >>> 0;
    else flags = (received ? 1 : 0) | (type === H4.COMMAND || type === H4.EVENT ? 2 : 0);
    const rec = new Uint8Array(RECORD_HEADER_SIZE);
    const rv = new DataView(rec.buffer);
    rv.setUint32(0, data.length);
    rv.setUint32(4, data.length);
    rv.setUint32(8, flags);
    rv.setUint32(12, 0);
    rv.setBigUint64(16, start + BigInt(Math.round(p.t * 1000)));
    chunks.push(rec, data);
  }
  return concat(...chunks);
}

function monitorOpcode(type: number, received: boolean): number {
  switch (type) {
    case H4.COMMAND: return MONITOR_OPCODE.COMMAND_PKT;
    case H4.EVENT: return MONITOR_OPCODE.EVENT_PKT;
    case H4.ACL: return received ? MONITOR_OPCODE.ACL_RX_PKT : MONITOR_OPCODE.ACL_TX_PKT;
    case H4.SCO: return received ? MONITOR_OPCODE.SCO_RX_PKT : MONITOR_OPCODE.SCO_TX_PKT;
    default: throw new RangeError(`no monitor opcode for H4 packet type ${type}`);
  }
}

/**
 * Convert advertisements to a btsnoop file: one report per event, legacy when the data
 * fits in 31 bytes, extended otherwise. Reading it back gives the same advertisements.
 */
export function btsnoopFromAdvertisements(advertisements: readonly CapturedAdvertisement[], options: WriteOptions = {}): Uint8Array {
  return writeBtsnoop(advertisements.map((a) => ({
    t: a.t,
    packet: a.ad.length <= 31 ? leAdvertisingReportEvent([a]) : leExtendedAdvertisingReportEvent([a]),
  })), options);
}
