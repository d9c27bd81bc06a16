// An xsnap worker (the real XS engine, @agoric/xsnap) for the scripts that run the bundled
// core in XS: xs-check, the benches, advert-paths. Start it only after the Node side is
// done: it loads SES (@endo/init), which locks down this process's intrinsics.
//
// What it adds to xsnap:
// - ask(expression): evaluate in XS and get the JSON value back (through issueCommand; the
//   message starts with a 0 byte, so a script's own commands, onCommand, keep theirs);
// - measure(source): the compute meter, the heap slots and the worker process's on-CPU
//   time (/proc/<pid>/schedstat, µs, Linux) of one evaluate;
// - evaluations: evaluate calls so far (xsnap keeps about one slot per evaluated script).

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ASK = 0;

/**
 * @param {string} name the worker's name (xsnap's log prefix)
 * @param {{ onCommand?: (bytes: Uint8Array) => Uint8Array }} [options] issueCommand calls other than ask's
 */
export async function startXsWorker(name, { onCommand } = {}) {
  await import('@endo/init');
  const { xsnap } = await import('@agoric/xsnap');
  const { spawn } = await import('node:child_process');
  const os = await import('node:os');
  const fsp = await import('node:fs/promises');
  const { tmpName } = await import('tmp');

  let child;
  let answer = '';
  const decoder = new TextDecoder();
  const worker = await xsnap({
    os: os.type(),
    spawn: (...args) => (child = spawn(...args)),
    fs: { ...fsp, createReadStream: fs.createReadStream, tmpName },
    name,
    stdout: 'inherit',
    stderr: 'inherit',
    meteringLimit: 0,
    handleCommand(bytes) {
      if (bytes[0] !== ASK) return onCommand ? onCommand(bytes) : new Uint8Array();
      answer = decoder.decode(bytes.subarray(1));
      return new Uint8Array();
    },
  });

  const xs = {
    worker,
    evaluations: 0,
    evaluate(source) {
      xs.evaluations++;
      return worker.evaluate(source);
    },
    /** Evaluates a dist/xs bundle (e.g. 'mi32-core'): its global (MI32Core, ...) is then defined. */
    loadBundle(bundle) {
      return xs.evaluate(fs.readFileSync(path.join(root, `dist/xs/${bundle}.js`), 'utf8'));
    },
    async ask(expression) {
      await xs.evaluate(`issueCommand(new Uint8Array([${ASK}, ...new TextEncoder().encode(JSON.stringify(${expression}))]).buffer)`);
      return JSON.parse(answer);
    },
    /** On-CPU time of the worker process so far, in µs. */
    cpuUs() {
      return Number(fs.readFileSync(`/proc/${child.pid}/schedstat`, 'utf8').split(' ')[0]) / 1000;
    },
    async measure(source) {
      const before = xs.cpuUs();
      const { meterUsage } = await xs.evaluate(source);
      return { cpuUs: xs.cpuUs() - before, compute: meterUsage.compute, heap: meterUsage.currentHeapCount };
    },
    close: () => worker.close(),
  };
  return xs;
}
