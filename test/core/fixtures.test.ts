// The fixture corpus: real advertisements from public decoders' test suites. Each line
// keeps the source's values (`expect.values`, the translation of `sourceExpect` to our
// value names), and where our decoder's documented convention differs, a reasoned
// `override` says what we give instead (test/fixtures/README.md).
import { describe, expect, it } from 'vitest';
import { decodeRequest } from '../../firmware/core/decode.js';
import { isError, type Reading } from '../../firmware/core/decoders/types.js';
import { createNodeAes } from '../../host-sim/crypto.js';
import { loadFixtures } from '../helpers/frames.js';
import { sourceOf, translateSourceExpect } from '../helpers/fixture-translate.js';
import { numbersMatch, overrideRule, printedDecimals, valueMismatches } from '../helpers/fixture-expectation.js';

const aes = createNodeAes();
const fixtures = loadFixtures();

describe('fixture corpus', () => {
  it('has fixtures from several sources', () => {
    expect(fixtures.length).toBeGreaterThan(200);
    expect(new Set(fixtures.map((f) => f.id.split('/')[0])).size).toBeGreaterThanOrEqual(3);
  });

  for (const fx of fixtures) {
    it(fx.id, () => {
      const result = decodeRequest(fx, aes);
      if (fx.expect.error) {
        expect(isError(result), `expected an error, got ${JSON.stringify(result)}`).toBe(true);
        // the code says which refusal it was: a wrong key and a missing key must not pass for each other
        expect(isError(result) && result.code).toBe(fx.expect.error);
        return;
      }
      expect(isError(result) ? result.error : undefined).toBeUndefined();
      const reading = result as Reading;
      const want = fx.override?.values ?? fx.expect.values ?? {};
      expect(valueMismatches(reading.values, want)).toEqual([]);
      if (fx.expect.model) expect(reading.model).toBe(fx.expect.model);
      if (fx.expect.pid) expect(reading.pid).toBe(fx.expect.pid);
      if (fx.expect.encrypted !== undefined) expect(reading.encrypted).toBe(fx.expect.encrypted);
      // keys listed as not decoded yet must really be absent, so the list stays honest
      for (const key of fx.expect.unsupported ?? []) expect(reading.values).not.toHaveProperty(key);
    });
  }
});

describe('fixture files keep the source values', () => {
  it('expect.values is exactly the translation of sourceExpect on every line', () => {
    const edited = fixtures.filter((fx) => {
      const translated = translateSourceExpect(sourceOf(fx.id), fx.sourceExpect).values;
      // the same numbers, not merely close ones; an error line: the source expects no readings
      return !sameEntries(fx.expect.error ? {} : fx.expect.values ?? {}, translated);
    });
    expect(edited.map((fx) => fx.id)).toEqual([]);
  });

  it('every override cites a README rule and differs from the translation', () => {
    const withOverride = fixtures.filter((fx) => 'override' in fx);
    expect(withOverride.length).toBeGreaterThan(0);
    const bad = withOverride.flatMap((fx) => {
      const o = fx.override as { values?: unknown; reason?: unknown } | undefined;
      const problems: string[] = [];
      if (fx.expect.error) problems.push('override on an error line');
      if (!o || typeof o.values !== 'object' || o.values === null) problems.push('override without values');
      if (!overrideRule(o?.reason)) problems.push(`reason names no README rule: ${JSON.stringify(o?.reason)}`);
      const translated = translateSourceExpect(sourceOf(fx.id), fx.sourceExpect).values;
      if (o && typeof o.values === 'object' && o.values !== null
        && valueMismatches(o.values as Record<string, unknown>, translated).length === 0) {
        problems.push('override equals the translation');
      }
      return problems.map((p) => `${fx.id}: ${p}`);
    });
    expect(bad).toEqual([]);
  });

  it('no line carries the old free-text `translation` field', () => {
    expect(fixtures.filter((fx) => 'translation' in fx).map((fx) => fx.id)).toEqual([]);
  });
});

function sameEntries(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => k in b && Object.is(a[k], b[k]));
}

describe('number tolerance: half a unit of the expected number\'s last printed decimal', () => {
  it('counts printed decimals', () => {
    expect([printedDecimals(66.1), printedDecimals(59), printedDecimals(-2.123456), printedDecimals(1e-7), printedDecimals(36.87199806168224)])
      .toEqual([1, 0, 6, 7, 14]);
  });

  it('accepts what binary floating point does to a printed decimal', () => {
    expect(numbersMatch(1346067 * 0.001, 1346.067)).toBe(true); // 1346.0670000000002
    expect(numbersMatch(Math.fround(23.8), 23.8)).toBe(true); // a float32 frame value
    expect(numbersMatch(36.87199806168224, 36.87199806168224)).toBe(true);
  });

  it('refuses one step of the frame resolution and a rounded source float', () => {
    expect(numbersMatch(27.3, 27.2)).toBe(false);
    expect(numbersMatch(13460.68, 13460.67)).toBe(false);
    expect(numbersMatch(-365690133, -365690134)).toBe(false);
    expect(numbersMatch(60, 59)).toBe(false);
    // MMC-T201: our 0.01 °C rounding is not the source's float; that takes an override
    expect(numbersMatch(36.87, 36.87199806168224)).toBe(false);
    expect(numbersMatch(46.7, 46)).toBe(false);
  });

  it('reports missing, extra and different keys', () => {
    expect(valueMismatches({ Temperature: 20.1, Battery: 50 }, { Temperature: 20.1, Humidity: 40 }))
      .toEqual(['Humidity: missing, expected 40', 'Battery: 50 not expected']);
    expect(valueMismatches({ KeyId: 'administrator' }, { KeyId: 0 })).toEqual(['KeyId: "administrator", expected 0']);
  });
});
