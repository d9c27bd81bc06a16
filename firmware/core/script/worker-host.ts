// The ScriptHost on the device: each script runs in its own sandbox machine (a Moddable
// Worker: a second XS machine with its own heap and stack, sized by its creation options),
// made by the `spawn` the adapter hands in. The runtime's real API objects stay here; the
// sandbox's stubs reach them with `req` messages, answered through a SharedArrayBuffer.
// See worker-protocol.ts for why the gateway never waits for the script.
//
// The budget: every entry posted to the sandbox (load, a callback, a ping every `pingMs`)
// must come back as `done` within `budgetMs`, or the watchdog stops the script: the worker is
// terminated where the platform can stop a busy one (ESP32: vTaskDelete), otherwise abandoned
// (lin: pcWorker's terminate() waits for the worker's event loop, which a loop never reaches,
// so it would hang the gateway; the abandoned machine is kept referenced and never posted to,
// and its thread runs on: on lin a stopped loop still costs a CPU core until the app ends).

import type { Clock, LoadedScript, ScriptError, ScriptEvents, ScriptHost, ScriptOutcome, TimerHandle } from '../host.js';
import { utf8Encode } from '../mqtt/utf8.js';
import { describeXsError } from './compartment-host.js';
import { isBytes } from './script-bytes.js';
import { callApi, shapeOf } from './api-call.js';
import {
  REPLY_BYTES, REPLY_HEADER_BYTES, REPLY_LENGTH, REPLY_OK, REPLY_SEQ,
  type BufferSync, type Encoded, type FromSandbox, type Shape, type ToSandbox,
} from './worker-protocol.js';

/** What the adapter's spawn returns: a Moddable Worker, or a fake in tests. */
export interface SandboxWorker {
  onmessage: ((message: FromSandbox) => void) | null | undefined;
  postMessage(message: ToSandbox): void;
  terminate(): void;
}

export interface WorkerHostOptions {
  /** Start a sandbox machine; throws if it cannot (no memory). */
  spawn(): SandboxWorker;
  clock: Clock;
  /** Longest one entry into a script may run, in ms. */
  budgetMs?: number;
  /** How often an idle sandbox is pinged (a microtask loop never answers), in ms. */
  pingMs?: number;
  /**
   * false where terminate() waits for the worker's event loop (lin): a worker in a loop never gets
   * there and the gateway would hang, and one that said `done` may still spin in its microtasks.
   * There every stopped sandbox is abandoned instead: kept referenced, never posted to again.
   */
  canTerminate: boolean;
  /** Compile without running, for a syntax error's reply before anything is stored; undefined skips it. */
  checkSyntax?(source: string): void;
}

/** Largest buffer a script may hand to the gateway (Tasmota's are well under 300 bytes). */
export const MAX_BUFFER_BYTES = 1024;
/** Buffers a script may share with the gateway at once: each is copied at every crossing. */
export const MAX_SHARED_BUFFERS = 8;

type Callback = (...args: unknown[]) => unknown;

/** Workers stopped on a platform that cannot terminate them: kept so no destructor (which would wait) runs. */
const abandoned: SandboxWorker[] = [];

export function createWorkerScriptHost(options: WorkerHostOptions): ScriptHost {
  const lines = new WeakMap<object, number>();
  const settings = { budgetMs: options.budgetMs ?? 1000, pingMs: options.pingMs ?? 2000 };
  return {
    load(name, source, globals, events): ScriptOutcome<LoadedScript> {
      if (options.checkSyntax) {
        try {
          options.checkSyntax(source);
        } catch (e) {
          return { ok: false, error: describeXsError(e, name) };
        }
      }
      let worker: SandboxWorker;
      try {
        worker = options.spawn();
      } catch (e) {
        return { ok: false, error: { message: `its sandbox did not start (${(e as Error).message})`, fatal: true } };
      }
      const sandbox = new Sandbox(worker, globals, options, settings, lines, events);
      return sandbox.start(name, source, shapeOf(globals));
    },
    callbackLine: (fn) => (typeof fn === 'function' ? lines.get(fn) : undefined),
  };
}

/** An entry the sandbox has not answered yet; `fn` is the callback it calls, if any. */
interface Pending {
  fn?: Callback;
  load?: boolean;
}

class Sandbox implements LoadedScript {
  private readonly reply = new SharedArrayBuffer(REPLY_BYTES);
  private readonly replyWords = new Int32Array(this.reply, 0, REPLY_HEADER_BYTES / 4);
  private readonly replyBytes = new Uint8Array(this.reply);
  private readonly pending: Pending[] = [];
  /** When the oldest pending entry became the sandbox's to run (posted, or the one before it done). */
  private since = 0;
  private lastPing = 0;
  private watchdog?: TimerHandle;
  private dead?: ScriptError;
  private readonly mirrors = new Map<number, Uint8Array>();
  private readonly proxies = new Map<number, WeakRef<Callback>>();
  private readonly proxyIds = new WeakMap<Callback, number>();
  private released: number[] = [];
  private readonly forget = new FinalizationRegistry<number>((id) => {
    if (this.proxies.get(id)?.deref()) return; // handed in again meanwhile
    this.proxies.delete(id);
    this.released.push(id);
  });

