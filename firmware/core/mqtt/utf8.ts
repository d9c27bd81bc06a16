// Strict UTF-8 for MQTT strings. The core has no TextEncoder (not in ES2022, not global
// on every XS build), and MQTT §1.5.3 forbids surrogate code points, so we encode and
// decode ourselves and reject what the spec rejects instead of replacing it silently.

import { MqttError } from './errors.js';

/** Number of bytes `text` takes in UTF-8. Throws on a lone surrogate. */
export function utf8Length(text: string): number {
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) length += 1;
    else if (unit < 0x800) length += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff) {
      const low = text.charCodeAt(i + 1);
      if (!(low >= 0xdc00 && low <= 0xdfff)) throw loneSurrogate(i);
      length += 4;
      i++;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) throw loneSurrogate(i);
    else length += 3;
  }
  return length;
}

/** Writes `text` as UTF-8 into `out` at `offset`; returns the offset after it. */
export function utf8Write(text: string, out: Uint8Array, offset: number): number {
  let at = offset;
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (code < 0x80) {
      out[at++] = code;
      continue;
    }
    if (code >= 0xd800 && code <= 0xdbff) {
      const low = text.charCodeAt(i + 1);
      if (!(low >= 0xdc00 && low <= 0xdfff)) throw loneSurrogate(i);
      code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
      i++;
    } else if (code >= 0xdc00 && code <= 0xdfff) throw loneSurrogate(i);
    if (code < 0x800) {
      out[at++] = 0xc0 | (code >> 6);
    } else if (code < 0x10000) {
      out[at++] = 0xe0 | (code >> 12);
      out[at++] = 0x80 | ((code >> 6) & 0x3f);
    } else {
      out[at++] = 0xf0 | (code >> 18);
      out[at++] = 0x80 | ((code >> 12) & 0x3f);
      out[at++] = 0x80 | ((code >> 6) & 0x3f);
    }
    out[at++] = 0x80 | (code & 0x3f);
  }
  return at;
}

export function utf8Encode(text: string): Uint8Array {
  const out = new Uint8Array(utf8Length(text));
  utf8Write(text, out, 0);
  return out;
}

/** Decodes bytes[start, end) strictly: overlong forms, surrogates and truncation throw. */
export function utf8Decode(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let text = '';
  let i = start;
  while (i < end) {
    const b0 = bytes[i];
    // A run of ASCII is by far the common case for topics; take it in one go.
    if (b0 < 0x80) {
      let j = i + 1;
      // Bounded run: apply() puts every argument on the engine's stack, and XS on an ESP32
      // has 384-512 slots (manifest creation.stack); 4096 overflowed it on the lin build.
      const limit = Math.min(end, i + 128);
      while (j < limit && bytes[j] < 0x80) j++;
      text += String.fromCharCode.apply(null, Array.from(bytes.subarray(i, j)));
      i = j;
      continue;
    }
    let code: number;
    let need: number;
    let min: number;
    if (b0 >= 0xc2 && b0 <= 0xdf) { code = b0 & 0x1f; need = 1; min = 0x80; }
    else if (b0 >= 0xe0 && b0 <= 0xef) { code = b0 & 0x0f; need = 2; min = 0x800; }
    else if (b0 >= 0xf0 && b0 <= 0xf4) { code = b0 & 0x07; need = 3; min = 0x10000; }
    else throw badUtf8(i);
    if (i + need >= end) throw badUtf8(i); // truncated sequence
    for (let k = 1; k <= need; k++) {
      const b = bytes[i + k];
      if ((b & 0xc0) !== 0x80) throw badUtf8(i);
      code = (code << 6) | (b & 0x3f);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) throw badUtf8(i);
    text += String.fromCodePoint(code);
    i += need + 1;
  }
  return text;
}

function loneSurrogate(index: number): MqttError {
  return new MqttError('invalid-packet', `string has a lone surrogate at index ${index}; MQTT strings must be valid UTF-8`);
}

function badUtf8(offset: number): MqttError {
  return new MqttError('malformed-packet', `invalid UTF-8 in MQTT string at byte ${offset}`);
}
