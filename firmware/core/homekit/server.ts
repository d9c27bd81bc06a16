// The HAP accessory server (HAP-over-IP): HTTP/1.1 on the shared HTTP layer, pair-setup
// and pair-verify in the clear, everything else only over a verified session, whose
// connection then switches to HAP's encrypted frames (session.ts). Events go out as
// EVENT/1.0 messages to the connections that subscribed.
//
// Limits a hostile network meets: one pair-setup at a time (Busy), MaxTries after 100 wrong
// codes until restart, at most `maxConnections` connections (the HTTP layer answers 503
// beyond), 470 for any data request before pair-verify, 64 KB request bodies.

import type { Clock, HapCrypto, Log, Random, Store, TcpServerPort, TimerHandle } from '../host.js';
import { HttpServer, type HttpConnection } from '../http/server.js';
import type { HttpRequest } from '../http/request.js';
import { encodeResponse, type HttpResponse } from '../http/response.js';
import { utf8Decode } from '../mqtt/utf8.js';
import { jsonDepthProblem } from '../store/read-text.js';
import type { Accessory } from './accessories.js';
import { accessoriesJson, HAP_STATUS, parseIds, readCharacteristics, type CharacteristicIndex, type ValueReader } from './characteristics.js';
import { PairSetup } from './pair-setup.js';
import { PairVerify, type VerifyPending } from './pair-verify.js';
import { handlePairings } from './pairings.js';
import { HapSessionCodec } from './session.js';
import { HomeKitState } from './state.js';

export interface HapServerPorts {
  tcp: TcpServerPort;
  clock: Clock;
  log: Log;
  store: Store;
  crypto: HapCrypto;
  random: Random;
}

export interface HapServerOptions {
  /** The gateway's MAC: the Device ID is derived from it. */
  mac: string;
  /** The setup code unless the user set one (Tasmota's rule from the MAC). */
  defaultCode: string;
  /** Connections at once; more are refused (503). The device affords a handful: each session holds keys and buffers. */
  maxConnections?: number;
}

/** What the server serves: the accessory database, kept by the bridge. */
export interface HapDatabase {
  accessories(): readonly Accessory[];
  index(): CharacteristicIndex;
  readonly reader: ValueReader;
  /** `c#` of the current database. */
  configNumber(): number;
  /** An unpaired identify (POST /identify) or a write of an Identify characteristic. */
  identify?(aid: number): void;
}

export interface EventItem {
  aid: number;
  iid: number;
  value: unknown;
}

/** Per connection, in HttpConnection.state. */
interface Session {
  verifying?: VerifyPending;
  controllerId?: string;
  subscriptions: Set<string>;
}

/**
 * Connections without a verified session are closed after one to two sweeps of this: the
 * connection cap must not be held by sockets that never pair or verify (verified sessions
 * stay open as long as the controller wants: it receives events on them).
 */
export const UNVERIFIED_SWEEP_MS = 60_000;

const TLV_TYPE = { 'Content-Type': 'application/pairing+tlv8' };
const JSON_TYPE = { 'Content-Type': 'application/hap+json' };
const tlvResponse = (body: Uint8Array): HttpResponse => ({ status: 200, headers: TLV_TYPE, body });
const jsonResponse = (status: number, body: unknown): HttpResponse => ({ status, headers: JSON_TYPE, body: typeof body === 'string' ? body : JSON.stringify(body) });
const later = (fn: () => void) => { void Promise.resolve().then(fn); };

export class HapServer {
  readonly state: HomeKitState;
  private readonly http: HttpServer;
  private readonly pairSetup: PairSetup;
  private readonly pairVerify: PairVerify;
  /** Called when what mDNS advertises changes (paired or not, `c#`). */
  onAdvertChange: (() => void) | undefined;
  private sweepTimer: TimerHandle | undefined;

  constructor(private readonly ports: HapServerPorts, options: HapServerOptions, private readonly database: HapDatabase) {
    this.state = new HomeKitState(ports, options.mac, options.defaultCode);
    this.state.load();
    this.pairSetup = new PairSetup(ports, this.state, () => this.onAdvertChange?.());
    this.pairVerify = new PairVerify(ports, this.state);
    this.http = new HttpServer(ports, (request, connection) => this.route(request, connection), {
      name: 'HomeKit', idleTimeoutMs: 0, maxConnections: options.maxConnections ?? 8,
    });
  }

  listen(host: string | undefined, port: number, ready: (error: Error | undefined, port: number) => void): void {
    this.http.listen({ ...(host ? { host } : {}), port }, ready);
    this.sweep();
  }

