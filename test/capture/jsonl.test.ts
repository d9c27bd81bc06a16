// JSONL captures: round trip, notation leniency, and bad lines reported with their
// line numbers while the good ones around them are kept.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseJsonl, parseJsonlLine, toJsonl, toJsonlLine } from '../../host-sim/capture/jsonl.js';
import type { CapturedAdvertisement } from '../../host-sim/capture/types.js';
import { formatCaptureError } from '../../host-sim/capture/types.js';

const AD = new Uint8Array([0x02, 0x01, 0x06, 0x04, 0x16, 0x95, 0xfe, 0x00]);

const arbAdvertisement: fc.Arbitrary<CapturedAdvertisement> = fc.record({
  t: fc.oneof(fc.nat({ max: 10_000_000 }), fc.double({ min: 0, max: 1e7, noNaN: true, noDefaultInfinity: true })),
  mac: fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => Buffer.from(b).toString('hex').toUpperCase()),
  addrType: fc.constantFrom('public' as const, 'random' as const),
  rssi: fc.integer({ min: -128, max: 127 }),
  ad: fc.uint8Array({ maxLength: 62 }),
});

describe('JSONL captures', () => {
  it('round-trips any advertisement through toJsonl / parseJsonl', () => {
    fc.assert(fc.property(fc.array(arbAdvertisement, { maxLength: 20 }), (advs) => {
      const { advertisements, errors } = parseJsonl(toJsonl(advs));
      expect(errors).toEqual([]);
      expect(advertisements).toEqual(advs);
    }));
  });

  it('writes the documented field order with lowercase hex', () => {
    const line = toJsonlLine({ t: 1500, mac: 'A4C138AABBCC', addrType: 'random', rssi: -71, ad: AD });
    expect(line).toBe('{"t":1500,"mac":"A4C138AABBCC","addrType":"random","rssi":-71,"ad":"020106041695fe00"}');
  });

  it('accepts common MAC notations, numeric address types and CRLF endings', () => {
    const text = [
      '{"t":0,"mac":"a4:c1:38:aa:bb:cc","addrType":0,"rssi":-60,"ad":"020106"}',
      '{"t":5,"mac":"A4-C1-38-AA-BB-CD","addrType":1,"rssi":-61,"ad":"02 01 06"}',
      '{"t":7,"mac":"a4c138aabbce","rssi":-62,"ad":""}',
      '',
      '# a comment',
    ].join('\r\n');
    const { advertisements, errors } = parseJsonl(text);
    expect(errors).toEqual([]);
    expect(advertisements.map((a) => [a.mac, a.addrType])).toEqual([
      ['A4C138AABBCC', 'public'],
      ['A4C138AABBCD', 'random'],
      ['A4C138AABBCE', 'public'],
    ]);
    expect(advertisements[1]!.ad).toEqual(new Uint8Array([2, 1, 6]));
    expect(advertisements[2]!.ad.length).toBe(0);
  });

  it('reports each bad line with its number and keeps reading', () => {
    const good = (t: number) => `{"t":${t},"mac":"A4C138AABBCC","addrType":"public","rssi":-70,"ad":"020106"}`;
    const lines = [
      good(0), // 1
      '{"t":1,"mac":"A4C138AABBCC"', // 2 not JSON
      '[1,2,3]', // 3 not an object
      '{"t":-5,"mac":"A4C138AABBCC","addrType":"public","rssi":-70,"ad":"00"}', // 4 negative t
      '{"t":1,"mac":"A4C138AABB","addrType":"public","rssi":-70,"ad":"00"}', // 5 short MAC
      '{"t":1,"mac":"A4C138AABBCC","addrType":"static","rssi":-70,"ad":"00"}', // 6 addrType
      '{"t":1,"mac":"A4C138AABBCC","addrType":"public","rssi":-70.5,"ad":"00"}', // 7 rssi
      '{"t":1,"mac":"A4C138AABBCC","addrType":"public","rssi":-70,"ad":"0g"}', // 8 hex
      '{"t":1,"mac":"A4C138AABBCC","addrType":"public","rssi":-70,"ad":"' + '00'.repeat(1651) + '"}', // 9 oversized
      '{"mac":"A4C138AABBCC","addrType":"public","rssi":-70,"ad":"00"}', // 10 no t
      good(2), // 11
    ];
    const { advertisements, errors } = parseJsonl(lines.join('\n') + '\n');
    expect(advertisements.map((a) => a.t)).toEqual([0, 2]);
    expect(errors.map((e) => e.line)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const messages = errors.map((e) => e.error);
    expect(messages[0]).toMatch(/not valid JSON/);
    expect(messages[1]).toMatch(/JSON object/);
    expect(messages[2]).toMatch(/"t"/);
    expect(messages[3]).toMatch(/"mac"/);
    expect(messages[4]).toMatch(/"addrType"/);
    expect(messages[5]).toMatch(/"rssi"/);
    expect(messages[6]).toMatch(/"ad" is not valid hex/);
    expect(messages[7]).toMatch(/1651 bytes/);
    expect(messages[8]).toMatch(/"t".*nothing/);
    expect(formatCaptureError(errors[0]!)).toMatch(/^line 2: not valid JSON/);
  });

  it('skips blank lines without an error; parseJsonlLine says undefined for them', () => {
    expect(parseJsonlLine('   ', 4)).toBeUndefined();
    expect(parseJsonlLine('null', 4)).toEqual({ error: expect.any(String), line: 4 });
  });

  it('never throws on arbitrary text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (text) => {
      const r = parseJsonl(text);
      for (const e of r.errors) expect(e.line).toBeGreaterThan(0);
    }), { numRuns: 2000 });
    fc.assert(fc.property(fc.array(fc.jsonValue(), { maxLength: 5 }), (values) => {
      const r = parseJsonl(values.map((v) => JSON.stringify(v)).join('\n'));
      expect(r.advertisements.length + r.errors.length).toBeLessThanOrEqual(values.length);
    }), { numRuns: 1000 });
  });
});
