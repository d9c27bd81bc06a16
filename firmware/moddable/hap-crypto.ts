// The HapCrypto port on the device: the pure-JS HapCrypto (firmware/crypto-js, @noble and
// the core's Montgomery modPow) with Moddable's native SHA-512 (crypt Digest) and ChaCha20
// (crypt StreamCipher, RFC 8439's 12-byte nonce and 32-bit block counter) put in, so that
// HKDF, SRP's hashes and every HAP session frame run in C. Moddable has no Poly1305,
// X25519, Ed25519 or modexp binding: those stay in JS (costs: `npm run bench`, hap.*).
// The native side reads ArrayBuffers only, so inputs are copied into exact ones.

import "mi32/text-globals";
import { Digest, StreamCipher } from "crypt";
import type { HapCrypto, Random } from "core/host";
import { createPureHapCrypto } from "crypto-js/hap-crypto";

const exact = (bytes: Uint8Array): ArrayBuffer => bytes.slice().buffer as ArrayBuffer;

export function nativeSha512(data: Uint8Array): Uint8Array {
  const digest = new Digest("SHA512");
  digest.write(exact(data));
  return new Uint8Array(digest.close());
}

export function nativeChacha20(key: Uint8Array, nonce: Uint8Array, data: Uint8Array, counter: number): Uint8Array {
  if (data.length === 0) return new Uint8Array(0);
  const cipher = new StreamCipher("ChaCha", exact(key), exact(nonce), counter);
  return new Uint8Array(cipher.encrypt(exact(data)));
}

export function createModdableHapCrypto(random: Random): HapCrypto {
  return createPureHapCrypto(random, { sha512: nativeSha512, chacha20: nativeChacha20 });
}
