// Entry points of the passive path: service data or a whole advertisement in,
// readings (or a clear error) out. The UUID of the service data picks the decoder.

import { AD_TYPE, parseAdvertisement } from './ad/structures.js';
import { fromHex, hex4, normalizeMac } from './bytes/hex.js';
import { BTHOME_UUID, decodeBthome } from './decoders/bthome.js';
import { decodeCustom181a, ENVIRONMENTAL_SENSING_UUID } from './decoders/custom181a.js';
import { decodeMiBeacon, MIBEACON_UUID } from './decoders/mibeacon.js';
import { ATBTN_COMPANY_ID, decodeAtbtn } from './decoders/atbtn.js';
import { decodeQingping, QINGPING_UUID } from './decoders/qingping.js';
import { decodeHhccjcy10, decodeScaleV1, decodeScaleV2, HHCCJCY10_UUID, SCALE_V1_UUID, SCALE_V2_UUID } from './decoders/scales.js';
import { fail, refuseUnauthenticated, type DecodeContext, type DecodeResult } from './decoders/types.js';
import type { AesEncryptBlock } from './host.js';

type ServiceDecoder = (data: Uint8Array, mac: string | undefined, ctx: DecodeContext, localName?: string) => DecodeResult;

/** 16-bit service UUID -> decoder. The one place a new format is plugged in. */
const DECODERS = new Map<number, ServiceDecoder>([
  [MIBEACON_UUID, (d, mac, ctx) => decodeMiBeacon(d, mac, ctx)],
  [BTHOME_UUID, (d, mac, ctx, name) => decodeBthome(d, mac, name, ctx)],
  [ENVIRONMENTAL_SENSING_UUID, (d, mac, ctx) => decodeCustom181a(d, mac, ctx)],
  [QINGPING_UUID, (d, mac) => decodeQingping(d, mac)],
  [SCALE_V1_UUID, (d, mac) => decodeScaleV1(d, mac)],
  [SCALE_V2_UUID, (d, mac) => decodeScaleV2(d, mac)],
  [HHCCJCY10_UUID, (d, mac) => decodeHhccjcy10(d, mac)],
]);

export const KNOWN_UUIDS: readonly number[] = [...DECODERS.keys()];

export function decodeServiceData(uuid: number, data: Uint8Array, mac: string | undefined, ctx: DecodeContext, localName?: string): DecodeResult {
  const decoder = DECODERS.get(uuid);
  if (!decoder) return fail('unknown-format', `no decoder for service data UUID 0x${hex4(uuid)}`, { mac });
  return decodeGated(decoder, data, mac, ctx, localName);
}

/**
 * Every decode goes through here (service data alone or inside a whole advertisement): a
 * plain reading naming a keyed MAC never passes. One gate, so a new path cannot miss it.
 */
function decodeGated(decoder: ServiceDecoder, data: Uint8Array, mac: string | undefined, ctx: DecodeContext, localName: string | undefined): DecodeResult {
  return refuseUnauthenticated(decoder(data, mac, ctx, localName), mac, ctx);
}

// The two AD types the pre-filter tests, as module constants (see needsDecoding).
const SERVICE_DATA_16 = AD_TYPE.serviceData16;
const MANUFACTURER_DATA = AD_TYPE.manufacturerData;

/**
 * Whether decodeAdvertisement has anything to do with `ad`: a 16-bit service data
 * element whose UUID a decoder wants, ATBTN's manufacturer data, or a length that runs
 * past the end (reported as malformed). Reads only the length, type and UUID bytes, allocates nothing: the gateway
 * calls it first, so the phones, beacons and tags around it cost a few byte reads.
 */
export function needsDecoding(ad: Uint8Array): boolean {
  // Per AD structure: its type read once into a local and tested against module constants
  // (a property read of AD_TYPE per test costs more XS steps), the UUID only for the two
  // types that can carry one we want. This walk is most of what 70 % of adverts cost.
  const end = ad.length;
  let i = 0;
  while (i < end) {
    const length = ad[i]!;
    if (length === 0) return false; // zero padding ends the significant part
    const next = i + 1 + length;
    if (next > end) return true;
    if (length >= 3) {
      const type = ad[i + 1];
      if (type === SERVICE_DATA_16) {
        if (DECODERS.has(ad[i + 2]! | (ad[i + 3]! << 8))) return true;
      } else if (type === MANUFACTURER_DATA && (ad[i + 2]! | (ad[i + 3]! << 8)) === ATBTN_COMPANY_ID) return true;
    }
    i = next;
  }
  return false;
}


/**
 * Decode every service data element we know in a raw advertising payload. Unlike
 * Tasmota (first element only) all are tried, so a device that sends BTHome next to
 * another element is still read. No known element: one 'unknown-format' error.
 *
 * Walks the length bytes directly (what parseAdvertisement would give, without building
 * its lists): the local name is only read when a BTHome element can use it.
 */
