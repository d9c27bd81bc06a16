// Whole-gateway figures: `mi32 run` (bin/mi32.js, a child process) replays a generated
// capture through decode -> registry -> real-time SENSOR publish to an aedes broker run
// by this script. Prints one JSON line per figure; asserts nothing about speed.
//
// Capture: 50 devices (20 ATC1441 plain, 10 pvvx plain, 15 LYWSD03MMC MiBeacon v5
// AES-CCM encrypted, 5 pvvx encrypted), frames round-robin, every frame a new counter
// and a new temperature; an mi32cfg lists all 50 with their keys.
//
// MI32Option2 1 (direct bridge: a real-time SENSOR for every changed device) is sent on
// stdin at spawn. The CLI has no way to run a command before the replay starts, so:
//   - throughput (--speed max): the command is already in the pipe when the child starts;
//     it is read at the replay's first yield (every 200 advertisements), so at most a
//     few hundred of the first advertisements go out without it (they are still decoded
//     and their devices are still published by the first flush). Figures:
//       advPerSec       advertisements / (replay start -> "replay done"), the replay loop
//                       with decoding, registry and the 50 ms real-time flushes;
//       toBrokerAdvPerSec advertisements / (replay start -> the broker has the final
//                       STATE), i.e. until every publish reached the broker.
//   - latency (--speed 1): the capture starts with one foreign advertisement at t=0 and
//     the data from t=1000 ms, so the command is surely in effect. Each advertisement's
//     due time is replayStart + t; a published SENSOR object is matched to its
//     advertisement by MAC and temperature (unique per device in this run). Latency =
//     broker receive time - due time, for the advertisements whose values were
//     published (several frames of one device in one 50 ms batch: only the last one is).
//     It includes Tasmota's 50 ms real-time batching by design.
// "Replay start" is when this process reads the child's "mi32cfg: N devices" log line,
// printed just before the replay loop begins (same machine clock; error ~1 ms, and it
// makes latencies look slightly smaller, not larger).
//
// Run `npm run build` first (npm run bench builds). Env: BENCH_REPLAY_ADVS (default 20000).

import { spawn } from 'node:child_process';
import { createCipheriv } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Aedes } from 'aedes';

const BIN = fileURLToPath(new URL('../../bin/mi32.js', import.meta.url));
if (!existsSync(fileURLToPath(new URL('../../dist/host-sim/cli.js', import.meta.url)))) {
  console.error('bench/replay: dist/ is missing; run `npm run build` first');
  process.exit(1);
}

const THROUGHPUT_ADVS = Number(process.env.BENCH_REPLAY_ADVS ?? 20_000);
const LATENCY_ADVS = 5_000; // 100 frames per device
const LATENCY_RATE = 1000; // advertisements per second of capture time (replayed at --speed 1)
const TOPIC = 'mi32bench';

// --- frames (layouts as in test/helpers/frames.ts; node:crypto does the CCM) -----------

function ccm(key, nonce, plaintext, aad) {
  const c = createCipheriv('aes-128-ccm', key, nonce, { authTagLength: 4 });
  c.setAAD(aad, { plaintextLength: plaintext.length });
  const ct = Buffer.concat([c.update(plaintext), c.final()]);
  return Buffer.concat([ct, c.getAuthTag()]);
}

function serviceData(uuid, data) {
  return '020106' + Buffer.concat([Buffer.from([data.length + 3, 0x16, uuid & 0xff, uuid >> 8]), data]).toString('hex');
}

/** ATC1441: MAC T(s16be /10) H(u8) Bat mV(u16be) counter. */
function atc(mac, t, h, counter) {
  const d = Buffer.alloc(13);
  Buffer.from(mac, 'hex').copy(d, 0);
  d.writeInt16BE(Math.round(t * 10), 6);
  d[8] = Math.round(h);
  d[9] = 90;
  d.writeUInt16BE(2950, 10);
  d[12] = counter & 0xff;
  return serviceData(0x181a, d);
}

/** pvvx custom: MAC reversed, T(s16le /100) H(u16le /100) mV Bat counter flags. */
function pvvx(mac, t, h, counter) {
  const d = Buffer.alloc(15);
  Buffer.from(mac, 'hex').reverse().copy(d, 0);
  d.writeInt16LE(Math.round(t * 100), 6);
  d.writeUInt16LE(Math.round(h * 100), 8);
  d.writeUInt16LE(2950, 10);
  d[12] = 88;
  d[13] = counter & 0xff;
  d[14] = 0;
  return serviceData(0x181a, d);
}

