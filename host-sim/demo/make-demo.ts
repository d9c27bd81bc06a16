// The demo home: four minutes of what an ESP32 in a flat hears, for replays, docs and
// end-to-end tests. Twelve sensors of the kinds Tasmota MI32 users own, a neighbour's
// thermometer we have no key for, a phone, scan responses and one corrupted frame.
//
// Like real devices, each frame is advertised several times (same counter: the gateway
// must count it once), values drift slowly, and events (door, motion, buttons) come in
// short bursts. Everything comes from one seeded PRNG, so the output never changes
// unless this file does; test/capture/demo.test.ts compares it with examples/demo/.
//
// Each advertisement also says what it means: the readings the device meant to send
// (`meant`, in Tasmota's value keys at the resolution the format carries) or how it is
// meant to fail (`expect`). test/capture/demo.test.ts decodes the committed capture with
// the core and compares what comes out with these, value by value.

import type { ErrorCode } from '../../firmware/core/decoders/types.js';
import { fromHex } from '../../firmware/core/bytes/hex.js';
import { deviceByPid } from '../../firmware/core/devices/table.js';
import { toJsonl } from '../capture/jsonl.js';
import type { CapturedAdvertisement } from '../capture/types.js';
import {
  FLAGS, UUID, advertisement, atc1441, bthomeEncrypted, completeName, miBeacon, pvvx, qingping,
  s16le, serviceData, u16le, u24le, u32le, type MiObject,
} from './frames.js';
import { createPrng, type Prng } from './prng.js';

export const DEMO_DURATION_MS = 240_000;
const SEED = 0x4d493332; // "MI32"

export interface Mi32CfgEntry {
  MAC: string;
  PID: string;
  key: string;
}

export interface DemoDevice {
  mac: string;
  addrType: 'public' | 'random';
  model: string;
  format: 'mibeacon' | 'pvvx' | 'atc' | 'bthome' | 'qingping' | 'foreign';
  /** Where it is in the demo home, for humans. */
  place: string;
  /** mi32cfg PID (4 lowercase hex); '' for devices that are not in mi32cfg. */
  pid: string;
  /** Bind key, 32 uppercase hex, or '' for plain devices. */
  key: string;
  /** Listed in mi32cfg (the neighbour's sensor and the phone are not). */
  configured: boolean;
}

/** The readings a device meant to send in one advertisement, keyed as in Tasmota's SENSOR JSON. */
export type MeantValues = Readonly<Record<string, number>>;

export interface DemoHome {
  capture: CapturedAdvertisement[];
  mi32cfg: Mi32CfgEntry[];
  devices: DemoDevice[];
  /** Advertisements that are meant not to decode (index into capture), and how they fail. */
  expectedErrors: Array<{ index: number; code: ErrorCode; why: string }>;
  /** Every other advertisement (index into capture): who sent it, when, and the readings it carries. */
  intended: Array<{ index: number; mac: string; t: number; values: MeantValues }>;
}

/** What one advertisement means: readings, or a failure on purpose. */
type Meaning = { meant: MeantValues } | { expect: { code: ErrorCode; why: string } };

/** A reading at the resolution its format carries: 1 decimal in 0x1004, 2 in pvvx, ... */
function atDecimals(value: number, decimals: number): number {
  return Math.round(value * 10 ** decimals) / 10 ** decimals;
}

/** A MiBeacon object with the reading it carries. */
type Sent = { object: MiObject; meant: MeantValues };

