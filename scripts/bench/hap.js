// HomeKit pairing on the device (issue 14): what each pair-setup and pair-verify step costs
// the accessory in the real XS engine: the core's PairSetup/PairVerify (dist/xs/mi32-core.js)
// over the pure-JS HapCrypto of firmware/crypto-js (bundled with @noble as
// dist/xs/mi32-hap-crypto.js), driven by the controller of scripts/hap-scenario.js (its
// work is not measured), and the ESP32 time that suggests, beside iOS's ~10 s limit per
// pair-setup request. Prints:
//   {"bench":"hap.step","step","crypto","xsMeter","xsCpuMs","esp32EstimateMs","iosLimitMs","fitsWithMargin","nodePureJsMs",...}
//   {"bench":"hap.primitive","name","xsCpuMs","esp32EstimateMs",...}
//   {"bench":"hap.heap",...}   {"bench":"hap.bundle",...}
// Never asserts on speed. Needs `npm run bundle` (npm run bench does it).
//
// How it measures: as device.js does. xsnap CPU is the worker's on-CPU time
// (/proc/<pid>/schedstat) around one step, the least of REPS runs, each after a gc() (on this
// shared 2-core machine BigInt-heavy runs vary by up to 2x with the load; the least is the
// least disturbed, like the idle machine the factor was calibrated on; the median is printed too); the ESP32 estimate
// multiplies it by esp32Factor (lib/esp32.js: CoreMark ratio, scaled by the reference loop
// run in the same worker). XS's BigInt is C code on both machines, so the estimate for the
// SRP steps is as good as CoreMark's ratio is for 32x32-bit multiply loops: a guide, not a
// measurement on hardware. "fitsWithMargin": under a third of the 10 s limit.

import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { HAP_PAIRING } from '../hap-scenario.js';
import { REFERENCE_LOOP } from './lib/device-driver.js';
import { esp32Factor as esp32FactorFor } from './lib/esp32.js';
import { startXsWorker } from '../lib/xsnap-worker.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bundlePath = path.join(root, 'dist/xs/mi32-hap-crypto.js');
const REPS = 5;
const IOS_LIMIT_MS = 10_000;
const MARGIN = 3;
const SEED = 0x4d493332;

const emit = (figure) => console.log(JSON.stringify(figure));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const min = (xs) => Math.min(...xs);

/** Accessory steps measured, by the name of the controller step they answer. */
const STEPS = {
  'M1': 'pair-setup M2 (B = kv + g^b; v^u table)',
  'wrong M3': 'pair-setup M4, wrong code',
  'M3': 'pair-setup M4 (S = (A v^u)^b, proofs)',
  'M5': 'pair-setup M6 (Ed25519 verify + sign, ChaCha20-Poly1305)',
  'PV M1': 'pair-verify M2 (X25519, Ed25519 sign)',
  'PV M3': 'pair-verify M4 (Ed25519 verify, session keys)',
};
const RANDOM = (seed) => `(() => { let state = ${seed} >>> 0 || 1; return { bytes(n) { const out = new Uint8Array(n); for (let i = 0; i < n; i++) { state ^= state << 13; state ^= state >>> 17; state ^= state << 5; out[i] = state & 255; } return out; } }; })()`;

// ---- Node (V8): the same pairing over the same pure-JS HapCrypto, to check it pairs ----
const core = await import(path.join(root, 'dist/firmware/core/index.js'));
const pure = await import(path.join(root, 'dist/firmware/crypto-js/hap-crypto.js'));
const nodeMs = {};
{
  const random = (0, eval)(RANDOM(SEED));
  const lines = [];
  const pairing = (0, eval)(HAP_PAIRING)(core, pure.createPureHapCrypto(random), random, lines);
  for (const step of pairing.steps) {
    const request = step.request();
    const t = process.cpuUsage();
    const answer = step.answer(request);
    const d = process.cpuUsage(t);
    nodeMs[step.name] = (d.user + d.system) / 1000;
    step.check(answer);
  }
  if (!lines.some((l) => l.startsWith('verified ') && !l.startsWith('verified NO')) || lines.some((l) => /WRONG|NOT OPEN/.test(l))) {
    throw new Error(`HAP pairing failed in Node:\n${lines.join('\n')}`);
  }
}

// ---- XS ----
/**
 * The device's native SHA-512 (Moddable Digest) and ChaCha20 (StreamCipher) played by Node
 * through issueCommand, as device.js stands in for the native AES: a synchronous call out
 * of XS costs about what a native call does, and the work itself is not XS's. Byte 0 says
 * which: 1 SHA-512(rest); 2 ChaCha20(key 32, nonce 12, counter u32 LE, data) (0 is xs.ask's).
 */
