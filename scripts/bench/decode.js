// Decoder benchmark: one JSON line per figure on stdout. Never asserts on speed.
//
// - Node frames/s of our decoder (decodeServiceData on bytes, the path the scanner takes)
//   on plain MiBeacon frames from the fixtures and on encrypted v5 MiBeacons built here,
//   and of the reference, homebridge-mi-hygrothermograph's Parser, on the same plain frames.
// - XS cost per frame from xsnap's deterministic compute meter (bundled core, soft AES):
//   compute of a K-frame loop minus the same loop without the decode, divided by K.
//
// Needs `npm run bundle` first (`npm run bench` does it).

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPeerParser } from './peer.js';
import { startXsWorker } from '../lib/xsnap-worker.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const core = await import(path.join(root, 'dist/firmware/core/index.js'));
const { createNodeAes } = await import(path.join(root, 'dist/host-sim/crypto.js'));
const Parser = loadPeerParser();

const MIBEACON_UUID = 0xfe95;
const NODE_RUN_MS = 1000;
const XS_FRAMES = 1000;

const emit = (figure) => console.log(JSON.stringify(figure));
/** Uses a loop's results, so the JIT cannot drop the work being timed. */
const keep = (sink) => { if (Number.isNaN(sink)) console.error('bench: NaN sink'); };

// ---- frames ----

/**
 * Plain MiBeacon frames from the fixtures that both decoders read: ours without error,
 * and the reference without throwing (it knows fewer objects), so both do the same work.
 */
function plainFixtureFrames() {
  const dir = path.join(root, 'test/fixtures');
  const frames = [];
  const seen = new Set();
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort()) {
    for (const line of fs.readFileSync(path.join(dir, file), 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      let fx;
      try { fx = JSON.parse(line); } catch { continue; }
      if (typeof fx.data !== 'string' || (fx.uuid ?? 'fe95').toLowerCase() !== 'fe95' || seen.has(fx.data)) continue;
      const r = core.decodeRequest({ mac: fx.mac, data: fx.data }, createNodeAes());
      if (r.error || r.format !== 'mibeacon' || r.encrypted) continue;
      try { new Parser(Buffer.from(fx.data, 'hex')).parse(); } catch { continue; }
      seen.add(fx.data);
      frames.push({ mac: r.mac, hex: fx.data.toLowerCase() });
    }
  }
  return frames;
}

const ENCRYPTED_KEY = 'b853075158487ca39a5b5ea9fa8a1e35';
const ENCRYPTED_MAC = 'A4C138B2C3D4';
const LYWSD03MMC_PID = 0x055b;

/**
 * Encrypted MiBeacon v5 frames as a LYWSD03MMC sends them, one object each:
 * FC 58 58 | pid LE | counter | MAC reversed | ciphertext | ext counter(3) | tag(4),
 * nonce = MAC reversed | pid LE | counter | ext counter, aad 0x11, 4-byte tag.
 */
function encryptedFrames() {
  const aes = createNodeAes();
  const key = core.fromHex(ENCRYPTED_KEY);
  const macReversed = core.fromHex(ENCRYPTED_MAC).reverse();
  const objects = [
    [0x1004, [0xd2, 0x00]], // temperature 21.0
    [0x1006, [0x5e, 0x01]], // humidity 35.0
    [0x100a, [0x5a]], // battery 90
    [0x1004, [0xf6, 0xff]], // temperature -1.0
    [0x1006, [0xe8, 0x03]], // humidity 100.0
    [0x100a, [0x07]], // battery 7
  ];
  return objects.map(([objectId, value], i) => {
    const counter = 0x20 + i;
    const ext = [i, 0x00, 0x00];
    const pid = [LYWSD03MMC_PID & 0xff, LYWSD03MMC_PID >> 8];
    const plaintext = Uint8Array.from([objectId & 0xff, objectId >> 8, value.length, ...value]);
    const nonce = Uint8Array.from([...macReversed, ...pid, counter, ...ext]);
    const sealed = core.ccmEncrypt({ aes, key, nonce, aad: Uint8Array.of(0x11), tagLength: 4 }, plaintext);
    const ciphertext = sealed.subarray(0, plaintext.length);
    const tag = sealed.subarray(plaintext.length);
    const frame = Uint8Array.from([0x58, 0x58, ...pid, counter, ...macReversed, ...ciphertext, ...ext, ...tag]);
    return { mac: ENCRYPTED_MAC, hex: core.toHex(frame) };
  });
}

