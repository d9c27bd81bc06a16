// Helpers for the `mi32 run` end-to-end tests: the CLI as a child process, an MQTT.js
// observer, and captures built from frames encrypted with known keys. Nothing here
// knows the gateway's internals: frames are laid out from the format descriptions
// (test/helpers/frames.ts) and results are read off MQTT, stdout and the data dir.

import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient as MqttJsClient } from 'mqtt';
import { bytes, hex, miBeacon, type MiObject } from '../helpers/frames.js';

export const BIN = fileURLToPath(new URL('../../bin/mi32.js', import.meta.url));

// --- waiting ---------------------------------------------------------------------

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Poll `check` until it returns something other than undefined/false. */
export function waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs = 20_000, detail?: () => string): Promise<T> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      let value: T | undefined | false;
      try {
        value = check();
      } catch (e) {
        return reject(e);
      }
      if (value !== undefined && value !== false) return resolve(value);
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${what}${detail ? '\n' + detail() : ''}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}

// --- temp dirs and cleanup -------------------------------------------------------

let cleanups: (() => unknown)[] = [];

/** Run at afterEach: kills leftover children, closes observers, removes temp dirs. */
export async function runCleanups(): Promise<void> {
  const list = cleanups.reverse();
  cleanups = [];
  for (const fn of list) {
    try {
      await fn();
    } catch {
      // keep cleaning
    }
  }
}

export function onCleanup(fn: () => unknown): void {
  cleanups.push(fn);
}

export function tempDir(prefix = 'mi32-e2e-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// --- the CLI as a child process --------------------------------------------------

export interface RunProcess {
  proc: ChildProcessWithoutNullStreams;
  /** Complete stdout lines so far. */
  stdout: string[];
  stderr(): string;
  /** JSON lines on stdout (command replies), parsed. */
  replies(): Record<string, unknown>[];
  /** Topics and payloads echoed on stdout (`<topic> <payload>`). */
  echoed(): { topic: string; payload: string }[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  send(line: string): void;
  endInput(): void;
  waitStdout(what: string, match: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  waitStderr(what: string, re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Wait for the reply that follows the `n`th reply seen so far (replies are in order). */
  nextReply(after: number, timeoutMs?: number): Promise<Record<string, unknown>>;
  describe(): string;
}

export function startRun(args: string[]): RunProcess {
  const proc = spawn(process.execPath, [BIN, 'run', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  let partial = '';
  let err = '';
  proc.stdout.setEncoding('utf8');
  proc.stdout.on('data', (chunk: string) => {
    partial += chunk;
    const lines = partial.split('\n');
    partial = lines.pop()!;
    stdout.push(...lines);
  });
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (chunk: string) => { err += chunk; });
  proc.stdin.on('error', () => {}); // the child may exit before we stop writing
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.once('exit', (code, signal) => resolve({ code, signal }));
  });
  onCleanup(async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGKILL');
      await exited;
    }
  });
  const describe = () => `--- stdout (${stdout.length} lines, last 20) ---\n${stdout.slice(-20).join('\n')}\n--- stderr ---\n${err.slice(-4000)}`;
  const replies = () => stdout.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  return {
    proc, stdout, exited, describe, replies,
    stderr: () => err,
    echoed: () => stdout.filter((l) => !l.startsWith('{')).map((l) => {
      const space = l.indexOf(' ');
      return { topic: l.slice(0, space), payload: l.slice(space + 1) };
    }),
    send: (line) => { proc.stdin.write(line + '\n'); },
    endInput: () => { proc.stdin.end(); },
    waitStdout: (what, match, timeoutMs) => waitFor(`stdout: ${what}`, () => stdout.find(match), timeoutMs, describe),
    waitStderr: (what, re, timeoutMs) => waitFor(`stderr: ${what}`, () => err.match(re) ?? undefined, timeoutMs, describe),
    nextReply: (after, timeoutMs) => waitFor(`reply #${after + 1}`, () => replies()[after], timeoutMs, describe),
  };
}

// --- the MQTT.js observer --------------------------------------------------------

export interface Received {
  topic: string;
  payload: string;
  retain: boolean;
  /** Parsed payload when it is JSON. */
  json?: Record<string, any>;
}

export interface Observer {
  client: MqttJsClient;
  messages: Received[];
  waitMessage(what: string, match: (m: Received) => boolean, timeoutMs?: number): Promise<Received>;
  /** Messages on one topic. */
  on(topic: string): Received[];
}

export async function observe(url: string, filters: string[] = ['#']): Promise<Observer> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 200, connectTimeout: 5000 });
  const messages: Received[] = [];
  client.on('message', (topic, payload, packet) => {
    const text = payload.toString();
    let json: Record<string, any> | undefined;
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === 'object') json = parsed as Record<string, any>;
    } catch {
      // not JSON (LWT)
    }
    messages.push({ topic, payload: text, retain: packet.retain, ...(json ? { json } : {}) });
  });
  client.on('error', () => {}); // reconnects are expected in the broker-restart test
  onCleanup(() => client.endAsync(true));
  await client.subscribeAsync(filters, { qos: 1 });
  const describe = () => `--- ${messages.length} messages received, last 20 ---\n${messages.slice(-20).map((m) => `${m.topic}${m.retain ? ' (retained)' : ''} ${m.payload}`).join('\n')}`;
  return {
    client, messages,
    waitMessage: (what, match, timeoutMs) => waitFor(`MQTT: ${what}`, () => messages.find(match), timeoutMs, describe),
    on: (topic) => messages.filter((m) => m.topic === topic),
  };
}

