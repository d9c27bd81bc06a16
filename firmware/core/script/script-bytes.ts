// A script's Uint8Array may be a subclass with its own fill, set, subarray, length or
// Symbol.toStringTag (on XS it shares our realm; nothing stops it). The gateway reads and
// writes such a buffer only through the built-in getters and indexed access, which no
// script can override, so no script code runs inside the gateway's own calls.

const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;
const tagOf = Object.getOwnPropertyDescriptor(TypedArrayPrototype, Symbol.toStringTag)!.get!;
const lengthOf = Object.getOwnPropertyDescriptor(TypedArrayPrototype, 'length')!.get!;

/** A Uint8Array by its internal brand (also across realms), never by instanceof or toString. */
export function isBytes(value: unknown): value is Uint8Array {
  return ArrayBuffer.isView(value) && tagOf.call(value) === 'Uint8Array';
}

/** The buffer's real length (a subclass's `length` getter is not asked). */
export function bytesLength(buf: Uint8Array): number {
  return lengthOf.call(buf) as number;
}

/** A plain copy of `count` bytes from `from`, clamped to the buffer. */
export function copyBytes(buf: Uint8Array, from = 0, count = bytesLength(buf) - from): Uint8Array {
  const n = Math.max(0, Math.min(count, bytesLength(buf) - from));
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = buf[from + i]!;
  return out;
}

/** Write `bytes` at `at` (clamped), by indexed access. */
export function writeBytes(buf: Uint8Array, at: number, bytes: Uint8Array): void {
  const n = Math.min(bytes.length, bytesLength(buf) - at);
  for (let i = 0; i < n; i++) buf[at + i] = bytes[i]!;
}

/** Zero the buffer, by indexed access. */
export function clearBytes(buf: Uint8Array): void {
  const n = bytesLength(buf);
  for (let i = 0; i < n; i++) buf[i] = 0;
}
