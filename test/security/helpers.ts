// Shared by the security suites: a keyed LYWSD03MMC, plain ATC/pvvx frames built the way
// the firmwares lay them out, and a seeded generator so floods are reproducible.
import { serviceDataStructure } from '../../firmware/core/ad/structures.js';
import { Registry } from '../../firmware/core/gateway/registry.js';
import { createNodeAes } from '../../host-sim/crypto.js';
import { bytes, miBeacon } from '../helpers/frames.js';

export const MAC = 'A4C138112233';
export const MAC_REVERSED = '33221138c1a4';
export const KEY_HEX = '0123456789ABCDEFFEDCBA9876543210';
export const KEY = bytes(KEY_HEX);

export function adv(data: Uint8Array, mac = MAC, uuid = 0xfe95) {
  return { mac, rssi: -60, ad: serviceDataStructure(uuid, data) };
}

/** A genuine encrypted LYWSD03MMC temperature frame; its 32-bit counter is ext * 256 + counter. */
export function lywsd03(ext: number, counter: number, tempTenths: number, key = KEY) {
  return adv(miBeacon({ pid: 0x055b, mac: MAC, counter, extCounter: ext, key, objects: [[0x1004, new Uint8Array([tempTenths & 0xff, tempTenths >> 8])]] }));
}

export function keyedRegistry(options: { limit?: number } = {}): Registry {
  const r = new Registry({ aes: createNodeAes(), ...options });
  r.setKey(MAC, KEY);
  return r;
}

/** ATC1441 plain (13 bytes): MAC, T (s16 BE, 0.1 °C), H %, battery %, mV (BE), counter. */
export function atcPlain(mac: string, tempTenths: number, counter: number): Uint8Array {
  const d = bytes(mac + '0000320b0c1c00');
  d[6] = (tempTenths >> 8) & 0xff; d[7] = tempTenths & 0xff; d[12] = counter;
  return d;
}

/** pvvx custom plain (15 bytes, or 17 with two trailing bytes): MAC reversed, T (s16 LE, 0.01 °C), H, mV, battery, counter, flags. */
export function pvvxPlain(mac: string, tempHundredths: number, counter: number, length = 15): Uint8Array {
  const d = new Uint8Array(length);
  d.set(bytes(mac).reverse(), 0);
  d[6] = tempHundredths & 0xff; d[7] = (tempHundredths >> 8) & 0xff;
  d[8] = 0x88; d[9] = 0x13; // 50.00 %
  d[10] = 0x1c; d[11] = 0x0c; // 3100 mV
  d[12] = 90; d[13] = counter; d[14] = 0;
  return d;
}

/** mulberry32: a small seeded PRNG, so a flood is the same on every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomMac(rand: () => number): string {
  let s = '';
  for (let i = 0; i < 6; i++) s += Math.floor(rand() * 256).toString(16).padStart(2, '0');
  return s.toUpperCase();
}