  constructor(
    private readonly worker: SandboxWorker,
    private readonly globals: Record<string, unknown>,
    private readonly options: WorkerHostOptions,
    private readonly settings: { budgetMs: number; pingMs: number },
    private readonly lines: WeakMap<object, number>,
    private readonly events: ScriptEvents | undefined,
  ) {
    worker.onmessage = (message) => this.received(message);
  }

  /** undefined while the top level runs; then null (it ran) or the error that ended it. */
  private loadResult: ScriptError | null | undefined;
  private loadWaiters: ((error?: ScriptError) => void)[] = [];

  whenLoaded(callback: (error?: ScriptError) => void): void {
    if (this.loadResult === undefined) this.loadWaiters.push(callback);
    else callback(this.loadResult ?? undefined);
  }

  private settleLoad(error: ScriptError | null): void {
    if (this.loadResult !== undefined) return;
    this.loadResult = error;
    const waiters = this.loadWaiters;
    this.loadWaiters = [];
    for (const w of waiters) w(error ?? undefined);
  }

  start(name: string, source: string, shape: Shape): ScriptOutcome<LoadedScript> {
    const outcome = this.enter({ t: 'load', name, source, shape, reply: this.reply, maxBufferBytes: MAX_BUFFER_BYTES }, { load: true });
    if (!outcome.ok) {
      this.dispose();
      return outcome;
    }
    this.arm();
    return { ok: true, value: this };
  }

  /** Posted, not run: the callback's errors and loops are reported later through the events. */
  call(fn: (...args: never[]) => unknown, args: unknown[]): ScriptOutcome<unknown> {
    if (this.dead) return { ok: false, error: this.dead };
    const id = this.proxyIds.get(fn as Callback);
    if (id === undefined) return { ok: false, error: { message: 'not a callback of this script' } };
    const released = this.released;
    this.released = [];
    return this.enter({ t: 'call', id, args, bufs: this.outgoing(), released }, { fn: fn as Callback });
  }

  dispose(): void {
    if (!this.dead) this.stop({ message: 'the script is stopped', fatal: true });
  }

  private enter(message: ToSandbox, entry: Pending): ScriptOutcome<unknown> {
    try {
      this.worker.postMessage(message);
    } catch (e) {
      return { ok: false, error: { message: `cannot pass this to the script: ${(e as Error).message}` } };
    }
    if (this.pending.length === 0) this.since = this.options.clock.now();
    this.pending.push(entry);
    return { ok: true, value: undefined };
  }

  /** One check per half budget: a pending entry older than the budget stops the script; an idle sandbox is pinged. */
  private arm(): void {
    const check = () => {
      this.watchdog = undefined;
      if (this.dead) return;
      const now = this.options.clock.now();
      if (this.pending.length > 0 && now - this.since > this.settings.budgetMs) {
        const stuck = this.pending[0]!;
        const line = stuck.fn ? this.lines.get(stuck.fn) : undefined;
        // A ping no one answers: the sandbox is busy outside any entry, i.e. in its microtasks.
        const what = stuck.fn || stuck.load ? 'a loop?' : 'a promise or async loop?';
        const where = stuck.fn ? (line !== undefined ? ' in the callback set here' : ' in a callback') : '';
        const error: ScriptError = { message: `ran longer than ${this.settings.budgetMs} ms (${what})${where}`, timedOut: true, ...(line !== undefined ? { line } : {}) };
        this.stop(error);
        this.events?.fatal(error);
        return;
      }
      if (this.pending.length === 0 && now - this.lastPing >= this.settings.pingMs) {
        this.lastPing = now;
        this.enter({ t: 'ping' }, {});
      }
      this.watchdog = this.options.clock.setTimeout(check, Math.max(10, this.settings.budgetMs / 2));
    };
    this.watchdog = this.options.clock.setTimeout(check, Math.max(10, this.settings.budgetMs / 2));
  }

  /** The sandbox is the script's machine: what it posts is untrusted data, checked before use. */
  private received(message: FromSandbox): void {
    if (this.dead || !wellFormed(message)) return;
    if (message.t === 'req') return this.serve(message);
    const entry = this.pending.shift();
    this.since = this.options.clock.now();
    this.incoming(message.bufs);
    if (entry?.load && !message.error) this.settleLoad(null);
    if (!message.error || !entry) return;
    if (entry.load || message.error.fatal) {
      // A throw at top level (a syntax error was refused before): the script is stopped, as on Node.
      const error = { ...message.error, fatal: true };
      this.stop(error);
      this.events?.fatal(error);
    } else {
      this.events?.error?.(message.error, entry.fn);
    }
  }

