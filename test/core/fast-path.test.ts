// The advertisement path's cheap helpers must answer exactly what the slow code did:
// fromHex without regular expressions, MAC byte helpers without intermediate copies, and
// needsDecoding, the pre-filter that lets the gateway skip adverts no decoder wants.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, macBytes, macBytesReversed, macFromReversed, toHex } from '../../firmware/core/bytes/hex.js';
import { decodeAdvertisement, decodeServiceData, KNOWN_UUIDS, needsDecoding } from '../../firmware/core/decode.js';
import { parseAdvertisement, serviceDataStructure } from '../../firmware/core/ad/structures.js';
import { fail, type DecodeResult } from '../../firmware/core/decoders/types.js';
import { isError } from '../../firmware/core/decoders/types.js';
import { createNodeAes } from '../../host-sim/crypto.js';

/** The regex version fromHex replaced, kept here as the specification. */
function fromHexByRegex(text: string): Uint8Array | undefined {
  const clean = text.replace(/[\s:-]/g, '');
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) return undefined;
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.substr(i * 2, 2), 16);
  return out;
}

const HEXISH = [...'0123456789abcdefABCDEF:- \t\n\r\v\f', '\u00a0', '\u2003', '\u3000', '\ufeff', '\u2028', 'g', 'x', 'Z', '\u00e9', '.', '_'];

describe('fromHex', () => {
  it('answers as the regex version on strings of hex digits, separators and foreign characters', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom(...HEXISH), { maxLength: 40 }), (chars) => {
      const text = chars.join('');
      expect(fromHex(text)).toEqual(fromHexByRegex(text));
    }), { numRuns: 5000 });
  });

  it('answers as the regex version on any string', () => {
    fc.assert(fc.property(fc.string({ maxLength: 30 }), (text) => {
      expect(fromHex(text)).toEqual(fromHexByRegex(text));
    }), { numRuns: 2000 });
  });

  it('reads the forms users paste', () => {
    expect(toHex(fromHex('A4:C1:38-aa bb\tCC')!)).toBe('a4c138aabbcc');
    expect(fromHex('abc')).toBeUndefined();
    expect(fromHex('0x12')).toBeUndefined();
  });
});

describe('MAC helpers', () => {
  it('macBytes and macBytesReversed agree with fromHex, and refuse what is not 6 bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), (b) => {
      const mac = toHex(b).toUpperCase();
      expect(macBytes(mac)).toEqual(b);
      expect(macBytesReversed(mac)).toEqual(b.slice().reverse());
      expect(macFromReversed(b)).toBe(toHex(b.slice().reverse()).toUpperCase());
    }));
    expect(macBytes('a4:c1:38:aa:bb:cc')).toEqual(fromHex('a4c138aabbcc'));
    expect(() => macBytes('A4C138AABBCG')).toThrow('invalid MAC');
    expect(() => macBytesReversed('A4C138AABB')).toThrow('invalid MAC');
  });
});

describe('needsDecoding', () => {
  const ctx = { aes: createNodeAes(), keyFor: () => undefined };

  it('is false only when decodeAdvertisement would say "no service data we decode"', () => {
    const known = fc.constantFrom(...KNOWN_UUIDS).chain((uuid) => fc.uint8Array({ maxLength: 20 }).map((d) => serviceDataStructure(uuid, d)));
    const structure = fc.oneof(fc.uint8Array({ maxLength: 12 }).map((b) => Uint8Array.of(b.length + 1, 0xff, ...b)), known, fc.uint8Array({ maxLength: 6 }));
    fc.assert(fc.property(fc.array(structure, { maxLength: 4 }), (parts) => {
      const ad = Uint8Array.from(parts.flatMap((p) => [...p]));
      const results = decodeAdvertisement(ad, 'A4C138AABBCC', ctx);
      const unrelated = results.length === 1 && isError(results[0]!) && results[0].code === 'unknown-format';
      expect(needsDecoding(ad)).toBe(!unrelated);
    }), { numRuns: 5000 });
  });

  it('wants Xiaomi service data and refuses an iBeacon, Eddystone and a malformed tail is left to the decoder', () => {
    expect(needsDecoding(fromHex('020106 0f16 95fe 5030 5b05 01 ccbbaa38c1a4 0a1001 64')!)).toBe(true);
    expect(needsDecoding(fromHex('0201061aff4c000215' + '00'.repeat(16) + '00010002c5')!)).toBe(false);
    expect(needsDecoding(fromHex('0201060303aafe0716aafe10ee0300')!)).toBe(false);
    expect(needsDecoding(fromHex('020106ff')!)).toBe(true);
  });
});

/** decodeAdvertisement as it was, over parseAdvertisement's lists: the specification. */
function decodeAdvertisementByFields(ad: Uint8Array, mac: string, ctx: Parameters<typeof decodeAdvertisement>[2]): DecodeResult[] {
  const fields = parseAdvertisement(ad);
  const results: DecodeResult[] = [];
  for (const sd of fields.serviceData) {
    if (KNOWN_UUIDS.includes(sd.uuid)) results.push(decodeServiceData(sd.uuid, sd.data, mac, ctx, fields.localName));
  }
  if (results.length === 0) {
    results.push(fields.malformed
      ? fail('malformed', 'advertisement AD structure length runs past the end', { mac })
      : fail('unknown-format', 'advertisement has no service data we decode', { mac }));
  }
  return results;
}

describe('decodeAdvertisement', () => {
  it('gives what the walk over parseAdvertisement gave, names and malformed tails included', () => {
    const ctx = { aes: createNodeAes(), keyFor: () => undefined };
    const known = fc.constantFrom(...KNOWN_UUIDS).chain((uuid) => fc.uint8Array({ maxLength: 20 }).map((d) => serviceDataStructure(uuid, d)));
    const bthome = fc.uint8Array({ maxLength: 12 }).map((d) => serviceDataStructure(0xfcd2, Uint8Array.of(0x40, 0x02, 0xc4, 0x09, ...d)));
    const name = fc.tuple(fc.constantFrom(0x08, 0x09), fc.uint8Array({ maxLength: 8 })).map(([t, b]) => Uint8Array.of(b.length + 1, t, ...b));
    const structure = fc.oneof(known, bthome, name, fc.uint8Array({ maxLength: 6 }));
    fc.assert(fc.property(fc.array(structure, { maxLength: 5 }), (parts) => {
      const ad = Uint8Array.from(parts.flatMap((p) => [...p]));
      expect(decodeAdvertisement(ad, 'A4C138AABBCC', ctx)).toEqual(decodeAdvertisementByFields(ad, 'A4C138AABBCC', ctx));
    }), { numRuns: 5000 });
  });
});
