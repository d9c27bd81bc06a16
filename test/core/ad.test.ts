import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAdvertisement, serviceDataStructure, adStructure, AD_TYPE } from '../../firmware/core/ad/structures.js';
import { bytes, hex } from '../helpers/frames.js';

describe('AD structure walk', () => {
  it('finds flags, service data by 16-bit UUID, manufacturer data and the local name', () => {
    // a real ATC advertisement shape: flags, 0x181A service data, complete name
    const ad = bytes('020106' + '1116' + '1a18' + 'a4c138aabbcc00e6' + '3c5f0b8c12' + '00' + '0a09' + '4154435f414242434300'.slice(0, 18) + '05ff' + '6909' + 'abcd');
    const f = parseAdvertisement(ad);
    expect(f.flags).toBe(6);
    expect(f.serviceData.map((s) => s.uuid)).toEqual([0x181a]);
    expect(hex(f.serviceData[0]!.data)).toBe('a4c138aabbcc00e63c5f0b8c1200');
    expect(f.localName).toBe('ATC_ABBCC');
    expect(f.manufacturerData).toEqual([{ companyId: 0x0969, data: bytes('abcd') }]);
    expect(f.malformed).toBe(false);
  });

  it('keeps what it read and flags a length that runs past the end', () => {
    const ad = new Uint8Array([...serviceDataStructure(0xfe95, bytes('3020')), 0x09, 0x16, 0x95]);
    const f = parseAdvertisement(ad);
    expect(f.serviceData).toHaveLength(1);
    expect(f.malformed).toBe(true);
  });

  it('prefers the complete name over a shortened one', () => {
    const ad = new Uint8Array([...adStructure(AD_TYPE.completeName, bytes('4c4f4e47')), ...adStructure(AD_TYPE.shortName, bytes('4c4f'))]);
    expect(parseAdvertisement(ad).localName).toBe('LONG');
  });

  it('never throws and never returns bytes outside the input on random payloads', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (ad) => {
      const f = parseAdvertisement(ad);
      for (const sd of f.serviceData) {
        expect(sd.data.byteOffset + sd.data.length).toBeLessThanOrEqual(ad.byteOffset + ad.length);
      }
    }), { numRuns: 2000 });
  });
});
