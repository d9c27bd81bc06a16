// BLEOp: one GATT operation as a JSON command, cmnd/<topic>/BLEOp
// {"mac","svc","chr","op","data"?}, run by the GATT client that MI32Battery and the scripts'
// BLE.run use, with Tasmota's op and error codes (gatt/codes.ts). The command answers at
// once ({"BLEOp":"Queued",...}); the outcome follows on stat/<topic>/RESULT:
// {"BLEOp":{"MAC":...,"Op":1,"Error":0,"State":"no error","Data":"..."}}.
// The payload comes from anyone on the broker: it is checked whole before anything is
// queued, and a bad one is an error reply that changes nothing.

import { fromHex, normalizeMac, toHex } from '../bytes/hex.js';
import { GATT_ERROR_TEXT, GATT_OP, VALID_OPS } from '../gatt/codes.js';
import type { GattClient, GattRequest, GattResult } from '../gatt/client.js';
import { MAX_VALUE_BYTES } from '../gatt/request.js';
import { parseUuid, shortUuid } from '../gatt/uuid.js';
import { CommandError, type Reply } from './command-reply.js';

/** A BLEOp payload longer than this is refused before parsing (a write carries at most 512 bytes = 1024 hex digits). */
export const BLEOP_MAX_PAYLOAD = 2048;

const FIELDS = ['mac', 'svc', 'chr', 'op', 'data', 'addrType', 'handle', 'response', 'id'];

/** What the caller may echo back to match a result to its request. */
type RequestId = string | number;

export interface ParsedBleOp {
  request: GattRequest;
  id?: RequestId;
}

function fail(message: string): never {
  throw new CommandError(message);
}

/** The BLEOp payload → a GATT request; throws CommandError saying what is wrong. */
export function parseBleOp(payload: string): ParsedBleOp {
  if (payload === '') fail('usage: BLEOp {"mac":"A4C1381A2B01","svc":"180F","chr":"2A19","op":11} (op: 1 read, 2 write, 3 subscribe, 4 unsubscribe, 5 disconnect; 11-14 connect, op-10, disconnect)');
  if (payload.length > BLEOP_MAX_PAYLOAD) fail(`payload is ${payload.length} characters; at most ${BLEOP_MAX_PAYLOAD}`);
  let raw: unknown;
  try {
    raw = JSON.parse(payload);
  } catch (e) {
    fail(`payload is not JSON (${(e as Error).message})`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail('payload must be a JSON object {"mac","svc","chr","op","data"?}');
  const o = raw as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => !FIELDS.includes(k));
  if (unknown.length > 0) fail(`unknown field ${JSON.stringify(unknown[0]!.slice(0, 20))} (fields: ${FIELDS.join(', ')})`);

  const mac = typeof o.mac === 'string' ? normalizeMac(o.mac) : undefined;
  if (!mac) fail(`"mac" must be a MAC (12 hex digits), got ${shown(o.mac)}`);
  if (typeof o.op !== 'number' || !VALID_OPS.includes(o.op)) fail(`"op" must be one of ${VALID_OPS.join(', ')} (Tasmota's BLE op codes), got ${shown(o.op)}`);
  const op = o.op;
  const base = op > 10 ? op - 10 : op;
  const request: GattRequest = { op, mac };

  if (o.addrType !== undefined) {
    if (typeof o.addrType !== 'number' || !Number.isInteger(o.addrType) || o.addrType < 0 || o.addrType > 3) fail(`"addrType" must be 0-3, got ${shown(o.addrType)}`);
    request.addrType = o.addrType;
  }
  if (base !== GATT_OP.disconnect) {
    if (o.handle !== undefined) {
      if (typeof o.handle !== 'number' || !Number.isInteger(o.handle) || o.handle < 1 || o.handle > 0xffff) fail(`"handle" must be 1-65535, got ${shown(o.handle)}`);
      request.handle = o.handle;
    } else {
      request.service = uuidField(o, 'svc');
      request.characteristic = uuidField(o, 'chr');
    }
  }
  if (base === GATT_OP.write) {
    if (typeof o.data !== 'string') fail('a write (op 2 or 12) needs "data": the bytes in hex');
    const bytes = fromHex(o.data);
    if (!bytes) fail(`"data" must be hex digits (pairs), got ${shown(o.data)}`);
    if (bytes.length > 512) fail(`"data" is ${bytes.length} bytes; at most 512`);
    request.value = bytes;
  } else if (o.data !== undefined) {
    fail(`"data" is for writes (op 2 or 12) only; op ${op} takes none`);
  }
  if (o.response !== undefined) {
    if (typeof o.response !== 'boolean') fail(`"response" must be true or false, got ${shown(o.response)}`);
    request.withResponse = o.response;
  }
  const parsed: ParsedBleOp = { request };
  if (o.id !== undefined) {
    const okId = (typeof o.id === 'string' && o.id.length <= 32) || (typeof o.id === 'number' && Number.isFinite(o.id));
    if (!okId) fail(`"id" must be a number or a string of at most 32 characters, got ${shown(o.id)}`);
    parsed.id = o.id as RequestId;
  }
  return parsed;
}

function uuidField(o: Record<string, unknown>, key: 'svc' | 'chr'): string {
  const value = o[key];
  const uuid = typeof value === 'string' ? parseUuid(value) : undefined;
  if (!uuid) fail(`"${key}" must be a UUID (16-bit "180F", 32-bit or 128-bit), or give "handle"; got ${shown(value)}`);
  return uuid;
}

/** A value quoted back in an error: at most 40 characters of its JSON. */
function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = typeof value;
  }
  return text.length > 40 ? text.slice(0, 40) + '...' : text;
}

