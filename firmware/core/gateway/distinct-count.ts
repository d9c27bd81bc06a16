// Counting distinct MACs (the devices refused because the registry was full) in bounded
// memory. A flood can bring millions of addresses, so remembering each one is out; a
// count that forgets (clearing a set) counts the same device again and again.
//
// Choice: exact for the first EXACT_LIMIT MACs (a set of them, as before), and beyond
// that linear counting over a bitmap of 2^16 bits (8 KB, allocated on first use): each
// MAC sets one bit of its hash, and n ≈ -m·ln(zero bits / m). For 10,000 MACs the
// standard error is about 0.3 %; the estimate stays usable up to a few 100,000 MACs,
// then saturates (reported as the bitmap's ceiling, never decreasing).

const EXACT_LIMIT = 256;
const BITS = 1 << 16;

export class DistinctCounter {
  private exact: Set<string> | undefined = new Set();
  private bitmap: Uint8Array | undefined;
  private zeroBits = BITS;
  private reported = 0;

  /** Count `key` if it was not counted before; returns the current count. */
  add(key: string): number {
    const bitmap = (this.bitmap ??= new Uint8Array(BITS / 8));
    const h = fnv1a(key) & (BITS - 1);
    const mask = 1 << (h & 7);
    if ((bitmap[h >> 3]! & mask) === 0) {
      bitmap[h >> 3] = bitmap[h >> 3]! | mask;
      this.zeroBits--;
    }
    if (this.exact) {
      this.exact.add(key);
      if (this.exact.size <= EXACT_LIMIT) return (this.reported = this.exact.size);
      this.exact = undefined; // from here on the bitmap's estimate
    }
    const estimate = this.zeroBits === 0 ? Math.round(BITS * Math.log(BITS)) : Math.round(-BITS * Math.log(this.zeroBits / BITS));
    this.reported = Math.max(this.reported, estimate);
    return this.reported;
  }

  get count(): number {
    return this.reported;
  }
}

/** FNV-1a over the string's char codes: spreads 12-hex MACs well over 16 bits. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h ^ (h >>> 16)) >>> 0;
}
