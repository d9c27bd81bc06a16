// The ScriptHost on XS (the device, and xsnap in `npm run xs-check`): each script is
// evaluated in its own Compartment whose global scope holds only the API the runtime
// gives. Compartment is an XS global, not a module, so this file stays portable; where
// there is none (Node) createCompartmentScriptHost returns undefined.
//
// Limits, said plainly: this isolates names, it is not a security sandbox (without SES
// lockdown the shared Function constructor still reaches the start compartment), and XS
// has no time budget for a plain JavaScript loop: a script that loops forever on the
// device stalls the main loop until the task watchdog resets the board. Errors thrown by
// a script are caught and reported with the line XS gives via the sourceURL.

import type { LoadedScript, ScriptError, ScriptHost, ScriptOutcome } from '../host.js';
import { lineInStack, scriptFileName } from './stack-line.js';

interface CompartmentLike {
  evaluate(source: string): unknown;
}
type CompartmentConstructor = new (options: { globals: Record<string, unknown> }) => CompartmentLike;

export function createCompartmentScriptHost(): ScriptHost | undefined {
  const Ctor = (globalThis as { Compartment?: CompartmentConstructor }).Compartment;
  if (typeof Ctor !== 'function') return undefined;
  return {
    load(name, source, globals): ScriptOutcome<LoadedScript> {
      const loaded: LoadedScript = {
        call(fn, args) {
          try {
            return { ok: true, value: fn(...(args as never[])) };
          } catch (e) {
            return { ok: false, error: describeXsError(e, name) };
          }
        },
      };
      try {
        const compartment = new Ctor({ globals: { ...globals, console: { log: globals.print, error: globals.print } } });
        // sourceURL names the script in XS stack frames: "(name:LINE)".
        compartment.evaluate(`${source}\n//# sourceURL=${scriptFileName(name)}`);
      } catch (e) {
        return { ok: false, error: describeXsError(e, name) };
      }
      return { ok: true, value: loaded };
    },
  };
}

export function describeXsError(e: unknown, name: string): ScriptError {
  const err = e as { message?: unknown; stack?: unknown; name?: unknown } | null;
  const message = err && typeof err.message === 'string'
    ? `${typeof err.name === 'string' ? err.name + ': ' : ''}${err.message.replace(/^\(anonymous-\d+\): /, '')}`
    : `threw ${String(e)}`;
  const line = lineInStack(err && typeof err.stack === 'string' ? err.stack : '', scriptFileName(name));
  return line !== undefined ? { message, line } : { message };
}
