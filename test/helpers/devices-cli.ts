// `mi32 devices` as the tests drive it, over either transport (MQTT: test/e2e/devices-cli.test.ts;
// the page's /cm: test/cli/devices-http.test.ts): the CLI as a child process, the simulated
// peripheral that asks for a bond, and the one management flow both transports must carry.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { BIN } from '../e2e/harness.js';

/** The simulated LYWSD02 that requires a bond (MI32Pair). */
export const LOCKED = 'E72E01A1B2C3';

export interface CliResult { code: number | null; stdout: string; stderr: string }

/** The CLI as a child process, asynchronously (brokers and gateways may run in this process). */
export function mi32(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 60_000, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}

/** A --peripherals file in `dir` with the LOCKED device; returns its path. */
export function lockedPeripheralFile(dir: string): string {
  const file = join(dir, 'peripherals.json');
  writeFileSync(file, JSON.stringify([{ mac: LOCKED, model: 'LYWSD02', security: 'bond' }]));
  return file;
}

/** approve, list, mode, pair (to its outcome), paired, unpair, remove, list: each reply as the gateway gives it. */
export async function expectManagementFlow(devices: (...args: string[]) => Promise<CliResult>): Promise<void> {
  let r = await devices('approve', 'e7:2e:01:a1:b2:c3', 'cd553938-8960-4e70-864a-a7fba06578c0');
  expect(r.code, r.stderr).toBe(0);
  expect(JSON.parse(r.stdout)).toEqual({ MI32Approve: 'Done', MAC: LOCKED, Id: 'cd553938-8960-4e70-864a-a7fba06578c0' });
  r = await devices('list', 'approved');
  expect(JSON.parse(r.stdout)).toEqual({ MI32List: { Mode: 'passive', Devices: [{ MAC: LOCKED, Approved: 1, Paired: 0, Id: 'cd553938-8960-4e70-864a-a7fba06578c0' }] } });
  r = await devices('mode', 'active');
  expect(JSON.parse(r.stdout)).toEqual({ MI32Mode: 'active' });
  r = await devices('pair', LOCKED);
  expect(r.code, r.stderr).toBe(0);
  expect(JSON.parse(r.stdout)).toEqual({ MI32Pair: { MAC: LOCKED, Paired: 1 } });
  r = await devices('paired', LOCKED);
  expect(JSON.parse(r.stdout)).toEqual({ MI32Paired: 1, MAC: LOCKED });
  r = await devices('unpair', LOCKED);
  expect(JSON.parse(r.stdout)).toEqual({ MI32Unpair: 'Done', MAC: LOCKED });
  r = await devices('remove', LOCKED);
  expect(JSON.parse(r.stdout)).toEqual({ MI32Remove: 'Done', MAC: LOCKED });
  r = await devices('list');
  expect(JSON.parse(r.stdout)).toEqual({ MI32List: { Mode: 'active', Devices: [] } });
}