export function decodeAdvertisement(ad: Uint8Array, mac: string | undefined, ctx: DecodeContext): DecodeResult[] {
  const results: DecodeResult[] = [];
  const end = significantEnd(ad);
  const malformed = end < 0;
  const stop = malformed ? -end - 1 : end;
  let localName: string | undefined;
  let nameRead = false;
  let buttons: DecodeResult[] | undefined; // ATBTN, after the service data as parseAdvertisement ordered them
  for (let i = 0; i < stop; i += 1 + ad[i]!) {
    const length = ad[i]!;
    if (length >= 3 && ad[i + 1] === AD_TYPE.manufacturerData && (ad[i + 2]! | (ad[i + 3]! << 8)) === ATBTN_COMPANY_ID) {
      (buttons ??= []).push(decodeGated(decodeAtbtn, ad.subarray(i + 4, i + 1 + length), mac, ctx, undefined));
      continue;
    }
    if (length < 3 || ad[i + 1] !== AD_TYPE.serviceData16) continue;
    const uuid = ad[i + 2]! | (ad[i + 3]! << 8);
    const decoder = DECODERS.get(uuid);
    if (!decoder) continue;
    if (uuid === BTHOME_UUID && !nameRead) {
      localName = parseAdvertisement(ad).localName; // BTHome only: the name it may be known by
      nameRead = true;
    }
    results.push(decodeGated(decoder, ad.subarray(i + 4, i + 1 + length), mac, ctx, localName));
  }
  // The one manufacturer-data format we decode (Tasmota's _ble driver has it too).
  if (buttons) results.push(...buttons);
  if (results.length === 0) {
    results.push(malformed
      ? fail('malformed', 'advertisement AD structure length runs past the end', { mac })
      : fail('unknown-format', 'advertisement has no service data we decode', { mac }));
  }
  return results;
}

/**
 * Where the complete AD structures end: the index after the last one (zero padding ends
 * them), or -(index + 1) when the structure at index runs past the end of the payload.
 */
function significantEnd(ad: Uint8Array): number {
  let i = 0;
  while (i < ad.length) {
    const length = ad[i]!;
    if (length === 0) return i;
    if (i + 1 + length > ad.length) return -i - 1;
    i += 1 + length;
  }
  return i;
}

/**
 * One decode request as the CLI and the JSONL batch mode take it: hex text fields.
 * `data` is service data for `uuid` (default fe95); `ad` is a whole advertisement.
 * `key` is a bind key (32 hex, or 24 for legacy v2/v3), or Tasmota's MI32Key form with
 * the MAC appended (44 or 36 hex).
 */
export interface DecodeRequest {
  mac?: string | null;
  uuid?: string | number;
  data?: string;
  ad?: string;
  key?: string;
}

export function decodeRequest(req: DecodeRequest, aes: AesEncryptBlock): DecodeResult {
  if (req === null || typeof req !== 'object') return fail('bad-input', 'request must be a JSON object');
  let mac: string | undefined;
  // No MAC (absent, null or ""): decoders that need none decode, the rest ask for it.
  if (req.mac !== undefined && req.mac !== null && req.mac !== '') {
    mac = typeof req.mac === 'string' ? normalizeMac(req.mac) : undefined;
    if (!mac) return fail('bad-input', `invalid MAC "${String(req.mac)}": need 6 bytes of hex`);
  }
  let key: Uint8Array | undefined;
  if (req.key !== undefined && req.key !== '') {
    const parsed = parseKey(req.key);
    if (typeof parsed === 'string') return fail('bad-input', parsed, { mac });
    key = parsed.key;
    if (parsed.mac) {
      if (mac && mac !== parsed.mac) return fail('bad-input', `key is for ${parsed.mac}, not ${mac}`, { mac });
      mac = parsed.mac;
    }
  }
  const ctx: DecodeContext = { aes, keyFor: () => key };
  if (req.ad !== undefined) {
    const ad = typeof req.ad === 'string' ? fromHex(req.ad) : undefined;
    if (!ad) return fail('bad-input', 'ad is not valid hex', { mac });
    return decodeAdvertisement(ad, mac, ctx)[0]!;
  }
  if (typeof req.data !== 'string') return fail('bad-input', 'need "data" (service data hex) or "ad" (advertisement hex)', { mac });
  const data = fromHex(req.data);
  if (!data) return fail('bad-input', 'data is not valid hex', { mac });
  const uuid = parseUuid(req.uuid);
  if (uuid === undefined) return fail('bad-input', `invalid UUID "${String(req.uuid)}": need 16-bit hex like fe95`, { mac });
  return decodeServiceData(uuid, data, mac, ctx);
}

function parseUuid(uuid: string | number | undefined): number | undefined {
  if (uuid === undefined || uuid === '') return MIBEACON_UUID;
  if (typeof uuid === 'number') return Number.isInteger(uuid) && uuid >= 0 && uuid <= 0xffff ? uuid : undefined;
  const m = /^(?:0x)?([0-9a-fA-F]{4})$/.exec(uuid);
  return m ? parseInt(m[1]!, 16) : undefined;
}

/** Parse a bind key, alone or in MI32Key form (key followed by the 12-hex MAC). */
export function parseKey(text: unknown): { key: Uint8Array; mac?: string } | string {
  if (typeof text !== 'string') return 'key must be a hex string';
  const digits = text.replace(/[\s:-]/g, '');
  if (!/^[0-9a-fA-F]*$/.test(digits)) return 'key is not valid hex';
  // An odd count is a digit too many or too few: say the length, not "not hex".
  const bytes = digits.length % 2 === 0 ? fromHex(digits)! : undefined;
  switch (bytes?.length) {
    case 16:
    case 12:
      return { key: bytes! };
    case 22:
    case 18: {
      const keyLength = bytes!.length - 6;
      return { key: bytes!.slice(0, keyLength), mac: normalizeMac(digits.slice(keyLength * 2))! };
    }
    default:
      return `key must be 32 hex digits (24 for legacy v2/v3 devices), or 44/36 with the MAC appended; got ${digits.length}`;
  }
}
