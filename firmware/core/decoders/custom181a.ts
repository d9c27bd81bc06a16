// Custom firmware for LYWSD03MMC-class thermometers on service data 0x181A:
//   ATC1441 (13 bytes, big-endian)          MAC(6) T(s16 /10) H(u8) Bat%(u8) mV(u16) counter(u8)
//   pvvx custom (15 bytes, little-endian)   MAC(6, reversed) T(s16 /100) H(u16 /100) mV(u16) Bat%(u8) counter(u8) flags(u8)
//   pvvx encrypted custom (11 bytes)        counter(u8) | CCM(T s16 /100, H u16 /100, Bat% u8, flags u8) | MIC(4)
//   ATC1441 encrypted (8 bytes)             counter(u8) | CCM(T u8 /2 -40, H u8 /2, bat|trigger u8) | MIC(4)
// Encrypted forms: AES-CCM, 4-byte tag, AAD 0x11, 11-byte nonce = MAC reversed (6) ‖
// the first 5 bytes of the AD structure (length, 0x16, UUID 1A 18, counter).

import { concat, macBytesReversed, macFromReversed, toHex } from '../bytes/hex.js';
import { s16be, s16le, u16be, u16le } from '../bytes/read.js';
import { ccmDecrypt } from '../crypto/ccm.js';
import { FAKE_PID, readingIdentity } from '../devices/table.js';
import { fail, type DecodeContext, type DecodeResult, type Format, type Reading, type Values } from './types.js';

export const ENVIRONMENTAL_SENSING_UUID = 0x181a;

const ATC = { format: 'atc' as const, ...readingIdentity(FAKE_PID.ATC) };
const PVVX = { format: 'pvvx' as const, ...readingIdentity(FAKE_PID.PVVX) };
const AAD = new Uint8Array([0x11]);

export function decodeCustom181a(data: Uint8Array, sourceMac: string | undefined, ctx: DecodeContext): DecodeResult {
  switch (data.length) {
    case 13: return atcPlain(data);
    case 8: return encrypted(data, sourceMac, ctx, ATC, atcEncryptedValues);
    case 11: return encrypted(data, sourceMac, ctx, PVVX, pvvxEncryptedValues);
    default:
      // Tasmota treats every other length as pvvx; 15 is the format, 17 adds 2 bytes we skip.
      if (data.length >= 15) return pvvxPlain(data);
      return fail('too-short', `0x181A service data of ${data.length} bytes is not an ATC (13), pvvx (15) or encrypted (8/11) frame`, { mac: sourceMac });
  }
}

function atcPlain(d: Uint8Array): Reading {
  return {
    mac: toHex(d.subarray(0, 6)).toUpperCase(),
    ...ATC,
    encrypted: false,
    counter: d[12]!,
    values: { Temperature: s16be(d, 6) / 10, Humidity: d[8]!, Battery: d[9]!, Voltage: u16be(d, 10) / 1000 },
  };
}

function pvvxPlain(d: Uint8Array): Reading {
  // byte 14 holds trigger/reed flags; only meaningful with extra wiring, so not reported
  return {
    mac: macFromReversed(d.subarray(0, 6)),
    ...PVVX,
    encrypted: false,
    counter: d[13]!,
    values: {
      Temperature: s16le(d, 6) / 100,
      Humidity: u16le(d, 8) / 100,
      Battery: d[12]!,
      Voltage: u16le(d, 10) / 1000,
    },
  };
}

function atcEncryptedValues(p: Uint8Array): Values {
  return { Temperature: p[0]! / 2 - 40, Humidity: p[1]! / 2, Battery: Math.min(p[2]! & 0x7f, 100) };
}

function pvvxEncryptedValues(p: Uint8Array): Values {
  return { Temperature: s16le(p, 0) / 100, Humidity: u16le(p, 2) / 100, Battery: Math.min(p[4]!, 100) };
}

function encrypted(
  d: Uint8Array,
  mac: string | undefined,
  ctx: DecodeContext,
  kind: { format: Format; model: string; type: string; pid: string },
  values: (plain: Uint8Array) => Values,
): DecodeResult {
  const base = { ...kind, encrypted: true };
  if (mac === undefined) return fail('bad-input', 'encrypted 0x181A frames carry no MAC: give the sender MAC', base);
  const key = ctx.keyFor(mac);
  if (!key) return fail('no-key', `encrypted ${kind.model} frame and no bind key for ${mac}`, { mac, ...base });
  if (key.length !== 16) return fail('bad-input', `${kind.model} needs a 16-byte bind key`, { mac, ...base });
  const adHeader = new Uint8Array([d.length + 3, 0x16, 0x1a, 0x18, d[0]!]);
  const nonce = concat(macBytesReversed(mac), adHeader);
  const plain = ccmDecrypt({ aes: ctx.aes, key, nonce, aad: AAD, tagLength: 4 }, d.subarray(1, d.length - 4), d.subarray(d.length - 4));
  if (!plain) return fail('wrong-key', `${kind.model} tag does not verify for ${mac}: wrong key or corrupted frame`, { mac, ...base });
  return { mac, ...base, counter: d[0]!, values: values(plain) };
}
