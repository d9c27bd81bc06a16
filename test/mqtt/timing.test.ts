// Keep-alive, reconnect backoff and connect timeout on a controllable fake clock: no
// sleeping, and the assertions are about the clock the client was given, not wall time.

import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { Backoff } from '../../firmware/core/mqtt/backoff.js';
import { MqttClient } from '../../firmware/core/mqtt/client.js';
import type { MqttError } from '../../firmware/core/mqtt/errors.js';
import type { MqttClientOptions } from '../../firmware/core/mqtt/options.js';
import { FakeClock, FakeNet, FixedRandom } from './fakes.js';

let clock: FakeClock;
let net: FakeNet;
let random: FixedRandom;
let errors: { at: number; error: MqttError }[];
function makeClient(options: Partial<MqttClientOptions> = {}) {
  const client = new MqttClient({ net, clock, random }, { host: 'broker.local', ...options });
  client.on('error', (error) => errors.push({ at: clock.now(), error }));
  return client;
}

beforeEach(() => {
  clock = new FakeClock();
  net = new FakeNet();
  random = new FixedRandom(0);
  errors = [];
});

describe('keep-alive', () => {
  it('pings an idle connection every keep-alive period and stays up while the broker answers', () => {
    const client = makeClient({ keepAliveSeconds: 10 }).connect();
    net.last.open();
    clock.advance(9_999);
    expect(net.last.ofType('pingreq')).toHaveLength(0);
    for (let i = 1; i <= 60; i++) {
      clock.advance(i === 1 ? 1 : 10_000);
      expect(net.last.ofType('pingreq')).toHaveLength(i);
      net.last.send({ type: 'pingresp' });
    }
    expect(client.state).toBe('connected');
    expect(net.connections).toHaveLength(1);
    expect(errors).toEqual([]);
  });

  it('still pings when the client keeps publishing but hears nothing back', () => {
    const client = makeClient({ keepAliveSeconds: 10 }).connect();
    net.last.open();
    for (let t = 0; t < 10_000; t += 1000) {
      client.publish('tele/x', 'qos0');
      clock.advance(1000);
    }
    expect(net.last.ofType('pingreq')).toHaveLength(1);
  });

  it('detects a broker that stopped answering within 1.5 × keep-alive of its last packet', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 600 }), // keep-alive seconds
      fc.array(fc.record({ step: fc.integer({ min: 1, max: 200_000 }), publish: fc.boolean() }), { maxLength: 40 }),
      (keepAliveSeconds, steps) => {
        clock = new FakeClock();
        net = new FakeNet();
        errors = [];
        const client = makeClient({ keepAliveSeconds }).connect();
        const conn = net.last;
        conn.open();
        let lastFromBroker = clock.now();
        let alive = true;
        // Phase 1: the broker answers every PINGREQ at once (through the clock, as a socket
        // would deliver it later), whatever the client does.
        conn.onPacket = (packet) => {
          if (packet.type !== 'pingreq') return;
          clock.setTimeout(() => {
            if (!alive) return;
            conn.send({ type: 'pingresp' });
            lastFromBroker = clock.now();
          }, 0);
        };
        for (const { step, publish } of steps) {
          if (publish) client.publish('tele/x', 'v');
          clock.advance(step);
        }
        expect(errors).toEqual([]);
        alive = false;
        // Phase 2: silence. Advance to the bound and check the loss was noticed by then.
        clock.advance(lastFromBroker + 1.5 * keepAliveSeconds * 1000 - clock.now());
        expect(errors.map((e) => e.error.code)).toEqual(['keepalive-timeout']);
        expect(errors[0].at - lastFromBroker).toBeLessThanOrEqual(1.5 * keepAliveSeconds * 1000);
        expect(conn.closedByClient).toBe(true);
        expect(client.state).toBe('waiting');
        client.end();
      },
    ), { numRuns: 300 });
  });

  it('keep-alive 0 sends no PINGREQ at all', () => {
    makeClient({ keepAliveSeconds: 0 }).connect();
    net.last.open();
    clock.advance(24 * 3_600_000);
    expect(net.last.ofType('pingreq')).toHaveLength(0);
    expect(clock.pending).toBe(0);
  });
});

describe('reconnect backoff', () => {
  it('doubles from 1 s to a 60 s ceiling, with jitter on top, always inside [min, max]', () => {
    fc.assert(fc.property(fc.array(fc.double({ min: 0, max: 0.999999, noNaN: true }), { minLength: 1, maxLength: 30 }), (draws) => {
      let i = 0;
      const backoff = new Backoff({}, () => draws[i % draws.length]);
      for (i = 0; i < draws.length; i++) {
        const base = Math.min(60_000, 1000 * 2 ** i);
        const delay = backoff.next();
        expect(delay).toBeGreaterThanOrEqual(base);
        expect(delay).toBeLessThanOrEqual(Math.min(60_000, base * 1.5));
      }
    }));
  });

  it('the client waits 1, 2, 4 ... 60 s between failed attempts and starts over after a success', () => {
    const client = makeClient();
    const delays: number[] = [];
    client.on('reconnect', ({ delayMs }) => delays.push(delayMs));
    client.connect();
    for (let attempt = 0; attempt < 9; attempt++) {
      const before = net.connections.length;
      net.last.drop(new Error('connect ECONNREFUSED'));
      const wait = clock.nextTimerIn() as number;
      clock.advance(wait - 1);
      expect(net.connections).toHaveLength(before); // not a millisecond early
      clock.advance(1);
      expect(net.connections).toHaveLength(before + 1);
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000]);
    expect(errors.every((e) => e.error.code === 'connection-lost' && /ECONNREFUSED/.test(e.error.message))).toBe(true);
    net.last.open();
    net.last.drop();
    expect(delays.at(-1)).toBe(1000);
  });

  it('jitter comes from the Random port and is configurable', () => {
    random.byte = 0xff; // ≈ the top of the jitter range
    const client = makeClient({ reconnect: { minDelayMs: 500, maxDelayMs: 5000, jitter: 0.2 } });
    const delays: number[] = [];
    client.on('reconnect', ({ delayMs }) => delays.push(delayMs));
    client.connect();
    for (let i = 0; i < 6; i++) {
      net.last.drop(new Error('EHOSTUNREACH'));
      clock.advance(clock.nextTimerIn() as number);
    }
    expect(delays).toEqual([600, 1200, 2400, 4800, 5000, 5000]);
  });

  it('reconnect: false stops after the first loss', () => {
    const client = makeClient({ reconnect: false }).connect();
    net.last.open();
    net.last.drop();
    clock.advance(3_600_000);
    expect(net.connections).toHaveLength(1);
    expect(client.state).toBe('stopped');
  });
});

describe('connect timeout', () => {
  it('gives up on a broker that accepts TCP but never sends CONNACK, then retries', () => {
    const client = makeClient({ connectTimeoutMs: 5000 }).connect();
    net.last.accept();
    clock.advance(4999);
    expect(errors).toEqual([]);
    clock.advance(1);
    expect(errors.map((e) => e.error.code)).toEqual(['connect-timeout']);
    expect(net.last.closedByClient).toBe(true);
    expect(client.state).toBe('waiting');
    clock.advance(1000);
    expect(net.connections).toHaveLength(2);
  });
});
