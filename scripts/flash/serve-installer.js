#!/usr/bin/env node
// Serves the browser installer (web/installer) on localhost, which Web Serial accepts as a
// secure context:
//   /                        web/installer/index.html, installer.js, md5.js
//   /vendor/esptool.js       esptool-js's self-contained ES module build (node_modules/esptool-js/bundle.js)
//   /firmware/manifest.json  {chip: {dir, images: [{name, offset, size}]}} from the same lookup as `npm run flash`
//   /firmware/<chip>/<name>  the image bytes
// usage: node scripts/flash/serve-installer.js [--listen 8080] [--chip CHIP --build DIR]
//        (without --build: every chip with a build under $MODDABLE/build/bin/esp32)

import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { CHIPS, loadImages, findBuildDirs } from './images.js';

const here = dirname(fileURLToPath(import.meta.url));
const INSTALLER_DIR = join(here, '..', '..', 'web', 'installer');
const STATIC = { '/': 'index.html', '/index.html': 'index.html', '/installer.js': 'installer.js', '/md5.js': 'md5.js' };
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.json': 'application/json' };

/** @param {{builds: Record<string, string>}} options chip key → build directory */
export async function createInstallerServer({ builds }) {
  const firmware = {};
  for (const [chipKey, dir] of Object.entries(builds)) firmware[chipKey] = { dir, images: await loadImages(dir, chipKey) };
  const manifest = JSON.stringify(
    Object.fromEntries(Object.entries(firmware).map(([chip, f]) => [chip, { dir: f.dir, images: f.images.map((i) => ({ name: i.name, offset: i.offset, size: i.data.length })) }])),
    null,
    2,
  );
  const esptoolBundle = createRequire(import.meta.url).resolve('esptool-js/bundle.js');

  return createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const send = (status, type, body) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    try {
      if (STATIC[path]) {
        const file = STATIC[path];
        return send(200, TYPES[file.slice(file.lastIndexOf('.'))], await readFile(join(INSTALLER_DIR, file)));
      }
      if (path === '/vendor/esptool.js') return send(200, TYPES['.js'], await readFile(esptoolBundle));
      if (path === '/firmware/manifest.json') return send(200, TYPES['.json'], manifest);
      const m = /^\/firmware\/([a-z0-9]+)\/([A-Za-z0-9_.-]+)$/.exec(path);
      const image = m && firmware[m[1]]?.images.find((i) => i.name === m[2]);
      if (image) return send(200, 'application/octet-stream', Buffer.from(image.data));
      send(404, 'text/plain', 'not found\n');
    } catch (error) {
      send(500, 'text/plain', String(error) + '\n');
    }
  });
}

async function main() {
  const { values } = parseArgs({ options: { listen: { type: 'string', default: '8080' }, chip: { type: 'string' }, build: { type: 'string' } } });
  const builds = {};
  if (values.build) {
    if (!values.chip || !CHIPS[values.chip]) throw new Error(`--build needs --chip ${Object.keys(CHIPS).join('|')}`);
    builds[values.chip] = values.build;
  } else {
    for (const chipKey of Object.keys(CHIPS)) {
      const [dir] = await findBuildDirs({ chipKey });
      if (dir) builds[chipKey] = dir;
    }
    if (Object.keys(builds).length === 0) throw new Error('no build found under $MODDABLE/build/bin/esp32; pass --chip CHIP --build DIR');
  }
  const server = await createInstallerServer({ builds });
  server.listen(Number(values.listen), '127.0.0.1', () => {
    for (const [chip, dir] of Object.entries(builds)) process.stderr.write(`${chip}: ${dir}\n`);
    process.stderr.write(`installer at http://localhost:${server.address().port}/ (Chrome/Edge; Ctrl-C to stop)\n`);
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error) => {
    process.stderr.write(`serve-installer: ${error.message}\n`);
    process.exitCode = 2;
  });
}
