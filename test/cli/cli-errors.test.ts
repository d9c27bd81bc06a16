// The `mi32` CLI as a new user meets it (issue 12): help and version, and every error
// path one line on stderr with exit 2 (usage) or 1 (runtime), never a stack trace.
// Needs the build (npm test runs it first).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/mi32.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'mi32-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function mi32(args: string[], input = '') {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', cwd: dir, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** One line, no stack frame ("    at ..."), no Node error dump. */
function expectOneLineError(stderr: string): void {
  const lines = stderr.trim().split('\n');
  expect(lines[0]).toMatch(/^mi32 \w+: /);
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).not.toMatch(/node:internal|Error: ENOENT/);
}

const FRAME = '58585b054233221138c1a4b2dbdd0438238001000042277040';
const KEY = '0123456789ABCDEFFEDCBA9876543210';

describe('mi32 help and version', () => {
  it('mi32 run --help prints the run usage and exits 0', () => {
    const r = mi32(['run', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/mi32 run \[CAPTURE\]/);
    expect(r.stderr).toBe('');
  });

  it('mi32 decode --help prints the decode usage and exits 0', () => {
    const r = mi32(['decode', '-h']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/mi32 decode HEX/);
  });

  it('decode --help lists every service data UUID it decodes (181d, 181b, fd50 too)', () => {
    const r = mi32(['decode', '--help']);
    for (const uuid of ['fe95', 'fcd2', '181a', 'fdcd', '181d', '181b', 'fd50']) expect(r.stdout).toContain(uuid);
  });

  it('mi32 --version prints the package version', () => {
    const r = mi32(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^mi32 \d+\.\d+\.\d+$/);
  });
});

describe('mi32 run error paths', () => {
  it('--cfg nosuch is a one-line usage error (exit 2)', () => {
    const r = mi32(['run', '--cfg', 'nosuch', '--data', join(dir, 'd1'), '--once']);
    expect(r.code).toBe(2);
    expectOneLineError(r.stderr);
    expect(r.stderr).toMatch(/--cfg: .*nosuch/);
  });

  it('--ca nosuch.pem is a one-line usage error (exit 2)', () => {
    const r = mi32(['run', '--ca', 'nosuch.pem', '--broker', 'mqtts://127.0.0.1:1', '--data', join(dir, 'd2'), '--once']);
    expect(r.code).toBe(2);
    expectOneLineError(r.stderr);
    expect(r.stderr).toMatch(/--ca: .*nosuch\.pem/);
  });

  it('--data naming a file is a one-line usage error (exit 2)', () => {
    writeFileSync(join(dir, 'a-file'), '');
    const r = mi32(['run', '--data', join(dir, 'a-file'), '--once']);
    expect(r.code).toBe(2);
    expectOneLineError(r.stderr);
    expect(r.stderr).toMatch(/--data: .*a-file is not a folder/);
  });

  it('--broker http://x is a one-line usage error (exit 2)', () => {
    const r = mi32(['run', '--broker', 'http://x', '--data', join(dir, 'd3'), '--once']);
    expect(r.code).toBe(2);
    expectOneLineError(r.stderr);
  });

  it('an unreachable broker with --once exits 1 and says nothing was delivered', () => {
    const r = mi32(['run', '--broker', 'mqtt://user:secret@127.0.0.1:1', '--data', join(dir, 'd4'), '--once', '--quiet']);
    expect(r.code).toBe(1);
    const last = r.stderr.trim().split('\n').at(-1)!;
    expect(last).toMatch(/^mi32 run: could not reach the MQTT broker mqtt:.*127\.0\.0\.1:1.*nothing was published$/);
    expect(r.stderr).not.toContain('secret');
  });

  it('says so in the log when --cfg is ignored because the data folder has a mi32cfg', () => {
    const data = join(dir, 'd5');
    mkdirSync(data);
    writeFileSync(join(data, 'mi32cfg'), '[{"MAC":"A4C138112233","PID":"055b","key":""}]');
    const seed = join(dir, 'seed-cfg');
    writeFileSync(seed, '[]');
    const r = mi32(['run', '--cfg', seed, '--data', data, '--once', '--quiet']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/--cfg .*seed-cfg ignored: .*mi32cfg already exists/);
  });
});

describe('mi32 run --teleperiod', () => {
  it('accepts exactly what the TelePeriod command accepts: 5 runs as 10, 3601 is a usage error', () => {
    const r = mi32(['run', '--teleperiod', '5', '--cmd', 'TelePeriod', '--data', join(dir, 't1'), '--once', '--quiet']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('{"TelePeriod":10}');
    const bad = mi32(['run', '--teleperiod', '3601', '--data', join(dir, 't2'), '--once']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^mi32 run: --teleperiod: TelePeriod must be whole seconds from 0 to 3600/);
  });
});

describe('mi32 decode key errors', () => {
  for (const digits of [31, 33]) {
    it(`a ${digits}-digit key is called the wrong length, not "not valid hex"`, () => {
      const key = (KEY + KEY).slice(0, digits);
      const line = JSON.parse(mi32(['decode', FRAME, '--mac', 'A4C138112233', '--key', key]).stdout);
      expect(line.code).toBe('bad-input');
      expect(line.error).not.toMatch(/not valid hex/);
      expect(line.error).toMatch(new RegExp(`must be 32 hex digits.*got ${digits}`));
    });
  }

  it('a key with a non-hex character is still called not valid hex', () => {
    const line = JSON.parse(mi32(['decode', FRAME, '--mac', 'A4C138112233', '--key', 'g' + KEY.slice(1)]).stdout);
    expect(line.error).toMatch(/not valid hex/);
  });
});

describe('mi32 --debug', () => {
  it('adds the stack trace of a runtime failure (password still hidden); without it there is none', () => {
    const args = ['run', '--broker', 'mqtt://u:secret@127.0.0.1:1', '--data', join(dir, 'dbg'), '--once', '--quiet'];
    const plain = mi32(args);
    expect(plain.stderr).not.toMatch(/^\s+at /m);
    const debug = mi32([...args, '--debug']);
    expect(debug.code).toBe(1);
    expect(debug.stderr).toMatch(/^\s+at /m);
    expect(debug.stderr).not.toContain('secret');
  });
});