  close(): void {
    if (this.sweepTimer !== undefined) this.ports.clock.clearTimeout(this.sweepTimer);
    this.sweepTimer = undefined;
    this.http.close();
  }

  /** Closes connections that were already unverified at the previous sweep. */
  private sweep(): void {
    this.sweepTimer = this.ports.clock.setTimeout(() => {
      const stale: HttpConnection[] = [];
      this.http.each((c) => {
        const s = c.state.get('hap') as Session | undefined;
        if (s?.controllerId) return;
        if (c.state.has('hk-unverified')) stale.push(c);
        else c.state.set('hk-unverified', true);
      });
      for (const c of stale) c.close();
      if (stale.length) this.ports.log.info(`HomeKit: closed ${stale.length} connection(s) that did not pair or verify`);
      this.sweep();
    }, UNVERIFIED_SWEEP_MS);
  }

  get failedSetups(): number {
    return this.pairSetup.failures;
  }

  /** Verified sessions: controller id per open connection. */
  sessions(): { controller: string; remote: string; subscriptions: number }[] {
    const out: { controller: string; remote: string; subscriptions: number }[] = [];
    this.http.each((c) => {
      const s = c.state.get('hap') as Session | undefined;
      if (s?.controllerId) out.push({ controller: s.controllerId, remote: c.remote, subscriptions: s.subscriptions.size });
    });
    return out;
  }

  get connections(): number {
    return this.http.connections;
  }

  /** HKReset: every pairing and session gone, a new Device ID. Throws StoreWriteError (nothing changed). */
  reset(): void {
    this.state.reset();
    this.http.each((c) => c.close());
    this.onAdvertChange?.();
  }

  /** The mDNS TXT record apart from `sh` (the setup hash, setup-code.ts). */
  txtRecord(): Record<string, string> {
    return {
      'c#': String(this.database.configNumber()), ff: '0', id: this.state.identity.deviceId, md: 'mi32-xs', pv: '1.1',
      's#': '1', sf: this.state.paired ? '0' : '1', ci: '2',
    };
  }

  /** Send changed values to the sessions subscribed to them; returns how many connections got an event. */
  notify(items: readonly EventItem[]): number {
    if (items.length === 0) return 0;
    let sent = 0;
    this.http.each((c) => {
      const s = c.state.get('hap') as Session | undefined;
      if (!s?.controllerId || s.subscriptions.size === 0) return;
      const mine = items.filter((i) => s.subscriptions.has(`${i.aid}.${i.iid}`));
      if (mine.length === 0) return;
      c.send(encodeResponse(jsonResponse(200, { characteristics: mine }), 'EVENT/1.0'));
      sent++;
    });
    return sent;
  }

  private session(connection: HttpConnection): Session {
    let s = connection.state.get('hap') as Session | undefined;
    if (!s) {
      const fresh: Session = { subscriptions: new Set() };
      connection.state.set('hap', fresh);
      connection.onClose(() => this.pairSetup.release(connection.id));
      s = fresh;
    }
    return s;
  }

  private route(request: HttpRequest, connection: HttpConnection): HttpResponse {
    const session = this.session(connection);
    const { method, path } = request;
    if (path === '/pair-setup' && method === 'POST') {
      if (session.controllerId) return tlvResponse(new Uint8Array([6, 1, 2, 7, 1, 6])); // State 2, Unavailable: not over a session
      return tlvResponse(this.pairSetup.handle(request.body, connection.id));
    }
    if (path === '/pair-verify' && method === 'POST') return this.verify(request, connection, session);
    if (path === '/identify' && method === 'POST') {
      if (this.state.paired) return jsonResponse(400, { status: HAP_STATUS.InsufficientPrivileges });
      this.database.identify?.(1);
      return { status: 204 };
    }
    const known = ['/pairings', '/accessories', '/characteristics'].includes(path);
    if (!known) return jsonResponse(404, { status: HAP_STATUS.ResourceDoesNotExist });
    if (!session.controllerId) return jsonResponse(470, { status: HAP_STATUS.InsufficientPrivileges });
    if (path === '/pairings' && method === 'POST') return this.pairings(request, session);
    if (path === '/accessories' && method === 'GET') return jsonResponse(200, accessoriesJson(this.database.accessories(), this.database.reader));
    if (path === '/characteristics' && method === 'GET') return this.read(request, session);
    if (path === '/characteristics' && method === 'PUT') return this.write(request, session);
    return { status: 405, headers: { Allow: path === '/characteristics' ? 'GET, PUT' : path === '/accessories' ? 'GET' : 'POST' } };
  }

