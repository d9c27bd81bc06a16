// Small generated stand-ins for what mcconfig builds: an ESP image header in front of
// seeded random bytes (incompressible, so the app spans several 16 KiB upload blocks and
// contains SLIP bytes 0xC0/0xDB), and a real binary partition table.

import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function random(seed: number, length: number): Uint8Array {
  let a = seed >>> 0;
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) & 0xff;
  }
  return out;
}

/** An ESP image: magic 0xE9, then the extended header's chip id at bytes 12-13. */
export function espImage(seed: number, length: number, chipId: number): Uint8Array {
  const image = random(seed, length);
  image.set([0xe9, 0x03, 0x02, 0x20], 0);
  image[12] = chipId & 0xff;
  image[13] = chipId >> 8;
  return image;
}

export interface Partition {
  label: string;
  type: number;
  subtype: number;
  offset: number;
  size: number;
}

export const DEFAULT_PARTITIONS: Partition[] = [
  { label: 'nvs', type: 1, subtype: 0x02, offset: 0x9000, size: 0x6000 },
  { label: 'phy_init', type: 1, subtype: 0x01, offset: 0xf000, size: 0x1000 },
  { label: 'factory', type: 0, subtype: 0x00, offset: 0x10000, size: 0x3e0000 },
  { label: 'storage', type: 1, subtype: 0x82, offset: 0x3f0000, size: 0x10000 },
];

export const OTA_PARTITIONS: Partition[] = [
  { label: 'nvs', type: 1, subtype: 0x02, offset: 0x9000, size: 0x6000 },
  { label: 'phy_init', type: 1, subtype: 0x01, offset: 0xf000, size: 0x1000 },
  { label: 'ota_0', type: 0, subtype: 0x10, offset: 0x10000, size: 0x1f0000 },
  { label: 'ota_1', type: 0, subtype: 0x11, offset: 0x200000, size: 0x1e0000 },
  { label: 'otadata', type: 1, subtype: 0x00, offset: 0x3e0000, size: 0x2000 },
];

/** ESP-IDF gen_esp32part.py layout: 32-byte entries, an MD5 entry, 0xFF to 0xC00. */
export function partitionTable(partitions: Partition[]): Uint8Array {
  const table = new Uint8Array(0xc00).fill(0xff);
  const view = new DataView(table.buffer);
  partitions.forEach((p, i) => {
    const at = i * 32;
    table.set([0xaa, 0x50, p.type, p.subtype], at);
    view.setUint32(at + 4, p.offset, true);
    view.setUint32(at + 8, p.size, true);
    const label = new Uint8Array(16);
    label.set(new TextEncoder().encode(p.label));
    table.set(label, at + 12);
    view.setUint32(at + 28, 0, true);
  });
  const end = partitions.length * 32;
  const md5 = createHash('md5').update(table.subarray(0, end)).digest();
  table.set([0xeb, 0xeb], end);
  table.set(md5, end + 16);
  return table;
}

export interface Build {
  dir: string;
  files: Record<string, Uint8Array>;
}

/** A directory laid out like mcconfig's bin dir for one app. */
export function makeBuild(chipId: number, { partitions = DEFAULT_PARTITIONS, appSize = 150_000, extra = {} as Record<string, Uint8Array> } = {}): Build {
  const dir = mkdtempSync(join(tmpdir(), 'mi32-flash-'));
  const files: Record<string, Uint8Array> = {
    'bootloader.bin': espImage(1, 26_003, chipId),
    'partition-table.bin': partitionTable(partitions),
    'xs_esp32.bin': espImage(2, appSize, chipId),
    ...extra,
  };
  for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
  return { dir, files };
}
