// The MQTT 3.1.1 client the gateway publishes through. It owns one connection at a time
// over the Net port and keeps what must survive a loss: the offline queue, the QoS 1
// messages awaiting PUBACK, and the subscriptions. Timers come from the Clock port only,
// so tests drive keep-alive and backoff with a fake clock.

import type { TcpSocket, TimerHandle } from '../host.js';
import { Backoff } from './backoff.js';
import { Emitter } from './emitter.js';
import { MqttConnectionRefusedError, MqttError } from './errors.js';
import { type MqttClientOptions, type ResolvedOptions, resolveOptions } from './options.js';
import { encodePacket, encodePublishBytes, type Packet, type PublishPacket, type QoS } from './packets.js';
import { PacketParser } from './parser.js';
import { BoundedQueue } from './queue.js';
import { KeepAlive } from './keepalive.js';
import { type MessageHandler, type SubackCallback, SubscriptionTable } from './subscriptions.js';
import type {
  DeliveryCallback, MqttClientEvents, MqttClientPorts, MqttClientState, PublishOptions, SubscribeOptions,
} from './types.js';
import { validateTopicFilter, validateTopicName } from './topic.js';
import { utf8Encode } from './utf8.js';

export type {
  DeliveryCallback, MessageHandler, MqttClientEvents, MqttClientPorts, MqttClientState, PublishOptions, SubackCallback, SubscribeOptions,
};

interface OutgoingMessage {
  topic: Uint8Array;
  payload: Uint8Array;
  qos: 0 | 1;
  retain: boolean;
  callback?: DeliveryCallback;
  messageId?: number;
}

/** One socket's lifetime; events from an older one are ignored. */
interface Connection { socket?: TcpSocket; closed: boolean; connackReceived: boolean; parser: PacketParser }

export class MqttClient extends Emitter<MqttClientEvents> {
  readonly options: ResolvedOptions;
  readonly clientId: string;
  private currentState: MqttClientState = 'idle';
  private conn: Connection | undefined;
  private readonly backoff: Backoff | undefined;
  private readonly queue: BoundedQueue<OutgoingMessage>;
  /** QoS 1 messages written and not acknowledged, in send order (Map keeps insertion order). */
  private readonly inflight = new Map<number, OutgoingMessage>();
  private readonly pendingAcks = new Map<number, (packet: Packet) => void>();
  private readonly subscriptions = new SubscriptionTable();
  private readonly keepAlive: KeepAlive;
  private nextMessageId = 1;
  private connectTimer: TimerHandle | undefined;
  private reconnectTimer: TimerHandle | undefined;
  /** dropped: by the offline queue; unsent: still queued or unacknowledged at end(); oversized: incoming messages skipped. */
  private counters = { dropped: 0, published: 0, received: 0, connects: 0, unsent: 0, oversized: 0 };

