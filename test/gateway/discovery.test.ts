// Home Assistant discovery (issue 16, item 1) on the gateway with a recording MQTT port:
// every config validates against the discovery schema (test/helpers/home-assistant.ts),
// every value_template rendered against the gateway's own SENSOR messages gives the reading,
// device triggers fire on their press only, removal and SetOption19 0 publish empty configs.
import { describe, expect, it } from 'vitest';
import { serviceDataStructure } from '../../firmware/core/ad/structures.js';
import { valueTemplate } from '../../firmware/core/gateway/discovery.js';
import { Gateway } from '../../firmware/core/gateway/gateway.js';
import { createNodeAes } from '../../host-sim/crypto.js';
import { FakeClock } from '../mqtt/fakes.js';
import { miBeacon, type MiObject } from '../helpers/frames.js';
import { MemoryStore, RecordingMqtt, silentLog } from '../helpers/gateway.js';
import { renderTemplate, validateConfig } from '../helpers/home-assistant.js';

const u8 = (...b: number[]) => new Uint8Array(b);
const le16 = (v: number) => [v & 0xff, (v >> 8) & 0xff];

/** A plain MiBeacon advertisement from `mac`. */
function mi(mac: string, pid: number, counter: number, objects: MiObject[]) {
  return { mac, rssi: -67, ad: serviceDataStructure(0xfe95, miBeacon({ pid, mac, counter, objects })) };
}
/** ATC1441 plain: MAC, T (BE /10), H, battery, mV, counter. */
function atc(mac: string, counter: number) {
  const d = new Uint8Array(13);
  d.set(Uint8Array.from(mac.match(/../g)!.map((h) => parseInt(h, 16))), 0);
  d[6] = 0; d[7] = 215; d[8] = 48; d[9] = 91; d[10] = 0x0b; d[11] = 0xb8; d[12] = counter;
  return { mac, rssi: -70, ad: serviceDataStructure(0x181a, d) };
}

const DEVICES = {
  th: { mac: 'A4C138000001', name: 'LYWSD02-000001' },
  atc: { mac: 'A4C138000002', name: 'ATC-000002' },
  door: { mac: 'E4AAEC000003', name: 'MCCGQ02-000003' },
  leak: { mac: 'E4AAEC000004', name: 'SJWS01L-000004' },
  motion: { mac: 'E4AAEC000005', name: 'MJYD2S-000005' },
  remote: { mac: 'F82441000006', name: 'YLYK01-000006' },
  knob: { mac: 'F82441000007', name: 'YLKG08-000007' },
};

function setup() {
  const store = new MemoryStore();
  const clock = new FakeClock();
  const gw = new Gateway({ clock, store, log: silentLog, aes: createNodeAes() }, { topic: 'home' });
  const mqtt = new RecordingMqtt();
  gw.start();
  gw.attachMqtt(mqtt);
  gw.mqttConnected();
  gw.command('MI32Option2 1', 'console');
  return { gw, clock, mqtt, store };
}

/** Everything a home of these devices sends: readings, a door opening, motion, a leak, presses, a knob turn. */
function feed(gw: Gateway, clock: FakeClock) {
  const step = (adv: Parameters<Gateway['handleAdvertisement']>[0]) => { gw.handleAdvertisement(adv); clock.advance(100); };
  step(mi(DEVICES.th.mac, 0x045b, 1, [[0x100d, u8(...le16(215), ...le16(480))], [0x100a, u8(77)]]));
  step(atc(DEVICES.atc.mac, 1));
  step(mi(DEVICES.door.mac, 0x098b, 1, [[0x1019, u8(0)]])); // open
  step(mi(DEVICES.leak.mac, 0x0863, 1, [[0x1014, u8(1)]]));
  step(mi(DEVICES.motion.mac, 0x07f6, 1, [[0x000f, u8(100, 0, 0)]]));
  step(mi(DEVICES.remote.mac, 0x0153, 1, [[0x1001, u8(2, 0, 1)]])); // button 2, double
  step(mi(DEVICES.knob.mac, 0x03b6, 1, [[0x1001, u8(0, 3, 4)]])); // turned 3 steps
  gw.teleperiod();
}

/** The retained configs, last one per topic (an empty one removes). */
function configs(mqtt: RecordingMqtt): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of mqtt.sent) if (m.topic.startsWith('homeassistant/')) {
    expect(m.retain).toBe(true);
    out.set(m.topic, m.payload);
  }
  return out;
}

