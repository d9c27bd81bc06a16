// `npm run flash -- --port PORT [--chip esp32|esp32c3|esp32s3] [--build DIR] [--baud N]`
// Exit codes: 0 flashed and verified, 1 flashing or verification failed, 2 bad usage or
// no images to flash.

import { parseArgs } from 'node:util';
import { CHIPS, ImageError, loadImages, findBuildDirs, describeDir, hex } from './images.js';
import { flashImages, FlashError } from './flasher.js';
import { NodeSerialPort, listPorts } from './node-transport.js';
import { createProgress } from './progress.js';

export const USAGE = `usage: npm run flash -- --port PORT [options]

  --port PORT        serial port of the board (/dev/ttyUSB0, /dev/cu.usbserial-…, COM3)
  --chip CHIP        esp32 | esp32c3 | esp32s3 (default: the chip that answers)
  --build DIR        directory with bootloader.bin, partition-table.bin, xs_esp32.bin
                     (default: $MODDABLE/build/bin/esp32[/CHIP]/<debug|release>/<app>, newest)
  --app NAME         app name under $MODDABLE/build/bin (default: this directory's name)
  --baud N           upload baud rate (default 460800; the ROM always syncs at 115200)
  --before MODE      default_reset | usb_reset | no_reset (board already in download mode)
  --after MODE       hard_reset (default) | no_reset
  --dry-run          print the images and offsets, touch no port
  --list             list serial ports
  --verbose          print esptool-js's log; --trace adds every byte on the wire`;

class UsageError extends Error {}

function parse(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      chip: { type: 'string' },
      build: { type: 'string' },
      app: { type: 'string' },
      baud: { type: 'string', default: '460800' },
      before: { type: 'string', default: 'default_reset' },
      after: { type: 'string', default: 'hard_reset' },
      'dry-run': { type: 'boolean', default: false },
      list: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      trace: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.chip && !CHIPS[values.chip]) throw new UsageError(`--chip must be one of ${Object.keys(CHIPS).join(', ')}`);
  const baud = Number(values.baud);
  if (!Number.isInteger(baud) || baud < 9600 || baud > 5_000_000) throw new UsageError(`--baud must be a whole number of bits per second, got "${values.baud}"`);
  if (!['default_reset', 'usb_reset', 'no_reset'].includes(values.before)) throw new UsageError('--before must be default_reset, usb_reset or no_reset');
  if (!['hard_reset', 'no_reset'].includes(values.after)) throw new UsageError('--after must be hard_reset or no_reset');
  if (!values.port && !values['dry-run'] && !values.list && !values.help) throw new UsageError('--port is required');
  if (values['dry-run'] && !values.chip) throw new UsageError('--dry-run needs --chip (no chip is asked)');
  return { ...values, baud };
}

/** The images for `chipKey`, from --build or from mcconfig's output directory. */
async function resolveImages(opts, chipKey, env) {
  let dir = opts.build;
  if (!dir) {
    const dirs = await findBuildDirs({ moddable: env.MODDABLE, chipKey, app: opts.app, cwd: env.cwd });
    if (dirs.length === 0) {
      throw new ImageError(
        env.MODDABLE
          ? `no ${chipKey} build found under ${env.MODDABLE}/build/bin/esp32; build with mcconfig -d -m -p ${CHIPS[chipKey].subclass ? 'esp32/' + chipKey : 'esp32'} or pass --build DIR`
          : 'MODDABLE is not set; pass --build DIR (the directory holding xs_esp32.bin)',
      );
    }
    dir = dirs[0];
  }
  try {
    return { dir, images: await loadImages(dir, chipKey) };
  } catch (error) {
    if (error instanceof ImageError && /missing/.test(error.message)) {
      throw new ImageError(`${error.message} (the directory holds: ${await describeDir(dir)})`);
    }
    throw error;
  }
}

/**
 * Run the flash CLI. `deps.openPort(path)` gives an unopened Web-Serial-shaped port
 * (tests pass a simulator's); `deps.stderr`/`stdout` are writable streams.
 */
export async function run(argv, deps = {}) {
  const stderr = deps.stderr ?? process.stderr;
  const stdout = deps.stdout ?? process.stdout;
  const env = { MODDABLE: deps.env?.MODDABLE ?? process.env.MODDABLE, cwd: deps.cwd ?? process.cwd() };
  const openPort = deps.openPort ?? ((path) => NodeSerialPort.create(path));
  const say = (line) => stderr.write(line + '\n');

  let opts;
  try {
    opts = parse(argv);
  } catch (error) {
    say(`flash: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (opts.help) {
    stdout.write(USAGE + '\n');
    return 0;
  }
  if (opts.list) {
    try {
      for (const p of await listPorts()) stdout.write(`${p.path}\t${p.manufacturer ?? ''}\t${p.vendorId ?? ''}:${p.productId ?? ''}\n`);
      return 0;
    } catch (error) {
      say(`flash: cannot list ports: ${error.message}`);
      return 1;
    }
  }

  const describe = (dir, images) => {
    say(`images from ${dir}:`);
    for (const i of images) say(`  ${hex(i.offset).padStart(8)}  ${i.name}  (${i.data.length} bytes)`);
  };

  if (opts['dry-run']) {
    try {
      const { dir, images } = await resolveImages(opts, opts.chip, env);
      describe(dir, images);
      return 0;
    } catch (error) {
      say(`flash: ${error.message}`);
      return 2;
    }
  }

  // With --chip, find the images before touching the port, so a missing build fails fast.
  let preloaded = null;
  if (opts.chip) {
    try {
      preloaded = await resolveImages(opts, opts.chip, env);
    } catch (error) {
      say(`flash: ${error.message}`);
      return 2;
    }
  }

  const progress = createProgress({ stream: stderr });
  try {
    const port = await openPort(opts.port);
    const result = await flashImages({
      port,
      chip: opts.chip,
      baud: opts.baud,
      before: opts.before,
      after: opts.after,
      debug: opts.verbose,
      trace: opts.trace,
      log: opts.verbose || opts.trace ? say : () => {},
      progress: progress.update,
      images: async (chipKey) => {
        const found = preloaded ?? (await resolveImages(opts, chipKey, env));
        describe(found.dir, found.images);
        return found.images;
      },
    });
    say(`${result.description}: wrote and verified ${result.verified} images (MD5 of each flash region matches its file)`);
    if (opts.after === 'hard_reset') say('reset the board into the new firmware');
    return 0;
  } catch (error) {
    if (error instanceof ImageError) {
      say(`flash: ${error.message}`);
      return 2;
    }
    if (error instanceof FlashError) {
      say(`flash: ${error.message}`);
      return 1;
    }
    say(`flash: ${error?.stack ?? error}`);
    return 1;
  }
}
