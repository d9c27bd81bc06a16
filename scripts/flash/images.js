// Which files an ESP32 build of mi32-xs leaves behind, and where each goes in flash.
//
// `mcconfig -d -m -p esp32[/esp32c3|/esp32s3]` copies the ESP-IDF outputs into
// $MODDABLE/build/bin/esp32[/<subclass>]/<debug|release|instrument>/<app>/
// (tools/mcconfig.js createDirectories + tools/mcconfig/make.esp32.mk):
//   bootloader.bin        second-stage bootloader   0x1000 on ESP32, 0x0 on ESP32-C3/-S3
//   partition-table.bin   the partition table        0x8000 (IDF CONFIG_PARTITION_TABLE_OFFSET default;
//                                                     Moddable's sdkconfig does not move it)
//   xs_esp32.bin          the app                    offset of the factory (or ota_0) partition,
//                                                     read from partition-table.bin (0x10000 by default)
//   ota_data_initial.bin  only with OTA partitions   offset of the otadata partition
// When the idf.py build directory is given instead (it holds flasher_args.json), that file
// is authoritative and is used as is.

import { readFile, stat, readdir } from 'node:fs/promises';
import { join, basename, resolve } from 'node:path';

export class ImageError extends Error {
  constructor(message) {
    super(message);
    this.name = 'ImageError';
  }
}

/** The chips mi32-xs builds for. `name` is esptool-js's CHIP_NAME, `imageChipId` the
 * chip id in the ESP image extended header (esp_image_format.h esp_chip_id_t). */
export const CHIPS = {
  esp32: { name: 'ESP32', bootloaderOffset: 0x1000, imageChipId: 0x0000, subclass: null },
  esp32c3: { name: 'ESP32-C3', bootloaderOffset: 0x0, imageChipId: 0x0005, subclass: 'esp32c3' },
  esp32s3: { name: 'ESP32-S3', bootloaderOffset: 0x0, imageChipId: 0x0009, subclass: 'esp32s3' },
};

export const PARTITION_TABLE_OFFSET = 0x8000;
export const DEFAULT_APP_OFFSET = 0x10000;
const ESP_IMAGE_MAGIC = 0xe9;

export function chipKeyFromName(chipName) {
  for (const [key, chip] of Object.entries(CHIPS)) if (chip.name === chipName) return key;
  return null;
}

export function hex(n) {
  return '0x' + n.toString(16);
}

/**
 * Parse an ESP-IDF binary partition table: 32-byte entries (magic 0xAA 0x50, type,
 * subtype, offset, size, 16-byte label, flags), ended by the optional MD5 entry
 * (0xEB 0xEB) and 0xFF padding.
 */
export function parsePartitionTable(bytes) {
  const entries = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 0; at + 32 <= bytes.length; at += 32) {
    const m0 = bytes[at], m1 = bytes[at + 1];
    if (m0 === 0xff && m1 === 0xff) break;
    if (m0 === 0xeb && m1 === 0xeb) continue; // MD5 of the entries before it
    if (m0 !== 0xaa || m1 !== 0x50) {
      throw new ImageError(`partition table: bad entry magic 0x${m0.toString(16)}${m1.toString(16)} at byte ${at}`);
    }
    const labelBytes = bytes.subarray(at + 12, at + 28);
    const end = labelBytes.indexOf(0);
    entries.push({
      type: bytes[at + 2],
      subtype: bytes[at + 3],
      offset: view.getUint32(at + 4, true),
      size: view.getUint32(at + 8, true),
      label: new TextDecoder().decode(end < 0 ? labelBytes : labelBytes.subarray(0, end)),
      flags: view.getUint32(at + 28, true),
    });
  }
  if (entries.length === 0) throw new ImageError('partition table: no partitions in it');
  return entries;
}

const APP = 0x00, DATA = 0x01, FACTORY = 0x00, OTA_0 = 0x10, OTADATA = 0x00;

/** The partition the app image boots from: factory, else ota_0. */
export function appPartition(partitions) {
  return partitions.find((p) => p.type === APP && p.subtype === FACTORY)
    ?? partitions.find((p) => p.type === APP && p.subtype === OTA_0)
    ?? null;
}

/**
 * Decide offsets for the files of one build. `files` maps file name to bytes.
 * Returns [{name, offset, data, partition?}] sorted by offset.
 */
export function planImages(files, chipKey) {
  const chip = CHIPS[chipKey];
  if (!chip) throw new ImageError(`unknown chip "${chipKey}" (expected ${Object.keys(CHIPS).join(', ')})`);
  const missing = ['bootloader.bin', 'partition-table.bin', 'xs_esp32.bin'].filter((n) => !files[n]);
  if (missing.length) throw new ImageError(`missing ${missing.join(', ')}`);

  const partitions = parsePartitionTable(files['partition-table.bin']);
  const app = appPartition(partitions);
  if (!app) throw new ImageError('partition table has no factory or ota_0 app partition');
  const images = [
    { name: 'bootloader.bin', offset: chip.bootloaderOffset, data: files['bootloader.bin'] },
    { name: 'partition-table.bin', offset: PARTITION_TABLE_OFFSET, data: files['partition-table.bin'] },
    { name: 'xs_esp32.bin', offset: app.offset, data: files['xs_esp32.bin'], partition: app },
  ];
  if (files['ota_data_initial.bin']) {
    const otadata = partitions.find((p) => p.type === DATA && p.subtype === OTADATA);
    if (!otadata) throw new ImageError('ota_data_initial.bin is present but the partition table has no otadata partition');
    images.push({ name: 'ota_data_initial.bin', offset: otadata.offset, data: files['ota_data_initial.bin'], partition: otadata });
  }
  images.sort((a, b) => a.offset - b.offset);
  checkImages(images, chipKey);
  return images;
}

