// The Crypto port's AES block on Moddable's native `crypt` BlockCipher ("AES", kcl fips197).
// The native side reads ArrayBuffers only, so key and block are copied into exact ones.

import { BlockCipher } from "crypt";
import type { AesEncryptBlock } from "core/host";

/** One cipher per key, reused while the key stays the same (decrypting one device's frames). */
export function createModdableAes(): AesEncryptBlock {
  let lastKey: Uint8Array | undefined;
  let cipher: BlockCipher | undefined;
  return (key, block) => {
    if (!cipher || !lastKey || !sameBytes(lastKey, key)) {
      lastKey = key.slice();
      cipher = new BlockCipher("AES", lastKey.buffer as ArrayBuffer);
    }
    return new Uint8Array(cipher.encrypt(block.slice(0, 16).buffer as ArrayBuffer));
  };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