// ---- Node ----

/** Calls `once(i)` round-robin for about NODE_RUN_MS after a warm-up; frames per second. */
function framesPerSec(once) {
  for (let i = 0; i < 20000; i++) once(i);
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    for (let j = 0; j < 1000; j++, n++) once(n);
    elapsed = performance.now() - start;
  } while (elapsed < NODE_RUN_MS);
  return { framesPerSec: Math.round((n * 1000) / elapsed), frames: n };
}

function nodeFigures(bench, frames, key) {
  const keyBytes = key ? core.fromHex(key) : undefined;
  const ctx = { aes: createNodeAes(), keyFor: () => keyBytes };
  const bytes = frames.map((f) => core.fromHex(f.hex));
  const macs = frames.map((f) => f.mac);
  // Each frame must decode; a benchmark of error paths would measure nothing useful.
  bytes.forEach((b, i) => {
    const r = core.decodeServiceData(MIBEACON_UUID, b, macs[i], ctx);
    if (r.error) throw new Error(`${bench}: frame ${frames[i].hex} does not decode: ${r.error}`);
  });
  let sink = 0;
  const ours = framesPerSec((i) => {
    const k = i % bytes.length;
    sink += core.decodeServiceData(MIBEACON_UUID, bytes[k], macs[k], ctx).counter;
  });
  emit({ bench, impl: 'mi32-xs', runtime: 'node', ...ours, distinctFrames: frames.length });
  keep(sink);
}

function referenceFigures(bench, frames) {
  const buffers = frames.map((f) => Buffer.from(f.hex, 'hex'));
  let sink = 0;
  const ref = framesPerSec((i) => {
    sink += new Parser(buffers[i % buffers.length]).parse().frameCounter;
  });
  emit({ bench, impl: 'homebridge-mi-hygrothermograph', runtime: 'node', ...ref, distinctFrames: frames.length });
  keep(sink);
}

/**
 * The whole-advertisement path (AD walk + service data decode, as the gateway calls it)
 * against the reference's Parser on the same plain frames' service data, interleaved in
 * one process: each round runs windows A B B A (A = ours, B = the reference) of
 * WINDOW_MS each, so drift in machine load hits both alike; ratio per round = ours/s
 * over theirs/s; the figure is the median over ROUNDS rounds.
 */
function advertNodeFigures(frames) {
  const WINDOW_MS = 150;
  const ROUNDS = 9;
  const ctx = { aes: createNodeAes(), keyFor: () => undefined };
  const flags = Uint8Array.of(0x02, 0x01, 0x06);
  const ads = frames.map((f) => {
    const sd = core.serviceDataStructure(MIBEACON_UUID, core.fromHex(f.hex));
    const ad = new Uint8Array(flags.length + sd.length);
    ad.set(flags, 0);
    ad.set(sd, flags.length);
    return ad;
  });
  const macs = frames.map((f) => f.mac);
  const buffers = frames.map((f) => Buffer.from(f.hex, 'hex'));
  ads.forEach((ad, i) => {
    const r = core.decodeAdvertisement(ad, macs[i], ctx)[0];
    if (r.error) throw new Error(`decode.advert.node: advertisement ${core.toHex(ad)} does not decode: ${r.error}`);
  });
  let sink = 0;
  const ours = (i) => { const k = i % ads.length; sink += core.decodeAdvertisement(ads[k], macs[k], ctx)[0].counter; };
  const theirs = (i) => { sink += new Parser(buffers[i % buffers.length]).parse().frameCounter; };
  const window = (once) => {
    let n = 0;
    const start = performance.now();
    let elapsed = 0;
    do {
      for (let j = 0; j < 500; j++, n++) once(n);
      elapsed = performance.now() - start;
    } while (elapsed < WINDOW_MS);
    return n / elapsed;
  };
  for (let i = 0; i < 20000; i++) { ours(i); theirs(i); }
  const ratios = [];
  for (let r = 0; r < ROUNDS; r++) {
    const a1 = window(ours);
    const b1 = window(theirs);
    const b2 = window(theirs);
    const a2 = window(ours);
    ratios.push((a1 + a2) / (b1 + b2));
  }
  keep(sink);
  ratios.sort((x, y) => x - y);
  emit({ bench: 'decode.advert.node', ratioToPeer: Number(ratios[Math.floor(ROUNDS / 2)].toFixed(2)), rounds: ROUNDS, peer: 'homebridge-mi-hygrothermograph', minRatio: Number(ratios[0].toFixed(2)), maxRatio: Number(ratios[ROUNDS - 1].toFixed(2)), distinctFrames: frames.length });
}

