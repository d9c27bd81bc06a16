// The active GATT client: a queue of requests run one at a time over the GattLink port,
// with Tasmota's operation and error codes (codes.ts). One connection at a time: a request
// for the connected peer reuses the link, one for another peer closes it first. Every step
// has a timeout; a step that times out leaves the link suspect, so it is closed.
// Scanning is paused while a connection is made or open when the radio needs that
// (GattLink.pausesScan, the ESP32), and resumed when the link is down and nothing waits.
//
// The link is an explicit state machine (states.ts, table in README.md): `enter` is the
// only place the state changes, and it checks the transition and the invariants. The
// queue runs one job at a time, and `pump` is the only place a job starts.

import type { Clock, GattCharacteristic, GattLink, Log, TimerHandle } from '../host.js';
import { baseOp, GATT_ERROR, GATT_ERROR_TEXT, GATT_OP, isOneShot } from './codes.js';
import { findCharacteristic, OP_RUNNERS, type ActiveStep, type OpenLink, type StepStart, type Steps } from './ops.js';
import { capValue, describe, GattRequestError, StepFailure, validate, type GattRequest, type GattResult } from './request.js';
import { gattInvariants, newSession, TRANSITIONS, type GattSnapshot, type LinkState, type Session } from './states.js';
import { uuid16 } from './uuid.js';

export { GattRequestError, MAX_VALUE_BYTES } from './request.js';
export type { GattRequest, GattResult } from './request.js';

export interface ScanControl {
  pause(): void;
  resume(): void;
}

export interface GattTimeouts {
  /** Waiting for a connection (Tasmota waits 1 s; real links often need longer). */
  connect: number;
  /** Each discovery, read, write or (un)subscribe. */
  step: number;
  /** One-shot subscribe (13): waiting for the first notification, as Tasmota (15 s). */
  notify: number;
  /** An open link with no subscription and nothing queued is closed after this. 0 = never. */
  idle: number;
}

export const DEFAULT_GATT_TIMEOUTS: GattTimeouts = { connect: 5000, step: 5000, notify: 15000, idle: 30000 };

export interface GattClientOptions {
  link: GattLink;
  clock: Clock;
  log: Log;
  scan?: ScanControl;
  timeouts?: Partial<GattTimeouts>;
  /** Requests waiting beyond the active one. */
  maxQueue?: number;
  /** Unrequested events: notifications (op 103) and disconnects by the peer (op 5). */
  onEvent?: (event: GattResult) => void;
  /** Peers paired with MI32Pair: every link to them is made with their bond (encrypted). */
  bonded?: (mac: string) => boolean;
}

interface Pending {
  request: GattRequest;
  onResult: (result: GattResult) => void;
}

/** What the queue runs: a caller's request, or closing a link left idle too long. */
type Job = { kind: 'request'; pending: Pending } | { kind: 'close-idle' };

const IDLE: LinkState = { name: 'idle' };

export class GattClient {
  private readonly timeouts: GattTimeouts;
  private readonly queue: Pending[] = [];
  private state: LinkState = IDLE;
  /** The job being run; set and cleared by `pump` only. */
  private job: Job | undefined;
  private step: ActiveStep | undefined;
  private idleTimer: TimerHandle | undefined;
  private scanPaused = false;
  private readonly steps: Steps;
  readonly stats = { requests: 0, failed: 0, connections: 0, notifications: 0 };

  constructor(private readonly options: GattClientOptions) {
    this.timeouts = { ...DEFAULT_GATT_TIMEOUTS, ...options.timeouts };
    this.steps = { run: (ms, code, what, start) => this.runStep(ms, code, what, start), stepMs: this.timeouts.step, notifyMs: this.timeouts.notify };
  }

  /** The peer of the link being made, open or closing. */
  get connectedTo(): string | undefined {
    return this.state.name === 'idle' ? undefined : this.state.session.mac;
  }

