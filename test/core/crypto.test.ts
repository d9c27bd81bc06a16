import { createCipheriv, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSoftAes, expandKey, encryptBlockExpanded } from '../../firmware/core/crypto/aes.js';
import { ccmDecrypt, ccmEncrypt } from '../../firmware/core/crypto/ccm.js';
import { createNodeAes } from '../../host-sim/crypto.js';
import { bytes, hex, nodeCcm } from '../helpers/frames.js';

describe('portable AES-128', () => {
  it('matches the FIPS-197 appendix C.1 vector', () => {
    const out = encryptBlockExpanded(expandKey(bytes('000102030405060708090a0b0c0d0e0f')), bytes('00112233445566778899aabbccddeeff'));
    expect(hex(out)).toBe('69c4e0d86a7b0430d8cdb78070b4c55a');
  });

  it('agrees with OpenSSL aes-128-ecb on random keys and blocks', () => {
    const soft = createSoftAes();
    fc.assert(fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), (key, block) => {
      const c = createCipheriv('aes-128-ecb', key, null);
      c.setAutoPadding(false);
      expect(hex(soft(key, block))).toBe(c.update(block).toString('hex'));
    }), { numRuns: 300 });
  });

  it('rejects keys that are not 16 bytes', () => {
    expect(() => expandKey(new Uint8Array(12))).toThrow(/16-byte key/);
  });
});

describe('AES-CCM over the AES block port', () => {
  const aesImpls = { soft: createSoftAes(), node: createNodeAes() };

  for (const [name, aes] of Object.entries(aesImpls)) {
    it(`encrypts exactly like node:crypto aes-128-ccm (${name} AES)`, () => {
      fc.assert(fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.integer({ min: 7, max: 13 }),
        fc.constantFrom(4, 6, 8, 16),
        fc.uint8Array({ maxLength: 40 }),
        fc.uint8Array({ maxLength: 20 }),
        (key, nonceLength, tagLength, plaintext, aad) => {
          const nonce = new Uint8Array(randomBytes(nonceLength));
          const ours = ccmEncrypt({ aes, key, nonce, aad, tagLength }, plaintext);
          const theirs = nodeCcm(key, nonce, plaintext, aad.length ? aad : undefined, tagLength);
          expect(hex(ours)).toBe(hex(theirs));
          const back = ccmDecrypt({ aes, key, nonce, aad, tagLength }, ours.subarray(0, plaintext.length), ours.subarray(plaintext.length));
          expect(back && hex(back)).toBe(hex(plaintext));
        },
      ), { numRuns: 200 });
    });
  }

  it('returns undefined, never plaintext, when any bit of the tag, ciphertext, nonce or AAD changes', () => {
    const aes = createSoftAes();
    const key = bytes('0123456789abcdeffedcba9876543210');
    const nonce = bytes('33221138c1a45b0542010000');
    const aad = new Uint8Array([0x11]);
    const sealed = ccmEncrypt({ aes, key, nonce, aad, tagLength: 4 }, bytes('0d1004d700e001'));
    for (let bit = 0; bit < sealed.length * 8; bit++) {
      const bad = sealed.slice();
      bad[bit >> 3]! ^= 1 << (bit & 7);
      expect(ccmDecrypt({ aes, key, nonce, aad, tagLength: 4 }, bad.subarray(0, 7), bad.subarray(7))).toBeUndefined();
    }
    const otherNonce = nonce.slice();
    otherNonce[11]! ^= 1;
    expect(ccmDecrypt({ aes, key, nonce: otherNonce, aad, tagLength: 4 }, sealed.subarray(0, 7), sealed.subarray(7))).toBeUndefined();
    expect(ccmDecrypt({ aes, key, nonce, aad: new Uint8Array([0x12]), tagLength: 4 }, sealed.subarray(0, 7), sealed.subarray(7))).toBeUndefined();
  });

  it('reproduces the MiBeacon v5 example in the Tasmota reference (LYWSD03MMC, 21.5 °C, 48.0 %)', () => {
    const aes = createSoftAes();
    const sealed = ccmEncrypt(
      { aes, key: bytes('0123456789ABCDEFFEDCBA9876543210'), nonce: bytes('33221138C1A45B0542010000'), aad: new Uint8Array([0x11]), tagLength: 4 },
      bytes('0D1004D700E001'),
    );
    expect(hex(sealed)).toBe('b2dbdd0438238042277040');
  });
});
