// MQTT 3.1.1 packet parser (the reading half of the codec). `PacketParser` turns a stream
// of socket reads into whole packets, whatever way the reads split or join them.
// Anything that is not valid 3.1.1 throws MqttError('malformed-packet'): the caller must
// then drop the connection, because the byte stream can no longer be trusted.
// A PUBLISH over the size limit is not an error of the stream: anyone on the broker can
// send one (a retained one comes back at every connect), so dropping the link would let
// them keep the gateway offline. Its bytes are streamed past without buffering and it
// comes out as a PUBLISH with `oversized` set and no payload, so the client can ack it.

import { MqttError } from './errors.js';
import { MAX_REMAINING_LENGTH, type Packet, type PublishPacket, type QoS, type Subscription } from './packets.js';
import { utf8Decode } from './utf8.js';

const TYPE_NAMES = [
  'reserved(0)', 'CONNECT', 'CONNACK', 'PUBLISH', 'PUBACK', 'PUBREC', 'PUBREL', 'PUBCOMP',
  'SUBSCRIBE', 'SUBACK', 'UNSUBSCRIBE', 'UNSUBACK', 'PINGREQ', 'PINGRESP', 'DISCONNECT', 'reserved(15)',
];

/** Bytes of a skipped PUBLISH's topic kept for the log line. */
const SKIPPED_TOPIC_KEPT = 128;

interface SkipState {
  flags: number;
  qos: number;
  total: number;
  remaining: number;
  stage: 'topicLength' | 'topic' | 'messageId' | 'rest';
  /** Bytes read of the current two-byte field, or of the topic. */
  count: number;
  value: number;
  topicLength: number;
  topic: number[];
  messageId: number | undefined;
}

export class PacketParser {
  /** Fixed header bytes seen so far: type byte + up to 4 remaining-length bytes. */
  private readonly header = new Uint8Array(5);
  private headerLength = 0;
  /** Body being filled when a packet spans reads; null while reading a header. */
  private body: Uint8Array | null = null;
  private bodyFilled = 0;
  private broken: MqttError | null = null;
  /** The oversized PUBLISH being skipped, if any. */
  private skip: SkipState | null = null;

  /** @param maxPacketBytes largest remaining length read; a bigger PUBLISH is skipped, other bigger packets throw before any allocation. */
  constructor(private readonly maxPacketBytes = MAX_REMAINING_LENGTH) {}

  /** Feeds one socket read; returns the packets it completes, in order. */
  push(chunk: Uint8Array): Packet[] {
    if (this.broken) throw this.broken;
    try {
      return this.consume(chunk);
    } catch (error) {
      this.broken = error instanceof MqttError ? error : new MqttError('malformed-packet', String(error));
      throw this.broken;
    }
  }

