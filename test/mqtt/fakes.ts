// A controllable clock and an in-memory Net for driving the client's timing logic
// (keep-alive, backoff, timeouts) without sleeping. The test plays the broker; packets the
// client writes are decoded by mqtt-packet, not by our own parser.

import mqttPacket from 'mqtt-packet';
import type { Clock, Net, Random, TcpConnectOptions, TcpSocketEvents, TimerHandle } from '../../firmware/core/host.js';
import type { Packet } from '../../firmware/core/mqtt/packets.js';
import { fromOracle, oracleGenerate } from './oracle.js';

export class FakeClock implements Clock {
  private time = 1_000_000;
  private timers = new Map<number, { at: number; callback: () => void }>();
  private nextId = 1;

  now(): number { return this.time; }
  setTimeout(callback: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + Math.max(0, ms), callback });
    return id;
  }
  clearTimeout(handle: TimerHandle): void { this.timers.delete(handle as number); }
  get pending(): number { return this.timers.size; }

  /** Moves time forward by `ms`, firing due timers in time order (ties in creation order). */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let nextId: number | undefined;
      let next: { at: number; callback: () => void } | undefined;
      for (const [id, t] of this.timers) {
        if (t.at <= end && (!next || t.at < next.at)) { next = t; nextId = id; }
      }
      if (!next || nextId === undefined) break;
      this.timers.delete(nextId);
      this.time = next.at;
      next.callback();
    }
    this.time = end;
  }

  /** Time until the earliest timer, or undefined when none is set. */
  nextTimerIn(): number | undefined {
    let min: number | undefined;
    for (const t of this.timers.values()) if (min === undefined || t.at < min) min = t.at;
    return min === undefined ? undefined : min - this.time;
  }
}

/** Deterministic "random" bytes: a fixed value, so jitter is known. */
export class FixedRandom implements Random {
  constructor(public byte = 0) {}
  bytes(count: number): Uint8Array { return new Uint8Array(count).fill(this.byte); }
}

export class FakeConnection {
  readonly received: Packet[] = [];
  closedByClient = false;
  ended = false;
  private parser = mqttPacket.parser({ protocolVersion: 4 });
  /** Lets a test broker react to each packet the client writes. */
  onPacket?: (packet: Packet) => void;

  constructor(readonly options: TcpConnectOptions, private readonly events: TcpSocketEvents) {
    this.parser.on('packet', (o) => {
      const packet = fromOracle(o as unknown as Record<string, unknown>);
      this.received.push(packet);
      this.onPacket?.(packet);
    });
    this.parser.on('error', (e) => { throw e; });
  }
  /** The TCP (and TLS) handshake completes. */
  accept(): void { this.events.onConnect(); }
  send(packet: Packet): void { this.events.onData(oracleGenerate(packet)); }
  sendBytes(bytes: number[] | Uint8Array): void { this.events.onData(new Uint8Array(bytes)); }
  /** The network or broker drops the connection. */
  drop(error?: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.events.onClose(error);
  }
  /** accept + CONNACK 0. */
  open(sessionPresent = false): void {
    this.accept();
    this.send({ type: 'connack', sessionPresent, returnCode: 0 });
  }
  write(bytes: Uint8Array): void {
    if (this.ended) throw new Error('client wrote to a closed socket');
    this.parser.parse(Buffer.from(bytes));
  }
  ofType<T extends Packet['type']>(type: T): Extract<Packet, { type: T }>[] {
    return this.received.filter((p): p is Extract<Packet, { type: T }> => p.type === type);
  }
}

export class FakeNet implements Net {
  readonly connections: FakeConnection[] = [];
  connectTcp(options: TcpConnectOptions, events: TcpSocketEvents) {
    const conn = new FakeConnection(options, events);
    this.connections.push(conn);
    return {
      write: (bytes: Uint8Array) => conn.write(bytes),
      close: () => { conn.closedByClient = true; conn.ended = true; },
    };
  }
  get last(): FakeConnection {
    const conn = this.connections.at(-1);
    if (!conn) throw new Error('no connection attempt yet');
    return conn;
  }
}
