// Issue 10 points 6b and 8: MQTT robustness. An oversized incoming message is skipped
// (and acked) without dropping the link; "Online" is published once per connection;
// a SENSOR message over the publish limit is split, never dropped; messages still queued
// at shutdown are counted.
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { serviceDataStructure } from '../../firmware/core/ad/structures.js';
import { Gateway, SENSOR_MAX_BYTES } from '../../firmware/core/gateway/gateway.js';
import { linkMqttClient } from '../../firmware/core/gateway/mqtt-link.js';
import { MqttClient } from '../../firmware/core/mqtt/client.js';
import { PacketParser } from '../../firmware/core/mqtt/parser.js';
import { encodePacket } from '../../firmware/core/mqtt/packets.js';
import { utf8Decode } from '../../firmware/core/mqtt/utf8.js';
import { createNodeAes } from '../../host-sim/crypto.js';
import { nodeClock, nodeNet, nodeRandom } from '../../host-sim/net.js';
import { findMosquitto, startAedes, startMosquitto, type TestBroker } from '../helpers/brokers.js';
import { MemoryStore, RecordingMqtt, recordingLog } from '../helpers/gateway.js';
import { FakeClock, FakeNet, FixedRandom } from '../mqtt/fakes.js';

let cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

function waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      const value = check();
      if (value !== undefined && value !== false) return resolve(value);
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 10);
    };
    tick();
  });
}

describe('an incoming PUBLISH over maxIncomingPacketBytes', () => {
  const publish = (payloadBytes: number, qos: 0 | 1) => encodePacket({
    type: 'publish', topic: 'cmnd/mi32/TelePeriod', payload: new Uint8Array(payloadBytes).fill(0x31), qos, retain: true, dup: false,
    ...(qos ? { messageId: 77 } : {}),
  });

  it('the parser streams past it, in any split, and reads the next packet', () => {
    const stream = new Uint8Array([...publish(70_000, 1), ...encodePacket({ type: 'pingresp' })]);
    for (const step of [1, 7, 4096, stream.length]) {
      const parser = new PacketParser(1024);
      const got = [];
      for (let at = 0; at < stream.length; at += step) got.push(...parser.push(stream.subarray(at, at + step)));
      expect(got).toEqual([
        { type: 'publish', topic: 'cmnd/mi32/TelePeriod', payload: new Uint8Array(0), qos: 1, retain: true, dup: false, messageId: 77, oversized: 70_000 + 2 + 20 + 2 },
        { type: 'pingresp' },
      ]);
    }
  });

  it('the client keeps the connection, acks a QoS 1 one and logs it once', () => {
    const net = new FakeNet();
    const lines: string[] = [];
    const client = new MqttClient({ net, clock: new FakeClock(), random: new FixedRandom(), log: recordingLog(lines) }, { host: 'broker', maxIncomingPacketBytes: 1024 });
    const heard: string[] = [];
    client.subscribe('cmnd/mi32/+', (topic) => heard.push(topic));
    client.connect();
    net.last.open();
    net.last.sendBytes(publish(70_000, 1));
    expect(client.state).toBe('connected');
    expect(net.last.closedByClient).toBe(false);
    expect(net.last.ofType('puback')).toEqual([{ type: 'puback', messageId: 77 }]);
    expect(heard).toEqual([]);
    expect(lines.filter((l) => l.includes('70024 bytes'))).toHaveLength(1);
  });
});

describe('LWT Online and the QoS 1 resend', () => {
  it('what a connect listener publishes with QoS 1 is sent once, not again as DUP', () => {
    const net = new FakeNet();
    const client = new MqttClient({ net, clock: new FakeClock(), random: new FixedRandom() }, { host: 'broker' });
    client.on('connect', () => client.publish('tele/mi32/LWT', 'Online', { qos: 1, retain: true }));
    client.connect();
    net.last.open();
    expect(net.last.ofType('publish').map((p) => [p.topic, p.dup])).toEqual([['tele/mi32/LWT', false]]);
  });
});

describe('SENSOR over the publish limit', () => {
  it('is split per device into several SENSOR messages, each valid JSON with Time, none dropped', () => {
    const clock = new FakeClock();
    const store = new MemoryStore();
    const gw = new Gateway({ clock, store, log: recordingLog([]), aes: createNodeAes() }, {}, 256);
    gw.start();
    const port = new RecordingMqtt();
    gw.attachMqtt(port);
    const macs: string[] = [];
    for (let i = 0; i < 200; i++) {
      const mac = `A4C138${i.toString(16).padStart(6, '0').toUpperCase()}`;
      macs.push(mac);
      gw.registry.add(mac, 0x055b, `Thermometer in room ${String(i).padStart(3, '0')} west`);
      const d = Buffer.alloc(13);
      Buffer.from(mac, 'hex').copy(d, 0);
      d.writeInt16BE(215, 6);
      d[8] = 48;
      d[9] = 90;
      d.writeUInt16BE(3000, 10);
      d[12] = 1;
      gw.handleAdvertisement({ mac, rssi: -70, ad: serviceDataStructure(0x181a, new Uint8Array(d)) });
    }
    gw.teleperiod();
    const sensors = port.on('tele/mi32/SENSOR');
    expect(sensors.length).toBeGreaterThan(1);
    const names = new Set<string>();
    for (const text of sensors) {
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(SENSOR_MAX_BYTES);
      const json = JSON.parse(text) as Record<string, unknown>;
      expect(Object.keys(json)[0]).toBe('Time');
      expect(json.TempUnit).toBe('C');
      for (const k of Object.keys(json)) if (k !== 'Time' && k !== 'TempUnit') names.add(k);
    }
    expect(names.size).toBe(200);
  });
});

