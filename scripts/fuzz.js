// `npm run fuzz`: a seeded fuzz run of the decoders and the registry's replay guard.
// Not part of `npm test` (it takes a while); prints one JSON line summary and exits
// non-zero when anything escaped. Options: --inputs N (default 1,000,000), --seed S.
//
// Inputs, in turns:
//  - mutations of genuine encrypted frames (MiBeacon v5 with and without the MAC field,
//    BTHome v2, pvvx 11-byte, ATC 8-byte) fed to a registry that already holds the genuine
//    frame: bit flips, byte changes, truncation, extension, header/flag edits, splices,
//    and plain 0x181A / MiBeacon frames naming the keyed MAC;
//  - random service data for every known UUID, and random advertisements.
// An escape is: an exception; a reading for the keyed device whose values or counter
// differ from the genuine frame's (a forged authenticated value); a plain (unauthenticated)
// reading for a keyed MAC; or any change of the keyed slot's counter, resync run or values.
// Legacy MiBeacon v2/v3 frames carry no tag (CTR only, malleable by design) and are
// fuzzed only for exceptions, through the random inputs.

import { createCipheriv } from 'node:crypto';
import { decodeAdvertisement, decodeServiceData, KNOWN_UUIDS } from '../dist/firmware/core/decode.js';
import { serviceDataStructure } from '../dist/firmware/core/ad/structures.js';
import { Registry } from '../dist/firmware/core/gateway/registry.js';
import { createNodeAes } from '../dist/host-sim/crypto.js';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : fallback;
};
const INPUTS = opt('--inputs', 1_000_000);
const SEED = opt('--seed', 1);

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = mulberry32(SEED);
const int = (n) => Math.floor(rand() * n);
const randomBytes = (n) => Uint8Array.from({ length: n }, () => int(256));

// --- genuine frames, built with node:crypto independently of the decoders ------------
// Each kind of frame belongs to its own device (MAC and key), so a splice of two genuine
// frames is never a genuine frame of the device under test.
const device = (i) => ({
  mac: 'A4C1381122' + (0x30 + i).toString(16).toUpperCase(),
  key: Buffer.from('0123456789abcdeffedcba98765432' + (0x10 + i).toString(16), 'hex'),
});
const reversedMac = (mac) => Buffer.from(mac, 'hex').reverse();

function ccm(key, nonce, plain, aad) {
  const c = createCipheriv('aes-128-ccm', key, nonce, { authTagLength: 4 });
  if (aad) c.setAAD(aad, { plaintextLength: plain.length });
  const ct = Buffer.concat([c.update(plain), c.final()]);
  return { ct, tag: c.getAuthTag() };
}

function miBeaconV5({ mac, key }, withMac) {
  const fc = 0x5000 | 0x0040 | 0x0008 | (withMac ? 0x0010 : 0);
  const head = Buffer.from([fc & 0xff, fc >> 8, 0x5b, 0x05, 0x42]);
  const ext = Buffer.from([0x01, 0x00, 0x00]);
  const { ct, tag } = ccm(key, Buffer.concat([reversedMac(mac), head.subarray(2, 5), ext]), Buffer.from('0d1004d700e001', 'hex'), Buffer.from([0x11]));
  return Buffer.concat([head, withMac ? reversedMac(mac) : Buffer.alloc(0), ct, ext, tag]);
}

function bthome({ mac, key }) {
  const info = 0x41;
  const counter = Buffer.from([0x10, 0x00, 0x00, 0x00]);
  const { ct, tag } = ccm(key, Buffer.concat([Buffer.from(mac, 'hex'), Buffer.from([0xd2, 0xfc, info]), counter]), Buffer.from('02ca0903bf13', 'hex'));
  return Buffer.concat([Buffer.from([info]), ct, counter, tag]);
}

function custom181a({ mac, key }, plain, counter) {
  const total = 1 + plain.length + 4;
  const { ct, tag } = ccm(key, Buffer.concat([reversedMac(mac), Buffer.from([total + 3, 0x16, 0x1a, 0x18, counter])]), plain, Buffer.from([0x11]));
  return Buffer.concat([Buffer.from([counter]), ct, tag]);
}

const GENUINE = [
  { name: 'mibeacon-v5', uuid: 0xfe95, make: (d) => miBeaconV5(d, true), counterAt: 4 },
  { name: 'mibeacon-v5-nomac', uuid: 0xfe95, make: (d) => miBeaconV5(d, false), counterAt: 4 },
  { name: 'bthome', uuid: 0xfcd2, make: bthome, counterAt: -8 },
  { name: 'pvvx-enc', uuid: 0x181a, make: (d) => custom181a(d, Buffer.from('66080e1b5000', 'hex'), 7), counterAt: 0 },
  { name: 'atc-enc', uuid: 0x181a, make: (d) => custom181a(d, Buffer.from('7a6455', 'hex'), 9), counterAt: 0 },
].map((g, i) => ({ ...g, ...device(i), data: new Uint8Array(g.make(device(i))) }));

