// The ScriptHost port on Node: each script runs in its own worker thread, locked down with
// SES, in a Compartment whose globals are stubs made inside the worker (script-worker.ts).
// The runtime's real API objects stay on the main thread; the worker's stubs reach them
// over a synchronous round trip, and only structured-cloned data crosses, so the main
// thread never calls a method, getter, `then` or `toString` of anything the script made.
//
// Budgets no path can dodge: each entry into the script (its top level, a callback, and
// the microtasks it queues) must come back within `budgetMs`, or the worker is terminated
// (a thread of its own, so even `for(;;){}` stops) and the gateway goes on. The worker's
// heap is capped by resourceLimits: a script that keeps allocating dies alone.

import { existsSync } from 'node:fs';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { LoadedScript, ScriptError, ScriptEvents, ScriptHost, ScriptOutcome } from '../firmware/core/host.js';
import { MAIN, WORKER, type BufferSync, type DoneMessage, type Encoded, type Shape, type ToMain, type ToWorker, type WorkerSetup } from './script-protocol.js';
import { callApi, shapeOf } from '../firmware/core/script/api-call.js';

export interface NodeScriptHostOptions {
  /** Longest a single entry into a script may run, in ms. */
  budgetMs?: number;
  /** The worker's old-generation heap, in MB. */
  memoryMb?: number;
  /** Longest a worker may take to start (SES lockdown included), in ms; not the script's budget. */
  startMs?: number;
}

/** Largest buffer a script may hand to the gateway (Tasmota's are well under 300 bytes). */
export const MAX_BUFFER_BYTES = 4096;
export const DEFAULT_MEMORY_MB = 32;

type Callback = (...args: unknown[]) => unknown;

export function createNodeScriptHost(options: NodeScriptHostOptions = {}): ScriptHost {
  const lines = new WeakMap<object, number>();
  const settings = { budgetMs: options.budgetMs ?? 1000, memoryMb: options.memoryMb ?? DEFAULT_MEMORY_MB, startMs: options.startMs ?? 20_000 };
  return {
    load(name, source, globals, events): ScriptOutcome<LoadedScript> {
      const sandbox = new Sandbox(name, globals, settings, lines, events);
      const started = sandbox.start();
      if (!started.ok) return started;
      const loaded = sandbox.enter({ t: 'load', source, shape: shapeOf(globals) });
      if (!loaded.ok) {
        sandbox.dispose();
        return loaded;
      }
      return { ok: true, value: sandbox };
    },
    callbackLine: (fn) => (typeof fn === 'function' ? lines.get(fn) : undefined),
  };
}

/** The compiled worker: beside this file in dist/, or dist/ from the sources (vitest). */
function workerFile(): URL {
  const beside = new URL('./script-worker.js', import.meta.url);
  return existsSync(beside) ? beside : new URL('../dist/host-sim/script-worker.js', import.meta.url);
}

class Sandbox implements LoadedScript {
  private readonly worker: Worker;
  private readonly fromWorker: MessagePort;
  private readonly toWorker: MessagePort;
  private readonly signal = new Int32Array(new SharedArrayBuffer(8));
  /** Set once the worker is gone (terminated, out of memory, disposed): every later call gets it. */
  private dead?: ScriptError;
  private depth = 0;
  private deadline = 0;
  /** Main-thread copies of the script's buffers, and main-thread stand-ins for its callbacks, by id. */
  private readonly mirrors = new Map<number, WeakRef<Uint8Array>>();
  private readonly proxies = new Map<number, WeakRef<Callback>>();
  private readonly proxyIds = new WeakMap<Callback, number>();
  private released: number[] = [];
  private readonly forget = new FinalizationRegistry<{ map: Map<number, WeakRef<object>>; id: number; callback: boolean }>(({ map, id, callback }) => {
    if (map.get(id)?.deref()) return; // the id was handed in again meanwhile
    map.delete(id);
    if (callback) this.released.push(id);
  });

