// HAP's encrypted session after pair-verify (HAP 6.5.2): every byte each way travels in
// frames of a 2-byte little-endian length (at most 1024, also the AAD), the ChaCha20-
// Poly1305 ciphertext and its 16-byte tag; the nonce is 4 zero bytes and a 64-bit
// little-endian count of frames in that direction. Keys come from the pair-verify shared
// secret: HKDF-SHA-512 with salt "Control-Salt", one key per direction.

import type { HapCrypto } from '../host.js';
import type { ConnectionCodec } from '../http/server.js';
import { concat } from '../bytes/hex.js';
import { utf8Encode } from '../mqtt/utf8.js';

export const FRAME_MAX = 1024;
const TAG = 16;

export interface SessionKeys {
  /** Accessory to controller ("Control-Read-Encryption-Key": the controller reads with it). */
  encrypt: Uint8Array;
  /** Controller to accessory ("Control-Write-Encryption-Key"). */
  decrypt: Uint8Array;
}

export function sessionKeys(crypto: HapCrypto, sharedSecret: Uint8Array): SessionKeys {
  const salt = utf8Encode('Control-Salt');
  return {
    encrypt: crypto.hkdfSha512(sharedSecret, salt, utf8Encode('Control-Read-Encryption-Key'), 32),
    decrypt: crypto.hkdfSha512(sharedSecret, salt, utf8Encode('Control-Write-Encryption-Key'), 32),
  };
}

/** 4 zero bytes and the 64-bit little-endian counter (ChaCha20-Poly1305's 12-byte nonce). */
export function counterNonce(count: number): Uint8Array {
  const nonce = new Uint8Array(12);
  let n = count;
  for (let i = 4; i < 12 && n > 0; i++) {
    nonce[i] = n % 256;
    n = Math.floor(n / 256);
  }
  return nonce;
}

export class HapSessionCodec implements ConnectionCodec {
  private inCount = 0;
  private outCount = 0;
  private pending: Uint8Array = new Uint8Array(0);
  private failed = false;

  constructor(private readonly crypto: HapCrypto, private readonly keys: SessionKeys) {}

  /** The plain bytes of every complete frame so far; undefined for a frame that does not authenticate (or is too long). */
  decode(bytes: Uint8Array): Uint8Array | undefined {
    if (this.failed) return undefined;
    this.pending = this.pending.length ? concat(this.pending, bytes) : bytes;
    const out: Uint8Array[] = [];
    while (this.pending.length >= 2) {
      const length = this.pending[0]! | (this.pending[1]! << 8);
      if (length > FRAME_MAX) return this.fail();
      if (this.pending.length < 2 + length + TAG) break;
      const aad = this.pending.subarray(0, 2);
      const plain = this.crypto.chacha20Poly1305Open(this.keys.decrypt, counterNonce(this.inCount), this.pending.subarray(2, 2 + length + TAG), aad);
      if (!plain) return this.fail();
      this.inCount++;
      out.push(plain);
      this.pending = this.pending.subarray(2 + length + TAG);
    }
    // Keep only what is still to come, not the buffer it was cut from.
    if (this.pending.length) this.pending = this.pending.slice();
    return out.length === 1 ? out[0]! : concat(...out);
  }

  encode(bytes: Uint8Array): Uint8Array {
    const frames: Uint8Array[] = [];
    for (let at = 0; at < bytes.length || (at === 0 && bytes.length === 0); at += FRAME_MAX) {
      const chunk = bytes.subarray(at, at + FRAME_MAX);
      const aad = Uint8Array.of(chunk.length & 0xff, chunk.length >> 8);
      frames.push(aad, this.crypto.chacha20Poly1305Seal(this.keys.encrypt, counterNonce(this.outCount++), chunk, aad));
      if (bytes.length === 0) break;
    }
    return concat(...frames);
  }

  private fail(): undefined {
    this.failed = true;
    this.pending = new Uint8Array(0);
    return undefined;
  }
}
