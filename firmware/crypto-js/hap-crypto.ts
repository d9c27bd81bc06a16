// The HapCrypto port (core/host.ts) in pure JavaScript, for the device (XS on the ESP32) and
// for the XS checks under xsnap: @noble/curves for X25519 and Ed25519, @noble/hashes for
// SHA-512, @noble/ciphers for ChaCha20 and Poly1305, and the core's own Montgomery modPow
// for SRP's 3072-bit group. Node uses node:crypto instead (host-sim/hap-crypto.ts).
//
// The device passes its native primitives where Moddable has them (SHA-512 Digest, ChaCha
// StreamCipher: firmware/moddable/hap-crypto.ts); they replace the noble versions here so
// that the long-running parts (HAP session frames, HKDF) run in C. Signing hashes through
// them too (ed25519Sign below); verification and key derivation keep noble's own SHA-512,
// which costs little next to their point multiplications.
//
// Randomness comes from the Random port: noble's default asks globalThis.crypto, which XS
// does not have, so every key here is made from bytes the caller's port hands over.

import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { sha512 as nobleSha512 } from '@noble/hashes/sha2.js';
import { chacha20 as nobleChacha20, _poly1305_aead } from '@noble/ciphers/chacha.js';
import type { HapCrypto, Random } from '../core/host.js';
import { modPow, montgomeryFor } from '../core/crypto/modpow.js';
import { bigIntToBytes, bytesToBigInt } from '../core/bytes/bigint.js';
import { concat as concatBytes, equalBytes } from '../core/bytes/bytes.js';

/**
 * ChaCha20 (RFC 8439: 32-byte key, 12-byte nonce, 32-bit block counter) XORed over `data`.
 * A new array; `data` is not changed.
 */
export type ChaCha20 = (key: Uint8Array, nonce: Uint8Array, data: Uint8Array, counter: number) => Uint8Array;

/** Native primitives a platform may hand in; each one missing is done by noble. */
export interface HapNatives {
  sha512?: (data: Uint8Array) => Uint8Array;
  chacha20?: ChaCha20;
}

export interface PureHapCryptoOptions {
  /**
   * Width of noble's precomputed table of Ed25519 base-point multiples (noble's default 6).
   * 1 (the default here) builds no table. The default table costs about 7,000 XS slots
   * plus ~1,400 points' BigInts (over 300 KB on a 32-bit device), far beyond an ESP32's XS
   * heap; without it a signature costs more CPU (figures: `npm run bench`, "hap.*").
   * noble keeps the setting on its shared base point, so the last factory call wins.
   */
  ed25519BaseWindow?: number;
}

const SHA512_BLOCK = 128;
const TAG_BYTES = 16;

// No base-point table by default (see PureHapCryptoOptions). Set here, at module load, so
// that on the device it happens at preload, before noble's objects are frozen into flash.
ed25519.Point.BASE.precompute(1);

/** The group order of Ed25519's base point. */
const ED25519_L = ed25519.Point.Fn.ORDER;

