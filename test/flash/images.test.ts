// Finding mcconfig's images and their flash offsets; the browser installer's MD5 and server.

import { describe, it, expect } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { parsePartitionTable, planImages, loadImages, findBuildDirs, ImageError } from '../../scripts/flash/images.js';
import { run } from '../../scripts/flash/cli.js';
import { createInstallerServer } from '../../scripts/flash/serve-installer.js';
import { md5hex } from '../../web/installer/md5.js';
import { DEFAULT_PARTITIONS, OTA_PARTITIONS, espImage, makeBuild, partitionTable, random } from './fixtures.js';

function filesFor(chipId: number, partitions = DEFAULT_PARTITIONS) {
  return {
    'bootloader.bin': espImage(1, 1000, chipId),
    'partition-table.bin': partitionTable(partitions),
    'xs_esp32.bin': espImage(2, 5000, chipId),
  };
}

describe('images and offsets', () => {
  it('parses a binary partition table, skipping the MD5 entry', () => {
    const parts = parsePartitionTable(partitionTable(DEFAULT_PARTITIONS));
    expect(parts.map((p: { label: string; offset: number }) => [p.label, p.offset])).toEqual([
      ['nvs', 0x9000], ['phy_init', 0xf000], ['factory', 0x10000], ['storage', 0x3f0000],
    ]);
    expect(() => parsePartitionTable(random(3, 64))).toThrow(/bad entry magic/);
  });

  it('puts the bootloader at 0x1000 on ESP32 and at 0x0 on ESP32-C3/-S3', () => {
    const offsets = (chip: string, id: number) => planImages(filesFor(id), chip).map((i: { name: string; offset: number }) => [i.name, i.offset]);
    expect(offsets('esp32', 0)).toEqual([['bootloader.bin', 0x1000], ['partition-table.bin', 0x8000], ['xs_esp32.bin', 0x10000]]);
    expect(offsets('esp32c3', 5)).toEqual([['bootloader.bin', 0x0], ['partition-table.bin', 0x8000], ['xs_esp32.bin', 0x10000]]);
    expect(offsets('esp32s3', 9)).toEqual([['bootloader.bin', 0x0], ['partition-table.bin', 0x8000], ['xs_esp32.bin', 0x10000]]);
  });

  it('takes the app offset from the partition table and places ota_data_initial.bin on otadata', () => {
    const moved = DEFAULT_PARTITIONS.map((p) => (p.label === 'factory' ? { ...p, offset: 0x20000, size: 0x100000 } : p));
    expect(planImages(filesFor(0, moved), 'esp32').find((i: { name: string }) => i.name === 'xs_esp32.bin').offset).toBe(0x20000);
    const ota = planImages({ ...filesFor(0, OTA_PARTITIONS), 'ota_data_initial.bin': new Uint8Array(0x2000).fill(0xff) }, 'esp32');
    expect(ota.map((i: { name: string; offset: number }) => [i.name, i.offset])).toContainEqual(['ota_data_initial.bin', 0x3e0000]);
  });

  it('names what is wrong with a build', () => {
    expect(() => planImages({ 'bootloader.bin': espImage(1, 100, 0) }, 'esp32')).toThrow('missing partition-table.bin, xs_esp32.bin');
    expect(() => planImages(filesFor(9), 'esp32')).toThrow('bootloader.bin was built for esp32s3, not esp32');
    const notImage = { ...filesFor(0), 'xs_esp32.bin': new Uint8Array(100) };
    expect(() => planImages(notImage, 'esp32')).toThrow('xs_esp32.bin is not an ESP image');
    const small = DEFAULT_PARTITIONS.map((p) => (p.label === 'factory' ? { ...p, size: 0x1000 } : p));
    expect(() => planImages(filesFor(0, small), 'esp32')).toThrow(/larger than its partition "factory"/);
    expect(() => planImages(filesFor(0), 'esp8266')).toThrow(ImageError);
  });

  it('uses flasher_args.json when given an idf.py build directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mi32-idf-'));
    try {
      mkdirSync(join(dir, 'bootloader'));
      mkdirSync(join(dir, 'partition_table'));
      writeFileSync(join(dir, 'bootloader', 'bootloader.bin'), espImage(1, 500, 0));
      writeFileSync(join(dir, 'partition_table', 'partition-table.bin'), partitionTable(DEFAULT_PARTITIONS));
      writeFileSync(join(dir, 'xs_esp32.bin'), espImage(2, 800, 0));
      writeFileSync(join(dir, 'flasher_args.json'), JSON.stringify({
        flash_files: { '0x1000': 'bootloader/bootloader.bin', '0x8000': 'partition_table/partition-table.bin', '0x10000': 'xs_esp32.bin' },
        extra_esptool_args: { chip: 'esp32' },
      }));
      const images = await loadImages(dir, 'esp32');
      expect(images.map((i: { name: string; offset: number }) => [i.name, i.offset])).toEqual([['bootloader.bin', 0x1000], ['partition-table.bin', 0x8000], ['xs_esp32.bin', 0x10000]]);
      await expect(loadImages(dir, 'esp32s3')).rejects.toThrow('flasher_args.json is for esp32, not esp32s3');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("finds mcconfig's output under $MODDABLE/build/bin/esp32[/subclass]/<kind>/<app>, newest first", async () => {
    const moddable = mkdtempSync(join(tmpdir(), 'mi32-moddable-'));
    try {
      const at = (...parts: string[]) => {
        const dir = join(moddable, 'build', 'bin', ...parts);
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'xs_esp32.bin'), 'x');
        return dir;
      };
      const release = at('esp32', 'release', 'mi32-xs');
      const debug = at('esp32', 'debug', 'mi32-xs');
      utimesSync(join(release, 'xs_esp32.bin'), 1000, 1000);
      const s3 = at('esp32', 'esp32s3', 'release', 'mi32-xs');
      expect(await findBuildDirs({ moddable, chipKey: 'esp32', cwd: '/src/mi32-xs' })).toEqual([debug, release]);
      expect(await findBuildDirs({ moddable, chipKey: 'esp32s3', app: 'mi32-xs' })).toEqual([s3]);
      expect(await findBuildDirs({ moddable, chipKey: 'esp32c3', app: 'mi32-xs' })).toEqual([]);
    } finally {
      rmSync(moddable, { recursive: true, force: true });
    }
  });

  it('--dry-run lists images and offsets without a port', async () => {
    const build = makeBuild(0);
    let text = '';
    const stderr = new Writable({ write(c, _e, done) { text += c.toString(); done(); } });
    try {
      expect(await run(['--dry-run', '--chip', 'esp32', '--build', build.dir], { stderr, stdout: stderr })).toBe(0);
      expect(text).toMatch(/0x1000 {2}bootloader\.bin/);
      expect(text).toMatch(/0x8000 {2}partition-table\.bin/);
      expect(text).toMatch(/0x10000 {2}xs_esp32\.bin/);
      text = '';
      expect(await run(['--chip', 'esp32'], { stderr, stdout: stderr })).toBe(2);
      expect(text).toContain('--port is required');
    } finally {
      rmSync(build.dir, { recursive: true, force: true });
    }
  });
});

