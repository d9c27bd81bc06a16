// Setup code, setup ID, X-HM:// payload, setup hash and the TXT record, with the reference's
// worked examples (shared/reference/homekit.md §1.4, tasmota-mi32.md §7).
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETUP_ID, isValidSetupId, setupCodeFromMac, setupCodeProblem, setupHash, setupUri } from '../../firmware/core/homekit/setup-code.js';
import { hapTxtRecord } from '../../firmware/core/homekit/txt-record.js';

const sha512 = (data: Uint8Array) => Uint8Array.from(crypto.createHash('sha512').update(data).digest());

describe('setup code from the MAC (Tasmota MI32 rule)', () => {
  it('AABBCC1234F2 gives 111-11-234, the example in Tasmota\'s source', () => {
    expect(setupCodeFromMac('AABBCC1234F2')).toBe('111-11-234');
    expect(setupCodeFromMac('aa:bb:cc:12:34:f2')).toBe('111-11-234');
  });

  it('keeps digits 1-9 from hex positions 0-2, 4-5 and 7-9 and drops 3, 6 and the last byte', () => {
    expect(setupCodeFromMac('24:6F:28:9A:B5:C7')).toBe('246-28-115');
    expect(setupCodeFromMac('98-76-54-32-10-FF')).toBe('987-54-211');
  });

  it('never hands out a forbidden code: 111-11-111 (no digit 1-9 up front) becomes 111-11-112', () => {
    expect(setupCodeFromMac('AABBCCDDEEFF')).toBe('111-11-112');
    expect(setupCodeFromMac('000000000000')).toBe('111-11-112');
    expect(setupCodeProblem(setupCodeFromMac('AABBCCDDEEFF'))).toBeUndefined();
  });
});

describe('a setup code the user sets', () => {
  it('accepts XXX-XX-XXX', () => {
    expect(setupCodeProblem('031-45-154')).toBeUndefined();
    expect(setupCodeProblem('123-45-679')).toBeUndefined();
  });

  it('refuses the codes HomeKit forbids: 000-00-000 ... 999-99-999, 123-45-678, 876-54-321', () => {
    for (let d = 0; d <= 9; d++) {
      const code = `${d}${d}${d}-${d}${d}-${d}${d}${d}`;
      expect(setupCodeProblem(code), code).toMatch(/forbids/);
    }
    expect(setupCodeProblem('123-45-678')).toMatch(/forbids/);
    expect(setupCodeProblem('876-54-321')).toMatch(/forbids/);
  });

  it('refuses wrong shapes with a message that says what a code looks like', () => {
    for (const bad of ['', '1234567', '12345678', '12-345-678', '1234-5678', '123-45-67a', '123 45 678', '123-45678', '１２３-４５-６７８', '031-45-154\n']) {
      expect(setupCodeProblem(bad), bad).toMatch(/8 digits/);
    }
  });
});

describe('setup ID, X-HM:// payload and setup hash', () => {
  it('031-45-154, bridge, IP, MIBR gives X-HM://0023ISYWYMIBR (hap-nodejs printed the same)', () => {
    expect(setupUri('031-45-154', 'MIBR')).toBe('X-HM://0023ISYWYMIBR');
  });

  it('the category and flags move the number: a sensor, and IP+BLE, differ from the bridge', () => {
    expect(setupUri('031-45-154', 'MIBR', 10)).not.toBe(setupUri('031-45-154', 'MIBR'));
    expect(setupUri('031-45-154', 'MIBR', 2, 6)).not.toBe(setupUri('031-45-154', 'MIBR'));
    // 9 characters even for the smallest value.
    expect(setupUri('000-00-001', 'MI32', 0, 0)).toBe('X-HM://000000001MI32');
  });

  it('refuses a forbidden code, a bad setup ID and out-of-range fields', () => {
    expect(() => setupUri('111-11-111', 'MI32')).toThrow(/forbids/);
    expect(() => setupUri('03145154', 'MI32')).toThrow(/8 digits/);
    expect(() => setupUri('031-45-154', 'mi32')).toThrow(/setup ID/);
    expect(() => setupUri('031-45-154', 'MI3')).toThrow(/setup ID/);
    expect(() => setupUri('031-45-154', 'MI32', 256)).toThrow(/category/);
    expect(() => setupUri('031-45-154', 'MI32', 2, 16)).toThrow(/flags/);
    expect(isValidSetupId(DEFAULT_SETUP_ID)).toBe(true);
  });

  it('MIBR + 1A:2B:3C:4D:5E:6F hashes to 36xo1w==', () => {
    expect(setupHash('MIBR', '1A:2B:3C:4D:5E:6F', sha512)).toBe('36xo1w==');
    expect(setupHash('MIBR', '1a:2b:3c:4d:5e:6f', sha512)).toBe('36xo1w==');
    expect(setupHash('MI32', '1A:2B:3C:4D:5E:6F', sha512)).not.toBe('36xo1w==');
  });
});

describe('_hap._tcp TXT record', () => {
  const fields = { configNumber: 3, deviceId: '1A:2B:3C:4D:5E:6F', model: 'mi32-xs', paired: false, setupHash: '36xo1w==' };

  it('has c#, ff, id, md, pv, s#, sf, ci and sh as hap-nodejs sends them', () => {
    expect(hapTxtRecord(fields)).toEqual({ 'c#': '3', ff: '0', id: '1A:2B:3C:4D:5E:6F', md: 'mi32-xs', pv: '1.1', 's#': '1', sf: '1', ci: '2', sh: '36xo1w==' });
    expect(hapTxtRecord({ ...fields, paired: true }).sf).toBe('0');
  });

  it('refuses a c# outside 1..65535, a malformed Device ID and an empty or long model', () => {
    expect(() => hapTxtRecord({ ...fields, configNumber: 0 })).toThrow(/c#/);
    expect(() => hapTxtRecord({ ...fields, configNumber: 65536 })).toThrow(/c#/);
    expect(() => hapTxtRecord({ ...fields, deviceId: '1a:2b:3c:4d:5e:6f' })).toThrow(/Device ID/);
    expect(() => hapTxtRecord({ ...fields, deviceId: '1A:2B:3C:4D:5E:6F\n' })).toThrow(/Device ID/);
    expect(() => hapTxtRecord({ ...fields, model: '' })).toThrow(/model/);
    expect(() => hapTxtRecord({ ...fields, model: 'x'.repeat(65) })).toThrow(/model/);
  });
});
