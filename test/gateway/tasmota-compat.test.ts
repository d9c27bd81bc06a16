// Issue 12: the gateway as a drop-in for a Tasmota MI32 user. Each test names the
// Tasmota behaviour it checks; each failed on the code before its change.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serviceDataStructure } from '../../firmware/core/ad/structures.js';
import { Gateway } from '../../firmware/core/gateway/gateway.js';
import { createNodeAes } from '../../host-sim/crypto.js';
import { DirStore } from '../../host-sim/store.js';
import { FakeClock } from '../mqtt/fakes.js';
import { bytes, miBeacon } from '../helpers/frames.js';
import { RecordingMqtt, silentLog } from '../helpers/gateway.js';

function setup(dir = mkdtempSync(join(tmpdir(), 'gw-tas-'))) {
  const clock = new FakeClock();
  const gw = new Gateway({ clock, store: new DirStore(dir), log: silentLog, aes: createNodeAes() }, { topic: 'home' });
  const mqtt = new RecordingMqtt();
  gw.start();
  gw.attachMqtt(mqtt);
  gw.mqttConnected();
  return { gw, clock, mqtt, dir };
}

const atc = (mac: string, counter: number) => ({ mac, rssi: -50, ad: serviceDataStructure(0x181a, bytes(mac.toLowerCase() + '00e63c5f0b8c' + counter.toString(16).padStart(2, '0'))) });

describe('TelePeriod as Tasmota', () => {
  it('takes 0-3600: 1 means 300, 2-9 mean 10; above 3600 is an error', () => {
    const { gw } = setup();
    expect(gw.command('TelePeriod 1', 'console')).toEqual({ TelePeriod: 300 });
    expect(gw.command('TelePeriod 5', 'console')).toEqual({ TelePeriod: 10 });
    expect(gw.command('TelePeriod 9', 'console')).toEqual({ TelePeriod: 10 });
    expect(gw.command('TelePeriod 0', 'console')).toEqual({ TelePeriod: 0 });
    expect(gw.command('TelePeriod 3600', 'console')).toEqual({ TelePeriod: 3600 });
    expect(gw.command('TelePeriod 3601', 'console')).toMatchObject({ TelePeriod: 'Error' });
    expect(gw.telePeriod).toBe(3600);
  });

  it('any TelePeriod command publishes STATE and SENSOR at once, after its reply', () => {
    const { gw, clock, mqtt } = setup();
    gw.handleAdvertisement(atc('A4C138AABBCC', 1));
    gw.command('TelePeriod', 'console');
    clock.advance(0);
    expect(mqtt.sent.map((m) => m.topic).filter((t) => !t.startsWith('homeassistant/'))).toEqual(['tele/home/LWT', 'stat/home/RESULT', 'tele/home/STATE', 'tele/home/SENSOR']);
    // TelePeriod 0 (off) publishes once too, and then no more
    gw.command('TelePeriod 0', 'console');
    clock.advance(3_600_000);
    expect(mqtt.on('tele/home/STATE')).toHaveLength(2);
    // a new period counts from the command
    gw.command('TelePeriod 60', 'console');
    clock.advance(59_999);
    expect(mqtt.on('tele/home/STATE')).toHaveLength(3);
    clock.advance(1);
    expect(mqtt.on('tele/home/STATE')).toHaveLength(4);
  });

  it('--teleperiod style values from settings.json follow the same rule (a stored 5 runs as 10)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-tas-'));
    new DirStore(dir).write('settings.json', new TextEncoder().encode('{"topic":"home","telePeriod":5}'));
    expect(setup(dir).gw.telePeriod).toBe(10);
  });
});

