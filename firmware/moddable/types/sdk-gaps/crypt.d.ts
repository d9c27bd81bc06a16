// Members of the `crypt` module that neither @moddable/typings 5.6.0 (no crypt.d.ts at all)
// nor the Moddable SDK 8.2.3 typings (typings/crypt.d.ts: Digest only) declare.
// Written against Moddable SDK 8.2.3 (commit 48ee02d8): modules/crypt/digest/crypt.js and
// modCrypt.c (xs_crypt_cipher_constructor / xs_crypt_cipher_crypt). An ambient declaration,
// so under mcconfig it merges with the SDK's own `declare module "crypt"`.

declare module "crypt" {
  /**
   * One block at a time: `encrypt(data)` reads the first `blockSize` bytes of `data` and
   * returns a new `blockSize`-byte ArrayBuffer (or fills `result`). Key and data must be
   * ArrayBuffers (xsmcToArrayBuffer); AES keys are 16, 24 or 32 bytes ("bad key size").
   */
  export class BlockCipher {
    constructor(cipher: "AES" | "DES" | "TDES", key: ArrayBuffer);
    encrypt(data: ArrayBuffer, result?: ArrayBuffer): ArrayBuffer;
    decrypt(data: ArrayBuffer, result?: ArrayBuffer): ArrayBuffer;
    readonly keySize: number;
    readonly blockSize: number;
  }

  /**
   * A stream cipher (modCrypt.c xs_crypt_streamcipher_*): "ChaCha" is RFC 8439's ChaCha20
   * with a 12-byte nonce (`iv`) and a 32-bit block counter. `encrypt` XORs the key stream
   * over `data` and returns a new ArrayBuffer (or fills `result`).
   */
  export class StreamCipher {
    constructor(cipher: "ChaCha" | "RC4", key: ArrayBuffer, iv?: ArrayBuffer, counter?: number);
    encrypt(data: ArrayBuffer, result?: ArrayBuffer, count?: number): ArrayBuffer;
    decrypt(data: ArrayBuffer, result?: ArrayBuffer, count?: number): ArrayBuffer;
    setIV(iv: ArrayBuffer, counter?: number): void;
  }
}
