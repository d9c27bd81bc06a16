// The messages between the gateway's machine (worker-host.ts) and a script's sandbox machine
// (worker-sandbox.ts) on the device: a Moddable Worker, a second XS machine with its own heap.
// Only marshallable data crosses (numbers, strings, plain objects, Uint8Array copies): no
// object of the script ever reaches the gateway, no object of the gateway reaches the script.
//
// Why not the Node design (the gateway blocks until the script's entry is done): XS refuses
// Atomics.wait on the main machine's thread ("main thread cannot wait", xsAtomics.c), and a
// machine that spins instead receives no messages. So the gateway never waits: it posts
// entries (load, call, ping) and a watchdog timer checks that each comes back as `done` within
// the budget. The sandbox may wait (it is not the main thread): a stub whose call needs an
// answer posts `req` and waits on a SharedArrayBuffer until the gateway writes the reply there.

import type { ScriptError } from '../host.js';

/** The API the script sees: per global, its method names, or null for a global that is a function (print). */
export type Shape = Record<string, string[] | null>;

/** An argument of a stub's call: a callback (by id, with the script line that made it), a buffer (by id, its bytes) or data. */
export type Encoded = { $fn: number; line?: number } | { $buf: number; bytes: Uint8Array } | { $v: unknown };

/** [buffer id, its bytes]: the script's buffers and the gateway's copies, synced at every crossing. */
export type BufferSync = [number, Uint8Array][];

/** Gateway → sandbox. Each is an entry the sandbox answers with exactly one `done`, in order. */
export type ToSandbox =
  | { t: 'load'; name: string; source: string; shape: Shape; reply: SharedArrayBuffer; maxBufferBytes: number }
  | { t: 'call'; id: number; args: unknown[]; bufs: BufferSync; released: number[] }
  /** Nothing to run: proves the sandbox's loop still turns (a microtask loop never lets it). */
  | { t: 'ping' };

/** Sandbox → gateway. */
export type FromSandbox =
  | { t: 'done'; bufs: BufferSync; error?: ScriptError }
  | { t: 'req'; seq: number; path: string[]; args: Encoded[]; bufs: BufferSync };

// The reply area, a SharedArrayBuffer: Int32 words [seq answered, byte length, ok], then the
// reply as UTF-8 JSON (Uint8Array values as {"$bytes": [...]}).
export const REPLY_SEQ = 0;
export const REPLY_LENGTH = 1;
export const REPLY_OK = 2;
export const REPLY_HEADER_BYTES = 12;
export const REPLY_BYTES = 2048;
