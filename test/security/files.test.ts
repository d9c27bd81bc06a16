// Issue 10 point 5: files that crashed every start. Each is reported, kept aside (never
// deleted), and the gateway starts. On a read-only folder every saving command is an
// error reply that changes nothing.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ScriptRuntime } from '../../firmware/core/script/runtime.js';
import { createNodeScriptHost } from '../../host-sim/script-host.js';
import { DirStore } from '../../host-sim/store.js';
import { recordingLog } from '../helpers/gateway.js';
import { gatewayOn, ReadOnlyStore, tempDir } from './setup.js';

const MAC = 'A4C138112233';
const GOOD_CFG = `[{"MAC":"${MAC}","PID":"055b","key":"0123456789ABCDEFFEDCBA9876543210"}]`;

function startWith(files: Record<string, string | Uint8Array>) {
  const dir = tempDir();
  for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
  return { dir, ...gatewayOn(dir) };
}

describe('mi32cfg that crashed every start', () => {
  it('random bytes (invalid UTF-8): reported, kept as mi32cfg.bad, the gateway starts', () => {
    const junk = new Uint8Array(300).map((_, i) => (i * 151 + 7) & 0xff);
    const { dir, gw, problems } = startWith({ mi32cfg: junk });
    expect(problems.join('\n')).toMatch(/mi32cfg is not valid UTF-8.*kept as mi32cfg\.bad/);
    expect(new Uint8Array(readFileSync(join(dir, 'mi32cfg.bad')))).toEqual(junk);
    expect(gw.registry.slots.size).toBe(0);
    expect(gw.command('TelePeriod', 'console')).toEqual({ TelePeriod: 300 });
  });

  it('a file cut inside a UTF-8 character: reported and kept aside', () => {
    const bytes = Buffer.from(`[{"MAC":"${MAC}","PID":"055b","key":"","name":"Küche`, 'utf8');
    const { dir, problems } = startWith({ mi32cfg: bytes.subarray(0, bytes.indexOf(0xc3) + 1) }); // the first byte of ü
    expect(problems.join('\n')).toMatch(/not valid UTF-8/);
    expect(existsSync(join(dir, 'mi32cfg.bad'))).toBe(true);
  });

  it('10 MB of "{": no stack overflow; reported and kept aside', () => {
    const { dir, problems, gw } = startWith({ mi32cfg: '{'.repeat(10 * 1024 * 1024) });
    expect(problems.join('\n')).toMatch(/mi32cfg is \d+ bytes, over the limit of 65536; kept as mi32cfg\.bad/);
    expect(statSync(join(dir, 'mi32cfg.bad')).size).toBe(10 * 1024 * 1024);
    expect(gw.registry.slots.size).toBe(0);
  });

  it('60 KB of "[" (under the size limit): refused before JSON.parse, kept aside', () => {
    const { dir, problems } = startWith({ mi32cfg: '['.repeat(60_000) });
    expect(problems.join('\n')).toMatch(/nests deeper than 2 levels/);
    expect(existsSync(join(dir, 'mi32cfg.bad'))).toBe(true);
  });

  it('a directory named mi32cfg: reported, moved aside, the gateway starts and can save', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'mi32cfg'));
    const { problems, gw } = gatewayOn(dir);
    expect(problems.join('\n')).toMatch(/mi32cfg cannot be read .*kept as mi32cfg\.bad/);
    expect(statSync(join(dir, 'mi32cfg.bad')).isDirectory()).toBe(true);
    gw.registry.add(MAC, 0x055b);
    expect(gw.command('MI32Cfg', 'console')).toEqual({ MI32Cfg: 'Done', Devices: 1 });
  });

  it('a directory named mi32cfg.tmp next to a good mi32cfg: reported, the good file is used', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'mi32cfg'), GOOD_CFG);
    mkdirSync(join(dir, 'mi32cfg.tmp'));
    const { problems, gw } = gatewayOn(dir);
    expect(problems.join('\n')).toMatch(/mi32cfg\.tmp is unreadable/);
    expect([...gw.registry.slots.keys()]).toEqual([MAC]);
  });

  it('a device named Time (or TempUnit) in mi32cfg: the name is refused and reported, the device and its key stay', () => {
    const cfg = `[{"MAC":"${MAC}","PID":"055b","key":"0123456789ABCDEFFEDCBA9876543210","name":"Time"},` +
      '{"MAC":"A4C138445566","PID":"055b","key":"","name":"TempUnit"}]';
    const { problems, gw } = startWith({ mi32cfg: cfg });
    expect(problems.join('\n')).toMatch(/A4C138112233: name "Time" is a key of Tasmota's SENSOR JSON/);
    expect(problems.join('\n')).toMatch(/name "TempUnit"/);
    const slot = gw.registry.slots.get(MAC)!;
    expect(gw.registry.displayName(slot)).toBe('LYWSD03-112233');
    expect(gw.registry.keys.has(MAC)).toBe(true);
  });
});