  private consume(chunk: Uint8Array): Packet[] {
    const packets: Packet[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.skip) {
        at = this.skipBytes(chunk, at, packets);
        continue;
      }
      if (this.body) {
        const take = Math.min(this.body.length - this.bodyFilled, chunk.length - at);
        this.body.set(chunk.subarray(at, at + take), this.bodyFilled);
        this.bodyFilled += take;
        at += take;
        if (this.bodyFilled === this.body.length) {
          packets.push(decodePacket(this.header[0], this.body));
          this.body = null;
          this.headerLength = 0;
        }
        continue;
      }
      const byte = chunk[at++];
      this.header[this.headerLength++] = byte;
      if (this.headerLength === 1) {
        const type = byte >> 4;
        if (type === 0 || type === 15) throw malformed(`reserved packet type ${type}`);
        continue;
      }
      if (byte & 0x80) {
        if (this.headerLength === 5) throw malformed('remaining length longer than 4 bytes');
        continue;
      }
      const length = this.remainingLength();
      if (length > this.maxPacketBytes && this.header[0] >> 4 === 3) {
        const flags = this.header[0] & 0x0f;
        const qos = (flags >> 1) & 3;
        if (qos === 3) throw malformed('PUBLISH with QoS 3');
        this.skip = {
          flags, qos, total: length, remaining: length, stage: 'topicLength', count: 0, value: 0, topicLength: 0, topic: [], messageId: undefined,
        };
        this.headerLength = 0;
        continue;
      }
      if (length > this.maxPacketBytes) {
        throw new MqttError('packet-too-large',
          `${TYPE_NAMES[this.header[0] >> 4]} of ${length} bytes is over the limit of ${this.maxPacketBytes}`);
      }
      if (chunk.length - at >= length) {
        // Whole body inside this read: decode in place, no copy of the frame.
        packets.push(decodePacket(this.header[0], chunk.subarray(at, at + length)));
        at += length;
        this.headerLength = 0;
      } else {
        this.body = new Uint8Array(length);
        this.bodyFilled = 0;
      }
    }
    return packets;
  }

  /** Reads the topic and message id of an oversized PUBLISH, skips the rest; returns the new offset. */
  private skipBytes(chunk: Uint8Array, start: number, packets: Packet[]): number {
    const s = this.skip!;
    let at = start;
    while (at < chunk.length && s.remaining > 0) {
      if (s.stage === 'rest') {
        const take = Math.min(s.remaining, chunk.length - at);
        s.remaining -= take;
        at += take;
        break;
      }
      const byte = chunk[at++];
      s.remaining--;
      if (s.stage === 'topic') {
        if (s.topic.length < SKIPPED_TOPIC_KEPT) s.topic.push(byte);
        if (++s.count === s.topicLength) {
          s.count = 0;
          s.stage = s.qos > 0 ? 'messageId' : 'rest';
        }
        continue;
      }
      s.value = (s.value << 8) | byte;
      if (++s.count < 2) continue;
      const value = s.value;
      s.value = s.count = 0;
      if (s.stage === 'topicLength') {
        s.topicLength = value;
        s.stage = value > 0 ? 'topic' : s.qos > 0 ? 'messageId' : 'rest';
      } else {
        if (value === 0) throw malformed('PUBLISH with message id 0');
        s.messageId = value;
        s.stage = 'rest';
      }
    }
    if (s.remaining === 0) {
      if (s.stage !== 'rest') throw malformed('PUBLISH is shorter than its fields');
      this.skip = null;
      let topic: string;
      try {
        topic = utf8Decode(Uint8Array.from(s.topic));
      } catch {
        topic = '';
      }
      const packet: PublishPacket = {
        type: 'publish', topic, payload: new Uint8Array(0), qos: s.qos as QoS, retain: (s.flags & 1) === 1, dup: (s.flags & 8) !== 0, oversized: s.total,
      };
      if (s.messageId !== undefined) packet.messageId = s.messageId;
      packets.push(packet);
    }
    return at;
  }

  private remainingLength(): number {
    let value = 0;
    let multiplier = 1;
    for (let i = 1; i < this.headerLength; i++) {
      value += (this.header[i] & 0x7f) * multiplier;
      multiplier *= 128;
    }
    return value;
  }
}

/** Decodes one packet from its first byte and its complete body. Payloads are copied out of `body`. */
export function decodePacket(firstByte: number, body: Uint8Array): Packet {
  const type = firstByte >> 4;
  const flags = firstByte & 0x0f;
  const name = TYPE_NAMES[type];
  const r = new Reader(body, name);
  const expectFlags = (want: number) => {
    if (flags !== want) throw malformed(`${name} with reserved flags ${flags.toString(2).padStart(4, '0')}`);
  };
  switch (type) {
    case 1: expectFlags(0); return decodeConnect(r);
    case 2: {
      expectFlags(0);
      const ackFlags = r.byte();
      if (ackFlags & 0xfe) throw malformed('CONNACK with reserved acknowledge flags set');
      const packet: Packet = { type: 'connack', sessionPresent: (ackFlags & 1) === 1, returnCode: r.byte() };
      r.end();
      return packet;
    }
    case 3: return decodePublish(flags, r);
    case 4: { expectFlags(0); const messageId = r.messageId(); r.end(); return { type: 'puback', messageId }; }
    case 8: {
      expectFlags(2);
      const messageId = r.messageId();
      const subscriptions: Subscription[] = [];
      do {
        const topic = r.string();
        const qos = r.byte();
        if (qos > 2) throw malformed(`SUBSCRIBE requested QoS byte ${qos}`);
        subscriptions.push({ topic, qos: qos as QoS });
      } while (!r.atEnd());
      return { type: 'subscribe', messageId, subscriptions };
    }
    case 9: {
      expectFlags(0);
      const messageId = r.messageId();
      const granted: number[] = [];
      while (!r.atEnd()) {
        const code = r.byte();
        if (code > 2 && code !== 0x80) throw malformed(`SUBACK return code ${code}`);
        granted.push(code);
      }
      if (granted.length === 0) throw malformed('SUBACK without return codes');
      return { type: 'suback', messageId, granted };
    }
    case 10: {
      expectFlags(2);
      const messageId = r.messageId();
      const topics: string[] = [];
      do topics.push(r.string()); while (!r.atEnd());
      return { type: 'unsubscribe', messageId, topics };
    }
    case 11: { expectFlags(0); const messageId = r.messageId(); r.end(); return { type: 'unsuback', messageId }; }
    case 12: expectFlags(0); r.end(); return { type: 'pingreq' };
    case 13: expectFlags(0); r.end(); return { type: 'pingresp' };
    case 14: expectFlags(0); r.end(); return { type: 'disconnect' };
    default:
      // PUBREC/PUBREL/PUBCOMP only occur with QoS 2, which this client never asks for.
      throw malformed(`unexpected ${name} packet (QoS 2 is not used by this client)`);
  }
}