describe('browser installer', () => {
  it('md5.js agrees with node:crypto', () => {
    for (const n of [0, 1, 55, 56, 63, 64, 65, 1000, 70_001]) {
      const data = random(n + 7, n);
      expect(md5hex(data)).toBe(createHash('md5').update(data).digest('hex'));
    }
  });

  it('serves the page, esptool-js as an ES module, the manifest and the images', async () => {
    const build = makeBuild(5, { appSize: 3000 });
    const server = await createInstallerServer({ builds: { esp32c3: build.dir } });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const page = await fetch(`${base}/`);
      expect(await page.text()).toContain('<script type="module" src="installer.js">');
      expect(await (await fetch(`${base}/installer.js`)).text()).toContain("import('./vendor/esptool.js')");
      const esptool = await fetch(`${base}/vendor/esptool.js`);
      expect(esptool.headers.get('content-type')).toMatch(/javascript/);
      expect(await esptool.text()).toMatch(/export\s*\{[^}]*ESPLoader/);
      const manifest = await (await fetch(`${base}/firmware/manifest.json`)).json();
      expect(manifest.esp32c3.images.map((i: { name: string; offset: number }) => [i.name, i.offset])).toEqual([
        ['bootloader.bin', 0], ['partition-table.bin', 0x8000], ['xs_esp32.bin', 0x10000],
      ]);
      const app = new Uint8Array(await (await fetch(`${base}/firmware/esp32c3/xs_esp32.bin`)).arrayBuffer());
      expect(Buffer.compare(Buffer.from(app), Buffer.from(build.files['xs_esp32.bin']))).toBe(0);
      expect((await fetch(`${base}/firmware/esp32c3/../../package.json`)).status).toBe(404);
    } finally {
      server.close();
      rmSync(build.dir, { recursive: true, force: true });
    }
  });
});
