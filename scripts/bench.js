// Benchmark runner for `npm run bench`: runs scripts/bench/decode.js, then every other
// *.js file in scripts/bench/ (sorted), each as its own Node process with stdout passed
// through, so each benchmark can set up XS/SES or sockets without disturbing the others.
// Every benchmark prints one JSON line per figure. A failing benchmark is reported on
// stderr and makes the exit code non-zero; the rest still run.

import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const benchDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'bench');
const files = fs.readdirSync(benchDir)
  .filter((f) => f.endsWith('.js'))
  .sort((a, b) => (a === 'decode.js' ? -1 : b === 'decode.js' ? 1 : a.localeCompare(b)));

let failed = 0;
for (const file of files) {
  const r = spawnSync(process.execPath, [path.join(benchDir, file)], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) {
    failed++;
    console.error(`bench: ${file} failed (${r.error?.message ?? (r.signal ? `signal ${r.signal}` : `exit ${r.status}`)})`);
  }
}
if (files.length === 0) console.error(`bench: no benchmarks in ${benchDir}`);
process.exitCode = failed > 0 || files.length === 0 ? 1 : 0;
