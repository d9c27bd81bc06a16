// Client behaviour driven by a fake clock and an in-memory socket where the test plays
// the broker: CONNECT contents, refusals, QoS 1 resend, the offline queue, subscriptions,
// and bad input. Timing (keep-alive, backoff) lives in timing.test.ts.

import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { MqttClient, type MqttClientPorts } from '../../firmware/core/mqtt/client.js';
import { MqttConnectionRefusedError, MqttError } from '../../firmware/core/mqtt/errors.js';
import type { MqttClientOptions } from '../../firmware/core/mqtt/options.js';
import { FakeClock, FakeNet, FixedRandom } from './fakes.js';

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const bytes = (s: string) => new TextEncoder().encode(s);

let clock: FakeClock;
let net: FakeNet;
let ports: MqttClientPorts;
let errors: MqttError[];
function makeClient(options: Partial<MqttClientOptions> = {}) {
  const client = new MqttClient(ports, { host: 'broker.local', ...options });
  client.on('error', (e) => errors.push(e));
  return client;
}

beforeEach(() => {
  clock = new FakeClock();
  net = new FakeNet();
  ports = { net, clock, random: new FixedRandom(0) };
  errors = [];
});

describe('CONNECT', () => {
  it('carries client id, credentials, keep-alive, clean session and a retained Will', () => {
    const client = makeClient({
      url: 'mqtt://gateway:s3cr%40t@broker.local:1884', clientId: 'mi32-test', keepAliveSeconds: 30, cleanSession: false,
      will: { topic: 'tele/mi32/LWT', payload: 'Offline', qos: 1, retain: true },
    }).connect();
    expect(net.last.options).toEqual({ host: 'broker.local', port: 1884, tls: undefined });
    net.last.accept();
    expect(net.last.received).toEqual([{
      type: 'connect', clientId: 'mi32-test', cleanSession: false, keepAlive: 30, username: 'gateway', password: bytes('s3cr@t'),
      will: { topic: 'tele/mi32/LWT', payload: bytes('Offline'), qos: 1, retain: true },
    }]);
    client.end();
  });

  it('generates a client id that every broker accepts', () => {
    const client = makeClient();
    expect(client.clientId).toMatch(/^mi32-[0-9a-f]{12}$/);
  });

  it('mqtts:// turns TLS on with verification left to its default (on) and port 8883', () => {
    makeClient({ url: 'mqtts://broker.local' }).connect();
    expect(net.last.options).toEqual({ host: 'broker.local', port: 8883, tls: {} });
  });

  it.each<[string, Partial<MqttClientOptions>]>([
    ['no broker', { host: undefined }],
    ['a bad URL', { url: 'http://x' }],
    ['a password without user', { password: 'x' }],
    ['port 0', { port: 0 }],
    ['a persistent session without a fixed id', { cleanSession: false }],
    ['payload limit above the queue size', { maxPayloadBytes: 2048, queue: { maxBytes: 1024 } }],
  ])('refuses options with %s', (_name, options) => {
    expect(() => makeClient(options)).toThrowError(expect.objectContaining({ code: 'invalid-options' }));
  });
});

describe('CONNACK refusals end in a clear error, not a retry loop', () => {
  it.each([
    [1, /unacceptable protocol version/],
    [2, /identifier rejected/],
    [4, /bad user name or password/],
    [5, /not authorized/],
  ])('return code %i stops the client', (code, message) => {
    const client = makeClient().connect();
    net.last.accept();
    net.last.send({ type: 'connack', sessionPresent: false, returnCode: code });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(MqttConnectionRefusedError);
    expect(errors[0].message).toMatch(message);
    expect((errors[0] as MqttConnectionRefusedError).returnCode).toBe(code);
    expect(client.state).toBe('stopped');
    expect(net.last.closedByClient).toBe(true);
    clock.advance(3_600_000);
    expect(net.connections).toHaveLength(1); // no silent retries
    client.connect(); // an explicit connect() tries again
    expect(net.connections).toHaveLength(2);
  });

  it('"server unavailable" is retried with backoff', () => {
    const client = makeClient().connect();
    net.last.accept();
    net.last.send({ type: 'connack', sessionPresent: false, returnCode: 3 });
    expect(errors[0].message).toMatch(/server unavailable/);
    expect(client.state).toBe('waiting');
    clock.advance(1000);
    expect(net.connections).toHaveLength(2);
  });
});