// --- mutations ------------------------------------------------------------------------
const MUTATIONS = [
  ['flip-bits', (d) => { const o = d.slice(); for (let k = 1 + int(3); k > 0; k--) { const i = int(o.length); o[i] ^= 1 << int(8); } return o; }],
  ['set-byte', (d) => { const o = d.slice(); o[int(o.length)] = int(256); return o; }],
  ['header-counter', (d, t) => { const o = d.slice(); const i = (t.counterAt + o.length) % o.length; o[i] = (o[i] + 1 + int(255)) & 0xff; return o; }],
  ['flags', (d) => { const o = d.slice(); o[int(Math.min(2, o.length))] ^= 1 << int(8); return o; }],
  ['truncate', (d) => d.slice(0, int(d.length))],
  ['extend', (d) => { const o = new Uint8Array(d.length + 1 + int(8)); o.set(d); o.set(randomBytes(o.length - d.length), d.length); return o; }],
  ['shift', (d) => { const i = int(d.length); const o = new Uint8Array(d.length + 1); o.set(d.subarray(0, i)); o[i] = int(256); o.set(d.subarray(i), i + 1); return o; }],
  ['delete', (d) => { const i = int(d.length); return Uint8Array.from([...d.subarray(0, i), ...d.subarray(i + 1)]); }],
  ['splice', (d) => { const other = GENUINE[int(GENUINE.length)].data; const i = int(d.length); return Uint8Array.from([...d.subarray(0, i), ...other.subarray(i)]); }],
  ['plain-181a', (d, t) => { const n = [13, 15, 17][int(3)]; const o = randomBytes(n); o.set(n === 13 ? Buffer.from(t.mac, 'hex') : reversedMac(t.mac), 0); return o; }],
  ['plain-mibeacon', (d, t) => { const o = randomBytes(11 + int(12)); o.set([(int(256) & ~0x88) | 0x10, 0x50 | int(16), 0x5b, 0x05], 0); o.set(reversedMac(t.mac), 5); return o; }],
];

// --- the run --------------------------------------------------------------------------
const aes = createNodeAes();
const KEYED = GENUINE[0];
const ctx = { aes, keyFor: (mac) => (mac === KEYED.mac ? new Uint8Array(KEYED.key) : undefined) };

const targets = GENUINE.map((g) => {
  const registry = new Registry({ aes });
  registry.setKey(g.mac, new Uint8Array(g.key));
  const [o] = registry.ingest({ mac: g.mac, rssi: -60, ad: serviceDataStructure(g.uuid, g.data) }, 1);
  if (o.kind !== 'values') throw new Error(`genuine ${g.name} frame does not decode: ${JSON.stringify(o)}`);
  const slot = registry.slots.get(g.mac);
  return { ...g, registry, reading: o.reading, snapshot: () => JSON.stringify([slot.counter, slot.behind, slot.values]) };
});
for (const t of targets) t.before = t.snapshot();

let inputs = 0;
let exceptions = 0;
let forged = 0;
const byMutation = {};
const examples = [];
const escape = (kind, detail) => {
  if (examples.length < 5) examples.push({ kind, ...detail });
};
const started = Date.now();

while (inputs < INPUTS) {
  const turn = inputs % 10;
  inputs++;
  try {
    if (turn < 8) {
      const t = targets[int(targets.length)];
      const [name, mutate] = MUTATIONS[int(MUTATIONS.length)];
      byMutation[name] = (byMutation[name] ?? 0) + 1;
      const data = mutate(t.data, t);
      const sender = rand() < 0.9 ? t.mac : 'C0FFEE000001';
      for (const o of t.registry.ingest({ mac: sender, rssi: -60, ad: serviceDataStructure(t.uuid, data) }, 2)) {
        const r = o.reading;
        // only what is said about the keyed device matters; other MACs are other devices
        if (!r || (r.mac !== t.mac && o.slot?.mac !== t.mac)) continue;
        if (o.kind === 'values' || o.kind === 'replay' || !r.encrypted || r.counter !== t.reading.counter || JSON.stringify(r.values) !== JSON.stringify(t.reading.values)) {
          forged++;
          escape(o.kind, { frame: t.name, mutation: name, hex: Buffer.from(data).toString('hex') });
        }
      }
      if (t.snapshot() !== t.before) {
        forged++;
        escape('slot-moved', { frame: t.name, mutation: name, hex: Buffer.from(data).toString('hex') });
        t.before = t.snapshot();
      }
    } else if (turn === 8) {
      const uuid = KNOWN_UUIDS[int(KNOWN_UUIDS.length)];
      const data = randomBytes(int(40));
      if (uuid === 0xfe95 && data.length > 1 && rand() < 0.5) data[1] = (data[1] & 0x0f) | (0x20 + int(4) * 0x10); // versions 2-5
      const r = decodeServiceData(uuid, data, rand() < 0.5 ? KEYED.mac : undefined, ctx);
      if (!r.error && r.mac === KEYED.mac && !r.encrypted) {
        forged++;
        escape('plain-for-keyed', { uuid, hex: Buffer.from(data).toString('hex') });
      }
    } else {
      decodeAdvertisement(randomBytes(int(62)), rand() < 0.5 ? KEYED.mac : 'C0FFEE000001', ctx);
    }
  } catch (e) {
    exceptions++;
    escape('exception', { message: String(e?.stack ?? e).split('\n').slice(0, 3).join(' | ') });
  }
}

const summary = {
  fuzz: 'decoders+replay-guard', seed: SEED, inputs, escapes: exceptions + forged, exceptions, forged,
  genuineFrames: GENUINE.map((g) => g.name), byMutation, ms: Date.now() - started,
  ...(examples.length ? { examples } : {}),
};
console.log(JSON.stringify(summary));
process.exitCode = summary.escapes > 0 ? 1 : 0;
