// Write the demo home to a directory (default examples/demo):
//   npx tsc -p tsconfig.json && node dist/host-sim/demo/write-demo.js [DIR]
// or WRITE_DEMO=1 npx vitest run test/capture/demo.test.ts

import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { demoFiles } from './make-demo.js';

export function writeDemo(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const [name, text] of Object.entries(demoFiles())) {
    const path = join(dir, name);
    writeFileSync(path, text);
    written.push(path);
  }
  return written;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  for (const path of writeDemo(process.argv[2] ?? 'examples/demo')) console.log(`wrote ${path}`);
}
