// Little/big-endian integer and float reads over a byte array. Callers check lengths
// first; these helpers do no bounds checks of their own so the decoders stay explicit
// about what a frame must contain.

export function u8(b: Uint8Array, o: number): number {
  return b[o]!;
}

export function s8(b: Uint8Array, o: number): number {
  const v = b[o]!;
  return v > 127 ? v - 256 : v;
}

export function u16le(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}

export function s16le(b: Uint8Array, o: number): number {
  const v = u16le(b, o);
  return v > 0x7fff ? v - 0x10000 : v;
}

export function u16be(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

export function s16be(b: Uint8Array, o: number): number {
  const v = u16be(b, o);
  return v > 0x7fff ? v - 0x10000 : v;
}

export function u24le(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16);
}

export function s24le(b: Uint8Array, o: number): number {
  const v = u24le(b, o);
  return v > 0x7fffff ? v - 0x1000000 : v;
}

export function u32le(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16)) + b[o + 3]! * 0x1000000;
}

export function s32le(b: Uint8Array, o: number): number {
  const v = u32le(b, o);
  return v > 0x7fffffff ? v - 0x100000000 : v;
}

export function f32le(b: Uint8Array, o: number): number {
  return new DataView(b.buffer, b.byteOffset + o, 4).getFloat32(0, true);
}

/** Reader of an unsigned/signed little-endian integer of 1..4 bytes. */
export function intLE(b: Uint8Array, o: number, size: number, signed: boolean): number {
  switch (size) {
    case 1: return signed ? s8(b, o) : u8(b, o);
    case 2: return signed ? s16le(b, o) : u16le(b, o);
    case 3: return signed ? s24le(b, o) : u24le(b, o);
    default: return signed ? s32le(b, o) : u32le(b, o);
  }
}
