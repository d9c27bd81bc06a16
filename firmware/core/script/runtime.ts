// Runs user scripts beside the gateway. A script sees MI32, BLE, a small `tasmota` object
// (cmd, publish, timers, log; named after the Berry module users know) and print(),
// nothing else: the ScriptHost evaluates it in isolation. Every call into a script is
// guarded: an error is reported with the script's name and line and the gateway goes on;
// a script that runs past the host's time budget (a loop) is stopped.

import type { Clock, LoadedScript, Log, ScriptError, ScriptHost, Store, TimerHandle } from '../host.js';
import type { Reply } from '../gateway/commands.js';
import { CommandError } from '../gateway/commands.js';
import { utf8Encode } from '../mqtt/utf8.js';
import { toHex } from '../bytes/hex.js';
import { writeAtomic } from '../store/atomic.js';
import { readStoredText } from '../store/read-text.js';
import type { GattResult } from '../gatt/client.js';
import type { Gateway, ScriptPort } from '../gateway/gateway.js';
import type { Advertisement } from '../gateway/registry.js';
import { BleScriptState, createBleApi, type ScanFilter } from './ble-api.js';
import { copyBytes, isBytes } from './script-bytes.js';
import { createMi32Api } from './mi32-api.js';
import { lineInStack, scriptFileName } from './stack-line.js';

export interface ScriptRuntimeOptions {
  host: ScriptHost;
  gateway: Gateway;
  clock: Clock;
  log: Log;
  /** Where print() and error reports go (serial / stdout). */
  console?: (line: string) => void;
  /** Holds the stored script (AUTOEXEC), like Tasmota's autoexec.be. */
  store?: Store;
}

/** The stored script, run at start and replaced by ScriptSave. */
export const AUTOEXEC = 'autoexec.js';
/** Largest script ScriptSave accepts (bytes of UTF-8). */
export const MAX_SCRIPT_BYTES = 16384;
/** Pending timers per script: what a script keeps on the gateway's side is bounded too. */
export const MAX_TIMERS = 100;

type Callback = (...args: never[]) => unknown;

interface RunningScript {
  name: string;
  /** Line where each callback was registered (from the engine's stack, V8 and XS alike). */
  callbackLines: WeakMap<Callback, number>;
  loaded?: LoadedScript;
  ble: BleScriptState;
  /** This script's adv_watch/adv_block: it counts only while the script runs. */
  filter: ScanFilter;
  timers: Map<number, TimerHandle>;
  errors: number;
  stopped: boolean;
}

export interface ScriptStatus {
  name: string;
  running: boolean;
  errors: number;
}

/**
 * The runtime is the gateway's ScriptPort; whoever composes the app attaches it
 * (gateway.attachScripts) and detaches it. Everything a script set up (filters, callbacks,
 * timers) lives in its RunningScript and ends with it.
 */
export class ScriptRuntime implements ScriptPort {
  private readonly scripts: RunningScript[] = [];
  private nextTimer = 1;

  constructor(private readonly options: ScriptRuntimeOptions) {}

  // --- ScriptPort ------------------------------------------------------------------

  /**
   * The running scripts' filters together, as the controller's one list would be: a block
   * by any script hides the MAC; once any script watches, only watched MACs pass.
   * Per advertisement: index loops and set lookups, no allocation.
   */
  admits(mac: string): boolean {
    let watching = false;
    let watched = false;
    for (let i = 0; i < this.scripts.length; i++) {
      const s = this.scripts[i]!;
      if (s.stopped) continue;
      if (s.filter.block.has(mac)) return false;
      if (s.filter.watch.size > 0) {
        watching = true;
        if (s.filter.watch.has(mac)) watched = true;
      }
    }
    return !watching || watched;
  }

  /**
   * Whether a running script has adv_cb, adv_watch or adv_block: without any, admits is
   * true and onAdvertisement does nothing, so the gateway skips both (Gateway.detour).
   * The gateway asks again when told (gateway.scriptTapsChanged), not per advertisement.
   */
  hearsAdvertisements(): boolean {
    return this.scripts.some((s) => !s.stopped && (s.ble.advCallback !== undefined || s.filter.watch.size > 0 || s.filter.block.size > 0));
  }

  onAdvertisement(adv: Advertisement): void {
    for (let i = 0; i < this.scripts.length; i++) {
      const s = this.scripts[i]!;
      if (!s.stopped) s.ble.deliverAdvertisement(adv);
    }
  }

  onGattEvent(event: GattResult): void {
    for (const s of this.scripts) if (!s.stopped && s.ble.peers.has(event.mac)) s.ble.deliverGatt(event);
  }

  /** Load the stored script, if there is one. */
  loadStored(): void {
    const store = this.options.store;
    if (!store) return;
    // An unreadable, oversized or non-UTF-8 autoexec.js is kept aside and reported; the gateway starts without it.
    const stored = readStoredText(store, AUTOEXEC, MAX_SCRIPT_BYTES);
    for (const problem of stored.problems) this.options.log.warn(`script: ${problem}`);
    if (stored.kind === 'text') this.load(AUTOEXEC, stored.text);
  }

