// The flash CLI end to end against a simulated ROM bootloader: esptool-js (unchanged)
// drives the simulator over an in-memory Web-Serial-shaped port, the same StreamPort the
// Node serial transport uses. No hardware, no sleeps of our own.

import { describe, it, expect } from 'vitest';
import { Writable } from 'node:stream';
import { rmSync } from 'node:fs';
import { run } from '../../scripts/flash/cli.js';
import { RomSim, type SimChip } from './rom-sim.js';
import { SimPort } from './sim-port.js';
import { makeBuild, OTA_PARTITIONS, random, type Build } from './fixtures.js';

const CHIP_IDS: Record<SimChip, number> = { esp32: 0, esp32c3: 5, esp32s3: 9 };

function sink() {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, get text() { return text; } };
}

async function flash(sim: RomSim, build: Build, args: string[] = []) {
  const err = sink();
  const out = sink();
  const port = new SimPort(sim);
  const code = await run(['--port', 'sim', '--build', build.dir, '--before', 'no_reset', ...args], {
    openPort: async () => port,
    stderr: err.stream,
    stdout: out.stream,
  });
  return { code, stderr: err.text, port };
}

function expectAt(sim: RomSim, offset: number, data: Uint8Array) {
  const got = sim.flash.subarray(offset, offset + data.length);
  expect(Buffer.compare(Buffer.from(got), Buffer.from(data))).toBe(0);
}

function expectErased(sim: RomSim, from: number, to: number) {
  expect(sim.flash.subarray(from, to).every((b) => b === 0xff)).toBe(true);
}

