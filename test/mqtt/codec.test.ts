// The codec against mqtt-packet as an oracle: byte-for-byte equal output, and each side
// parses what the other writes. Then the stream parser on arbitrary read boundaries and
// the malformed inputs a broker (or a broken network) can hand us.

import fc from 'fast-check';
import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { MqttError } from '../../firmware/core/mqtt/errors.js';
import {
  encodePacket, MAX_REMAINING_LENGTH, type Packet, remainingLengthSize, writeRemainingLength,
} from '../../firmware/core/mqtt/packets.js';
import { PacketParser } from '../../firmware/core/mqtt/parser.js';
import { packet } from './arbitraries.js';
import { oracleGenerate, oracleParse } from './oracle.js';

const parseAll = (bytes: Uint8Array, max?: number) => new PacketParser(max).push(bytes);
const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
};
const errorCode = (fn: () => unknown): string => {
  try { fn(); } catch (error) {
    expect(error).toBeInstanceOf(MqttError);
    return (error as MqttError).code;
  }
  throw new Error('expected an MqttError');
};

describe('codec vs mqtt-packet', () => {
  it('writes the same bytes as mqtt-packet for every packet type', () => {
    fc.assert(fc.property(packet, (p) => {
      expect(Buffer.from(encodePacket(p)).toString('hex')).toBe(Buffer.from(oracleGenerate(p)).toString('hex'));
    }), { numRuns: 2000 });
  });

  it('mqtt-packet parses what we write back to the same packet', () => {
    fc.assert(fc.property(packet, (p) => {
      expect(oracleParse(encodePacket(p))).toEqual([p]);
    }), { numRuns: 1000 });
  });

  it('we parse what mqtt-packet writes back to the same packet', () => {
    fc.assert(fc.property(packet, (p) => {
      expect(parseAll(oracleGenerate(p))).toEqual([p]);
    }), { numRuns: 1000 });
  });

  it('parses packets joined in one read and split at any byte across reads', () => {
    fc.assert(fc.property(fc.array(packet, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 12 }), (packets, cuts) => {
      const stream = concat(packets.map(oracleGenerate));
      const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
      const parser = new PacketParser();
      const got: Packet[] = [];
      let from = 0;
      for (const at of [...points, stream.length]) {
        got.push(...parser.push(stream.subarray(from, at)));
        from = at;
      }
      expect(got).toEqual(packets);
    }), { numRuns: 500 });
  });

  it('feeds one byte at a time', () => {
    const packets: Packet[] = [
      { type: 'publish', topic: 'tele/mi32/SENSOR', payload: new TextEncoder().encode('{"Temperature":21.5}'), qos: 1, retain: true, dup: false, messageId: 7 },
      { type: 'pingresp' },
      { type: 'suback', messageId: 9, granted: [1, 0x80] },
    ];
    const stream = concat(packets.map(encodePacket));
    const parser = new PacketParser();
    const got: Packet[] = [];
    for (let i = 0; i < stream.length; i++) got.push(...parser.push(stream.subarray(i, i + 1)));
    expect(got).toEqual(packets);
  });
});

describe('remaining length', () => {
  // The table of §2.2.3: the boundaries of the 1..4-byte encodings.
  const table: [number, string][] = [
    [0, '00'], [127, '7f'], [128, '8001'], [16_383, 'ff7f'], [16_384, '808001'],
    [2_097_151, 'ffff7f'], [2_097_152, '80808001'], [268_435_455, 'ffffff7f'],
  ];
  it.each(table)('encodes %i as %s', (length, hex) => {
    const out = new Uint8Array(4);
    const end = writeRemainingLength(length, out, 0);
    expect(Buffer.from(out.subarray(0, end)).toString('hex')).toBe(hex);
    expect(remainingLengthSize(length)).toBe(hex.length / 2);
  });

  it('refuses lengths past the spec limit', () => {
    expect(MAX_REMAINING_LENGTH).toBe(268_435_455);
    expect(errorCode(() => remainingLengthSize(268_435_456))).toBe('invalid-packet');
  });

  it('matches mqtt-packet on a 2 MiB PUBLISH (4-byte length), written and parsed in 64 KiB reads', () => {
    const payload = new Uint8Array(2_097_152).map((_, i) => i * 31);
    const p: Packet = { type: 'publish', topic: 'big', payload, qos: 1, retain: false, dup: false, messageId: 1 };
    const ours = encodePacket(p);
    expect(Buffer.compare(Buffer.from(ours), Buffer.from(oracleGenerate(p)))).toBe(0);
    expect(ours[1] & 0x80 && ours[4]).toBe(1); // 4-byte remaining length
    const parser = new PacketParser();
    const got: Packet[] = [];
    for (let at = 0; at < ours.length; at += 65_536) got.push(...parser.push(ours.subarray(at, at + 65_536)));
    expect(got).toHaveLength(1);
    const [only] = got as [Extract<Packet, { type: 'publish' }>];
    expect({ ...only, payload: undefined }).toEqual({ ...p, payload: undefined });
    expect(Buffer.compare(Buffer.from(only.payload), Buffer.from(payload))).toBe(0);
  });

  it('rejects a fifth remaining-length byte as malformed', () => {
    expect(errorCode(() => parseAll(new Uint8Array([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])))).toBe('malformed-packet');
  });

  it('rejects a packet other than PUBLISH over the configured limit from its header, before reading the body', () => {
    const parser = new PacketParser(1024);
    // Header of a SUBACK claiming the spec maximum; no body follows. (An oversized PUBLISH
    // is skipped instead: test/security/mqtt.test.ts.)
    expect(errorCode(() => parser.push(new Uint8Array([0x90, 0xff, 0xff, 0xff, 0x7f])))).toBe('packet-too-large');
    // A broken parser stays broken: the stream position is lost.
    expect(errorCode(() => parser.push(new Uint8Array([0xd0, 0])))).toBe('packet-too-large');
  });
});

