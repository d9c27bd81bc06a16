// A seeded radio mix for the device benchmarks: what an ESP32 in a flat hears with
// duplicate filtering off, as advertisements {mac, rssi, ad (hex)} at a fixed rate, plus the
// mi32cfg that lists the 200 Xiaomi devices of interest (with the bind keys of the
// encrypted ones). Same seed, same bytes, on any machine. Built from dist/ (npm run build).
//
// Proportions (of all advertisements) and why:
// - 30 % Xiaomi sensors of interest, 200 devices, each heard about once a second at
//   600 adverts/s. Every new frame is repeated 3-5 times (mean 4) before the next one: a
//   sensor re-sends its last reading in every advertising event until it measures again
//   (pvvx firmware: default advertising interval 2.5 s, pvvx/ATC_MiThermometer README;
//   stock Xiaomi TH sensors about 20 adverts/min, ble_monitor docs/faq.md; the number of
//   repeats per reading is our choice). 40 % of Xiaomi frames are encrypted (issue 11):
//   80 LYWSD03MMC with stock firmware (MiBeacon v5, AES-CCM), and 120 plain senders:
//   60 pvvx custom, 30 ATC1441, 30 plain MiBeacon (HHCCJCY01 Flora, v3 with capability).
// - 70 % unrelated advertisers, with random addresses (a pool of 150, and 2 % of
//   advertisements from a fresh random address, as privacy addresses rotate):
//     30 % Apple continuity (manufacturer 0x004C: Nearby Info, Handoff, Find My,
//          AirPods) and 5 % iBeacon (0x004C type 0x02): 35 % Apple in all, the top of
//          Home Assistant's "20-35 % of the traffic" (Bluetooth-Devices/habluetooth
//          manager.py, the comment on its Apple pre-filter);
//     12 % other phones' and PCs' manufacturer data (Samsung 0x0075, Microsoft 0x0006,
//          Google 0x00E0);
//      5 % Eddystone (service data 0xFEAA: UID, URL, TLM);
//     13 % non-Xiaomi service data (Google Fast Pair 0xFE2C, Tile 0xFEED, Exposure
//          Notification 0xFD6F, Amazon 0xFE03);
//      5 % flags and a name or TX power only (TVs, speakers, tags).
//   The split of the unrelated 70 % is our estimate of a flat, not a measurement; it
//   matters little to the cost as long as none of it carries a UUID a decoder wants.

import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const frames = await import(path.join(root, 'dist/host-sim/demo/frames.js'));
const { createPrng } = await import(path.join(root, 'dist/host-sim/demo/prng.js'));
const { toHex } = await import(path.join(root, 'dist/firmware/core/bytes/hex.js'));

export const MIX_NAME = 'flat-600hz-200dev-40pct-enc-v1';
export const ADVERTS_PER_SECOND = 600;
export const XIAOMI_SHARE = 0.3;

const KINDS = [
  // [kind, count of devices]
  ['lywsd03mmc-encrypted', 80],
  ['pvvx', 60],
  ['atc1441', 30],
  ['flora-plain', 30],
];

const UNRELATED = [
  // [share of all adverts, builder]
  [0.30, appleContinuity],
  [0.05, iBeacon],
  [0.12, otherManufacturer],
  [0.05, eddystone],
  [0.13, otherServiceData],
  [0.05, flagsOnly],
];

const hexOf = (bytes) => toHex(bytes);

function macFrom(prng, prefix) {
  let mac = prefix;
  while (mac.length < 12) mac += prng.int(0, 255).toString(16).padStart(2, '0').toUpperCase();
  return mac;
}

function randomBytes(prng, n) {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = prng.int(0, 255);
  return b;
}

/** A random (private) address: the two top bits say resolvable (01) or non-resolvable (00). */
function randomAddress(prng) {
  const b = randomBytes(prng, 6);
  b[0] = (b[0] & 0x3f) | (prng.chance(0.8) ? 0x40 : 0x00);
  return hexOf(b).toUpperCase();
}

