// XS meter units per advertisement, by path (npm run bundle first): the device bench's mix
// and driver (scripts/bench/lib), the same 20,000-advert warm-up, then each of the next N
// advertisements (default 3,000) in its own xsnap evaluate, minus the driver's loop without
// the gateway, sorted by what happened to it: ignored (the pre-filter), dup (a repeat),
// decoded-plain, decoded-enc (an AES block was asked for). Deterministic, like the bench's
// meter figure; not part of `npm run bench` (it is a tool for finding where the units go).
//   node scripts/advert-paths.js [N]

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeRadioMix } from './bench/lib/radio-mix.js';
import { DEVICE_DRIVER } from './bench/lib/device-driver.js';
import { startXsWorker } from './lib/xsnap-worker.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const N = Number(process.argv[2] ?? 3000);
const WARMUP = 20_000;
const core = await import(path.join(root, 'dist/firmware/core/index.js'));
const { createNodeAes } = await import(path.join(root, 'dist/host-sim/crypto.js'));
const mix = makeRadioMix({ seed: 11, seconds: (WARMUP + N) / 600 + 1 });

// Node first: the AES blocks the run asks for, replayed in XS (as the bench does).
const nodeAes = createNodeAes();
const recorded = [];
const recordingAes = (key, block) => { const out = nodeAes(key, block); recorded.push(Uint8Array.from(out)); return out; };
const nodeAdverts = mix.adverts.map((a) => ({ t: a.t, mac: a.mac, rssi: a.rssi, ad: core.fromHex(a.ad) }));
const nodeDriver = (0, eval)(DEVICE_DRIVER)(core, mix.cfgText, nodeAdverts, recordingAes);
nodeDriver.makeEmptyGateway();
nodeDriver.makeGateway();
nodeDriver.run(0, WARMUP + N);

const xs = await startXsWorker('mi32-advert-paths');
const meter = async (source) => (await xs.evaluate(source)).meterUsage.compute;

try {
  await xs.loadBundle('mi32-core');
  await xs.evaluate(`(() => {
    const hex = (h) => MI32Core.fromHex(h);
    const adverts = ${JSON.stringify(mix.adverts.slice(0, WARMUP + N))}.map((a) => ({ t: a.t, mac: a.mac, rssi: a.rssi, ad: hex(a.ad) }));
    const blocks = ${JSON.stringify(recorded.map((r) => core.toHex(r)))}.map(hex);
    let next = 0;
    const aes = () => blocks[next++];
    globalThis.driver = (${DEVICE_DRIVER})(MI32Core, ${JSON.stringify(mix.cfgText)}, adverts, aes);
    globalThis.state = () => { const t = driver.totals(); return [t.decoded, t.duplicates, t.ignored, next]; };
  })()`);
  await xs.evaluate(`driver.makeEmptyGateway(); driver.makeGateway(); driver.run(0, ${WARMUP})`);
  const paths = {};
  let before = await xs.ask('state()');
  for (let i = WARMUP; i < WARMUP + N; i++) {
    const units = (await meter(`driver.run(${i}, ${i + 1})`)) - (await meter(`driver.baseline(${i}, ${i + 1})`));
    const after = await xs.ask('state()');
    const [decoded, duplicates, ignored, aesBlocks] = after.map((x, k) => x - before[k]);
    before = after;
    const name = decoded ? (aesBlocks ? 'decoded-enc' : 'decoded-plain') : duplicates ? 'dup' : ignored ? 'ignored' : 'other';
    (paths[name] ??= []).push(units);
  }
  let total = 0;
  for (const [name, xs] of Object.entries(paths)) {
    const sum = xs.reduce((a, b) => a + b, 0);
    total += sum;
    const median = [...xs].sort((a, b) => a - b)[xs.length >> 1];
    console.log(JSON.stringify({ path: name, adverts: xs.length, meanUnits: Number((sum / xs.length).toFixed(1)), medianUnits: median, unitsPerAdvertOfAll: Number((sum / N).toFixed(1)) }));
  }
  console.log(JSON.stringify({ path: 'all', adverts: N, meanUnits: Number((total / N).toFixed(1)) }));
} finally {
  await xs.close();
}
