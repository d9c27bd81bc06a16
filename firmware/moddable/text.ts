// UTF-8 bytes → string for the adapters, in native code (XS `String.fromArrayBuffer`).
//
// Not the core's utf8Decode: that one builds strings with String.fromCharCode.apply over
// ASCII runs of up to 4096 bytes, and XS pushes apply's arguments onto the JS stack
// (creation.stack, 512 slots here). A capture file, a CA PEM or a long console line would
// abort the VM with "JavaScript stack overflow" — seen on the lin build replaying the demo
// capture. fromArrayBuffer rejects malformed UTF-8 (TypeError) but, unlike utf8Decode, not
// surrogate code points; adapters only feed it files and lines, not MQTT strings.

export function decodeText(bytes: Uint8Array): string {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  return String.fromArrayBuffer(whole ? bytes.buffer : bytes.slice().buffer);
}