function manufacturer(companyId, body) {
  const data = new Uint8Array(body.length + 2);
  data[0] = companyId & 0xff;
  data[1] = companyId >> 8;
  data.set(body, 2);
  return frames.advertisement(frames.FLAGS, adStructure(0xff, data));
}

function adStructure(type, body) {
  const out = new Uint8Array(body.length + 2);
  out[0] = body.length + 1;
  out[1] = type;
  out.set(body, 2);
  return out;
}

function appleContinuity(prng) {
  const type = [0x10, 0x10, 0x10, 0x0c, 0x12, 0x07][prng.int(0, 5)];
  const length = { 0x10: 5, 0x0c: 14, 0x12: 25, 0x07: 25 }[type];
  const body = Uint8Array.from([type, length, ...randomBytes(prng, length)]);
  // Find My and AirPods frames fill the whole 31 bytes: no flags structure.
  if (type === 0x12 || type === 0x07) return adStructure(0xff, Uint8Array.from([0x4c, 0x00, ...body]));
  return manufacturer(0x004c, body);
}

function iBeacon(prng) {
  return manufacturer(0x004c, Uint8Array.from([0x02, 0x15, ...randomBytes(prng, 16), 0x00, prng.int(0, 9), 0x00, prng.int(0, 99), 0xc5]));
}

function otherManufacturer(prng) {
  const company = [0x0075, 0x0006, 0x00e0][prng.int(0, 2)];
  return manufacturer(company, randomBytes(prng, prng.int(8, 24)));
}

function eddystone(prng) {
  const frame = [
    () => Uint8Array.from([0x00, 0xee, ...randomBytes(prng, 16), 0x00, 0x00]), // UID
    () => Uint8Array.from([0x10, 0xee, 0x03, ...new TextEncoder().encode('example.com/x')]), // URL
    () => Uint8Array.from([0x20, 0x00, 0x0b, 0xb8, 0x15, 0x80, ...randomBytes(prng, 8)]), // TLM
  ][prng.int(0, 2)]();
  return frames.advertisement(frames.FLAGS, adStructure(0x03, Uint8Array.of(0xaa, 0xfe)), frames.serviceData(0xfeaa, frame));
}

function otherServiceData(prng) {
  const uuid = [0xfe2c, 0xfeed, 0xfd6f, 0xfe03][prng.int(0, 3)];
  return frames.advertisement(frames.FLAGS, frames.serviceData(uuid, randomBytes(prng, uuid === 0xfd6f ? 20 : prng.int(3, 12))));
}

function flagsOnly(prng) {
  return prng.chance(0.5)
    ? frames.advertisement(frames.FLAGS, frames.completeName(['[TV] Samsung', 'JBL Flip 5', 'Tile', 'Govee_H6159'][prng.int(0, 3)]))
    : frames.advertisement(frames.FLAGS, adStructure(0x0a, Uint8Array.of(0xf4)));
}

function xiaomiDevices(prng) {
  const devices = [];
  for (const [kind, count] of KINDS) {
    for (let i = 0; i < count; i++) {
      const mac = macFrom(prng, kind === 'flora-plain' ? 'C47C8D' : 'A4C138');
      devices.push({
        kind, mac,
        key: kind === 'lywsd03mmc-encrypted' ? randomBytes(prng, 16) : undefined,
        counter: prng.int(0, 0xffff),
        temp: prng.range(17, 26), hum: prng.range(35, 65), battery: prng.int(40, 100),
        frame: undefined, repeatsLeft: 0, objectTurn: 0,
      });
    }
  }
  return devices;
}

const PID = { 'lywsd03mmc-encrypted': 0x055b, pvvx: 0x944a, atc1441: 0x0a1c, 'flora-plain': 0x0098 };