describe('Home Assistant discovery', () => {
  it('every config validates against the discovery schema', () => {
    const { gw, clock, mqtt } = setup();
    feed(gw, clock);
    const all = [...configs(mqtt)].filter(([, p]) => p !== '');
    expect(all.length).toBeGreaterThan(30);
    const components = new Set(all.map(([t]) => t.split('/')[1]));
    expect([...components].sort()).toEqual(['binary_sensor', 'device_automation', 'sensor']);
    for (const [topic, payload] of all) expect(validateConfig(topic, JSON.parse(payload)), topic).toEqual([]);
  });

  it('every value_template rendered against the real SENSOR messages gives the reading, and nothing for other devices', () => {
    const { gw, clock, mqtt } = setup();
    feed(gw, clock);
    const sensors = mqtt.on('tele/home/SENSOR');
    const states = mqtt.on('tele/home/STATE');
    let checked = 0;
    for (const [topic, payload] of configs(mqtt)) {
      if (payload === '' || topic.includes('/device_automation/')) continue;
      const config = JSON.parse(payload);
      const gatewayCounter = config.state_topic === 'tele/home/STATE';
      const messages = gatewayCounter ? states : sensors;
      const [, , key] = /^mi32_(?:([0-9A-F]{12})_)?(.*)$/.exec(config.unique_id)!;
      let found = false;
      for (const text of messages) {
        const json = JSON.parse(text);
        const rendered = renderTemplate(config.value_template, text);
        if (gatewayCounter) {
          const expected = key === 'home_uptime' ? json.UptimeSec : json.MI32[key!.replace(/^home_/, '')];
          expect(Number(rendered), topic).toBe(expected);
          found = true;
          continue;
        }
        const device = config.device.name as string;
        const reading = json[device]?.[key!];
        if (reading === undefined) expect(rendered, `${topic} on a message without it`).toBe('');
        else {
          expect(typeof reading === 'number' ? Number(rendered) : rendered, topic).toBe(reading);
          found = true;
        }
      }
      expect(found, `${topic}: some message carries its value`).toBe(true);
      checked++;
    }
    expect(checked).toBeGreaterThan(25);
  });

  it('binary sensors: door (1 = open), leak, motion with off_delay; RSSI and battery voltage are diagnostics', () => {
    const { gw, clock, mqtt } = setup();
    feed(gw, clock);
    const c = configs(mqtt);
    const door = JSON.parse(c.get('homeassistant/binary_sensor/e4aaec000003/door/config')!);
    expect(door).toMatchObject({ device_class: 'door', payload_on: '1', payload_off: '0', state_topic: 'tele/home/SENSOR', availability_topic: 'tele/home/LWT' });
    expect(JSON.parse(c.get('homeassistant/binary_sensor/e4aaec000004/leak/config')!)).toMatchObject({ device_class: 'moisture' });
    expect(JSON.parse(c.get('homeassistant/binary_sensor/e4aaec000005/motion/config')!)).toMatchObject({ device_class: 'motion', off_delay: 60 });
    expect(JSON.parse(c.get('homeassistant/sensor/a4c138000002/rssi/config')!)).toMatchObject({ entity_category: 'diagnostic', unit_of_measurement: 'dBm' });
    expect(JSON.parse(c.get('homeassistant/sensor/a4c138000002/voltage/config')!)).toMatchObject({ entity_category: 'diagnostic', device_class: 'voltage' });
    const temperature = JSON.parse(c.get('homeassistant/sensor/a4c138000001/temperature/config')!);
    expect(temperature).toMatchObject({
      unique_id: 'mi32_A4C138000001_Temperature', device_class: 'temperature', unit_of_measurement: '°C', state_class: 'measurement',
      device: { identifiers: ['mi32_A4C138000001'], name: 'LYWSD02-000001', model: 'LYWSD02', manufacturer: 'Xiaomi', via_device: 'mi32_home' },
    });
    // the gateway itself, with its counters
    expect(JSON.parse(c.get('homeassistant/sensor/mi32_home/replays/config')!)).toMatchObject({
      state_topic: 'tele/home/STATE', entity_category: 'diagnostic', device: { identifiers: ['mi32_home'] },
    });
  });

  it('device triggers for buttons and the knob fire on their own press only', () => {
    const { gw, clock, mqtt } = setup();
    feed(gw, clock);
    const c = configs(mqtt);
    const triggers = [...c].filter(([t, p]) => t.includes('/device_automation/') && p !== '').map(([t, p]) => [t, JSON.parse(p)] as const);
    const remote = triggers.filter(([t]) => t.includes('/f82441000006/'));
    expect(remote.map(([, p]) => [p.type, p.subtype, p.payload])).toEqual([
      ['button_short_press', 'button_2', '1'], ['button_double_press', 'button_2', '2'], ['button_long_press', 'button_2', '3'],
    ]);
    const pressMessage = mqtt.on('tele/home/SENSOR').find((m) => JSON.parse(m)[DEVICES.remote.name]?.Button2 !== undefined)!;
    const fired = (list: typeof triggers, message: string) => list.filter(([, p]) => renderTemplate(p.value_template, message) === p.payload).map(([, p]) => p.type);
    expect(fired(remote, pressMessage)).toEqual(['button_double_press']);
    const knob = triggers.filter(([t]) => t.includes('/f82441000007/'));
    expect(knob.map(([, p]) => p.type)).toEqual(['knob_turned']);
    const turn = mqtt.on('tele/home/SENSOR').find((m) => JSON.parse(m)[DEVICES.knob.name]?.Dimmer !== undefined)!;
    expect(fired(knob, turn)).toEqual(['knob_turned']);
    // a message of another device fires nothing
    expect(fired([...remote, ...knob], mqtt.on('tele/home/SENSOR').at(-1)!.replace(/"(YLYK01|YLKG08)-/g, '"X-'))).toEqual([]);
  });

  it('a blocked device is removed: an empty retained config for each of its entities', () => {
    const { gw, clock, mqtt } = setup();
    feed(gw, clock);
    const before = [...configs(mqtt).keys()].filter((t) => t.includes('/a4c138000002/'));
    expect(before.length).toBeGreaterThanOrEqual(5);
    gw.command(`MI32Block ${DEVICES.atc.mac}`, 'console');
    clock.advance(1000);
    const after = configs(mqtt);
    for (const topic of before) expect(after.get(topic), topic).toBe('');
  });

  it('SetOption19 0 removes every entity and persists; SetOption19 1 announces them again', () => {
    const { gw, clock, mqtt, store } = setup();
    feed(gw, clock);
    const announced = [...configs(mqtt)].filter(([, p]) => p !== '').map(([t]) => t);
    expect(gw.command('SetOption19 0', 'console')).toEqual({ SetOption19: 'OFF' });
    clock.advance(10_000); // they go out 10 per 100 ms
    const off = configs(mqtt);
    for (const topic of announced) expect(off.get(topic), topic).toBe('');
    expect(JSON.parse(new TextDecoder().decode(store.read('settings.json')))).toMatchObject({ discovery: 0 });
    const count = mqtt.sent.length;
    gw.handleAdvertisement(atc(DEVICES.atc.mac, 2));
    gw.mqttConnected();
    expect(mqtt.sent.slice(count).filter((m) => m.topic.startsWith('homeassistant/'))).toEqual([]);
    // a restart reads it back
    const again = new Gateway({ clock, store, log: silentLog, aes: createNodeAes() });
    expect(again.haDiscovery).toBe(0);
    expect(gw.command('SetOption19 1', 'console')).toEqual({ SetOption19: 'ON' });
    clock.advance(10_000);
    const on = configs(mqtt);
    expect(announced.filter((t) => on.get(t) === '')).toEqual([]);
    expect(gw.command('SetOption19 2', 'console')).toMatchObject({ SetOption19: 'Error' });
    expect(gw.command('SetOption20 1', 'console')).toMatchObject({ SetOption20: 'Error' });
  });

  it('configs go out at most 10 per 100 ms, and wait while the broker is away', () => {
    const { gw, clock, mqtt } = setup();
    let up = true;
    (mqtt as RecordingMqtt & { connected(): boolean }).connected = () => up;
    const ha = () => mqtt.sent.filter((m) => m.topic.startsWith('homeassistant/')).length;
    feed(gw, clock);
    clock.advance(10_000);
    const all = ha();
    gw.mqttConnected(); // a new connection: everything again
    expect(ha() - all).toBe(10);
    clock.advance(100);
    expect(ha() - all).toBe(20);
    up = false;
    clock.advance(10_000);
    expect(ha() - all).toBe(20);
    expect(gw.discovery.pending).toBeGreaterThan(0);
    up = true;
    gw.mqttConnected();
    clock.advance(10_000);
    expect(gw.discovery.pending).toBe(0);
  });

  it('without a connection nothing piles up: what was heard is announced at the next connection', () => {
    const { gw, clock, mqtt } = setup();
    let up = false;
    (mqtt as RecordingMqtt & { connected(): boolean }).connected = () => up;
    const before = gw.discovery.pending; // the gateway's own configs of setup()'s connection, left over
    feed(gw, clock);
    expect(gw.discovery.pending).toBe(before);
    expect(mqtt.sent.filter((m) => /^homeassistant\/[a-z_]+\/[0-9a-f]{12}\//.test(m.topic))).toEqual([]);
    up = true;
    gw.mqttConnected();
    clock.advance(10_000);
    const c = configs(mqtt);
    // the momentary ones too: the button and the knob were heard while disconnected
    expect(c.get('homeassistant/device_automation/f82441000006/button2_2/config')).toContain('button_double_press');
    expect(c.get('homeassistant/device_automation/f82441000007/dimmer/config')).toContain('knob_turned');
    expect(c.get('homeassistant/binary_sensor/e4aaec000005/motion/config')).toContain('"off_delay":60');
  });

  it('a renamed device (MI32Name) gets its configs again with the new name in the template', () => {
    const { gw, clock, mqtt } = setup();
    feed(gw, clock);
    gw.command(`MI32Name ${DEVICES.th.mac} Kitchen's "best"`, 'console');
    gw.handleAdvertisement(mi(DEVICES.th.mac, 0x045b, 2, [[0x100d, u8(...le16(220), ...le16(480))]]));
    clock.advance(100);
    const config = JSON.parse(configs(mqtt).get('homeassistant/sensor/a4c138000001/temperature/config')!);
    expect(config.device.name).toBe('Kitchen\'s "best"');
    const last = mqtt.on('tele/home/SENSOR').at(-1)!;
    expect(renderTemplate(config.value_template, last)).toBe('22');
  });
});

describe('the Jinja subset renderer (test helper) and the schema can fail', () => {
  it('renders paths and conditionals, with quotes in names', () => {
    const message = JSON.stringify({ "A'b\\c": { Temperature: 21.5 }, Other: { X: 1 } });
    expect(renderTemplate(valueTemplate("A'b\\c", 'Temperature'), message)).toBe('21.5');
    expect(renderTemplate(valueTemplate('Missing', 'Temperature'), message)).toBe('');
    expect(renderTemplate(valueTemplate('Other', 'Y'), message)).toBe('');
    expect(renderTemplate(valueTemplate('Other', 'X', 'fired'), message)).toBe('fired');
    expect(renderTemplate("{{ value_json['Other']['X'] }}", message)).toBe('1');
    expect(() => renderTemplate("{{ value_json['Nope']['X'] }}", message)).toThrow(/lacks/);
    expect(() => renderTemplate('{{ value_json.Other.X }}', message)).toThrow();
  });

  it('the schema refuses what Home Assistant would refuse', () => {
    const ok = { state_topic: 'tele/x/SENSOR', device: { identifiers: ['a'] } };
    expect(validateConfig('homeassistant/sensor/n/o/config', ok)).toEqual([]);
    expect(validateConfig('homeassistant/sensor/n/o/config', { device: { identifiers: ['a'] } })).toEqual(['homeassistant/sensor/n/o/config: state_topic is required']);
    expect(validateConfig('homeassistant/sensor/n/o/config', { ...ok, off_delay: 5 })[0]).toMatch(/off_delay is not a sensor option/);
    expect(validateConfig('homeassistant/sensor/n/o/config', { ...ok, device_class: 'temperature', unit_of_measurement: '%' })[0]).toMatch(/unit % is not one of temperature/);
    expect(validateConfig('homeassistant/sensor/n/o/config', { ...ok, device_class: 'energy', unit_of_measurement: 'kWh', state_class: 'measurement' })[0]).toMatch(/state_class measurement/);
    expect(validateConfig('homeassistant/sensor/n/o/config', { ...ok, device_class: 'pm25', unit_of_measurement: '\u00b5g/m³' })[0]).toMatch(/unit/);
    expect(validateConfig('homeassistant/binary_sensor/n/o/config', { ...ok, device_class: 'temperature' })[0]).toMatch(/binary_sensor device_class/);
    expect(validateConfig('homeassistant/device_automation/n/o/config', { automation_type: 'trigger', topic: 't', type: 'x', subtype: 'y' })[0]).toMatch(/device is required/);
    expect(validateConfig('homeassistant/sensor/n.x/o/config', ok)[0]).toMatch(/node and object ids/);
    expect(validateConfig('homeassistant/sensor/n/o/config', { ...ok, device: { foo: 1 } })).toHaveLength(2);
  });
});