  /**
   * Script (status) and ScriptSave <source>: the new script is loaded first, beside the old
   * one; only if it loads cleanly is it stored as autoexec.js and the old one stopped.
   * A script that fails to load is reported, not stored: the working one keeps running.
   */
  command(kind: 'status' | 'save', arg: string): Reply {
    if (kind === 'status') return { Script: this.status.map((s) => ({ Name: s.name, Running: s.running, Errors: s.errors })) };
    const store = this.options.store;
    if (!store) throw new CommandError('no storage for scripts on this build');
    const bytes = utf8Encode(arg);
    if (bytes.length > MAX_SCRIPT_BYTES) throw new CommandError(`script is ${bytes.length} bytes; at most ${MAX_SCRIPT_BYTES}`);
    const previous = this.scripts.filter((x) => x.name === AUTOEXEC);
    const loaded = this.load(AUTOEXEC, arg);
    const fresh = this.scripts[this.scripts.length - 1]!;
    if (!loaded.ok) {
      this.scripts.splice(this.scripts.indexOf(fresh), 1);
      throw new CommandError(loaded.error);
    }
    const later = fresh.loaded?.whenLoaded;
    if (later) {
      // The device's sandbox runs the top level after load() returned: store the script only
      // once it ran cleanly; a throw or a loop there leaves the stored one running.
      let answered = false;
      let reply: Reply | undefined;
      later.call(fresh.loaded, (error) => {
        reply = error
          ? this.dropFresh(fresh, error.message)
          : this.commit(store, bytes, fresh, previous);
        if (answered) this.options.gateway.result(reply);
      });
      answered = true;
      return reply ?? { ScriptSave: 'Loading', Bytes: bytes.length };
    }
    const committed = this.commit(store, bytes, fresh, previous);
    if (committed.ScriptSave === 'Error') throw new CommandError(String(committed.Error));
    return committed;
  }

  /** The new script loaded cleanly: store it, then stop the scripts it replaces. */
  private commit(store: Store, bytes: Uint8Array, fresh: RunningScript, previous: RunningScript[]): Reply {
    try {
      writeAtomic(store, AUTOEXEC, bytes);
    } catch (e) {
      // not stored (read-only or full flash): the new one goes, the stored one keeps running
      return this.dropFresh(fresh, (e as Error).message);
    }
    for (const s of previous) {
      this.stop(s);
      this.scripts.splice(this.scripts.indexOf(s), 1);
    }
    return { ScriptSave: 'Done', Bytes: bytes.length, Running: true };
  }

  /** The new script is not kept (it failed to load, or could not be stored): the old one runs on. */
  private dropFresh(fresh: RunningScript, why: string): Reply {
    if (!fresh.stopped) this.stop(fresh);
    const at = this.scripts.indexOf(fresh);
    if (at >= 0) this.scripts.splice(at, 1);
    return { ScriptSave: 'Error', Error: why };
  }

  get status(): ScriptStatus[] {
    return this.scripts.map((s) => ({ name: s.name, running: !s.stopped, errors: s.errors }));
  }

  /** Evaluate a script. A syntax error or a throw at top level is reported and returned; the gateway goes on. */
  load(name: string, source: string): { ok: true } | { ok: false; error: string } {
    const script: RunningScript = { name, callbackLines: new WeakMap(), ble: undefined!, filter: { watch: new Map(), block: new Set() }, timers: new Map(), errors: 0, stopped: false };
    const ctx = {
      gatt: this.options.gateway.gatt, filter: script.filter,
      invoke: (fn: Callback, args: unknown[]) => this.invoke(script, fn, args),
      remember: (fn: Callback) => this.remember(script, fn),
      tapsChanged: () => this.options.gateway.scriptTapsChanged(),
    };
    script.ble = new BleScriptState(ctx);
    this.scripts.push(script);
    const globals = {
      MI32: createMi32Api(this.options.gateway.registry),
      BLE: createBleApi(script.ble, ctx),
      tasmota: this.tasmotaApi(script),
      print: (...args: unknown[]) => this.print(script, args),
    };
    const events = {
      fatal: (error: ScriptError) => this.fail(script, error),
      error: (error: ScriptError, fn?: unknown) => this.callbackFailed(script, fn as Callback | undefined, error),
    };
    const outcome = this.options.host.load(name, source, globals, events);
    if (!outcome.ok) {
      const text = this.report(script, outcome.error);
      this.stop(script);
      return { ok: false, error: text };
    }
    script.loaded = outcome.value;
    this.options.log.info(`script ${name} loaded`);
    return { ok: true };
  }

