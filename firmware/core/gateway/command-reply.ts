// What every command module shares: the reply shape, its markers, and the error a
// handler throws. Apart from commands.ts so that command modules can import it without
// importing the dispatcher (which imports them).

import { toHex } from '../bytes/hex.js';

export type Reply = Record<string | symbol, unknown>;

/** A reply published on stat/<topic>/<leaf> instead of RESULT (Status -> STATUS8, as Tasmota). */
export const REPLY_LEAF = Symbol('reply topic leaf');
/** A reply not to publish at all (Backlog: each of its commands answers on its own). */
export const SILENT = Symbol('silent reply');

/** A malformed or impossible command: becomes {"<Command>":"Error","Error":message}. */
export class CommandError extends Error {}

/** A bind key as replies show it: its last 4 hex digits, enough to tell keys apart. */
export function maskedKey(key: Uint8Array): string {
  return '...' + toHex(key).toUpperCase().slice(-4);
}
