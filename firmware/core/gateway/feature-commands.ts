// Commands of the features beyond Tasmota's MI32 (issue 16): MI32Buffer (store-and-forward
// of readings while the broker is away) and SetOption19 (Home Assistant discovery). Each is
// persisted in settings.json by the gateway.

import { CommandError, type Reply } from './command-reply.js';
import type { CommandHandler as Handler } from './command-target.js';
import { bufferBudgetProblem } from './outbox.js';

function fail(message: string): never {
  throw new CommandError(message);
}

/**
 * MI32Buffer [bytes]: how many bytes of SENSOR readings are kept while the broker is away
 * (RAM, then the Store); 0 = off. The reply also says how many wait and how many were dropped.
 */
const mi32Buffer: Handler = (arg, t) => {
  if (arg !== '') {
    if (!/^\d{1,7}$/.test(arg)) fail(`expected a number of bytes (0 = off), got "${JSON.stringify(arg.slice(0, 40)).slice(1, -1)}"`);
    const bytes = Number(arg);
    const problem = bufferBudgetProblem(bytes);
    if (problem) fail(problem);
    t.setBufferBudget(bytes);
  }
  const { buffered, dropped } = t.outbox.stats;
  return { MI32Buffer: t.outbox.budget, Buffered: buffered, Dropped: dropped } satisfies Reply;
};

/** Tasmota's SetOptions this gateway has, by number: only 19, Home Assistant discovery. */
const setOption: Handler = (arg, t, index) => {
  if (index !== 19) fail(`SetOption${index ?? ''} is not supported here (SetOption19: Home Assistant discovery)`);
  if (arg !== '') {
    const value = /^(1|on)$/i.test(arg) ? 1 : /^(0|off)$/i.test(arg) ? 0 : fail(`expected 0 or 1, got "${JSON.stringify(arg.slice(0, 40)).slice(1, -1)}"`);
    t.setHaDiscovery(value);
  }
  return { SetOption19: t.haDiscovery === 1 ? 'ON' : 'OFF' };
};

export const FEATURE_COMMANDS: Record<string, Handler> = {
  mi32buffer: mi32Buffer,
  setoption: setOption,
};

/** Commands here that take an index suffix (SetOption19). */
export const FEATURE_INDEXED = new Set(['setoption']);

export const FEATURE_CANONICAL: Record<string, string> = {
  mi32buffer: 'MI32Buffer',
  setoption: 'SetOption',
};
