// User scripts on the device: each in its own sandbox machine, a Moddable Worker (a second XS
// machine with its own heap, sized by the creation options below), with the gateway's API
// reached over messages and a watchdog in the gateway's machine (core/script/worker-host.ts).
//
// Settings (mc/config, from manifest.json): `scriptSandbox` = the worker's creation options
// (ESP32: modWorker.c reads static/chunk/heap/stack/keys/nativeStack; lin's pcWorker.c ignores
// them and clones the main machine's sizes); `scriptTerminate` = whether terminate() stops a
// busy worker (ESP32: vTaskDelete; lin: no, it would wait forever for a looping worker).

import config from "mc/config";
import Worker, { type WorkerOptions } from "worker";
import type { Clock, ScriptHost } from "core/host";
import { createWorkerScriptHost, type SandboxWorker } from "core/script/worker-host";

const SANDBOX_MODULE = "mi32/script-worker";

export function createDeviceScriptHost(clock: Clock): ScriptHost {
  const settings = config as { scriptSandbox?: WorkerOptions; scriptTerminate?: unknown };
  const options: WorkerOptions = settings.scriptSandbox ?? {};
  return createWorkerScriptHost({
    spawn: () => new Worker(SANDBOX_MODULE, options) as unknown as SandboxWorker,
    clock,
    canTerminate: settings.scriptTerminate === true || settings.scriptTerminate === 1 || settings.scriptTerminate === "1",
    // The gateway's machine compiles (never runs) the source, so a syntax error is refused before
    // ScriptSave stores it. "use strict" on the same line keeps the line numbers.
    checkSyntax: (source) => {
      new Function(`"use strict";${source}`);
    },
  });
}