describe('publish', () => {
  it('QoS 0 and QoS 1 with retain; QoS 1 completes on PUBACK', () => {
    const client = makeClient().connect();
    net.last.open();
    const done: (string | undefined)[] = [];
    client.publish('tele/a', 'zero', { retain: true }, (e) => done.push(e?.code ?? 'ok0'));
    client.publish('tele/b', bytes('one'), { qos: 1 }, (e) => done.push(e?.code ?? 'ok1'));
    const [p0, p1] = net.last.ofType('publish');
    expect(p0).toEqual({ type: 'publish', topic: 'tele/a', payload: bytes('zero'), qos: 0, retain: true, dup: false });
    expect(p1).toMatchObject({ topic: 'tele/b', payload: bytes('one'), qos: 1, retain: false, dup: false });
    expect(done).toEqual(['ok0']);
    expect(client.stats.inflight).toBe(1);
    net.last.send({ type: 'puback', messageId: p1.messageId as number });
    expect(done).toEqual(['ok0', 'ok1']);
    expect(client.stats.inflight).toBe(0);
  });

  it('copies the payload: the caller may reuse its buffer', () => {
    const client = makeClient().connect();
    const buffer = bytes('first');
    client.publish('t', buffer, { qos: 1 });
    buffer.set(bytes('XXXXX'));
    net.last.open();
    expect(text(net.last.ofType('publish')[0].payload)).toBe('first');
  });

  it.each<[string, string, unknown, string]>([
    ['a + wildcard', 'tele/+/SENSOR', 'x', 'invalid-topic'],
    ['a # wildcard', 'tele/#', 'x', 'invalid-topic'],
    ['an empty topic', '', 'x', 'invalid-topic'],
    ['a NUL in the topic', 'a\u0000b', 'x', 'invalid-topic'],
    ['a payload over the limit', 'tele/a', new Uint8Array(1025), 'payload-too-large'],
    ['a payload of the wrong type', 'tele/a', 42, 'invalid-payload'],
  ])('rejects %s with a clear error and changes nothing', (_name, topic, payload, code) => {
    const client = makeClient({ maxPayloadBytes: 1024 }).connect();
    client.publish('ok/before', 'kept', { qos: 1 });
    expect(() => client.publish(topic, payload as string)).toThrowError(expect.objectContaining({ code }));
    expect(() => client.publish('t', 'x', { qos: 2 as 1 })).toThrowError(expect.objectContaining({ code: 'invalid-options' }));
    expect(client.stats.queued).toBe(1);
    net.last.open();
    expect(net.last.ofType('publish').map((p) => p.topic)).toEqual(['ok/before']);
  });

  it('keeps at most maxInflight QoS 1 messages unacknowledged and sends the rest as acks arrive', () => {
    const client = makeClient({ maxInflight: 2 }).connect();
    net.last.open();
    for (let i = 0; i < 5; i++) client.publish('t', `m${i}`, { qos: 1 });
    expect(net.last.ofType('publish').map((p) => text(p.payload))).toEqual(['m0', 'm1']);
    expect(client.stats).toMatchObject({ inflight: 2, queued: 3 });
    for (let round = 0; round < 3; round++) {
      const sent = net.last.ofType('publish');
      net.last.send({ type: 'puback', messageId: sent[round].messageId as number });
    }
    expect(net.last.ofType('publish').map((p) => text(p.payload))).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
  });
});

describe('QoS 1 across a connection loss', () => {
  it('resends unacknowledged messages with DUP and the same id, before queued ones, in order', () => {
    const client = makeClient().connect();
    net.last.open();
    client.publish('t', 'a', { qos: 1 });
    client.publish('t', 'b', { qos: 1 });
    const first = net.last.ofType('publish');
    net.last.send({ type: 'puback', messageId: first[0].messageId as number });
    net.last.drop(new Error('ECONNRESET'));
    expect(errors.at(-1)?.code).toBe('connection-lost');
    client.publish('t', 'c', { qos: 1 });
    clock.advance(1000);
    expect(net.connections).toHaveLength(2);
    net.last.open();
    const again = net.last.ofType('publish');
    expect(again.map((p) => [text(p.payload), p.dup])).toEqual([['b', true], ['c', false]]);
    expect(again[0].messageId).toBe(first[1].messageId);
  });
});

