// `mi32 run` end to end: the CLI as a child process (`node bin/mi32.js run ...`), a real
// broker (aedes started here, and mosquitto when installed), and an independent MQTT.js
// client that subscribes and sends commands. Captures are built per test from frames
// encrypted with known keys; what is checked is what a user of the gateway would see:
// topics, payloads, retained flags, command replies, files in the data dir.
// Needs the build: `npm run build && npx vitest run test/e2e`. No timed assertions.

import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findMosquitto, startAedes, startMosquitto, type TestBroker } from '../helpers/brokers.js';
import {
  atcAd, bytes, cfgText, FOREIGN_AD, miBeaconAd, observe, onCleanup, runCleanups, sleep, startRun, tempDir,
  tempHum, waitFor, writeCapture, type CaptureLine, type Received, type RunProcess,
} from './harness.js';

const mosquitto = findMosquitto();

// Devices and keys used across the tests.
const TH = { mac: 'A4C138112233', pid: 0x055b, name: 'LYWSD03-112233', key: '0123456789ABCDEFFEDCBA9876543210' }; // LYWSD03MMC
const DOOR = { mac: 'E4AAEC445566', pid: 0x098b, name: 'MCCGQ02-445566', key: '00112233445566778899AABBCCDDEEFF' }; // MCCGQ02HL
const REMOTE = { mac: 'F82441778899', pid: 0x0153, name: 'YLYK01-778899' }; // YLYK01YL, plain
const ATC = { mac: 'A4C138AABBCC', name: 'ATC-aabbcc' };
const WRONG_KEY = 'FFEEDDCCBBAA99887766554433221100';

const TIME_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/;

/** LYWSD03MMC v5 frame, encrypted with TH.key: temperature + humidity object. */
function thFrame(counter: number, temperature: number, humidity: number, key = TH.key): string {
  return miBeaconAd({ pid: TH.pid, mac: TH.mac, counter: counter & 0xff, extCounter: counter >> 8, objects: [tempHum(temperature, humidity)], key: bytes(key) });
}

/** MCCGQ02HL door frame (object 0x1019: 0 open, 1 closed), encrypted. */
function doorFrame(counter: number, open: boolean, key = DOOR.key): string {
  return miBeaconAd({ pid: DOOR.pid, mac: DOOR.mac, counter, objects: [[0x1019, new Uint8Array([open ? 0 : 1])]], key: bytes(key) });
}

/** Magnus formula with Tasmota's constants, written out independently of the gateway. */
function dewPoint(t: number, h: number): number {
  const gamma = Math.log(h / 100) + (17.62 * t) / (243.5 + t);
  return (243.5 * gamma) / (17.62 - gamma);
}

function sensorsWith(messages: Received[], topic: string, device: string): Record<string, any>[] {
  return messages.filter((m) => m.topic === topic && m.json?.[device]).map((m) => m.json![device]);
}

interface Flavour {
  name: string;
  skip?: string;
  start(): Promise<TestBroker>;
}

const flavours: Flavour[] = [
  { name: 'aedes', start: () => startAedes() },
  {
    name: 'mosquitto',
    skip: mosquitto ? undefined : 'mosquitto is not installed (not on PATH nor in /usr/sbin); CI installs it with apt',
    start: () => startMosquitto(),
  },
];

afterEach(runCleanups);

