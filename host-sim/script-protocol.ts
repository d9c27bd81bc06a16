// The messages between the main thread (script-host.ts) and a script's worker
// (script-worker.ts). Only structured-cloneable data: no object of the script ever crosses.

import type { MessagePort } from 'node:worker_threads';
import type { ScriptError } from '../firmware/core/host.js';

/** Slots of the shared Int32Array: a counter each side bumps (and notifies) after posting. */
export const MAIN = 0;
export const WORKER = 1;

export interface WorkerSetup {
  name: string;
  toMain: MessagePort;
  toWorker: MessagePort;
  signal: SharedArrayBuffer;
  maxBufferBytes: number;
}

// The values that cross are the device sandbox's (core/script/worker-protocol.ts); only the transport differs.
import type { BufferSync, Encoded, Shape } from '../firmware/core/script/worker-protocol.js';
export type { BufferSync, Encoded, Shape };

export type DoneMessage = { t: 'done'; bufs: BufferSync; asyncErrors: ScriptError[] } & ({ ok: true; value: unknown } | { ok: false; error: ScriptError });

export type ToMain =
  | { t: 'ready' }
  | { t: 'req'; path: string[]; args: Encoded[]; bufs: BufferSync }
  | DoneMessage;

interface Sync {
  bufs: BufferSync;
  /** Callback ids the main thread no longer holds: the worker may forget them. */
  released: number[];
}

export type ToWorker = Sync & (
  | { t: 'load'; source: string; shape: Shape }
  | { t: 'call'; id: number; args: unknown[] }
  | ({ t: 'reply' } & ({ ok: true; value: unknown } | { ok: false; name: string; message: string }))
);
