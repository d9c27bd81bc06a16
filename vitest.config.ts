import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
// firmware/moddable imports the SDK's modules by bare name ("file", "timer", "socket", ...)
// and the core as "core/...": the Moddable adapter tests (test/moddable) run those files
// under Node against fakes of the SDK modules in test/moddable/fakes.
const MODDABLE_FAKES = ['file', 'timer', 'socket', 'securesocket', 'bleclient', 'http'];

export default defineConfig({
  resolve: {
    alias: [
      ...MODDABLE_FAKES.map((name) => ({ find: new RegExp(`^${name}$`), replacement: here(`./test/moddable/fakes/${name}.ts`) })),
      { find: /^text\/encoder$/, replacement: here('./test/moddable/fakes/text-encoder.ts') },
      { find: /^core\/(.*)$/, replacement: here('./firmware/core/$1.ts') },
      { find: /^crypto-js\/(.*)$/, replacement: here('./firmware/crypto-js/$1.ts') },
      // the adapters shared by every platform (manifest.json "modules"); per-platform ones are imported by path
      { find: /^mi32\/(aes|clock|http-client|log|mqtt-settings|net|ports|random|store|text|tcp-server|socket-queue|device-web|wifi-settings|text-globals)$/, replacement: here('./firmware/moddable/$1.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30000,
    hookTimeout: 30000,
  },
});
