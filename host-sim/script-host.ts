// The ScriptHost port on Node: each script runs in its own vm context that holds only the
// globals the runtime gives (MI32, BLE, tasmota, print) plus JavaScript's built-ins. Every
// entry into the script (top level, callbacks, timers) runs under a time budget, so a loop
// is cut off instead of hanging the gateway. Node's vm is isolation of names, not a
// security boundary (Node says so); on the device the Compartment plays this part.

import vm from 'node:vm';
import type { LoadedScript, ScriptError, ScriptHost, ScriptOutcome } from '../firmware/core/host.js';
import { lineInStack, scriptFileName } from '../firmware/core/script/stack-line.js';

export interface NodeScriptHostOptions {
  /** Longest a single entry into a script may run, in ms. */
  budgetMs?: number;
}

const INVOKE = '__mi32_invoke__';

export function createNodeScriptHost(options: NodeScriptHostOptions = {}): ScriptHost {
  const budget = options.budgetMs ?? 1000;
  return {
    load(name, source, globals): ScriptOutcome<LoadedScript> {
      const context = vm.createContext({ ...globals, console: { log: globals.print, error: globals.print } });
      let compiled: vm.Script;
      try {
        compiled = new vm.Script(source, { filename: scriptFileName(name) });
      } catch (e) {
        return { ok: false, error: describe(e, name, budget) };
      }
      const loaded: LoadedScript = {
        call(fn, args) {
          // The call itself must happen inside a runInContext for the time budget to apply.
          Object.defineProperty(context, INVOKE, { value: () => fn(...(args as never[])), configurable: true });
          try {
            const value = invokeScript.runInContext(context, { timeout: budget });
            return { ok: true, value: watchPromise(value, name) };
          } catch (e) {
            return { ok: false, error: describe(e, name, budget) };
          } finally {
            delete (context as Record<string, unknown>)[INVOKE];
          }
        },
      };
      try {
        compiled.runInContext(context, { timeout: budget });
      } catch (e) {
        return { ok: false, error: describe(e, name, budget) };
      }
      return { ok: true, value: loaded };
    },
  };
}

const invokeScript = new vm.Script(`globalThis.${INVOKE}()`, { filename: 'mi32-invoke' });

/** An async callback's rejection would otherwise be an unhandled rejection of the whole process. */
function watchPromise(value: unknown, name: string): unknown {
  if (value && typeof (value as Promise<unknown>).then === 'function') {
    (value as Promise<unknown>).then(undefined, (e: unknown) => {
      const err = describe(e, name, 0);
      process.stderr.write(`ERROR script ${name}${err.line !== undefined ? `:${err.line}` : ''}: ${err.message} (in an async callback)\n`);
    });
  }
  return value;
}

/** Message and line of what a script threw; errors come from the script's realm, so no instanceof. */
export function describe(e: unknown, name: string, budget: number): ScriptError {
  const err = e as { message?: unknown; stack?: unknown; code?: unknown; name?: unknown } | null;
  if (err && err.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') return { message: `ran longer than ${budget} ms (a loop?)`, timedOut: true };
  const message = err && typeof err.message === 'string' ? `${typeof err.name === 'string' ? err.name + ': ' : ''}${err.message}` : `threw ${String(e)}`;
  const line = lineInStack(err && typeof err.stack === 'string' ? err.stack : '', scriptFileName(name));
  return line !== undefined ? { message, line } : { message };
}
