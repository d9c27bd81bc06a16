// The app composition (core/gateway/app.ts) on Node with fakes: a FakeNet whose packets are
// read by mqtt-packet (the test plays the broker), a FakeClock, an in-memory Store and the
// Node script host. What the device's main.ts and host-sim's run-command.ts both rely on:
// connect, Topic and broker changes, platform commands, and the stored script at start.
import { describe, expect, it } from 'vitest';
import { createGatewayApp, type AppPorts, type BrokerOptions } from '../../firmware/core/gateway/app.js';
import type { Reply } from '../../firmware/core/gateway/commands.js';
import type { PublishPacket } from '../../firmware/core/mqtt/packets.js';
import { utf8Encode } from '../../firmware/core/mqtt/utf8.js';
import { createNodeAes } from '../../host-sim/crypto.js';
import { createNodeScriptHost } from '../../host-sim/script-host.js';
import { FakeClock, type FakeConnection, FakeNet, FixedRandom } from '../mqtt/fakes.js';
import { MemoryStore, recordingLog } from '../helpers/gateway.js';

const text = (p: PublishPacket) => new TextDecoder().decode(p.payload);
const publishes = (conn: FakeConnection, topic: string) => conn.ofType('publish').filter((p) => p.topic === topic);
const subscribed = (conn: FakeConnection) => conn.ofType('subscribe').flatMap((p) => p.subscriptions.map((s) => s.topic)).sort();
const cmnd = (conn: FakeConnection, topic: string, payload = '') =>
  conn.send({ type: 'publish', topic, payload: utf8Encode(payload), qos: 0, retain: false, dup: false });

function setup(options: { store?: MemoryStore; broker?: () => BrokerOptions | string; scripts?: boolean; hostCommand?: AppPorts['hostCommand'] } = {}) {
  const clock = new FakeClock();
  const net = new FakeNet();
  const store = options.store ?? new MemoryStore();
  const logLines: string[] = [];
  const consoleLines: string[] = [];
  const printed: string[] = [];
  const app = createGatewayApp({
    clock, store, log: recordingLog(logLines), aes: createNodeAes(), net, random: new FixedRandom(7),
    console: (l) => consoleLines.push(l),
    published: (topic, payload) => printed.push(`${topic} ${payload}`),
    ...(options.scripts ? { scriptHost: createNodeScriptHost() } : {}),
    ...(options.hostCommand ? { hostCommand: options.hostCommand } : {}),
  }, { settings: { topic: 'home' }, broker: options.broker ?? (() => ({ host: 'broker.lan', port: 1883 })) });
  /** Started, connected, and the broker accepted: the usual state of a test. */
  const online = () => {
    app.start();
    app.connect();
    net.last.open();
    return net.last;
  };
  return { app, clock, net, store, logLines, consoleLines, printed, online };
}

