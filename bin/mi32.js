#!/usr/bin/env node
// Thin launcher: the CLI is TypeScript compiled to dist/ by `npm run build` (run by npm ci/install via "prepare").
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../dist/host-sim/cli.js', import.meta.url));
if (!existsSync(cli)) {
  process.stderr.write('mi32: not built yet; run `npm run build` first\n');
  process.exit(2);
}
const { main } = await import(cli);
process.exit(await main(process.argv.slice(2)));
