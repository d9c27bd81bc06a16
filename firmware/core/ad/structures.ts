// Walk a raw advertising payload: a sequence of AD structures [len][type][data...].
// A length that runs past the end stops the walk (what was read so far is kept, and
// `malformed` says so); nothing ever reads outside the buffer.

import { u16le } from '../bytes/read.js';

export const AD_TYPE = {
  flags: 0x01,
  incomplete16: 0x02,
  complete16: 0x03,
  shortName: 0x08,
  completeName: 0x09,
  txPower: 0x0a,
  serviceData16: 0x16,
  serviceData32: 0x20,
  serviceData128: 0x21,
  manufacturerData: 0xff,
} as const;

export interface ServiceData {
  /** 16-bit UUID (service data type 0x16). */
  uuid: number;
  data: Uint8Array;
}

export interface ManufacturerData {
  companyId: number;
  data: Uint8Array;
}

export interface AdvertisementFields {
  serviceData: ServiceData[];
  manufacturerData: ManufacturerData[];
  localName?: string;
  flags?: number;
  txPower?: number;
  /** 16-bit service UUIDs listed in the advertisement. */
  serviceUuids: number[];
  /** True when an AD length field pointed past the end of the payload. */
  malformed: boolean;
}

/**
 * Visit each AD structure: its type, the index of its length byte, and its length (type +
 * body). Stops at zero padding; returns false when a length points past the end.
 */
export function walkStructures(ad: Uint8Array, visit: (type: number, at: number, length: number) => void): boolean {
  let i = 0;
  while (i < ad.length) {
    const length = ad[i]!;
    if (length === 0) break; // zero padding ends the significant part
    if (i + 1 + length > ad.length) return false;
    visit(ad[i + 1]!, i, length);
    i += 1 + length;
  }
  return true;
}

export function parseAdvertisement(ad: Uint8Array): AdvertisementFields {
  const fields: AdvertisementFields = { serviceData: [], manufacturerData: [], serviceUuids: [], malformed: false };
  fields.malformed = !walkStructures(ad, (type, at, length) => readStructure(fields, type, ad.subarray(at + 2, at + 1 + length)));
  return fields;
}

function readStructure(fields: AdvertisementFields, type: number, body: Uint8Array): void {
  switch (type) {
    case AD_TYPE.serviceData16:
      if (body.length >= 2) fields.serviceData.push({ uuid: u16le(body, 0), data: body.subarray(2) });
      break;
    case AD_TYPE.manufacturerData:
      if (body.length >= 2) fields.manufacturerData.push({ companyId: u16le(body, 0), data: body.subarray(2) });
      break;
    case AD_TYPE.shortName:
    case AD_TYPE.completeName:
      // A complete name wins over a shortened one, whatever the order.
      if (type === AD_TYPE.completeName || fields.localName === undefined) fields.localName = latin1(body);
      break;
    case AD_TYPE.flags:
      if (body.length >= 1) fields.flags = body[0];
      break;
    case AD_TYPE.txPower:
      if (body.length >= 1) fields.txPower = body[0]! > 127 ? body[0]! - 256 : body[0];
      break;
    case AD_TYPE.incomplete16:
    case AD_TYPE.complete16:
      for (let j = 0; j + 1 < body.length; j += 2) fields.serviceUuids.push(u16le(body, j));
      break;
    default:
      break;
  }
}

/** Names are UTF-8 on air; decode the ASCII subset and replace the rest, without TextDecoder. */
function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c === 0) break;
    s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '?';
  }
  return s;
}

/** Service data for one UUID, or undefined. */
export function findServiceData(fields: AdvertisementFields, uuid: number): Uint8Array | undefined {
  for (const sd of fields.serviceData) if (sd.uuid === uuid) return sd.data;
  return undefined;
}

/** Build one AD structure (used by tests, captures and the simulated peripherals). */
export function adStructure(type: number, body: Uint8Array): Uint8Array {
  if (body.length > 254) throw new Error('AD structure body too long');
  const out = new Uint8Array(body.length + 2);
  out[0] = body.length + 1;
  out[1] = type;
  out.set(body, 2);
  return out;
}

/** Build a 16-bit service data AD structure. */
export function serviceDataStructure(uuid: number, data: Uint8Array): Uint8Array {
  const body = new Uint8Array(data.length + 2);
  body[0] = uuid & 0xff;
  body[1] = uuid >> 8;
  body.set(data, 2);
  return adStructure(AD_TYPE.serviceData16, body);
}