/** The MiBeacon objects the demo devices send, each with what it means (Tasmota keys; Door 1 = open, see README). */
const MI = {
  temperature: (c: number): Sent => ({ object: [0x1004, s16le(Math.round(c * 10))], meant: { Temperature: atDecimals(c, 1) } }),
  humidity: (pct: number): Sent => ({ object: [0x1006, u16le(Math.round(pct * 10))], meant: { Humidity: atDecimals(pct, 1) } }),
  battery: (pct: number): Sent => ({ object: [0x100a, new Uint8Array([pct])], meant: { Battery: pct } }),
  illuminance: (lux: number): Sent => ({ object: [0x1007, u24le(lux)], meant: { Illuminance: lux } }),
  moisture: (pct: number): Sent => ({ object: [0x1008, new Uint8Array([pct])], meant: { Moisture: pct } }),
  fertility: (uScm: number): Sent => ({ object: [0x1009, u16le(uScm)], meant: { Fertility: uScm } }),
  motion: (lux: number): Sent => ({ object: [0x000f, u24le(lux)], meant: { Motion: 1, Illuminance: lux } }),
  noMotionFor: (s: number): Sent => ({ object: [0x1017, u32le(s)], meant: { NMT: s } }),
  light: (on: boolean): Sent => ({ object: [0x1018, new Uint8Array([on ? 1 : 0])], meant: { Light: on ? 1 : 0 } }),
  // On air 0 is open and 1 closed; a close also says the door is no longer left open.
  door: (open: boolean): Sent => ({ object: [0x1019, new Uint8Array([open ? 0 : 1])], meant: open ? { Door: 1 } : { Door: 0, DoorLeftOpen: 0 } }),
  // Tasmota publishes Button<num> with the press type + 1: 1 single, 2 double, 3 hold.
  button: (num: number, press: 'single' | 'double' | 'hold'): Sent => {
    const type = ['single', 'double', 'hold'].indexOf(press);
    return { object: [0x1001, new Uint8Array([num, 0, type])], meant: { [`Button${num}`]: type + 1 } };
  },
};

/** Made-up bind keys that nobody will mistake for real ones: DEC0DE…00nn. */
function demoKey(n: number): string {
  return 'DEC0DE' + '00'.repeat(12) + n.toString(16).toUpperCase().padStart(2, '0');
}

type Pending = CapturedAdvertisement & Meaning & { seq: number };

class Air {
  readonly items: Pending[] = [];
  constructor(readonly rng: Prng) {}

  /** One advertising event per repeat, `interval` apart plus the 0-10 ms advDelay. */
  send(dev: DemoDevice & { rssi: number }, t: number, ad: Uint8Array, meaning: Meaning, repeats: number, interval: number, until = DEMO_DURATION_MS): void {
    for (let k = 0; k < repeats; k++) {
      const at = Math.round(t + k * interval + this.rng.range(0, 10));
      if (at >= until) return; // a device stops repeating a frame once it has a newer one
      this.push(dev, at, ad, meaning);
    }
  }

  push(dev: DemoDevice & { rssi: number }, t: number, ad: Uint8Array, meaning: Meaning): void {
    const rssi = Math.max(-95, Math.min(-45, Math.round(dev.rssi + 2.5 * this.rng.gauss())));
    this.items.push({ t, mac: dev.mac, addrType: dev.addrType, rssi, ad, seq: this.items.length, ...meaning });
  }
}

/** A room climate that drifts slowly: sine over ~15 minutes plus a small random walk. */
function climate(rng: Prng, baseT: number, baseH: number) {
  const phase = rng.range(0, 2 * Math.PI);
  let walkT = 0;
  let walkH = 0;
  return (t: number) => {
    walkT += 0.02 * rng.gauss();
    walkH += 0.08 * rng.gauss();
    const s = Math.sin((2 * Math.PI * t) / 900_000 + phase);
    return { temp: baseT + 0.4 * s + walkT, hum: Math.max(1, Math.min(99, baseH - 1.5 * s + walkH)) };
  };
}

type Dev = DemoDevice & { rssi: number };

function device(d: Omit<DemoDevice, 'configured'> & { rssi: number; configured?: boolean }): Dev {
  return { configured: true, ...d };
}

