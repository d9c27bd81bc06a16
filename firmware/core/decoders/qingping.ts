// Qingping / ClearGrass (service data UUID 0xFDCD).
// Layout: frame control (1) | Qingping device id (1) | MAC reversed (6) | TLVs:
// type (1) length (1) value. Tasmota reads only the first TLV of a CGD1; we read all.

import { macFromReversed } from '../bytes/hex.js';
import { s16le, u16le, u32le } from '../bytes/read.js';
import { deviceByQingpingId, readingIdentity } from '../devices/table.js';
import { fail, NO_MAC, type DecodeResult, type Values } from './types.js';

export const QINGPING_UUID = 0xfdcd;

/** Tasmota files every FDCD device under CGD1's PID 0x0576 (type "CGD1"): names and mi32cfg follow it. */
const TASMOTA = readingIdentity(0x0576);

// TLV type -> [required length, decoder]
const TLVS: Record<number, [number, (v: Uint8Array, out: Values) => void]> = {
  0x01: [4, (v, out) => { out.Temperature = s16le(v, 0) / 10; out.Humidity = u16le(v, 2) / 10; }],
  0x02: [1, (v, out) => { out.Battery = v[0]!; }],
  0x07: [2, (v, out) => { out.Pressure = u16le(v, 0) / 10; }],
  0x08: [4, (v, out) => { out.Motion = v[0]! ? 1 : 0; out.Illuminance = u16le(v, 1) + v[3]!; }],
  0x09: [4, (v, out) => { out.Illuminance = u32le(v, 0); }],
  0x11: [1, (v, out) => { out.Light = v[0]! ? 1 : 0; }],
  0x12: [4, (v, out) => { out['PM2.5'] = u16le(v, 0); out.PM10 = u16le(v, 2); }],
  0x13: [2, (v, out) => { out.CO2 = u16le(v, 0); }],
};
const PACKET_ID_TLV = 0x0f;

export function decodeQingping(data: Uint8Array, sourceMac: string | undefined): DecodeResult {
  if (data.length < 8) return fail('too-short', `Qingping frame too short: ${data.length} bytes, need at least 8`, { mac: sourceMac, format: 'qingping' });
  // Qingping's own device id says the model (shown by `mi32 decode`): the device table's qingpingIds.
  const device = deviceByQingpingId(data[1]!);
  const model = device?.model ?? 'QP_' + data[1]!.toString(16).padStart(2, '0').toUpperCase();
  const base = { format: 'qingping' as const, model, type: TASMOTA.type, pid: TASMOTA.pid, encrypted: false };
  // Some models (CGDN1) do not carry their own MAC in the frame (ble_monitor); the others do.
  const fromSender = device?.macFromSender === true;
  const frameMac = macFromReversed(data.subarray(2, 8));
  const mac = fromSender ? sourceMac ?? NO_MAC : frameMac;
  if (sourceMac !== undefined && !fromSender && frameMac !== sourceMac) {
    return fail('mac-mismatch', `MAC in frame ${frameMac} is not the sender ${sourceMac}`, { mac: sourceMac, ...base });
  }
  const values: Values = {};
  let counter: number | null = null;
  const unknown: string[] = [];
  for (let i = 8; i + 2 <= data.length;) {
    const type = data[i]!;
    const length = data[i + 1]!;
    if (i + 2 + length > data.length) return fail('malformed', `Qingping TLV 0x${type.toString(16)} at byte ${i} runs past the end`, { mac, ...base });
    const value = data.subarray(i + 2, i + 2 + length);
    const tlv = TLVS[type];
    if (type === PACKET_ID_TLV && length === 1) counter = value[0]!;
    else if (tlv && tlv[0] === length) tlv[1](value, values);
    else unknown.push('0x' + type.toString(16).padStart(2, '0'));
    i += 2 + length;
  }
  return { mac, ...base, counter, values, ...(unknown.length ? { unknown } : {}) };
}
