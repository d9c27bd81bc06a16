// UTF-8 bytes → string for the adapters, in native code (XS `String.fromArrayBuffer`).
//
// Not the core's utf8Decode, which builds strings with String.fromCharCode.apply: XS pushes
// apply's arguments onto the JS stack (creation.stack, 512 slots here), so it must work in
// small runs, and with runs of 4096 it aborted the lin build ("JavaScript stack overflow")
// replaying the 135 KB demo capture. Native decoding is not bound by the stack and is
// faster for files. fromArrayBuffer rejects malformed UTF-8 (TypeError) but, unlike
// utf8Decode, not surrogate code points; adapters feed it files, lines and payloads.

export function decodeText(bytes: Uint8Array): string {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  return String.fromArrayBuffer(whole ? bytes.buffer : bytes.slice().buffer);
}
