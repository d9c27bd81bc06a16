// The gateway with a controllable clock, a folder store and a recording MQTT port:
// what it publishes, when, and what commands do (and do not) change.
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serviceDataStructure } from '../../firmware/core/ad/structures.js';
import { Gateway } from '../../firmware/core/gateway/gateway.js';
import type { Log } from '../../firmware/core/host.js';
import { createNodeAes } from '../../host-sim/crypto.js';
import { DirStore } from '../../host-sim/store.js';
import { FakeClock } from '../mqtt/fakes.js';
import { bytes, miBeacon } from '../helpers/frames.js';
import { RecordingMqtt } from '../helpers/gateway.js';

const silent: Log = { debug() {}, info() {}, warn() {}, error() {} };
const KEY = '0123456789ABCDEFFEDCBA9876543210';
const MAC = 'A4C138112233';

function setup(cfg?: string) {
  const dir = mkdtempSync(join(tmpdir(), 'gw-'));
  if (cfg !== undefined) writeFileSync(join(dir, 'mi32cfg'), cfg);
  const clock = new FakeClock();
  const consoleLines: string[] = [];
  const changes: string[] = [];
  const gw = new Gateway({
    clock, store: new DirStore(dir), log: silent, aes: createNodeAes(),
    console: (l) => consoleLines.push(l), topicChanged: (t) => changes.push(t), setActiveScan: (a) => changes.push(`active=${a}`),
  }, { topic: 'home' });
  const mqtt = new RecordingMqtt();
  gw.start();
  gw.attachMqtt(mqtt);
  gw.mqttConnected();
  return { gw, clock, mqtt, dir, consoleLines, changes };
}

const temp = (counter: number, tenths: number, hum?: number) => ({
  mac: MAC, rssi: -71,
  ad: serviceDataStructure(0xfe95, miBeacon({
    pid: 0x055b, mac: MAC, counter, key: bytes(KEY),
    objects: hum === undefined ? [[0x1004, new Uint8Array([tenths & 0xff, tenths >> 8])]] : [[0x100d, new Uint8Array([tenths & 0xff, tenths >> 8, hum & 0xff, hum >> 8])]],
  })),
});
const remote = (counter: number, button: number, press: number) => ({
  mac: 'F82441112233', rssi: -60,
  ad: serviceDataStructure(0xfe95, miBeacon({ pid: 0x0153, mac: 'F82441112233', counter, objects: [[0x1001, new Uint8Array([button, 0, press])]] })),
});
const CFG = `[{"MAC":"${MAC}","PID":"055b","key":"${KEY}"},{"MAC":"F82441112233","PID":"0153","key":""}]`;

