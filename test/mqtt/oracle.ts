// Translation between our packet objects and mqtt-packet's, so mqtt-packet can serve as
// the independent oracle for the codec tests.

import mqttPacket from 'mqtt-packet';
import type { Packet, QoS } from '../../firmware/core/mqtt/packets.js';

type Oracle = Record<string, any>;

/** Our packet → the object mqtt-packet's generate() takes. */
export function toOracle(p: Packet): Oracle {
  switch (p.type) {
    case 'connect': {
      const o: Oracle = { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: p.cleanSession, keepalive: p.keepAlive, clientId: p.clientId };
      if (p.will) o.will = { topic: p.will.topic, payload: Buffer.from(p.will.payload), qos: p.will.qos, retain: p.will.retain };
      if (p.username !== undefined) o.username = p.username;
      if (p.password !== undefined) o.password = Buffer.from(p.password);
      return o;
    }
    case 'connack': return { cmd: 'connack', sessionPresent: p.sessionPresent, returnCode: p.returnCode };
    case 'publish': {
      const o: Oracle = { cmd: 'publish', topic: p.topic, payload: Buffer.from(p.payload), qos: p.qos, retain: p.retain, dup: p.dup };
      if (p.messageId !== undefined) o.messageId = p.messageId;
      return o;
    }
    case 'puback': return { cmd: 'puback', messageId: p.messageId };
    case 'subscribe': return { cmd: 'subscribe', messageId: p.messageId, subscriptions: p.subscriptions.map((s) => ({ topic: s.topic, qos: s.qos })) };
    case 'suback': return { cmd: 'suback', messageId: p.messageId, granted: p.granted };
    case 'unsubscribe': return { cmd: 'unsubscribe', messageId: p.messageId, unsubscriptions: p.topics };
    case 'unsuback': return { cmd: 'unsuback', messageId: p.messageId };
    default: return { cmd: p.type };
  }
}

/** A packet mqtt-packet parsed → our packet shape. */
export function fromOracle(o: Oracle): Packet {
  const bytes = (b: Buffer | string | null | undefined) => new Uint8Array(typeof b === 'string' ? Buffer.from(b) : b ?? []);
  switch (o.cmd) {
    case 'connect': {
      const p: Packet = { type: 'connect', clientId: o.clientId, cleanSession: o.clean, keepAlive: o.keepalive };
      if (o.will) p.will = { topic: o.will.topic, payload: bytes(o.will.payload), qos: o.will.qos as QoS, retain: o.will.retain };
      if (o.username !== undefined) p.username = o.username;
      if (o.password !== undefined) p.password = bytes(o.password);
      return p;
    }
    case 'connack': return { type: 'connack', sessionPresent: o.sessionPresent, returnCode: o.returnCode };
    case 'publish': {
      const p: Packet = { type: 'publish', topic: o.topic, payload: bytes(o.payload), qos: o.qos, retain: o.retain, dup: o.dup };
      if (o.qos > 0) p.messageId = o.messageId;
      return p;
    }
    case 'puback': return { type: 'puback', messageId: o.messageId };
    case 'subscribe': return { type: 'subscribe', messageId: o.messageId, subscriptions: o.subscriptions.map((s: Oracle) => ({ topic: s.topic, qos: s.qos })) };
    case 'suback': return { type: 'suback', messageId: o.messageId, granted: o.granted };
    case 'unsubscribe': return { type: 'unsubscribe', messageId: o.messageId, topics: o.unsubscriptions };
    case 'unsuback': return { type: 'unsuback', messageId: o.messageId };
    default: return { type: o.cmd } as Packet;
  }
}

export function oracleGenerate(p: Packet): Uint8Array {
  return new Uint8Array(mqttPacket.generate(toOracle(p) as mqttPacket.Packet));
}

/** Parses `bytes` with mqtt-packet (3.1.1); returns every packet, or throws its first error. */
export function oracleParse(bytes: Uint8Array): Packet[] {
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const out: Packet[] = [];
  let error: Error | undefined;
  parser.on('packet', (o: Oracle) => out.push(fromOracle(o)));
  parser.on('error', (e: Error) => { error ??= e; });
  parser.parse(Buffer.from(bytes));
  if (error) throw error;
  return out;
}
