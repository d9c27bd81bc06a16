// `mi32 run --script` end to end: each example in examples/scripts against the simulated
// GATT peripherals (host-sim/gatt), the MI32Battery/Time/Unit commands over MQTT, faults
// on demand, and scripts that throw or loop while the gateway goes on. Expected values are
// derived from the simulated peripherals' own settings (DEMO_PERIPHERALS), not copied.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_PERIPHERALS } from '../../host-sim/gatt/demo-peripherals.js';
import { startAedes, type TestBroker } from '../helpers/brokers.js';
import { cfgText, observe, onCleanup, runCleanups, startRun, tempDir, waitFor, type RunProcess } from './harness.js';

const EXAMPLES = new URL('../../examples/scripts/', import.meta.url).pathname;
const DEMO = new URL('../../examples/demo/', import.meta.url).pathname;
const spec = (model: string) => DEMO_PERIPHERALS.find((p) => p.model === model)!;
// The batteries the simulated LYWSD03MMC (2984 mV) and MHO-C401 (2761 mV) must read as, worked
// out by hand from Tasmota's formula (mV - 2100) / 12: literals, so a wrong product formula fails.
const LYWSD03_BATTERY = 74; // (2984 - 2100) / 12 = 73.7
const MHOC401_BATTERY = 55; // (2761 - 2100) / 12 = 55.1

/** The devices the simulator serves, as mi32cfg entries, so commands can name them. */
const SERVED_CFG = cfgText([
  { MAC: 'A4C1381A2B01', PID: '055b', key: '' },
  { MAC: 'A4C13855C401', PID: '0387', key: '' },
  { MAC: 'C47C8D6A1B2C', PID: '0098', key: '' },
  { MAC: 'E72E01A1B2C3', PID: '045b', key: '' },
  { MAC: '582D3430AB12', PID: '0576', key: '' },
]);

/** A script that reads characteristics back after the example ran (queued behind its requests). */
const READ_BACK = (reads: [string, string][]) => `
const buf = new Uint8Array(32);
const order = ${JSON.stringify(reads)};
let i = 0;
BLE.conn_cb((error, op) => {
  const [mac, chr] = order[i++];
  print('readback', mac, chr, error, JSON.stringify([...buf.slice(1, 1 + buf[0])]));
}, buf);
for (const [mac, chr] of order) {
  BLE.set_MAC(mac);
  BLE.set_svc('EBE0CCB0-7A0A-4B0C-8A1A-6FF2997DA3A6');
  BLE.set_chr('EBE0' + chr + '-7A0A-4B0C-8A1A-6FF2997DA3A6');
  BLE.run(11);
}
`;

let broker: TestBroker;
let seq = 0;
let topic: string;

beforeEach(async () => {
  broker = await startAedes();
  onCleanup(() => broker.stop());
  topic = `scripts${++seq}`;
});
afterEach(runCleanups);

function run(args: string[], capture?: string): RunProcess {
  const dir = tempDir();
  const cfg = join(dir, 'mi32cfg');
  writeFileSync(cfg, SERVED_CFG);
  const p = startRun([...(capture ? [capture] : []), '--broker', broker.url, '--topic', topic, '--data', join(dir, 'data'), '--cfg', cfg, '--once', ...args]);
  p.endInput();
  return p;
}

function script(name: string, source: string): string {
  const file = join(tempDir(), name);
  writeFileSync(file, source);
  return file;
}

const printed = (p: RunProcess, name: string) => p.stdout.filter((l) => l.startsWith(`${name}: `)).map((l) => l.slice(name.length + 2));