export function createPureHapCrypto(random: Random, natives: HapNatives = {}, options: PureHapCryptoOptions = {}): HapCrypto {
  if (options.ed25519BaseWindow !== undefined) ed25519.Point.BASE.precompute(options.ed25519BaseWindow);
  const sha512 = natives.sha512 ?? ((data: Uint8Array) => nobleSha512(data));
  const xorStream = natives.chacha20
    ? wrapXorStream(natives.chacha20)
    : nobleChacha20;
  const aead = _poly1305_aead(xorStream);

  const hmacSha512 = (key: Uint8Array, message: Uint8Array): Uint8Array => {
    const k = new Uint8Array(SHA512_BLOCK);
    k.set(key.length > SHA512_BLOCK ? sha512(key) : key);
    const inner = new Uint8Array(SHA512_BLOCK + message.length);
    const outer = new Uint8Array(SHA512_BLOCK + 64);
    for (let i = 0; i < SHA512_BLOCK; i++) {
      inner[i] = k[i] ^ 0x36;
      outer[i] = k[i] ^ 0x5c;
    }
    inner.set(message, SHA512_BLOCK);
    outer.set(sha512(inner), SHA512_BLOCK);
    return sha512(outer);
  };

  let lastKey: { secret: Uint8Array; prefix: Uint8Array; scalar: bigint; publicKey: Uint8Array } | undefined;
  const signingKey = (secret: Uint8Array) => {
    if (secret.length !== 32) throw new RangeError('an Ed25519 private key is 32 bytes');
    if (!lastKey || !equalBytes(lastKey.secret, secret)) {
      const { prefix, scalar, pointBytes } = ed25519.utils.getExtendedPublicKey(secret);
      lastKey = { secret: secret.slice(), prefix, scalar, publicKey: pointBytes };
    }
    return lastKey;
  };

  const seed = (): Uint8Array => {
    const bytes = random.bytes(32);
    if (bytes.length !== 32) throw new Error('Random port returned the wrong number of bytes');
    return Uint8Array.from(bytes);
  };

  return {
    sha512: (data) => sha512(data),

    // RFC 5869, with HMAC-SHA-512.
    hkdfSha512(ikm, salt, info, length) {
      if (!Number.isInteger(length) || length < 0 || length > 255 * 64) throw new RangeError(`HKDF length ${length} out of range`);
      const prk = hmacSha512(salt.length > 0 ? salt : new Uint8Array(64), ikm);
      const out = new Uint8Array(length);
      let previous: Uint8Array = new Uint8Array(0);
      for (let i = 0, filled = 0; filled < length; i++) {
        const block = new Uint8Array(previous.length + info.length + 1);
        block.set(previous);
        block.set(info, previous.length);
        block[block.length - 1] = i + 1;
        previous = hmacSha512(prk, block);
        out.set(previous.subarray(0, Math.min(64, length - filled)), filled);
        filled += 64;
      }
      return out;
    },

    chacha20Poly1305Seal(key, nonce, plaintext, aad) {
      return aead(key, nonce, aad).encrypt(plaintext);
    },

    chacha20Poly1305Open(key, nonce, sealed, aad) {
      if (sealed.length < TAG_BYTES) return undefined;
      try {
        return aead(key, nonce, aad).decrypt(sealed);
      } catch {
        return undefined; // a bad tag, which is what hostile input looks like
      }
    },

    x25519KeyPair() {
      const privateKey = seed();
      return { privateKey, publicKey: x25519.getPublicKey(privateKey) };
    },

    x25519(privateKey, publicKey) {
      // noble throws on the all-zero shared secret (a low-order public key): the callers
      // treat a throw as a failed verification.
      return x25519.getSharedSecret(privateKey, publicKey);
    },

    ed25519KeyPair() {
      const privateKey = seed();
      return { privateKey, publicKey: ed25519.getPublicKey(privateKey) };
    },

    // RFC 8032 5.1.6 with the expanded key kept: noble's sign() works out the public key
    // again each time, a second base-point multiplication (~40 % of a signature in XS). The
    // accessory signs with one long-term key; its hashes go through the native SHA-512.
    ed25519Sign(privateKey, message) {
      const key = signingKey(privateKey);
      const r = modL(sha512(concatBytes(key.prefix, message)));
      const R = ed25519.Point.BASE.multiply(r).toBytes();
      const k = modL(sha512(concatBytes(R, key.publicKey, message)));
      return concatBytes(R, littleEndian((r + k * key.scalar) % ED25519_L));
    },

    ed25519Verify(publicKey, message, signature) {
      if (publicKey.length !== 32 || signature.length !== 64) return false;
      try {
        return ed25519.verify(signature, message, publicKey);
      } catch {
        return false; // a point that does not decode
      }
    },

    modPow,

    fixedBasePow(base, modulus, maxBits) {
      return montgomeryFor(modulus).fixedBase(base, maxBits);
    },
  };
}

/** A 64-byte little-endian hash as a scalar mod L. */
function modL(hash: Uint8Array): bigint {
  return bytesToBigInt(Uint8Array.from(hash).reverse()) % ED25519_L;
}

/** A scalar < L as Ed25519's 32 little-endian bytes. */
function littleEndian(x: bigint): Uint8Array {
  return bigIntToBytes(x, 32).reverse();
}

/** noble's XorStream signature over a platform ChaCha20 (output buffer ignored: a new one). */
function wrapXorStream(chacha20: ChaCha20): typeof nobleChacha20 {
  return ((key: Uint8Array, nonce: Uint8Array, data: Uint8Array, output?: Uint8Array, counter = 0) => {
    const result = chacha20(key, nonce, data, counter);
    if (output) {
      output.set(result);
      return output;
    }
    return result;
  }) as unknown as typeof nobleChacha20;
}

// For SRP code and benchmarks that run beside this HapCrypto in one bundle (xsnap).
export { bigIntToBytes, bytesToBigInt };
export { montgomery } from '../core/crypto/modpow.js';
