// What crosses between a script's sandbox and the gateway, seen from inside the sandbox
// (the Node worker in host-sim and the device's Worker machine alike): callbacks go out as
// ids, the script's buffers as ids plus a plain copy, everything else as data. The gateway
// keeps a copy of each buffer it was handed; the two are synced at every crossing, so
// Tasmota's "the runtime fills your buffer before the callback" holds across the boundary.
// Buffers are read and written only through script-bytes (no method a subclass can override).

import { bytesLength, copyBytes, isBytes, writeBytes } from './script-bytes.js';
import { lineInStack } from './stack-line.js';
import type { BufferSync, Encoded } from './worker-protocol.js';

type Callback = (...args: unknown[]) => unknown;

export class Crossing {
  private nextId = 1;
  private readonly callbackIds = new WeakMap<object, number>();
  private readonly callbacks = new Map<number, Callback>();
  private readonly bufferIds = new WeakMap<object, number>();
  /** The script's buffers the gateway holds a copy of: synced at every crossing. */
  private synced = new Map<number, Uint8Array>();

  /** Largest buffer the script may hand over, in bytes (set by the gateway at load). */
  constructor(public maxBufferBytes: number) {}

  /** One argument of a stub's call; `file` names the script in stacks (the line that registered a callback). */
  encode(value: unknown, file: string): Encoded {
    if (typeof value === 'function') {
      let id = this.callbackIds.get(value);
      if (id === undefined) {
        id = this.nextId++;
        this.callbackIds.set(value, id);
        this.callbacks.set(id, value as Callback);
      }
      const line = lineInStack(new Error().stack ?? '', file);
      return line !== undefined ? { $fn: id, line } : { $fn: id };
    }
    if (isBytes(value)) {
      const bytes = this.snapshot(value); // first: a buffer too large is refused before it is kept
      let id = this.bufferIds.get(value);
      if (id === undefined) {
        id = this.nextId++;
        this.bufferIds.set(value, id);
      }
      this.synced.set(id, value);
      return { $buf: id, bytes };
    }
    return { $v: value };
  }

  /** Copies of every buffer the gateway holds, to send with the next message. */
  outgoing(): BufferSync {
    const out: BufferSync = [];
    for (const [id, buf] of this.synced) out.push([id, this.snapshot(buf)]);
    return out;
  }

  /**
   * The gateway's copies, written into the script's buffers. It sends every buffer it still
   * holds: the others are forgotten here too, as are the callbacks it `released`.
   */
  incoming(bufs: BufferSync, released: readonly number[]): void {
    const next = new Map<number, Uint8Array>();
    for (const [id, bytes] of bufs) {
      const buf = this.synced.get(id);
      if (!buf) continue;
      next.set(id, buf);
      writeBytes(buf, 0, bytes);
    }
    this.synced = next;
    for (const id of released) this.callbacks.delete(id);
  }

  /** The callback the gateway calls by id, if the script still has it. */
  callback(id: number): Callback | undefined {
    return this.callbacks.get(id);
  }

  private snapshot(buf: Uint8Array): Uint8Array {
    const n = bytesLength(buf);
    if (n > this.maxBufferBytes) throw new RangeError(`a buffer handed to the gateway may hold at most ${this.maxBufferBytes} bytes, this one ${n}`);
    return copyBytes(buf);
  }
}