  get busy(): boolean {
    return this.job !== undefined;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** The fields the invariants are about (states.ts), for tests and diagnostics. */
  inspect(): GattSnapshot {
    return {
      state: this.state.name, running: this.job !== undefined, queued: this.queue.length, stepActive: this.step !== undefined,
      idleTimerArmed: this.idleTimer !== undefined, scanPaused: this.scanPaused, linkPausesScan: this.options.link.pausesScan,
      subscriptions: this.state.name === 'idle' ? 0 : this.state.session.subscribed.size,
    };
  }

  /** Queue a request; `onResult` is called exactly once. Throws GattRequestError for a request that cannot run. */
  submit(request: GattRequest, onResult: (result: GattResult) => void): void {
    validate(request);
    const limit = this.options.maxQueue ?? 8;
    if (this.queue.length >= limit) throw new GattRequestError(`GATT queue full (${limit} waiting)`);
    this.queue.push({ request: { ...request, mac: request.mac.toUpperCase() }, onResult });
    this.stats.requests++;
    this.pump();
  }

  /** Drop everything queued (each gets error 2) and close the link. */
  close(): void {
    for (const p of this.queue.splice(0)) this.finish(p, { error: GATT_ERROR.didDisconnect, message: 'GATT client closed' });
    this.step?.fail(new StepFailure(GATT_ERROR.didDisconnect, 'GATT client closed'));
    this.dropLink();
  }

  // --- the one transition function ------------------------------------------------

  /** Change the link state: the transition must be in TRANSITIONS; its effects on scanning and the idle timer happen here. */
  private enter(next: LinkState): void {
    const from = this.state.name;
    if (!TRANSITIONS[from].includes(next.name)) {
      // A bug: say so, and keep serving from the state we are in.
      this.options.log.error(`GATT: no transition ${from} → ${next.name}`);
      return;
    }
    this.state = next;
    this.disarmIdle(); // any change of link ends an idle wait; `pump` re-arms it when quiet
    if (next.name === 'connecting') this.pauseScan();
    if (next.name === 'idle' && !this.job) this.resumeScanIfIdle();
    this.checkInvariants(`${from} → ${next.name}`);
  }

  private checkInvariants(where: string): void {
    const wrong = gattInvariants(this.inspect());
    if (wrong.length > 0) this.options.log.error(`GATT invariant broken after ${where}: ${wrong.join('; ')}`);
  }

  /** The open link, when it is open. */
  private openLink(): OpenLink | undefined {
    return this.state.name === 'ready' ? { session: this.state.session, connection: this.state.connection } : undefined;
  }

  /** Is `session` still the one the state is about? Late callbacks of an abandoned link are ignored. */
  private current(session: Session): boolean {
    return this.state.name !== 'idle' && this.state.session === session;
  }

  // --- the queue ----------------------------------------------------------------

  /** Start the next job when none runs: `next` (the idle close), else the oldest request. */
  private pump(next?: Job): void {
    if (this.job) return;
    const pending = next ? undefined : this.queue.shift();
    const job: Job | undefined = next ?? (pending && { kind: 'request', pending });
    if (!job) {
      this.armIdle();
      this.resumeScanIfIdle();
      this.checkInvariants('the queue ran dry');
      return;
    }
    this.job = job;
    this.disarmIdle();
    const run = job.kind === 'request' ? this.execute(job.pending) : this.disconnect();
    run.then(
      () => this.jobDone(),
      (e: unknown) => {
        // A bug, not a GATT failure: report it and keep the machine alive.
        this.options.log.error(`GATT: ${(e as Error)?.message ?? String(e)}`);
        this.dropLink();
        this.jobDone();
      },
    );
  }

  private jobDone(): void {
    this.job = undefined;
    this.pump();
  }

  private async execute(p: Pending): Promise<void> {
    const req = p.request;
    const base = baseOp(req.op);
    let outcome: Partial<GattResult> = {};
    let chr: GattCharacteristic | undefined;
    try {
      if (base === GATT_OP.disconnect) {
        await this.disconnect();
        outcome = { error: GATT_ERROR.none, message: 'disconnected' };
      } else {
        const link = await this.connect(req);
        chr = await findCharacteristic(this.steps, link, req);
        outcome = await OP_RUNNERS[base]!(this.steps, link, chr, req);
      }
    } catch (e) {
      if (!(e instanceof StepFailure)) throw e;
      outcome = { error: e.code, message: `${GATT_ERROR_TEXT[e.code] ?? 'error'}: ${e.detail}` };
      if (e.linkSuspect) await this.disconnect();
    }
    if (isOneShot(req.op)) await this.disconnect();
    this.finish(p, { ...(chr ? { uuid16: uuid16(chr.uuid), handle: chr.handle } : {}), ...outcome });
  }

  private finish(p: Pending, outcome: Partial<GattResult>): void {
    const result: GattResult = {
      mac: p.request.mac, op: baseOp(p.request.op), error: GATT_ERROR.none, uuid16: 0, handle: p.request.handle ?? 0, message: 'done', ...outcome,
    };
    if (result.error !== GATT_ERROR.none) this.stats.failed++;
    try {
      p.onResult(result);
    } catch (e) {
      this.options.log.error(`GATT result handler failed: ${(e as Error)?.message ?? String(e)}`);
    }
  }

  // --- steps --------------------------------------------------------------------

  /**
   * Run one link operation with a timeout. A disconnect while it runs fails it with
   * "did disconnect"; a timeout fails it with `timeoutCode` and marks the link suspect.
   */
  private runStep<T>(timeoutMs: number, timeoutCode: number, what: string, start: StepStart<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const settle = (action: () => void) => {
        if (settled) return;
        settled = true;
        this.options.clock.clearTimeout(timer);
        if (this.step === active) this.step = undefined;
        action();
      };
      const active: ActiveStep = { fail: (f) => settle(() => reject(f)) };
      const timer = this.options.clock.setTimeout(
        () => active.fail(new StepFailure(timeoutCode, `${what}: no answer in ${timeoutMs} ms`, true)),
        timeoutMs,
      );
      this.step = active;
      start((value) => settle(() => resolve(value)), active.fail, active);
    });
  }

  // --- the link -----------------------------------------------------------------

  /** The open link to the request's peer: reused when it is the one open, else made (closing another first). */
  private async connect(req: GattRequest): Promise<OpenLink> {
    // A paired peer (or MI32Pair itself) gets an encrypted link; an open plain link to it is remade.
    const bond = req.bond === true || this.options.bonded?.(req.mac) === true;
    const open = this.openLink();
    if (open && open.session.mac === req.mac && (open.session.bonded || !bond)) return open;
    if (this.state.name !== 'idle') await this.disconnect();
    const session = newSession(req.mac, bond);
    this.enter({ name: 'connecting', session });
    try {
      return await this.runStep<OpenLink>(this.timeouts.connect, GATT_ERROR.couldNotConnect, 'connect', (ok, fail) => {
        this.options.link.connect({ mac: req.mac, addrType: req.addrType ?? 0, ...(bond ? { bond: true } : {}) }, {
          onConnect: (connection) => {
            // Late (after the connect timed out) or for a link we gave up: close it at once.
            if (!this.current(session) || this.state.name !== 'connecting') return connection.disconnect();
            this.stats.connections++;
            this.enter({ name: 'ready', session, connection });
            ok({ session, connection });
          },
          onConnectFailed: (error) => {
            if (this.current(session)) fail(new StepFailure(GATT_ERROR.couldNotConnect, describe(error)));
          },
          onDisconnect: (reason) => {
            if (this.current(session)) this.linkDown(reason);
          },
          onNotification: (handle, value) => {
            if (this.current(session)) this.notification(session, handle, value);
          },
        });
      });
    } catch (e) {
      if (this.current(session)) this.enter(IDLE);
      throw e;
    }
  }

  /** Close the link (if any) and wait for it to be down, bounded by the step timeout. */
  private async disconnect(): Promise<void> {
    const state = this.state;
    if (state.name === 'idle') return;
    if (state.name !== 'ready') return this.dropLink();
    const { session, connection } = state;
    try {
      await this.runStep<void>(this.timeouts.step, GATT_ERROR.didDisconnect, 'disconnect', (ok) => {
        this.enter({ name: 'closing', session, connection, confirm: () => ok() });
        connection.disconnect();
      });
    } catch {
      // The peer never confirmed: forget the link anyway.
    }
    if (this.current(session)) this.dropLink();
  }

  /** Forget the link now, asking it to go down when it is open; its late events are ignored. */
  private dropLink(): void {
    const state = this.state;
    if (state.name === 'idle') return this.resumeScanIfQuiet();
    if (state.name === 'ready') state.connection.disconnect(); // its onDisconnect will find the link is not current
    this.enter(IDLE);
  }

  /** The link went down: expected (we are closing it) or not (the peer, or the radio). */
  private linkDown(reason: number): void {
    const state = this.state;
    if (state.name === 'idle') return;
    this.enter(IDLE);
    if (state.name === 'closing') state.confirm();
    else {
      const text = `disconnected by the peer (reason 0x${reason.toString(16)})`;
      // During a request its result says so (error 2); between requests it is an event (op 5, error = reason), as in Tasmota.
      if (this.step) this.step.fail(new StepFailure(GATT_ERROR.didDisconnect, text));
      else this.options.onEvent?.({ mac: state.session.mac, op: GATT_OP.disconnect, error: reason, uuid16: 0, handle: 0, message: text });
    }
    if (!this.job) this.pump();
  }

  private notification(session: Session, handle: number, value: Uint8Array): void {
    this.stats.notifications++;
    const chr = session.byHandle.get(handle);
    const capped = capValue(value);
    this.options.onEvent?.({
      mac: session.mac, op: GATT_OP.notification, error: GATT_ERROR.none, uuid16: chr ? uuid16(chr.uuid) : 0, handle, value: capped, message: 'notification',
    });
    this.step?.onNotification?.(capped);
  }

  // --- idle link and scanning ------------------------------------------------------

  private armIdle(): void {
    this.disarmIdle();
    const open = this.openLink();
    if (!open || open.session.subscribed.size > 0 || this.timeouts.idle <= 0) return;
    this.idleTimer = this.options.clock.setTimeout(() => {
      this.idleTimer = undefined;
      if (this.openLink()?.session === open.session && !this.job && this.queue.length === 0) {
        this.options.log.debug(`GATT: closing idle link to ${open.session.mac}`);
        this.pump({ kind: 'close-idle' });
      }
    }, this.timeouts.idle);
  }

  private disarmIdle(): void {
    if (this.idleTimer !== undefined) this.options.clock.clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private pauseScan(): void {
    if (!this.options.link.pausesScan || this.scanPaused) return;
    this.scanPaused = true;
    this.options.scan?.pause();
  }

  private resumeScanIfQuiet(): void {
    if (!this.job) this.resumeScanIfIdle();
  }

  private resumeScanIfIdle(): void {
    if (!this.scanPaused || this.state.name !== 'idle' || this.queue.length > 0) return;
    this.scanPaused = false;
    this.options.scan?.resume();
  }
}
