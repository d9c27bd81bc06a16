// The client over real TCP (and TLS) against real brokers: aedes embedded, and mosquitto
// when it is installed. MQTT.js plays the other party (subscriber or publisher), so what
// is checked is what an independent client sees. No timed assertions: tests wait for
// events with generous timeouts.

import mqtt, { type MqttClient as MqttJsClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Net, TcpSocket } from '../../firmware/core/host.js';
import { MqttClient } from '../../firmware/core/mqtt/client.js';
import { MqttConnectionRefusedError, type MqttError } from '../../firmware/core/mqtt/errors.js';
import type { MqttClientOptions } from '../../firmware/core/mqtt/options.js';
import { nodeClock, nodeNet, nodeRandom } from '../../host-sim/net.js';
import {
  findMosquitto, makeTlsMaterial, removeTlsMaterial, startAedes, startMosquitto,
  type AedesBroker, type BrokerOptions, type TestBroker, type TlsMaterial,
} from '../helpers/brokers.js';

const mosquitto = findMosquitto();
const credentials = { username: 'gateway', password: 'correct horse' };
const text = (b: Uint8Array) => Buffer.from(b).toString();

let cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

/** Our client on the Node ports; `sockets` lets a test cut the TCP connection like a power loss. */
function ourClient(options: MqttClientOptions) {
  const sockets: TcpSocket[] = [];
  const net: Net = {
    connectTcp: (o, events) => {
      const socket = nodeNet.connectTcp(o, events);
      sockets.push(socket);
      return socket;
    },
  };
  const client = new MqttClient({ net, clock: nodeClock, random: nodeRandom }, {
    reconnect: { minDelayMs: 100, maxDelayMs: 1000 }, ...options,
  });
  const errors: MqttError[] = [];
  client.on('error', (e) => errors.push(e));
  cleanup.push(() => client.end());
  return { client, errors, sockets };
}

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

function connected(client: MqttClient): Promise<void> {
  return new Promise((resolve, reject) => {
    if (client.connected) return resolve();
    client.on('connect', () => resolve());
    client.on('error', (e) => { if (e.code === 'connection-refused') reject(e); });
  });
}

/** An MQTT.js client as the independent observer. */
async function observer(url: string, options: mqtt.IClientOptions = {}): Promise<{ client: MqttJsClient; messages: { topic: string; payload: string; retain: boolean }[] }> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 100, ...options });
  const messages: { topic: string; payload: string; retain: boolean }[] = [];
  client.on('message', (topic, payload, packet) => messages.push({ topic, payload: payload.toString(), retain: packet.retain }));
  cleanup.push(() => client.endAsync(true));
  return { client, messages };
}

interface Flavour {
  name: string;
  start(options?: BrokerOptions & { persistence?: boolean }): Promise<TestBroker>;
  /** CONNACK code the broker sends for a wrong password. */
  badPasswordCode: number;
}

const flavours: (Flavour & { skip?: string })[] = [
  { name: 'aedes', start: (o) => startAedes(o), badPasswordCode: 4 },
  {
    name: 'mosquitto', start: (o) => startMosquitto(o), badPasswordCode: 5, // mosquitto 2 answers "not authorized"
    skip: mosquitto ? undefined : 'mosquitto is not installed (not on PATH nor in /usr/sbin); CI installs it',
  },
];

let tlsMaterial: TlsMaterial | undefined;
beforeAll(() => { tlsMaterial = makeTlsMaterial(); });
afterAll(() => removeTlsMaterial(tlsMaterial));