/** Refuse images that would not boot on this chip or that overlap. */
export function checkImages(images, chipKey, flashSize) {
  const chip = CHIPS[chipKey];
  for (const image of images) {
    if (image.data.length === 0) throw new ImageError(`${image.name} is empty`);
    if (image.name === 'bootloader.bin' || image.name === 'xs_esp32.bin') {
      if (image.data[0] !== ESP_IMAGE_MAGIC) {
        throw new ImageError(`${image.name} is not an ESP image (first byte 0x${image.data[0].toString(16)}, expected 0xe9)`);
      }
      if (image.data.length >= 14) {
        const chipId = image.data[12] | (image.data[13] << 8);
        if (chipId !== chip.imageChipId) {
          const builtFor = Object.entries(CHIPS).find(([, c]) => c.imageChipId === chipId)?.[0] ?? `chip id ${chipId}`;
          throw new ImageError(`${image.name} was built for ${builtFor}, not ${chipKey}`);
        }
      }
    }
    if (image.partition && image.data.length > image.partition.size) {
      throw new ImageError(`${image.name} is ${image.data.length} bytes, larger than its partition "${image.partition.label}" (${image.partition.size} bytes)`);
    }
    if (flashSize !== undefined && image.offset + image.data.length > flashSize) {
      throw new ImageError(`${image.name} ends at ${hex(image.offset + image.data.length)}, beyond the ${flashSize >> 20} MB flash`);
    }
  }
  const sorted = [...images].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1];
    if (prev.offset + prev.data.length > sorted[i].offset) {
      throw new ImageError(`${prev.name} (${hex(prev.offset)}..${hex(prev.offset + prev.data.length)}) overlaps ${sorted[i].name} at ${hex(sorted[i].offset)}`);
    }
  }
}

async function exists(path) {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Read the images of a build directory (mcconfig bin dir, or idf.py build dir). */
export async function loadImages(dir, chipKey) {
  const flasherArgs = join(dir, 'flasher_args.json');
  if (await exists(flasherArgs)) return loadFromFlasherArgs(dir, JSON.parse(await readFile(flasherArgs, 'utf8')), chipKey);
  const names = ['bootloader.bin', 'partition-table.bin', 'xs_esp32.bin', 'ota_data_initial.bin'];
  const files = {};
  for (const name of names) {
    const path = join(dir, name);
    if (await exists(path)) files[name] = new Uint8Array(await readFile(path));
  }
  try {
    return planImages(files, chipKey);
  } catch (error) {
    if (error instanceof ImageError) throw new ImageError(`${dir}: ${error.message}`);
    throw error;
  }
}

async function loadFromFlasherArgs(dir, args, chipKey) {
  const chip = args.extra_esptool_args?.chip;
  if (chip && chip !== chipKey) throw new ImageError(`${dir}/flasher_args.json is for ${chip}, not ${chipKey}`);
  const images = [];
  for (const [offset, file] of Object.entries(args.flash_files ?? {})) {
    images.push({ name: basename(file), offset: Number(offset), data: new Uint8Array(await readFile(join(dir, file))) });
  }
  if (images.length === 0) throw new ImageError(`${dir}/flasher_args.json lists no flash_files`);
  images.sort((a, b) => a.offset - b.offset);
  // flasher_args names the app after the IDF project; check headers by role instead of name.
  const roles = images.map((i) => ({ ...i, name: i.offset === CHIPS[chipKey].bootloaderOffset ? 'bootloader.bin' : i.name }));
  checkImages(roles, chipKey);
  return images;
}

/**
 * Where mcconfig puts the binaries for this chip: every existing
 * $MODDABLE/build/bin/esp32[/<subclass>]/<debug|release|instrument>/<app> holding
 * xs_esp32.bin, newest first. `app` defaults to the project directory's name (mcconfig
 * names the app after the directory of the manifest).
 */
export async function findBuildDirs({ moddable = process.env.MODDABLE, chipKey, app, cwd = process.cwd() } = {}) {
  if (!moddable) return [];
  const chip = CHIPS[chipKey];
  const base = join(moddable, 'build', 'bin', 'esp32', ...(chip.subclass ? [chip.subclass] : []));
  const found = [];
  for (const kind of ['debug', 'release', 'instrument']) {
    const dir = join(base, kind, app ?? basename(resolve(cwd)));
    try {
      const st = await stat(join(dir, 'xs_esp32.bin'));
      found.push({ dir, mtime: st.mtimeMs });
    } catch {
      // not built in this configuration
    }
  }
  found.sort((a, b) => b.mtime - a.mtime);
  return found.map((f) => f.dir);
}

/** List what a directory holds, for error messages. */
export async function describeDir(dir) {
  try {
    return (await readdir(dir)).join(', ') || '(empty)';
  } catch {
    return '(does not exist)';
  }
}
