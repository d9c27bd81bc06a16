// The benchmark's reference decoder, homebridge-mi-hygrothermograph's Parser, fetched on
// demand. The package is a Homebridge plugin: installing it brings noble, usb and
// googleapis (about 250 of the project's 437 MB and native builds), all for one
// self-contained file the bench needs, lib/parser.js. So it is not a dependency: the bench
// takes it from node_modules when someone installed it, or else downloads the package's
// tarball once (`npm pack`, no dependencies, no install scripts) into
// node_modules/.cache/mi32-bench and loads lib/parser.js from there.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const PEER = 'homebridge-mi-hygrothermograph';
const VERSION = '2.4.0'; // the version the README's figures were measured against
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);

/** The peer's Parser class. Throws with a one-line reason when it can be neither found nor fetched. */
export function loadPeerParser() {
  try {
    return require(`${PEER}/lib/parser.js`).Parser;
  } catch {
    // not installed: fetch it below
  }
  const cache = path.join(root, 'node_modules', '.cache', 'mi32-bench');
  const parser = path.join(cache, 'package', 'lib', 'parser.js');
  if (!fs.existsSync(parser)) {
    fs.mkdirSync(cache, { recursive: true });
    try {
      const tarball = execFileSync('npm', ['pack', `${PEER}@${VERSION}`, '--silent', '--pack-destination', cache], { cwd: cache, encoding: 'utf8' }).trim().split('\n').pop();
      execFileSync('tar', ['-xzf', path.join(cache, tarball), '-C', cache, 'package/lib/parser.js', 'package/package.json']);
    } catch (e) {
      throw new Error(`bench: could not fetch ${PEER}@${VERSION} with npm pack (${e.message.split('\n')[0]})`);
    }
  }
  return require(parser).Parser;
}