for (const flavour of flavours) {
  const title = `mi32 run against ${flavour.name}` + (flavour.skip ? ` — SKIPPED: ${flavour.skip}` : '');
  describe.skipIf(flavour.skip !== undefined)(title, () => {
    let broker: TestBroker;
    let seq = 0;
    let topic: string;
    beforeEach(async () => {
      broker = await flavour.start();
      onCleanup(() => broker.stop());
      topic = `e2e${++seq}`;
    });

    /** Runs the CLI against this broker with its own data dir and topic. */
    function run(capture: string | undefined, data: string, extra: string[] = []): RunProcess {
      return startRun([...(capture ? [capture] : []), '--broker', broker.url, '--topic', topic, '--data', data, ...extra]);
    }

    /** Sends a command over MQTT until the gateway answers once (its subscription may still be on its way). */
    async function mqttReady(obs: Awaited<ReturnType<typeof observe>>): Promise<void> {
      const result = `stat/${topic}/RESULT`;
      await waitFor('the gateway to answer an MQTT command', () => {
        if (obs.on(result).length > 0) return true;
        obs.client.publish(`cmnd/${topic}/TelePeriod`, '');
        return false;
      }, 20_000);
      await sleep(100);
      obs.messages.length = 0;
    }

    it('publishes teleperiod and real-time SENSOR, STATE counters and LWT Online/Offline (retained)', async () => {
      const dir = tempDir();
      const data = join(dir, 'data');
      const cfg = join(dir, 'mi32cfg');
      writeFileSync(cfg, cfgText([
        { MAC: TH.mac, PID: '055b', key: TH.key },
        { MAC: ATC.mac, PID: '0a1c', key: '' },
        { MAC: DOOR.mac, PID: '098b', key: DOOR.key },
        { MAC: REMOTE.mac, PID: '0153', key: '' },
      ]));
      const first = thFrame(1, 21.5, 48.0);
      const lines: CaptureLine[] = [
        { t: 0, mac: TH.mac, ad: first, rssi: -70 },
        { t: 100, mac: TH.mac, ad: first, rssi: -70 }, // the same frame again: one reading
        { t: 200, mac: ATC.mac, ad: atcAd(ATC.mac, 23.0, 60, 95, 7, 2950), rssi: -55 },
        { t: 300, mac: '112233AABBCC', ad: FOREIGN_AD }, // not a sensor: ignored
        { t: 400, mac: DOOR.mac, ad: doorFrame(1, true), rssi: -80 },
        { t: 800, mac: DOOR.mac, ad: doorFrame(2, false), rssi: -81 },
        { t: 1200, mac: REMOTE.mac, ad: miBeaconAd({ pid: REMOTE.pid, mac: REMOTE.mac, counter: 1, objects: [[0x1001, new Uint8Array([2, 0, 0])]] }), rssi: -66 },
        { t: 1600, mac: DOOR.mac, ad: doorFrame(3, true, WRONG_KEY), rssi: -82 }, // decrypt failure
        { t: 2000, mac: TH.mac, ad: thFrame(2, 21.7, 48.5), rssi: -62 },
        { t: 2100, mac: 'A4C138DDEEFF', ad: atcAd('A4C138DDEEFF', 19.0, 50, 80, 1) }, // not listed: ignored (auto-add off)
      ];
      const capture = writeCapture(dir, lines);
      const obs = await observe(broker.url, [`tele/${topic}/#`, `stat/${topic}/#`]);
      const started = Math.floor(Date.now() / 1000);

      const p = run(capture, data, ['--cfg', cfg, '--speed', '2', '--once']);
      const online = await obs.waitMessage('LWT Online', (m) => m.topic === `tele/${topic}/LWT` && m.payload === 'Online');
      expect(online.payload).toBe('Online');
      // A client that subscribes later gets "Online" as the retained message.
      const late = await observe(broker.url, [`tele/${topic}/LWT`]);
      const retained = await late.waitMessage('retained LWT', () => true);
      expect(retained).toMatchObject({ payload: 'Online', retain: true });

      expect(await p.exited).toEqual({ code: 0, signal: null });
      await obs.waitMessage('LWT Offline', (m) => m.topic === `tele/${topic}/LWT` && m.payload === 'Offline');
      const sensorTopic = `tele/${topic}/SENSOR`;
      const sensors = obs.on(sensorTopic);

      // Real-time: the door opening and closing, and the button, each on its own.
      const realtime = sensors.slice(0, -1); // the last one is the teleperiod's
      const doors = sensorsWith(realtime, sensorTopic, DOOR.name);
      // (Door: 1 = open, as the project names it; DoorLeftOpen may come along from 0x1019 state 1)
      expect(doors).toHaveLength(2);
      expect(doors[0]).toMatchObject({ Door: 1, Events: 1, RSSI: -80, MAC: DOOR.mac });
      expect(doors[1]).toMatchObject({ Door: 0, Events: 2, RSSI: -81, MAC: DOOR.mac });
      // As Tasmota, the event's message carries every sensor with new data since the last
      // message: the thermometers' readings ride along with the first door event.
      const doorMessage = sensors.find((m) => m.json![DOOR.name])!;
      expect(Object.keys(doorMessage.json!)).toEqual(['Time', TH.name, ATC.name, DOOR.name, 'TempUnit']);
      expect(doorMessage.json![TH.name]).toMatchObject({ Temperature: 21.5, Humidity: 48.0 });
      expect(doorMessage.json!.Time).toMatch(TIME_RE);
      const buttons = sensorsWith(realtime, sensorTopic, REMOTE.name);
      expect(buttons).toHaveLength(1);
      expect(buttons[0]).toEqual({ Button2: 1, RSSI: -66, MAC: REMOTE.mac });
      // Without MI32Option2 a thermometer has no message of its own: once with the door, then at the teleperiod.
      expect(realtime).toHaveLength(3);
      expect(realtime.filter((m) => m.json![TH.name] || m.json![ATC.name])).toEqual([doorMessage]);

      // Teleperiod (--once publishes one at the end): every device heard, latest values.
      const tele = sensors.at(-1)!;
      expect(tele.json!.Time).toMatch(TIME_RE);
      const th = tele.json![TH.name];
      expect(Object.keys(th)).toEqual(['Temperature', 'Humidity', 'DewPoint', 'RSSI', 'Time', 'MAC']); // no Battery: LYWSD03MMC adverts lie
      expect(th).toMatchObject({ Temperature: 21.7, Humidity: 48.5, RSSI: -62, MAC: TH.mac });
      expect(th.DewPoint).toBeCloseTo(dewPoint(21.7, 48.5), 1);
      expect(Number.isInteger(th.Time) && th.Time >= started && th.Time <= Math.ceil(Date.now() / 1000)).toBe(true);
      expect(tele.payload).toContain(`"${TH.name}":{"Temperature":21.7,"Humidity":48.5,"DewPoint":`);
      const atc = tele.json![ATC.name];
      expect(atc).toMatchObject({ Temperature: 23.0, Humidity: 60.0, Battery: 95, RSSI: -55, MAC: ATC.mac });
      expect(tele.payload).toMatch(/"ATC-aabbcc":\{"Temperature":23\.0,"Humidity":60\.0,"DewPoint":[\d.]+,/);
      expect(tele.json![DOOR.name]).toMatchObject({ Events: 2, RSSI: -82, MAC: DOOR.mac });
      expect(tele.json!.TempUnit).toBe('C');
      expect(tele.json!['ATC-ddeeff']).toBeUndefined();

      // STATE: the counters add up to the capture.
      const state = obs.on(`tele/${topic}/STATE`).at(-1)!.json!;
      expect(state.Time).toMatch(TIME_RE);
      expect(state.MI32).toEqual({
        Devices: 4, Frames: 10, Decoded: 6, Duplicates: 1, DecryptFailures: 1, Replays: 0,
        Errors: 1, Ignored: 2, Overflow: 0, MqttQueueDropped: 0, Buffered: 0, Dropped: 0,
      });

      // The Offline that --once sends on the way out is retained.
      const after = await observe(broker.url, [`tele/${topic}/LWT`]);
      expect(await after.waitMessage('retained LWT', () => true)).toMatchObject({ payload: 'Offline', retain: true });

      // stdout echoes what was published, in the same order.
      const echoedSensors = p.echoed().filter((e) => e.topic === sensorTopic).map((e) => e.payload);
      expect(echoedSensors).toEqual(sensors.map((m) => m.payload));
    });

    it('publishes STATE and SENSOR every teleperiod; MI32Option1 1 leaves the SENSOR summary out', async () => {
      const dir = tempDir();
      const capture = writeCapture(dir, [{ t: 0, mac: ATC.mac, ad: atcAd(ATC.mac, 24.4, 44, 77, 1) }]);
      const obs = await observe(broker.url, [`tele/${topic}/#`, `stat/${topic}/#`]);
      // --teleperiod takes what the TelePeriod command takes; any TelePeriod command publishes at once (Tasmota)
      const p = run(capture, join(dir, 'data'), ['--speed', 'max', '--teleperiod', '3600']);
      const sensorTopic = `tele/${topic}/SENSOR`;
      const stateTopic = `tele/${topic}/STATE`;
      await p.waitStderr('the replay', /replay done/);
      p.send('TelePeriod');
      await waitFor('a teleperiod', () => obs.on(stateTopic).length >= 1);
      p.send('TelePeriod 10');
      await waitFor('two teleperiods', () => obs.on(sensorTopic).length >= 2 && obs.on(stateTopic).length >= 2);
      for (const m of obs.on(sensorTopic)) expect(m.json![ATC.name]).toMatchObject({ Temperature: 24.4, Humidity: 44.0, Battery: 77, MAC: ATC.mac, Time: expect.any(Number) });
      for (const m of obs.on(stateTopic)) expect(m.json!.MI32).toMatchObject({ Devices: 1, Frames: 1, Decoded: 1 });
      expect(obs.on(stateTopic)[0]!.json).toMatchObject({ Uptime: expect.stringMatching(/^\d+T\d\d:\d\d:\d\d$/), UptimeSec: expect.any(Number) });

      p.send('MI32Option1 1');
      const reply = await obs.waitMessage('MI32Option1 reply', (m) => m.topic === `stat/${topic}/RESULT` && m.json?.MI32Option1 !== undefined);
      expect(reply.json).toEqual({ MI32Option1: 1 });
      const from = obs.messages.indexOf(reply);
      const statesSince = () => obs.messages.slice(from).filter((m) => m.topic === stateTopic).length;
      p.send('TelePeriod');
      await waitFor('one more teleperiod', () => statesSince() >= 1);
      p.send('TelePeriod');
      await waitFor('two more teleperiods', () => statesSince() >= 2);
      expect(obs.messages.slice(from).filter((m) => m.topic === sensorTopic)).toEqual([]);
      p.endInput();
      expect((await p.exited).code).toBe(0);
    });

    it('Topic <name> moves everything: old LWT Offline, new LWT Online (both retained), commands on the new topic', async () => {
      const dir = tempDir();
      const data = join(dir, 'data');
      const next = `${topic}moved`;
      const obs = await observe(broker.url, [`+/${topic}/#`, `+/${next}/#`]);
      const p = run(undefined, data);
      await obs.waitMessage('LWT Online', (m) => m.topic === `tele/${topic}/LWT` && m.payload === 'Online');
      p.send(`Topic ${next}`);
      expect(await p.nextReply(0)).toEqual({ Topic: next });
      await obs.waitMessage('old LWT Offline', (m) => m.topic === `tele/${topic}/LWT` && m.payload === 'Offline');
      await obs.waitMessage('new LWT Online', (m) => m.topic === `tele/${next}/LWT` && m.payload === 'Online');
      const late = await observe(broker.url, [`tele/${topic}/LWT`, `tele/${next}/LWT`]);
      await waitFor('both retained LWTs', () => late.messages.length >= 2);
      const byTopic = Object.fromEntries(late.messages.map((m) => [m.topic, { payload: m.payload, retain: m.retain }]));
      expect(byTopic).toEqual({
        [`tele/${topic}/LWT`]: { payload: 'Offline', retain: true },
        [`tele/${next}/LWT`]: { payload: 'Online', retain: true },
      });
      // commands now arrive on the new topic
      await waitFor('an answer on the new topic', () => {
        if (obs.on(`stat/${next}/RESULT`).some((m) => m.json?.TelePeriod === 300)) return true;
        obs.client.publish(`cmnd/${next}/TelePeriod`, '');
        return false;
      });
      expect(JSON.parse(readFileSync(join(data, 'settings.json'), 'utf8'))).toMatchObject({ topic: next });
      p.endInput();
      expect((await p.exited).code).toBe(0);
      await obs.waitMessage('new LWT Offline at exit', (m) => m.topic === `tele/${next}/LWT` && m.payload === 'Offline');
    });

    it('replays a btsnoop capture like the same JSONL capture', async () => {
      const { btsnoopFromAdvertisements } = await import('../../host-sim/capture/index.js');
      const dir = tempDir();
      const cfg = join(dir, 'mi32cfg');
      writeFileSync(cfg, cfgText([{ MAC: TH.mac, PID: '055b', key: TH.key }, { MAC: ATC.mac, PID: '0a1c', key: '' }]));
      const advs = [
        { t: 0, mac: TH.mac, ad: thFrame(40, 19.5, 52) },
        { t: 20, mac: ATC.mac, ad: atcAd(ATC.mac, 21.0, 47, 66, 3) },
        { t: 40, mac: TH.mac, ad: thFrame(41, 19.6, 53) },
      ];
      const btsnoop = join(dir, 'capture.btsnoop');
      writeFileSync(btsnoop, btsnoopFromAdvertisements(advs.map((a) => ({ t: a.t, mac: a.mac, addrType: 'public' as const, rssi: -60, ad: bytes(a.ad) }))));
      const jsonl = writeCapture(dir, advs);
      const teles: Record<string, any>[] = [];
      for (const [i, capture] of [btsnoop, jsonl].entries()) {
        const obs = await observe(broker.url, [`tele/${topic}/SENSOR`]);
        const p = run(capture, join(dir, `data${i}`), ['--cfg', cfg, '--speed', 'max', '--once']);
        expect((await p.exited).code).toBe(0);
        expect(p.stderr()).toMatch(new RegExp(`3 advertisements \\(${i === 0 ? 'btsnoop' : 'jsonl'}\\)`));
        const tele = (await obs.waitMessage('teleperiod SENSOR', () => true)).json!;
        for (const d of [TH.name, ATC.name]) delete tele[d].Time;
        delete tele.Time;
        teles.push(tele);
      }
      expect(teles[0]![TH.name]).toMatchObject({ Temperature: 19.6, Humidity: 53.0 });
      expect(teles[0]).toEqual(teles[1]);
    });

    it('retains nothing but the LWT', async () => {
      const dir = tempDir();
      const capture = writeCapture(dir, [
        { t: 0, mac: DOOR.mac, ad: doorFrame(1, true) },
        { t: 10, mac: ATC.mac, ad: atcAd(ATC.mac, 21.0, 47, 66, 3) },
      ]);
      const cfg = join(dir, 'mi32cfg');
      writeFileSync(cfg, cfgText([{ MAC: DOOR.mac, PID: '098b', key: DOOR.key }, { MAC: ATC.mac, PID: '0a1c', key: '' }]));
      const p = run(capture, join(dir, 'data'), ['--cfg', cfg, '--speed', 'max', '--once']);
      p.send('MI32Option0');
      expect((await p.exited).code).toBe(0);
      expect(p.echoed().map((e) => e.topic)).toEqual(expect.arrayContaining([`tele/${topic}/SENSOR`, `tele/${topic}/STATE`, `stat/${topic}/RESULT`]));
      const late = await observe(broker.url, [`tele/${topic}/#`, `stat/${topic}/#`, `e2e-marker/${topic}`]);
      // retained messages come right after SUBACK, before anything published later
      late.client.publish(`e2e-marker/${topic}`, 'end', { qos: 1 });
      await late.waitMessage('the marker', (m) => m.topic === `e2e-marker/${topic}`);
      expect(late.messages.filter((m) => m.retain).map((m) => m.topic)).toEqual([`tele/${topic}/LWT`]);
    });

    it('leaves "Offline" retained after a --once run that is over before MQTT has connected', async () => {
      // A replay of two frames at max speed ends within milliseconds, usually before the
      // CONNACK: the last word on the LWT topic must still be "Offline".
      const dir = tempDir();
      const capture = writeCapture(dir, [
        { t: 0, mac: ATC.mac, ad: atcAd(ATC.mac, 21.0, 47, 66, 3) },
        { t: 10, mac: ATC.mac, ad: atcAd(ATC.mac, 21.1, 47, 66, 4) },
      ]);
      const obs = await observe(broker.url, [`tele/${topic}/#`]);
      const p = run(capture, join(dir, 'data'), ['--speed', 'max', '--once']);
      expect((await p.exited).code).toBe(0);
      await obs.waitMessage('LWT Offline', (m) => m.topic === `tele/${topic}/LWT` && m.payload === 'Offline');
      await obs.waitMessage('STATE', (m) => m.topic === `tele/${topic}/STATE`);
      const late = await observe(broker.url, [`tele/${topic}/LWT`]);
      expect(await late.waitMessage('retained LWT', () => true)).toMatchObject({ payload: 'Offline', retain: true });
      // and in the order it was sent: Online (on connect) before Offline (on exit)
      const lwt = obs.on(`tele/${topic}/LWT`).map((m) => m.payload);
      expect(lwt.at(-1)).toBe('Offline');
    });

    it('leaves "Offline" retained through the Will when the process is SIGKILLed', async () => {
      const dir = tempDir();
      const obs = await observe(broker.url, [`tele/${topic}/LWT`]);
      const p = run(undefined, join(dir, 'data')); // idle, stdin open: runs until killed
      await obs.waitMessage('LWT Online', (m) => m.payload === 'Online');
      p.proc.kill('SIGKILL');
      expect((await p.exited).signal).toBe('SIGKILL');
      await obs.waitMessage('the Will', (m) => m.payload === 'Offline');
      const late = await observe(broker.url, [`tele/${topic}/LWT`]);
      expect(await late.waitMessage('retained LWT', () => true)).toMatchObject({ payload: 'Offline', retain: true });
    });

    it('takes commands over MQTT: MI32Option2 1 turns on the direct bridge; bad commands change nothing', async () => {
      const dir = tempDir();
      const data = join(dir, 'data');
      // One ATC thermometer, a new reading every 250 ms for ~15 s (auto-add: no mi32cfg).
      const lines: CaptureLine[] = [];
      for (let i = 0; i < 60; i++) lines.push({ t: i * 250, mac: ATC.mac, ad: atcAd(ATC.mac, 20 + i / 10, 40 + (i % 20), 90, i) });
      const capture = writeCapture(dir, lines);
      const obs = await observe(broker.url, [`tele/${topic}/SENSOR`, `stat/${topic}/RESULT`]);
      const p = run(capture, data, ['--speed', '1']);
      await mqttReady(obs);
      expect(obs.on(`tele/${topic}/SENSOR`)).toEqual([]); // option 2 off: nothing yet

      const result = `stat/${topic}/RESULT`;
      const command = async (name: string, payload: string, what: string) => {
        const before = obs.on(result).length;
        obs.client.publish(`cmnd/${topic}/${name}`, payload, { qos: 1 });
        return (await waitFor(what, () => obs.on(result)[before], 20_000)).json!;
      };

      expect(await command('MI32Option2', '1', 'MI32Option2 reply')).toEqual({ MI32Option2: 1 });
      const at = obs.messages.length;
      await waitFor('two direct-bridge messages', () => sensorsWith(obs.messages.slice(at), `tele/${topic}/SENSOR`, ATC.name).length >= 2);
      const bridged = sensorsWith(obs.messages.slice(at), `tele/${topic}/SENSOR`, ATC.name);
      for (const s of bridged) {
        // every reading is one of the capture's, with all values (MI32Option0 1)
        const i = Math.round((s.Temperature - 20) * 10);
        expect(i).toBeGreaterThanOrEqual(0);
        expect(s).toMatchObject({ Temperature: 20 + i / 10, Humidity: 40 + (i % 20), Battery: 90, RSSI: -60, MAC: ATC.mac });
        expect(Object.keys(s)).not.toContain('Time'); // real-time messages carry no per-device Time
      }

      // Malformed commands: an error that names the command, and no change.
      const bad = await command('TelePeriod', 'abc', 'TelePeriod abc reply');
      expect(bad.TelePeriod).toBe('Error');
      expect(bad.Error).toEqual(expect.any(String));
      expect(await command('TelePeriod', '', 'TelePeriod query')).toEqual({ TelePeriod: 300 });
      expect((await command('MI32Option7', '1', 'MI32Option7 reply')).MI32Option7).toBe('Error');
      expect((await command('MI32Option2', 'maybe', 'MI32Option2 maybe reply')).MI32Option2).toBe('Error');
      expect(await command('MI32Option2', '', 'MI32Option2 query')).toEqual({ MI32Option2: 1 });
      expect((await command('MI32Key', '1234', 'MI32Key reply')).MI32Key).toBe('Error');
      expect((await command('Frobnicate', '1', 'unknown command reply')).Command).toBe('Unknown');
      // only the option that was set is saved (MI32Option0/1/2/4 persist); the failed commands left nothing
      expect(JSON.parse(readFileSync(join(data, 'settings.json'), 'utf8'))).toMatchObject({ options: { directBridge: 1 }, telePeriod: 300 });
      expect(existsSync(join(data, 'mi32cfg'))).toBe(false);

      expect(await command('MI32Option2', '0', 'MI32Option2 0 reply')).toEqual({ MI32Option2: 0 });
      // the same replies on stdout
      expect(p.replies()).toContainEqual({ MI32Option2: 1 });
      expect(p.replies()).toContainEqual({ MI32Option2: 0 });

      p.proc.kill('SIGTERM');
      expect(await p.exited).toEqual({ code: 0, signal: null });
    });

    it('takes commands on stdin, replies on stdout and stat/<topic>/RESULT; bad ones change nothing', async () => {
      const dir = tempDir();
      const data = join(dir, 'data');
      const obs = await observe(broker.url, [`stat/${topic}/RESULT`, `tele/${topic}/LWT`]);
      const p = run(undefined, data);
      await obs.waitMessage('LWT Online', (m) => m.payload === 'Online');

      const exchange: [string, Record<string, unknown> | ((r: Record<string, any>) => void)][] = [
        ['MI32Option2 1', { MI32Option2: 1 }],
        ['TelePeriod abc', (r) => expect(r).toEqual({ TelePeriod: 'Error', Error: expect.stringMatching(/abc/) })],
        ['TelePeriod 3601', (r) => expect(r).toMatchObject({ TelePeriod: 'Error' })],
        ['TelePeriod', { TelePeriod: 300 }],
        ['MI32Key 1234', (r) => expect(r).toEqual({ MI32Key: 'Error', Error: expect.any(String) })],
        ['MI32Key ' + 'zz'.repeat(16) + TH.mac, (r) => expect(r).toMatchObject({ MI32Key: 'Error' })],
        ['MI32Option7 1', (r) => expect(r).toEqual({ MI32Option7: 'Error', Error: expect.any(String) })],
        ['MI32Option2', { MI32Option2: 1 }],
        ['MI32Cfg', (r) => expect(r).toMatchObject({ MI32Cfg: 'Error' })], // no devices: nothing written
        ['Topic a/b', (r) => expect(r).toMatchObject({ Topic: 'Error' })],
        ['Topic', { Topic: topic }],
        ['NoSuchCommand 1', (r) => expect(r).toMatchObject({ Command: 'Unknown' })],
        ['mi32option0 0', { MI32Option0: 0 }], // case-insensitive, as in Tasmota
        ['TelePeriod 60', { TelePeriod: 60 }],
      ];
      for (let i = 0; i < exchange.length; i++) {
        const [line, expected] = exchange[i]!;
        p.send(line);
        const reply = await p.nextReply(i);
        if (typeof expected === 'function') expected(reply);
        else expect(reply, line).toEqual(expected);
        // and the same text on MQTT
        const published = await obs.waitMessage(`RESULT for ${line}`, (m) => m.topic === `stat/${topic}/RESULT` && obs.on(m.topic).indexOf(m) === i);
        expect(published.json, line).toEqual(reply);
        if (i === exchange.length - 2) {
          expect(existsSync(join(data, 'mi32cfg')), 'a failed MI32Cfg writes nothing').toBe(false);
          // the options set persist (MI32Option0/1/2/4); the failed commands saved nothing
          expect(JSON.parse(readFileSync(join(data, 'settings.json'), 'utf8')), 'failed commands save nothing').toMatchObject({ options: { directBridge: 1, allValues: 0 }, telePeriod: 300, topic });
        }
      }
      expect(JSON.parse(readFileSync(join(data, 'settings.json'), 'utf8'))).toMatchObject({ telePeriod: 60, topic });
      p.endInput();
      expect(await p.exited).toEqual({ code: 0, signal: null });
    });

    it('MI32Key + MI32Cfg write DIR/mi32cfg in Tasmota\'s shape, and the next run decrypts with it', async () => {
      const dir = tempDir();
      const data = join(dir, 'data');
      // no mi32cfg: auto-add; the thermometer cannot be read yet (no key)
      const capture = writeCapture(dir, [
        { t: 0, mac: TH.mac, ad: thFrame(1, 20.5, 45) },
        { t: 10, mac: ATC.mac, ad: atcAd(ATC.mac, 22.0, 50, 88, 1) },
        { t: 20, mac: TH.mac, ad: thFrame(2, 20.6, 45) },
      ]);
      const p = run(capture, data, ['--speed', 'max']);
      await p.waitStderr('replay done', /replay done/);
      p.send('MI32Key ' + TH.key.toLowerCase() + 'A4:C1:38:11:22:33');
      // The reply is published on stat/<topic>/RESULT: only the key's last 4 digits.
      expect(await p.nextReply(0)).toMatchObject({ MI32Key: 'Done', MAC: TH.mac, Key: '...' + TH.key.slice(-4) });
      p.send('MI32Cfg');
      expect(await p.nextReply(1)).toEqual({ MI32Cfg: 'Done', Devices: 2 });
      p.endInput();
      expect((await p.exited).code).toBe(0);

      const text = readFileSync(join(data, 'mi32cfg'), 'utf8');
      const entries = JSON.parse(text) as Record<string, string>[];
      expect(entries).toEqual([
        { MAC: TH.mac, PID: '055b', key: TH.key },
        { MAC: ATC.mac, PID: '0a1c', key: '' },
      ]);
      for (const e of entries) expect(Object.keys(e)).toEqual(['MAC', 'PID', 'key']);
      expect(text.split('\n')[0]).toBe('['); // one object per line, as Tasmota writes it
      expect(readdirSync(data).filter((f) => f.startsWith('mi32cfg'))).toEqual(['mi32cfg']); // no temp file left

      // Second run: the saved key decrypts the thermometer.
      const capture2 = writeCapture(dir, [
        { t: 0, mac: TH.mac, ad: thFrame(3, 25.0, 55) },
        { t: 10, mac: 'A4C138DDEEFF', ad: atcAd('A4C138DDEEFF', 19.0, 50, 80, 1) }, // unlisted: not added
      ], 'second.jsonl');
      const obs = await observe(broker.url, [`tele/${topic}/#`]);
      const q = run(capture2, data, ['--speed', 'max', '--once']);
      expect((await q.exited).code).toBe(0);
      const tele = await obs.waitMessage('teleperiod SENSOR', (m) => m.topic === `tele/${topic}/SENSOR`);
      expect(tele.json![TH.name]).toMatchObject({ Temperature: 25.0, Humidity: 55.0, MAC: TH.mac });
      expect(tele.json!['ATC-ddeeff']).toBeUndefined();
      const state = await obs.waitMessage('STATE', (m) => m.topic === `tele/${topic}/STATE`);
      expect(state.json!.MI32).toMatchObject({ Devices: 2, Decoded: 1, DecryptFailures: 0, Ignored: 1 });
    });

    it('survives a corrupt (truncated) mi32cfg: reports it, keeps it as mi32cfg.bad, uses the complete entries', async () => {
      const dir = tempDir();
      const data = join(dir, 'data');
      const truncated = `[\n{"MAC":"${TH.mac}","PID":"055b","key":"${TH.key}"},\n{"MAC":"${ATC.mac}","PID":"0a1c","ke`;
      mkdirSync(data);
      writeFileSync(join(data, 'mi32cfg'), truncated);
      const capture = writeCapture(dir, [
        { t: 0, mac: TH.mac, ad: thFrame(7, 22.5, 41) },
        { t: 10, mac: ATC.mac, ad: atcAd(ATC.mac, 22.0, 50, 88, 1) }, // its entry was cut off: not listed
      ]);
      const obs = await observe(broker.url, [`tele/${topic}/#`]);
      const p = run(capture, data, ['--speed', 'max', '--once']);
      expect(await p.exited).toEqual({ code: 0, signal: null });
      expect(p.stderr()).toMatch(/mi32cfg.*not valid JSON/);
      expect(p.stderr()).toMatch(/kept as mi32cfg\.bad/);
      expect(readFileSync(join(data, 'mi32cfg.bad'), 'utf8')).toBe(truncated);
      const tele = await obs.waitMessage('teleperiod SENSOR', (m) => m.topic === `tele/${topic}/SENSOR`);
      expect(tele.json![TH.name]).toMatchObject({ Temperature: 22.5, Humidity: 41.0, MAC: TH.mac });
      const state = await obs.waitMessage('STATE', (m) => m.topic === `tele/${topic}/STATE`);
      expect(state.json!.MI32).toMatchObject({ Devices: 1, Decoded: 1, Ignored: 1 });

      // A second corrupt file never overwrites the first one kept aside.
      const other = '[{"MAC":"' + TH.mac + '","PID":"055b","key":"' + TH.key + '"}';
      writeFileSync(join(data, 'mi32cfg'), other);
      const q = run(capture, data, ['--speed', 'max', '--once']);
      expect((await q.exited).code).toBe(0);
      expect(readFileSync(join(data, 'mi32cfg.bad'), 'utf8')).toBe(truncated);
      const aside = readdirSync(data).filter((f) => f.startsWith('mi32cfg.bad') && f !== 'mi32cfg.bad');
      expect(aside).toHaveLength(1);
      expect(readFileSync(join(data, aside[0]!), 'utf8')).toBe(other);
      expect(q.stderr()).toContain(`kept as ${aside[0]}`);
    });

    it('survives a flood of 80 devices: 64 slots, 16 counted as Overflow', async () => {
      const dir = tempDir();
      const macs = Array.from({ length: 80 }, (_, i) => 'A4C13800' + (0x10 + i).toString(16).toUpperCase().padStart(2, '0') + '01');
      const lines: CaptureLine[] = [];
      for (let round = 0; round < 2; round++) {
        macs.forEach((mac, i) => lines.push({ t: round * 1000 + i, mac, ad: atcAd(mac, 20 + (i % 10), 40, 90, round) }));
      }
      const capture = writeCapture(dir, lines);
      const obs = await observe(broker.url, [`tele/${topic}/#`]);
      const p = run(capture, join(dir, 'data'), ['--speed', 'max', '--once']);
      expect(await p.exited).toEqual({ code: 0, signal: null });
      const state = await obs.waitMessage('STATE', (m) => m.topic === `tele/${topic}/STATE`);
      expect(state.json!.MI32).toMatchObject({ Devices: 64, Overflow: 16, Frames: 160, Decoded: 128 });
      const tele = await obs.waitMessage('teleperiod SENSOR', (m) => m.topic === `tele/${topic}/SENSOR`);
      const devices = Object.keys(tele.json!).filter((k) => k.startsWith('ATC-'));
      expect(devices).toHaveLength(64);
      // the first 64 MACs heard got the slots
      expect(devices.sort()).toEqual(macs.slice(0, 64).map((m) => 'ATC-' + m.slice(6).toLowerCase()).sort());
    });

    it('rejects replayed encrypted frames: counted in Replays, their values never published', async () => {
      const dir = tempDir();
      const cfg = join(dir, 'mi32cfg');
      writeFileSync(cfg, cfgText([{ MAC: TH.mac, PID: '055b', key: TH.key }]));
      const old = thFrame(5, 35.5, 70); // recorded earlier, replayed late
      const c10 = thFrame(10, 20.0, 40);
      // A lead-in frame at t=0, the data from 1.5 s on: stdin's "MI32Option2 1" is read long before.
      const capture = writeCapture(dir, [
        { t: 0, mac: '112233AABBCC', ad: FOREIGN_AD },
        { t: 1500, mac: TH.mac, ad: c10 },
        { t: 1650, mac: TH.mac, ad: thFrame(11, 21.0, 41) },
        { t: 1800, mac: TH.mac, ad: thFrame(12, 22.0, 42) },
        { t: 1950, mac: TH.mac, ad: c10 }, // the counter-10 frame again, after 12
        { t: 2100, mac: TH.mac, ad: old },
        { t: 2250, mac: TH.mac, ad: thFrame(13, 23.0, 43) },
      ]);
      const obs = await observe(broker.url, [`tele/${topic}/#`]);
      const p = run(capture, join(dir, 'data'), ['--cfg', cfg, '--speed', '1', '--once']);
      p.send('MI32Option2 1');
      expect(await p.exited).toEqual({ code: 0, signal: null });
      expect(p.replies()[0]).toEqual({ MI32Option2: 1 });
      await obs.waitMessage('LWT Offline', (m) => m.topic === `tele/${topic}/LWT` && m.payload === 'Offline');

      const readings = sensorsWith(obs.messages, `tele/${topic}/SENSOR`, TH.name);
      const temperatures = readings.map((r) => r.Temperature);
      expect(temperatures).not.toContain(35.5);
      expect(readings.map((r) => r.Humidity)).not.toContain(70);
      // direct bridge: each genuine reading once, in order, then the teleperiod's
      expect(temperatures).toEqual([20.0, 21.0, 22.0, 23.0, 23.0]);
      const state = obs.on(`tele/${topic}/STATE`).at(-1)!.json!;
      expect(state.MI32).toMatchObject({ Devices: 1, Frames: 7, Decoded: 4, Replays: 2, Duplicates: 0, DecryptFailures: 0, Ignored: 1 });
      expect(p.stderr()).toMatch(/replayed frame \(counter 5\) rejected/);
    });

    it('keeps running when the broker restarts mid-replay, and publishing resumes', async () => {
      const dir = tempDir();
      // one reading every 100 ms for ~6 s (after a 1 s lead-in), each with its own temperature
      const lines: CaptureLine[] = [{ t: 0, mac: '112233AABBCC', ad: FOREIGN_AD }];
      const N = 60;
      for (let i = 0; i < N; i++) lines.push({ t: 1000 + i * 100, mac: ATC.mac, ad: atcAd(ATC.mac, 10 + i / 10, 50, 90, i) });
      const capture = writeCapture(dir, lines);
      const sensorTopic = `tele/${topic}/SENSOR`;
      const index = (m: Received) => (m.json?.[ATC.name] ? Math.round((m.json[ATC.name].Temperature - 10) * 10) : -1);

      const obs = await observe(broker.url, [`tele/${topic}/#`]);
      const p = run(capture, join(dir, 'data'), ['--speed', '1']);
      p.send('MI32Option2 1');
      await obs.waitMessage('a few readings', (m) => m.topic === sensorTopic && index(m) >= 5);

      await broker.kill();
      const before = Math.max(...obs.messages.filter((m) => m.topic === sensorTopic).map(index));
      const seenBefore = obs.messages.length;
      expect(before).toBeLessThan(N - 10); // the replay is far from over
      await sleep(500);
      await broker.restart();

      // The observer reconnects by itself; readings published after the restart reach it.
      const resumed = await obs.waitMessage('a reading after the restart', (m) => obs.messages.indexOf(m) >= seenBefore && m.topic === sensorTopic && index(m) > before, 30_000);
      expect(index(resumed)).toBeGreaterThan(before);
      await obs.waitMessage('the last reading', (m) => m.topic === sensorTopic && index(m) === N - 1, 30_000);
      // the gateway said it is back (the restarted broker lost the retained Online, if it was aedes)
      await obs.waitMessage('LWT Online after the restart', (m) => obs.messages.indexOf(m) >= seenBefore && m.topic === `tele/${topic}/LWT` && m.payload === 'Online');
      expect(p.proc.exitCode).toBeNull();
      expect(p.stderr()).toMatch(/MQTT connection lost/);

      p.endInput();
      expect(await p.exited).toEqual({ code: 0, signal: null });
    }, 90_000);
  });
}

describe('mi32 run usage errors', () => {
  it('refuses bad options with exit code 2 and a message, before publishing anything', async () => {
    const dir = tempDir();
    for (const [args, message] of [
      [['--speed', '0'], /--speed/],
      [['--speed', 'fast'], /--speed/],
      [['--teleperiod', '-5'], /--teleperiod/],
      [['--topic', 'a/b'], /--topic/],
      [['--bogus'], /bogus/],
      [['one.jsonl', 'two.jsonl'], /at most one CAPTURE/],
    ] as [string[], RegExp][]) {
      const p = startRun([...args, '--data', join(dir, 'data'), '--broker', 'mqtt://127.0.0.1:1']);
      p.endInput();
      const { code } = await p.exited;
      expect(code, args.join(' ')).toBe(2);
      expect(p.stderr(), args.join(' ')).toMatch(message);
      expect(p.stdout.filter(Boolean), args.join(' ')).toEqual([]);
    }
  });
});