/** pvvx encrypted (11 bytes): counter | CCM(T s16le /100, H u16le /100, Bat, flags) | MIC. */
function pvvxEncrypted(mac, key, t, h, counter) {
  const plain = Buffer.alloc(6);
  plain.writeInt16LE(Math.round(t * 100), 0);
  plain.writeUInt16LE(Math.round(h * 100), 2);
  plain[4] = 77;
  const nonce = Buffer.concat([Buffer.from(mac, 'hex').reverse(), Buffer.from([11 + 3, 0x16, 0x1a, 0x18, counter & 0xff])]);
  return serviceData(0x181a, Buffer.concat([Buffer.from([counter & 0xff]), ccm(key, nonce, plain, Buffer.from([0x11]))]));
}

/** MiBeacon v5, encrypted, with the MAC, object 0x100D (T s16 /10, H u16 /10). */
function miBeacon(mac, pid, key, t, h, counter) {
  const fc = 0x5000 | 0x0040 | 0x0010 | 0x0008 | 0x0800;
  const macRev = Buffer.from(mac, 'hex').reverse();
  const head = Buffer.from([fc & 0xff, fc >> 8, pid & 0xff, pid >> 8, counter & 0xff]);
  const obj = Buffer.alloc(7);
  obj.writeUInt16LE(0x100d, 0);
  obj[2] = 4;
  obj.writeInt16LE(Math.round(t * 10), 3);
  obj.writeUInt16LE(Math.round(h * 10), 5);
  const ext = Buffer.from([(counter >> 8) & 0xff, (counter >> 16) & 0xff, (counter >> 24) & 0xff]);
  const nonce = Buffer.concat([macRev, head.subarray(2, 5), ext]);
  const sealed = ccm(key, nonce, obj, Buffer.from([0x11]));
  return serviceData(0xfe95, Buffer.concat([head, macRev, sealed.subarray(0, obj.length), ext, sealed.subarray(obj.length)]));
}

function keyFor(i) {
  return Buffer.from(Array.from({ length: 16 }, (_, j) => (i * 31 + j * 7 + 1) & 0xff));
}

const DEVICES = [];
for (let i = 0; i < 50; i++) {
  const mac = 'A4C138' + (0x100000 + i * 0x0101).toString(16).toUpperCase().slice(-6);
  if (i < 20) DEVICES.push({ mac, pid: '0a1c', key: '', frame: (t, h, c) => atc(mac, t, h, c) });
  else if (i < 30) DEVICES.push({ mac, pid: '944a', key: '', frame: (t, h, c) => pvvx(mac, t, h, c) });
  else if (i < 45) {
    const key = keyFor(i);
    DEVICES.push({ mac, pid: '055b', key: key.toString('hex').toUpperCase(), frame: (t, h, c) => miBeacon(mac, 0x055b, key, t, h, c + 1) });
  } else {
    const key = keyFor(i);
    DEVICES.push({ mac, pid: '944a', key: key.toString('hex').toUpperCase(), frame: (t, h, c) => pvvxEncrypted(mac, key, t, h, c + 1) });
  }
}

/** Frame k of device d: temperature 5.0 + (k mod 300) / 10, unique per device for k < 300. */
function reading(k) {
  return { t: 5 + (k % 300) / 10, h: 30 + (k % 40) };
}

function buildCapture(dir, name, count, spacingMs, leadIn) {
  const lines = [];
  const expected = []; // [due ms, mac, temperature]
  if (leadIn) lines.push(JSON.stringify({ t: 0, mac: '112233AABBCC', addrType: 'public', rssi: -90, ad: '0201060aff4c0010050b1c5e8e1a' }));
  const offset = leadIn ? 1000 : 0;
  for (let n = 0; n < count; n++) {
    const d = DEVICES[n % DEVICES.length];
    const k = Math.floor(n / DEVICES.length);
    const { t, h } = reading(k);
    const at = offset + n * spacingMs;
    lines.push(JSON.stringify({ t: at, mac: d.mac, addrType: 'public', rssi: -60 - (n % 30), ad: d.frame(t, h, k) }));
    expected.push({ due: at, mac: d.mac, temperature: t });
  }
  const path = join(dir, name);
  writeFileSync(path, lines.join('\n') + '\n');
  return { path, expected };
}

// --- broker and child ----------------------------------------------------------------

const broker = await Aedes.createBroker();
const server = createServer(broker.handle);
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const url = `mqtt://127.0.0.1:${server.address().port}`;
const received = []; // { at, topic, payload }
broker.on('publish', (packet, client) => {
  if (client) received.push({ at: performance.now(), topic: packet.topic, payload: packet.payload.toString() });
});

const work = mkdtempSync(join(tmpdir(), 'mi32-bench-replay-'));
const cfg = join(work, 'mi32cfg');
writeFileSync(cfg, '[\n' + DEVICES.map((d) => JSON.stringify({ MAC: d.mac, PID: d.pid, key: d.key })).join(',\n') + '\n]\n');

