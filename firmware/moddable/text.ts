// UTF-8 bytes → string for the adapters, in native code (XS `String.fromArrayBuffer`).
//
// Not the core's utf8Decode, which builds strings with String.fromCharCode.apply in runs
// of 128 bytes (XS pushes apply's arguments onto its 384-512-slot stack; runs of 4096
// once aborted the lin build on the 135 KB demo capture). Native decoding is not bound by
// the stack and is faster for whole files. fromArrayBuffer rejects malformed UTF-8 (TypeError) but, unlike
// utf8Decode, not surrogate code points; adapters feed it files, lines and payloads.

export function decodeText(bytes: Uint8Array): string {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  return String.fromArrayBuffer(whole ? bytes.buffer : bytes.slice().buffer);
}