describe('gateway telemetry', () => {
  it('publishes LWT Online retained, and a Will of Offline retained on tele/<topic>/LWT', () => {
    const { gw, mqtt } = setup(CFG);
    expect(mqtt.sent[0]).toEqual({ topic: 'tele/home/LWT', payload: 'Online', retain: true });
    expect(gw.will()).toEqual({ topic: 'tele/home/LWT', payload: 'Offline', retain: true, qos: 1 });
  });

  it('sends temperature and humidity at teleperiod (unlike Tasmota), in Tasmota key order and number format', () => {
    const { gw, clock, mqtt } = setup(CFG);
    clock.advance(1000);
    gw.handleAdvertisement(temp(1, 215, 480));
    clock.advance(300_000);
    const [sensor] = mqtt.on('tele/home/SENSOR');
    const t = Math.floor((1_000_000 + 1000) / 1000);
    // the teleperiod timer started with the gateway, at 1_000_000
    expect(sensor).toBe(`{"Time":"${new Date(1_300_000).toISOString().slice(0, 19)}","LYWSD03-112233":{"Temperature":21.5,"Humidity":48.0,"DewPoint":10.0,"RSSI":-71,"Time":${t},"MAC":"${MAC}"},"TempUnit":"C"}`);
    const state = JSON.parse(mqtt.on('tele/home/STATE')[0]!);
    expect(state.MI32).toMatchObject({ Devices: 2, Frames: 1, Decoded: 1, MqttQueueDropped: 7 });
    expect(state.UptimeSec).toBe(300);
  });

  it('publishes buttons at once, batching events within 50 ms into one message, and never repeats them', () => {
    const { gw, clock, mqtt } = setup(CFG);
    gw.handleAdvertisement(remote(1, 2, 0));
    gw.handleAdvertisement(remote(2, 3, 1));
    expect(mqtt.on('tele/home/SENSOR')).toHaveLength(0);
    clock.advance(50);
    const messages = mqtt.on('tele/home/SENSOR');
    expect(messages).toHaveLength(1);
    expect(JSON.parse(messages[0]!)['YLYK01-112233']).toEqual({ Button2: 1, Button3: 2, RSSI: -60, MAC: 'F82441112233' });
    clock.advance(300_000);
    // the teleperiod lists the remote (as Tasmota does) but never repeats its presses
    const tele = mqtt.on('tele/home/SENSOR');
    expect(tele).toHaveLength(2);
    expect(Object.keys(JSON.parse(tele[1]!)['YLYK01-112233'])).toEqual(['RSSI', 'Time', 'MAC']);
  });

  it('MI32Option2 bridges every change; MI32Option0 0 sends only what changed', () => {
    const { gw, clock, mqtt } = setup(CFG);
    gw.handleAdvertisement(temp(1, 215, 480));
    clock.advance(100);
    expect(mqtt.on('tele/home/SENSOR')).toHaveLength(0);
    gw.command('MI32Option2 1', 'console');
    gw.command('MI32Option0 0', 'console');
    gw.handleAdvertisement(temp(2, 215, 481));
    clock.advance(50);
    expect(JSON.parse(mqtt.on('tele/home/SENSOR').at(-1)!)['LYWSD03-112233']).toMatchObject({ Temperature: 21.5, Humidity: 48.1 });
    gw.handleAdvertisement(temp(4, 216));
    clock.advance(50);
    const last = JSON.parse(mqtt.on('tele/home/SENSOR').at(-1)!)['LYWSD03-112233'];
    expect(last).toEqual({ Temperature: 21.6, RSSI: -71, MAC });
    gw.command('MI32Option0 1', 'console');
    gw.handleAdvertisement(temp(5, 217));
    clock.advance(50);
    expect(JSON.parse(mqtt.on('tele/home/SENSOR').at(-1)!)['LYWSD03-112233']).toMatchObject({ Temperature: 21.7, Humidity: 48.1 });
  });

  it('MI32Option1 1 leaves only STATE at teleperiod', () => {
    const { gw, clock, mqtt } = setup(CFG);
    gw.handleAdvertisement(temp(1, 215, 480));
    gw.command('MI32Option1 1', 'console');
    clock.advance(300_000);
    expect(mqtt.on('tele/home/SENSOR')).toHaveLength(0);
    expect(mqtt.on('tele/home/STATE')).toHaveLength(1);
  });
});

