// fast-check generators for valid MQTT 3.1.1 packets (the codec property tests).

import fc from 'fast-check';
import type { Packet, QoS } from '../../firmware/core/mqtt/packets.js';

/** Well-formed Unicode (no lone surrogates), any plane. */
export const mqttString = (maxLength = 24) =>
  fc.string({ unit: 'binary', maxLength }).filter((s) => s.isWellFormed());
const topicName = fc.string({ unit: 'binary', minLength: 1, maxLength: 24 }).filter((s) => s.isWellFormed());
const bytes = (maxLength = 64) => fc.uint8Array({ maxLength });
const messageId = fc.integer({ min: 1, max: 0xffff });
const qos = fc.constantFrom<QoS>(0, 1, 2);

const connect: fc.Arbitrary<Packet> = fc.record({
  clientId: mqttString(),
  cleanSession: fc.boolean(),
  keepAlive: fc.integer({ min: 0, max: 0xffff }),
  will: fc.option(fc.record({ topic: topicName, payload: bytes(), qos, retain: fc.boolean() }), { nil: undefined }),
  credentials: fc.option(fc.record({ username: mqttString(), password: fc.option(bytes(), { nil: undefined }) }), { nil: undefined }),
}).map(({ credentials, will, ...rest }) => {
  const p: Packet = { type: 'connect', ...rest };
  // mqtt-packet refuses an empty client id with a persistent session, as the spec says.
  if (p.clientId === '' && !p.cleanSession) p.cleanSession = true;
  if (will) p.will = will;
  if (credentials) {
    p.username = credentials.username;
    if (credentials.password) p.password = credentials.password;
  }
  return p;
});

const publish: fc.Arbitrary<Packet> = fc.record({ topic: topicName, payload: bytes(300), qos, retain: fc.boolean(), dup: fc.boolean(), messageId })
  .map(({ messageId: id, ...p }) => (p.qos === 0
    ? { type: 'publish' as const, ...p, dup: false }
    : { type: 'publish' as const, ...p, messageId: id }));

export const packet: fc.Arbitrary<Packet> = fc.oneof(
  connect,
  fc.record({ sessionPresent: fc.boolean(), returnCode: fc.integer({ min: 0, max: 5 }) }).map((p) => ({ type: 'connack' as const, ...p })),
  publish,
  messageId.map((id) => ({ type: 'puback' as const, messageId: id })),
  fc.record({ messageId, subscriptions: fc.array(fc.record({ topic: topicName, qos }), { minLength: 1, maxLength: 5 }) })
    .map((p) => ({ type: 'subscribe' as const, ...p })),
  fc.record({ messageId, granted: fc.array(fc.constantFrom(0, 1, 2, 0x80), { minLength: 1, maxLength: 5 }) })
    .map((p) => ({ type: 'suback' as const, ...p })),
  fc.record({ messageId, topics: fc.array(topicName, { minLength: 1, maxLength: 5 }) }).map((p) => ({ type: 'unsubscribe' as const, ...p })),
  messageId.map((id) => ({ type: 'unsuback' as const, messageId: id })),
  fc.constantFrom<Packet>({ type: 'pingreq' }, { type: 'pingresp' }, { type: 'disconnect' }),
);