function handleCommand(bytes) {
  const kind = bytes[0];
  const rest = bytes.subarray(1);
  if (kind === 1) return crypto.createHash('sha512').update(rest).digest();
  if (kind === 2) {
    const iv = Buffer.alloc(16);
    iv.set(rest.subarray(44, 48), 0);
    iv.set(rest.subarray(32, 44), 4);
    return crypto.createCipheriv('chacha20', rest.subarray(0, 32), iv).update(rest.subarray(48));
  }
  return new Uint8Array();
}
const NATIVE_STAND_INS = `({
  sha512: (data) => { const m = new Uint8Array(data.length + 1); m[0] = 1; m.set(data, 1); return new Uint8Array(issueCommand(m.buffer)); },
  chacha20: (key, nonce, data, counter) => {
    const m = new Uint8Array(49 + data.length); m[0] = 2; m.set(key, 1); m.set(nonce, 33);
    m[45] = counter & 255; m[46] = (counter >>> 8) & 255; m[47] = (counter >>> 16) & 255; m[48] = counter >>> 24;
    m.set(data, 49); return new Uint8Array(issueCommand(m.buffer));
  },
})`;
const xs = await startXsWorker('mi32-bench-hap', { onCommand: handleCommand });
const { ask, measure } = xs;
const heapAfterGc = async () => { await xs.evaluate('gc()'); return (await measure('1')).heap; };

