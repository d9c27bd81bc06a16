// A long replay: `mi32 run CAPTURE --speed max --once` over 1,000,000 advertisements
// (50 ATC1441 thermometers, one advertisement every 10 ms of capture time, so 10,000 s:
// 33 teleperiods at TelePeriod 300, on capture time). The capture is a JSONL file
// written here; the child streams it. Prints the child's peak RSS (issue 12's target:
// under 200 MB; the whole capture held as objects took about 1 GB) and its throughput.
// Env: BENCH_REPLAY_1M_ADVS (default 1000000).

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const BIN = fileURLToPath(new URL('../../bin/mi32.js', import.meta.url));
const PRELOAD = fileURLToPath(new URL('./peak-rss.cjs', import.meta.url));
if (!existsSync(fileURLToPath(new URL('../../dist/host-sim/cli.js', import.meta.url)))) {
  console.error('bench/replay-1m: dist/ is missing; run `npm run build` first');
  process.exit(1);
}
const ADVS = Number(process.env.BENCH_REPLAY_1M_ADVS ?? 1_000_000);
const DEVICES = 50;

/** ATC1441 advertisement: flags + service data 0x181A (MAC, T s16be /10, H, Bat, mV, counter). */
function atcAd(mac, t, counter) {
  const d = Buffer.alloc(13);
  Buffer.from(mac, 'hex').copy(d, 0);
  d.writeInt16BE(t, 6);
  d[8] = 50;
  d[9] = 90;
  d.writeUInt16BE(2950, 10);
  d[12] = counter & 0xff;
  return '020106' + Buffer.concat([Buffer.from([d.length + 3, 0x16, 0x1a, 0x18]), d]).toString('hex');
}

const dir = mkdtempSync(join(tmpdir(), 'mi32-bench-1m-'));
try {
  const capture = join(dir, 'capture.jsonl');
  const out = createWriteStream(capture);
  const macs = Array.from({ length: DEVICES }, (_, i) => 'A4C138' + (0x100000 + i).toString(16).toUpperCase());
  for (let i = 0; i < ADVS; i++) {
    const mac = macs[i % DEVICES];
    const line = `{"t":${i * 10},"mac":"${mac}","addrType":"public","rssi":-60,"ad":"${atcAd(mac, 200 + (i % 50), Math.floor(i / DEVICES))}"}\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');

  const start = performance.now();
  const child = spawn(process.execPath, ['--require', PRELOAD, BIN, 'run', capture, '--speed', 'max', '--once', '--quiet',
    '--teleperiod', '300', '--topic', 'bench1m', '--data', join(dir, 'data')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-100_000); }); // the peak line comes last
  const [code] = await once(child, 'exit');
  const seconds = (performance.now() - start) / 1000;
  const peak = stderr.split('\n').map((l) => { try { return JSON.parse(l); } catch { return undefined; } }).find((o) => o?.peakRssMb !== undefined);
  if (code !== 0 || !peak) {
    console.error(`bench/replay-1m: mi32 run exited ${code}\n${stderr.slice(-2000)}`);
    process.exitCode = 1;
  } else {
    console.log(JSON.stringify({ bench: 'replay.1m', adverts: ADVS, peakRssMb: peak.peakRssMb, advPerSec: Math.round(ADVS / seconds), seconds: Math.round(seconds * 10) / 10 }));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
