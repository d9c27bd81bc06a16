// The `BLE` object scripts see: Tasmota's Berry `import BLE` client side (reference §6.2).
// Scripts pass Uint8Array buffers where Berry passes bytes(); results are written into them
// in Tasmota's layouts, then the callback runs. Every call into the script goes through
// `invoke`, the runtime's guard, so a throwing callback never reaches the gateway.

import { walkStructures } from '../ad/structures.js';
import { fromHex, hex4, normalizeMac, toHex } from '../bytes/hex.js';
import { GATT_OP, VALID_OPS } from '../gatt/codes.js';
import type { GattClient, GattRequest, GattResult } from '../gatt/client.js';
import { GattRequestError } from '../gatt/client.js';
import { parseUuid } from '../gatt/uuid.js';
import type { Advertisement } from '../gateway/registry.js';
import { bytesLength, clearBytes, copyBytes, isBytes, writeBytes } from './script-bytes.js';

export { isBytes } from './script-bytes.js';

type Callback = (...args: never[]) => unknown;

/** One script's adv_watch / adv_block: like the controller's filter lists, they apply to everything scanned (ScriptRuntime.admits combines them). */
export interface ScanFilter {
  watch: Map<string, number>;
  block: Set<string>;
}

/** Entries per filter list (Tasmota's controller lists are smaller still). */
export const MAX_FILTER_ENTRIES = 64;

function checkRoom(list: { size: number; has(mac: string): boolean }, mac: string, fn: string): void {
  if (!list.has(mac) && list.size >= MAX_FILTER_ENTRIES) throw new Error(`BLE.${fn}: at most ${MAX_FILTER_ENTRIES} MACs`);
}

export interface BleContext {
  gatt?: GattClient;
  filter: ScanFilter;
  invoke(fn: Callback, args: unknown[]): void;
  /** Note where the script registered a callback, to name the line if it later loops. */
  remember(fn: Callback): void;
  /** adv_cb, adv_watch or adv_block changed: whether scripts hear advertisements may have changed (ScriptRuntime.hearsAdvertisements). */
  tapsChanged(): void;
}

/** Advertisement buffer: MAC(6) type(1) RSSI(1) len(1) AD bytes; Tasmota allows up to 64 AD bytes. */
const ADV_HEADER = 9;
const ADV_MAX_PAYLOAD = 64;

export class BleScriptState {
  advCallback?: Callback;
  advBuffer?: Uint8Array;
  connCallback?: Callback;
  connBuffer?: Uint8Array;
  mac?: string;
  addrType = 0;
  service?: string;
  characteristic?: string;
  /** Peers this script ran requests against: their notifications and disconnects are its business. */
  readonly peers = new Set<string>();

  constructor(private readonly ctx: BleContext) {}

  /** Fill the adv buffer in Tasmota's layout and call adv_cb(svc, manu). */
  deliverAdvertisement(adv: Advertisement & { addrType?: number }): void {
    const cb = this.advCallback;
    const buf = this.advBuffer;
    if (!cb || !buf || bytesLength(buf) < ADV_HEADER) return;
    const room = Math.min(ADV_MAX_PAYLOAD, bytesLength(buf) - ADV_HEADER);
    const ad = adv.ad.length > room ? adv.ad.subarray(0, room) : adv.ad;
    // The script's buffer: written by index only, never through its own (overridable) methods.
    clearBytes(buf);
    writeBytes(buf, 0, fromHex(adv.mac)!);
    buf[6] = adv.addrType ?? 0;
    buf[7] = adv.rssi & 0xff;
    buf[8] = ad.length;
    writeBytes(buf, ADV_HEADER, ad);
    const { svc, manu } = adIndexes(ad);
    this.ctx.invoke(cb, [svc, manu]);
  }

  /** A result, a notification or a peer's disconnect: buffer `[len][data]`, then conn_cb(error, op, uuid16, handle). */
  deliverGatt(result: GattResult): void {
    const cb = this.connCallback;
    if (!cb) return;
    const buf = this.connBuffer;
    if (buf && bytesLength(buf) > 0) {
      // A one-shot subscribe's result carries the first notification's value; a plain subscribe, its handles.
      const data = result.value ?? (result.handles ? handleBytes(result.handles) : new Uint8Array(0));
      const n = Math.min(data.length, bytesLength(buf) - 1, 255);
      buf[0] = n;
      writeBytes(buf, 1, data.subarray(0, n));
    }
    this.ctx.invoke(cb, [result.error, result.op, result.uuid16, result.handle]);
  }
}

/** Subscribe results: `[2k][handle hi, lo]×k`. */
function handleBytes(handles: number[]): Uint8Array {
  const out = new Uint8Array(handles.length * 2);
  handles.forEach((h, i) => {
    out[i * 2] = h >> 8;
    out[i * 2 + 1] = h & 0xff;
  });
  return out;
}

/**
 * Tasmota's adv_cb arguments: the buffer index of the UUID of the last 16-bit service data
 * element (type 0x16) and of the company id of the last manufacturer element (0xFF), 0 if
 * absent; only elements of length ≥ 3 count.
 */
export function adIndexes(ad: Uint8Array): { svc: number; manu: number } {
  let svc = 0;
  let manu = 0;
  walkStructures(ad, (type, at, length) => {
    if (length >= 3 && type === 0x16) svc = ADV_HEADER + at + 2;
    if (length >= 3 && type === 0xff) manu = ADV_HEADER + at + 2;
  });
  return { svc, manu };
}

