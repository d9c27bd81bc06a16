// Issue 11: "The Node AES adapter creates a new cipher whenever the key changes and
// hex-encodes the key on every block." It must keep one cipher per key, and still give the
// right block for every key, including a key changed in place.
import * as nodeCrypto from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';

vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, createCipheriv: vi.fn(actual.createCipheriv) };
});

const { createNodeAes } = await import('../../host-sim/crypto.js');

function reference(key: Uint8Array, block: Uint8Array): Uint8Array {
  const c = (vi.mocked(nodeCrypto.createCipheriv).getMockImplementation()!)('aes-128-ecb', key, null);
  c.setAutoPadding(false);
  return new Uint8Array(c.update(block));
}

describe('Node AES adapter', () => {
  it('makes one cipher per key, however often the key changes', () => {
    const aes = createNodeAes();
    const keys = [1, 2, 3].map((k) => new Uint8Array(16).fill(k));
    const block = new Uint8Array(16).fill(0x5a);
    const expected = keys.map((k) => reference(k, block));
    const create = vi.mocked(nodeCrypto.createCipheriv);
    create.mockClear();
    for (let round = 0; round < 50; round++) {
      keys.forEach((k, i) => expect(new Uint8Array(aes(k, block))).toEqual(expected[i]));
    }
    expect(create).toHaveBeenCalledTimes(3);
    // The same bytes in a new array (an expanded legacy key, made per frame) reuse the cipher.
    aes(new Uint8Array(16).fill(2), block);
    expect(create).toHaveBeenCalledTimes(3);
  });

  it('follows a key changed in place', () => {
    const aes = createNodeAes();
    const key = new Uint8Array(16).fill(7);
    const block = new Uint8Array(16).fill(1);
    aes(key, block);
    key[0] = 8;
    expect(new Uint8Array(aes(key, block))).toEqual(reference(key, block));
  });
});
