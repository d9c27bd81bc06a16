// The active GATT client: a queue of requests run one at a time over the GattLink port,
// with Tasmota's operation and error codes (codes.ts). One connection at a time: a request
// for the connected peer reuses the link, one for another peer closes it first. Every step
// has a timeout; a step that times out leaves the link suspect, so it is closed.
// Scanning is paused while a connection is made or open when the radio needs that
// (GattLink.pausesScan, the ESP32), and resumed when the link is down and nothing waits.

import type { Clock, GattCharacteristic, GattConnection, GattFailure, GattLink, GattService, Log, TimerHandle } from '../host.js';
import { GATT_PROPERTY } from '../host.js';
import { baseOp, GATT_ERROR, GATT_ERROR_TEXT, GATT_OP, isOneShot, VALID_OPS } from './codes.js';
import { shortUuid, uuid16 } from './uuid.js';

export interface GattRequest {
  /** 1 read, 2 write, 3 subscribe, 4 unsubscribe, 5 disconnect; 11–14 one-shot forms. */
  op: number;
  /** 12 hex digits, display order. */
  mac: string;
  /** 0 public (default), 1 random, 2/3 identity. */
  addrType?: number;
  /** Canonical UUIDs (uuid.ts). Not needed when `handle` is given. */
  service?: string;
  characteristic?: string;
  /** Select the characteristic by value handle (Tasmota's arg1): UUID lookup is skipped. */
  handle?: number;
  /** For writes. */
  value?: Uint8Array;
  /** Write with response when the characteristic allows it (Tasmota's `response`). */
  withResponse?: boolean;
}

export interface GattResult {
  mac: string;
  /** The base op (one-shots report op % 10), 103 for a notification, 5 for a disconnect. */
  op: number;
  /** GATT_ERROR code; for an unrequested disconnect, the stack's reason code (may be > 9). */
  error: number;
  /** Tasmota's 16-bit "return uuid" of the characteristic, 0 when none. */
  uuid16: number;
  handle: number;
  /** Read value, or the notification's value. */
  value?: Uint8Array;
  /** Subscribe: the value handles subscribed. */
  handles?: number[];
  /** Human-readable outcome, for logs and command replies. */
  message: string;
}

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
}

/** A request that cannot be run at all (bad op, MAC, UUID, queue full): thrown by submit(). */
export class GattRequestError extends Error {
  // A class field, not `this.name = ...`: XS freezes Error.prototype after preload.
  override name = 'GattRequestError';
}

/** A step failed with a Tasmota error code; ends the request. */
class StepFailure {
  constructor(readonly code: number, readonly detail: string, readonly linkSuspect = false) {}
}

interface Pending {
  request: GattRequest;
  onResult: (result: GattResult) => void;
}

/** One connection to one peer, and what was discovered on it. */
interface Session {
  mac: string;
  connection?: GattConnection;
  services?: GattService[];
  characteristics: Map<string, GattCharacteristic[]>;
  byHandle: Map<number, GattCharacteristic>;
  subscribed: Set<number>;
  /** Set while we are closing it: the disconnect that follows is expected. */
  closing: boolean;
  /** The first notification, awaited by a one-shot subscribe. */
  notifyWaiter?: (value: Uint8Array, handle: number) => void;
  /** Our own disconnect, waiting for the link to be down. */
  downWaiter?: () => void;
}

/** The step in flight: a disconnect or a timeout ends it. */
interface ActiveStep {
  fail(failure: StepFailure): void;
}

const MAC_RE = /^[0-9A-F]{12}$/;
const MAX_WRITE = 512;
/** Tasmota's [len][data] buffers cap values at 255 bytes. */
export const MAX_VALUE_BYTES = 255;

/** What each base op does once the characteristic is known; `null` entries need none. */
type OpRunner = (client: GattClient, session: Session, chr: GattCharacteristic, req: GattRequest) => Promise<Partial<GattResult>>;

export class GattClient {
  private readonly timeouts: GattTimeouts;
  private readonly queue: Pending[] = [];
  private running = false;
  private session: Session | undefined;
  private step: ActiveStep | undefined;
  private idleTimer: TimerHandle | undefined;
  private scanPaused = false;
  readonly stats = { requests: 0, failed: 0, connections: 0, notifications: 0 };

  constructor(private readonly options: GattClientOptions) {
    this.timeouts = { ...DEFAULT_GATT_TIMEOUTS, ...options.timeouts };
  }

