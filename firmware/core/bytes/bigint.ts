// Big-endian bytes <-> BigInt, for SRP's 3072-bit numbers (A, B, v, S are sent and hashed
// as 384-byte big-endian strings) and P-256's 32-byte coordinates and scalars.
// Written for XS: no slicing of long strings (XS walks a
// string from its start to index it, so a hex-pair loop over 768 characters is quadratic:
// ~3 ms per number in xsnap against ~0.3 ms here), 32 bits per BigInt step.

const HEX = Array.from({ length: 256 }, (_, i) => (i < 16 ? '0' : '') + i.toString(16));

/** The unsigned big-endian value of `bytes` (0n for none). */
export function bytesToBigInt(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  const parts: string[] = new Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) parts[i] = HEX[bytes[i]];
  return BigInt('0x' + parts.join(''));
}

/**
 * `value` as big-endian bytes, left-padded with zeros to `length` when given (SRP's PAD());
 * without a length (or 0), as few as it takes. Throws for a negative value or one that
 * does not fit in `length` bytes.
 */
export function bigIntToBytes(value: bigint, length?: number): Uint8Array {
  if (value < 0n) throw new RangeError('negative value');
  let size = Math.ceil(value.toString(16).length / 8) * 4;
  let x = value;
  const raw = new Uint8Array(size);
  for (let at = size; at > 0; at -= 4) {
    const w = Number(x & 0xffffffffn);
    raw[at - 1] = w & 0xff;
    raw[at - 2] = (w >>> 8) & 0xff;
    raw[at - 3] = (w >>> 16) & 0xff;
    raw[at - 4] = w >>> 24;
    x >>= 32n;
  }
  let first = 0;
  while (first < size && raw[first] === 0) first++;
  size -= first;
  if (!length) return raw.subarray(first).slice();
  if (size > length) throw new RangeError(`value needs ${size} bytes, more than ${length}`);
  const out = new Uint8Array(length);
  out.set(raw.subarray(first), length - size);
  return out;
}
