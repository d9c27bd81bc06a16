// The gateway's own web page and its API, over the core's HttpServer: the dashboard
// (/ and Tasmota's /m32), devices, console and settings (one small page, assets.gen.ts),
// Tasmota's /cm?cmnd=, /api/... as JSON, live updates by server-sent events, and the
// firmware upload. Composed once from the app and the platform's ports; host-sim and the
// device only hand in their adapters (DESIGN §1).

import type { GatewayApp } from '../gateway/app.js';
import type { Reply } from '../gateway/command-reply.js';
import { type CommandSource, OPTION_KEYS } from '../gateway/command-target.js';
import type { Advertisement, Outcome } from '../gateway/registry.js';
import type { AesEncryptBlock, Clock, Log, Store, TcpServerPort } from '../host.js';
import type { BrokerChanges, BrokerView } from '../mqtt/broker-settings.js';
import type { HttpRequest } from '../http/request.js';
import type { HttpResponse } from '../http/response.js';
import { HttpServer, type HttpConnection, type HttpServerOptions } from '../http/server.js';
import { utf8Decode } from '../mqtt/utf8.js';
import { jsonDepthProblem } from '../store/read-text.js';
import { telePeriodFrom, topicProblem } from '../gateway/validate.js';
import { ASSETS } from './assets.gen.js';
import { base64Bytes } from './base64.js';
import { LoginGuard, WebPassword } from './auth.js';
import { DeviceMemory } from './device-memory.js';
import { addDevice, clearDeviceKey, type DeviceContext, deviceList, deviceView, exportConfig, importConfig, macFrom, removeDevice, renameDevice, setDeviceKey } from './devices.js';
import { EventHub, LogRing } from './events.js';
import { OtaUpload, type OtaPort } from './ota.js';

/** The broker as the platform holds it (the password only as "set or not"). */
export type MqttView = BrokerView;

/** The broker settings behind the page: shown, and (where the platform can) changed all at once. */
export interface MqttPort {
  view(): MqttView;
  /** Check every field, then save them together; a string says what was wrong (nothing saved). */
  update?(changes: BrokerChanges): string | undefined;
}

/** Wi-Fi, where there is one (the device). */
export interface WifiPort {
  get(): { ssid: string; passwordSet: boolean; mode: string };
  /** Save the network to join at the next start; a string says what was wrong. */
  set(ssid: string, password: string | undefined): string | undefined;
}

export interface WebPorts {
  tcp: TcpServerPort;
  /** Wall clock: HTTP timeouts and event batches. */
  clock: Clock;
  /** The gateway's clock (host-sim: capture time), for history and "last seen". */
  gatewayClock: Clock;
  store: Store;
  log: Log;
  aes: AesEncryptBlock;
  ota?: OtaPort;
  mqtt?: MqttPort;
  wifi?: WifiPort;
}

export interface WebOptions {
  /** Devices with a history and a kept frame (DeviceMemory rows); default 64. */
  historyDevices?: number;
  /** The log ring the console page shows; the host tees its log into it. */
  logRing?: LogRing;
  /** Connection and slow-client limits (the device affords fewer sockets; tests shorten the timeouts). */
  http?: Pick<HttpServerOptions, 'requestTimeoutMs' | 'idleTimeoutMs' | 'maxConnections'>;
}

export interface WebServer {
  readonly memory: DeviceMemory;
  readonly password: WebPassword;
  readonly logRing: LogRing;
  /** Commands the page module answers itself (WebPassword): pass to the app's hostCommand chain. */
  hostCommand(line: string, argument?: string, source?: CommandSource): Reply | undefined;
  listen(host: string | undefined, port: number, ready: (error: Error | undefined, port: number) => void): void;
  close(): void;
  /** The HTTP server (tests count its connections). */
  readonly http: HttpServer;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const PAGES = new Set(['/', '/m32', '/devices', '/console', '/settings', '/update']);

function json(status: number, body: unknown, extra: Record<string, string> = {}): HttpResponse {
  return { status, headers: { 'Content-Type': JSON_TYPE, 'Cache-Control': 'no-store', ...extra }, body: JSON.stringify(body) };
}

/** A JSON object body, or the error to answer with. */
function jsonBody(request: HttpRequest): Record<string, unknown> | HttpResponse {
  let text: string;
  try {
    text = utf8Decode(request.body);
  } catch {
    return json(400, { error: 'the body is not UTF-8' });
  }
  const deep = jsonDepthProblem(text, 3);
  if (deep) return json(400, { error: deep });
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return json(400, { error: 'the body must be a JSON object' });
    return value as Record<string, unknown>;
  } catch {
    return json(400, { error: 'the body is not valid JSON' });
  }
}