  private verify(request: HttpRequest, connection: HttpConnection, session: Session): HttpResponse {
    if (session.controllerId) return tlvResponse(new Uint8Array([6, 1, 2, 7, 1, 2])); // already verified on this connection
    const result = this.pairVerify.handle(request.body, session.verifying);
    delete session.verifying;
    if ('pending' in result && result.pending) session.verifying = result.pending;
    if ('verified' in result) {
      const { controllerId, keys } = result.verified;
      session.controllerId = controllerId;
      // After M4 has gone out in the clear, the codec takes over (the server writes the answer first).
      later(() => { if (!connection.closed) connection.setCodec(new HapSessionCodec(this.ports.crypto, keys)); });
      this.ports.log.info(`HomeKit: session for controller ${controllerId} from ${connection.remote}`);
    }
    return tlvResponse(result.reply);
  }

  private pairings(request: HttpRequest, session: Session): HttpResponse {
    const before = this.state.paired;
    const result = handlePairings(this.state, session.controllerId!, request.body);
    const gone = new Set(result.removed ?? []);
    if (gone.size > 0) {
      this.ports.log.info(`HomeKit: pairing removed: ${[...gone].join(', ')}`);
      // Their sessions end, after this answer has been written.
      later(() => this.http.each((c) => {
        const s = c.state.get('hap') as Session | undefined;
        if (s?.controllerId && gone.has(s.controllerId)) c.close();
      }));
    }
    if (before !== this.state.paired) this.onAdvertChange?.();
    return tlvResponse(result.reply);
  }

  private read(request: HttpRequest, session: Session): HttpResponse {
    const ids = parseIds(request.query.id);
    if (typeof ids === 'string') return jsonResponse(400, { status: HAP_STATUS.InvalidValue });
    const flag = (name: string) => request.query[name] === '1' || request.query[name] === 'true';
    const result = readCharacteristics(ids, this.database.index(), this.database.reader, {
      meta: flag('meta'), perms: flag('perms'), type: flag('type'), ev: flag('ev'),
      subscribed: (aid, iid) => session.subscriptions.has(`${aid}.${iid}`),
    });
    return jsonResponse(result.status, result.body);
  }

  /** PUT /characteristics: subscriptions (ev) and Identify writes; every other characteristic is read-only. */
  private write(request: HttpRequest, session: Session): HttpResponse {
    let items: unknown;
    try {
      const text = utf8Decode(request.body);
      // {"characteristics":[{...}]} is 3 deep: a body of nested brackets would overflow XS's stack in JSON.parse.
      if (jsonDepthProblem(text, 3)) throw new Error('too deep');
      items = (JSON.parse(text) as { characteristics?: unknown }).characteristics;
    } catch {
      items = undefined;
    }
    if (!Array.isArray(items) || items.length === 0 || items.length > 512) return jsonResponse(400, { status: HAP_STATUS.InvalidValue });
    const index = this.database.index();
    let failed = false;
    const results = items.map((raw: unknown) => {
      const item = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
      const aid = Number(item.aid);
      const iid = Number(item.iid);
      const status = this.writeOne(item, aid, iid, index, session);
      if (status !== 0) failed = true;
      return { aid: Number.isInteger(aid) ? aid : 0, iid: Number.isInteger(iid) ? iid : 0, status };
    });
    return failed ? jsonResponse(207, { characteristics: results }) : { status: 204 };
  }

  private writeOne(item: Record<string, unknown>, aid: number, iid: number, index: CharacteristicIndex, session: Session): number {
    const c = Number.isInteger(aid) && Number.isInteger(iid) ? index.get(aid, iid) : undefined;
    if (!c) return HAP_STATUS.ResourceDoesNotExist;
    if ('ev' in item) {
      if (typeof item.ev !== 'boolean' && item.ev !== 0 && item.ev !== 1) return HAP_STATUS.InvalidValue;
      if (!c.perms.includes('ev')) return HAP_STATUS.NotificationNotSupported;
      if (item.ev) session.subscriptions.add(`${aid}.${iid}`);
      else session.subscriptions.delete(`${aid}.${iid}`);
    }
    if ('value' in item) {
      if (!c.perms.includes('pw')) return HAP_STATUS.ReadOnly;
      if (c.source.kind === 'identify') this.database.identify?.(aid);
    }
    return 0;
  }
}