describe('npm run flash against a simulated ESP32 ROM bootloader', () => {
  it('writes bootloader, partition table and app at their offsets and verifies each by MD5', async () => {
    const sim = new RomSim({ chip: 'esp32' });
    const build = makeBuild(CHIP_IDS.esp32);
    try {
      const { code, stderr } = await flash(sim, build, ['--chip', 'esp32', '--baud', '921600', '--after', 'no_reset']);
      expect(stderr).toContain('wrote and verified 3 images');
      expect(code).toBe(0);

      const { files } = build;
      expectAt(sim, 0x1000, files['bootloader.bin']);
      expectAt(sim, 0x8000, files['partition-table.bin']);
      expectAt(sim, 0x10000, files['xs_esp32.bin']);
      // nothing else touched
      expectErased(sim, 0, 0x1000);
      expectErased(sim, 0x1000 + files['bootloader.bin'].length + 1, 0x8000);
      expectErased(sim, 0x8000 + files['partition-table.bin'].length, 0x10000);
      expectErased(sim, 0x10000 + files['xs_esp32.bin'].length + 3, sim.flash.length);

      // the chip was asked for the MD5 of exactly the three regions (4-byte padded)
      const pad4 = (n: number) => Math.ceil(n / 4) * 4;
      expect(sim.md5Requests).toEqual([
        { offset: 0x1000, size: pad4(files['bootloader.bin'].length) },
        { offset: 0x8000, size: pad4(files['partition-table.bin'].length) },
        { offset: 0x10000, size: pad4(files['xs_esp32.bin'].length) },
      ]);
      // the protocol went the way esptool goes
      expect(sim.log).toContain('SYNC');
      expect(sim.log).toContain('GET_SECURITY_INFO unsupported');
      expect(sim.log).toContain('MEM_END');
      expect(sim.stub).toBe(true);
      expect(sim.log).toContain('CHANGE_BAUDRATE');
      expect(sim.baud).toBe(921600);
      expect(sim.log).toContain('SPI_SET_PARAMS');
      expect(sim.log.filter((op) => op === 'FLASH_DEFL_BEGIN')).toHaveLength(3);
      expect(sim.log.filter((op) => op === 'FLASH_DEFL_DATA').length).toBeGreaterThan(9); // app alone is 10 blocks of 16 KiB
      expect(sim.log.some((l) => l.includes('failed'))).toBe(false);
      // progress bar reached 100 % for each image
      expect(stderr.match(/\] 100% /g)?.length).toBeGreaterThanOrEqual(3);
    } finally {
      rmSync(build.dir, { recursive: true, force: true });
    }
  });

  it('fails with a clear error and a non-zero exit when the flash does not hold what was sent', async () => {
    const sim = new RomSim({ chip: 'esp32' });
    const build = makeBuild(CHIP_IDS.esp32);
    sim.flipFlashByteAt = 0x10000 + 70_000; // a bad cell inside the app
    try {
      const { code, stderr } = await flash(sim, build, ['--after', 'no_reset']);
      expect(code).toBe(1);
      expect(stderr).toMatch(/flash: verify failed for xs_esp32\.bin at 0x10000: the chip reports MD5 [0-9a-f]{32} for the written region, the file has [0-9a-f]{32}/);
      expect(stderr).not.toContain('wrote and verified');
      // bootloader and partition table were written and verified before the app failed
      expect(sim.md5Requests.map((r) => r.offset)).toEqual([0x1000, 0x8000, 0x10000]);
    } finally {
      rmSync(build.dir, { recursive: true, force: true });
    }
  });

  it('retries a block the loader rejects for a bad checksum, and still verifies', async () => {
    const sim = new RomSim({ chip: 'esp32' });
    const build = makeBuild(CHIP_IDS.esp32);
    sim.failChecksumOfBlock = 5;
    try {
      const { code, stderr } = await flash(sim, build, ['--after', 'no_reset']);
      expect(stderr).toContain('wrote and verified 3 images');
      expect(code).toBe(0);
      expect(sim.log).toContain('FLASH_DEFL_DATA failed: checksum');
      expectAt(sim, 0x10000, build.files['xs_esp32.bin']);
    } finally {
      rmSync(build.dir, { recursive: true, force: true });
    }
  });

  it('resets a running board into download mode, and back into the app when done', async () => {
    const sim = new RomSim({ chip: 'esp32', startInApp: true });
    const build = makeBuild(CHIP_IDS.esp32, { appSize: 20_000 });
    try {
      const err = sink();
      const port = new SimPort(sim);
      const code = await run(['--port', 'sim', '--build', build.dir], { openPort: async () => port, stderr: err.stream, stdout: sink().stream });
      expect(err.text).toContain('wrote and verified 3 images');
      expect(code).toBe(0);
      expect(sim.boots).toBe(2); // into the ROM loader, then the hard reset
      expect(sim.mode).toBe('app');
      expectAt(sim, 0x10000, build.files['xs_esp32.bin']);
    } finally {
      rmSync(build.dir, { recursive: true, force: true });
    }
  });

  it('refuses a build for another chip before writing anything', async () => {
    const sim = new RomSim({ chip: 'esp32' });
    const build = makeBuild(CHIP_IDS.esp32s3);
    try {
      const { code, stderr } = await flash(sim, build, ['--after', 'no_reset']);
      expect(code).toBe(2);
      expect(stderr).toContain('bootloader.bin was built for esp32s3, not esp32');
      expect(sim.log).not.toContain('FLASH_DEFL_BEGIN');
    } finally {
      rmSync(build.dir, { recursive: true, force: true });
    }
  });

  it('refuses --chip that does not match the chip on the port', async () => {
    const sim = new RomSim({ chip: 'esp32' });
    const build = makeBuild(CHIP_IDS.esp32s3);
    try {
      const { code, stderr } = await flash(sim, build, ['--chip', 'esp32s3', '--after', 'no_reset']);
      expect(code).toBe(1);
      expect(stderr).toContain('--chip esp32s3 was given but the connected chip is an ESP32');
      expect(sim.log).not.toContain('FLASH_DEFL_BEGIN');
    } finally {
      rmSync(build.dir, { recursive: true, force: true });
    }
  });

  for (const chip of ['esp32c3', 'esp32s3'] as const) {
    it(`flashes an ${chip}: bootloader at 0x0, OTA layout with otadata`, async () => {
      const sim = new RomSim({ chip });
      const otaData = random(9, 0x2000).fill(0xff, 32);
      const build = makeBuild(CHIP_IDS[chip], { partitions: OTA_PARTITIONS, appSize: 40_000, extra: { 'ota_data_initial.bin': otaData } });
      try {
        const { code, stderr } = await flash(sim, build, ['--after', 'no_reset']);
        expect(stderr).toContain('wrote and verified 4 images');
        expect(code).toBe(0);
        expectAt(sim, 0x0, build.files['bootloader.bin']);
        expectAt(sim, 0x8000, build.files['partition-table.bin']);
        expectAt(sim, 0x10000, build.files['xs_esp32.bin']);
        expectAt(sim, 0x3e0000, otaData);
      } finally {
        rmSync(build.dir, { recursive: true, force: true });
      }
    });
  }
});
