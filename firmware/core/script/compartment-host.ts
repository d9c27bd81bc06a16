// The ScriptHost on XS (the device, and xsnap in `npm run xs-check`): each script is
// evaluated in its own Compartment whose global scope holds only the API the runtime
// gives. Compartment is an XS global, not a module, so this file stays portable; where
// there is none (Node) createCompartmentScriptHost returns undefined.
//
// A Compartment alone isolates names only: compartments share the built-ins, so
// `Function.prototype.constructor` (reached by `MI32.devices.constructor` or
// `this.constructor.constructor`) is the start compartment's Function, which evaluates
// code among the firmware's globals, and a script could change `Array.prototype` under
// the firmware. Before the first script runs, confineBuiltIns() does what SES lockdown
// does: XS's own `lockdown()` where the build has it, otherwise the four function
// constructors are replaced by a thrower and every built-in is hardened. The API objects
// handed in are hardened too. A machine where neither is possible runs no scripts.
//
// Limits, said plainly: XS has no time budget for a plain JavaScript loop and a
// Compartment shares the machine's heap, so a script that loops forever or allocates
// without end stalls or exhausts the device until the task watchdog resets the board
// (and it loops again at the next start: remove autoexec.js over the serial console).
// Errors thrown by a script are caught and reported with the line XS gives via the sourceURL.

import type { LoadedScript, ScriptError, ScriptHost, ScriptOutcome } from '../host.js';
import { lineInStack, scriptFileName } from './stack-line.js';

interface CompartmentLike {
  evaluate(source: string): unknown;
}
type CompartmentConstructor = new (options: { globals: Record<string, unknown> }) => CompartmentLike;
type Harden = <T>(value: T) => T;

/** The same words as SES, so Node's worker host and XS refuse an escape alike. */
const NOT_A_CONSTRUCTOR = 'Function.prototype.constructor is not a valid constructor.';

let confined: { ok: true; harden: Harden } | { ok: false; reason: string } | undefined;

/**
 * `inOwnMachine`: the caller is a sandbox machine holding nothing of the gateway (the device's
 * Worker, worker-sandbox.ts). There, where this XS build has no harden() (Moddable's builds do
 * not define mxLockdown), scripts still run: an escape through the function constructors
 * reaches only that machine's own globals.
 */
export function createCompartmentScriptHost(options: { inOwnMachine?: boolean } = {}): ScriptHost | undefined {
  const Ctor = (globalThis as { Compartment?: CompartmentConstructor }).Compartment;
  if (typeof Ctor !== 'function') return undefined;
  return {
    load(name, source, globals): ScriptOutcome<LoadedScript> {
      confined ??= confineBuiltIns();
      if (!confined.ok && options.inOwnMachine) confined = { ok: true, harden: (value) => value };
      if (!confined.ok) return { ok: false, error: { message: `scripts are off: ${confined.reason}`, fatal: true } };
      const harden = confined.harden;
      const loaded: LoadedScript = {
        call(fn, args) {
          try {
            fn(...(args as never[]));
            return { ok: true, value: undefined };
          } catch (e) {
            return { ok: false, error: describeXsError(e, name) };
          }
        },
      };
      try {
        const print = globals.print;
        const compartment = new Ctor({ globals: harden({ ...globals, console: { log: print, error: print } }) });
        // sourceURL names the script in XS stack frames: "(name:LINE)".
        compartment.evaluate(`${source}\n//# sourceURL=${scriptFileName(name)}`);
      } catch (e) {
        return { ok: false, error: describeXsError(e, name) };
      }
      return { ok: true, value: loaded };
    },
  };
}

/** Make the shared built-ins safe to share with scripts: once per machine. */
function confineBuiltIns(): { ok: true; harden: Harden } | { ok: false; reason: string } {
  const g = globalThis as { lockdown?: () => void; harden?: Harden };
  if (typeof g.harden !== 'function') return { ok: false, reason: 'this XS build has no harden()' };
  const harden = g.harden;
  if (typeof g.lockdown === 'function') {
    try {
      g.lockdown();
    } catch {
      // "lockdown already called": the firmware or the platform did it first.
    }
    return { ok: true, harden };
  }
  const thrower = function () {
    throw new TypeError(NOT_A_CONSTRUCTOR);
  };
  const functionPrototypes = [
    Function.prototype,
    Object.getPrototypeOf(async function () {}) as object,
    Object.getPrototypeOf(function* () {}) as object,
    Object.getPrototypeOf(async function* () {}) as object,
  ];
  for (const proto of functionPrototypes) {
    try {
      Object.defineProperty(proto, 'constructor', { value: thrower, writable: false, enumerable: false, configurable: false });
    } catch {
      return { ok: false, reason: 'the built-ins are frozen and this XS build has no lockdown()' };
    }
  }
  try {
    harden(thrower);
    for (const proto of functionPrototypes) harden(proto);
    for (const name of BUILT_INS) {
      const value = (globalThis as Record<string, unknown>)[name];
      if (typeof value === 'function' || (typeof value === 'object' && value !== null)) harden(value);
    }
    // Built-ins no global names: iterator prototypes (harden walks each object's prototype chain).
    for (const iterator of [[][Symbol.iterator](), new Map()[Symbol.iterator](), new Set()[Symbol.iterator](), ''[Symbol.iterator](), 'a'.matchAll(/a/g)]) harden(iterator);
  } catch (e) {
    // XS's harden throws before lockdown on some builds: then nothing can be confined.
    return { ok: false, reason: `cannot harden the built-ins (${e instanceof Error ? e.message : 'harden failed'})` };
  }
  return { ok: true, harden };
}

/** The standard global built-ins (harden also freezes each one's prototype and what hangs off it). */
const BUILT_INS = [
  'Object', 'Function', 'Array', 'Number', 'Boolean', 'String', 'Symbol', 'BigInt', 'Math', 'JSON', 'Reflect', 'Promise', 'Proxy',
  'Error', 'EvalError', 'RangeError', 'ReferenceError', 'SyntaxError', 'TypeError', 'URIError', 'AggregateError',
  'Map', 'Set', 'WeakMap', 'WeakSet', 'WeakRef', 'FinalizationRegistry', 'Date', 'RegExp', 'Atomics',
  'ArrayBuffer', 'SharedArrayBuffer', 'DataView', 'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array',
  'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
  'parseInt', 'parseFloat', 'isNaN', 'isFinite', 'decodeURI', 'decodeURIComponent', 'encodeURI', 'encodeURIComponent', 'escape', 'unescape',
  'Compartment', 'ModuleSource', 'StaticModuleRecord', 'TextEncoder', 'TextDecoder', 'harden',
];

export function describeXsError(e: unknown, name: string): ScriptError {
  const err = e as { message?: unknown; stack?: unknown; name?: unknown } | null;
  const message = err && typeof err.message === 'string'
    ? `${typeof err.name === 'string' ? err.name + ': ' : ''}${err.message.replace(/^\(anonymous-\d+\): /, '')}`
    : `threw ${String(e)}`;
  const line = lineInStack(err && typeof err.stack === 'string' ? err.stack : '', scriptFileName(name));
  return line !== undefined ? { message, line } : { message };
}
