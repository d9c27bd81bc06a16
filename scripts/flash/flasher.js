// Flash images with esptool-js: connect (reset into the ROM bootloader, sync), identify
// the chip, upload the flasher stub, switch baud rate, write each image compressed,
// have the chip compute the MD5 of each written region and compare it with the file's,
// then hard-reset into the new firmware.

import { createHash } from 'node:crypto';
import { ESPLoader } from 'esptool-js';
import { CHIPS, chipKeyFromName, checkImages, hex } from './images.js';
import { createTransport } from './node-transport.js';

export class FlashError extends Error {
  /** @param {string} message @param {{code?: string, cause?: unknown}} [options] */
  constructor(message, { code = 'FLASH', cause } = {}) {
    super(message, { cause });
    this.name = 'FlashError';
    this.code = code;
  }
}

export function md5hex(data) {
  return createHash('md5').update(data).digest('hex');
}

// esptool.py's hard reset (EN low, wait, EN high). esptool-js 0.7's HardReset only
// releases RTS, which resets nothing when RTS was not already held.
class PulseHardReset {
  constructor(transport, usbOtg) {
    this.transport = transport;
    this.usbOtg = usbOtg;
  }
  async reset() {
    await this.transport.setRTS(true);
    await new Promise((r) => setTimeout(r, this.usbOtg ? 200 : 100));
    await this.transport.setRTS(false);
  }
}

// esptool-js writes through a terminal; turn its write()/writeLine() pieces into lines.
function lineTerminal(log) {
  let pending = '';
  const lines = [];
  const emit = (text) => {
    for (const line of text.split(/\r?\n|\r/)) {
      if (line.trim()) {
        lines.push(line);
        log(line);
      }
    }
  };
  return {
    lines,
    clean() {},
    write(text) {
      pending += text;
      if (/[\r\n]/.test(pending)) {
        emit(pending);
        pending = '';
      }
    },
    writeLine(text) {
      emit(pending + text);
      pending = '';
    },
  };
}

const ESP_SPI_SET_PARAMS = 0x0b;
const SIZE_BYTES = { '1MB': 1 << 20, '2MB': 2 << 20, '4MB': 4 << 20, '8MB': 8 << 20, '16MB': 16 << 20, '32MB': 32 << 20 };

/**
 * @param {object} options
 * @param {import('./web-serial-port.js').StreamPort} options.port  an unopened port
 * @param {Array<{name: string, offset: number, data: Uint8Array}> | ((chipKey: string) => Promise<Array<{name: string, offset: number, data: Uint8Array}>>)} options.images
 *        images, or a function giving the images for the detected chip
 * @param {string} [options.chip]       expected chip key (esp32, esp32c3, esp32s3)
 * @param {number} [options.baud]       baud rate for the upload (the ROM syncs at 115200)
 * @param {'default_reset'|'usb_reset'|'no_reset'} [options.before]
 * @param {'hard_reset'|'no_reset'} [options.after]
 * @param {(line: string) => void} [options.log]
 * @param {(image: object, written: number, total: number) => void} [options.progress]
 */
export async function flashImages({
  port,
  images,
  chip,
  baud = 460800,
  before = 'default_reset',
  after = 'hard_reset',
  log = () => {},
  progress,
  debug = false,
  trace = false,
}) {
  const transport = createTransport(port, { trace, traceSink: log });
  const terminal = lineTerminal(log);
  const loader = new ESPLoader({
    transport,
    baudrate: baud,
    romBaudrate: 115200,
    terminal,
    debugLogging: debug,
    resetConstructors: { hardReset: (t, usbOtg) => new PulseHardReset(t, usbOtg) },
  });
  try {
    let description;
    try {
      description = await loader.main(before);
    } catch (error) {
      throw new FlashError(
        `cannot talk to the ROM bootloader: ${error.message}. Check the port, and if the board has no auto-reset, hold BOOT while tapping RESET, then run again (with --before no_reset).`,
        { code: 'CONNECT', cause: error },
      );
    }
    const chipKey = chipKeyFromName(loader.chip.CHIP_NAME);
    if (!chipKey) throw new FlashError(`the connected chip is an ${loader.chip.CHIP_NAME}; mi32-xs builds for ${Object.keys(CHIPS).join(', ')}`, { code: 'CHIP' });
    if (chip && chip !== chipKey) {
      throw new FlashError(`--chip ${chip} was given but the connected chip is an ${loader.chip.CHIP_NAME} (${description})`, { code: 'CHIP' });
    }
    const list = typeof images === 'function' ? await images(chipKey) : images;

    // As esptool.py does before writing: attach the SPI flash, tell the loader its size.
    if (loader.IS_STUB) await loader.flashSpiAttach(0);
    const sizeName = await loader.detectFlashSize();
    const flashSize = sizeName ? SIZE_BYTES[sizeName] : undefined;
    if (flashSize) {
      const words = [0, flashSize, 64 * 1024, 4 * 1024, 256, 0xffff];
      const pkt = new Uint8Array(24);
      words.forEach((w, i) => new DataView(pkt.buffer).setUint32(i * 4, w, true));
      await loader.checkCommand('set SPI params', ESP_SPI_SET_PARAMS, pkt);
    }
    try {
      checkImages(list, chipKey, flashSize);
    } catch (error) {
      throw new FlashError(error.message, { code: 'IMAGE', cause: error });
    }

    // esptool-js compares the chip's MD5 of each written region with calculateMD5Hash's
    // result right after writing it, and throws on a mismatch. It only does so when the
    // callback is given; count the calls to know the check ran for every image.
    const nonEmpty = list.filter((i) => i.data.length > 0);
    const fileMd5 = [];
    try {
      await loader.writeFlash({
        fileArray: list.map((i) => ({ data: i.data, address: i.offset })),
        flashMode: 'keep',
        flashFreq: 'keep',
        flashSize: 'keep',
        eraseAll: false,
        compress: true,
        reportProgress: progress ? (index, written, total) => progress(list[index], written, total) : undefined,
        calculateMD5Hash: (data) => {
          const digest = md5hex(data);
          fileMd5.push(digest);
          return digest;
        },
      });
    } catch (error) {
      const image = nonEmpty[fileMd5.length - 1];
      const where = image ? `${image.name} at ${hex(image.offset)}` : 'an image';
      if (/MD5 of file does not match/.test(error.message)) {
        const flashMd5 = terminal.lines.filter((l) => l.startsWith('Flash md5:')).pop()?.slice(10).trim();
        throw new FlashError(
          `verify failed for ${where}: the chip reports MD5 ${flashMd5 ?? '?'} for the written region, the file has ${fileMd5.at(-1)}. The flash does not hold the image; try again, at a lower --baud.`,
          { code: 'VERIFY', cause: error },
        );
      }
      throw new FlashError(`writing ${where} failed: ${error.message}`, { code: 'WRITE', cause: error });
    }
    if (fileMd5.length !== nonEmpty.length) {
      throw new FlashError(`verification ran for ${fileMd5.length} of ${nonEmpty.length} images`, { code: 'VERIFY' });
    }

    await loader.after(after === 'hard_reset' ? 'hard_reset' : 'no_reset_stub');
    return { chip: chipKey, description, flashSize, verified: fileMd5.length, images: list.map((i, n) => ({ name: i.name, offset: i.offset, size: i.data.length, md5: fileMd5[n] })) };
  } finally {
    try {
      await transport.disconnect();
    } catch {
      // the port may never have opened
    }
  }
}