  /** Stop every script: timers cleared, callbacks dropped. */
  stopAll(): void {
    for (const s of this.scripts) if (!s.stopped) this.stop(s);
  }

  // --- calls into scripts ---------------------------------------------------------

  private invoke(script: RunningScript, fn: Callback, args: unknown[]): void {
    if (script.stopped) return;
    if (!script.loaded) {
      // Called while the script's top level still runs (the host guards that run).
      (fn as (...a: unknown[]) => unknown)(...args);
      return;
    }
    const outcome = script.loaded.call(fn, args);
    if (!outcome.ok) this.callbackFailed(script, fn, outcome.error);
  }

  private callbackFailed(script: RunningScript, fn: Callback | undefined, error: ScriptError): void {
    if (script.stopped) return;
    // A loop cut off by the host has no line of its own: name the line that set the callback.
    const line = error.line ?? (fn ? script.callbackLines.get(fn) : undefined);
    this.report(script, line !== undefined && error.line === undefined ? { ...error, line, message: `${error.message} in the callback set here` } : error);
    if (error.timedOut || error.fatal) this.stop(script);
  }

  /** The host says the script died outside a call, or why it really died (out of memory): report it, stop it. */
  private fail(script: RunningScript, error: ScriptError): void {
    this.report(script, error);
    if (!script.stopped) this.stop(script);
  }

  private remember(script: RunningScript, fn: Callback): void {
    const line = this.options.host.callbackLine?.(fn) ?? lineInStack(new Error().stack ?? '', scriptFileName(script.name));
    if (line !== undefined) script.callbackLines.set(fn, line);
  }

  private report(script: RunningScript, error: ScriptError): string {
    script.errors++;
    const where = error.line !== undefined ? `${script.name}:${error.line}` : script.name;
    const text = error.timedOut || error.fatal ? `script ${where}: ${error.message}; the script is stopped` : `script ${where}: ${error.message}`;
    this.options.log.error(text);
    this.options.console?.(JSON.stringify({ Script: script.name, Error: error.message, ...(error.line !== undefined ? { Line: error.line } : {}) }));
    return text;
  }

  private stop(script: RunningScript): void {
    script.stopped = true;
    for (const handle of script.timers.values()) this.options.clock.clearTimeout(handle);
    script.timers.clear();
    script.ble.advCallback = script.ble.connCallback = undefined;
    // Its adv_watch/adv_block end with it (admits skips stopped scripts; this frees the lists).
    script.filter.watch.clear();
    script.filter.block.clear();
    this.options.gateway.scriptTapsChanged();
    script.loaded?.dispose?.();
  }

  private print(script: RunningScript, args: unknown[]): void {
    const text = args.map((a) => (typeof a === 'string' ? a : safeJson(a))).join(' ');
    this.options.console?.(`${script.name}: ${text}`);
  }

  /** The subset of Berry's `tasmota` module that scripts here need. */
  private tasmotaApi(script: RunningScript) {
    const { clock, gateway, log } = this.options;
    return {
      /** Run a console command; returns its reply object. */
      cmd: (line: unknown) => gateway.command(String(line), 'script'),
      /** Publish to a full topic; objects are sent as JSON. */
      publish: (topic: unknown, payload: unknown, retain?: unknown) => {
        if (typeof topic !== 'string' || topic === '' || /[#+]/.test(topic)) throw new Error('tasmota.publish: topic must be a non-empty string without wildcards');
        gateway.publishRaw(topic, typeof payload === 'string' ? payload : safeJson(payload), retain === true);
      },
      set_timer: (ms: unknown, fn: unknown) => {
        if (typeof fn !== 'function') throw new Error('tasmota.set_timer: expected (milliseconds, function)');
        if (script.timers.size >= MAX_TIMERS) throw new Error(`tasmota.set_timer: at most ${MAX_TIMERS} pending timers`);
        this.remember(script, fn as Callback);
        const delay = Math.max(0, Number(ms) || 0);
        const id = this.nextTimer++;
        script.timers.set(id, clock.setTimeout(() => {
          script.timers.delete(id);
          this.invoke(script, fn as Callback, []);
        }, delay));
        return id;
      },
      remove_timer: (id: unknown) => {
        const handle = script.timers.get(Number(id));
        if (handle !== undefined) clock.clearTimeout(handle);
        script.timers.delete(Number(id));
      },
      millis: () => clock.now(),
      /** Seconds since the epoch (UTC), as Berry's tasmota.rtc()['utc']. */
      rtc: () => ({ utc: Math.floor(clock.now() / 1000) }),
      log: (message: unknown, level?: unknown) => {
        const text = `${script.name}: ${String(message)}`;
        const l = Number(level ?? 2);
        if (l <= 1) log.error(text);
        else if (l === 2) log.info(text);
        else log.debug(text);
      },
    };
  }
}

function safeJson(value: unknown): string {
  try {
    return isBytes(value) ? `bytes('${toHex(copyBytes(value))}')` : JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