  constructor(
    name: string,
    private readonly globals: Record<string, unknown>,
    private readonly settings: { budgetMs: number; memoryMb: number; startMs: number },
    private readonly lines: WeakMap<object, number>,
    private readonly events: ScriptEvents | undefined,
  ) {
    const up = new MessageChannel();
    const down = new MessageChannel();
    this.fromWorker = up.port1;
    this.toWorker = down.port1;
    const setup: WorkerSetup = { name, toMain: up.port2, toWorker: down.port2, signal: this.signal.buffer as SharedArrayBuffer, maxBufferBytes: MAX_BUFFER_BYTES };
    this.worker = new Worker(workerFile(), {
      workerData: setup,
      transferList: [up.port2, down.port2],
      env: {},
      execArgv: [],
      resourceLimits: { maxOldGenerationSizeMb: settings.memoryMb, maxYoungGenerationSizeMb: 8, stackSizeMb: 4 },
    });
    this.worker.unref();
    this.worker.on('error', (e: Error & { code?: string }) => {
      // Out of memory in the middle of a call looks like a timeout to the waiting thread; say what it was.
      if (e.code === 'ERR_WORKER_OUT_OF_MEMORY') this.died(`ran out of memory (more than ${settings.memoryMb} MB)`, true);
      else this.died(`its sandbox failed: ${e.message}`);
    });
    this.worker.on('exit', () => this.died('its sandbox ended'));
  }

  /** Wait for the worker to lock itself down and say ready. */
  start(): ScriptOutcome<void> {
    const m = this.receive(performance.now() + this.settings.startMs);
    if (m?.t === 'ready') return { ok: true, value: undefined };
    this.kill({ message: 'its sandbox did not start', fatal: true });
    return { ok: false, error: this.dead! };
  }

  call(fn: (...args: never[]) => unknown, args: unknown[]): ScriptOutcome<unknown> {
    const id = this.proxyIds.get(fn as Callback);
    if (id === undefined) return { ok: false, error: { message: 'not a callback of this script' } };
    return this.enter({ t: 'call', id, args });
  }

  dispose(): void {
    if (!this.dead) this.kill({ message: 'the script is stopped', fatal: true });
  }

  /** One entry into the script; serves its API calls until it is done, or stops it at the deadline. */
  enter(entry: { t: 'load'; source: string; shape: Shape } | { t: 'call'; id: number; args: unknown[] }): ScriptOutcome<unknown> {
    if (this.dead) return { ok: false, error: this.dead };
    const outermost = this.depth === 0;
    if (outermost) this.deadline = performance.now() + this.settings.budgetMs;
    this.depth++;
    try {
      const message = { ...entry, ...this.outgoing() } as ToWorker;
      try {
        if (outermost) this.worker.postMessage(message); // to the idle worker's event loop
        else this.post(message); // to the worker waiting in a stub for an answer
      } catch (e) {
        return { ok: false, error: { message: `cannot pass these arguments to the script: ${(e as Error).message}` } };
      }
      for (;;) {
        const m = this.receive(this.deadline);
        if (this.dead) return { ok: false, error: this.dead };
        if (!m) {
          this.kill({ message: `ran longer than ${this.settings.budgetMs} ms (a loop?)`, timedOut: true });
          return { ok: false, error: this.dead! };
        }
        if (m.t === 'req') this.serve(m);
        else if (m.t === 'done') return this.finished(m);
      }
    } finally {
      this.depth--;
    }
  }

  private finished(done: DoneMessage): ScriptOutcome<unknown> {
    this.incoming(done.bufs);
    if (!done.ok) return { ok: false, error: done.error };
    const late = done.asyncErrors[0];
    if (late) return { ok: false, error: { ...late, message: `${late.message} (in an async callback)` } };
    return { ok: true, value: done.value };
  }