/** The outcome as published: Tasmota's op and error code, and what came back. */
export function bleOpResult(result: GattResult, request: GattRequest, id: RequestId | undefined): Reply {
  const out: Record<string, unknown> = { MAC: result.mac, Op: result.op, Error: result.error, State: result.error === 0 ? GATT_ERROR_TEXT[0] : result.message };
  if (request.service) out.Svc = shortUuid(request.service);
  if (request.characteristic) out.Chr = shortUuid(request.characteristic);
  if (result.handle) out.Handle = result.handle;
  if (result.value) out.Data = toHex(result.value);
  if (result.handles) out.Handles = result.handles;
  if (id !== undefined) out.Id = id;
  return { BLEOp: out };
}

/** A notification or a peer's disconnect on a link BLEOp subscribed: Tasmota's op 103 / 5. */
export function bleOpEvent(event: GattResult): Reply {
  const out: Record<string, unknown> = { MAC: event.mac, Op: event.op, Error: event.error };
  if (event.handle) out.Handle = event.handle;
  if (event.uuid16) out.UUID = event.uuid16.toString(16).padStart(4, '0');
  if (event.value) out.Data = toHex(event.value.length > MAX_VALUE_BYTES ? event.value.slice(0, MAX_VALUE_BYTES) : event.value);
  return { BLEOp: out };
}

/**
 * Runs BLEOp commands on a GATT client and remembers which peers it subscribed, so that
 * their notifications (op 103) and a later hang-up (op 5) are published too; the
 * scripts' own subscriptions stay theirs.
 */
export class BleOps {
  private readonly subscribedPeers = new Set<string>();

  constructor(private readonly gatt: () => GattClient | undefined, private readonly result: (reply: Reply) => void) {}

  command(payload: string): Reply {
    const { request, id } = parseBleOp(payload); // a bad payload is said to be bad first, on any platform
    const gatt = this.gatt();
    if (!gatt) fail('this platform has no GATT client');
    try {
      gatt.submit(request, (r) => {
        if (r.error === 0 && r.op === GATT_OP.subscribe && request.op === GATT_OP.subscribe) this.subscribedPeers.add(r.mac);
        if (r.op === GATT_OP.disconnect) this.subscribedPeers.delete(r.mac);
        this.result(bleOpResult(r, request, id));
      });
    } catch (e) {
      fail((e as Error).message); // queue full, or what the client's own check refuses
    }
    return { BLEOp: 'Queued', MAC: request.mac, Op: request.op, ...(id !== undefined ? { Id: id } : {}) };
  }

  /** Every unrequested GATT event; only those of peers BLEOp subscribed are published. */
  onEvent(event: GattResult): void {
    if (!this.subscribedPeers.has(event.mac)) return;
    if (event.op === GATT_OP.disconnect) this.subscribedPeers.delete(event.mac);
    this.result(bleOpEvent(event));
  }
}
