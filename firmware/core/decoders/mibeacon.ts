// MiBeacon (service data UUID 0xFE95), versions 2-5.
//
// Layout (little-endian): frame control (2) | product id (2) | frame counter (1)
//   | MAC, reversed (6, if FC bit 4) | capability (1, if FC bit 5) [+ I/O capability (1)
//   if capability bit 5] | objects (if FC bit 6), encrypted when FC bit 3:
//   v4/v5: ciphertext | ext counter (3) | MIC (4) — AES-CCM, 12-byte nonce, AAD 0x11
//   v2/v3: ciphertext | ext counter (3) | 1 byte — AES-CCM keystream, no usable tag

import { concat, macBytesReversed, macFromReversed } from '../bytes/hex.js';
import { u16le, u24le } from '../bytes/read.js';
import { ccmCtrOnly, ccmDecrypt } from '../crypto/ccm.js';
import { deviceByPid, NO_QUIRKS, pidHex, unknownDeviceName } from '../devices/table.js';
import { decodeObjects } from './mibeacon-objects.js';
import { fail, NO_MAC, type DecodeContext, type DecodeResult, type Reading } from './types.js';

export const MIBEACON_UUID = 0xfe95;

const FC = {
  encrypted: 1 << 3,
  hasMac: 1 << 4,
  hasCapability: 1 << 5,
  hasObject: 1 << 6,
  mesh: 1 << 7,
} as const;

const CAPABILITY_HAS_IO = 0x20;
const AAD = new Uint8Array([0x11]);
/** The 4 bytes Xiaomi inserts to stretch a 12-byte legacy bind key to AES-128. */
const LEGACY_KEY_FILLER = new Uint8Array([0x8d, 0x3d, 0x3c, 0x97]);

/** Expand a legacy (v2/v3) 12-byte key to 16 bytes: key[0..5] ‖ 8D3D3C97 ‖ key[6..11]. */
export function expandLegacyKey(key: Uint8Array): Uint8Array {
  if (key.length !== 12) return key;
  return concat(key.subarray(0, 6), LEGACY_KEY_FILLER, key.subarray(6));
}

/**
 * Decode one MiBeacon. `sourceMac` is the BLE address the frame came from (display
 * order), or undefined when unknown (CLI without --mac): then the MAC in the frame is
 * used, and a frame without one cannot be decrypted.
 */
