// Robustness properties: nothing throws out of the decoders, and a frame whose tag
// fails never yields values.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeAdvertisement, decodeRequest, decodeServiceData, KNOWN_UUIDS } from '../../firmware/core/decode.js';
import { isError } from '../../firmware/core/decoders/types.js';
import { createNodeAes } from '../../host-sim/crypto.js';
import { bthomeEncrypted, bytes, hex, loadFixtures, miBeacon, pvvxEncrypted } from '../helpers/frames.js';

const aes = createNodeAes();
const KEY = bytes('00112233445566778899aabbccddeeff');
const MAC = 'A4C138AABBCC';
const ctxWithKey = { aes, keyFor: () => KEY };
const ctxNoKey = { aes, keyFor: () => undefined };

describe('decoders never throw', () => {
  it('on random service data for every known UUID, with and without a key', () => {
    fc.assert(fc.property(fc.constantFrom(...KNOWN_UUIDS), fc.uint8Array({ maxLength: 40 }), fc.boolean(), (uuid, data, withKey) => {
      const r = decodeServiceData(uuid, data, MAC, withKey ? ctxWithKey : ctxNoKey);
      expect(typeof r).toBe('object');
    }), { numRuns: 5000 });
  });

  it('on random advertisements', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 62 }), (ad) => {
      expect(decodeAdvertisement(ad, MAC, ctxWithKey).length).toBeGreaterThan(0);
    }), { numRuns: 3000 });
  });

  it('on every truncation of every fixture', () => {
    for (const fx of loadFixtures()) {
      const field = fx.data !== undefined ? 'data' : 'ad';
      const full = fx[field]!;
      for (let n = 0; n < full.length; n += 2) {
        const r = decodeRequest({ ...fx, [field]: full.slice(0, n) }, aes);
        expect(typeof r).toBe('object');
      }
    }
  });

  it('on garbage requests', () => {
    for (const req of [{}, { data: 'zz' }, { data: 'abc' }, { mac: 'nope', data: '00' }, { data: '00', uuid: 'xyz' }, { data: '5858', key: '1234' }, { ad: 'ffff' }]) {
      const r = decodeRequest(req, aes);
      expect(isError(r)).toBe(true);
    }
  });
});

/**
 * Every single-bit flip of an authenticated frame gives an error, no values, or the
 * authentic values unchanged (flags the format leaves unauthenticated, such as
 * MiBeacon's reserved frame-control bits, do not alter the payload). Never other values.
 */
function assertNoValuesOnFlips(uuid: number, frame: Uint8Array): void {
  const authentic = decodeServiceData(uuid, frame, MAC, ctxWithKey);
  if (isError(authentic)) throw new Error(`test frame does not decode: ${authentic.error}`);
  for (let bit = 0; bit < frame.length * 8; bit++) {
    const bad = frame.slice();
    bad[bit >> 3]! ^= 1 << (bit & 7);
    const r = decodeServiceData(uuid, bad, MAC, ctxWithKey);
    if (isError(r) || Object.keys(r.values).length === 0) continue;
    expect(r.values, `bit ${bit} of ${hex(frame)} gave ${JSON.stringify(r)}`).toEqual(authentic.values);
  }
}

describe('a frame whose tag fails never yields values', () => {
  it('MiBeacon v5: every bit flip of random encrypted frames', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 255 }), (pid, value, counter) => {
      const frame = miBeacon({ pid, mac: MAC, counter, key: KEY, objects: [[0x1004, value]] });
      const ok = decodeServiceData(0xfe95, frame, MAC, ctxWithKey);
      expect(isError(ok)).toBe(false);
      assertNoValuesOnFlips(0xfe95, frame);
    }), { numRuns: 40 });
  });

  it('MiBeacon v5 with a wrong key is a wrong-key error', () => {
    const frame = miBeacon({ pid: 0x055b, mac: MAC, key: KEY, objects: [[0x100d, bytes('d700e001')]] });
    const r = decodeServiceData(0xfe95, frame, MAC, { aes, keyFor: () => bytes('ffeeddccbbaa99887766554433221100') });
    expect(r).toMatchObject({ code: 'wrong-key' });
  });

  it('BTHome v2 encrypted: every bit flip', () => {
    const frame = bthomeEncrypted(MAC, KEY, bytes('02c409' + '03bf13'), 0x01020304);
    expect(decodeServiceData(0xfcd2, frame, MAC, ctxWithKey)).toMatchObject({ values: { Temperature: 25.0, Humidity: 50.55 } });
    assertNoValuesOnFlips(0xfcd2, frame);
  });

  it('pvvx encrypted: every bit flip', () => {
    const frame = pvvxEncrypted(MAC, KEY, 7, 2345, 4567, 88);
    expect(decodeServiceData(0x181a, frame, MAC, ctxWithKey)).toMatchObject({ values: { Temperature: 23.45, Humidity: 45.67, Battery: 88 } });
    assertNoValuesOnFlips(0x181a, frame);
  });
});