const isResponse = (x: unknown): x is HttpResponse => typeof x === 'object' && x !== null && typeof (x as HttpResponse).status === 'number';

export function createWebServer(app: GatewayApp, ports: WebPorts, options: WebOptions = {}): WebServer {
  const { log } = ports;
  const gateway = app.gateway;
  const memory = new DeviceMemory(options.historyDevices ?? 64);
  const password = new WebPassword(ports.store, log);
  const logRing = options.logRing ?? new LogRing();
  const ota = new OtaUpload(ports.ota, ports.clock, log);
  const guard = new LoginGuard(() => ports.clock.now());

  /** undefined: the request may go on; else the answer (401, or 429 while its address must wait). */
  function gate(request: HttpRequest, connection: HttpConnection, allowQuery: boolean, refused: () => HttpResponse): HttpResponse | undefined {
    if (!password.enabled) return undefined;
    const address = connection.remote.replace(/:\d+$/, '');
    const wait = guard.lockedFor(address);
    if (wait > 0) return json(429, { error: `too many wrong passwords: try again in ${Math.ceil(wait / 1000)} s` }, { 'Retry-After': String(Math.ceil(wait / 1000)) });
    if (password.allows(request, allowQuery)) {
      guard.succeeded(address);
      return undefined;
    }
    // A browser's first request carries no credentials: only a wrong password counts.
    if (request.headers.authorization !== undefined || (allowQuery && request.query.password !== undefined)) {
      guard.failed(address);
      log.warn(`web: wrong password from ${address}`);
    }
    return refused();
  }
  const ctx: DeviceContext = {
    gateway, memory, aes: ports.aes, store: ports.store,
    command: (line) => app.command(line, 'http'),
    now: () => ports.gatewayClock.now(),
  };
  const hub = new EventHub(ports.clock, (macs) => macs.flatMap((mac): unknown[] => {
    const slot = gateway.registry.slots.get(mac);
    return slot ? [deviceView(ctx, slot)] : [{ mac, removed: true }];
  }));
  logRing.onLine = (line) => hub.send('log', line);

  // The gateway hands each decoded advertisement's outcomes here (its one observer).
  gateway.advertisementObserver = (adv: Advertisement, outcomes: readonly Outcome[]) => {
    memory.observe(adv, outcomes, ports.gatewayClock.now());
    for (const o of outcomes) if ('slot' in o && o.slot && o.kind !== 'duplicate') hub.deviceChanged(o.slot.mac);
  };

  function command(line: string): HttpResponse {
    if (line.trim() === '') return json(400, { Command: 'Error', Error: 'empty command' });
    if (line.length > 4096) return json(413, { Command: 'Error', Error: 'command longer than 4096 characters' });
    return json(200, app.command(line, 'http'));
  }

  function settingsView(): Record<string, unknown> {
    const optionsView: Record<string, number> = {};
    OPTION_KEYS.forEach((key, i) => { optionsView[`MI32Option${i}`] = gateway.options[key]; });
    return {
      topic: gateway.topic, telePeriod: gateway.telePeriod, options: optionsView, webPassword: password.enabled,
      mqtt: ports.mqtt?.view() ?? null, wifi: ports.wifi?.get() ?? null, firmwareUpdate: ports.ota !== undefined,
    };
  }

  /**
   * Every field is checked first; only when all pass is anything applied (a bad port does
   * not leave a new topic behind). Topic, TelePeriod and options then run as console
   * commands (one set of rules); the broker fields are saved together (one reconnect).
   */
  function saveSettings(body: Record<string, unknown>): HttpResponse {
    const replies: Reply[] = [];
    const errors: string[] = [];
    const commands: string[] = [];
    const text = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v).trim() : undefined);
    const topic = text(body.topic);
    if (topic !== undefined && topic !== gateway.topic) {
      const problem = topicProblem(topic);
      if (problem) errors.push(`Topic: ${problem}`);
      else commands.push(`Topic ${topic}`);
    }
    const tele = text(body.telePeriod);
    if (tele !== undefined && tele !== String(gateway.telePeriod)) {
      const seconds = telePeriodFrom(/^\d{1,6}$/.test(tele) ? Number(tele) : tele);
      if (typeof seconds === 'string') errors.push(`TelePeriod: ${seconds}`);
      else commands.push(`TelePeriod ${tele}`);
    }
    if (body.options && typeof body.options === 'object') {
      for (const [name, value] of Object.entries(body.options as Record<string, unknown>)) {
        const m = /^MI32Option([0-4])$/.exec(name);
        const v = text(value);
        if (!m) errors.push(`${name.slice(0, 20)}: no such option`);
        else if (v !== undefined && !/^\d{1,3}$/.test(v)) errors.push(`${name}: must be a number`);
        else if (v !== undefined && v !== String(gateway.options[OPTION_KEYS[Number(m[1])]!])) commands.push(`${name} ${v}`);
      }
    }
    let mqtt: BrokerChanges | undefined;
    if (body.mqtt !== undefined) {
      const m = body.mqtt;
      if (m === null || typeof m !== 'object' || Array.isArray(m)) errors.push('MQTT: must be an object');
      else if (!ports.mqtt?.update) errors.push(`MQTT: ${ports.mqtt?.view().note ?? 'not settable on this platform'}`);
      else {
        const f = m as Record<string, unknown>;
        const tls = f.tls;
        if (tls !== undefined && typeof tls !== 'boolean') errors.push('MQTT: tls must be true or false');
        const fields: BrokerChanges = {};
        for (const key of ['host', 'port', 'user', 'password'] as const) {
          if (f[key] === undefined) continue;
          const v = text(f[key]);
          if (v === undefined) errors.push(`MQTT: ${key} must be text`);
          else fields[key] = v;
        }
        mqtt = { ...fields, ...(typeof tls === 'boolean' ? { tls } : {}) };
      }
    }
    let wifi: { ssid: string; password: string | undefined } | undefined;
    if (body.wifi !== undefined) {
      const w = body.wifi as Record<string, unknown> | null;
      const ssid = w && typeof w === 'object' ? text(w.ssid) : undefined;
      if (!ports.wifi) errors.push('Wi-Fi: only on the device');
      else if (ssid === undefined) errors.push('Wi-Fi: SSID missing');
      else wifi = { ssid, password: text(w!.password) || undefined };
    }
    const pw = text(body.webPassword);
    if (errors.length) return json(400, { error: errors.join('; '), replies, settings: settingsView() });

    const run = (line: string) => {
      const reply = app.command(line, 'http');
      replies.push(reply);
      const name = Object.keys(reply)[0];
      if (name && reply[name] === 'Error') errors.push(`${name}: ${String(reply.Error)}`);
      else if (reply.Command === 'Unknown') errors.push(`${line.split(' ')[0]}: not available on this platform`);
    };
    // The broker first: the one group the platform checks in full before it saves.
    const problem = mqtt && ports.mqtt?.update?.(mqtt);
    if (problem) return json(400, { error: `MQTT: ${problem}`, replies, settings: settingsView() });
    for (const line of commands) run(line);
    if (wifi) {
      const why = ports.wifi!.set(wifi.ssid, wifi.password);
      if (why) errors.push(`Wi-Fi: ${why}`);
    }
    if (pw) {
      const reply = password.command('WebPassword', pw)!;
      if (reply.WebPassword === 'Error') errors.push(`WebPassword: ${String(reply.Error)}`);
    }
    return json(errors.length ? 400 : 200, { ...(errors.length ? { error: errors.join('; ') } : {}), replies, settings: settingsView() });
  }

  function events(connection: HttpConnection): HttpResponse {
    // The head goes out first (stream: the server reads no more requests on it), then the hub writes.
    ports.clock.setTimeout(() => {
      if (connection.closed) return;
      if (!hub.add(connection)) connection.close();
      else hub.send('hello', { devices: gateway.registry.slots.size });
    }, 0);
    if (hub.count >= 4) return json(503, { error: 'too many live pages open' }, { Connection: 'close' });
    return { status: 200, headers: { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' }, stream: true };
  }

  function deviceRoute(request: HttpRequest, mac: string, rest: string): HttpResponse {
    const body = request.method === 'POST' ? jsonBody(request) : {};
    if (isResponse(body)) return body;
    let answer;
    if (rest === '' && request.method === 'DELETE') answer = removeDevice(ctx, mac);
    else if (rest === '/name' && request.method === 'POST') answer = renameDevice(ctx, mac, body.name);
    else if (rest === '/key' && request.method === 'POST') answer = setDeviceKey(ctx, mac, body.key);
    else if (rest === '/key' && request.method === 'DELETE') answer = clearDeviceKey(ctx, mac);
    else return json(405, { error: `${request.method} ${request.path} is not supported` });
    if (answer.status === 200) hub.deviceChanged(mac);
    return json(answer.status, answer.body);
  }

  function route(request: HttpRequest, connection: HttpConnection): HttpResponse {
    const { method, path } = request;
    const asset = ASSETS[path === '/m32' || PAGES.has(path) ? '/' : path];
    if (asset && (method === 'GET' || method === 'HEAD')) {
      const denied = gate(request, connection, false, unauthorized);
      if (denied) return denied;
      // Browsers take the gzip form (a third of the bytes, and of the device's transient buffers).
      const gzip = /\bgzip\b/.test(request.headers['accept-encoding'] ?? '') ? base64Bytes(asset.gzip) : undefined;
      const headers: Record<string, string> = { 'Content-Type': asset.type, 'Cache-Control': 'no-cache', Vary: 'Accept-Encoding', ...(gzip ? { 'Content-Encoding': 'gzip' } : {}) };
      return { status: 200, headers, body: method === 'HEAD' ? '' : gzip ?? asset.body };
    }
    if (path === '/cm') {
      const denied = gate(request, connection, true, () => json(401, { WARNING: 'Need user=<username>&password=<password>' }));
      if (denied) return denied;
      if (method !== 'GET' && method !== 'POST') return json(405, { error: 'use GET /cm?cmnd=...' });
      return command(request.query.cmnd ?? '');
    }
    if (!path.startsWith('/api/')) return json(404, { error: `no page ${path.slice(0, 60)}` });
    const denied = gate(request, connection, false, unauthorized);
    if (denied) return denied;
    // Another site's page can make the browser POST a form or text/plain without asking; a JSON
    // or octet-stream body needs the browser's CORS preflight, which this server never grants.
    if (method === 'POST' && !(request.headers['content-type'] ?? '').startsWith(path === '/api/update' ? 'application/octet-stream' : 'application/json')) {
      return json(415, { error: `send the body as ${path === '/api/update' ? 'application/octet-stream' : 'application/json'}` });
    }
    const get = method === 'GET';
    const post = method === 'POST';
    if (path === '/api/devices' && get) return json(200, { devices: deviceList(ctx), uptimeMs: ports.gatewayClock.now() });
    if (path === '/api/devices' && post) {
      const body = jsonBody(request);
      if (isResponse(body)) return body;
      const answer = addDevice(ctx, body);
      return json(answer.status, answer.body);
    }
    const device = /^\/api\/devices\/([^/]+)(\/[a-z]+)?$/.exec(path);
    if (device) {
      const mac = macFrom(device[1]);
      if (!mac) return json(400, { error: 'the MAC must be 12 hex digits' });
      return deviceRoute(request, mac, device[2] ?? '');
    }
    const history = /^\/api\/history\/([^/]+)$/.exec(path);
    if (history && get) {
      const mac = macFrom(history[1]);
      if (!mac) return json(400, { error: 'the MAC must be 12 hex digits' });
      if (!gateway.registry.slots.has(mac)) return json(404, { error: `no device ${mac}` });
      return json(200, { mac, series: memory.history(mac, ports.gatewayClock.now()) });
    }
    if (path === '/api/events' && get) return events(connection);
    if (path === '/api/log' && get) return json(200, { lines: logRing.lines });
    if (path === '/api/command' && post) {
      const body = jsonBody(request);
      if (isResponse(body)) return body;
      return typeof body.command === 'string' ? command(body.command) : json(400, { error: 'command must be a string' });
    }
    if (path === '/api/mi32cfg' && get) {
      return { status: 200, headers: { 'Content-Type': 'application/json', 'Content-Disposition': 'attachment; filename="mi32cfg"', 'Cache-Control': 'no-store' }, body: exportConfig(ctx) };
    }
    if (path === '/api/mi32cfg' && post) {
      let text: string;
      try {
        text = utf8Decode(request.body);
      } catch {
        return json(400, { error: 'the file is not UTF-8' });
      }
      const answer = importConfig(ctx, text);
      return json(answer.status, answer.body);
    }
    if (path === '/api/settings' && get) return json(200, settingsView());
    if (path === '/api/settings' && post) {
      const body = jsonBody(request);
      return isResponse(body) ? body : saveSettings(body);
    }
    if (path === '/api/update' && post) {
      const answer = ota.chunk(request.query.offset, request.query.total, request.body);
      return json(answer.status, answer.body);
    }
    return json(404, { error: `no API ${method} ${path.slice(0, 60)}` });
  }

  const http = new HttpServer({ tcp: ports.tcp, clock: ports.clock, log }, route, { name: 'Web', maxConnections: 10, ...options.http });

  return {
    memory, password, logRing, http,
    hostCommand: (line, argument, source) => password.command(line, argument, source),
    listen(host, port, ready) {
      http.listen({ ...(host ? { host } : {}), port }, ready);
    },
    close() {
      ota.cancel('the web server stopped');
      hub.close();
      http.close();
      if (gateway.advertisementObserver) gateway.advertisementObserver = undefined;
    },
  };
}

function unauthorized(): HttpResponse {
  return { status: 401, headers: { 'Content-Type': 'text/plain; charset=utf-8', 'WWW-Authenticate': 'Basic realm="mi32-xs", charset="UTF-8"' }, body: 'the web password is needed (user admin)\n' };
}