/** The next new frame of a device (service data wrapped in an advertisement). */
function newFrame(prng, d) {
  d.counter = (d.counter + 1) >>> 0;
  d.temp += prng.gauss() * 0.05;
  d.hum += prng.gauss() * 0.1;
  const t = Math.round(d.temp * 10) / 10;
  const h = Math.round(d.hum);
  switch (d.kind) {
    case 'lywsd03mmc-encrypted': {
      // One object per frame, as the stock firmware sends them in turn.
      const turn = d.objectTurn++ % 3;
      const objects = turn === 0 ? [[0x1004, frames.s16le(Math.round(t * 10))]]
        : turn === 1 ? [[0x1006, frames.u16le(h * 10)]] : [[0x100a, Uint8Array.of(d.battery)]];
      return frames.advertisement(frames.FLAGS, frames.serviceData(0xfe95, frames.miBeacon({ pid: 0x055b, mac: d.mac, counter: d.counter, objects, key: d.key })));
    }
    case 'pvvx':
      return frames.advertisement(frames.serviceData(0x181a, frames.pvvx(d.mac, d.temp, d.hum, 2950, d.battery, d.counter)));
    case 'atc1441':
      return frames.advertisement(frames.serviceData(0x181a, frames.atc1441(d.mac, t, h, d.battery, 2950, d.counter)));
    default: {
      const turn = d.objectTurn++ % 4;
      const objects = [
        [[0x1004, frames.s16le(Math.round(t * 10))]],
        [[0x1007, frames.u24le(prng.int(0, 2000))]],
        [[0x1008, Uint8Array.of(prng.int(10, 60))]],
        [[0x1009, frames.u16le(prng.int(100, 900))]],
      ][turn];
      return frames.advertisement(frames.serviceData(0xfe95, frames.miBeacon({ pid: 0x0098, mac: d.mac, counter: d.counter, objects, version: 3, capability: 0x0d })));
    }
  }
}

/**
 * `seconds` of the mix at ADVERTS_PER_SECOND: `{ adverts: [{t, mac, rssi, ad}], cfgText,
 * devices, counts }`. counts says how many adverts of each kind were made (new Xiaomi
 * frames, repeats, unrelated).
 */
export function makeRadioMix({ seed = 11, seconds = 100 } = {}) {
  const prng = createPrng(seed);
  const devices = xiaomiDevices(prng);
  const pool = Array.from({ length: 150 }, () => randomAddress(prng));
  const cumulative = [];
  let sum = 0;
  for (const [share, build] of UNRELATED) cumulative.push([(sum += share / (1 - XIAOMI_SHARE)), build]);
  const counts = { xiaomiNew: 0, xiaomiRepeat: 0, xiaomiEncrypted: 0, unrelated: 0 };
  const adverts = [];
  const total = Math.round(seconds * ADVERTS_PER_SECOND);
  for (let k = 0; k < total; k++) {
    const t = (k * 1000) / ADVERTS_PER_SECOND;
    const rssi = -40 - prng.int(0, 55);
    if (prng.chance(XIAOMI_SHARE)) {
      const d = devices[prng.int(0, devices.length - 1)];
      if (d.repeatsLeft === 0) {
        d.frame = hexOf(newFrame(prng, d));
        d.repeatsLeft = prng.int(3, 5);
        counts.xiaomiNew++;
      } else counts.xiaomiRepeat++;
      d.repeatsLeft--;
      if (d.key) counts.xiaomiEncrypted++;
      adverts.push({ t, mac: d.mac, rssi, ad: d.frame });
    } else {
      const r = prng.next();
      const build = cumulative.find(([c]) => r < c)?.[1] ?? flagsOnly;
      const mac = prng.chance(0.02) ? randomAddress(prng) : pool[prng.int(0, pool.length - 1)];
      counts.unrelated++;
      adverts.push({ t, mac, rssi, ad: hexOf(build(prng)) });
    }
  }
  const cfg = devices.map((d) => ({ MAC: d.mac, PID: PID[d.kind].toString(16).padStart(4, '0'), key: d.key ? hexOf(d.key).toUpperCase() : '' }));
  return { name: MIX_NAME, adverts, cfgText: JSON.stringify(cfg), devices: devices.length, counts };
}
