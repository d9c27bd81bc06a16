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
import { bytes } from '../helpers/frames.js';
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
    expect(mqtt.sent.map((m) => m.topic)).toEqual(['tele/home/LWT', 'stat/home/RESULT', 'tele/home/STATE', 'tele/home/SENSOR']);
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
  it('takes -13..+14 and +HH:MM, answers "+HH:MM", and refuses 99 (DST rules) and out-of-range values', () => {
    const { gw } = setup();
    expect(gw.command('Timezone', 'console')).toEqual({ Timezone: '+00:00' });
    expect(gw.command('Timezone 2', 'console')).toEqual({ Timezone: '+02:00' });
    expect(gw.command('Timezone -3:30', 'console')).toEqual({ Timezone: '-03:30' });
    expect(gw.command('Timezone +05:45', 'console')).toEqual({ Timezone: '+05:45' });
    expect(gw.command('Timezone 14', 'console')).toEqual({ Timezone: '+14:00' });
    for (const bad of ['99', '15', '-14', '+1:60', 'CET', '1.5']) {
      const reply = gw.command(`Timezone ${bad}`, 'console');
      expect(reply, bad).toMatchObject({ Timezone: 'Error', Error: expect.any(String) });
    }
    expect(gw.command('Timezone 99', 'console').Error).toMatch(/not supported/);
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