function macArg(value: unknown, fn: string): string {
  const mac = isBytes(value) ? (bytesLength(value) === 6 ? toHex(copyBytes(value)).toUpperCase() : undefined)
    : typeof value === 'string' ? normalizeMac(value) : undefined;
  if (!mac) throw new Error(`BLE.${fn}: MAC must be 6 bytes or 12 hex digits`);
  return mac;
}

function typeArg(value: unknown): number {
  const t = value === undefined ? 0 : Number(value);
  if (!Number.isInteger(t) || t < 0) throw new Error('BLE: address type must be 0-3');
  return t >= 4 ? 0 : t; // Tasmota: type >= 4 becomes 0
}

function uuidArg(value: unknown, fn: string): string {
  const uuid = typeof value === 'string' ? parseUuid(value) : typeof value === 'number' && value >= 0 && value <= 0xffff ? parseUuid(hex4(value)) : undefined;
  if (!uuid) throw new Error(`BLE.${fn}: expected a 16-bit ("180F"), 32-bit or 128-bit UUID, got ${JSON.stringify(value)}`);
  return uuid;
}

function bufferArg(value: unknown, fn: string): Uint8Array | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isBytes(value)) throw new Error(`BLE.${fn}: the buffer must be a Uint8Array`);
  return value;
}

/** The object a script sees as `BLE`. */
export function createBleApi(state: BleScriptState, ctx: BleContext) {
  return {
    adv_cb(cb?: Callback | null, buf?: Uint8Array) {
      if (cb === undefined || cb === null) {
        state.advCallback = state.advBuffer = undefined;
        ctx.tapsChanged();
        return;
      }
      if (typeof cb !== 'function') throw new Error('BLE.adv_cb: expected a function (or nothing to stop)');
      const b = bufferArg(buf, 'adv_cb');
      if (!b || bytesLength(b) < ADV_HEADER + 1) throw new Error(`BLE.adv_cb: needs a buffer of at least ${ADV_HEADER + 1} bytes (${ADV_HEADER + ADV_MAX_PAYLOAD} for full payloads)`);
      ctx.remember(cb);
      state.advCallback = cb;
      state.advBuffer = b;
      ctx.tapsChanged();
    },
    adv_watch(mac: unknown, type?: unknown) {
      const m = macArg(mac, 'adv_watch');
      checkRoom(ctx.filter.watch, m, 'adv_watch');
      ctx.filter.watch.set(m, typeArg(type));
      ctx.tapsChanged();
    },
    adv_block(mac: unknown, type?: unknown) {
      typeArg(type);
      const m = macArg(mac, 'adv_block');
      checkRoom(ctx.filter.block, m, 'adv_block');
      ctx.filter.block.add(m);
      ctx.tapsChanged();
    },
    conn_cb(cb?: Callback | null, buf?: Uint8Array) {
      if (cb === undefined || cb === null) {
        state.connCallback = state.connBuffer = undefined;
        return;
      }
      if (typeof cb !== 'function') throw new Error('BLE.conn_cb: expected a function (or nothing to stop)');
      ctx.remember(cb);
      state.connCallback = cb;
      state.connBuffer = bufferArg(buf, 'conn_cb');
    },
    serv_cb(cb?: Callback | null, buf?: Uint8Array) {
      this.conn_cb(cb, buf);
    },
    set_MAC(mac: unknown, type?: unknown) {
      state.mac = macArg(mac, 'set_MAC');
      state.addrType = typeArg(type);
    },
    set_svc(uuid: unknown) {
      state.service = uuidArg(uuid, 'set_svc');
    },
    set_chr(uuid: unknown) {
      state.characteristic = uuidArg(uuid, 'set_chr');
    },
    /** Queue an operation with the context set so far; the result arrives at conn_cb. */
    run(op: unknown, response?: unknown, arg1?: unknown) {
      if (typeof op !== 'number' || !Number.isInteger(op)) throw new TypeError('BLE.run: op must be an integer');
      if (!VALID_OPS.includes(op)) throw new Error(`BLE.run: op ${op} is not supported (${VALID_OPS.join(', ')})`);
      if (!state.connCallback) throw new Error('BLE.run: no connection callback; call BLE.conn_cb(cb, buf) first');
      if (!ctx.gatt) throw new Error('BLE.run: this platform has no GATT client');
      if (!state.mac) throw new Error('BLE.run: no peer; call BLE.set_MAC first');
      const request: GattRequest = { op, mac: state.mac, addrType: state.addrType, withResponse: response === true };
      if (state.service) request.service = state.service;
      if (state.characteristic) request.characteristic = state.characteristic;
      if (arg1 !== undefined && arg1 !== null) request.handle = Number(arg1);
      if (op % 10 === GATT_OP.write) {
        const buf = state.connBuffer;
        if (!buf || bytesLength(buf) < 1) throw new Error('BLE.run: a write takes its value from the conn_cb buffer ([len][data])');
        // A copy: the link gets the value as it was when run() was called.
        request.value = copyBytes(buf, 1, buf[0]!);
      }
      state.peers.add(state.mac);
      try {
        ctx.gatt.submit(request, (result) => state.deliverGatt(result));
      } catch (e) {
        if (e instanceof GattRequestError) throw new Error(`BLE.run: ${e.message}`);
        throw e;
      }
    },
    /** Tasmota runs queued callbacks from its loop; here they are delivered as they happen. */
    loop() {},
    info() {
      const peer = ctx.gatt?.connectedTo;
      return { role: peer ? 'central' : 'observer', ...(peer ? { connection: { peer_addr: peer } } : {}) };
    },
  };
}

export type BleApi = ReturnType<typeof createBleApi>;
