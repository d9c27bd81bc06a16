// Issue 16, item 1, as the issue proves it, against mosquitto: after `mi32 run` on a capture
// of several kinds of device, every retained Home Assistant discovery config on the broker
// validates against the discovery schema (test/helpers/home-assistant.ts, written from
// Home Assistant's docs), and every value_template rendered against the SENSOR messages
// the broker delivered gives the reading. SetOption19 0 leaves no config on the broker,
// and is remembered by the next run. (A real Home Assistant would still be needed to see
// the entities in its UI; nothing here runs one.)

import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findMosquitto, startMosquitto, type TestBroker } from '../helpers/brokers.js';
import { renderTemplate, validateConfig } from '../helpers/home-assistant.js';
import {
  atcAd, FOREIGN_AD, miBeaconAd, observe, onCleanup, runCleanups, startRun, tempDir, writeCapture, type CaptureLine, type Observer,
} from './harness.js';

const mosquitto = findMosquitto();
afterEach(runCleanups);

const u8 = (...b: number[]) => new Uint8Array(b);
const HOME: CaptureLine[] = [
  { t: 0, mac: '112233AABBCC', ad: FOREIGN_AD },
  { t: 100, mac: 'A4C138000001', ad: miBeaconAd({ pid: 0x045b, mac: 'A4C138000001', counter: 1, objects: [[0x100d, u8(215, 0, 224, 1)], [0x100a, u8(77)]] }) },
  { t: 200, mac: 'A4C138AABBCC', ad: atcAd('A4C138AABBCC', 19.5, 52, 88, 1) },
  { t: 300, mac: 'E4AAEC000003', ad: miBeaconAd({ pid: 0x098b, mac: 'E4AAEC000003', counter: 1, objects: [[0x1019, u8(0)]] }) },
  { t: 400, mac: 'E4AAEC000004', ad: miBeaconAd({ pid: 0x0863, mac: 'E4AAEC000004', counter: 1, objects: [[0x1014, u8(1)]] }) },
  { t: 500, mac: 'E4AAEC000005', ad: miBeaconAd({ pid: 0x07f6, mac: 'E4AAEC000005', counter: 1, objects: [[0x000f, u8(80, 0, 0)]] }) },
  { t: 600, mac: 'F82441000006', ad: miBeaconAd({ pid: 0x0153, mac: 'F82441000006', counter: 1, objects: [[0x1001, u8(3, 0, 2)]] }) },
  { t: 700, mac: 'F82441000007', ad: miBeaconAd({ pid: 0x03b6, mac: 'F82441000007', counter: 1, objects: [[0x1001, u8(0, 0xfe, 4)]] }) },
];

/** The retained messages under `filter` right now (they come right after SUBACK, before a marker published later). */
async function retained(url: string, filter: string, marker: string): Promise<Map<string, string>> {
  const late = await observe(url, [filter, marker]);
  late.client.publish(marker, 'end', { qos: 1 });
  await late.waitMessage('the marker', (m) => m.topic === marker);
  return new Map(late.messages.filter((m) => m.retain).map((m) => [m.topic, m.payload]));
}