  /** A stub's call: run the real API here with decoded arguments; answer with data or an error's name and text. */
  private serve(req: Extract<ToMain, { t: 'req' }>): void {
    this.incoming(req.bufs);
    let reply: ToWorker;
    try {
      const value = callApi(this.globals, req.path, req.args.map((a) => this.decode(a)));
      reply = { t: 'reply', ok: true, value, ...this.outgoing() };
    } catch (e) {
      // Errors here are the runtime's own (its argument checks), never the script's objects.
      const err = e instanceof Error ? e : new Error(String(e));
      reply = { t: 'reply', ok: false, name: err.name, message: err.message, ...this.outgoing() };
    }
    if (this.dead) return;
    try {
      this.post(reply);
    } catch (e) {
      this.post({ t: 'reply', ok: false, name: 'TypeError', message: `${req.path.join('.')}: the result cannot be passed to the script`, ...this.outgoing() });
    }
  }

  /** An argument from the worker as the runtime expects it: callbacks and buffers become main-thread stand-ins. */
  private decode(arg: Encoded): unknown {
    if ('$fn' in arg) return this.proxy(arg.$fn, arg.line);
    if ('$buf' in arg) {
      const mirror = this.mirrors.get(arg.$buf)?.deref();
      if (mirror && mirror.length === arg.bytes.length) {
        mirror.set(arg.bytes);
        return mirror;
      }
      this.mirrors.set(arg.$buf, new WeakRef(arg.bytes));
      this.forget.register(arg.bytes, { map: this.mirrors, id: arg.$buf, callback: false });
      return arg.bytes;
    }
    return arg.$v;
  }

  /** The runtime holds and calls this function; calling it enters the script (see call()). */
  private proxy(id: number, line: number | undefined): Callback {
    const known = this.proxies.get(id)?.deref();
    if (known) return known;
    const proxy: Callback = (...args) => {
      // Called directly only while the script's own call into the API runs (the runtime guards that).
      const out = this.call(proxy, args);
      if (!out.ok) throw new Error(out.error.message);
      return out.value;
    };
    this.proxyIds.set(proxy, id);
    this.proxies.set(id, new WeakRef(proxy));
    this.forget.register(proxy, { map: this.proxies, id, callback: true });
    if (line !== undefined) this.lines.set(proxy, line);
    return proxy;
  }

  private outgoing(): { bufs: BufferSync; released: number[] } {
    const bufs: BufferSync = [];
    for (const [id, ref] of this.mirrors) {
      const mirror = ref.deref();
      if (mirror) bufs.push([id, mirror]);
    }
    const released = this.released;
    this.released = [];
    return { bufs, released };
  }

  private incoming(bufs: BufferSync): void {
    for (const [id, bytes] of bufs) {
      const mirror = this.mirrors.get(id)?.deref();
      if (mirror) mirror.set(bytes.length > mirror.length ? bytes.subarray(0, mirror.length) : bytes);
    }
  }

  private post(message: ToWorker): void {
    this.toWorker.postMessage(message);
    Atomics.add(this.signal, WORKER, 1);
    Atomics.notify(this.signal, WORKER);
  }

  /** The worker's next message, or undefined at the deadline. Blocks this thread: the budget keeps it short. */
  private receive(deadline: number): ToMain | undefined {
    for (;;) {
      const seen = Atomics.load(this.signal, MAIN);
      const received = receiveMessageOnPort(this.fromWorker);
      if (received) return received.message as ToMain;
      const left = deadline - performance.now();
      if (left <= 0 || this.dead) return undefined;
      Atomics.wait(this.signal, MAIN, seen, left);
    }
  }

  private kill(error: ScriptError): void {
    this.dead = error;
    void this.worker.terminate().catch(() => {});
  }

  /** The worker ended on its own (out of memory, a crash): tell the runtime, which stops the script. */
  private died(message: string, evenIfKilled = false): void {
    if (this.dead && !evenIfKilled) return;
    this.dead = { message, fatal: true };
    this.events?.fatal(this.dead);
  }
}