try {
  await xs.loadBundle('mi32-hap-crypto');
  await xs.evaluate(`globalThis.refLoop = ${REFERENCE_LOOP};`);
  const refLoop = [];
  for (let i = 0; i < 3; i++) refLoop.push((await measure('refLoop()')).cpuUs);
  const refLoopCpuUs = median(refLoop);
  const factor = esp32FactorFor(refLoopCpuUs);
  const estimate = (cpuUs) => Math.round((cpuUs * factor) / 1000);

  await xs.loadBundle('mi32-core');
  // Each step, first all in pure JS (noble's SHA-512 and ChaCha20 too), then as the device
  // runs it (firmware/moddable/hap-crypto.ts: native SHA-512 and ChaCha20, stood in for).
  // REPS pairings, each with its own accessory and seed; heap after the first, after a gc.
  const h0 = await heapAfterGc();
  let h1;
  let h2;
  for (const [cryptoKind, natives] of [['pure-js', '{}'], ['native sha512+chacha20 (stand-in)', NATIVE_STAND_INS]]) {
    const runs = {};
    for (let rep = 0; rep < REPS; rep++) {
      await xs.evaluate(`globalThis.random = ${RANDOM(SEED + rep)}; globalThis.lines = [];
        globalThis.hc = MI32HapCrypto.createPureHapCrypto(random, ${natives});
        globalThis.pairing = (${HAP_PAIRING})(MI32Core, hc, random, lines);`);
      h1 ??= await heapAfterGc();
      const names = await ask('pairing.steps.map((s) => s.name)');
      for (let i = 0; i < names.length; i++) {
        await xs.evaluate(`globalThis.request = pairing.steps[${i}].request()`);
        await xs.evaluate('gc()'); // each run starts from a collected heap, so its share of GC is comparable
        const run = await measure(`globalThis.answer = pairing.steps[${i}].answer(request)`);
        await xs.evaluate(`pairing.steps[${i}].check(answer)`);
        (runs[names[i]] ??= []).push(run);
      }
      const lines = await ask('lines');
      if (!lines.some((l) => l.startsWith('verified ') && !l.startsWith('verified NO')) || lines.some((l) => /WRONG|NOT OPEN/.test(l))) {
        throw new Error(`HAP pairing failed in XS (${cryptoKind}):\n${lines.join('\n')}`);
      }
      h2 ??= await heapAfterGc();
    }
    // The verifier (first boot, or a new code from HKPin): x = H(salt | H(I:P)), v = g^x.
    const verifierRuns = [];
    for (let rep = 0; rep < REPS; rep++) {
      await xs.evaluate('gc()');
      verifierRuns.push(await measure(`MI32Core.srpVerifier(hc, new Uint8Array(16).fill(${rep}), '031-45-154')`));
    }
    runs.verifier = verifierRuns;
    for (const [name, label] of [...Object.entries(STEPS), ['verifier', 'verifier v = g^x (first boot, HKPin)']]) {
      const cpuUs = min(runs[name].map((r) => r.cpuUs));
      const esp32EstimateMs = estimate(cpuUs);
      const setupStep = label.startsWith('pair-setup');
      emit({
        bench: 'hap.step',
        step: label,
        crypto: cryptoKind,
        xsMeter: median(runs[name].map((r) => r.compute)),
        xsCpuMs: Number((cpuUs / 1000).toFixed(2)),
        xsCpuMsMedian: Number((median(runs[name].map((r) => r.cpuUs)) / 1000).toFixed(2)),
        esp32EstimateMs,
        iosLimitMs: setupStep ? IOS_LIMIT_MS : undefined,
        fitsWithMargin: setupStep ? esp32EstimateMs * MARGIN < IOS_LIMIT_MS : undefined,
        nodePureJsMs: nodeMs[name] === undefined ? undefined : Number(nodeMs[name].toFixed(2)),
        esp32Factor: Number(factor.toFixed(1)),
      });
    }
  }

  // The primitives one by one (same worker, same inputs each time).
  await xs.evaluate(`(() => {
    const hc = MI32HapCrypto.createPureHapCrypto({ bytes: (n) => new Uint8Array(n).fill(7) });
    const N = (1n << 3072n) - 1093337n; // an odd 3072-bit modulus: the cost is the size, not the prime
    const base = N / 3n;
    const e256 = (1n << 255n) + 12345678901234567890n;
    const e512 = (e256 << 256n) + e256;
    const ed = hc.ed25519KeyPair();
    const x = hc.x25519KeyPair();
    const msg = new Uint8Array(100);
    const sig = hc.ed25519Sign(ed.privateKey, msg);
    const kb = new Uint8Array(1024);
    const key = new Uint8Array(32);
    const nonce = new Uint8Array(12);
    const sealed = hc.chacha20Poly1305Seal(key, nonce, kb);
    const device = MI32HapCrypto.createPureHapCrypto({ bytes: (n) => new Uint8Array(n).fill(7) }, ${NATIVE_STAND_INS});
    globalThis.primitives = {
      'modPow 3072-bit, 256-bit exponent (g^b, ^b)': () => hc.modPow(base, e256, N),
      'modPow 3072-bit, 512-bit exponent (g^x, v^u)': () => hc.modPow(base, e512, N),
      'ed25519 sign (100 B)': () => hc.ed25519Sign(ed.privateKey, msg),
      'ed25519 verify (100 B)': () => hc.ed25519Verify(ed.publicKey, msg, sig),
      'x25519 key pair': () => hc.x25519KeyPair(),
      'x25519 shared secret': () => hc.x25519(x.privateKey, ed.publicKey),
      'sha512 (1024 B)': () => hc.sha512(kb),
      'hkdf-sha512 (32 B out)': () => hc.hkdfSha512(key, nonce, nonce, 32),
      'chacha20-poly1305 seal (1024 B)': () => hc.chacha20Poly1305Seal(key, nonce, kb),
      'chacha20-poly1305 open (1024 B)': () => hc.chacha20Poly1305Open(key, nonce, sealed),
      // A HAP session frame on the device: native ChaCha20 (stood in for), Poly1305 in JS.
      'chacha20-poly1305 seal (1024 B), native ChaCha20': () => device.chacha20Poly1305Seal(key, nonce, kb, nonce.subarray(0, 2)),
    };
  })()`);
  for (const name of await ask('Object.keys(primitives)')) {
    const runs = [];
    for (let i = 0; i < REPS; i++) {
      await xs.evaluate('gc()');
      runs.push(await measure(`primitives[${JSON.stringify(name)}]()`));
    }
    const cpuUs = min(runs.map((r) => r.cpuUs));
    emit({ bench: 'hap.primitive', name, xsMeter: median(runs.map((r) => r.compute)), xsCpuMs: Number((cpuUs / 1000).toFixed(2)), esp32EstimateMs: estimate(cpuUs) });
  }

  // noble's default base table (window 6), for the record: its slots and first-use time.
  const h3 = await heapAfterGc();
  const first = await measure(`(() => { const hc = MI32HapCrypto.createPureHapCrypto({ bytes: (n) => new Uint8Array(n).fill(9) }, {}, { ed25519BaseWindow: 6 }); hc.ed25519KeyPair(); })()`);
  const h4 = await heapAfterGc();
  await xs.evaluate(`MI32HapCrypto.createPureHapCrypto({ bytes: (n) => new Uint8Array(n) })`); // back to no table
  emit({
    bench: 'hap.heap',
    slotsAfterSetup: h1 - h0,
    slotsAfterAllSteps: h2 - h0,
    baseTableWindow6Slots: h4 - h3,
    baseTableWindow6Bytes32: (h4 - h3) * 16 + 1408 * 4 * 40,
    baseTableWindow6FirstUseEsp32Ms: estimate(first.cpuUs),
    method: 'XS slots after gc x 16 B (32-bit); the window-6 table adds its points\' BigInts (~1,408 points x 4 coordinates x ~40 B of chunk), which xsnap does not count',
  });

  const text = fs.readFileSync(bundlePath, 'utf8');
  const withoutComments = ts.transpileModule(text, { compilerOptions: { removeComments: true, target: ts.ScriptTarget.ES2022 } }).outputText;
  emit({
    bench: 'hap.bundle',
    file: path.relative(root, bundlePath),
    bytes: text.length,
    bytesWithoutComments: withoutComments.length,
    gzipBytes: zlib.gzipSync(withoutComments, { level: 9 }).length,
    refLoopCpuUs: Math.round(refLoopCpuUs),
  });
} finally {
  await xs.close();
}