describe.skipIf(!mosquitto)(`Home Assistant discovery against mosquitto${mosquitto ? '' : ' — SKIPPED: mosquitto is not installed'}`, () => {
  let broker: TestBroker;
  let seq = 0;
  let topic: string;
  beforeEach(async () => {
    broker = await startMosquitto();
    onCleanup(() => broker.stop());
    topic = `ha${++seq}`;
  });

  async function runHome(dir: string, extra: string[] = []): Promise<Observer> {
    const capture = writeCapture(dir, HOME);
    const obs = await observe(broker.url, [`tele/${topic}/#`]);
    const p = startRun([capture, '--broker', broker.url, '--topic', topic, '--data', join(dir, 'data'), '--speed', 'max', '--once', '--cmd', 'MI32Option2 1', ...extra]);
    expect(await p.exited).toEqual({ code: 0, signal: null });
    await obs.waitMessage('LWT Offline', (m) => m.topic === `tele/${topic}/LWT` && m.payload === 'Offline');
    return obs;
  }

  it('every retained config validates against the discovery schema, and every value_template gives the reading from the real SENSOR messages', async () => {
    const dir = tempDir();
    const obs = await runHome(dir);
    const configs = await retained(broker.url, 'homeassistant/#', `e2e-marker/${topic}`);
    expect(configs.size).toBeGreaterThan(30);
    const sensors = obs.on(`tele/${topic}/SENSOR`).map((m) => m.payload);
    const states = obs.on(`tele/${topic}/STATE`).map((m) => m.payload);
    expect(sensors.length).toBeGreaterThan(5);
    const byComponent: Record<string, number> = {};
    for (const [configTopic, payload] of configs) {
      const config = JSON.parse(payload) as Record<string, any>;
      expect(validateConfig(configTopic, config), configTopic).toEqual([]);
      const component = configTopic.split('/')[1]!;
      byComponent[component] = (byComponent[component] ?? 0) + 1;
      if (component === 'device_automation') {
        // a trigger fires on the message of its own press only
        const fires = sensors.filter((s) => renderTemplate(config.value_template, s) === config.payload);
        const device = config.device.name as string;
        const pressed = sensors.filter((s) => {
          const v = JSON.parse(s)[device];
          return v && Object.keys(v).some((k) => /^(Button\d+|Dimmer)$/.test(k) && (config.subtype === 'knob' || String(v[k]) === config.payload));
        });
        expect(fires, configTopic).toEqual(pressed);
        continue;
      }
      const onState = config.state_topic === `tele/${topic}/STATE`;
      let checked = 0;
      for (const text of onState ? states : sensors) {
        const json = JSON.parse(text);
        const rendered = renderTemplate(config.value_template, text);
        const key = /^mi32_(?:[0-9A-F]{12}_)?(.*)$/.exec(config.unique_id)![1]!;
        const reading = onState ? (key.endsWith('_uptime') ? json.UptimeSec : json.MI32[key.slice(key.indexOf('_') + 1)]) : json[config.device.name]?.[key];
        if (reading === undefined) expect(rendered, configTopic).toBe('');
        else {
          expect(Number(rendered), `${configTopic} on ${text}`).toBe(reading);
          checked++;
        }
      }
      expect(checked, `${configTopic}: no message carried its value`).toBeGreaterThan(0);
    }
    expect(byComponent.binary_sensor).toBe(3); // door, leak, motion
    expect(byComponent.device_automation).toBe(4); // button 3 (three press codes), the knob
  }, 60_000);

  it('SetOption19 0 leaves no config on the broker, and the next run remembers it', async () => {
    const dir = tempDir();
    await runHome(dir);
    expect((await retained(broker.url, 'homeassistant/#', `e2e-marker/${topic}/1`)).size).toBeGreaterThan(30);
    // the second run hears the home again (and announces it), then is told SetOption19 0 on its console
    const capture = writeCapture(dir, HOME);
    const p = startRun([capture, '--broker', broker.url, '--topic', topic, '--data', join(dir, 'data'), '--speed', 'max']);
    await p.waitStderr('the replay', /replay done/);
    p.send('SetOption19 0');
    await p.waitStdout('the reply', (l) => l === '{"SetOption19":"OFF"}');
    p.endInput();
    expect(await p.exited).toEqual({ code: 0, signal: null });
    expect([...(await retained(broker.url, 'homeassistant/#', `e2e-marker/${topic}/2`)).keys()]).toEqual([]);
    await runHome(dir); // settings.json says off
    expect([...(await retained(broker.url, 'homeassistant/#', `e2e-marker/${topic}/3`)).keys()]).toEqual([]);
  }, 60_000);
});