describe('offline queue', () => {
  it('drops the oldest past the message limit, counts them and reports each', () => {
    const client = makeClient({ queue: { maxMessages: 3 } }).connect();
    const outcome: string[] = [];
    let dropEvents = 0;
    client.on('drop', (n) => { dropEvents += n; });
    for (let i = 0; i < 5; i++) client.publish('t', `m${i}`, { qos: 1 }, (e) => outcome.push(`m${i}:${e?.code ?? 'ok'}`));
    expect(outcome).toEqual(['m0:queue-overflow', 'm1:queue-overflow']);
    expect(client.stats).toMatchObject({ dropped: 2, queued: 3 });
    expect(dropEvents).toBe(2);
    net.last.open();
    expect(net.last.ofType('publish').map((p) => text(p.payload))).toEqual(['m2', 'm3', 'm4']);
  });

  it('drops the oldest past the byte limit', () => {
    const client = makeClient({ queue: { maxMessages: 100, maxBytes: 100 }, maxPayloadBytes: 50 }).connect();
    // Each message costs topic (1) + payload (40) + 4 bytes of overhead = 45.
    for (let i = 0; i < 4; i++) client.publish('t', String(i).repeat(40));
    expect(client.stats).toMatchObject({ queued: 2, dropped: 2 });
    expect(client.stats.queuedBytes).toBeLessThanOrEqual(100);
  });

  it('never holds more than its limits, whatever is published while offline', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 20 }), fc.integer({ min: 64, max: 2000 }),
      fc.array(fc.record({ size: fc.integer({ min: 0, max: 60 }), qos: fc.constantFrom<0 | 1>(0, 1) }), { maxLength: 200 }),
      (maxMessages, maxBytes, messages) => {
        const client = makeClient({ queue: { maxMessages, maxBytes }, maxPayloadBytes: 60 });
        let dropped = 0;
        let rejected = 0;
        for (const m of messages) {
          try {
            client.publish('tele/x', new Uint8Array(m.size), { qos: m.qos }, (e) => { if (e) dropped++; });
          } catch (error) {
            // Only a message that could never fit the queue is refused up front.
            expect((error as MqttError).code).toBe('payload-too-large');
            expect('tele/x'.length + m.size + 4).toBeGreaterThan(maxBytes);
            rejected++;
          }
        }
        const s = client.stats;
        expect(s.queued).toBeLessThanOrEqual(maxMessages);
        expect(s.queuedBytes).toBeLessThanOrEqual(maxBytes);
        expect(s.queued + s.dropped + rejected).toBe(messages.length);
        expect(dropped).toBe(s.dropped);
      },
    ));
  });

  it('end() reports every undelivered message instead of losing it silently', () => {
    const client = makeClient().connect();
    net.last.open();
    const outcome: string[] = [];
    client.publish('t', 'inflight', { qos: 1 }, (e) => outcome.push(`inflight:${e?.code}`));
    net.last.drop();
    client.publish('t', 'queued', { qos: 0 }, (e) => outcome.push(`queued:${e?.code}`));
    client.end();
    expect(outcome).toEqual(['inflight:client-ended', 'queued:client-ended']);
    expect(() => client.publish('t', 'x')).toThrowError(expect.objectContaining({ code: 'client-ended' }));
    expect(clock.pending).toBe(0);
  });
});