/** Runs the CLI; resolves with the times its log lines arrived and its exit. */
function runGateway(capture, dataDir, speed) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'run', capture, '--broker', url, '--topic', TOPIC, '--data', dataDir, '--cfg', cfg, '--speed', speed, '--once', '--quiet'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const marks = {};
    let stderr = '';
    let stdout = '';
    child.stdin.end('MI32Option2 1\n');
    child.stdout.on('data', (c) => {
      stdout += c;
      if (marks.optionReply === undefined && stdout.includes('{"MI32Option2":1}')) marks.optionReply = performance.now();
    });
    child.stderr.on('data', (c) => {
      const now = performance.now();
      stderr += c;
      if (marks.replayStart === undefined && /mi32cfg: \d+ devices/.test(stderr)) marks.replayStart = now;
      if (marks.replayDone === undefined && /replay done/.test(stderr)) marks.replayDone = now;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      marks.exit = performance.now();
      if (code !== 0) reject(new Error(`mi32 run exited ${code}:\n${stderr}`));
      else if (marks.replayStart === undefined || marks.replayDone === undefined) reject(new Error(`mi32 run did not log its replay:\n${stderr}`));
      else resolve({ marks, stderr, stdout });
    });
  });
}

function sensorObjects(messages) {
  const out = [];
  for (const m of messages) {
    if (m.topic !== `tele/${TOPIC}/SENSOR`) continue;
    const json = JSON.parse(m.payload);
    for (const [k, v] of Object.entries(json)) if (v && typeof v === 'object' && v.MAC) out.push({ at: m.at, name: k, ...v });
  }
  return out;
}

function lastState(messages) {
  const states = messages.filter((m) => m.topic === `tele/${TOPIC}/STATE`);
  return states.length ? { at: states.at(-1).at, ...JSON.parse(states.at(-1).payload) } : undefined;
}

function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const round = (x, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

try {
  // --- throughput ---------------------------------------------------------------------
  const big = buildCapture(work, 'throughput.jsonl', THROUGHPUT_ADVS, 1, false);
  // Two runs, the first discarded: it warms the file cache (each run is a fresh process, so JIT warm-up is in the figure).
  for (const [i, label] of [[0, 'warm-up'], [1, 'measured']]) {
    received.length = 0;
    const { marks } = await runGateway(big.path, join(work, `data-t${i}`), 'max');
    if (label === 'warm-up') continue;
    const state = lastState(received);
    if (!state) throw new Error('no STATE reached the broker');
    const objects = sensorObjects(received.filter((m) => m.at <= state.at));
    const replayMs = marks.replayDone - marks.replayStart;
    console.log(JSON.stringify({
      bench: 'replay.throughput', impl: 'mi32-xs',
      advPerSec: Math.round(THROUGHPUT_ADVS / (replayMs / 1000)),
      toBrokerAdvPerSec: Math.round(THROUGHPUT_ADVS / ((state.at - marks.replayStart) / 1000)),
      advertisements: THROUGHPUT_ADVS, devices: DEVICES.length, encryptedShare: 0.4,
      decoded: state.MI32.Decoded, errors: state.MI32.Errors, mqttQueueDropped: state.MI32.MqttQueueDropped,
      sensorMessages: received.filter((m) => m.topic === `tele/${TOPIC}/SENSOR`).length,
      deviceUpdatesPublished: objects.length,
      replayMs: round(replayMs), options: 'MI32Option2 1 via stdin, --speed max --once --quiet',
    }));
  }

  // --- latency ------------------------------------------------------------------------
  received.length = 0;
  const paced = buildCapture(work, 'latency.jsonl', LATENCY_ADVS, 1000 / LATENCY_RATE, true);
  const { marks } = await runGateway(paced.path, join(work, 'data-l'), '1');
  const due = new Map(paced.expected.map((e) => [`${e.mac}|${e.temperature.toFixed(1)}`, marks.replayStart + e.due]));
  const latencies = [];
  const seen = new Set();
  for (const o of sensorObjects(received)) {
    if (o.Time !== undefined) continue; // teleperiod objects carry Time; real-time ones do not
    const key = `${o.MAC}|${Number(o.Temperature).toFixed(1)}`;
    if (seen.has(key) || !due.has(key)) continue;
    seen.add(key);
    latencies.push(o.at - due.get(key));
  }
  latencies.sort((a, b) => a - b);
  console.log(JSON.stringify({
    bench: 'replay.latency', impl: 'mi32-xs',
    p50Ms: round(percentile(latencies, 50)), p99Ms: round(percentile(latencies, 99)), maxMs: round(latencies.at(-1) ?? NaN),
    matched: latencies.length, advertisements: LATENCY_ADVS, advPerSec: LATENCY_RATE,
    optionInEffectBeforeData: marks.optionReply !== undefined && marks.optionReply < marks.replayStart + 1000,
    note: 'includes the 50 ms real-time batching; advertisement due time -> broker receives the SENSOR with its values',
  }));
} finally {
  server.close();
  await new Promise((resolve) => broker.close(resolve));
  rmSync(work, { recursive: true, force: true });
}
