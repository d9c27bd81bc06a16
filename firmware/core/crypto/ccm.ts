// AES-CCM (RFC 3610 / NIST SP 800-38C) over a platform AES block function.
// MiBeacon v4/v5, BTHome and pvvx use 4-byte tags with 11..13-byte nonces; the
// general form is kept (tag 4..16, nonce 7..13) so tests can cross-check against
// node:crypto's aes-128-ccm.

import type { AesEncryptBlock } from '../host.js';

export interface CcmParams {
  aes: AesEncryptBlock;
  key: Uint8Array;
  nonce: Uint8Array;
  /** Associated data (authenticated, not encrypted). */
  aad?: Uint8Array;
  tagLength: number;
}

/** Encrypt and return ciphertext ‖ tag. */
export function ccmEncrypt(p: CcmParams, plaintext: Uint8Array): Uint8Array {
  check(p);
  const tag = cbcMac(p, plaintext);
  const out = new Uint8Array(plaintext.length + p.tagLength);
  out.set(ctr(p, plaintext));
  const s0 = p.aes(p.key, counterBlock(p.nonce, 0));
  for (let i = 0; i < p.tagLength; i++) out[plaintext.length + i] = tag[i]! ^ s0[i]!;
  return out;
}

/**
 * Decrypt `ciphertext` and verify `tag`. Returns the plaintext, or undefined when the
 * tag does not verify (wrong key or corrupted frame): no unauthenticated bytes leak.
 */
export function ccmDecrypt(p: CcmParams, ciphertext: Uint8Array, tag: Uint8Array): Uint8Array | undefined {
  check(p);
  if (tag.length !== p.tagLength) return undefined;
  const plaintext = ctr(p, ciphertext);
  const expected = cbcMac(p, plaintext);
  const s0 = p.aes(p.key, counterBlock(p.nonce, 0));
  let diff = 0;
  for (let i = 0; i < p.tagLength; i++) diff |= (expected[i]! ^ s0[i]!) ^ tag[i]!;
  return diff === 0 ? plaintext : undefined;
}

/**
 * CTR-mode keystream only, without a tag: MiBeacon v2/v3 ("legacy") frames carry no
 * verifiable tag, so their payload is decrypted this way and checked by plausibility.
 */
export function ccmCtrOnly(p: Omit<CcmParams, 'tagLength' | 'aad'>, ciphertext: Uint8Array): Uint8Array {
  return ctr(p, ciphertext);
}

function check(p: CcmParams): void {
  if (p.nonce.length < 7 || p.nonce.length > 13) throw new Error('CCM nonce must be 7..13 bytes');
  if (p.tagLength < 4 || p.tagLength > 16 || p.tagLength % 2) throw new Error('CCM tag must be 4..16 bytes, even');
}

function counterBlock(nonce: Uint8Array, counter: number, into = new Uint8Array(16)): Uint8Array {
  const q = 15 - nonce.length; // bytes of the counter field
  into[0] = q - 1;
  into.set(nonce, 1);
  // counters here are block numbers (< 2^32): shifts, not Math.floor (a call per byte in XS)
  for (let i = 15, c = counter; i > nonce.length; i--, c >>>= 8) into[i] = c & 0xff;
  return into;
}

/**
 * Counter mode from counter 1 (counter 0 is reserved for the tag). One counter block is
 * rewritten per step (the AES port returns a new block and keeps no reference to its input).
 */
function ctr(p: { aes: AesEncryptBlock; key: Uint8Array; nonce: Uint8Array }, input: Uint8Array): Uint8Array {
  const out = new Uint8Array(input.length);
  const block = new Uint8Array(16);
  for (let off = 0, n = 1; off < input.length; off += 16, n++) {
    const ks = p.aes(p.key, counterBlock(p.nonce, n, block));
    const end = Math.min(16, input.length - off);
    // while, not for (let ...): XS copies a for-loop's `let` bindings on every turn
    let i = 0;
    while (i < end) {
      out[off + i] = input[off + i]! ^ ks[i]!;
      i++;
    }
  }
  return out;
}

function cbcMac(p: CcmParams, plaintext: Uint8Array): Uint8Array {
  const aadLength = p.aad?.length ?? 0;
  const q = 15 - p.nonce.length;
  const block = new Uint8Array(16);
  block[0] = (aadLength > 0 ? 0x40 : 0) | (((p.tagLength - 2) / 2) << 3) | (q - 1);
  block.set(p.nonce, 1);
  for (let i = 15, len = plaintext.length; i > p.nonce.length; i--, len >>>= 8) block[i] = len & 0xff;
  let x = p.aes(p.key, block);
  if (aadLength > 0) {
    // AAD shorter than 0xFF00 bytes is prefixed with its 2-byte length; that is all
    // BLE ever needs (a 1-byte 0x11 for MiBeacon).
    if (aadLength >= 0xff00) throw new Error('CCM associated data too long');
    if (aadLength <= 14) {
      // the usual case: length and AAD fit one block, built in place (no allocation)
      const aad = p.aad!;
      block[0] = x[0]! ^ (aadLength >> 8);
      block[1] = x[1]! ^ (aadLength & 0xff);
      for (let i = 0; i < aadLength; i++) block[i + 2] = x[i + 2]! ^ aad[i]!;
      for (let i = aadLength + 2; i < 16; i++) block[i] = x[i]!;
      x = p.aes(p.key, block);
    } else {
      const withLength = new Uint8Array(aadLength + 2);
      withLength[0] = aadLength >> 8;
      withLength[1] = aadLength & 0xff;
      withLength.set(p.aad!, 2);
      x = absorb(p, x, withLength, block);
    }
  }
  return absorb(p, x, plaintext, block);
}

/** CBC-MAC over `data` (zero-padded to whole blocks) from state `x`, in the scratch `block`. */
function absorb(p: CcmParams, x: Uint8Array, data: Uint8Array, block: Uint8Array): Uint8Array {
  for (let off = 0; off < data.length; off += 16) {
    const end = Math.min(16, data.length - off);
    let i = 0;
    while (i < end) {
      block[i] = data[off + i]! ^ x[i]!;
      i++;
    }
    while (i < 16) {
      block[i] = x[i]!; // zero padding: x ^ 0
      i++;
    }
    x = p.aes(p.key, block);
  }
  return x;
}