describe('subscriptions', () => {
  it('delivers incoming PUBLISH to handlers by filter and acknowledges QoS 1', () => {
    const client = makeClient().connect();
    net.last.open();
    const got: string[] = [];
    client.subscribe('cmnd/mi32/+', (topic, payload) => got.push(`plus ${topic} ${text(payload)}`), { qos: 1 });
    client.subscribe('cmnd/#', (topic) => got.push(`hash ${topic}`));
    client.subscribe('stat/only', (topic) => got.push(`exact ${topic}`));
    expect(net.last.ofType('subscribe').map((s) => s.subscriptions)).toEqual([
      [{ topic: 'cmnd/mi32/+', qos: 1 }], [{ topic: 'cmnd/#', qos: 0 }], [{ topic: 'stat/only', qos: 0 }],
    ]);
    net.last.send({ type: 'publish', topic: 'cmnd/mi32/Power', payload: bytes('ON'), qos: 1, retain: false, dup: false, messageId: 77 });
    net.last.send({ type: 'publish', topic: 'cmnd/other/deep/x', payload: bytes(''), qos: 0, retain: false, dup: false });
    expect(got).toEqual(['plus cmnd/mi32/Power ON', 'hash cmnd/mi32/Power', 'hash cmnd/other/deep/x']);
    expect(net.last.ofType('puback')).toEqual([{ type: 'puback', messageId: 77 }]);
  });

  it('a handler that throws does not break delivery to the others', () => {
    const client = makeClient().connect();
    net.last.open();
    const got: string[] = [];
    client.subscribe('a', () => { throw new Error('handler bug'); });
    client.subscribe('#', (t) => got.push(t));
    net.last.send({ type: 'publish', topic: 'a', payload: bytes('x'), qos: 0, retain: false, dup: false });
    expect(got).toEqual(['a']);
    expect(client.state).toBe('connected');
  });

  it('restores subscriptions after a reconnect, and reports SUBACK refusals', () => {
    const client = makeClient().connect();
    const acks: string[] = [];
    client.subscribe('cmnd/mi32/#', () => {}, { onSuback: (e, q) => acks.push(e ? e.code : `granted ${q}`) });
    client.subscribe('forbidden', () => {}, { onSuback: (e) => acks.push(e ? e.code : 'ok') });
    net.last.open();
    const subs = net.last.ofType('subscribe');
    expect(subs.map((s) => s.subscriptions[0].topic)).toEqual(['cmnd/mi32/#', 'forbidden']);
    net.last.send({ type: 'suback', messageId: subs[0].messageId, granted: [0] });
    net.last.send({ type: 'suback', messageId: subs[1].messageId, granted: [0x80] });
    expect(acks).toEqual(['granted 0', 'subscribe-refused']);
    expect(errors.map((e) => e.message)).toEqual(['broker refused the subscription to "forbidden"']);
    client.unsubscribe('forbidden');
    net.last.drop();
    clock.advance(1000);
    net.last.open();
    expect(net.last.ofType('subscribe').map((s) => s.subscriptions)).toEqual([[{ topic: 'cmnd/mi32/#', qos: 0 }]]);
  });

  it('rejects bad filters', () => {
    const client = makeClient();
    for (const filter of ['', 'a/#/b', 'a/b#', 'a+/b']) {
      expect(() => client.subscribe(filter, () => {})).toThrowError(expect.objectContaining({ code: 'invalid-topic' }));
    }
  });
});

describe('a broker that sends garbage', () => {
  it.each<[string, number[]]>([
    ['malformed bytes', [0x36, 0x05, 0x00, 0x01, 0x61, 0x00, 0x01]],
    ['a PUBLISH to a wildcard topic', [0x30, 0x03, 0x00, 0x01, 0x23]],
    ['a second CONNACK', [0x20, 0x02, 0x00, 0x00]],
    ['a SUBACK over maxIncomingPacketBytes (an oversized PUBLISH is skipped, see test/security)', [0x90, 0xff, 0xff, 0x07]],
  ])('%s: the connection is closed and reopened, queued messages survive', (_name, garbage) => {
    const client = makeClient().connect();
    net.last.open();
    client.publish('t', 'unacked', { qos: 1 });
    net.last.sendBytes(garbage);
    expect(['malformed-packet', 'protocol-error', 'packet-too-large']).toContain(errors.at(-1)?.code);
    expect(net.connections[0].closedByClient).toBe(true);
    expect(client.state).toBe('waiting');
    clock.advance(1500);
    net.last.open();
    expect(net.last.ofType('publish').map((p) => [text(p.payload), p.dup])).toEqual([['unacked', true]]);
  });

  it('a packet before CONNACK is a protocol error', () => {
    makeClient().connect();
    net.last.accept();
    net.last.send({ type: 'pingresp' });
    expect(errors[0].code).toBe('protocol-error');
  });
});