export function makeDemoHome(): DemoHome {
  const rng = createPrng(SEED);
  const air = new Air(rng);
  const devices: Dev[] = [];
  const add = (d: Dev) => (devices.push(d), d);

  // --- LYWSD03MMC (stock firmware) and MHO-C401: MiBeacon v5 encrypted, one object per frame
  const stock: Array<[string, string, number, number, number, number, number]> = [
    // mac, place, rssi, base temp, base humidity, first counter, PID (0x055b LYWSD03MMC, 0x0387 MHO-C401)
    ['A4C1381A2B01', 'living room', -58, 21.8, 45, 4711, 0x055b],
    ['A4C1381A2B02', 'bedroom', -71, 19.6, 52, 250, 0x055b], // frame counter byte wraps: ext counter steps
    ['A4C1381A2B03', 'bathroom', -80, 22.9, 68, 0xfff8, 0x055b], // ext counter byte 0 rolls over too
    ['A4C13855C401', 'kitchen', -66, 23.4, 48, 96, 0x0387],
  ];
  stock.forEach(([mac, place, rssi, baseT, baseH, firstCounter, pid], n) => {
    const model = deviceByPid(pid)!.model;
    const keyHex = demoKey(n + 1);
    const dev = add(device({ mac, addrType: 'public', model, format: 'mibeacon', place, pid: hex4(pid), key: keyHex, rssi }));
    const key = fromHex(keyHex)!;
    const air0 = climate(rng, baseT, baseH);
    const battery = rng.int(70, 100);
    let t = rng.range(0, 10_000);
    for (let k = 0; t < DEMO_DURATION_MS; k++) {
      const { temp, hum } = air0(t);
      const sent = k % 5 === 4 ? MI.battery(battery) : k % 2 === 0 ? MI.temperature(temp) : MI.humidity(hum);
      const frame = miBeacon({ pid, mac, counter: firstCounter + k, objects: [sent.object], key });
      const ad = advertisement(FLAGS, serviceData(UUID.MIBEACON, frame));
      for (let r = 0; r < 4; r++) {
        const at = Math.round(t + r * 2_500 + rng.range(0, 10));
        if (at >= DEMO_DURATION_MS) break;
        air.push(dev, at, ad, { meant: sent.meant });
        // an active scan gets the name in the scan response, now and then
        if (n === 0 && rng.chance(0.3)) air.push(dev, at + 1, completeName('LYWSD03MMC'), { expect: { code: 'unknown-format', why: 'scan response: name only' } });
        if (n === 0 && k === 7 && r === 2) {
          air.push(dev, at + 3, ad.slice(0, 20), { expect: { code: 'malformed', why: 'frame cut short on air: AD length runs past the end' } });
        }
      }
      t += 10_000 + rng.range(-500, 500);
    }
  });

  // --- LYWSD03MMC with pvvx firmware: 0x181A custom format, 15 bytes, plain
  {
    const dev = add(device({ mac: 'A4C1385D6E7F', addrType: 'public', model: 'LYWSD03MMC (pvvx)', format: 'pvvx', place: 'office', pid: '944a', key: '', rssi: -62 }));
    const office = climate(rng, 22.4, 41);
    let t = rng.range(0, 2_500);
    for (let k = 0; t < DEMO_DURATION_MS; k++) {
      const { temp, hum } = office(t);
      const mV = 2950 - Math.floor(k / 10);
      const frame = pvvx(dev.mac, temp, hum, mV, 87, 0x40 + k);
      const meant = { Temperature: atDecimals(temp, 2), Humidity: atDecimals(hum, 2), Battery: 87, Voltage: mV / 1000 };
      air.send(dev, t, advertisement(FLAGS, serviceData(UUID.ENVIRONMENTAL, frame)), { meant }, 4, 2_500);
      t += 10_000 + rng.range(0, 20);
    }
  }

  // --- ATC1441 firmware: 0x181A, 13 bytes big-endian; the name fits where flags would not
  {
    const dev = add(device({ mac: 'A4C138C0FFEE', addrType: 'public', model: 'LYWSD03MMC (ATC1441)', format: 'atc', place: 'garage', pid: '0a1c', key: '', rssi: -88 }));
    const garage = climate(rng, 14.2, 71);
    let t = rng.range(0, 2_500);
    for (let k = 0; t < DEMO_DURATION_MS; k++) {
      const { temp, hum } = garage(t);
      const frame = atc1441(dev.mac, temp, hum, 64, 2771, 200 + k);
      const meant = { Temperature: atDecimals(temp, 1), Humidity: atDecimals(hum, 0), Battery: 64, Voltage: 2.771 };
      air.send(dev, t, advertisement(serviceData(UUID.ENVIRONMENTAL, frame), completeName('ATC_C0FFEE')), { meant }, 4, 2_500);
      t += 10_000 + rng.range(0, 20);
    }
  }

  // --- BTHome v2 encrypted DIY sensor (random static address), a new reading every 30 s
  {
    const keyHex = demoKey(5);
    const dev = add(device({ mac: 'F1E2D3C4B5A6', addrType: 'random', model: 'BTHome v2 (DIY)', format: 'bthome', place: 'garden shed', pid: 'b770', key: keyHex, rssi: -91 }));
    const shed = climate(rng, 8.5, 83);
    let t = rng.range(0, 5_000);
    for (let k = 0; t < DEMO_DURATION_MS; k++) {
      const { temp, hum } = shed(t);
      const objects = new Uint8Array([0x01, 91, 0x02, ...s16le(Math.round(temp * 100)), 0x03, ...u16le(Math.round(hum * 100))]);
      const frame = bthomeEncrypted(dev.mac, fromHex(keyHex)!, objects, 0x00012000 + k);
      const meant = { Battery: 91, Temperature: atDecimals(temp, 2), Humidity: atDecimals(hum, 2) };
      air.send(dev, t, advertisement(FLAGS, serviceData(UUID.BTHOME, frame), completeName('Shed')), { meant }, 3, 1_000);
      t += 30_000 + rng.range(-200, 200);
    }
  }

  // --- Flora HHCCJCY01: plain MiBeacon v2 with capability, one object per frame in turn
  {
    const dev = add(device({ mac: 'C47C8D6A1B2C', addrType: 'public', model: 'HHCCJCY01', format: 'mibeacon', place: 'monstera, living room', pid: '0098', key: '', rssi: -55 }));
    const room = climate(rng, 21.5, 45);
    let moisture = 38;
    let t = rng.range(0, 3_000);
    for (let k = 0; t < DEMO_DURATION_MS; k++) {
      const { temp } = room(t);
      if (k % 20 === 19) moisture -= 1; // drying out
      const lux = Math.round(850 + 120 * Math.sin(t / 60_000) + 15 * rng.gauss());
      const sent = [MI.temperature(temp), MI.illuminance(lux), MI.moisture(moisture), MI.fertility(412)][k % 4]!;
      const frame = miBeacon({ pid: 0x0098, mac: dev.mac, counter: (17 + k) & 0xff, objects: [sent.object], version: 2, capability: 0x0d });
      const ad = advertisement(FLAGS, serviceData(UUID.MIBEACON, frame));
      air.send(dev, t, ad, { meant: sent.meant }, 2, 1_500);
      if (rng.chance(0.25)) air.push(dev, Math.round(t) + 1, completeName('Flower care'), { expect: { code: 'unknown-format', why: 'scan response: name only' } });
      t += 3_000 + rng.range(0, 10);
    }
  }

  // --- MJYD02YL nightlight: v5 encrypted without MAC in the frame; motion, no-motion, light
  {
    const keyHex = demoKey(6);
    const key = fromHex(keyHex)!;
    const dev = add(device({ mac: '50EC50A1B2C3', addrType: 'public', model: 'MJYD02YL', format: 'mibeacon', place: 'hallway', pid: '07f6', key: keyHex, rssi: -64 }));
    const events: Array<[number, Sent, number]> = [
      [42_300, MI.motion(0), 5], // motion, dark
      [77_800, MI.motion(0), 5], // motion again
      [197_800, MI.noMotionFor(120), 5], // no motion for 120 s
      [214_100, MI.motion(100), 5], // motion, light on
    ];
    for (let t = 5_000 + rng.range(0, 1_000), k = 0; t < DEMO_DURATION_MS; t += 30_000, k++) {
      events.push([t, k % 2 ? MI.battery(93) : MI.light(false), 3]); // heartbeat
    }
    sendInOrder(air, dev, events, 31, (objects, counter) => miBeacon({ pid: 0x07f6, mac: dev.mac, counter, objects, key, includeMac: false }));
  }

  // --- MCCGQ02HL door/window sensor: v5 encrypted, open/close events in bursts
  {
    const keyHex = demoKey(7);
    const key = fromHex(keyHex)!;
    const dev = add(device({ mac: 'E4AAEC3C4D5E', addrType: 'public', model: 'MCCGQ02HL', format: 'mibeacon', place: 'front door', pid: '098b', key: keyHex, rssi: -74 }));
    const events: Array<[number, Sent, number]> = [[63_200, true], [71_900, false], [151_000, true], [158_400, false]] // opened, closed
      .map(([t, open]) => [t as number, MI.door(open as boolean), 5]);
    for (let t = 12_000 + rng.range(0, 1_000), k = 0; t < DEMO_DURATION_MS; t += 60_000, k++) {
      events.push([t, k % 2 ? MI.light(true) : MI.battery(88), 3]); // heartbeat
    }
    sendInOrder(air, dev, events, 140, (objects, counter) => miBeacon({ pid: 0x098b, mac: dev.mac, counter, objects, key }));
  }

  // --- YLYK01YL remote: plain MiBeacon v3, button presses only
  {
    const dev = add(device({ mac: 'F82441ABCDEF', addrType: 'public', model: 'YLYK01YL', format: 'mibeacon', place: 'bedside remote', pid: '0153', key: '', rssi: -60 }));
    let counter = 9;
    const presses: Array<[number, number, 'single' | 'hold']> = [[30_500, 0, 'single'], [95_000, 3, 'single'], [96_200, 3, 'single'], [140_000, 1, 'hold'], [222_700, 2, 'single']];
    for (const [t, button, press] of presses) {
      const sent = MI.button(button, press);
      const frame = miBeacon({ pid: 0x0153, mac: dev.mac, counter: counter++, objects: [sent.object], version: 3 });
      air.send(dev, t, advertisement(FLAGS, serviceData(UUID.MIBEACON, frame)), { meant: sent.meant }, 4, 50);
    }
  }

  // --- Qingping CGG1: 0xFDCD, temperature/humidity and battery TLVs plus a packet id
  {
    const dev = add(device({ mac: '582D34112233', addrType: 'public', model: 'CGG1', format: 'qingping', place: 'nursery', pid: '0347', key: '', rssi: -77 }));
    const nursery = climate(rng, 20.7, 50);
    let t = rng.range(0, 2_500);
    for (let k = 0; t < DEMO_DURATION_MS; k++) {
      const { temp, hum } = nursery(t);
      const frame = qingping(dev.mac, 0x07, [[0x01, new Uint8Array([...s16le(Math.round(temp * 10)), ...u16le(Math.round(hum * 10))])], [0x02, new Uint8Array([76])], [0x0f, new Uint8Array([(k + 3) & 0xff])]]);
      const meant = { Temperature: atDecimals(temp, 1), Humidity: atDecimals(hum, 1), Battery: 76 }; // 0x0f is the packet id, no reading
      air.send(dev, t, advertisement(FLAGS, serviceData(UUID.QINGPING, frame)), { meant }, 4, 2_500);
      t += 10_000 + rng.range(0, 20);
    }
  }

  // --- Not ours: the neighbour's LYWSD03MMC (no key) and a phone (manufacturer data only)
  {
    const dev = add(device({ mac: 'A4C13899EE01', addrType: 'public', model: 'LYWSD03MMC', format: 'mibeacon', place: "neighbour's flat", pid: '', key: '', rssi: -93, configured: false }));
    const theirKey = fromHex('0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F')!;
    let t = rng.range(0, 10_000);
    for (let k = 0; t < DEMO_DURATION_MS; k++) {
      const frame = miBeacon({ pid: 0x055b, mac: dev.mac, counter: 600 + k, objects: [[0x1004, s16le(230 + (k % 3))]], key: theirKey });
      air.send(dev, t, advertisement(FLAGS, serviceData(UUID.MIBEACON, frame)), { expect: { code: 'no-key', why: "a neighbour's sensor: no bind key here" } }, 2, 2_500);
      t += 10_000 + rng.range(-500, 500);
    }
    const phone = add(device({ mac: '6B1F22C0A1B2', addrType: 'random', model: 'phone', format: 'foreign', place: 'somebody\'s pocket', pid: '', key: '', rssi: -52, configured: false }));
    for (let t = rng.range(0, 5_000); t < DEMO_DURATION_MS; t += 5_000 + rng.range(-100, 100)) {
      const ad = advertisement(adStructureFlags(0x1a), new Uint8Array([0x0a, 0xff, 0x4c, 0x00, 0x10, 0x05, 0x01, 0x18, ...[rng.int(0, 255), rng.int(0, 255), rng.int(0, 255)]]));
      air.push(phone, Math.round(t), ad, { expect: { code: 'unknown-format', why: 'a phone: manufacturer data only' } });
    }
  }

  const sorted = air.items.sort((a, b) => a.t - b.t || a.seq - b.seq);
  const capture: CapturedAdvertisement[] = sorted.map(({ t, mac, addrType, rssi, ad }) => ({ t, mac, addrType, rssi, ad }));
  const expectedErrors = sorted.flatMap((p, index) => ('expect' in p ? [{ index, ...p.expect }] : []));
  const intended = sorted.flatMap((p, index) => ('meant' in p ? [{ index, mac: p.mac, t: p.t, values: p.meant }] : []));
  const mi32cfg = devices.filter((d) => d.configured).map((d) => ({ MAC: d.mac, PID: d.pid, key: d.key }));
  return { capture, mi32cfg, devices: devices.map(({ rssi: _rssi, ...d }) => d), expectedErrors, intended };
}

