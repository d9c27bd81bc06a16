// The inside of the device's script sandbox: runs in its own XS machine (a Moddable Worker,
// firmware/moddable/script-worker.ts hands it `self.postMessage`). The script is evaluated in a
// hardened Compartment (compartment-host.ts, which locks this machine down) whose globals are
// stubs made here; a stub forwards its call to the gateway's machine and waits for the answer
// on a SharedArrayBuffer. Everything that can run script code (the call, a thrown object's
// getters, a buffer subclass) runs here, in this machine, under the gateway's watchdog.

import type { LoadedScript, ScriptError } from '../host.js';
import { utf8Decode } from '../mqtt/utf8.js';
import { createCompartmentScriptHost } from './compartment-host.js';
import { bytesLength, copyBytes, isBytes, writeBytes } from './script-bytes.js';
import { lineInStack, scriptFileName } from './stack-line.js';
import {
  REPLY_HEADER_BYTES, REPLY_LENGTH, REPLY_OK, REPLY_SEQ,
  type BufferSync, type Encoded, type FromSandbox, type Shape, type ToSandbox,
} from './worker-protocol.js';

export interface SandboxOptions {
  post(message: FromSandbox): void;
  /** Longest a stub waits for the gateway's answer, in ms (the gateway's watchdog is shorter). */
  replyWaitMs?: number;
}

type Callback = (...args: unknown[]) => unknown;

export function createSandbox(options: SandboxOptions): { handle(message: ToSandbox): void } {
  const replyWaitMs = options.replyWaitMs ?? 5000;
  let loaded: LoadedScript | undefined;
  let file = 'script';
  let reply: Int32Array | undefined;
  let replyBytes: Uint8Array | undefined;
  let maxBufferBytes = 4096;
  let seq = 0;
  let nextId = 1;
  const callbackIds = new WeakMap<object, number>();
  const callbacks = new Map<number, Callback>();
  const bufferIds = new WeakMap<object, number>();
  /** The script's buffers the gateway holds a copy of: synced at every crossing. */
  const synced = new Map<number, Uint8Array>();

  /** A plain copy by the intrinsic length and indexed reads (a subclass may override the rest). */
  function snapshot(buf: Uint8Array): Uint8Array {
    const n = bytesLength(buf);
    if (n > maxBufferBytes) throw new RangeError(`a buffer handed to the gateway may hold at most ${maxBufferBytes} bytes, this one ${n}`);
    return copyBytes(buf);
  }

  function encode(value: unknown): Encoded {
    if (typeof value === 'function') {
      let id = callbackIds.get(value);
      if (id === undefined) {
        id = nextId++;
        callbackIds.set(value, id);
        callbacks.set(id, value as Callback);
      }
      const line = lineInStack(new Error().stack ?? '', file);
      return line !== undefined ? { $fn: id, line } : { $fn: id };
    }
    if (isBytes(value)) {
      const bytes = snapshot(value); // first: a buffer too large is refused before it is kept
      let id = bufferIds.get(value);
      if (id === undefined) {
        id = nextId++;
        bufferIds.set(value, id);
      }
      synced.set(id, value);
      return { $buf: id, bytes };
    }
    return { $v: value };
  }

  function outgoing(): BufferSync {
    const out: BufferSync = [];
    for (const [id, buf] of synced) out.push([id, snapshot(buf)]);
    return out;
  }

  function incoming(bufs: BufferSync): void {
    for (const [id, bytes] of bufs) {
      const buf = synced.get(id);
      if (buf) writeBytes(buf, 0, bytes);
    }
  }

  /** A stub's call: post it, wait for the gateway to write the answer into the shared reply area. */
  function request(path: string[], args: unknown[]): unknown {
    if (!reply || !replyBytes) throw new Error('the sandbox has no reply area');
    const mine = ++seq;
    options.post({ t: 'req', seq: mine, path, args: args.map(encode), bufs: outgoing() });
    const deadline = Date.now() + replyWaitMs;
    while (Atomics.load(reply, REPLY_SEQ) !== mine) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${path.join('.')}: the gateway did not answer`);
      Atomics.wait(reply, REPLY_SEQ, mine - 1, left);
    }
    const text = utf8Decode(replyBytes, REPLY_HEADER_BYTES, REPLY_HEADER_BYTES + reply[REPLY_LENGTH]!);
    const answer = JSON.parse(text, revive) as unknown;
    if (reply[REPLY_OK] === 1) return answer;
    const { name, message } = answer as { name: string; message: string };
    const Ctor = name === 'TypeError' ? TypeError : name === 'RangeError' ? RangeError : Error;
    throw new Ctor(message);
  }

  function stubs(shape: Shape): Record<string, unknown> {
    const globals: Record<string, unknown> = {};
    for (const name of Object.keys(shape)) {
      const methods = shape[name];
      if (methods === null || methods === undefined) {
        globals[name] = (...args: unknown[]) => request([name], args);
        continue;
      }
      const api: Record<string, unknown> = {};
      for (const method of methods) api[method] = (...args: unknown[]) => request([name, method], args);
      globals[name] = api;
    }
    return globals;
  }

  function done(error?: ScriptError): void {
    let bufs: BufferSync = [];
    try {
      bufs = outgoing();
    } catch (e) {
      error ??= { message: (e as Error).message };
    }
    options.post(error ? { t: 'done', bufs, error } : { t: 'done', bufs });
  }

  function load(m: Extract<ToSandbox, { t: 'load' }>): void {
    file = scriptFileName(m.name);
    reply = new Int32Array(m.reply, 0, REPLY_HEADER_BYTES / 4);
    replyBytes = new Uint8Array(m.reply);
    maxBufferBytes = m.maxBufferBytes;
    const host = createCompartmentScriptHost({ inOwnMachine: true });
    if (!host) return done({ message: 'scripts are off: this XS build has no Compartment', fatal: true });
    const outcome = host.load(m.name, m.source, stubs(m.shape));
    if (!outcome.ok) return done(outcome.error);
    loaded = outcome.value;
    done();
  }

  function call(m: Extract<ToSandbox, { t: 'call' }>): void {
    for (const id of m.released) callbacks.delete(id);
    incoming(m.bufs);
    const fn = callbacks.get(m.id);
    if (!loaded || !fn) return done({ message: 'the callback is gone' });
    const outcome = loaded.call(fn as (...args: never[]) => unknown, m.args);
    done(outcome.ok ? undefined : outcome.error);
  }

  return {
    handle(message) {
      if (message.t === 'load') load(message);
      else if (message.t === 'call') call(message);
      else done();
    },
  };
}

/** JSON cannot carry bytes: the gateway writes a Uint8Array as {"$bytes": [...]}. */
function revive(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && Array.isArray((value as { $bytes?: unknown }).$bytes)) {
    return new Uint8Array((value as { $bytes: number[] }).$bytes);
  }
  return value;
}