function decodePublish(flags: number, r: Reader): Packet {
  const qos = (flags >> 1) & 3;
  if (qos === 3) throw malformed('PUBLISH with QoS 3');
  const dup = (flags & 0x08) !== 0;
  if (qos === 0 && dup) throw malformed('QoS 0 PUBLISH with the DUP flag');
  const topic = r.string();
  const packet: Packet = { type: 'publish', topic, payload: new Uint8Array(0), qos: qos as QoS, retain: (flags & 1) === 1, dup };
  if (qos > 0) packet.messageId = r.messageId();
  packet.payload = r.rest();
  return packet;
}

function decodeConnect(r: Reader): Packet {
  const protocol = r.string();
  const level = r.byte();
  if (protocol !== 'MQTT' || level !== 4) throw malformed(`CONNECT for protocol ${protocol} level ${level}, not MQTT 3.1.1`);
  const flags = r.byte();
  if (flags & 0x01) throw malformed('CONNECT with the reserved flag set');
  const hasWill = (flags & 0x04) !== 0;
  const willQos = (flags >> 3) & 3;
  if (!hasWill && (willQos !== 0 || flags & 0x20)) throw malformed('CONNECT with Will QoS/retain but no Will');
  if (willQos === 3) throw malformed('CONNECT with Will QoS 3');
  if (flags & 0x40 && !(flags & 0x80)) throw malformed('CONNECT with a password but no user name');
  const keepAlive = r.u16();
  const packet: Packet = { type: 'connect', clientId: r.string(), cleanSession: (flags & 0x02) !== 0, keepAlive };
  if (hasWill) packet.will = { topic: r.string(), payload: r.binary(), qos: willQos as QoS, retain: (flags & 0x20) !== 0 };
  if (flags & 0x80) packet.username = r.string();
  if (flags & 0x40) packet.password = r.binary();
  r.end();
  return packet;
}

/** Bounds-checked reads over one packet body; running past the end is a malformed packet. */
class Reader {
  private at = 0;
  constructor(private readonly body: Uint8Array, private readonly name: string) {}
  byte(): number {
    if (this.at >= this.body.length) throw malformed(`${this.name} is shorter than its fields`);
    return this.body[this.at++];
  }
  u16(): number {
    return (this.byte() << 8) | this.byte();
  }
  messageId(): number {
    const id = this.u16();
    if (id === 0) throw malformed(`${this.name} with message id 0`);
    return id;
  }
  string(): string {
    const length = this.u16();
    if (this.at + length > this.body.length) throw malformed(`${this.name} string runs past the packet end`);
    const text = utf8Decode(this.body, this.at, this.at + length);
    this.at += length;
    return text;
  }
  binary(): Uint8Array {
    const length = this.u16();
    if (this.at + length > this.body.length) throw malformed(`${this.name} field runs past the packet end`);
    const bytes = this.body.slice(this.at, this.at + length);
    this.at += length;
    return bytes;
  }
  rest(): Uint8Array {
    const bytes = this.body.slice(this.at);
    this.at = this.body.length;
    return bytes;
  }
  atEnd(): boolean { return this.at >= this.body.length; }
  end(): void {
    if (this.at !== this.body.length) throw malformed(`${this.name} has ${this.body.length - this.at} bytes past its fields`);
  }
}

function malformed(message: string): MqttError {
  return new MqttError('malformed-packet', `malformed packet from broker: ${message}`);
}