describe('malformed packets from a broker', () => {
  const cases: [string, number[]][] = [
    ['reserved packet type 0', [0x00, 0x00]],
    ['reserved packet type 15', [0xf0, 0x00]],
    ['PUBLISH with QoS 3', [0x36, 0x05, 0x00, 0x01, 0x61, 0x00, 0x01]],
    ['QoS 0 PUBLISH with DUP', [0x38, 0x03, 0x00, 0x01, 0x61]],
    ['PUBLISH topic running past the end', [0x30, 0x03, 0x00, 0x09, 0x61]],
    ['PUBLISH topic with invalid UTF-8', [0x30, 0x04, 0x00, 0x02, 0xc3, 0x28]],
    ['PUBLISH topic with an overlong NUL', [0x30, 0x04, 0x00, 0x02, 0xc0, 0x80]],
    ['PUBLISH QoS 1 with message id 0', [0x32, 0x05, 0x00, 0x01, 0x61, 0x00, 0x00]],
    ['CONNACK with an extra byte', [0x20, 0x03, 0x00, 0x00, 0x00]],
    ['CONNACK too short', [0x20, 0x01, 0x00]],
    ['CONNACK with reserved flags', [0x20, 0x02, 0x02, 0x00]],
    ['PUBACK with flags', [0x41, 0x02, 0x00, 0x01]],
    ['SUBACK with return code 3', [0x90, 0x03, 0x00, 0x01, 0x03]],
    ['SUBACK without return codes', [0x90, 0x02, 0x00, 0x01]],
    ['SUBSCRIBE with flags 0', [0x80, 0x06, 0x00, 0x01, 0x00, 0x01, 0x61, 0x00]],
    ['PINGRESP with a body', [0xd0, 0x01, 0x00]],
    ['PUBREC (QoS 2, never requested)', [0x50, 0x02, 0x00, 0x01]],
  ];
  it.each(cases)('%s → malformed-packet', (_name, bytes) => {
    expect(errorCode(() => parseAll(new Uint8Array(bytes)))).toBe('malformed-packet');
  });

  it('mqtt-packet agrees the obviously broken ones are broken', () => {
    expect(() => oracleParse(new Uint8Array([0x36, 0x05, 0x00, 0x01, 0x61, 0x00, 0x01]))).toThrow();
    expect(() => oracleParse(new Uint8Array([0x00, 0x00]))).toThrow();
  });

  it('garbage never crashes the parser: it returns packets or throws MqttError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      try {
        parseAll(bytes, 4096);
      } catch (error) {
        expect(error).toBeInstanceOf(MqttError);
        expect(['malformed-packet', 'packet-too-large']).toContain((error as MqttError).code);
      }
    }), { numRuns: 3000 });
  });
});

describe('encoder refuses what the spec forbids', () => {
  it.each<[string, Packet]>([
    ['message id 0', { type: 'puback', messageId: 0 }],
    ['message id 65536', { type: 'puback', messageId: 65_536 }],
    ['QoS 1 PUBLISH without message id', { type: 'publish', topic: 'a', payload: new Uint8Array(), qos: 1, retain: false, dup: false }],
    ['password without user name', { type: 'connect', clientId: 'c', cleanSession: true, keepAlive: 0, password: new Uint8Array([1]) }],
    ['topic over 65535 bytes', { type: 'publish', topic: 'a'.repeat(65_536), payload: new Uint8Array(), qos: 0, retain: false, dup: false }],
    ['lone surrogate in a topic', { type: 'publish', topic: 'a\ud800', payload: new Uint8Array(), qos: 0, retain: false, dup: false }],
    ['SUBSCRIBE without filters', { type: 'subscribe', messageId: 1, subscriptions: [] }],
    ['keep-alive over 65535', { type: 'connect', clientId: 'c', cleanSession: true, keepAlive: 70_000 }],
  ])('%s → invalid-packet', (_name, p) => {
    expect(errorCode(() => encodePacket(p))).toBe('invalid-packet');
  });

  it('mqtt-packet also refuses a password without user name', () => {
    expect(() => mqttPacket.generate({ cmd: 'connect', clientId: 'c', password: Buffer.from('x') } as mqttPacket.Packet)).toThrow();
  });
});