describe('messages queued at shutdown', () => {
  it('are counted (stats.unsent) when the client ends without a broker', () => {
    const client = new MqttClient({ net: new FakeNet(), clock: new FakeClock(), random: new FixedRandom() }, { host: 'broker' });
    client.connect();
    for (let i = 0; i < 166; i++) client.publish('tele/mi32/SENSOR', `{"n":${i}}`);
    client.end();
    expect(client.stats.unsent).toBe(166);
  });
});

const mosquitto = findMosquitto();
const brokers: [string, () => Promise<TestBroker>][] = [['aedes', () => startAedes()]];
if (mosquitto) brokers.push(['mosquitto', () => startMosquitto()]);

describe.each(brokers)('against %s', (_name, start) => {
  async function gatewayOnBroker(broker: TestBroker, topic: string) {
    const lines: string[] = [];
    const log = recordingLog(lines);
    const gw = new Gateway({ clock: nodeClock, store: new MemoryStore(), log, aes: createNodeAes() }, { topic, telePeriod: 0 });
    gw.start();
    cleanup.push(() => gw.stop());
    const client = new MqttClient({ net: nodeNet, clock: nodeClock, random: nodeRandom, log }, {
      url: broker.url, will: gw.will(), reconnect: { minDelayMs: 100, maxDelayMs: 500 },
    });
    cleanup.push(() => client.end());
    linkMqttClient(gw, client, log, broker.url);
    gw.attachMqtt({
      publish: (t, p, o) => client.publish(t, p, o),
      subscribe: (f, h) => client.subscribe(f, (t, p) => h(t, utf8Decode(p))),
      unsubscribe: (f) => client.unsubscribe(f),
      dropped: () => client.stats.dropped,
    });
    client.connect();
    return { gw, client, lines };
  }

  async function observer(broker: TestBroker, filter: string) {
    const obs = await mqtt.connectAsync(broker.url, { protocolVersion: 4, reconnectPeriod: 0 });
    cleanup.push(() => obs.endAsync(true));
    const got: { topic: string; payload: string; retain: boolean }[] = [];
    obs.on('message', (topic, payload, packet) => got.push({ topic, payload: payload.toString(), retain: packet.retain }));
    await obs.subscribeAsync(filter, { qos: 1 });
    return { obs, got };
  }

  it('a retained 70 KB command: no reconnect loop, commands and readings keep flowing', async () => {
    const broker = await start();
    cleanup.push(() => broker.stop());
    const topic = `big${Date.now() % 100000}`;
    const { obs, got } = await observer(broker, `stat/${topic}/RESULT`);
    await obs.publishAsync(`cmnd/${topic}/TelePeriod`, Buffer.alloc(70 * 1024, 0x31), { qos: 1, retain: true });
    const { gw, client, lines } = await gatewayOnBroker(broker, topic);
    // After the retained message, a small command still gets its reply over the same link.
    await waitFor('connected', () => client.connected);
    await obs.publishAsync(`cmnd/${topic}/TelePeriod`, '60', { qos: 1 });
    await waitFor('TelePeriod reply', () => got.find((m) => m.payload === '{"TelePeriod":60}'));
    gw.result({ Probe: 1 });
    await waitFor('a later publish', () => got.find((m) => m.payload === '{"Probe":1}'));
    expect(client.stats.connects).toBe(1);
    expect(client.stats.oversized).toBeGreaterThanOrEqual(1);
    expect(lines.filter((l) => /connection lost|packet-too-large|over the limit of 65536/.test(l) && !/ignored a message/.test(l))).toEqual([]);
    await obs.publishAsync(`cmnd/${topic}/TelePeriod`, '', { qos: 1, retain: true }); // clear the retained message
  });

  it('Online is published once per connection', async () => {
    const broker = await start();
    cleanup.push(() => broker.stop());
    const topic = `lwt${Date.now() % 100000}`;
    const { got } = await observer(broker, `tele/${topic}/LWT`);
    const { gw, client } = await gatewayOnBroker(broker, topic);
    await waitFor('Online', () => got.find((m) => m.payload === 'Online'));
    // A round trip after it: anything sent before has arrived.
    await waitFor('inflight empty', () => client.stats.inflight === 0);
    gw.result({ Probe: 2 });
    client.publish(`tele/${topic}/LWT`, 'Probe', { qos: 1 });
    await waitFor('probe', () => got.find((m) => m.payload === 'Probe'));
    expect(got.filter((m) => m.payload === 'Online')).toHaveLength(1);
  });
});