  /** The peer of the open (or opening) connection. */
  get connectedTo(): string | undefined {
    return this.session?.mac;
  }

  get busy(): boolean {
    return this.running;
  }

  get queued(): number {
    return this.queue.length;
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
    this.dropSession();
  }

  // --- the queue ----------------------------------------------------------------

  private pump(): void {
    if (this.running) return;
    const next = this.queue.shift();
    if (!next) {
      this.armIdle();
      this.resumeScanIfIdle();
      return;
    }
    this.running = true;
    this.disarmIdle();
    this.execute(next).then(
      () => this.afterRequest(),
      (e: unknown) => {
        // A bug, not a GATT failure: report it and keep the machine alive.
        this.options.log.error(`GATT: ${(e as Error)?.message ?? String(e)}`);
        this.dropSession();
        this.afterRequest();
      },
    );
  }

  private afterRequest(): void {
    this.running = false;
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
        const session = await this.connect(req);
        chr = await this.findCharacteristic(session, req);
        outcome = await OP_RUNNERS[base]!(this, session, chr, req);
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
  private runStep<T>(timeoutMs: number, timeoutCode: number, what: string, start: (ok: (value: T) => void, fail: (f: StepFailure) => void) => void): Promise<T> {
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
      start((value) => settle(() => resolve(value)), active.fail);
    });
  }

  private async connect(req: GattRequest): Promise<Session> {
    if (this.session && this.session.mac === req.mac && this.session.connection && !this.session.closing) return this.session;
    if (this.session) await this.disconnect();
    this.pauseScan();
    const session: Session = { mac: req.mac, characteristics: new Map(), byHandle: new Map(), subscribed: new Set(), closing: false };
    this.session = session;
    const stale = () => this.session !== session;
    await this.runStep<void>(this.timeouts.connect, GATT_ERROR.couldNotConnect, 'connect', (ok, fail) => {
      this.options.link.connect({ mac: req.mac, addrType: req.addrType ?? 0 }, {
        onConnect: (connection) => {
          if (stale()) return connection.disconnect();
          session.connection = connection;
          this.stats.connections++;
          ok();
        },
        onConnectFailed: (error) => {
          if (!stale()) fail(new StepFailure(GATT_ERROR.couldNotConnect, describe(error)));
        },
        onDisconnect: (reason) => {
          if (!stale()) this.linkDown(session, reason);
        },
        onNotification: (handle, value) => {
          if (!stale()) this.notification(session, handle, value);
        },
      });
    }).catch((e: unknown) => {
      if (this.session === session) this.session = undefined;
      throw e;
    });
    return session;
  }

  /** Close the link (if any) and wait for it to be down, bounded by the step timeout. */
  private async disconnect(): Promise<void> {
    const session = this.session;
    if (!session) return;
    if (!session.connection) return this.dropSession();
    session.closing = true;
    try {
      await this.runStep<void>(this.timeouts.step, GATT_ERROR.didDisconnect, 'disconnect', (ok) => {
        session.notifyWaiter = undefined;
        session.downWaiter = ok;
        session.connection!.disconnect();
      });
    } catch {
      // The peer never confirmed: forget the link anyway.
    }
    if (this.session === session) this.dropSession();
  }

  private dropSession(): void {
    const session = this.session;
    this.session = undefined;
    if (session?.connection && !session.closing) {
      session.closing = true;
      session.connection.disconnect();
    }
    this.disarmIdle();
    if (!this.running) this.resumeScanIfIdle();
  }

  /** The link went down: expected (we closed it) or not (the peer, or the radio). */
  private linkDown(session: Session, reason: number): void {
    const expected = session.closing;
    const waiter = session.downWaiter;
    session.downWaiter = undefined;
    if (this.session === session) this.session = undefined;
    this.disarmIdle();
    if (waiter) waiter();
    if (!expected) {
      const text = `disconnected by the peer (reason 0x${reason.toString(16)})`;
      // During a request its result says so (error 2); between requests it is an event (op 5, error = reason), as in Tasmota.
      if (this.step) this.step.fail(new StepFailure(GATT_ERROR.didDisconnect, text));
      else this.options.onEvent?.({ mac: session.mac, op: GATT_OP.disconnect, error: reason, uuid16: 0, handle: 0, message: text });
    }
    if (!this.running) this.pump();
  }

  private notification(session: Session, handle: number, value: Uint8Array): void {
    this.stats.notifications++;
    const chr = session.byHandle.get(handle);
    const capped = value.length > MAX_VALUE_BYTES ? value.slice(0, MAX_VALUE_BYTES) : value;
    this.options.onEvent?.({
      mac: session.mac, op: GATT_OP.notification, error: GATT_ERROR.none, uuid16: chr ? uuid16(chr.uuid) : 0, handle, value: capped, message: 'notification',
    });
    const waiter = session.notifyWaiter;
    if (waiter) {
      session.notifyWaiter = undefined;
      waiter(capped, handle);
    }
  }

  private async findCharacteristic(session: Session, req: GattRequest): Promise<GattCharacteristic> {
    const conn = session.connection!;
    if (!session.services) {
      session.services = await this.runStep<GattService[]>(this.timeouts.step, GATT_ERROR.noService, 'service discovery', (ok, fail) =>
        conn.discoverServices((error, services) => (error ? fail(new StepFailure(GATT_ERROR.noService, describe(error))) : ok(services))));
    }
    // By handle (Tasmota's arg1): every service is discovered to learn the properties.
    const wanted = req.handle !== undefined ? session.services : session.services.filter((s) => s.uuid === req.service);
    if (wanted.length === 0) throw new StepFailure(GATT_ERROR.noService, `service ${shortUuid(req.service!)} not on ${req.mac}`);
    for (const service of wanted) {
      const chars = await this.characteristicsOf(session, service);
      const found = chars.find((c) => (req.handle !== undefined ? c.handle === req.handle : c.uuid === req.characteristic));
      if (found) return found;
    }
    throw new StepFailure(GATT_ERROR.noCharacteristic, req.handle !== undefined
      ? `no characteristic with handle ${req.handle}`
      : `characteristic ${shortUuid(req.characteristic!)} not in service ${shortUuid(req.service!)}`);
  }

  private async characteristicsOf(session: Session, service: GattService): Promise<GattCharacteristic[]> {
    const cached = session.characteristics.get(service.uuid);
    if (cached) return cached;
    const chars = await this.runStep<GattCharacteristic[]>(this.timeouts.step, GATT_ERROR.noCharacteristic, 'characteristic discovery', (ok, fail) =>
      session.connection!.discoverCharacteristics(service, (error, list) => (error ? fail(new StepFailure(GATT_ERROR.noCharacteristic, describe(error))) : ok(list))));
    session.characteristics.set(service.uuid, chars);
    for (const c of chars) session.byHandle.set(c.handle, c);
    return chars;
  }

  // --- the operations (used by OP_RUNNERS) ----------------------------------------

  /** @internal */
  readValue(session: Session, chr: GattCharacteristic): Promise<Uint8Array> {
    if (!(chr.properties & GATT_PROPERTY.read)) throw new StepFailure(GATT_ERROR.cannotRead, `${shortUuid(chr.uuid)} is not readable`);
    return this.runStep<Uint8Array>(this.timeouts.step, GATT_ERROR.cannotRead, 'read', (ok, fail) =>
      session.connection!.read(chr, (error, value) => (error ? fail(new StepFailure(GATT_ERROR.cannotRead, describe(error))) : ok(value ?? new Uint8Array(0)))));
  }

  /** @internal */
  writeValue(session: Session, chr: GattCharacteristic, value: Uint8Array, wantResponse: boolean): Promise<void> {
    const canRespond = (chr.properties & GATT_PROPERTY.write) !== 0;
    const canSilent = (chr.properties & GATT_PROPERTY.writeWithoutResponse) !== 0;
    if (!canRespond && !canSilent) throw new StepFailure(GATT_ERROR.cannotWrite, `${shortUuid(chr.uuid)} is not writable`);
    const withResponse = canRespond && (wantResponse || !canSilent);
    return this.runStep<void>(this.timeouts.step, GATT_ERROR.didNotWrite, 'write', (ok, fail) =>
      session.connection!.write(chr, value, withResponse, (error) => (error ? fail(new StepFailure(GATT_ERROR.didNotWrite, describe(error))) : ok())));
  }

  /** @internal */
  setSubscription(session: Session, chr: GattCharacteristic, on: boolean): Promise<void> {
    if (!(chr.properties & (GATT_PROPERTY.notify | GATT_PROPERTY.indicate))) throw new StepFailure(GATT_ERROR.cannotNotify, `${shortUuid(chr.uuid)} cannot notify`);
    return this.runStep<void>(this.timeouts.step, GATT_ERROR.cannotNotify, on ? 'subscribe' : 'unsubscribe', (ok, fail) => {
      const done = (error: GattFailure | undefined) => (error ? fail(new StepFailure(GATT_ERROR.cannotNotify, describe(error))) : ok());
      if (on) session.connection!.subscribe(chr, done);
      else session.connection!.unsubscribe(chr, done);
    }).then(() => {
      if (on) session.subscribed.add(chr.handle);
      else session.subscribed.delete(chr.handle);
    });
  }

  /** @internal The first notification after a one-shot subscribe, or error 9. */
  firstNotification(session: Session): Promise<Uint8Array> {
    return this.runStep<Uint8Array>(this.timeouts.notify, GATT_ERROR.timeout, 'first notification', (ok) => {
      session.notifyWaiter = (value) => ok(value);
    });
  }

  // --- idle link and scanning ------------------------------------------------------

  private armIdle(): void {
    this.disarmIdle();
    const session = this.session;
    if (!session?.connection || session.subscribed.size > 0 || this.timeouts.idle <= 0) return;
    this.idleTimer = this.options.clock.setTimeout(() => {
      this.idleTimer = undefined;
      if (this.session === session && !this.running && this.queue.length === 0) {
        this.options.log.debug(`GATT: closing idle link to ${session.mac}`);
        this.submitInternalDisconnect();
      }
    }, this.timeouts.idle);
  }

  private submitInternalDisconnect(): void {
    this.running = true;
    this.disconnect().then(() => this.afterRequest(), () => this.afterRequest());
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

  private resumeScanIfIdle(): void {
    if (!this.scanPaused || this.session || this.queue.length > 0) return;
    this.scanPaused = false;
    this.options.scan?.resume();
  }
}