/**
 * Event devices: frames in time order, so the frame counter only goes up. Events burst
 * (5 repeats, 300 ms apart), heartbeats trickle (3 repeats, 2 s apart).
 */
function sendInOrder(air: Air, dev: Dev, frames: Array<[t: number, sent: Sent, repeats: number]>, firstCounter: number, build: (objects: MiObject[], counter: number) => Uint8Array): void {
  const sorted = [...frames].sort((a, b) => a[0] - b[0]);
  sorted.forEach(([t, sent, repeats], i) => {
    const ad = advertisement(FLAGS, serviceData(UUID.MIBEACON, build([sent.object], firstCounter + i)));
    air.send(dev, t, ad, { meant: sent.meant }, repeats, repeats === 5 ? 300 : 2_000, Math.min(sorted[i + 1]?.[0] ?? DEMO_DURATION_MS, DEMO_DURATION_MS));
  });
}

function adStructureFlags(flags: number): Uint8Array {
  return new Uint8Array([0x02, 0x01, flags]);
}

function hex4(n: number): string {
  return n.toString(16).padStart(4, '0');
}

/** The committed files, exactly as written to examples/demo/. */
export function demoFiles(home: DemoHome = makeDemoHome()): { 'home.jsonl': string; mi32cfg: string } {
  return {
    'home.jsonl': toJsonl(home.capture),
    mi32cfg: '[\n' + home.mi32cfg.map((e) => JSON.stringify(e)).join(',\n') + '\n]\n',
  };
}