// ---- XS ----

/** Compute meter per frame in a fresh xsnap worker running the bundled core. */
async function xsFigures(bench, frames, key) {
  const xs = await startXsWorker(`mi32-bench-${bench}`);
  try {
    await xs.loadBundle('mi32-core');
    await xs.evaluate(`(() => {
      const frames = ${JSON.stringify(frames.map((f) => f.hex))}.map((h) => MI32Core.fromHex(h));
      const macs = ${JSON.stringify(frames.map((f) => f.mac))};
      const key = ${key ? `MI32Core.fromHex(${JSON.stringify(key)})` : 'undefined'};
      const ctx = { aes: MI32Core.createSoftAes(), keyFor: () => key };
      let sink;
      globalThis.benchDecode = (k) => {
        for (let i = 0; i < k; i++) sink = MI32Core.decodeServiceData(0xfe95, frames[i % frames.length], macs[i % frames.length], ctx);
      };
      globalThis.benchBaseline = (k) => {
        for (let i = 0; i < k; i++) sink = frames[i % frames.length];
      };
      globalThis.benchGc = () => { if (typeof gc === 'function') gc(); };
      // Warm up: any lazily built tables (AES S-box, ...) are not part of a frame's cost.
      for (let i = 0; i < frames.length; i++) {
        const r = MI32Core.decodeServiceData(0xfe95, frames[i], macs[i], ctx);
        if (r.error) throw new Error('XS: frame ' + i + ' does not decode: ' + r.error);
      }
    })();`);
    await xs.evaluate('benchGc()');
    const base = (await xs.evaluate(`benchBaseline(${XS_FRAMES})`)).meterUsage;
    await xs.evaluate('benchGc()');
    const run = (await xs.evaluate(`benchDecode(${XS_FRAMES})`)).meterUsage;
    emit({
      bench,
      impl: 'mi32-xs',
      runtime: 'xs',
      computePerFrame: Math.round((run.compute - base.compute) / XS_FRAMES),
      frames: XS_FRAMES,
      distinctFrames: frames.length,
      // Heap after the decode loop vs after the same loop without decoding (both after a
      // gc): slots in use, and bytes of chunk space the machine holds.
      currentHeapCount: run.currentHeapCount,
      baselineCurrentHeapCount: base.currentHeapCount,
      allocate: run.allocate,
      baselineAllocate: base.allocate,
    });
  } finally {
    await xs.close();
  }
}

// ---- run ----

const plain = plainFixtureFrames();
if (plain.length === 0) throw new Error('no plain MiBeacon frames in test/fixtures that both decoders read');
const encrypted = encryptedFrames();

// Node figures first: xsnap needs SES lockdown in this process, which could change how V8 runs.
nodeFigures('decode.mibeacon.plain', plain);
referenceFigures('decode.mibeacon.plain', plain);
nodeFigures('decode.mibeacon.encrypted', encrypted, ENCRYPTED_KEY);
advertNodeFigures(plain);

await xsFigures('decode.mibeacon.plain', plain);
await xsFigures('decode.mibeacon.encrypted', encrypted, ENCRYPTED_KEY);
