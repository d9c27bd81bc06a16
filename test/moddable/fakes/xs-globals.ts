// XS built-ins the Moddable adapters use that Node lacks. String.fromArrayBuffer decodes
// UTF-8 and throws a TypeError on malformed input, as XS does.
const S = String as unknown as { fromArrayBuffer?: (buffer: ArrayBuffer) => string };
if (!S.fromArrayBuffer) {
  S.fromArrayBuffer = (buffer: ArrayBuffer) => {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(buffer);
    } catch {
      throw new TypeError('String.fromArrayBuffer: invalid UTF-8');
    }
  };
}
export {};