  /** A stub's call: run the real API here with decoded arguments; answer through the reply area. */
  private serve(req: Extract<FromSandbox, { t: 'req' }>): void {
    let ok = true;
    let value: unknown;
    try {
      this.incoming(req.bufs);
      value = callApi(this.globals, req.path, req.args.map((a) => this.decode(a)));
    } catch (e) {
      // The runtime's own errors (its argument checks), never the script's objects.
      const err = e instanceof Error ? e : new Error(String(e));
      ok = false;
      value = { name: err.name, message: err.message };
    }
    let bytes: Uint8Array;
    try {
      bytes = utf8Encode(JSON.stringify(value ?? null, bytesAsArray) ?? 'null');
      if (bytes.length > REPLY_BYTES - REPLY_HEADER_BYTES) throw new Error('the result is too large for the script');
    } catch (e) {
      ok = false;
      bytes = utf8Encode(JSON.stringify({ name: 'Error', message: `${req.path.join('.')}: ${(e as Error).message}` }));
    }
    this.replyBytes.set(bytes, REPLY_HEADER_BYTES);
    this.replyWords[REPLY_LENGTH] = bytes.length;
    this.replyWords[REPLY_OK] = ok ? 1 : 0;
    Atomics.store(this.replyWords, REPLY_SEQ, req.seq);
    Atomics.notify(this.replyWords, REPLY_SEQ);
    this.since = this.options.clock.now(); // the sandbox waited on us meanwhile
  }

  private decode(arg: Encoded): unknown {
    if ('$fn' in arg) return this.proxy(arg.$fn, arg.line);
    if ('$buf' in arg) {
      if (!isBytes(arg.bytes)) throw new TypeError('a buffer must be a Uint8Array');
      const mirror = this.mirrors.get(arg.$buf);
      if (mirror && mirror.length === arg.bytes.length) {
        mirror.set(arg.bytes);
        return mirror;
      }
      if (!mirror && this.mirrors.size >= MAX_SHARED_BUFFERS) throw new RangeError(`a script may share at most ${MAX_SHARED_BUFFERS} buffers with the gateway`);
      const copy = new Uint8Array(arg.bytes);
      this.mirrors.set(arg.$buf, copy);
      return copy;
    }
    return arg.$v;
  }

  /** The runtime holds and calls this function; calling it posts a call into the script. */
  private proxy(id: number, line: number | undefined): Callback {
    const known = this.proxies.get(id)?.deref();
    if (known) return known;
    const proxy: Callback = (...args) => {
      const out = this.call(proxy, args);
      if (!out.ok) throw new Error(out.error.message);
    };
    this.proxyIds.set(proxy, id);
    this.proxies.set(id, new WeakRef(proxy));
    this.forget.register(proxy, id);
    if (line !== undefined) this.lines.set(proxy, line);
    return proxy;
  }

  private outgoing(): BufferSync {
    const bufs: BufferSync = [];
    for (const [id, mirror] of this.mirrors) bufs.push([id, mirror]);
    return bufs;
  }

  private incoming(bufs: BufferSync): void {
    for (const [id, bytes] of bufs) {
      const mirror = this.mirrors.get(id);
      if (mirror && isBytes(bytes)) mirror.set(bytes.length > mirror.length ? bytes.subarray(0, mirror.length) : bytes);
    }
  }

  private stop(error: ScriptError): void {
    this.dead = error;
    this.settleLoad(error); // a top level that threw, looped or never came back
    if (this.watchdog !== undefined) this.options.clock.clearTimeout(this.watchdog);
    this.watchdog = undefined;
    this.worker.onmessage = null;
    if (this.options.canTerminate) {
      try {
        this.worker.terminate();
      } catch {
        // already gone
      }
    } else {
      abandoned.push(this.worker);
    }
  }
}

function wellFormed(m: unknown): m is FromSandbox {
  if (!m || typeof m !== 'object') return false;
  const { t, bufs } = m as { t?: unknown; bufs?: unknown };
  if (!Array.isArray(bufs) || !bufs.every((b) => Array.isArray(b) && typeof b[0] === 'number' && isBytes(b[1]))) return false;
  if (t === 'done') return true;
  const { seq, path, args } = m as { seq?: unknown; path?: unknown; args?: unknown };
  return t === 'req' && typeof seq === 'number' && Array.isArray(path) && path.length >= 1 && path.length <= 2 &&
    path.every((p) => typeof p === 'string') && Array.isArray(args) && args.every((a) => a && typeof a === 'object');
}

/** Only for the reply's JSON: bytes travel as a plain array (revived in the sandbox). */
function bytesAsArray(_key: string, value: unknown): unknown {
  return isBytes(value) ? { $bytes: Array.from(value) } : value;
}

/** How many stopped workers were abandoned (lin); for tests. */
export function abandonedWorkers(): number {
  return abandoned.length;
}
