// The entry of a script's sandbox machine (new Worker("mi32/script-worker") in script-host.ts).
// Preload-safe: the worker calls the default export in its own machine (modWorker.c / pcWorker.c
// call a module's default function after import), so nothing here runs in the gateway's machine.

import { createSandbox } from "core/script/worker-sandbox";
import type { FromSandbox, ToSandbox } from "core/script/worker-protocol";

/** The worker machine's port to the gateway (set by modWorker.c / pcWorker.c as the global `self`). */
declare const self: { postMessage(message: FromSandbox): void; onmessage: ((message: ToSandbox) => void) | null };

export default function startSandbox(): void {
  const port = self;
  const sandbox = createSandbox({ post: (message) => port.postMessage(message) });
  port.onmessage = (message: ToSandbox) => sandbox.handle(message);
  // The port stays reachable to the SDK (it holds it), not to a script that escapes to this
  // machine's globals: it could post forged messages (the gateway checks them anyway).
  delete (globalThis as { self?: unknown }).self;
}
