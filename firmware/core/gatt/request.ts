// What a caller asks the GATT client for and what it gets back, and the check a request
// passes before it is queued (scripts and console commands are untrusted input).

import type { GattFailure } from '../host.js';
import { baseOp, GATT_OP, VALID_OPS } from './codes.js';

export interface GattRequest {
  /** 1 read, 2 write, 3 subscribe, 4 unsubscribe, 5 disconnect; 11–14 one-shot forms. */
  op: number;
  /** 12 hex digits, display order. */
  mac: string;
  /** 0 public (default), 1 random, 2/3 identity. */
  addrType?: number;
  /** Canonical UUIDs (uuid.ts). Not needed when `handle` is given. */
  service?: string;
  characteristic?: string;
  /** Select the characteristic by value handle (Tasmota's arg1): UUID lookup is skipped. */
  handle?: number;
  /** For writes. */
  value?: Uint8Array;
  /** Write with response when the characteristic allows it (Tasmota's `response`). */
  withResponse?: boolean;
  /** Connect with bonding (pair when there is no bond): MI32Pair. See GattPeer.bond. */
  bond?: boolean;
}

export interface GattResult {
  mac: string;
  /** The base op (one-shots report op % 10), 103 for a notification, 5 for a disconnect. */
  op: number;
  /** GATT_ERROR code; for an unrequested disconnect, the stack's reason code (may be > 9). */
  error: number;
  /** Tasmota's 16-bit "return uuid" of the characteristic, 0 when none. */
  uuid16: number;
  handle: number;
  /** Read value, or the notification's value. */
  value?: Uint8Array;
  /** Subscribe: the value handles subscribed. */
  handles?: number[];
  /** Human-readable outcome, for logs and command replies. */
  message: string;
}

/** A request that cannot be run at all (bad op, MAC, UUID, queue full): thrown by submit(). */
export class GattRequestError extends Error {
  // A class field, not `this.name = ...`: XS freezes Error.prototype after preload.
  override name = 'GattRequestError';
}

/** A step failed with a Tasmota error code; ends the request. */
export class StepFailure {
  constructor(readonly code: number, readonly detail: string, readonly linkSuspect = false) {}
}

/** Tasmota's [len][data] buffers cap values at 255 bytes. */
export const MAX_VALUE_BYTES = 255;
const MAX_WRITE = 512;
const MAC_RE = /^[0-9A-F]{12}$/;

export function capValue(value: Uint8Array): Uint8Array {
  return value.length > MAX_VALUE_BYTES ? value.slice(0, MAX_VALUE_BYTES) : value;
}

export function describe(error: GattFailure): string {
  return error.reason !== undefined ? `${error.message} (reason ${error.reason})` : error.message;
}

export function validate(r: GattRequest): void {
  if (!VALID_OPS.includes(r.op)) throw new GattRequestError(`op ${r.op} is not a client operation (${VALID_OPS.join(', ')})`);
  if (typeof r.mac !== 'string' || !MAC_RE.test(r.mac.toUpperCase())) throw new GattRequestError(`MAC must be 12 hex digits, got "${r.mac}"`);
  if (r.addrType !== undefined && !(Number.isInteger(r.addrType) && r.addrType >= 0 && r.addrType <= 3)) throw new GattRequestError('address type must be 0-3');
  const base = baseOp(r.op);
  if (base === GATT_OP.disconnect) return;
  if (r.handle !== undefined) {
    if (!(Number.isInteger(r.handle) && r.handle > 0 && r.handle <= 0xffff)) throw new GattRequestError(`handle must be 1-65535, got ${r.handle}`);
  } else if (!r.service || !r.characteristic) {
    throw new GattRequestError('service and characteristic must be set (set_svc, set_chr) or a handle given');
  }
  if (base === GATT_OP.write) {
    if (!(r.value instanceof Uint8Array)) throw new GattRequestError('write needs a value');
    if (r.value.length > MAX_WRITE) throw new GattRequestError(`write value is ${r.value.length} bytes; at most ${MAX_WRITE}`);
  }
}