describe('gateway commands', () => {
  it('answers on stat/<topic>/RESULT and the console, from the console and from MQTT', () => {
    const { mqtt, consoleLines } = setup(CFG);
    mqtt.deliver('cmnd/home/MI32Option4', '1');
    expect(mqtt.on('stat/home/RESULT')).toEqual(['{"MI32Option4":1}']);
    expect(consoleLines).toEqual(['{"MI32Option4":1}']);
  });

  it('bad input gets an error and changes nothing', () => {
    const { gw, dir, mqtt } = setup(CFG);
    const before = JSON.stringify(gw.options) + gw.telePeriod + gw.topic;
    const replies = ['TelePeriod abc', 'TelePeriod 3601', 'MI32Option7 1', 'MI32Option2 yes', 'MI32Key 1234', 'MI32Key zz' + 'a'.repeat(42), 'Topic a/b', 'Nonsense 1', 'MI32Cfg now']
      .map((c) => gw.command(c, 'console'));
    for (const r of replies) expect(Object.values(r)).toContain(Object.values(r).includes('Unknown') ? 'Unknown' : 'Error');
    expect(replies.every((r) => typeof r.Error === 'string' && (r.Error as string).length > 5)).toBe(true);
    expect(JSON.stringify(gw.options) + gw.telePeriod + gw.topic).toBe(before);
    expect(existsSync(join(dir, 'settings.json'))).toBe(false);
    expect(gw.registry.keys.size).toBe(1);
    expect(mqtt.on('stat/home/RESULT')).toHaveLength(replies.length);
  });

  it('MI32Key takes the 44- and the legacy 36-character forms; MI32Cfg saves keys in Tasmota shape', () => {
    const { gw, dir } = setup(CFG);
    expect(gw.command('MI32Key 00112233445566778899AABBCCDDEEFFF82441112233', 'console')).toMatchObject({ MI32Key: 'Done', MAC: 'F82441112233' });
    // The reply shows only the last 4 digits (it is published on stat/<topic>/RESULT); the expanded key is kept.
    expect(gw.command('MI32Key 112233445566AABBCCDDEEFFC4B1D2E3F405', 'console')).toMatchObject({ Key: '...EEFF', Note: expect.stringMatching(/not seen yet/) });
    expect(Buffer.from(gw.registry.keyOf('C4B1D2E3F405')!).toString('hex').toUpperCase()).toBe('1122334455668D3D3C97AABBCCDDEEFF');
    expect(gw.command('MI32Cfg', 'console')).toEqual({ MI32Cfg: 'Done', Devices: 2 });
    expect(JSON.parse(readFileSync(join(dir, 'mi32cfg'), 'utf8'))).toEqual([
      { MAC, PID: '055b', key: KEY },
      { MAC: 'F82441112233', PID: '0153', key: '00112233445566778899AABBCCDDEEFF' },
    ]);
  });

  it('TelePeriod and Topic persist; a new topic moves the subscriptions and asks for a new connection', () => {
    const { gw, dir, mqtt, changes, clock } = setup(CFG);
    expect(gw.command('TelePeriod 10', 'console')).toEqual({ TelePeriod: 10 });
    expect(gw.command('Topic kitchen', 'console')).toEqual({ Topic: 'kitchen' });
    expect(changes).toEqual(['kitchen']);
    expect(mqtt.handlers.has('cmnd/home/+')).toBe(false);
    // the gateway resubscribes itself; it does not count on the host reconnecting
    expect([...mqtt.handlers.keys()].sort()).toEqual(['cmnd/kitchen/+', 'cmnd/tasmotas/#']);
    mqtt.deliver('cmnd/kitchen/TelePeriod', '');
    expect(mqtt.on('stat/kitchen/RESULT')).toContain('{"TelePeriod":10}');
    expect(JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8'))).toEqual({
      topic: 'kitchen', telePeriod: 10, timezone: 0, groupTopic: 'tasmotas', fullTopic: '%prefix%/%topic%/', scriptRemote: 0, options: {}, buffer: 65536, discovery: 1,
      timeStd: { hemisphere: 0, week: 0, month: 10, dow: 1, hour: 3, offset: 60 }, timeDst: { hemisphere: 0, week: 0, month: 3, dow: 1, hour: 2, offset: 120 },
    });
    clock.advance(10_000);
    // each TelePeriod command publishes at once (Tasmota), then one more after 10 s
    expect(mqtt.on('tele/kitchen/STATE')).toHaveLength(2);
    expect(gw.command('MI32Option4 1', 'console')).toEqual({ MI32Option4: 1 });
    expect(changes).toContain('active=true');
  });

  it('MI32Option0/1/2/4 persist in settings.json (the settings page relies on it); MI32Option3 follows mi32cfg', () => {
    const { gw, dir } = setup();
    gw.command('MI32Option2 1', 'console');
    gw.command('MI32Option4 1', 'console');
    gw.command('MI32Option3 0', 'console');
    const again = new Gateway({ clock: new FakeClock(), store: new DirStore(dir), log: silent, aes: createNodeAes() });
    again.start();
    expect(again.options).toEqual({ allValues: 1, noSummary: 0, directBridge: 1, autoAdd: 1, activeScan: 1 });
    // a hand edit gone wrong loses only the bad option
    writeFileSync(join(dir, 'settings.json'), JSON.stringify({ options: { directBridge: 7, activeScan: 1, autoAdd: 0 } }));
    const edited = new Gateway({ clock: new FakeClock(), store: new DirStore(dir), log: silent, aes: createNodeAes() });
    expect(edited.options).toEqual({ allValues: 1, noSummary: 0, directBridge: 0, autoAdd: 1, activeScan: 1 });
  });

  it('with no mi32cfg, new devices are added automatically (MI32Option3 1); with one, they are not', () => {
    expect(setup().gw.options.autoAdd).toBe(1);
    const { gw } = setup(CFG);
    expect(gw.options.autoAdd).toBe(0);
    gw.handleAdvertisement({ mac: 'A4C138AABBCC', rssi: -50, ad: serviceDataStructure(0x181a, bytes('a4c138aabbcc00e63c5f0b8c12')) });
    expect(gw.registry.slots.has('A4C138AABBCC')).toBe(false);
    gw.command('MI32Option3 1', 'console');
    gw.handleAdvertisement({ mac: 'A4C138AABBCC', rssi: -50, ad: serviceDataStructure(0x181a, bytes('a4c138aabbcc00e63c5f0b8c13')) });
    expect(gw.registry.slots.has('A4C138AABBCC')).toBe(true);
  });
});
