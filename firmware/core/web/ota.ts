// Firmware update from the page, in pieces: the page posts the image in chunks
// (POST /api/update?offset=N&total=T, each within the HTTP body limit), the first chunk
// opens an update on the platform's OtaPort (Moddable's OTA on ESP32) and the last one
// completes it. Anything else (a chunk out of order, a client that stops sending, an image
// for another chip) cancels it: the running firmware and the boot partition stay as they were.

import type { Clock, Log, TimerHandle } from '../host.js';

/** The platform's update partition. Only `complete()` makes the new image the one that boots. */
export interface OtaPort {
  /** The chip this firmware runs on ("esp32", "esp32c3", "esp32s3"): an image for another is refused. */
  readonly chip: string;
  begin(size: number): void;
  write(bytes: Uint8Array): void;
  complete(): void;
  cancel(): void;
  /** Boot the new image (the device restarts); absent where there is nothing to switch to. */
  restart?(): void;
}

/** esp_image_format.h esp_chip_id_t, at offset 12 of the image header (little-endian). */
const CHIP_IDS: Record<number, string> = { 0: 'esp32', 2: 'esp32s2', 5: 'esp32c3', 9: 'esp32s3', 12: 'esp32c2', 13: 'esp32c6', 16: 'esp32h2' };
const ESP_IMAGE_MAGIC = 0xe9;
/** Largest image taken: the biggest OTA app partition of the builds (autosplit of 4 MB flash). */
export const MAX_IMAGE_BYTES = 4 * 1024 * 1024;
/** An update with no chunk for this long is cancelled. */
export const OTA_IDLE_MS = 60_000;

/** Why `header` is not an image for `chip`, or undefined. */
export function imageProblem(header: Uint8Array, chip: string): string | undefined {
  if (header.length < 16) return 'the first chunk is too short to hold an ESP image header (16 bytes)';
  if (header[0] !== ESP_IMAGE_MAGIC) return `not an ESP32 application image (first byte 0x${header[0]!.toString(16).padStart(2, '0')}, expected 0xe9)`;
  const id = header[12]! | (header[13]! << 8);
  const builtFor = CHIP_IDS[id] ?? `chip id ${id}`;
  if (builtFor !== chip) return `the image was built for ${builtFor}; this gateway is ${chip}`;
  return undefined;
}

export interface OtaAnswer {
  status: number;
  body: Record<string, unknown>;
}

export class OtaUpload {
  private received = -1; // -1: no update open
  private total = 0;
  private timer: TimerHandle | undefined;

  constructor(private readonly port: OtaPort | undefined, private readonly clock: Clock, private readonly log: Log) {}

  get open(): boolean {
    return this.received >= 0;
  }

  chunk(offsetText: string | undefined, totalText: string | undefined, bytes: Uint8Array): OtaAnswer {
    if (!this.port) return { status: 501, body: { error: 'firmware update is available on the device only' } };
    const offset = wholeNumber(offsetText);
    const total = wholeNumber(totalText);
    if (offset === undefined || total === undefined) return { status: 400, body: { error: 'offset and total must be whole numbers of bytes' } };
    if (total === 0 || total > MAX_IMAGE_BYTES) return this.fail(413, `an image must be 1 to ${MAX_IMAGE_BYTES} bytes, got ${total}`);
    if (bytes.length === 0) return this.fail(400, 'empty chunk');
    if (offset === 0) {
      if (this.open) this.cancel('a new update started');
      const problem = imageProblem(bytes, this.port.chip);
      if (problem) return this.fail(415, problem);
      try {
        this.port.begin(total);
      } catch (e) {
        return this.fail(500, `could not start the update: ${(e as Error).message}`);
      }
      this.received = 0;
      this.total = total;
      this.log.info(`firmware update: ${total} bytes coming`);
    } else if (!this.open) {
      return this.fail(409, 'no update in progress: start again from offset 0');
    } else if (offset !== this.received || total !== this.total) {
      return this.fail(409, `expected the chunk at offset ${this.received} of ${this.total}, got offset ${offset} of ${total}: update cancelled`);
    }
    if (offset + bytes.length > total) return this.fail(400, `the chunk runs past the image's ${total} bytes`);
    try {
      this.port.write(bytes);
    } catch (e) {
      return this.fail(500, `writing the update failed: ${(e as Error).message}`);
    }
    this.received += bytes.length;
    if (this.received < total) {
      this.arm();
      return { status: 200, body: { received: this.received, total } };
    }
    try {
      this.port.complete();
    } catch (e) {
      return this.fail(500, `the image was refused: ${(e as Error).message}`);
    }
    this.finish();
    this.log.info('firmware update: image complete and verified; restarting into it');
    const restart = this.port.restart;
    if (restart) this.clock.setTimeout(() => restart.call(this.port), 500); // after the reply has left
    return { status: 200, body: { received: total, total, done: true, restarting: restart !== undefined } };
  }

  /** Cancel an open update (a timeout, a new one, the server stopping). The running firmware is untouched. */
  cancel(why: string): void {
    if (!this.open) return;
    try {
      this.port?.cancel();
    } catch {
      // nothing more to undo: the partition is not marked bootable
    }
    this.log.warn(`firmware update cancelled after ${this.received} of ${this.total} bytes: ${why}`);
    this.finish();
  }

  private fail(status: number, error: string): OtaAnswer {
    this.cancel(error);
    return { status, body: { error } };
  }

  private finish(): void {
    this.received = -1;
    this.total = 0;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.cancel(`no chunk for ${OTA_IDLE_MS / 1000} s`);
    }, OTA_IDLE_MS);
  }
}

function wholeNumber(text: string | undefined): number | undefined {
  return text !== undefined && /^\d{1,10}$/.test(text) ? Number(text) : undefined;
}