describe('app composition: connect', () => {
  it('connects with the Will, subscribes its own topic and the group topic once, and says Online once', () => {
    const { net, online } = setup();
    const conn = online();
    const connect = conn.ofType('connect')[0]!;
    expect(connect.will).toMatchObject({ topic: 'tele/home/LWT', qos: 1, retain: true });
    expect(new TextDecoder().decode(connect.will!.payload as Uint8Array)).toBe('Offline');
    expect(subscribed(conn)).toEqual(['cmnd/home/+', 'cmnd/tasmotas/#']);
    expect(publishes(conn, 'tele/home/LWT').map((p) => [text(p), p.retain])).toEqual([['Online', true]]);
    expect(net.connections).toHaveLength(1);
  });

  it('runs a command that arrives over MQTT once and answers on stat/<topic>/RESULT', () => {
    const { app, net, online } = setup();
    online();
    cmnd(net.last, 'cmnd/home/TelePeriod', '30');
    cmnd(net.last, 'cmnd/tasmotas/Timezone');
    expect(publishes(net.last, 'stat/home/RESULT').map(text)).toEqual(['{"TelePeriod":30}', '{"Timezone":"+00:00"}']);
    expect(app.gateway.telePeriod).toBe(30);
  });

  it('a payload that is not UTF-8 is reported and runs nothing; the gateway keeps serving', () => {
    const { net, logLines, online } = setup();
    online();
    net.last.send({ type: 'publish', topic: 'cmnd/home/TelePeriod', payload: new Uint8Array([0x31, 0xc3, 0x28]), qos: 0, retain: false, dup: false });
    expect(logLines).toContain('warn MQTT TelePeriod: the payload is not UTF-8; ignored');
    expect(publishes(net.last, 'stat/home/RESULT')).toEqual([]);
    cmnd(net.last, 'cmnd/home/TelePeriod', '20');
    expect(publishes(net.last, 'stat/home/RESULT').map(text)).toEqual(['{"TelePeriod":20}']);
  });

  it('without a broker MQTT stays off and says why; the console still works', () => {
    const { app, net, logLines, consoleLines } = setup({ broker: () => 'no broker (MqttHost)' });
    app.start();
    app.connect();
    expect(net.connections).toHaveLength(0);
    expect(logLines).toContain('info MQTT off: no broker (MqttHost)');
    expect(app.command('TelePeriod', 'console')).toEqual({ TelePeriod: 300 });
    expect(consoleLines).toContain('{"TelePeriod":300}');
  });

  it('broker options the client refuses are logged, not thrown', () => {
    const { app, net, logLines } = setup({ broker: () => ({ url: 'http://nope' }) });
    app.start();
    expect(() => app.connect()).not.toThrow();
    expect(net.connections).toHaveLength(0);
    expect(logLines.some((l) => l.startsWith('error MQTT settings rejected: '))).toBe(true);
  });
});

describe('app composition: Topic and FullTopic changes', () => {
  it('a Topic change retires the old client with "Offline", reconnects with the new Will and resubscribes cmnd/<new>/+', () => {
    const { app, net, online } = setup();
    const old = online();
    expect(app.command('Topic kitchen', 'console')).toEqual({ Topic: 'kitchen' });
    // the old connection: its subscription moved away, then a clean goodbye under the old topic
    expect(old.ofType('unsubscribe').flatMap((p) => p.topics)).toContain('cmnd/home/+');
    expect(publishes(old, 'tele/home/LWT').map((p) => [text(p), p.retain])).toEqual([['Online', true], ['Offline', true]]);
    expect(old.ofType('disconnect')).toHaveLength(1);
    expect(old.closedByClient).toBe(true);
    expect(net.connections).toHaveLength(2);
    const conn = net.last;
    conn.open();
    expect(conn.ofType('connect')[0]!.will).toMatchObject({ topic: 'tele/kitchen/LWT', retain: true });
    expect(subscribed(conn)).toEqual(['cmnd/kitchen/+', 'cmnd/tasmotas/#']);
    expect(publishes(conn, 'tele/kitchen/LWT').map(text)).toEqual(['Online']);
    cmnd(conn, 'cmnd/kitchen/TelePeriod', '45');
    // the Topic reply (under the new topic), then the command's, once: not once per subscription
    expect(publishes(conn, 'stat/kitchen/RESULT').map(text)).toEqual(['{"Topic":"kitchen"}', '{"TelePeriod":45}']);
  });

  it('a FullTopic change moves the Will and the subscriptions the same way', () => {
    const { app, net, online } = setup();
    online();
    app.command('FullTopic mi32/%prefix%/%topic%/', 'console');
    const conn = net.last;
    conn.open();
    expect(net.connections).toHaveLength(2);
    expect(conn.ofType('connect')[0]!.will).toMatchObject({ topic: 'mi32/tele/home/LWT' });
    expect(subscribed(conn)).toEqual(['mi32/cmnd/home/+', 'mi32/cmnd/tasmotas/#']);
  });

  it('a GroupTopic change resubscribes on the same connection', () => {
    const { app, net, online } = setup();
    online();
    app.command('GroupTopic everyone', 'console');
    expect(net.connections).toHaveLength(1);
    expect(net.last.ofType('unsubscribe').flatMap((p) => p.topics)).toEqual(['cmnd/tasmotas/#']);
    expect(subscribed(net.last)).toEqual(['cmnd/everyone/#', 'cmnd/home/+', 'cmnd/tasmotas/#']);
  });

  it('a Topic set before the first connect makes no connection of its own: the first one uses the new Will', () => {
    const { app, net } = setup();
    app.start();
    app.command('Topic early', 'console');
    expect(net.connections).toHaveLength(0);
    app.connect();
    net.last.open();
    expect(net.connections).toHaveLength(1);
    expect(net.last.ofType('connect')[0]!.will).toMatchObject({ topic: 'tele/early/LWT' });
    expect(subscribed(net.last)).toEqual(['cmnd/early/+', 'cmnd/tasmotas/#']);
  });
});

