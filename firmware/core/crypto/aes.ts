// A portable AES-128 block encryption (FIPS-197), used where the platform has no
// native AES: the XS conformance run under xsnap, and as a cross-check in tests.
// On the device the Crypto port uses Moddable's native BlockCipher("AES"); in Node,
// aes-128-ecb. Only encryption is needed: CCM uses the forward cipher for both ways.

import type { AesEncryptBlock } from '../host.js';

const SBOX = new Uint8Array(256);
buildSbox();

function buildSbox(): void {
  // Generate the S-box from GF(2^8) inverses instead of embedding a 256-entry table.
  let p = 1;
  let q = 1;
  do {
    p = p ^ ((p << 1) & 0xff) ^ (p & 0x80 ? 0x1b : 0); // p * 3
    q ^= q << 1; // q / 3
    q ^= q << 2;
    q ^= q << 4;
    q &= 0xff;
    if (q & 0x80) q ^= 0x09;
    const x = q ^ rotl8(q, 1) ^ rotl8(q, 2) ^ rotl8(q, 3) ^ rotl8(q, 4);
    SBOX[p] = (x ^ 0x63) & 0xff;
  } while (p !== 1);
  SBOX[0] = 0x63;
}

function rotl8(x: number, shift: number): number {
  return ((x << shift) | (x >> (8 - shift))) & 0xff;
}

function xtime(x: number): number {
  return ((x << 1) ^ (x & 0x80 ? 0x1b : 0)) & 0xff;
}

/** Expand a 16-byte key into 11 round keys (176 bytes). */
export function expandKey(key: Uint8Array): Uint8Array {
  if (key.length !== 16) throw new Error('AES-128 needs a 16-byte key');
  const w = new Uint8Array(176);
  w.set(key);
  let rcon = 1;
  for (let i = 16; i < 176; i += 4) {
    let t0 = w[i - 4]!, t1 = w[i - 3]!, t2 = w[i - 2]!, t3 = w[i - 1]!;
    if (i % 16 === 0) {
      const first = t0;
      t0 = SBOX[t1]! ^ rcon;
      t1 = SBOX[t2]!;
      t2 = SBOX[t3]!;
      t3 = SBOX[first]!;
      rcon = xtime(rcon);
    }
    w[i] = w[i - 16]! ^ t0;
    w[i + 1] = w[i - 15]! ^ t1;
    w[i + 2] = w[i - 14]! ^ t2;
    w[i + 3] = w[i - 13]! ^ t3;
  }
  return w;
}

/** Encrypt one block with an expanded key. */
export function encryptBlockExpanded(roundKeys: Uint8Array, block: Uint8Array): Uint8Array {
  const s = new Uint8Array(16);
  for (let i = 0; i < 16; i++) s[i] = block[i]! ^ roundKeys[i]!;
  const t = new Uint8Array(16);
  for (let round = 1; round <= 10; round++) {
    // SubBytes + ShiftRows (state is column-major: byte r + 4c)
    for (let c = 0; c < 4; c++) {
      for (let r = 0; r < 4; r++) t[r + 4 * c] = SBOX[s[r + 4 * ((c + r) % 4)]!]!;
    }
    if (round < 10) {
      // MixColumns
      for (let c = 0; c < 4; c++) {
        const a0 = t[4 * c]!, a1 = t[4 * c + 1]!, a2 = t[4 * c + 2]!, a3 = t[4 * c + 3]!;
        const all = a0 ^ a1 ^ a2 ^ a3;
        s[4 * c] = a0 ^ all ^ xtime(a0 ^ a1);
        s[4 * c + 1] = a1 ^ all ^ xtime(a1 ^ a2);
        s[4 * c + 2] = a2 ^ all ^ xtime(a2 ^ a3);
        s[4 * c + 3] = a3 ^ all ^ xtime(a3 ^ a0);
      }
    } else {
      s.set(t);
    }
    const k = round * 16;
    for (let i = 0; i < 16; i++) s[i] = s[i]! ^ roundKeys[k + i]!;
  }
  return s;
}

/**
 * The portable AesEncryptBlock. Round keys of the last key are cached, because a
 * gateway decrypts many frames of the same device in a row.
 */
export function createSoftAes(): AesEncryptBlock {
  let lastKey: Uint8Array | undefined;
  let lastRoundKeys: Uint8Array | undefined;
  return (key, block) => {
    if (!lastKey || !sameBytes(lastKey, key)) {
      lastRoundKeys = expandKey(key);
      lastKey = key.slice();
    }
    return encryptBlockExpanded(lastRoundKeys!, block);
  };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