describe('Timezone as Tasmota (fixed offsets)', () => {
  it('takes -13..+14, +HH:MM and 99 (DST rules, test/gateway/timezone.test.ts), answers "+HH:MM", refuses out-of-range values', () => {
    const { gw } = setup();
    expect(gw.command('Timezone', 'console')).toEqual({ Timezone: '+00:00' });
    expect(gw.command('Timezone 2', 'console')).toEqual({ Timezone: '+02:00' });
    expect(gw.command('Timezone -3:30', 'console')).toEqual({ Timezone: '-03:30' });
    expect(gw.command('Timezone +05:45', 'console')).toEqual({ Timezone: '+05:45' });
    expect(gw.command('Timezone 14', 'console')).toEqual({ Timezone: '+14:00' });
    for (const bad of ['98', '15', '-14', '+1:60', 'CET', '1.5', '-99']) {
      const reply = gw.command(`Timezone ${bad}`, 'console');
      expect(reply, bad).toMatchObject({ Timezone: 'Error', Error: expect.any(String) });
    }
    expect(gw.timezone).toBe(14 * 60);
  });

  it('puts local time in the top-level Time of STATE and SENSOR, and persists like TelePeriod', () => {
    const { gw, clock, mqtt, dir } = setup();
    gw.handleAdvertisement(atc('A4C138AABBCC', 1));
    gw.command('Timezone -3:30', 'console');
    gw.command('TelePeriod', 'console');
    clock.advance(0);
    const utc = new Date(clock.now()).toISOString().slice(0, 19);
    const local = new Date(clock.now() - 210 * 60_000).toISOString().slice(0, 19);
    expect(JSON.parse(mqtt.on('tele/home/STATE')[0]!).Time).toBe(local);
    const sensor = JSON.parse(mqtt.on('tele/home/SENSOR')[0]!);
    expect(sensor.Time).toBe(local);
    expect(sensor.Time).not.toBe(utc);
    expect(JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8'))).toMatchObject({ timezone: -210 });
    expect(setup(dir).gw.timezone).toBe(-210);
  });
});

const KEY = '0123456789ABCDEFFEDCBA9876543210';

describe('MI32Name', () => {
  it('names a device by slot or MAC (and Tasmota\'s MI32Name<slot>), the SENSOR key follows, MI32Cfg saves it', () => {
    const { gw, clock, mqtt, dir } = setup();
    gw.handleAdvertisement(atc('A4C138AABBCC', 1));
    gw.handleAdvertisement(atc('A4C138DDEEFF', 1));
    expect(gw.command('MI32Name 0 Kitchen', 'console')).toEqual({ MI32Name: 'Kitchen' });
    expect(gw.command('MI32Name A4:C1:38:DD:EE:FF Porch', 'console')).toEqual({ MI32Name: 'Porch' });
    expect(gw.command('MI32Name1 Garden', 'console')).toEqual({ MI32Name: 'Garden' });
    gw.command('TelePeriod', 'console');
    clock.advance(0);
    expect(Object.keys(JSON.parse(mqtt.on('tele/home/SENSOR')[0]!))).toEqual(['Time', 'Kitchen', 'Garden', 'TempUnit']);
    expect(gw.command('MI32Cfg', 'console')).toMatchObject({ MI32Cfg: 'Done' });
    expect(JSON.parse(readFileSync(join(dir, 'mi32cfg'), 'utf8'))).toEqual([
      { MAC: 'A4C138AABBCC', PID: '0a1c', key: '', name: 'Kitchen' },
      { MAC: 'A4C138DDEEFF', PID: '0a1c', key: '', name: 'Garden' },
    ]);
    // an empty name goes back to Tasmota's default
    expect(gw.command('MI32Name1', 'console')).toEqual({ MI32Name: 'ATC-ddeeff' });
  });

  it('refuses unknown devices, reserved or duplicate names, and changes nothing', () => {
    const { gw } = setup();
    gw.handleAdvertisement(atc('A4C138AABBCC', 1));
    gw.handleAdvertisement(atc('A4C138DDEEFF', 1));
    gw.command('MI32Name 0 Kitchen', 'console');
    for (const bad of ['MI32Name 7 Attic', 'MI32Name 1 Time', 'MI32Name 1 kitchen', 'MI32Name 1 ' + 'x'.repeat(33), 'MI32Name']) {
      expect(gw.command(bad, 'console'), bad).toMatchObject({ MI32Name: 'Error' });
    }
    expect([...gw.registry.slots.values()].map((s) => gw.registry.displayName(s))).toEqual(['Kitchen', 'ATC-ddeeff']);
  });
});

describe('MI32Block (Tasmota _ble driver)', () => {
  it('MI32Block <MAC> blocks and forgets the device, MI32Block lists, MI32Block0 <MAC> unblocks, MI32Block0 clears', () => {
    const { gw } = setup();
    gw.handleAdvertisement(atc('A4C138AABBCC', 1));
    expect(gw.command('MI32Block A4:C1:38:AA:BB:CC', 'console')).toEqual({ MI32Block: { A4C138AABBCC: 1 } });
    expect(gw.registry.slots.has('A4C138AABBCC')).toBe(false);
    expect(gw.handleAdvertisement(atc('A4C138AABBCC', 2))).toEqual([{ kind: 'ignored', reason: 'filtered' }]);
    expect(gw.registry.slots.has('A4C138AABBCC')).toBe(false);
    gw.command('MI32Block A4C138DDEEFF', 'console');
    expect(gw.command('MI32Block', 'console')).toEqual({ MI32Block: { A4C138AABBCC: 1, A4C138DDEEFF: 1 } });
    expect(gw.command('MI32Block0 A4C138AABBCC', 'console')).toEqual({ MI32Block: { A4C138DDEEFF: 1 } });
    gw.handleAdvertisement(atc('A4C138AABBCC', 3));
    expect(gw.registry.slots.has('A4C138AABBCC')).toBe(true);
    expect(gw.command('MI32Block0', 'console')).toEqual({ MI32Block: {} });
    expect(gw.command('MI32Block nonsense', 'console')).toMatchObject({ MI32Block: 'Error', Error: expect.stringMatching(/Addr invalid/) });
  });
});

describe('MI32Keys (Tasmota _ble driver)', () => {
  it('adds several keys, removes one, MI32Keys2 removes all; replies never show a whole key', () => {
    const { gw, mqtt } = setup();
    const reply = gw.command(`MI32Keys A4C138112233=${KEY} A4C138445566=${KEY.toLowerCase()}`, 'console');
    expect(reply).toEqual({ MIKeys: { A4C138112233: '...3210', A4C138445566: '...3210' } });
    expect(gw.command('MI32Keys A4C138112233', 'console')).toEqual({ MIKeys: { A4C138445566: '...3210' } });
    expect(gw.command(`MI32Keys A4C138778899=${KEY.slice(1)}`, 'console')).toMatchObject({ MI32Keys: 'Error' });
    expect(gw.registry.allKeys().length).toBe(1);
    expect(gw.command('MI32Keys2', 'console')).toEqual({ MIKeys: {} });
    expect(mqtt.sent.some((m) => m.payload.includes(KEY.slice(4)))).toBe(false);
  });

  it('MI32Period, MI32Page and MI32Topic say what to use instead', () => {
    const { gw } = setup();
    expect(gw.command('MI32Period 60', 'console')).toMatchObject({ MI32Period: 'Error', Error: expect.stringMatching(/TelePeriod/) });
    expect(gw.command('MI32Page 4', 'console')).toMatchObject({ MI32Page: 'Error', Error: expect.stringMatching(/Status 8/) });
    expect(gw.command('MI32Topic ble', 'console')).toMatchObject({ MI32Topic: 'Error' });
  });
});

describe('Status', () => {
  it('Status, Status 0, Status 8 / 10, Status 11 answer in Tasmota\'s shapes on stat/<topic>/STATUS<n>', () => {
    const { gw, mqtt } = setup();
    gw.handleAdvertisement(atc('A4C138AABBCC', 1));
    expect(gw.command('Status', 'console')).toMatchObject({ Status: { Topic: 'home', FriendlyName: ['mi32-xs'] } });
    const sns = gw.command('Status 8', 'console');
    expect(Object.keys(sns)).toEqual(['StatusSNS']);
    expect((sns.StatusSNS as any)['ATC-aabbcc']).toMatchObject({ Temperature: 23, Humidity: 60, Battery: 95, MAC: 'A4C138AABBCC' });
    expect((sns.StatusSNS as any).Time).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(gw.command('Status 10', 'console').StatusSNS).toEqual(sns.StatusSNS);
    expect(Object.keys(gw.command('Status 0', 'console'))).toEqual(['Status', 'StatusSNS', 'StatusSTS']);
    expect(gw.command('Status 11', 'console')).toMatchObject({ StatusSTS: { MI32: { Devices: 1 } } });
    expect(gw.command('Status 99', 'console')).toMatchObject({ Status: 'Error' });
    expect(mqtt.sent.filter((m) => m.topic.startsWith('stat/')).map((m) => m.topic)).toEqual([
      'stat/home/STATUS', 'stat/home/STATUS8', 'stat/home/STATUS10', 'stat/home/STATUS0', 'stat/home/STATUS11', 'stat/home/RESULT',
    ]);
    expect(JSON.parse(mqtt.on('stat/home/STATUS8')[0]!)).toEqual({ StatusSNS: sns.StatusSNS });
  });
});

describe('Backlog', () => {
  it('runs each command with Tasmota\'s ";" separator, each answering on its own; Backlog itself answers nothing', () => {
    const { gw, mqtt } = setup();
    gw.command('Backlog TelePeriod 60; Timezone 2 ;MI32Option2 1', 'console');
    expect(mqtt.on('stat/home/RESULT').map((p) => JSON.parse(p))).toEqual([{ TelePeriod: 60 }, { Timezone: '+02:00' }, { MI32Option2: 1 }]);
    expect(gw.telePeriod).toBe(60);
  });

  it('refuses more than 30 commands and nested Backlogs, running none of them', () => {
    const { gw } = setup();
    expect(gw.command('Backlog ' + Array(31).fill('Timezone 3').join(';'), 'console')).toMatchObject({ Backlog: 'Error', Error: expect.stringMatching(/at most 30/) });
    expect(gw.command('Backlog Timezone 3; Backlog Timezone 4', 'console')).toMatchObject({ Backlog: 'Error' });
    expect(gw.timezone).toBe(0);
  });
});

describe('GroupTopic and FullTopic', () => {
  it('takes commands on cmnd/<grouptopic>/# (default tasmotas); GroupTopic moves it and persists', () => {
    const { gw, mqtt, dir } = setup();
    expect(mqtt.handlers.has('cmnd/tasmotas/#')).toBe(true);
    mqtt.deliver('cmnd/tasmotas/Timezone', '5');
    expect(gw.timezone).toBe(300);
    expect(gw.command('GroupTopic kitchens', 'console')).toEqual({ GroupTopic1: 'kitchens' });
    expect(mqtt.handlers.has('cmnd/tasmotas/#')).toBe(false);
    expect(mqtt.handlers.has('cmnd/kitchens/#')).toBe(true);
    expect(gw.command('GroupTopic a/b', 'console')).toMatchObject({ GroupTopic: 'Error' });
    expect(setup(dir).gw.groupTopic).toBe('kitchens');
  });

  it('FullTopic %prefix%/%topic%/ patterns move every topic; patterns without both tokens or with wildcards are refused', () => {
    const { gw, dir } = setup();
    expect(gw.command('FullTopic', 'console')).toEqual({ FullTopic: '%prefix%/%topic%/' });
    for (const bad of ['%topic%/', 'home/%prefix%', '%prefix%/+/%topic%', '%prefix%//%topic%', '%prefix%/%topic%/%id%']) {
      expect(gw.command(`FullTopic ${bad}`, 'console'), bad).toMatchObject({ FullTopic: 'Error' });
    }
    expect(gw.command('FullTopic tasmota/%topic%/%prefix%/', 'console')).toEqual({ FullTopic: 'tasmota/%topic%/%prefix%/' });
    expect(gw.will().topic).toBe('tasmota/home/tele/LWT');
    const next = setup(dir);
    expect(next.mqtt.handlers.has('tasmota/home/cmnd/+')).toBe(true);
    expect(next.mqtt.sent[0]!.topic).toBe('tasmota/home/tele/LWT');
  });
});

describe('ATBTN (Tasmota _ble driver, PID 0x004e)', () => {
  it('decodes the button from manufacturer data 0x004e, each switch id its own device, published at once', () => {
    const { gw, clock, mqtt } = setup();
    // length 0x11, type 0xff, company 4e00, 7fffffff, counter 07, 05, switch 12 34, 00, button 02, 50000100
    const ad = bytes('11ff4e00' + '7fffffff' + '07' + '05' + '1234' + '00' + '02' + '50000100');
    gw.handleAdvertisement({ mac: 'C1A2A3A4A5A6', rssi: -60, ad });
    clock.advance(50);
    const sensor = JSON.parse(mqtt.on('tele/home/SENSOR')[0]!);
    expect(sensor['ATBTN-a41234']).toEqual({ Button2: 1, RSSI: -60, MAC: 'C1A2A3A41234' });
    expect(gw.registry.slots.get('C1A2A3A41234')).toMatchObject({ model: 'ATBTN', pid: 0x004e });
  });
});

describe('real-time messages as Tasmota', () => {
  it('carry every sensor with new data since the last message, not only the device with the event', () => {
    const { gw, clock, mqtt } = setup();
    gw.handleAdvertisement(atc('A4C138AABBCC', 1)); // a reading: no message of its own (MI32Option2 0)
    clock.advance(1000);
    expect(mqtt.on('tele/home/SENSOR')).toHaveLength(0);
    const press = bytes('11ff4e00' + '7fffffff' + '01' + '05' + '1234' + '00' + '01' + '50000100');
    gw.handleAdvertisement({ mac: 'C1A2A3A4A5A6', rssi: -60, ad: press });
    clock.advance(50);
    const sensor = JSON.parse(mqtt.on('tele/home/SENSOR')[0]!);
    expect(Object.keys(sensor)).toEqual(['Time', 'ATC-aabbcc', 'ATBTN-a41234', 'TempUnit']);
    // sent once: the next event carries only what is new since
    gw.handleAdvertisement({ mac: 'C1A2A3A4A5A6', rssi: -60, ad: bytes('11ff4e00' + '7fffffff' + '02' + '05' + '1234' + '00' + '01' + '50000100') });
    clock.advance(50);
    expect(Object.keys(JSON.parse(mqtt.on('tele/home/SENSOR')[1]!))).toEqual(['Time', 'ATBTN-a41234']);
  });
});

describe('motion messages as Tasmota (MJYD2S)', () => {
  const NIGHTLIGHT = 'E4AAEC0D0E0F';
  const frame = (counter: number, id: number, value: number[]) => ({
    mac: NIGHTLIGHT, rssi: -70,
    ad: serviceDataStructure(0xfe95, miBeacon({ pid: 0x07f6, mac: NIGHTLIGHT, counter, objects: [[id, new Uint8Array(value)]] })),
  });
  const sensors = (mqtt: RecordingMqtt) => mqtt.on('tele/home/SENSOR').map((p) => JSON.parse(p)['MJYD2S-0d0e0f']);

  it('Motion:1 only with a motion object, light as Illuminance:<lux>; the no-motion time carries no stale Motion:1', () => {
    const { gw, clock, mqtt } = setup();
    gw.handleAdvertisement(frame(1, 0x000f, [0x64, 0, 0])); // motion, 100 lux
    clock.advance(50);
    gw.handleAdvertisement(frame(2, 0x1017, [120, 0, 0, 0])); // no motion for 120 s
    clock.advance(50);
    const [motion, noMotion] = sensors(mqtt);
    expect(motion).toMatchObject({ Illuminance: 100, Motion: 1, Events: 1 });
    expect(motion.Light).toBeUndefined();
    expect(noMotion).toMatchObject({ NMT: 120 });
    expect(noMotion.Motion).toBeUndefined();
    // the teleperiod: NMT and Events, no Motion
    gw.command('TelePeriod', 'console');
    clock.advance(0);
    const tele = sensors(mqtt).at(-1);
    expect(tele).toMatchObject({ Events: 1, NMT: 120 });
    expect(tele.Motion).toBeUndefined();
  });

  it('Motion:0 on the illuminance-only object 0x1007 (Tasmota\'s no-motion event)', () => {
    const { gw, clock, mqtt } = setup();
    gw.command('MI32Option2 1', 'console');
    gw.handleAdvertisement(frame(1, 0x1007, [5, 0, 0]));
    clock.advance(50);
    expect(sensors(mqtt)[0]).toMatchObject({ Illuminance: 5, Motion: 0 });
  });
});

describe('Qingping 0xFDCD as Tasmota', () => {
  it('adds every FDCD device as CGD1-<mac3> with PID 0x0576, whatever its Qingping id (here a CGG1)', () => {
    const { gw, dir } = setup();
    const mac = '582D34112233';
    const reversed = mac.match(/../g)!.reverse().join('');
    // frame control 0x88, Qingping id 0x07 (CGG1), MAC, TLV 0x01: 21.5 °C, 48.0 %
    gw.handleAdvertisement({ mac, rssi: -60, ad: serviceDataStructure(0xfdcd, bytes('8807' + reversed + '0104d700e001')) });
    const slot = gw.registry.slots.get(mac)!;
    expect(gw.registry.displayName(slot)).toBe('CGD1-112233');
    expect(slot.pid).toBe(0x0576);
    gw.command('MI32Cfg', 'console');
    expect(JSON.parse(readFileSync(join(dir, 'mi32cfg'), 'utf8'))).toEqual([{ MAC: mac, PID: '0576', key: '' }]);
  });
});

describe('mi32cfg feat (Tasmota\'s feature bits)', () => {
  it('keeps each entry\'s feat across MI32Cfg, in Tasmota\'s field order; a bad feat is dropped, not the entry', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-tas-'));
    new DirStore(dir).write('mi32cfg', new TextEncoder().encode(JSON.stringify([
      { MAC: 'E1F2A3B4C5D6', PID: 'b770', key: '', feat: 142 },
      { MAC: 'A4C138112233', PID: '055b', key: KEY, name: 'Kitchen', feat: 143 },
      { MAC: 'A4C138445566', PID: '0a1c', key: '', feat: 'lots' },
    ])));
    const { gw } = setup(dir);
    expect(gw.command('MI32Cfg', 'console')).toMatchObject({ MI32Cfg: 'Done', Devices: 3 });
    const text = readFileSync(join(dir, 'mi32cfg'), 'utf8');
    expect(JSON.parse(text)).toEqual([
      { MAC: 'E1F2A3B4C5D6', PID: 'b770', key: '', feat: 142 },
      { MAC: 'A4C138112233', PID: '055b', key: KEY, name: 'Kitchen', feat: 143 },
      { MAC: 'A4C138445566', PID: '0a1c', key: '' },
    ]);
    expect(text).toContain('{"MAC":"A4C138112233","PID":"055b","key":"' + KEY + '","name":"Kitchen","feat":143}');
  });
});
