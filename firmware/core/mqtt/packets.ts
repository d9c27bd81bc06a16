// MQTT 3.1.1 packet model and generator (the writing half; parser.ts is the reading half,
// the same split mqtt-packet uses). Packets are plain objects so tests can compare them
// with mqtt-packet's and the client can build them without classes.

import { MqttError } from './errors.js';
import { utf8Length, utf8Write } from './utf8.js';

export type QoS = 0 | 1 | 2;

/** Largest remaining length the 4-byte variable-length encoding can express (§2.2.3). */
export const MAX_REMAINING_LENGTH = 268_435_455;

export const PACKET_TYPE = {
  connect: 1, connack: 2, publish: 3, puback: 4, pubrec: 5, pubrel: 6, pubcomp: 7,
  subscribe: 8, suback: 9, unsubscribe: 10, unsuback: 11, pingreq: 12, pingresp: 13, disconnect: 14,
} as const;

export interface WillMessage {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
}

export interface ConnectPacket {
  type: 'connect';
  clientId: string;
  cleanSession: boolean;
  /** Seconds; 0 turns keep-alive off. */
  keepAlive: number;
  username?: string;
  password?: Uint8Array;
  will?: WillMessage;
}
export interface ConnackPacket { type: 'connack'; sessionPresent: boolean; returnCode: number }
export interface PublishPacket {
  type: 'publish';
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  dup: boolean;
  /** Present exactly when qos > 0. */
  messageId?: number;
  /**
   * Set by the parser on a PUBLISH over its size limit: the packet's length in bytes.
   * Its payload was skipped, not read (empty here), and `topic` may be cut short.
   */
  oversized?: number;
}
export interface PubackPacket { type: 'puback'; messageId: number }
export interface Subscription { topic: string; qos: QoS }
export interface SubscribePacket { type: 'subscribe'; messageId: number; subscriptions: Subscription[] }
/** `granted` holds the granted QoS per filter, or 0x80 for a refused one. */
export interface SubackPacket { type: 'suback'; messageId: number; granted: number[] }
export interface UnsubscribePacket { type: 'unsubscribe'; messageId: number; topics: string[] }
export interface UnsubackPacket { type: 'unsuback'; messageId: number }
export interface PingreqPacket { type: 'pingreq' }
export interface PingrespPacket { type: 'pingresp' }
export interface DisconnectPacket { type: 'disconnect' }

export type Packet =
  | ConnectPacket | ConnackPacket | PublishPacket | PubackPacket
  | SubscribePacket | SubackPacket | UnsubscribePacket | UnsubackPacket
  | PingreqPacket | PingrespPacket | DisconnectPacket;

/** Bytes the remaining-length field takes for `length`. */
export function remainingLengthSize(length: number): number {
  if (!Number.isInteger(length) || length < 0 || length > MAX_REMAINING_LENGTH) {
    throw new MqttError('invalid-packet', `remaining length ${length} is outside 0..${MAX_REMAINING_LENGTH}`);
  }
  return length < 128 ? 1 : length < 16_384 ? 2 : length < 2_097_152 ? 3 : 4;
}

/** Writes the variable-length remaining length at `offset`; returns the offset after it. */
export function writeRemainingLength(length: number, out: Uint8Array, offset: number): number {
  let value = length;
  let at = offset;
  do {
    let digit = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) digit |= 0x80;
    out[at++] = digit;
  } while (value > 0);
  return at;
}

/** Serialises one packet into a fresh byte array. Throws MqttError('invalid-packet') on spec violations. */
export function encodePacket(packet: Packet): Uint8Array {
  switch (packet.type) {
    case 'connect': return encodeConnect(packet);
    case 'connack':
      checkByte(packet.returnCode, 'CONNACK return code');
      return new Uint8Array([0x20, 2, packet.sessionPresent ? 1 : 0, packet.returnCode]);
    case 'publish': return encodePublish(packet);
    case 'puback': return encodeIdOnly(0x40, packet.messageId);
    case 'subscribe': return encodeSubscribe(packet);
    case 'suback': return encodeSuback(packet);
    case 'unsubscribe': return encodeUnsubscribe(packet);
    case 'unsuback': return encodeIdOnly(0xb0, packet.messageId);
    case 'pingreq': return new Uint8Array([0xc0, 0]);
    case 'pingresp': return new Uint8Array([0xd0, 0]);
    case 'disconnect': return new Uint8Array([0xe0, 0]);
    default: {
      const unknown: { type?: unknown } = packet;
      throw new MqttError('invalid-packet', `cannot encode packet type ${String(unknown.type)}`);
    }
  }
}