for (const flavour of flavours) {
  const title = flavour.skip ? `${flavour.name} — SKIPPED: ${flavour.skip}` : flavour.name;
  describe.skipIf(flavour.skip !== undefined)(title, () => {
    const started: TestBroker[] = [];
    const start = async (options?: BrokerOptions & { persistence?: boolean }) => {
      const broker = await flavour.start(options);
      started.push(broker);
      return broker;
    };
    afterAll(async () => { for (const b of started) await b.stop(); });

    it('connects anonymously; QoS 0 and QoS 1 round trips in both directions', async () => {
      const broker = await start();
      const watcher = await observer(broker.url);
      await watcher.client.subscribeAsync('tele/#', { qos: 1 });
      const { client, errors } = ourClient({ url: broker.url });
      const got: { topic: string; payload: string; qos: number }[] = [];
      let subscribed = 0;
      client.subscribe('cmnd/mi32/+', (topic, payload, packet) => got.push({ topic, payload: text(payload), qos: packet.qos }), {
        qos: 1, onSuback: (e) => { if (!e) subscribed++; },
      });
      client.connect();
      await connected(client);
      await waitFor('SUBACK', () => subscribed === 1);

      const acked: string[] = [];
      client.publish('tele/mi32/STATE', '{"qos":0}');
      client.publish('tele/mi32/SENSOR', '{"Temperature":21.5}', { qos: 1 }, (e) => acked.push(e ? e.code : 'puback'));
      client.publish('tele/mi32/BIN', new Uint8Array([0, 255, 1, 254]), { qos: 1 });
      await waitFor('3 messages at the observer', () => watcher.messages.length === 3);
      expect(watcher.messages.slice(0, 2)).toEqual([
        { topic: 'tele/mi32/STATE', payload: '{"qos":0}', retain: false },
        { topic: 'tele/mi32/SENSOR', payload: '{"Temperature":21.5}', retain: false },
      ]);
      expect(watcher.messages[2].topic).toBe('tele/mi32/BIN');
      await waitFor('PUBACK', () => acked.length === 1);
      expect(acked).toEqual(['puback']);

      await watcher.client.publishAsync('cmnd/mi32/Power', 'ON', { qos: 1 });
      await watcher.client.publishAsync('cmnd/other/Power', 'OFF', { qos: 0 }); // not matched by the filter
      await watcher.client.publishAsync('cmnd/mi32/Status', '0', { qos: 0 });
      await waitFor('2 commands', () => got.length === 2);
      expect(got).toEqual([
        { topic: 'cmnd/mi32/Power', payload: 'ON', qos: 1 },
        { topic: 'cmnd/mi32/Status', payload: '0', qos: 0 },
      ]);
      expect(errors).toEqual([]);
    });

    it('binary payloads arrive byte for byte', async () => {
      const broker = await start();
      const { client } = ourClient({ url: broker.url });
      const payload = new Uint8Array(4096).map((_, i) => (i * 7 + 3) & 0xff);
      const received: Uint8Array[] = [];
      let subscribed = false;
      client.subscribe('bin/echo', (_t, p) => received.push(p), { qos: 1, onSuback: () => { subscribed = true; } });
      client.connect();
      await waitFor('SUBACK', () => subscribed);
      client.publish('bin/echo', payload, { qos: 1 });
      await waitFor('echo', () => received.length === 1);
      expect(Buffer.compare(Buffer.from(received[0]), Buffer.from(payload))).toBe(0);
    });

    it('connects with credentials; a wrong password is refused with the broker\'s CONNACK code and no retry loop', async () => {
      const broker = await start({ credentials });
      const good = ourClient({ url: broker.url, ...credentials });
      good.client.connect();
      await connected(good.client);

      const bad = ourClient({ url: broker.url, username: credentials.username, password: 'wrong' });
      bad.client.connect();
      const refusal = await connected(bad.client).then(() => undefined, (e: MqttError) => e);
      expect(refusal).toBeInstanceOf(MqttConnectionRefusedError);
      expect((refusal as MqttConnectionRefusedError).returnCode).toBe(flavour.badPasswordCode);
      expect(refusal?.message).toMatch(flavour.badPasswordCode === 4 ? /bad user name or password/ : /not authorized/);
      expect(bad.client.state).toBe('stopped');
      expect(bad.sockets).toHaveLength(1);

      const anonymous = ourClient({ url: broker.url });
      anonymous.client.connect();
      await expect(connected(anonymous.client)).rejects.toMatchObject({ code: 'connection-refused' });
    });

    it('retained messages reach a later subscriber with the retain flag', async () => {
      const broker = await start();
      const { client } = ourClient({ url: broker.url });
      client.connect();
      await connected(client);
      let acked = false;
      client.publish('tele/mi32/LWT', 'Online', { qos: 1, retain: true }, () => { acked = true; });
      await waitFor('PUBACK', () => acked);
      const late = await observer(broker.url);
      await late.client.subscribeAsync('tele/mi32/LWT', { qos: 1 });
      await waitFor('retained message', () => late.messages.length === 1);
      expect(late.messages[0]).toEqual({ topic: 'tele/mi32/LWT', payload: 'Online', retain: true });
    });

    it('the retained Will is published when the client dies without DISCONNECT', async () => {
      const broker = await start();
      const watcher = await observer(broker.url);
      await watcher.client.subscribeAsync('tele/+/LWT', { qos: 1 });
      const { client, sockets } = ourClient({
        url: broker.url, clientId: `mi32-will-${flavour.name}`, reconnect: false,
        will: { topic: 'tele/mi32/LWT', payload: 'Offline', qos: 1, retain: true },
      });
      client.connect();
      await connected(client);
      client.publish('tele/mi32/LWT', 'Online', { qos: 1, retain: true });
      await waitFor('Online', () => watcher.messages.some((m) => m.payload === 'Online'));
      sockets[0].close(); // the TCP connection goes away with no DISCONNECT: as on a power cut
      await waitFor('Will', () => watcher.messages.find((m) => m.payload === 'Offline'));
      const late = await observer(broker.url);
      await late.client.subscribeAsync('tele/mi32/LWT');
      await waitFor('retained Will', () => late.messages.length === 1);
      expect(late.messages[0]).toEqual({ topic: 'tele/mi32/LWT', payload: 'Offline', retain: true });
    });

    it('a clean end() sends DISCONNECT, so the broker does not publish the Will', async () => {
      const broker = await start();
      const watcher = await observer(broker.url);
      await watcher.client.subscribeAsync('will/#');
      const { client } = ourClient({ url: broker.url, will: { topic: 'will/clean', payload: 'gone' } });
      client.connect();
      await connected(client);
      client.end();
      // A marker published after the end: once it arrives, a Will would have arrived first.
      await watcher.client.publishAsync('will/marker', 'x');
      await waitFor('marker', () => watcher.messages.length >= 1);
      expect(watcher.messages.map((m) => m.topic)).toEqual(['will/marker']);
    });

    it('TLS with the CA the test generated; an unrelated CA is refused with a clear error', async () => {
      const material = tlsMaterial as TlsMaterial;
      const broker = await start({ tls: material });
      const url = `mqtts://127.0.0.1:${broker.tlsPort}`;
      const { client } = ourClient({ url, tls: { ca: material.caPem } });
      const echoed: string[] = [];
      let subscribed = false;
      client.subscribe('tls/echo', (_t, p) => echoed.push(text(p)), { qos: 1, onSuback: () => { subscribed = true; } });
      client.connect();
      await waitFor('SUBACK over TLS', () => subscribed);
      client.publish('tls/echo', 'over tls', { qos: 1 });
      await waitFor('echo over TLS', () => echoed.length === 1);
      expect(echoed).toEqual(['over tls']);

      const wrong = ourClient({ url, tls: { ca: material.otherCaPem }, reconnect: false });
      wrong.client.connect();
      await waitFor('TLS error', () => wrong.errors.length > 0);
      expect(wrong.errors[0].code).toBe('connection-lost');
      expect(wrong.errors[0].message).toMatch(/TLS .* failed: .*certificate/i);
      expect(wrong.client.connected).toBe(false);

      // No CA at all: the platform store does not know our test CA, so verification fails too.
      const none = ourClient({ url, reconnect: false });
      none.client.connect();
      await waitFor('TLS error', () => none.errors.length > 0);
      expect(none.errors[0].message).toMatch(/certificate/i);
    });

    it('broker killed and restarted while publishing: reconnects by itself, every queued QoS 1 message arrives as sent', async () => {
      const broker = await start({ persistence: true });
      const total = 300;
      const sent = Array.from({ length: total }, (_, i) => `{"seq":${i},"Temperature":${(20 + i / 10).toFixed(1)}}`);
      // Observer with a persistent session, so messages the broker takes while it is away wait for it.
      const watcher = await observer(broker.url, { clean: false, clientId: `observer-${flavour.name}-${Date.now()}` });
      await watcher.client.subscribeAsync('tele/mi32/SENSOR', { qos: 1 });

      const { client, errors } = ourClient({
        url: broker.url, clientId: `mi32-restart-${flavour.name}`, keepAliveSeconds: 5,
        queue: { maxMessages: 1000, maxBytes: 256 * 1024 },
      });
      let connects = 0;
      client.on('connect', () => { connects++; });
      const outcome: (string | undefined)[] = [];
      client.connect();
      await connected(client);

      const publishSome = async (from: number, to: number) => {
        for (let i = from; i < to; i++) {
          client.publish('tele/mi32/SENSOR', sent[i], { qos: 1 }, (e) => { outcome[i] = e?.code ?? 'ok'; });
          if (i % 10 === 0) await new Promise((r) => setTimeout(r, 1));
        }
      };
      await publishSome(0, 100);
      await broker.kill();
      await waitFor('the client to notice', () => !client.connected);
      await publishSome(100, 200); // while the broker is down: queued
      expect(client.connected).toBe(false);
      expect(client.stats.queued).toBeGreaterThanOrEqual(100); // these wait in the offline queue
      await broker.restart();
      await publishSome(200, total);

      await waitFor('every PUBACK', () => outcome.filter((o) => o === 'ok').length === total, 40_000);
      expect(outcome.every((o) => o === 'ok')).toBe(true);
      expect(connects).toBeGreaterThanOrEqual(2);
      expect(client.stats.dropped).toBe(0);
      expect(errors.some((e) => e.code === 'connection-lost')).toBe(true);

      // What arrived: every message, unchanged. QoS 1 is at-least-once, so a message the
      // broker got just before dying may come twice; first arrivals must be in send order.
      const arrivals = flavour.name === 'aedes'
        ? () => (broker as AedesBroker).received.filter((r) => r.clientId === client.clientId).map((r) => r.payload.toString())
        : () => watcher.messages.map((m) => m.payload);
      await waitFor('all messages at the broker side', () => new Set(arrivals()).size === total, 40_000);
      const firstArrivals = [...new Set(arrivals())];
      expect(firstArrivals).toEqual(sent);
      if (flavour.name === 'aedes') {
        // And the live subscriber saw everything published outside the outage.
        await waitFor('observer', () => watcher.messages.length > 0);
      }
    }, 90_000);
  });
}

describe('a TCP peer that is not a well-behaved broker', () => {
  it('malformed bytes over a real socket: error, connection closed and reopened, nothing crashes', async () => {
    const { createServer } = await import('node:net');
    let connections = 0;
    const server = createServer((socket) => {
      connections++;
      socket.once('data', () => {
        // First CONNACK is fine, then a PUBLISH with QoS 3: the stream can no longer be trusted.
        socket.write(Buffer.from([0x20, 0x02, 0x00, 0x00, 0x36, 0x05, 0x00, 0x01, 0x61, 0x00, 0x01]));
      });
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise((resolve) => server.close(resolve)));
    const { port } = server.address() as { port: number };
    const { client, errors } = ourClient({ url: `mqtt://127.0.0.1:${port}` });
    client.publish('tele/kept', 'survives', { qos: 1 });
    client.connect();
    await waitFor('a second connection', () => connections >= 2);
    expect(errors[0].code).toBe('malformed-packet');
    expect(errors[0].message).toMatch(/QoS 3/);
    expect(client.stats.inflight + client.stats.queued).toBe(1); // the message is still held
  });
});
