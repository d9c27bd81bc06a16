// Shared by the HomeKit end-to-end tests: `mi32 run --homekit` as a child process (the
// e2e harness), its port and setup code read off stderr, and hap-controller calls with a
// timeout each (hap-controller sets none: a hung server would hang the test).

import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { HttpClient } from 'hap-controller';
import { startRun, tempDir, type RunProcess } from '../e2e/harness.js';

export const DEMO = 'examples/demo/home.jsonl';
export const DEMO_CFG = 'examples/demo/mi32cfg';
export const uuid = (short: string) => `${short.padStart(8, '0')}-0000-1000-8000-0026BB765291`;

export function demoDataDir(): string {
  const dir = tempDir('mi32-hk-');
  copyFileSync(DEMO_CFG, join(dir, 'mi32cfg'));
  return dir;
}

export interface HomeKitRun {
  run: RunProcess;
  port: number;
  /** The setup code it printed, or undefined when it was already paired. */
  code?: string;
}

export async function startHomeKit(data: string, args: string[] = []): Promise<HomeKitRun> {
  const run = startRun([DEMO, '--data', data, '--homekit', '--homekit-port', '0', ...args]);
  const m = await run.waitStderr('HomeKit listening', /HomeKit bridge on [\d.]+:(\d+): \d+ accessories, (?:setup code (\d{3}-\d{2}-\d{3})|paired)/);
  return { run, port: Number(m[1]), ...(m[2] ? { code: m[2] } : {}) };
}

export function within<T>(what: string, promise: Promise<T>, ms = 20_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms); }),
  ]);
}

export function client(port: number, pairing?: ReturnType<HttpClient['getLongTermData']>): HttpClient {
  return new HttpClient('mi32-test', '127.0.0.1', port, pairing ?? undefined);
}

export interface CharInfo { aid: number; iid: number; type: string; value?: unknown; format?: string; perms?: string[] }
export interface ServiceInfo { iid: number; type: string; characteristics: CharInfo[] }
export interface AccessoryInfo { aid: number; services: ServiceInfo[] }

/** The accessory whose AccessoryInformation SerialNumber is `mac`. */
export function byMac(accessories: AccessoryInfo[], mac: string): AccessoryInfo | undefined {
  return accessories.find((a) => a.services.some((s) => s.characteristics.some((c) => c.type === uuid('30') && c.value === mac)));
}

export function serviceTypes(accessory: AccessoryInfo): string[] {
  return accessory.services.map((s) => s.type);
}

/** A characteristic of `accessory` with its aid (the JSON gives only the iid). */
export function characteristic(accessory: AccessoryInfo, service: string, type: string, nth = 0): CharInfo | undefined {
  const c = accessory.services.filter((s) => s.type === uuid(service))[nth]?.characteristics.find((x) => x.type === uuid(type));
  return c && { ...c, aid: accessory.aid };
}
