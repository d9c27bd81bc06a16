// Shared result types of all advertisement decoders.

import type { AesEncryptBlock } from '../host.js';
import type { ValueKey } from '../values/keys.js';

/**
 * Readings keyed as in Tasmota's SENSOR JSON ("Temperature", "Humidity", "Button1", ...).
 * Numbers almost always; BTHome text/raw objects are strings. Only keys of the value-key
 * table (values/keys.ts) and their numbered copies fit: a misspelt key does not compile.
 */
export type Values = { [K in ValueKey]?: number | string };

/** The value under a key known only at run time (a key read from a table, a command or the page). */
export function valueAt(values: Values, key: string): number | string | undefined {
  return (values as Readonly<Record<string, number | string | undefined>>)[key];
}

export type Format = 'mibeacon' | 'atc' | 'pvvx' | 'bthome' | 'qingping' | 'scale' | 'hhcc' | 'atbtn';

/** Why a frame gave no values. Stable codes, for counters and tests; `error` is the text. */
export type ErrorCode =
  | 'bad-input' // not hex, no MAC, ...
  | 'too-short' // truncated frame
  | 'malformed' // lengths inside the frame do not add up
  | 'unsupported' // a version or variant we do not decode (mesh, v1, ...)
  | 'no-key' // encrypted and no key for this device
  | 'wrong-key' // tag did not verify (wrong key or corrupted frame)
  | 'mac-mismatch' // MAC inside the frame is not the sender's
  | 'not-encrypted' // plain frame from a device that has a key: possible downgrade
  | 'unknown-format'; // no service data we know

/**
 * A reading's MAC when neither the frame nor the caller named one (`mi32 decode` of a
 * frame pasted without its sender): the decoders that need no address still decode.
 * The gateway always passes the sender's address, so its readings never carry it.
 */
export const NO_MAC = '';

export interface Reading {
  /** Device MAC, 12 uppercase hex digits, display order; NO_MAC when unknown. */
  mac: string;
  /** Manufacturer model ("LYWSD03MMC"), or Tasmota's MI_<PID> when unknown. */
  model: string;
  /** Tasmota type name used in MQTT keys ("LYWSD03"). */
  type: string;
  /** Product id as 4 lowercase hex digits (mi32cfg form); null when the format has none. */
  pid: string | null;
  format: Format;
  /**
   * The values came out of a decryption whose tag verified (legacy MiBeacon v2/v3: whose
   * objects all parsed). Only such readings may move a keyed device's counter or values.
   */
  encrypted: boolean;
  /** Frame/packet counter as the format defines it (32-bit for MiBeacon v4/v5 and BTHome). */
  counter: number | null;
  values: Values;
  /** Objects present in the frame that we do not decode (hex ids), for logs. */
  unknown?: string[];
  /** Advertised local name, when the format uses it as the device name (BTHome). */
  localName?: string;
}

export interface DecodeError {
  error: string;
  code: ErrorCode;
  mac?: string;
  model?: string;
  type?: string;
  pid?: string | null;
  format?: Format;
  encrypted?: boolean;
  /** A keyed device's frame without objects (pairing/capability beacon): legitimate, but authenticates nothing. */
  empty?: true;
}

export type DecodeResult = Reading | DecodeError;

export function isError(r: DecodeResult): r is DecodeError {
  return (r as DecodeError).error !== undefined;
}

/** What a decoder gets besides the bytes. */
export interface DecodeContext {
  aes: AesEncryptBlock;
  /** Bind key for a MAC (display order, uppercase), if one is known. */
  keyFor(mac: string): Uint8Array | undefined;
}

export function fail(code: ErrorCode, error: string, extra: Omit<DecodeError, 'error' | 'code'> = {}): DecodeError {
  return { error, code, ...extra };
}

/**
 * A keyed device speaks only in frames whose tag verifies. A plain reading that names a
 * keyed MAC, or that comes from a keyed sender but names another MAC (ATC/pvvx and
 * Qingping frames carry their MAC), is someone speaking in its name: refused, whatever
 * the format. The one check all decoders share, applied where service data is decoded.
 */
export function refuseUnauthenticated(r: DecodeResult, sourceMac: string | undefined, ctx: DecodeContext): DecodeResult {
  if (isError(r) || r.encrypted) return r;
  const keyed = ctx.keyFor(r.mac) ? r.mac : sourceMac !== undefined && sourceMac !== r.mac && ctx.keyFor(sourceMac) ? sourceMac : undefined;
  if (keyed === undefined) return r;
  return fail('not-encrypted', `plain ${r.format} frame naming ${r.mac}${sourceMac && sourceMac !== r.mac ? ` from ${sourceMac}` : ''}: ${keyed} has a bind key, so only authenticated frames count`,
    { mac: r.mac, model: r.model, type: r.type, pid: r.pid, format: r.format, encrypted: false });
}
