// Frame builders for the simulated devices of the demo home: the bytes each real device
// puts on air, written from the format descriptions (see the decoders' header comments),
// encrypted with the core's CCM over Node's AES.

import { AD_TYPE, adStructure, serviceDataStructure } from '../../firmware/core/ad/structures.js';
import { concat, macBytes, reversed } from '../../firmware/core/bytes/hex.js';
import { ccmEncrypt } from '../../firmware/core/crypto/ccm.js';
import { createNodeAes } from '../crypto.js';

const aes = createNodeAes();
const AAD_11 = new Uint8Array([0x11]);

export const UUID = { MIBEACON: 0xfe95, ENVIRONMENTAL: 0x181a, BTHOME: 0xfcd2, QINGPING: 0xfdcd } as const;

/** AD flags: LE General Discoverable, BR/EDR not supported. */
export const FLAGS = adStructure(AD_TYPE.flags, new Uint8Array([0x06]));

export function completeName(name: string): Uint8Array {
  return adStructure(AD_TYPE.completeName, new TextEncoder().encode(name));
}

export function u16le(n: number): Uint8Array {
  return new Uint8Array([n & 0xff, (n >> 8) & 0xff]);
}
export function s16le(n: number): Uint8Array {
  return u16le(n & 0xffff);
}
export function u24le(n: number): Uint8Array {
  return new Uint8Array([n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff]);
}
export function u32le(n: number): Uint8Array {
  return new Uint8Array([n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff]);
}

export type MiObject = [id: number, value: Uint8Array];

function objectBytes(objects: readonly MiObject[]): Uint8Array {
  return concat(...objects.map(([id, v]) => concat(u16le(id), new Uint8Array([v.length]), v)));
}

export interface MiBeaconFrame {
  pid: number;
  mac: string;
  /** 32-bit frame counter: the low byte goes in the header, the rest in the ext counter. */
  counter: number;
  objects: readonly MiObject[];
  /** v5 AES-CCM when given. */
  key?: Uint8Array;
  /** Frame version for plain frames (2..5); encrypted frames are always v5. */
  version?: number;
  includeMac?: boolean;
  /** Capability byte (plain frames; Flora sends 0x0d). */
  capability?: number;
}

/**
 * MiBeacon service data (UUID 0xFE95). Frame control: bit 3 encrypted, 4 MAC, 5
 * capability, 6 object, bits 12-15 version. Encrypted v5: objects are sealed with a
 * nonce of reversed MAC ‖ pid ‖ counter low byte ‖ ext counter (3), AAD 0x11, 4-byte
 * tag, and followed by ext counter ‖ tag.
 */
export function miBeacon(f: MiBeaconFrame): Uint8Array {
  const includeMac = f.includeMac ?? true;
  const encrypted = f.key !== undefined;
  const version = encrypted ? 5 : (f.version ?? 5);
  const fc = (version << 12) | 0x40 | (f.capability !== undefined ? 0x20 : 0) | (includeMac ? 0x10 : 0) | (encrypted ? 0x08 : 0) | (version >= 4 ? 0x0800 : 0);
  const head = concat(u16le(fc), u16le(f.pid), new Uint8Array([f.counter & 0xff]));
  const macRev = reversed(macBytes(f.mac));
  const parts: Uint8Array[] = [head];
  if (includeMac) parts.push(macRev);
  if (f.capability !== undefined) parts.push(new Uint8Array([f.capability]));
  const payload = objectBytes(f.objects);
  if (!encrypted) return concat(...parts, payload);
  const ext = u24le(Math.floor(f.counter / 256));
  const nonce = concat(macRev, head.subarray(2, 5), ext);
  const sealed = ccmEncrypt({ aes, key: f.key!, nonce, aad: AAD_11, tagLength: 4 }, payload);
  return concat(...parts, sealed.subarray(0, payload.length), ext, sealed.subarray(payload.length));
}

/** pvvx custom format, 15 bytes little-endian (UUID 0x181A). */
export function pvvx(mac: string, tempC: number, humidity: number, batteryMv: number, batteryPct: number, counter: number): Uint8Array {
  return concat(
    reversed(macBytes(mac)),
    s16le(Math.round(tempC * 100)),
    u16le(Math.round(humidity * 100)),
    u16le(batteryMv),
    new Uint8Array([batteryPct, counter & 0xff, 0x04]), // flags: bit 2 = "trigger output on" is typical; decoders skip it
  );
}

/** ATC1441 format, 13 bytes big-endian (UUID 0x181A). */
export function atc1441(mac: string, tempC: number, humidityPct: number, batteryPct: number, batteryMv: number, counter: number): Uint8Array {
  const t = Math.round(tempC * 10) & 0xffff;
  return concat(macBytes(mac), new Uint8Array([t >> 8, t & 0xff, Math.round(humidityPct), batteryPct, batteryMv >> 8, batteryMv & 0xff, counter & 0xff]));
}

/**
 * Encrypted BTHome v2 (UUID 0xFCD2): device info 0x41 | ciphertext | counter (4) | tag (4).
 * Nonce = MAC (display order) ‖ D2 FC ‖ device info ‖ counter; no AAD.
 */
export function bthomeEncrypted(mac: string, key: Uint8Array, objects: Uint8Array, counter: number): Uint8Array {
  const info = 0x41;
  const counterBytes = u32le(counter);
  const nonce = concat(macBytes(mac), new Uint8Array([0xd2, 0xfc, info]), counterBytes);
  const sealed = ccmEncrypt({ aes, key, nonce, tagLength: 4 }, objects);
  return concat(new Uint8Array([info]), sealed.subarray(0, objects.length), counterBytes, sealed.subarray(objects.length));
}

/** Qingping (UUID 0xFDCD): frame control | device id | MAC reversed | TLVs. */
export function qingping(mac: string, deviceId: number, tlvs: ReadonlyArray<[type: number, value: Uint8Array]>): Uint8Array {
  return concat(new Uint8Array([0x88, deviceId]), reversed(macBytes(mac)), ...tlvs.map(([type, v]) => concat(new Uint8Array([type, v.length]), v)));
}

/** A whole advertisement from AD structures; legacy advertising allows 31 bytes. */
export function advertisement(...structures: Uint8Array[]): Uint8Array {
  const ad = concat(...structures);
  if (ad.length > 31) throw new RangeError(`advertisement of ${ad.length} bytes does not fit legacy advertising (31)`);
  return ad;
}

export function serviceData(uuid: number, data: Uint8Array): Uint8Array {
  return serviceDataStructure(uuid, data);
}