/** Each base op, once its characteristic is found. */
const OP_RUNNERS: Record<number, OpRunner> = {
  [GATT_OP.read]: async (client, session, chr) => {
    const value = await client.readValue(session, chr);
    return { error: GATT_ERROR.none, value: value.length > MAX_VALUE_BYTES ? value.slice(0, MAX_VALUE_BYTES) : value, message: `read ${value.length} bytes` };
  },
  [GATT_OP.write]: async (client, session, chr, req) => {
    await client.writeValue(session, chr, req.value!, req.withResponse === true);
    return { error: GATT_ERROR.none, message: `wrote ${req.value!.length} bytes` };
  },
  [GATT_OP.subscribe]: async (client, session, chr, req) => {
    await client.setSubscription(session, chr, true);
    if (!isOneShot(req.op)) return { error: GATT_ERROR.none, handles: [chr.handle], message: 'subscribed' };
    const value = await client.firstNotification(session);
    return { error: GATT_ERROR.none, handles: [chr.handle], value, message: 'notified' };
  },
  [GATT_OP.unsubscribe]: async (client, session, chr) => {
    await client.setSubscription(session, chr, false);
    return { error: GATT_ERROR.none, message: 'unsubscribed' };
  },
};

function describe(error: GattFailure): string {
  return error.reason !== undefined ? `${error.message} (reason ${error.reason})` : error.message;
}

