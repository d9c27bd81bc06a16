// The fixture corpus: real advertisements from public decoders' test suites, with the
// values those sources expect (translated to our value names; see test/fixtures/README.md).
import { describe, expect, it } from 'vitest';
import { decodeRequest } from '../../firmware/core/decode.js';
import { isError, type Reading } from '../../firmware/core/decoders/types.js';
import { createNodeAes } from '../../host-sim/crypto.js';
import { loadFixtures } from '../helpers/frames.js';

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
      expect(reading.values).toEqual(fx.expect.values ?? {});
      if (fx.expect.model) expect(reading.model).toBe(fx.expect.model);
      if (fx.expect.pid) expect(reading.pid).toBe(fx.expect.pid);
      if (fx.expect.encrypted !== undefined) expect(reading.encrypted).toBe(fx.expect.encrypted);
      // keys listed as not decoded yet must really be absent, so the list stays honest
      for (const key of fx.expect.unsupported ?? []) expect(reading.values).not.toHaveProperty(key);
    });
  }
});
