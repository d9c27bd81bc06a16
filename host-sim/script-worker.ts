// The inside of the Node script sandbox: one worker thread per script (script-host.ts starts
// it). The worker locks itself down with SES, then evaluates the script in a Compartment
// whose globals are stubs made here and hardened, so nothing the script can reach leads to
// `process`, `require` or the gateway. Stubs forward each call to the main thread over a
// synchronous round trip (a message plus an Atomics signal) and only structured-cloned data
// crosses; the main thread never touches an object the script made.
//
// Everything that could run script code (calling a callback, reading a thrown object's
// message, copying a buffer, the microtasks the script queued) happens here, before the
// worker says "done", so the main thread's watchdog covers it: a worker that does not come
// back within the budget is terminated.

import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import vm from 'node:vm';
import 'ses';
import { lineInStack, scriptFileName } from '../firmware/core/script/stack-line.js';
import { Crossing } from '../firmware/core/script/crossing.js';
import type { ScriptError } from '../firmware/core/host.js';
import { MAIN, WORKER, type BufferSync, type DoneMessage, type Encoded, type Shape, type ToMain, type ToWorker, type WorkerSetup } from './script-protocol.js';

declare const lockdown: (options?: Record<string, string>) => void;
declare const harden: <T>(value: T) => T;
declare const Compartment: new (options: { __options__: true; globals: Record<string, unknown> }) => { evaluate(source: string): unknown };

const setup = workerData as WorkerSetup;
const toMain: MessagePort = setup.toMain;
const toWorker: MessagePort = setup.toWorker;
const signal = new Int32Array(setup.signal);

lockdown({ errorTaming: 'unsafe', stackFiltering: 'verbose', consoleTaming: 'unsafe', overrideTaming: 'moderate', domainTaming: 'unsafe' });

const file = scriptFileName(setup.name);
let asyncErrors: ScriptError[] = [];
// A rejection nobody handles, or a throw from a microtask: reported with the next "done", never fatal to the worker.
process.on('unhandledRejection', (e) => asyncErrors.push(describe(e)));
process.on('uncaughtException', (e) => asyncErrors.push(describe(e)));

// --- values crossing to the main thread ---------------------------------------------

const crossing = new Crossing(setup.maxBufferBytes);

// --- the synchronous round trip ----------------------------------------------------------

function send(message: ToMain): void {
  toMain.postMessage(message);
  Atomics.add(signal, MAIN, 1);
  Atomics.notify(signal, MAIN);
}

/** A stub's call: ask the main thread, wait for its answer; run nested calls into the script meanwhile. */
function request(path: string[], args: unknown[]): unknown {
  let encoded: Encoded[];
  try {
    encoded = args.map((a) => crossing.encode(a, file));
    send({ t: 'req', path, args: encoded, bufs: crossing.outgoing() });
  } catch (e) {
    if ((e as { name?: unknown } | null)?.name === 'DataCloneError') throw new TypeError(`${path.join('.')}: arguments must be plain data, functions or Uint8Arrays`);
    throw e;
  }
  for (;;) {
    const seen = Atomics.load(signal, WORKER);
    const received = receiveMessageOnPort(toWorker);
    if (!received) {
      Atomics.wait(signal, WORKER, seen);
      continue;
    }
    const m = received.message as ToWorker;
    crossing.incoming(m.bufs, m.released);
    if (m.t === 'call') {
      send(finish(runEntry(m.id, m.args)));
      continue;
    }
    if (m.t !== 'reply') continue;
    if (m.ok) return m.value;
    const Ctor = m.name === 'TypeError' ? TypeError : m.name === 'RangeError' ? RangeError : Error;
    throw new Ctor(m.message);
  }
}

function stubs(shape: Shape): Record<string, unknown> {
  const globals: Record<string, unknown> = {};
  for (const [name, methods] of Object.entries(shape)) {
    if (methods === null) {
      globals[name] = (...args: unknown[]) => request([name], args);
      continue;
    }
    const api: Record<string, unknown> = {};
    for (const method of methods) api[method] = (...args: unknown[]) => request([name, method], args);
    globals[name] = api;
  }
  if (typeof globals.print === 'function') globals.console = { log: globals.print, error: globals.print };
  return harden(globals);
}

// --- entries: load and calls ----------------------------------------------------------

/** Message and line of what a script threw. May run script code (getters): it runs here, under the watchdog. */
function describe(e: unknown): ScriptError {
  const err = e as { message?: unknown; stack?: unknown; name?: unknown } | null;
  const message = err && typeof err.message === 'string' ? `${typeof err.name === 'string' ? err.name + ': ' : ''}${err.message}` : `threw ${String(e)}`;
  const line = lineInStack(err && typeof err.stack === 'string' ? err.stack : '', file);
  return line !== undefined ? { message, line } : { message };
}

/** Only primitives come back to the runtime: it never needs more, and they need no care. */
function primitive(value: unknown): unknown {
  return value === null || (typeof value !== 'object' && typeof value !== 'function' && typeof value !== 'symbol') ? value : undefined;
}

/** The answer to an entry, with the buffers as the script left them and the async errors seen meanwhile. */
function finish(result: Result): DoneMessage {
  let bufs: BufferSync = [];
  let failure = result.ok ? undefined : result.error;
  try {
    bufs = crossing.outgoing();
  } catch (e) {
    failure ??= describe(e);
  }
  const done: DoneMessage = failure ? { t: 'done', ok: false, error: failure, bufs, asyncErrors } : { t: 'done', ok: true, value: result.ok ? result.value : undefined, bufs, asyncErrors };
  asyncErrors = [];
  return done;
}

type Result = { ok: true; value: unknown } | { ok: false; error: ScriptError };

function runEntry(id: number, args: unknown[]): Result {
  const fn = crossing.callback(id);
  if (!fn) return { ok: false, error: { message: 'the callback is gone' } };
  try {
    return { ok: true, value: primitive(fn(...args)) };
  } catch (e) {
    return { ok: false, error: describe(e) };
  }
}

function load(source: string, shape: Shape): Result {
  try {
    // Parse only (never run) for a syntax error's line, which SES's evaluator does not give.
    new vm.Script(source, { filename: file });
  } catch (e) {
    return { ok: false, error: describe(e) };
  }
  try {
    const compartment = new Compartment({ __options__: true, globals: stubs(shape) });
    compartment.evaluate(`${source}\n//# sourceURL=${file}`);
    return { ok: true, value: undefined };
  } catch (e) {
    return { ok: false, error: describe(e) };
  }
}

// An entry from the idle worker: reply only after the microtasks it queued ran (setImmediate
// comes after them), so a promise loop keeps the worker busy and the watchdog sees it.
parentPort!.on('message', (m: ToWorker) => {
  crossing.incoming(m.bufs, m.released);
  const result: Result = m.t === 'load' ? load(m.source, m.shape) : m.t === 'call' ? runEntry(m.id, m.args) : { ok: false, error: { message: 'unexpected message' } };
  setImmediate(() => send(finish(result)));
});

send({ t: 'ready' });