  constructor(private readonly ports: MqttClientPorts, options: MqttClientOptions) {
    super();
    this.options = resolveOptions(options);
    this.clientId = this.options.clientId ?? `mi32-${hex(ports.random.bytes(6))}`;
    const random = () => {
      const b = ports.random.bytes(4);
      return (((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0) / 4_294_967_296;
    };
    this.backoff = this.options.reconnect === false ? undefined : new Backoff(this.options.reconnect, random);
    this.queue = new BoundedQueue(this.options.queueMaxMessages, this.options.queueMaxBytes, messageSize);
    this.keepAlive = new KeepAlive(ports.clock, this.options.keepAliveSeconds * 1000,
      () => this.write(encodePacket({ type: 'pingreq' })),
      (waitedMs) => {
        if (this.conn) this.fail(this.conn, new MqttError('keepalive-timeout', `no PINGRESP from ${this.brokerName()} within ${waitedMs} ms`));
      });
  }

  get state(): MqttClientState { return this.currentState; }
  get connected(): boolean { return this.currentState === 'connected'; }
  get stats() {
    return { ...this.counters, queued: this.queue.length, queuedBytes: this.queue.bytes, inflight: this.inflight.size };
  }

  /** Starts connecting (and reconnecting after any loss). Also restarts a client stopped by a refusal. */
  connect(): this {
    if (this.currentState === 'ended') throw new MqttError('client-ended', 'this client was ended; create a new one');
    if (this.currentState === 'idle' || this.currentState === 'stopped') this.open();
    return this;
  }

  /**
   * Publishes now when connected, else queues. Bad input throws MqttError and changes nothing;
   * later outcomes (PUBACK, dropped from the queue, end()) arrive through `callback`.
   */
  publish(topic: string, payload: string | Uint8Array, options: PublishOptions = {}, callback?: DeliveryCallback): void {
    if (this.currentState === 'ended') throw new MqttError('client-ended', 'publish after end()');
    validateTopicName(topic);
    const qos = options.qos ?? 0;
    if (qos !== 0 && qos !== 1) throw new MqttError('invalid-options', `QoS ${String(qos)} is not supported; use 0 or 1`);
    let bytes: Uint8Array;
    if (typeof payload === 'string') bytes = utf8Encode(payload);
    else if (payload instanceof Uint8Array) bytes = payload.slice(); // the caller may reuse its buffer
    else throw new MqttError('invalid-payload', `payload must be a string or Uint8Array, got ${typeof payload}`);
    if (bytes.length > this.options.maxPayloadBytes) {
      throw new MqttError('payload-too-large', `payload of ${bytes.length} bytes is over the limit of ${this.options.maxPayloadBytes}`);
    }
    const message: OutgoingMessage = { topic: utf8Encode(topic), payload: bytes, qos, retain: options.retain === true, callback };
    if (messageSize(message) > this.queue.maxBytes) {
      // Could never wait in the queue, so it could be lost on the first disconnect.
      throw new MqttError('payload-too-large', `topic + payload (${messageSize(message)} bytes) is over queue.maxBytes (${this.queue.maxBytes})`);
    }
    if (this.currentState === 'connected' && this.queue.length === 0 && (qos === 0 || this.inflight.size < this.options.maxInflight)) {
      this.send(message);
    } else {
      this.enqueue(message);
    }
  }

  /** Subscribes `handler` to `filter` (+ and # allowed). Kept across reconnects. */
  subscribe(filter: string, handler: MessageHandler, options: SubscribeOptions = {}): void {
    if (this.currentState === 'ended') throw new MqttError('client-ended', 'subscribe after end()');
    validateTopicFilter(filter);
    const qos = options.qos ?? 0;
    if (qos !== 0 && qos !== 1) throw new MqttError('invalid-options', `subscription QoS ${String(qos)} is not supported; use 0 or 1`);
    const mustSend = this.subscriptions.add(filter, handler, qos, options.onSuback);
    if (mustSend && this.currentState === 'connected') this.sendSubscribe(filter);
  }

  /** Removes `handler` (or all handlers) from `filter`; the broker is told once none is left. */
  unsubscribe(filter: string, handler?: MessageHandler): void {
    if (this.subscriptions.remove(filter, handler, this.currentState === 'connected')) this.sendUnsubscribe(filter);
  }

  /** Disconnects cleanly (DISCONNECT, so no Will) and stops. Undelivered messages get a 'client-ended' error. */
  end(): void {
    if (this.currentState === 'ended') return;
    const wasConnected = this.currentState === 'connected';
    this.currentState = 'ended';
    const conn = this.conn;
    this.detach();
    if (conn?.socket) {
      if (wasConnected) conn.socket.write(encodePacket({ type: 'disconnect' }));
      conn.socket.close();
    }
    const error = new MqttError('client-ended', 'client ended before the message was delivered');
    const undelivered = [...this.inflight.values(), ...this.queue.drain()];
    this.counters.unsent += undelivered.length;
    for (const message of undelivered) message.callback?.(error);
    this.inflight.clear();
    this.pendingAcks.clear();
    this.subscriptions.clearWaiters();
    if (wasConnected) this.emit('close');
  }

  // ---- connection lifecycle ----

  private open(): void {
    this.currentState = 'connecting';
    const conn: Connection = { closed: false, connackReceived: false, parser: new PacketParser(this.options.maxIncomingPacketBytes) };
    this.conn = conn;
    const { host, port, tls } = this.options;
    this.connectTimer = this.ports.clock.setTimeout(() => {
      this.connectTimer = undefined;
      this.fail(conn, new MqttError('connect-timeout', `no CONNACK from ${this.brokerName()} within ${this.options.connectTimeoutMs} ms`));
    }, this.options.connectTimeoutMs);
    try {
      const socket = this.ports.net.connectTcp({ host, port, tls }, {
        onConnect: () => { if (conn === this.conn) this.sendConnect(); },
        onData: (bytes) => this.onData(conn, bytes),
        onClose: (error) => this.onSocketClose(conn, error),
      });
      if (conn.closed) socket.close(); // closed synchronously inside connectTcp
      else conn.socket = socket;
    } catch (error) {
      this.onSocketClose(conn, error instanceof Error ? error : new Error(String(error)));
    }
  }

  private sendConnect(): void {
    const o = this.options;
    const will = o.will && {
      topic: o.will.topic,
      payload: typeof o.will.payload === 'string' ? utf8Encode(o.will.payload) : o.will.payload,
      qos: (o.will.qos ?? 0) as QoS,
      retain: o.will.retain === true,
    };
    const password = typeof o.password === 'string' ? utf8Encode(o.password) : o.password;
    this.write(encodePacket({
      type: 'connect', clientId: this.clientId, cleanSession: o.cleanSession, keepAlive: o.keepAliveSeconds,
      username: o.username, password, will,
    }));
  }

  private onData(conn: Connection, bytes: Uint8Array): void {
    if (conn !== this.conn) return;
    this.keepAlive.received();
    let packets: Packet[];
    try {
      packets = conn.parser.push(bytes);
    } catch (error) {
      this.fail(conn, error as MqttError);
      return;
    }
    for (const packet of packets) {
      if (conn !== this.conn) return; // a packet before this one ended the connection
      this.counters.received++;
      this.onPacket(conn, packet);
    }
  }

  private onPacket(conn: Connection, packet: Packet): void {
    if (!conn.connackReceived && packet.type !== 'connack') {
      this.fail(conn, protocolError(`${packet.type.toUpperCase()} before CONNACK`));
      return;
    }
    switch (packet.type) {
      case 'connack': return this.onConnack(conn, packet.returnCode, packet.sessionPresent);
      case 'publish': return this.onIncomingPublish(conn, packet);
      case 'puback': {
        const message = this.inflight.get(packet.messageId);
        if (!message) return; // an ack for a message already given up on: nothing to do
        this.inflight.delete(packet.messageId);
        message.callback?.();
        return this.pump();
      }
      case 'suback':
      case 'unsuback': {
        const onAck = this.pendingAcks.get(packet.messageId);
        this.pendingAcks.delete(packet.messageId);
        return onAck?.(packet);
      }
      case 'pingresp':
        this.keepAlive.pingResponse();
        return;
      default:
        return this.fail(conn, protocolError(`a broker must not send ${packet.type.toUpperCase()}`));
    }
  }

  private onConnack(conn: Connection, returnCode: number, sessionPresent: boolean): void {
    if (conn.connackReceived) return this.fail(conn, protocolError('second CONNACK'));
    conn.connackReceived = true;
    this.clearTimer('connectTimer');
    if (returnCode !== 0) {
      const error = new MqttConnectionRefusedError(returnCode);
      // Only "server unavailable" can fix itself; bad credentials or a rejected id would
      // just be refused again, so the client stops until connect() is called once more.
      const retry = returnCode === 3;
      if (!retry) this.currentState = 'stopped';
      this.fail(conn, error);
      return;
    }
    this.currentState = 'connected';
    this.counters.connects++;
    this.backoff?.reset();
    // Unacknowledged QoS 1 messages go first, flagged DUP, in their original order (§4.4).
    // Before the 'connect' listeners run: what they publish is new, and must not be sent
    // a second time as a DUP (that was the doubled LWT "Online" on every first connect).
    for (const [messageId, m] of this.inflight) this.write(encodePublishBytes(m.topic, m.payload, 1, m.retain, true, messageId));
    // A new session knows none of our filters; a resumed one lacks those changed meanwhile.
    const { subscribe, unsubscribe } = this.subscriptions.forNewSession(sessionPresent);
    this.emit('connect', { sessionPresent });
    if (conn !== this.conn) return; // a listener ended the client
    subscribe.forEach((filter) => this.sendSubscribe(filter));
    unsubscribe.forEach((filter) => this.sendUnsubscribe(filter));
    this.pump();
    if (conn === this.conn) this.keepAlive.start();
  }

  private onIncomingPublish(conn: Connection, packet: PublishPacket): void {
    if (packet.qos === 2) return this.fail(conn, protocolError('QoS 2 PUBLISH, but this client subscribes with QoS 0 or 1 only'));
    if (packet.oversized !== undefined) {
      // Skipped by the parser; the link stays up. Acked so the broker does not resend it forever.
      this.counters.oversized++;
      this.ports.log?.warn(`mqtt: ignored a message of ${packet.oversized} bytes on "${packet.topic}": over the limit of ${this.options.maxIncomingPacketBytes} bytes`);
      if (packet.qos === 1) this.write(encodePacket({ type: 'puback', messageId: packet.messageId as number }));
      return;
    }
    if (packet.topic.length === 0 || packet.topic.includes('+') || packet.topic.includes('#')) {
      return this.fail(conn, protocolError(`PUBLISH to invalid topic "${packet.topic}"`));
    }
    this.subscriptions.dispatch(packet, (filter, error) => this.onListenerError(`message handler for ${filter}`, error));
    this.emit('message', packet.topic, packet.payload, packet);
    if (packet.qos === 1 && conn === this.conn) this.write(encodePacket({ type: 'puback', messageId: packet.messageId as number }));
  }

  private onSocketClose(conn: Connection, cause?: Error): void {
    if (conn.closed) return;
    const why = cause ? `: ${cause.message}` : ' by the broker';
    const error = new MqttError('connection-lost', `connection to ${this.brokerName()} closed${why}`, { cause });
    conn.closed = true;
    this.lost(conn, error);
  }

  /** Ends `conn` because of `error` (protocol error, timeout, refusal) and reconnects unless stopped. */
  private fail(conn: Connection, error: MqttError): void {
    if (conn.closed) return;
    conn.closed = true;
    conn.socket?.close();
    this.lost(conn, error);
  }

  private lost(conn: Connection, error: MqttError): void {
    if (conn !== this.conn) return;
    const wasConnected = this.currentState === 'connected';
    this.detach();
    this.emit('error', error);
    if (wasConnected) this.emit('close', error);
    if (this.currentState === 'ended' || this.currentState === 'stopped') return;
    if (!this.backoff) {
      this.currentState = 'stopped';
      return;
    }
    const delayMs = this.backoff.next();
    this.currentState = 'waiting';
    this.reconnectTimer = this.ports.clock.setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.currentState === 'waiting') this.open();
    }, delayMs);
    this.emit('reconnect', { attempt: this.backoff.attempts, delayMs });
  }

  /** Forgets the current connection and its timers; messages and subscriptions stay. */
  private detach(): void {
    if (this.conn) this.conn.closed = true;
    this.conn = undefined;
    this.clearTimer('connectTimer');
    this.clearTimer('reconnectTimer');
    this.keepAlive.stop();
    // SUBACK/UNSUBACK can no longer arrive; subscriptions are re-sent on the next CONNACK.
    this.pendingAcks.clear();
  }

  // ---- sending ----

  private enqueue(message: OutgoingMessage): void {
    const dropped = this.queue.push(message);
    if (dropped.length === 0) return;
    this.counters.dropped += dropped.length;
    const error = new MqttError('queue-overflow', `offline queue full (${this.queue.maxItems} messages / ${this.queue.maxBytes} bytes); oldest message dropped`);
    for (const old of dropped) old.callback?.(error);
    this.emit('drop', dropped.length);
  }

  /** Sends queued messages while the connection and the in-flight window allow. */
  private pump(): void {
    while (this.currentState === 'connected') {
      const next = this.queue.peek();
      if (!next || (next.qos === 1 && this.inflight.size >= this.options.maxInflight)) return;
      this.queue.shift();
      this.send(next);
    }
  }

  private send(message: OutgoingMessage): void {
    this.counters.published++;
    if (message.qos === 0) {
      this.write(encodePublishBytes(message.topic, message.payload, 0, message.retain, false));
      message.callback?.();
      return;
    }
    const messageId = this.allocateMessageId();
    message.messageId = messageId;
    this.inflight.set(messageId, message);
    this.write(encodePublishBytes(message.topic, message.payload, 1, message.retain, false, messageId));
  }

  /** One SUBSCRIBE per filter: SUBACK codes then map to filters without bookkeeping. */
  private sendSubscribe(filter: string): void {
    const qos = this.subscriptions.qosOf(filter);
    if (qos === undefined) return;
    const messageId = this.allocateMessageId();
    this.pendingAcks.set(messageId, (packet) => {
      if (packet.type !== 'suback') return;
      const refused = this.subscriptions.onSuback(filter, qos, packet.granted[0]);
      if (refused) this.emit('error', refused);
    });
    this.write(encodePacket({ type: 'subscribe', messageId, subscriptions: [{ topic: filter, qos }] }));
  }

  private sendUnsubscribe(filter: string): void {
    const messageId = this.allocateMessageId();
    this.pendingAcks.set(messageId, () => {});
    this.write(encodePacket({ type: 'unsubscribe', messageId, topics: [filter] }));
  }

  private write(bytes: Uint8Array): void {
    const socket = this.conn?.socket;
    if (!socket) return;
    this.keepAlive.sent();
    socket.write(bytes);
  }

  /** Next free message id in 1..65535; ids of unacknowledged packets are skipped. */
  private allocateMessageId(): number {
    for (;;) {
      const id = this.nextMessageId;
      this.nextMessageId = id === 0xffff ? 1 : id + 1;
      if (!this.inflight.has(id) && !this.pendingAcks.has(id)) return id;
    }
  }

  private clearTimer(name: 'connectTimer' | 'reconnectTimer'): void {
    const handle = this[name];
    if (handle !== undefined) this.ports.clock.clearTimeout(handle);
    this[name] = undefined;
  }

  private brokerName(): string {
    return `${this.options.tls ? 'mqtts' : 'mqtt'}://${this.options.host}:${this.options.port}`;
  }

  protected override onListenerError(where: string, error: unknown): void {
    this.ports.log?.error(`mqtt: ${where} threw: ${error instanceof Error ? error.message : String(error)}`);
  }

  protected override emit<K extends keyof MqttClientEvents>(event: K, ...args: MqttClientEvents[K]): boolean {
    const heard = super.emit(event, ...args);
    if (event === 'error' && !heard) this.ports.log?.warn(`mqtt: ${(args[0] as MqttError).message}`);
    return heard;
  }
}

function messageSize(message: OutgoingMessage): number {
  return message.topic.length + message.payload.length + 4;
}

function protocolError(message: string): MqttError {
  return new MqttError('protocol-error', `protocol error from broker: ${message}`);
}

function hex(bytes: Uint8Array): string {
  let text = '';
  for (const b of bytes) text += b.toString(16).padStart(2, '0');
  return text;
}