/** Encodes a PUBLISH whose topic is already UTF-8: the client's hot path avoids re-encoding. */
export function encodePublishBytes(
  topic: Uint8Array, payload: Uint8Array, qos: QoS, retain: boolean, dup: boolean, messageId?: number,
): Uint8Array {
  if (qos !== 0 && qos !== 1 && qos !== 2) throw new MqttError('invalid-packet', `QoS ${String(qos)} is not 0, 1 or 2`);
  if (qos > 0) checkMessageId(messageId);
  if (topic.length > 0xffff) throw new MqttError('invalid-packet', `topic is ${topic.length} bytes; MQTT strings hold at most 65535`);
  const length = 2 + topic.length + (qos > 0 ? 2 : 0) + payload.length;
  const out = new Uint8Array(1 + remainingLengthSize(length) + length);
  out[0] = 0x30 | (dup ? 0x08 : 0) | (qos << 1) | (retain ? 1 : 0);
  let at = writeRemainingLength(length, out, 1);
  out[at++] = topic.length >> 8;
  out[at++] = topic.length & 0xff;
  out.set(topic, at);
  at += topic.length;
  if (qos > 0) {
    out[at++] = (messageId as number) >> 8;
    out[at++] = (messageId as number) & 0xff;
  }
  out.set(payload, at);
  return out;
}

function encodePublish(p: PublishPacket): Uint8Array {
  if (p.qos === 0 && p.messageId !== undefined) throw new MqttError('invalid-packet', 'a QoS 0 PUBLISH has no message id');
  const topic = new Uint8Array(stringLength(p.topic, 'topic') - 2);
  utf8Write(p.topic, topic, 0);
  return encodePublishBytes(topic, p.payload, p.qos, p.retain, p.dup, p.messageId);
}

function encodeConnect(p: ConnectPacket): Uint8Array {
  if (!Number.isInteger(p.keepAlive) || p.keepAlive < 0 || p.keepAlive > 0xffff) {
    throw new MqttError('invalid-packet', `keep-alive ${p.keepAlive} is outside 0..65535 seconds`);
  }
  if (p.password !== undefined && p.username === undefined) {
    throw new MqttError('invalid-packet', 'MQTT 3.1.1 sends a password only together with a user name');
  }
  let length = 6 + 1 + 1 + 2 + stringLength(p.clientId, 'client id');
  if (p.will) {
    checkQos(p.will.qos, 'Will');
    length += stringLength(p.will.topic, 'Will topic') + binaryLength(p.will.payload, 'Will payload');
  }
  if (p.username !== undefined) length += stringLength(p.username, 'user name');
  if (p.password !== undefined) length += binaryLength(p.password, 'password');
  let flags = p.cleanSession ? 0x02 : 0;
  if (p.will) flags |= 0x04 | (p.will.qos << 3) | (p.will.retain ? 0x20 : 0);
  if (p.password !== undefined) flags |= 0x40;
  if (p.username !== undefined) flags |= 0x80;

  const w = new Writer(0x10, length);
  w.string('MQTT');
  w.byte(4); // protocol level 4 = MQTT 3.1.1
  w.byte(flags);
  w.u16(p.keepAlive);
  w.string(p.clientId);
  if (p.will) {
    w.string(p.will.topic);
    w.binary(p.will.payload);
  }
  if (p.username !== undefined) w.string(p.username);
  if (p.password !== undefined) w.binary(p.password);
  return w.done();
}

