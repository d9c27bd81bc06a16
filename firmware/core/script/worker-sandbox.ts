// The inside of the device's script sandbox: runs in its own XS machine (a Moddable Worker,
// firmware/moddable/script-worker.ts hands it `self.postMessage`). The script is evaluated in a
// hardened Compartment (compartment-host.ts, which locks this machine down) whose globals are
// stubs made here; a stub forwards its call to the gateway's machine and waits for the answer
// on a SharedArrayBuffer. Everything that can run script code (the call, a thrown object's
// getters, a buffer subclass) runs here, in this machine, under the gateway's watchdog.

import type { LoadedScript, ScriptError } from '../host.js';
import { utf8Decode } from '../mqtt/utf8.js';
import { createCompartmentScriptHost } from './compartment-host.js';
import { Crossing } from './crossing.js';
import { scriptFileName } from './stack-line.js';
import {
  REPLY_HEADER_BYTES, REPLY_LENGTH, REPLY_OK, REPLY_SEQ,
  type BufferSync, type FromSandbox, type Shape, type ToSandbox,
} from './worker-protocol.js';

export interface SandboxOptions {
  post(message: FromSandbox): void;
  /** Longest a stub waits for the gateway's answer, in ms (the gateway's watchdog is shorter). */
  replyWaitMs?: number;
}

export function createSandbox(options: SandboxOptions): { handle(message: ToSandbox): void } {
  const replyWaitMs = options.replyWaitMs ?? 5000;
  let loaded: LoadedScript | undefined;
  let file = 'script';
  let reply: Int32Array | undefined;
  let replyBytes: Uint8Array | undefined;
  let seq = 0;
  const crossing = new Crossing(4096);

  /** A stub's call: post it, wait for the gateway to write the answer into the shared reply area. */
  function request(path: string[], args: unknown[]): unknown {
    if (!reply || !replyBytes) throw new Error('the sandbox has no reply area');
    const mine = ++seq;
    options.post({ t: 'req', seq: mine, path, args: args.map((a) => crossing.encode(a, file)), bufs: crossing.outgoing() });
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
      bufs = crossing.outgoing();
    } catch (e) {
      error ??= { message: (e as Error).message };
    }
    options.post(error ? { t: 'done', bufs, error } : { t: 'done', bufs });
  }

  function load(m: Extract<ToSandbox, { t: 'load' }>): void {
    file = scriptFileName(m.name);
    reply = new Int32Array(m.reply, 0, REPLY_HEADER_BYTES / 4);
    replyBytes = new Uint8Array(m.reply);
    crossing.maxBufferBytes = m.maxBufferBytes;
    const host = createCompartmentScriptHost({ inOwnMachine: true });
    if (!host) return done({ message: 'scripts are off: this XS build has no Compartment', fatal: true });
    const outcome = host.load(m.name, m.source, stubs(m.shape));
    if (!outcome.ok) return done(outcome.error);
    loaded = outcome.value;
    done();
  }

  function call(m: Extract<ToSandbox, { t: 'call' }>): void {
    crossing.incoming(m.bufs, m.released);
    const fn = crossing.callback(m.id);
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
