// Modular exponentiation over BigInt for SRP-6a's 3072-bit group (HomeKit pair-setup), for
// engines without a native modexp the core can reach (XS under xsnap; the device's pure-JS
// HapCrypto). Node's HapCrypto uses OpenSSL instead.
//
// Why Montgomery and a sliding window: in XS each BigInt operation is one C call, so the
// cost is the number of 3072-bit products and reductions. Montgomery's REDC replaces the
// division of `%` by two multiplications, a mask and a shift (about 25 % less CPU per step
// in xsnap); a 5-bit sliding window cuts the multiplications of a 256-bit exponent from
// ~128 to ~45. Measured figures: `npm run bench` (bench "hap.*").
//
// Not constant-time (neither is BigInt): the exponents here are per-session ephemerals or
// public values, and a remote timing attack over Wi-Fi on an SRP step is out of scope.

/** A Montgomery context for one odd modulus (R = 2^bits(m)). Build it once per modulus. */
export interface Montgomery {
  readonly modulus: bigint;
  /** base^exponent mod modulus. */
  pow(base: bigint, exponent: bigint): bigint;
  /**
   * base^e for many e of at most `maxBits` bits, with a precomputed comb table (Lim-Lee,
   * 4 rows: 16 entries, 6 KB for a 3072-bit modulus). Building it costs about 3/4 of
   * maxBits squarings; each pow then costs maxBits/4 squarings and as many multiplications
   * at most, against maxBits squarings for pow(). SRP's v^u (v fixed, u 512 bits) is the use.
   */
  fixedBase(base: bigint, maxBits: number): (exponent: bigint) => bigint;
}

const WINDOW_BITS = 5;
const COMB_ROWS = 4;

/** The low `count` bits of `x` (x >= 0), least significant first, 32 bits per BigInt step. */
function bitsOf(x: bigint, count: number): Uint8Array {
  const bits = new Uint8Array(count);
  let rest = x;
  for (let at = 0; at < count && rest > 0n; at += 32) {
    const word = Number(rest & 0xffffffffn);
    for (let i = 0; i < 32 && at + i < count; i++) bits[at + i] = (word >>> i) & 1;
    rest >>= 32n;
  }
  return bits;
}

export function montgomery(modulus: bigint): Montgomery {
  if (modulus <= 1n || (modulus & 1n) === 0n) throw new RangeError('Montgomery needs an odd modulus > 1');
  const k = BigInt(modulus.toString(2).length);
  const mask = (1n << k) - 1n;
  // -m^-1 mod R by Newton's iteration: each step doubles the number of correct low bits.
  let inverse = 1n;
  for (let bits = 1n; bits < k; bits *= 2n) inverse = (inverse * (2n - modulus * inverse)) & mask;
  const mPrime = (-inverse) & mask;

  const redc = (t: bigint): bigint => {
    const u = (((t & mask) * mPrime) & mask);
    const x = (t + u * modulus) >> k;
    return x >= modulus ? x - modulus : x;
  };
  const toMont = (a: bigint): bigint => (((a % modulus) + modulus) % modulus << k) % modulus;

  const context: Montgomery = {
    modulus,
    pow(base: bigint, exponent: bigint): bigint {
      if (exponent < 0n) throw new RangeError('negative exponent');
      if (exponent === 0n) return 1n % modulus;
      const bits = exponent.toString(2);
      // Odd powers base^1, base^3, ..., base^(2^W - 1), in Montgomery form.
      const b = toMont(base);
      const b2 = redc(b * b);
      const odd: bigint[] = [b];
      for (let i = 1; i < 1 << (WINDOW_BITS - 1); i++) odd.push(redc(odd[i - 1] * b2));

      let r = toMont(1n);
      let i = 0;
      while (i < bits.length) {
        if (bits.charCodeAt(i) === 48 /* '0' */) {
          r = redc(r * r);
          i++;
          continue;
        }
        // The longest window of at most W bits starting here that ends in a 1.
        let j = Math.min(i + WINDOW_BITS, bits.length);
        while (bits.charCodeAt(j - 1) === 48) j--;
        for (let s = i; s < j; s++) r = redc(r * r);
        r = redc(r * odd[parseInt(bits.slice(i, j), 2) >> 1]);
        i = j;
      }
      return redc(r);
    },

    fixedBase(base: bigint, maxBits: number): (exponent: bigint) => bigint {
      const columns = Math.ceil(maxBits / COMB_ROWS);
      // rowBase[i] = base^(2^(i*columns)); table[j] = product of rowBase[i] over the bits i of j.
      const rowBase = [toMont(base)];
      for (let i = 1; i < COMB_ROWS; i++) {
        let x = rowBase[i - 1];
        for (let s = 0; s < columns; s++) x = redc(x * x);
        rowBase.push(x);
      }
      const table: bigint[] = [toMont(1n)];
      for (let j = 1; j < 1 << COMB_ROWS; j++) {
        const low = j & -j;
        const i = 31 - Math.clz32(low);
        table.push(j === low ? rowBase[i] : redc(table[j - low] * rowBase[i]));
      }
      return (exponent: bigint): bigint => {
        if (exponent < 0n) throw new RangeError('negative exponent');
        if (exponent >> BigInt(columns * COMB_ROWS) !== 0n) return context.pow(base, exponent);
        const bits = bitsOf(exponent, columns * COMB_ROWS);
        let r = table[0];
        for (let k = columns - 1; k >= 0; k--) {
          r = redc(r * r);
          let j = 0;
          for (let i = 0; i < COMB_ROWS; i++) j |= bits[i * columns + k] << i;
          if (j !== 0) r = redc(r * table[j]);
        }
        return redc(r);
      };
    },
  };
  return context;
}

const contexts = new Map<bigint, Montgomery>();

/** The cached Montgomery context of an odd modulus (SRP uses one; a few are kept). */
export function montgomeryFor(modulus: bigint): Montgomery {
  let context = contexts.get(modulus);
  if (!context) {
    if (contexts.size >= 4) contexts.clear();
    context = montgomery(modulus);
    contexts.set(modulus, context);
  }
  return context;
}

/** base^exponent mod modulus; Montgomery for odd moduli. */
export function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  if ((modulus & 1n) === 0n) return plainModPow(base, exponent, modulus);
  return montgomeryFor(modulus).pow(base, exponent);
}

/** Square-and-multiply with `%`: even moduli, and the reference the tests compare against. */
export function plainModPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  if (modulus <= 0n) throw new RangeError('modulus must be positive');
  if (exponent < 0n) throw new RangeError('negative exponent');
  let r = 1n % modulus;
  let b = ((base % modulus) + modulus) % modulus;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % modulus;
    b = (b * b) % modulus;
    e >>= 1n;
  }
  return r;
}