describe('settings.json and autoexec.js that crashed every start', () => {
  it('settings.json with invalid UTF-8: kept aside, defaults used', () => {
    const { dir, gw, logLines } = startWith({ 'settings.json': new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) });
    expect(gw.topic).toBe('mi32');
    expect(logLines.join('\n')).toMatch(/settings\.json is not valid UTF-8/);
    expect(existsSync(join(dir, 'settings.json.bad'))).toBe(true);
  });

  it('a directory named settings.json: reported, defaults used', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'settings.json'));
    const { gw, logLines } = gatewayOn(dir);
    expect(gw.telePeriod).toBe(300);
    expect(logLines.join('\n')).toMatch(/settings\.json cannot be read/);
  });

  it('autoexec.js with invalid UTF-8: kept aside and reported, the gateway starts', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'autoexec.js'), new Uint8Array([0x70, 0x72, 0x69, 0x6e, 0x74, 0x28, 0xc3, 0x28, 0x29]));
    const { gw } = gatewayOn(dir);
    const lines: string[] = [];
    const runtime = new ScriptRuntime({ host: createNodeScriptHost(), gateway: gw, clock: { now: () => 0, setTimeout: () => 0, clearTimeout() {} }, log: recordingLog(lines), store: new DirStore(dir) });
    gw.attachScripts(runtime);
    expect(() => runtime.loadStored()).not.toThrow();
    expect(lines.join('\n')).toMatch(/autoexec\.js is not valid UTF-8.*kept as autoexec\.js\.bad/);
    expect(existsSync(join(dir, 'autoexec.js.bad'))).toBe(true);
  });
});

describe('a read-only data folder', () => {
  function readOnly() {
    const dir = tempDir();
    writeFileSync(join(dir, 'settings.json'), JSON.stringify({ topic: 'home', telePeriod: 300 }));
    const setup = gatewayOn(dir, (s) => new ReadOnlyStore(s));
    return { dir, ...setup };
  }

  it('MI32Cfg: an error reply, no crash', () => {
    const { gw } = readOnly();
    gw.registry.add(MAC, 0x055b);
    const reply = gw.command('MI32Cfg', 'console');
    expect(reply).toMatchObject({ MI32Cfg: 'Error' });
    expect(String(reply.Error)).toMatch(/could not save mi32cfg: EROFS/);
  });

  it('TelePeriod 20: an error reply and the old TelePeriod stays', () => {
    const { gw } = readOnly();
    expect(gw.command('TelePeriod 20', 'console')).toMatchObject({ TelePeriod: 'Error', Error: expect.stringMatching(/could not save settings\.json/) });
    expect(gw.telePeriod).toBe(300);
  });

  it('Topic x: an error reply, the old topic stays and MQTT is not remade', () => {
    const { gw, topicChanges, mqtt, dir } = readOnly();
    expect(gw.command('Topic x', 'mqtt')).toMatchObject({ Topic: 'Error' });
    expect(gw.topic).toBe('home');
    expect(topicChanges).toEqual([]);
    expect(mqtt.handlers.has('cmnd/home/+')).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8')).topic).toBe('home');
  });

  it('ScriptSave: an error reply, the running script stays', () => {
    const { gw, store } = readOnly();
    const lines: string[] = [];
    const runtime = new ScriptRuntime({ host: createNodeScriptHost(), gateway: gw, clock: { now: () => 0, setTimeout: () => 0, clearTimeout() {} }, log: recordingLog(lines), store });
    gw.attachScripts(runtime);
    runtime.load('autoexec.js', 'print("old")');
    expect(gw.command('ScriptSave print("new")', 'console')).toMatchObject({ ScriptSave: 'Error', Error: expect.stringMatching(/could not save autoexec\.js/) });
    expect(runtime.status).toEqual([{ name: 'autoexec.js', running: true, errors: 0 }]);
  });
});
