// `mi32 run --gateways N --rssi-offsets ... --rssi-jitter DB`: the option forms, the stdin
// "@n" lines, the per-gateway noise, and bad values as one-line usage errors (exit 2).
// Needs the build (npm test runs it first).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { gatewayLine, gatewayTopic, offsetRssi, parseGatewayCount, parseRssiJitter, parseRssiOffsets, rssiNoise } from '../../host-sim/gateways.js';

const BIN = fileURLToPath(new URL('../../bin/mi32.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'mi32-gws-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('--gateways and its companions', () => {
  it('parse what they should and refuse the rest', () => {
    expect(parseGatewayCount(undefined)).toBe(1);
    expect(parseGatewayCount('3')).toBe(3);
    for (const bad of ['0', '9', '2.5', 'x', '-1']) expect(() => parseGatewayCount(bad), bad).toThrow(/--gateways must be/);
    expect(parseRssiOffsets(undefined, 2)).toEqual([0, 0]);
    expect(parseRssiOffsets('0, -10,+5', 3)).toEqual([0, -10, 5]);
    expect(() => parseRssiOffsets('0,-10', 3)).toThrow(/needs 3 values/);
    expect(() => parseRssiOffsets('0,-61', 2)).toThrow(/from -60 to 60/);
    expect(parseRssiJitter(undefined)).toBe(0);
    expect(() => parseRssiJitter('21')).toThrow(/from 0 to 20/);
    expect(gatewayTopic('mi32', 0, 1)).toBe('mi32');
    expect(gatewayTopic('mi32', 2, 3)).toBe('mi32-3');
    expect(() => gatewayTopic('x'.repeat(31), 0, 2)).toThrow(/no room for the gateway number/);
    expect(offsetRssi(-120, -20)).toBe(-127);
  });

  it('stdin lines: all gateways, "@n <command>", "@n stop|crash", and a wrong number', () => {
    expect(gatewayLine('TelePeriod 10', 3)).toEqual({ kind: 'command', line: 'TelePeriod 10' });
    expect(gatewayLine('@2 MI32Group home', 3)).toEqual({ kind: 'command', gateway: 1, line: 'MI32Group home' });
    expect(gatewayLine('@1 crash', 3)).toEqual({ kind: 'crash', gateway: 0 });
    expect(gatewayLine('@3 stop', 3)).toEqual({ kind: 'stop', gateway: 2 });
    expect(gatewayLine('@4 stop', 3)).toEqual({ kind: 'error', message: 'no gateway @4 (1-3)' });
  });

  it('each gateway has its own noise, within ±DB, the same on every run', () => {
    const a = rssiNoise(1, 5);
    const b = rssiNoise(2, 5);
    const xs = Array.from({ length: 200 }, a);
    const ys = Array.from({ length: 200 }, b);
    expect(Math.min(...xs)).toBe(-5);
    expect(Math.max(...xs)).toBe(5);
    expect(xs).not.toEqual(ys);
    expect(Array.from({ length: 200 }, rssiNoise(1, 5))).toEqual(xs);
    expect(rssiNoise(1, 0)()).toBe(0);
  });

  it('bad values are one-line usage errors (exit 2)', () => {
    for (const args of [['--gateways', '9'], ['--gateways', '2', '--rssi-offsets', '0'], ['--rssi-jitter', 'lots']]) {
      const r = spawnSync(process.execPath, [BIN, 'run', ...args, '--data', join(dir, 'd'), '--once'], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.split('\n')[0]).toMatch(/^mi32 run: --(gateways|rssi-offsets|rssi-jitter)/);
    }
  });
});