export function decodeMiBeacon(data: Uint8Array, sourceMac: string | undefined, ctx: DecodeContext): DecodeResult {
  if (data.length < 5) return fail('too-short', `MiBeacon too short: ${data.length} bytes, need at least 5`, { mac: sourceMac, format: 'mibeacon' });
  const fc = u16le(data, 0);
  const version = fc >> 12;
  const pid = u16le(data, 2);
  const device = deviceByPid(pid); // looked up once: its quirk flags go to the object decoders
  const model = device?.model ?? unknownDeviceName(pid);
  const base = {
    format: 'mibeacon' as const,
    pid: pidHex(pid),
    model,
    type: device?.name ?? unknownDeviceName(pid),
    encrypted: (fc & FC.encrypted) !== 0,
  };
  if (fc & FC.mesh) return fail('unsupported', 'MiBeacon mesh frames are not supported', { mac: sourceMac, ...base });
  if (version < 2) return fail('unsupported', `MiBeacon version ${version} is not supported`, { mac: sourceMac, ...base });

  let i = 5;
  let mac = sourceMac;
  if (fc & FC.hasMac) {
    if (data.length < i + 6) return fail('too-short', 'MiBeacon truncated inside the MAC field', { mac: sourceMac, ...base });
    const frameMac = macFromReversed(data.subarray(5, 11));
    if (sourceMac !== undefined && frameMac !== sourceMac) {
      return fail('mac-mismatch', `MAC in frame ${frameMac} is not the sender ${sourceMac}`, { mac: sourceMac, ...base });
    }
    mac = frameMac;
    i += 6;
  }
  // The nonce holds the sender's address: only decryption needs it.
  if (mac === undefined && base.encrypted) return fail('bad-input', 'encrypted frame carries no MAC: give the sender MAC (--mac)', base);
  mac ??= NO_MAC;
  if (fc & FC.hasCapability) {
    if (data.length < i + 1) return fail('too-short', 'MiBeacon truncated at the capability byte', { mac, ...base });
    const capability = data[i]!;
    i += 1;
    if (capability & CAPABILITY_HAS_IO) {
      if (data.length < i + 1) return fail('too-short', 'MiBeacon truncated at the I/O capability byte', { mac, ...base });
      i += 1;
    }
  }

  if (!(fc & FC.hasObject)) {
    // No objects means no ciphertext and no tag, whatever the encryption bit says: the
    // header (counter included) is anyone's to write. Devices send such beacons while
    // pairing; for a keyed device they must change nothing, so they are an error here.
    if (ctx.keyFor(mac)) {
      return fail('not-encrypted', `MiBeacon from ${mac} carries no objects (a pairing or capability beacon): nothing authenticated, ignored`, { mac, ...base, encrypted: false, empty: true });
    }
    return { mac, model, type: base.type, pid: base.pid, format: 'mibeacon', encrypted: false, counter: data[4]!, values: {} };
  }

  const reading: Reading = { mac, model, type: base.type, pid: base.pid, format: 'mibeacon', encrypted: base.encrypted, counter: data[4]!, values: {} };

  let payload: Uint8Array;
  if (base.encrypted) {
    const key = ctx.keyFor(mac);
    if (!key) return fail('no-key', `encrypted MiBeacon v${version} and no bind key for ${mac}`, { mac, ...base });
    // The nonce holds the reversed MAC: the frame's own bytes when it carries them (checked
    // against the sender above), else parsed from the sender's MAC text.
    const macReversed = fc & FC.hasMac ? data.subarray(5, 11) : macBytesReversed(mac);
    const decrypted = version >= 4 ? decryptV4V5(data, i, mac, macReversed, key, ctx) : decryptLegacy(data, i, macReversed, key, ctx);
    if ('error' in decrypted) return { ...decrypted, mac, ...base };
    payload = decrypted.payload;
    reading.counter = decrypted.counter;
  } else {
    if (ctx.keyFor(mac)) {
      // A bound device encrypts every object; a plain one in its name is forged or
      // corrupted (e.g. a flipped encryption bit), so it must not become a reading.
      return fail('not-encrypted', `plain MiBeacon from ${mac}, which has a bind key: rejected`, { mac, ...base });
    }
    if (data.length < i + 3) return fail('too-short', 'MiBeacon object header truncated', { mac, ...base });
    payload = data.subarray(i);
  }

  const walk = decodeObjects(payload, device ?? NO_QUIRKS);
  const legacy = base.encrypted && version < 4;
  if (legacy && walk.unknown.length > 0) {
    // Legacy frames have no tag: an object id we do not know is the likeliest sign of
    // a wrong key (Tasmota's own check is weaker: object id 0x10xx).
    return fail('wrong-key', `legacy MiBeacon v${version} decrypts to unknown objects ${walk.unknown.join(',')}: wrong key?`, { mac, ...base });
  }
  if (walk.malformedAt !== undefined) {
    // For v4/v5 the tag already proved the bytes; for legacy frames a garbled object
    // list is the only sign of a wrong key.
    return fail(legacy ? 'wrong-key' : 'malformed',
      legacy ? `legacy MiBeacon v${version} decrypts to garbage: wrong key?` : `object at byte ${walk.malformedAt} runs past the end of the frame`,
      { mac, ...base });
  }
  reading.values = walk.values;
  if (walk.unknown.length) reading.unknown = walk.unknown;
  return reading;
}

type Decrypted = { payload: Uint8Array; counter: number } | { error: string; code: 'too-short' | 'wrong-key' | 'bad-input' };

function decryptV4V5(data: Uint8Array, i: number, mac: string, macReversed: Uint8Array, key: Uint8Array, ctx: DecodeContext): Decrypted {
  if (key.length !== 16) return { error: `MiBeacon v4/v5 needs a 16-byte bind key, got ${key.length}`, code: 'bad-input' };
  // at least one object header (3) + ext counter (3) + MIC (4) after the header
  if (data.length < i + 3 + 7) return { error: `encrypted MiBeacon too short: ${data.length} bytes`, code: 'too-short' };
  const ext = data.subarray(data.length - 7, data.length - 4);
  const nonce = concat(macReversed, data.subarray(2, 5), ext);
  const payload = ccmDecrypt({ aes: ctx.aes, key, nonce, aad: AAD, tagLength: 4 }, data.subarray(i, data.length - 7), data.subarray(data.length - 4));
  if (!payload) return { error: `MiBeacon tag does not verify for ${mac}: wrong key or corrupted frame`, code: 'wrong-key' };
  return { payload, counter: data[4]! + u24le(ext, 0) * 256 };
}

function decryptLegacy(data: Uint8Array, i: number, macReversed: Uint8Array, key: Uint8Array, ctx: DecodeContext): Decrypted {
  const fullKey = expandLegacyKey(key);
  if (fullKey.length !== 16) return { error: `legacy MiBeacon needs a 12- or 16-byte bind key, got ${key.length}`, code: 'bad-input' };
  if (data.length < i + 3 + 4) return { error: `encrypted legacy MiBeacon too short: ${data.length} bytes`, code: 'too-short' };
  // nonce: FC, PID, counter (5) ‖ ext counter (3) ‖ first 5 bytes of the reversed MAC
  const nonce = concat(data.subarray(0, 5), data.subarray(data.length - 4, data.length - 1), macReversed.subarray(0, 5));
  const payload = ccmCtrOnly({ aes: ctx.aes, key: fullKey, nonce }, data.subarray(i, data.length - 4));
  return { payload, counter: data[4]! + u24le(data, data.length - 4) * 256 };
}