// --- advertisements and captures -------------------------------------------------

/** One AD structure of service data: [len][0x16][uuid lo][uuid hi][data]. */
export function serviceDataAd(uuid: number, data: Uint8Array, withFlags = true): string {
  const sd = Buffer.concat([Buffer.from([data.length + 3, 0x16, uuid & 0xff, uuid >> 8]), Buffer.from(data)]);
  return (withFlags ? '020106' : '') + sd.toString('hex');
}

export function miBeaconAd(spec: Parameters<typeof miBeacon>[0]): string {
  return serviceDataAd(0xfe95, miBeacon(spec));
}

/** MiBeacon object 0x100D: temperature (s16 /10) and humidity (u16 /10). */
export function tempHum(temperature: number, humidity: number): MiObject {
  const v = Buffer.alloc(4);
  v.writeInt16LE(Math.round(temperature * 10), 0);
  v.writeUInt16LE(Math.round(humidity * 10), 2);
  return [0x100d, new Uint8Array(v)];
}

/** ATC1441 custom firmware, plain 13 bytes big-endian: MAC T(/10) H Bat mV counter. */
export function atcAd(mac: string, temperature: number, humidity: number, battery: number, counter: number, millivolts = 3000): string {
  const d = Buffer.alloc(13);
  Buffer.from(mac, 'hex').copy(d, 0);
  d.writeInt16BE(Math.round(temperature * 10), 6);
  d[8] = humidity;
  d[9] = battery;
  d.writeUInt16BE(millivolts, 10);
  d[12] = counter & 0xff;
  return serviceDataAd(0x181a, new Uint8Array(d));
}

/** An advertisement no MI32 parser takes (flags + Apple manufacturer data). */
export const FOREIGN_AD = '020106' + '0aff4c0010050b1c5e8e1a';

export interface CaptureLine {
  t: number;
  mac: string;
  ad: string;
  rssi?: number;
}

export function writeCapture(dir: string, lines: CaptureLine[], name = 'capture.jsonl'): string {
  const path = join(dir, name);
  writeFileSync(path, lines.map((l) => JSON.stringify({ t: l.t, mac: l.mac, addrType: 'public', rssi: l.rssi ?? -60, ad: l.ad })).join('\n') + '\n');
  return path;
}

export interface CfgEntry {
  MAC: string;
  PID: string;
  key: string;
  name?: string;
}

export function cfgText(entries: CfgEntry[]): string {
  return '[\n' + entries.map((e) => JSON.stringify(e)).join(',\n') + '\n]\n';
}

export { bytes, hex };