describe('examples/scripts in the simulator', () => {
  it('read-battery.js reads all five models', async () => {
    const p = run(['--script', join(EXAMPLES, 'read-battery.js')]);
    expect((await p.exited).code, p.describe()).toBe(0);
    expect(printed(p, 'read-battery.js')).toEqual([
      `LYWSD03MMC A4C1381A2B01: battery ${LYWSD03_BATTERY}%`,
      `MHO-C401 A4C13855C401: battery ${MHOC401_BATTERY}%`,
      `LYWSD02 E72E01A1B2C3: battery ${spec('LYWSD02').values!.battery}%`,
      `HHCCJCY01 C47C8D6A1B2C: battery ${spec('HHCCJCY01').values!.battery}%`,
      `CGD1 582D3430AB12: battery ${spec('CGD1').values!.battery}%`,
    ]);
  }, 60_000);

  it('set-clock.js sets both clocks: the devices then hold the gateway time and the timezone', async () => {
    const before = Math.floor(Date.now() / 1000);
    const p = run(['--script', join(EXAMPLES, 'set-clock.js'), '--script', script('readback.js', READ_BACK([['E72E01A1B2C3', 'CCB7'], ['A4C1381A2B01', 'CCB7']]))]);
    expect((await p.exited).code, p.describe()).toBe(0);
    expect(printed(p, 'set-clock.js').at(-1)).toBe('done');
    expect(printed(p, 'set-clock.js').filter((l) => l.startsWith('clock set'))).toHaveLength(2);
    const back = printed(p, 'readback.js');
    expect(back).toHaveLength(2);
    for (const line of back) {
      const [, , , error, json] = line.split(' ');
      expect(error).toBe('0');
      const b = JSON.parse(json!) as number[];
      const seconds = (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
      expect(seconds).toBeGreaterThanOrEqual(before);
      expect(seconds).toBeLessThan(before + 60);
      expect(b[4]).toBe(1); // TIMEZONE_HOURS in the example
    }
  }, 60_000);

  it('set-unit.js switches both displays to °F, each with its own byte', async () => {
    const p = run(['--script', join(EXAMPLES, 'set-unit.js'), '--script', script('readback.js', READ_BACK([['E72E01A1B2C3', 'CCBE'], ['A4C1381A2B01', 'CCBE']]))]);
    expect((await p.exited).code, p.describe()).toBe(0);
    expect(printed(p, 'set-unit.js')).toEqual(['E72E01A1B2C3: unit is now F', 'A4C1381A2B01: unit is now F']);
    expect(printed(p, 'readback.js')).toEqual(['readback E72E01A1B2C3 CCBE 0 [1]', 'readback A4C1381A2B01 CCBE 0 [1]']);
  }, 60_000);

  it('presence.js publishes the phone and the neighbour arriving, from the demo capture', async () => {
    const obs = await observe(broker.url, [`tele/${topic}/PRESENCE`]);
    const p = run(['--script', join(EXAMPLES, 'presence.js'), '--speed', 'max'], join(DEMO, 'home.jsonl'));
    expect((await p.exited).code, p.describe()).toBe(0);
    const phone = await obs.waitMessage('phone present', (m) => m.json?.phone !== undefined);
    expect(phone.json!.phone).toMatchObject({ MAC: '6B1F22C0A1B2', Present: 1 });
    await obs.waitMessage('neighbour present', (m) => m.json?.neighbour?.Present === 1);
  }, 60_000);
});

describe('adv_cb from a capture', () => {
  it("byte 6 is the sender's address type as Tasmota numbers it: 0 public, 1 random", async () => {
    // the demo's BTHome shed sensor advertises from a random address, the LYWSD03MMC from a public one
    const types = script('types.js', `
      const buf = new Uint8Array(73);
      const seen = {};
      BLE.adv_cb(() => {
        const mac = [...buf.slice(0, 6)].map((b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();
        if ((mac === 'F1E2D3C4B5A6' || mac === 'A4C1381A2B01') && !(mac in seen)) { seen[mac] = 1; print(mac, buf[6]); }
      }, buf);`);
    const p = run(['--script', types, '--speed', 'max'], join(DEMO, 'home.jsonl'));
    expect((await p.exited).code, p.describe()).toBe(0);
    expect(printed(p, 'types.js').sort()).toEqual(['A4C1381A2B01 0', 'F1E2D3C4B5A6 1']);
  }, 60_000);
});

describe('faults and failures', () => {
  it('a read-only clock gives error 7 for that device only; a dropped link gives error 2', async () => {
    const p = run(['--script', join(EXAMPLES, 'set-clock.js'), '--fault', 'E72E01A1B2C3=read-only']);
    expect((await p.exited).code, p.describe()).toBe(0);
    expect(printed(p, 'set-clock.js').filter((l) => l.startsWith('c'))).toEqual(['could not set the clock: error 7', expect.stringMatching(/^clock set/)]);
    const q = run(['--script', join(EXAMPLES, 'read-battery.js'), '--fault', 'A4C13855C401=disconnect-mid-operation', '--fault', 'C47C8D6A1B2C=missing-service']);
    expect((await q.exited).code, q.describe()).toBe(0);
    const lines = printed(q, 'read-battery.js');
    expect(lines).toContain('MHO-C401 A4C13855C401: error 2');
    expect(lines).toContain('HHCCJCY01 C47C8D6A1B2C: error 3');
    expect(lines.filter((l) => l.includes('battery'))).toHaveLength(3);
  }, 60_000);

  it('a script that throws or loops is reported with its name and line; the gateway goes on', async () => {
    const thrower = script('thrower.js', 'print("start");\nconst x = null;\nx.boom();\n');
    const looper = script('looper.js', 'tasmota.set_timer(10, () => {\n  while (true) {}\n});\n');
    const p = run(['--script', thrower, '--script', looper, '--script', join(EXAMPLES, 'read-battery.js'), '--cmd', 'TelePeriod 30']);
    expect((await p.exited).code, p.describe()).toBe(0);
    expect(p.stderr()).toMatch(/script thrower\.js:3: TypeError: Cannot read properties of null/);
    expect(p.stderr()).toMatch(/script looper\.js:1: ran longer than \d+ ms \(a loop\?\) in the callback set here; the script is stopped/);
    expect(printed(p, 'read-battery.js').filter((l) => l.includes('battery'))).toHaveLength(5);
    expect(p.replies()).toContainEqual({ TelePeriod: 30 });
  }, 60_000);

  it('a script file with a syntax error is reported with the line and nothing else stops', async () => {
    const bad = script('bad.js', 'let a = 1;\nlet b = ;\n');
    const p = run(['--script', bad, '--cmd', 'MI32Option2 1']);
    expect((await p.exited).code, p.describe()).toBe(0);
    expect(p.stderr()).toMatch(/script bad\.js:2: SyntaxError/);
    expect(p.replies()).toContainEqual({ MI32Option2: 1 });
  }, 30_000);
});

describe('MI32Battery, MI32Time, MI32Unit over MQTT', () => {
  it('reply "Queued" at once, then the outcome per device on stat/<topic>/RESULT', async () => {
    const obs = await observe(broker.url, [`stat/${topic}/RESULT`]);
    const dir = tempDir();
    const cfg = join(dir, 'mi32cfg');
    writeFileSync(cfg, SERVED_CFG);
    const p = startRun(['--broker', broker.url, '--topic', topic, '--data', join(dir, 'data'), '--cfg', cfg, '--fault', 'A4C13855C401=no-connect-response']);
    await p.waitStderr('MQTT connected', /MQTT connected/);
    // The gateway subscribes after connecting: ask until it answers once.
    await waitFor('the gateway to answer over MQTT', () => {
      if (obs.messages.some((m) => m.json?.TelePeriod !== undefined)) return true;
      obs.client.publish(`cmnd/${topic}/TelePeriod`, '');
      return false;
    });
    /** Send a command; resolve with the first outcome (an object under `key`) that arrives after it. */
    const send = (command: string, payload: string, key: string) => {
      const from = obs.messages.length;
      obs.client.publish(`cmnd/${topic}/${command}`, payload);
      return obs.waitMessage(`${command} outcome`, (m) => obs.messages.indexOf(m) >= from && typeof m.json?.[key] === 'object' && m.json[key] !== null, 30_000);
    };
    const battery = await send('MI32Battery', '', 'MI32Battery');
    expect(obs.messages.find((m) => m.json?.MI32Battery === 'Queued')!.json!.Devices).toEqual(['LYWSD03-1a2b01', 'MHOC401-55c401', 'Flora-6a1b2c', 'LYWSD02-a1b2c3', 'CGD1-30ab12']);
    expect(battery.json!.MI32Battery).toEqual({
      'LYWSD03-1a2b01': expect.objectContaining({ Battery: LYWSD03_BATTERY, Temperature: spec('LYWSD03MMC').values!.temperature }),
      'MHOC401-55c401': { Error: expect.stringMatching(/could not connect/), Code: 1 },
      'Flora-6a1b2c': { Battery: spec('HHCCJCY01').values!.battery },
      'LYWSD02-a1b2c3': { Battery: spec('LYWSD02').values!.battery },
      'CGD1-30ab12': { Battery: spec('CGD1').values!.battery },
    });
    const time = await send('MI32Time', 'LYWSD02-a1b2c3 2', 'MI32Time');
    expect(time.json!.MI32Time['LYWSD02-a1b2c3']).toMatchObject({ Timezone: 2 });
    expect(Math.abs(time.json!.MI32Time['LYWSD02-a1b2c3'].Time - Date.now() / 1000)).toBeLessThan(60);
    const unit = await send('MI32Unit', 'E72E01A1B2C3', 'MI32Unit');
    expect(unit.json!.MI32Unit).toEqual({ 'LYWSD02-a1b2c3': { TempUnit: 'F' } });
    const back = await send('MI32Unit', '3', 'MI32Unit');
    expect(back.json!.MI32Unit).toEqual({ 'LYWSD02-a1b2c3': { TempUnit: 'C' } }); // toggled back (slot 3 = the LYWSD02)
    obs.client.publish(`cmnd/${topic}/MI32Time`, 'CGD1-30ab12');
    const refused = await obs.waitMessage('MI32Time refused', (m) => m.json?.MI32Time === 'Error');
    expect(refused.json!.Error).toMatch(/does not support this \(models: LYWSD02, LYWSD03MMC, MHO-C401\)/);
    p.endInput();
    expect((await p.exited).code).toBe(0);
  }, 90_000);
});