function validate(r: GattRequest): void {
  if (!VALID_OPS.includes(r.op)) throw new GattRequestError(`op ${r.op} is not a client operation (${VALID_OPS.join(', ')})`);
  if (typeof r.mac !== 'string' || !MAC_RE.test(r.mac.toUpperCase())) throw new GattRequestError(`MAC must be 12 hex digits, got "${r.mac}"`);
  if (r.addrType !== undefined && !(Number.isInteger(r.addrType) && r.addrType >= 0 && r.addrType <= 3)) throw new GattRequestError('address type must be 0-3');
  const base = baseOp(r.op);
  if (base === GATT_OP.disconnect) return;
  if (r.handle !== undefined) {
    if (!(Number.isInteger(r.handle) && r.handle > 0 && r.handle <= 0xffff)) throw new GattRequestError(`handle must be 1-65535, got ${r.handle}`);
  } else if (!r.service || !r.characteristic) {
    throw new GattRequestError('service and characteristic must be set (set_svc, set_chr) or a handle given');
  }
  if (base === GATT_OP.write) {
    if (!(r.value instanceof Uint8Array)) throw new GattRequestError('write needs a value');
    if (r.value.length > MAX_WRITE) throw new GattRequestError(`write value is ${r.value.length} bytes; at most ${MAX_WRITE}`);
  }
}