describe('app composition: broker changes and platform commands', () => {
  it('a platform command (MqttHost) answers like the gateway, and the new broker replaces the old client cleanly', () => {
    let host = 'old.lan';
    const ports: { app?: ReturnType<typeof setup>['app'] } = {};
    const hostCommand = (line: string, argument?: string): Reply | undefined => {
      const [word, ...rest] = line.trim().split(/\s+/);
      if (word!.toLowerCase() !== 'mqtthost') return undefined;
      const arg = (argument ?? rest.join(' ')).trim();
      if (arg && arg !== host) {
        host = arg;
        ports.app!.connect();
      }
      return { MqttHost: host };
    };
    const { app, net, consoleLines, logLines } = setup({ broker: () => ({ host, port: 1883 }), hostCommand });
    ports.app = app;
    app.start();
    app.connect();
    const old = net.last;
    old.open();
    expect(old.options.host).toBe('old.lan');
    cmnd(old, 'cmnd/home/MqttHost', 'new.lan');
    expect(publishes(old, 'tele/home/LWT').map(text)).toEqual(['Online', 'Offline']);
    expect(old.ofType('disconnect')).toHaveLength(1);
    expect(old.closedByClient).toBe(true);
    const conn = net.last;
    expect(conn.options.host).toBe('new.lan');
    conn.open();
    expect(subscribed(conn)).toEqual(['cmnd/home/+', 'cmnd/tasmotas/#']);
    expect(publishes(conn, 'tele/home/LWT').map(text)).toEqual(['Online']);
    // the reply went where the gateway's go, and the gateway did not also answer "Unknown"
    expect(publishes(conn, 'stat/home/RESULT').map(text)).toEqual(['{"MqttHost":"new.lan"}']);
    expect(consoleLines).toEqual(['{"MqttHost":"new.lan"}']);
    expect(logLines).toContain('info mqtt command MqttHost -> {"MqttHost":"new.lan"}');
    // from the console too, and commands the platform does not know reach the gateway
    expect(app.command('MqttHost', 'console')).toEqual({ MqttHost: 'new.lan' });
    expect(app.command('Topic', 'console')).toEqual({ Topic: 'home' });
  });
});

describe('app composition: scripts', () => {
  it('starts the script runtime with the stored autoexec.js', () => {
    const store = new MemoryStore();
    store.write('autoexec.js', utf8Encode("print('hello from autoexec'); tasmota.set_timer(10, () => tasmota.publish('tele/home/SCRIPT', 'up'));"));
    const { app, net, clock, consoleLines } = setup({ store, scripts: true });
    app.start();
    expect(consoleLines).toContain('autoexec.js: hello from autoexec');
    expect(app.command('Script', 'console')).toEqual({ Script: [{ Name: 'autoexec.js', Running: true, Errors: 0 }] });
    app.connect();
    net.last.open();
    clock.advance(10);
    expect(publishes(net.last, 'tele/home/SCRIPT').map(text)).toEqual(['up']);
    app.stop();
    expect(app.command('Script', 'console')).toEqual({ Script: 'Error', Error: 'scripting is not enabled on this build' });
  });

  it('without a script host, Script says scripting is off', () => {
    const { app } = setup();
    app.start();
    expect(app.command('Script', 'console')).toEqual({ Script: 'Error', Error: 'scripting is not enabled on this build' });
  });

  it('stop() says "Offline" on the current connection after what was queued, and leaves the client to drain', () => {
    const { app, net, printed, online } = setup();
    online();
    app.stop();
    expect(publishes(net.last, 'tele/home/LWT').map(text)).toEqual(['Online', 'Offline']);
    expect(net.last.ofType('disconnect')).toHaveLength(0);
    expect(app.mqtt?.connected).toBe(true);
    expect(printed).toContain('tele/home/LWT Online');
  });
});
