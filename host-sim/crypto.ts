// Node implementation of the Crypto port: AES-128 block encryption via OpenSSL.
import { createCipheriv, createECDH, createHash, type Cipher } from 'node:crypto';
import type { AesEncryptBlock, AuthCrypto, Crypto } from '../firmware/core/host.js';

/** Keys whose ciphers are kept by content (keys made afresh per frame, e.g. expanded legacy keys). */
const CONTENT_CACHE = 16;

/**
 * One ECB cipher per key, kept for as long as the key: ECB without padding is stateless
 * between blocks, so a cipher serves every block of its key. The registry hands the same
 * key object for every frame of a device, so the cipher is found by the key object; a key
 * made afresh with the same bytes is found by comparing bytes among the last few. No
 * cipher is made per key change and nothing is hex-encoded per block.
 */
export function createNodeAes(): AesEncryptBlock {
  const byObject = new WeakMap<Uint8Array, Entry>();
  const byContent: Entry[] = [];
  const cipherFor = (key: Uint8Array): Cipher => {
    // The bytes are compared on a hit too: a caller may have changed a key in place.
    let entry = byObject.get(key);
    if (entry && sameBytes(entry.key, key)) return entry.cipher;
    entry = byContent.find((e) => sameBytes(e.key, key));
    if (!entry) {
      const cipher = createCipheriv('aes-128-ecb', key, null);
      cipher.setAutoPadding(false);
      entry = { key: key.slice(), cipher };
      byContent.push(entry);
      if (byContent.length > CONTENT_CACHE) byContent.shift();
    }
    byObject.set(key, entry);
    return entry.cipher;
  };
  return (key, block) => cipherFor(key).update(block);
}

interface Entry {
  key: Uint8Array;
  cipher: Cipher;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function createNodeCrypto(): Crypto {
  return { aesEncryptBlock: createNodeAes() };
}

/** The AuthCrypto port on OpenSSL: P-256 ECDH and SHA-256 (Mi authentication). */
export function createNodeAuthCrypto(): AuthCrypto {
  const ecdhFor = (privateKey: Uint8Array) => {
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(privateKey);
    return ecdh;
  };
  return {
    p256PublicKey: (privateKey) => new Uint8Array(ecdhFor(privateKey).getPublicKey().subarray(1)),
    p256SharedSecret: (privateKey, peer) => {
      if (peer.length !== 64) throw new RangeError(`P-256 public key must be 64 bytes (X‖Y), got ${peer.length}`);
      // computeSecret checks that the point is on the curve (throws ERR_CRYPTO_ECDH_INVALID_PUBLIC_KEY).
      return new Uint8Array(ecdhFor(privateKey).computeSecret(Buffer.concat([Buffer.of(4), peer])));
    },
    sha256: (data) => new Uint8Array(createHash('sha256').update(data).digest()),
  };
}
