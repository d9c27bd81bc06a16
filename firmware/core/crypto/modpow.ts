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
}

const WINDOW_BITS = 5;

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

  return {
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
  };
}

const contexts = new Map<bigint, Montgomery>();

/** base^exponent mod modulus; Montgomery contexts are cached per modulus (SRP uses one). */
export function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  if ((modulus & 1n) === 0n) return plainModPow(base, exponent, modulus);
  let context = contexts.get(modulus);
  if (!context) {
    if (contexts.size >= 4) contexts.clear();
    context = montgomery(modulus);
    contexts.set(modulus, context);
  }
  return context.pow(base, exponent);
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