function encodeSubscribe(p: SubscribePacket): Uint8Array {
  checkMessageId(p.messageId);
  if (p.subscriptions.length === 0) throw new MqttError('invalid-packet', 'SUBSCRIBE needs at least one topic filter');
  let length = 2;
  for (const s of p.subscriptions) {
    checkQos(s.qos, 'subscription');
    length += stringLength(s.topic, 'topic filter') + 1;
  }
  const w = new Writer(0x82, length);
  w.u16(p.messageId);
  for (const s of p.subscriptions) {
    w.string(s.topic);
    w.byte(s.qos);
  }
  return w.done();
}

function encodeSuback(p: SubackPacket): Uint8Array {
  checkMessageId(p.messageId);
  const w = new Writer(0x90, 2 + p.granted.length);
  w.u16(p.messageId);
  for (const code of p.granted) {
    if (code !== 0 && code !== 1 && code !== 2 && code !== 0x80) {
      throw new MqttError('invalid-packet', `SUBACK return code ${code} is not 0, 1, 2 or 0x80`);
    }
    w.byte(code);
  }
  return w.done();
}

function encodeUnsubscribe(p: UnsubscribePacket): Uint8Array {
  checkMessageId(p.messageId);
  if (p.topics.length === 0) throw new MqttError('invalid-packet', 'UNSUBSCRIBE needs at least one topic filter');
  let length = 2;
  for (const t of p.topics) length += stringLength(t, 'topic filter');
  const w = new Writer(0xa2, length);
  w.u16(p.messageId);
  for (const t of p.topics) w.string(t);
  return w.done();
}

function encodeIdOnly(firstByte: number, messageId: number): Uint8Array {
  checkMessageId(messageId);
  return new Uint8Array([firstByte, 2, messageId >> 8, messageId & 0xff]);
}

/** Fixed header first, then fields in order into one exactly sized array. */
class Writer {
  private readonly out: Uint8Array;
  private at: number;
  constructor(firstByte: number, length: number) {
    this.out = new Uint8Array(1 + remainingLengthSize(length) + length);
    this.out[0] = firstByte;
    this.at = writeRemainingLength(length, this.out, 1);
  }
  byte(value: number): void { this.out[this.at++] = value; }
  u16(value: number): void {
    this.out[this.at++] = value >> 8;
    this.out[this.at++] = value & 0xff;
  }
  string(text: string): void {
    const start = this.at;
    this.at = utf8Write(text, this.out, start + 2);
    const length = this.at - start - 2;
    this.out[start] = length >> 8;
    this.out[start + 1] = length & 0xff;
  }
  binary(bytes: Uint8Array): void {
    this.u16(bytes.length);
    this.out.set(bytes, this.at);
    this.at += bytes.length;
  }
  done(): Uint8Array { return this.out; }
}

/** Length of a length-prefixed UTF-8 string field, prefix included. */
function stringLength(text: string, what: string): number {
  if (typeof text !== 'string') throw new MqttError('invalid-packet', `${what} must be a string`);
  const length = utf8Length(text);
  if (length > 0xffff) throw new MqttError('invalid-packet', `${what} is ${length} bytes; MQTT strings hold at most 65535`);
  return 2 + length;
}

function binaryLength(bytes: Uint8Array, what: string): number {
  if (!(bytes instanceof Uint8Array)) throw new MqttError('invalid-packet', `${what} must be bytes`);
  if (bytes.length > 0xffff) throw new MqttError('invalid-packet', `${what} is ${bytes.length} bytes; at most 65535`);
  return 2 + bytes.length;
}

function checkMessageId(id: number | undefined): void {
  if (!Number.isInteger(id) || (id as number) < 1 || (id as number) > 0xffff) {
    throw new MqttError('invalid-packet', `message id ${String(id)} is outside 1..65535`);
  }
}

function checkQos(qos: number, what: string): void {
  if (qos !== 0 && qos !== 1 && qos !== 2) throw new MqttError('invalid-packet', `${what} QoS ${String(qos)} is not 0, 1 or 2`);
}

function checkByte(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 255) throw new MqttError('invalid-packet', `${what} ${value} is not a byte`);
}
