// Node implementation of the Crypto port: AES-128 block encryption via OpenSSL.
import { createCipheriv, type Cipher } from 'node:crypto';
import type { AesEncryptBlock, Crypto } from '../firmware/core/host.js';

/** One ECB cipher per key, reused: ECB without padding is stateless between blocks. */
export function createNodeAes(): AesEncryptBlock {
  let lastKeyHex = '';
  let cipher: Cipher | undefined;
  return (key, block) => {
    const keyHex = Buffer.from(key.buffer, key.byteOffset, key.length).toString('hex');
    if (!cipher || keyHex !== lastKeyHex) {
      cipher = createCipheriv('aes-128-ecb', key, null);
      cipher.setAutoPadding(false);
      lastKeyHex = keyHex;
    }
    return new Uint8Array(cipher.update(block));
  };
}

export function createNodeCrypto(): Crypto {
  return { aesEncryptBlock: createNodeAes() };
}
