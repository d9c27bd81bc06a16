// `mi32 run`: the whole firmware on Node. Replays a capture through the portable core's
// Gateway, publishes through the core's MQTT client to a broker (an embedded aedes
// unless --broker), and takes console commands on stdin. Only Node's ports and the
// replay live here; the app itself is composed in the core (gateway/app.ts).

import { copyFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { CommandSource, Gateway } from '../firmware/core/gateway/gateway.js';
import { createGatewayApp, type GatewayApp } from '../firmware/core/gateway/app.js';
import type { Log } from '../firmware/core/host.js';
import type { MqttClient } from '../firmware/core/mqtt/client.js';
import { parseBrokerUrl } from '../firmware/core/mqtt/options.js';
import { telePeriodFrom, topicProblem } from '../firmware/core/gateway/validate.js';
import { startEmbeddedBroker, type EmbeddedBroker } from './broker.js';
import { formatCaptureError, type CapturedAdvertisement } from './capture/index.js';
import { openCapture, type CaptureStream } from './capture/stream.js';
import { CaptureClock } from './capture-clock.js';
import { addrTypeCode } from './capture/types.js';
import { createNodeAes, createNodeAuthCrypto } from './crypto.js';
import { createGpsSource } from './gps-source.js';
import { nodeClock, nodeNet, nodeRandom } from './net.js';
import { nodeHttp } from './http-client.js';
import { DirStore } from './store.js';
import { createSimGattLink, parseFaultOption, readPeripheralsFile } from './gatt/demo-peripherals.js';
import { createNodeScriptHost } from './script-host.js';
import type { HomeKitBridge } from '../firmware/core/homekit/bridge.js';
import { homeKitCommand } from '../firmware/core/homekit/commands.js';
import { setupCodeProblem } from '../firmware/core/homekit/setup-code.js';
import { DEFAULT_HOMEKIT_PORT, startSimHomeKit } from './homekit.js';

import { LogRing } from '../firmware/core/web/events.js';
import type { WebServer } from '../firmware/core/web/web-server.js';
import { DEFAULT_HTTP_PORT, parseHttpOption, startNodeWeb } from './web.js';
import { simBroker, type SimBroker } from './mqtt-settings.js';

import { type CrashableNet, crashableNet, gatewayLine, gatewayTopic, offsetRssi, parseGatewayCount, parseRssiJitter, parseRssiOffsets, prefixedLog, rssiNoise } from './gateways.js';

export const RUN_USAGE = `  mi32 run [CAPTURE] [--broker URL] [--topic NAME] [--data DIR] [--cfg FILE] [--speed N|max]
           [--teleperiod S] [--ca FILE] [--cmd COMMAND]... [--slots N] [--once] [--quiet]
           [--script FILE]... [--peripherals FILE] [--fault MAC=FAULT]... [--gps FILE|PIPE]
           [--homekit] [--homekit-port [HOST:]PORT] [--homekit-pin XXX-XX-XXX] [--http [HOST:]PORT | --no-http]
           [--gateways N] [--rssi-offsets DB,DB,...] [--rssi-jitter DB]
      Runs the gateway: replays CAPTURE (JSONL or btsnoop) at recorded speed x N (or as
      fast as possible), publishes to URL (mqtt://user:pass@host:port, mqtts://...) or to
      an embedded broker, keeps state (mi32cfg, settings) in DIR (default ./mi32-data;
      --cfg FILE seeds DIR/mi32cfg when DIR has none), reads console commands on stdin
      (--cmd runs one before the replay starts). --slots: devices tracked (default 64).
      Broker settings saved with MqttHost/MqttPort/MqttUser/MqttPassword/MqttTls or the
      settings page (DIR/mqtt.json) win over --broker, field by field.
      --script loads a user script (MI32/BLE API, see examples/scripts). GATT requests go to
      simulated peripherals (host-sim/gatt: six demo devices, a scooter among them, or
      --peripherals FILE), with faults on demand (--fault A4C1381A2B01=no-response).
      --gps reads NMEA from a pipe or
      serial device (a regular file is replayed in a loop, a line every 250 ms).
      --homekit serves every device as a HomeKit bridge (default 127.0.0.1:51826; pairings
      kept in DIR); HKPin, HKReset, HKStatus on the console.
      The web page (dashboard, devices, console, settings) is served on --http [HOST:]PORT
      (default 127.0.0.1 and the first free port from 8080; the URL is printed), --no-http: none.
      --gateways N runs N gateways on the one capture (topics <topic>-1..N, state in
      DIR/gw1..N), each hearing every advertisement at its --rssi-offsets offset (dB),
      plus its own random noise of up to +-DB with --rssi-jitter;
      a stdin line goes to all of them, "@2 <command>" to the second only, "@2 stop"
      stops it cleanly and "@2 crash" drops its connection (the broker sends its Will).
      Exits when the replay is over, stdin has ended (or --once) and no GATT request is left.
`;

export class RunUsageError extends Error {}

interface RunArgs {
  capture?: string;
  broker?: string;
  topic?: string;
  data: string;
  cfg?: string;
  speed: number; // Infinity = max
  telePeriod?: number;
  ca?: string;
  once: boolean;
  quiet: boolean;
  /** Console commands to run before the replay starts (--cmd, repeatable). */
  commands: string[];
  /** Registry size (devices tracked at once). */
  slots: number;
  scripts: string[];
  peripherals?: string;
  faults: string[];
  gps?: string;
  homekit?: { host?: string; port: number; pin?: string };
  /** The web page's address; undefined: --no-http. `searchFree`: the default port, the next ones if taken. */
  http?: { host: string; port: number; searchFree: boolean };
  /** Gateways on the one capture (--gateways), and the RSSI offset each hears at. */
  gateways: number;
  rssiOffsets: number[];
  /** Each gateway's own RSSI noise, up to this many dB either way (--rssi-jitter). */
  rssiJitter: number;
}

function parseRunArgs(args: string[]): RunArgs {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      broker: { type: 'string' }, topic: { type: 'string' }, data: { type: 'string' }, cfg: { type: 'string' },
      speed: { type: 'string' }, teleperiod: { type: 'string' }, ca: { type: 'string' },
      once: { type: 'boolean' }, quiet: { type: 'boolean' }, cmd: { type: 'string', multiple: true }, slots: { type: 'string' },
      script: { type: 'string', multiple: true }, peripherals: { type: 'string' }, fault: { type: 'string', multiple: true },
      gps: { type: 'string' },
      homekit: { type: 'boolean' }, 'homekit-port': { type: 'string' }, 'homekit-pin': { type: 'string' },
      http: { type: 'string' }, 'no-http': { type: 'boolean' },
      gateways: { type: 'string' }, 'rssi-offsets': { type: 'string' }, 'rssi-jitter': { type: 'string' },
    },
  });
  if (positionals.length > 1) throw new RunUsageError('run takes at most one CAPTURE file');
  let speed = 1;
  if (values.speed !== undefined) {
    speed = values.speed === 'max' ? Infinity : Number(values.speed);
    if (!(speed > 0)) throw new RunUsageError(`--speed must be a positive number or "max", got "${values.speed}"`);
  }
  let telePeriod: number | undefined;
  if (values.teleperiod !== undefined) {
    // Exactly what the TelePeriod command takes (1 = 300, 2-9 = 10).
    const seconds = /^\d{1,6}$/.test(values.teleperiod) ? telePeriodFrom(Number(values.teleperiod)) : `TelePeriod must be whole seconds from 0 to 3600, got "${values.teleperiod}"`;
    if (typeof seconds === 'string') throw new RunUsageError(`--teleperiod: ${seconds}`);
    telePeriod = seconds;
  }
  const slots = values.slots === undefined ? 64 : Number(values.slots);
  if (!Number.isInteger(slots) || slots < 1 || slots > 1024) throw new RunUsageError('--slots must be a whole number from 1 to 1024');
  const topicError = values.topic === undefined ? undefined : topicProblem(values.topic);
  if (topicError) throw new RunUsageError(`--topic: ${topicError}`);
  if (values.broker !== undefined) {
    try {
      parseBrokerUrl(values.broker); // its error message shows the URL with the password hidden
    } catch (e) {
      throw new RunUsageError(`--broker: ${(e as Error).message}`);
    }
  }
  // Files named by options are checked here, so a typo is a usage error before anything starts.
  for (const [option, file] of [['--cfg', values.cfg], ['--ca', values.ca], ['--peripherals', values.peripherals]] as const) {
    if (file !== undefined) {
      const problem = fileProblem(file);
      if (problem) throw new RunUsageError(`${option}: ${problem}`);
    }
  }
  if (values.gps !== undefined && !existsSync(values.gps)) throw new RunUsageError(`--gps: ${values.gps} does not exist`);
  let gateways: number;
  let rssiOffsets: number[];
  let rssiJitter: number;
  try {
    gateways = parseGatewayCount(values.gateways);
    rssiOffsets = parseRssiOffsets(values['rssi-offsets'], gateways);
    rssiJitter = parseRssiJitter(values['rssi-jitter']);
  } catch (e) {
    throw new RunUsageError((e as Error).message);
  }
  if (values.data !== undefined && existsSync(values.data) && !statSync(values.data).isDirectory()) {
    throw new RunUsageError(`--data: ${values.data} is not a folder`);
  }
  if (values.http !== undefined && values['no-http']) throw new RunUsageError('--http and --no-http exclude each other');
  let http: RunArgs['http'] = { host: '127.0.0.1', port: DEFAULT_HTTP_PORT, searchFree: true };
  if (values['no-http']) http = undefined;
  else if (values.http !== undefined) {
    const parsed = parseHttpOption(values.http);
    if (typeof parsed === 'string') throw new RunUsageError(parsed);
    http = { ...parsed, searchFree: false };
  }
  return {
    http,
    capture: positionals[0], broker: values.broker, topic: values.topic, data: values.data ?? 'mi32-data', cfg: values.cfg,
    speed, telePeriod, ca: values.ca, once: values.once === true, quiet: values.quiet === true, commands: values.cmd ?? [], slots,
    scripts: values.script ?? [], peripherals: values.peripherals, faults: values.fault ?? [], gps: values.gps, gateways, rssiOffsets, rssiJitter,
    ...(values.homekit ? { homekit: homeKitArgs(values['homekit-port'], values['homekit-pin']) } : {}),
  };
}

function homeKitArgs(address: string | undefined, pin: string | undefined): { host?: string; port: number; pin?: string } {
  const m = address === undefined ? undefined : /^(?:(.+):)?(\d{1,5})$/.exec(address);
  if (address !== undefined && (!m || Number(m[2]) > 65535)) throw new RunUsageError(`--homekit-port must be [HOST:]PORT, got "${address}"`);
  const problem = pin === undefined ? undefined : setupCodeProblem(pin);
  if (problem) throw new RunUsageError(`--homekit-pin: ${problem}`);
  return { ...(m?.[1] ? { host: m[1] } : {}), port: m ? Number(m[2]) : DEFAULT_HOMEKIT_PORT, ...(pin ? { pin } : {}) };
}

/** Why `file` cannot be read as an option's file, or undefined. */
function fileProblem(file: string): string | undefined {
  if (!existsSync(file)) return `file ${file} does not exist`;
  if (!statSync(file).isFile()) return `${file} is not a file`;
  return undefined;
}

function stderrLog(quiet: boolean): Log {
  const line = (level: string) => (message: string) => {
    if (quiet && level === 'debug') return;
    process.stderr.write(`${level.toUpperCase().padEnd(5)} ${message}\n`);
  };
  return { debug: () => {}, info: line('info'), warn: line('warn'), error: line('error') };
}

export async function runCommand(args: string[]): Promise<number> {
  const opts = parseRunArgs(args);
  // The web console shows the last log lines and replies: the log is teed into its ring.
  const logRing = new LogRing();
  const log = opts.http ? logRing.tee(stderrLog(opts.quiet)) : stderrLog(opts.quiet);
  const out = (text: string) => process.stdout.write(text + '\n');

  let capture: CaptureStream | undefined;
  if (opts.capture) {
    if (!existsSync(opts.capture)) throw new RunUsageError(`capture file ${opts.capture} does not exist`);
    const file = opts.capture;
    // Streamed: bad lines/records are reported as the replay meets them.
    capture = openCapture(file, (e) => log.warn(`capture ${file}: ${formatCaptureError(e)}`)); // throws only if the file cannot be read
  }
  // At --speed max the gateway runs on capture time (teleperiod, real-time batching);
  // the MQTT client, scripts and GATT keep the wall clock.
  const captureClock = capture && opts.speed === Infinity ? new CaptureClock() : undefined;

  // One gateway, or --gateways N on the one capture: each its own topic, data dir, radio and connection.
  const gatewayDirs = Array.from({ length: opts.gateways }, (_, i) => (opts.gateways === 1 ? opts.data : join(opts.data, `gw${i + 1}`)));
  let topics: (string | undefined)[];
  try {
    topics = Array.from({ length: opts.gateways }, (_, i) => (opts.topic === undefined && opts.gateways === 1 ? undefined : gatewayTopic(opts.topic ?? 'mi32', i, opts.gateways)));
  } catch (e) {
    throw new RunUsageError((e as Error).message);
  }
  const stores = gatewayDirs.map((dir) => new DirStore(dir));
  if (opts.cfg) {
    for (const dir of gatewayDirs) {
      const target = join(dir, 'mi32cfg');
      // The data folder is the device's flash: what is saved there wins over the seed.
      if (existsSync(target)) log.info(`--cfg ${opts.cfg} ignored: ${target} already exists (delete it to seed from ${opts.cfg})`);
      else copyFileSync(opts.cfg, target);
    }
  }

  let broker: EmbeddedBroker | undefined;
  let brokerUrl = opts.broker;
  if (!brokerUrl) {
    broker = await startEmbeddedBroker();
    brokerUrl = broker.url;
    log.info(`embedded MQTT broker (aedes) listening on ${broker.url}`);
  }

  for (const file of opts.scripts) if (!existsSync(file)) throw new RunUsageError(`script ${file} does not exist`);
  const peripherals = opts.peripherals ? readPeripheralsFile(opts.peripherals) : undefined;
  const ca = opts.ca ? readFileSync(opts.ca, 'utf8') : undefined;

  interface Running {
    app: GatewayApp;
    mqtt: SimBroker;
    log: Log;
    /** The ESP32 cannot scan while it connects: advertisements that arrive then are missed. */
    scan: { paused: boolean; missed: number };
    offset: number;
    noise: () => number;
    net: CrashableNet;
    /** Stopped or crashed from stdin (@n stop|crash): hears and says nothing more. */
    down: boolean;
  }
  const running: Running[] = [];
  // The web page, HomeKit and the GPS belong to the first gateway (one page, one bridge, one serial port).
  let homekit: HomeKitBridge | undefined;
  let web: WebServer | undefined;
  for (let i = 0; i < opts.gateways; i++) {
    const first = i === 0;
    const gwLog = opts.gateways === 1 ? log : prefixedLog(log, `[${topics[i]}] `);
    let gattLink;
    try {
      gattLink = createSimGattLink(nodeClock, {
        ...(peripherals ? { peripherals } : {}),
        faults: opts.faults.map(parseFaultOption),
        onEvent: (mac, e) => gwLog.debug(`gatt sim ${mac}: ${e.kind}${e.detail ? ` ${e.detail}` : ''}`),
      });
    } catch (e) {
      throw new RunUsageError((e as Error).message);
    }
    const scan = { paused: false, missed: 0 };
    const net = crashableNet(nodeNet);
    const topic = topics[i];
    // MqttHost/.../MqttTls: DIR/mqtt.json over --broker; a change reconnects.
    const mqtt: SimBroker = simBroker(stores[i]!, brokerUrl, ca, gwLog, () => app.connect());
    // The app is composed in the core (createGatewayApp); this file only hands it Node's ports.
    const app = createGatewayApp({
      clock: captureClock ?? nodeClock, wallClock: nodeClock, store: stores[i]!, log: gwLog, aes: createNodeAes(), net, random: nodeRandom,
      console: (text) => { out(text); if (first && opts.http) logRing.add(text); },
      setActiveScan: (active) => gwLog.info(`scan mode: ${active ? 'active' : 'passive'} (captures replay either way)`),
      setScanning: (on) => gwLog.info(on ? 'scanning on' : 'scanning off (MI32Mode off): advertisements are not heard'),
      http: nodeHttp,
      gatt: gattLink,
      authCrypto: createNodeAuthCrypto(),
      ...(first && opts.gps ? { gps: createGpsSource(opts.gps) } : {}),
      scan: {
        pause: () => { scan.paused = true; gwLog.info('scan paused for a GATT connection'); },
        resume: () => { scan.paused = false; gwLog.info('scan resumed'); },
      },
      scriptHost: createNodeScriptHost(),
      hostCommand: (line: string, argument?: string, source?: CommandSource) => mqtt.settings.handle(line, argument, source)
        ?? (first ? web?.hostCommand(line, argument, source) ?? (homekit && homeKitCommand(homekit, line, argument, source ?? 'console')) : undefined),
      ...(opts.quiet ? {} : { published: (t: string, payload: string) => out(`${t} ${payload}`) }),
    }, {
      settings: { ...(topic ? { topic } : {}), ...(opts.telePeriod !== undefined ? { telePeriod: opts.telePeriod } : {}) },
      slots: opts.slots,
      broker: () => mqtt.options(),
    });
    running.push({ app, mqtt, log: gwLog, scan, offset: opts.rssiOffsets[i]!, noise: rssiNoise(i + 1, opts.rssiJitter), net, down: false });
  }

  const app = running[0]!.app;
  if (opts.http) {
    const started = await startNodeWeb({
      app, ...opts.http, store: stores[0]!, dataDir: gatewayDirs[0]!, log, aes: createNodeAes(), gatewayClock: captureClock ?? nodeClock, mqtt: { view: () => running[0]!.mqtt.settings.view('saved in the data folder (mqtt.json); used at the next connect and over --broker at the next start'), update: (c) => running[0]!.mqtt.settings.update(c) }, logRing, historyDevices: opts.slots,
    }).catch(async (e: Error) => {
      await broker?.close();
      throw new RunUsageError(`--http: ${e.message} (--no-http runs without the page)`);
    });
    web = started.web;
    log.info(`web page: ${started.url}`);
  }

  for (const { app } of running) {
    app.start(); // mi32cfg, the teleperiod, and DIR/autoexec.js (stored with ScriptSave), as on the device
    if (opts.homekit && app === running[0]!.app) homekit = await startSimHomeKit(app, stores[0]!, log, opts.homekit);
    for (const file of opts.scripts) app.scripts!.load(basename(file), readFileSync(file, 'utf8'));
    for (const line of opts.commands) app.command(line, 'console');
    app.connect();
  }

  /** A stdin line: every gateway, or "@n ..." one of them (see RUN_USAGE). */
  const consoleLine = (text: string) => {
    const parsed = opts.gateways === 1 ? { kind: 'command' as const, line: text } : gatewayLine(text, opts.gateways);
    if (parsed.kind === 'error') return log.warn(parsed.message);
    const targets = parsed.gateway === undefined ? running : [running[parsed.gateway]!];
    for (const g of targets) {
      if (g.down) {
        g.log.warn('this gateway is stopped');
        continue;
      }
      if (parsed.kind === 'command') {
        g.app.command(parsed.line, 'console');
        continue;
      }
      g.down = true;
      if (parsed.kind === 'stop') {
        g.app.stop(); // a clean "Offline", then DISCONNECT once it is out
        const client = g.app.mqtt;
        if (client) void drain(client, 5000).then(() => client.end());
        g.log.info('stopped (LWT Offline)');
      } else {
        g.app.scripts?.stopAll();
        g.app.gateway.stop();
        g.net.crash(); // no DISCONNECT: the broker publishes the Will
        g.app.mqtt?.end();
        g.log.info('crashed: connection dropped without DISCONNECT (the broker sends the Will)');
      }
    }
  };

  let stdinEnded = false;
  let replayDone = capture === undefined;
  const finished = new Promise<void>((resolve) => {
    const check = () => { if (replayDone && (stdinEnded || opts.once)) resolve(); };
    const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
    rl.on('line', (line) => { if (line.trim()) consoleLine(line); });
    rl.on('close', () => { stdinEnded = true; check(); });
    if (capture) replay(capture, opts.speed, captureClock, log, opts.capture!, (adv) => {
      const addrType = addrTypeCode(adv.addrType);
      for (const g of running) {
        if (g.down) continue;
        if (g.scan.paused) g.scan.missed++;
        else g.app.gateway.handleAdvertisement({ mac: adv.mac, rssi: g.offset === 0 && opts.rssiJitter === 0 ? adv.rssi : offsetRssi(adv.rssi, g.offset + g.noise()), ad: adv.ad, addrType });
      }
    }).then((count) => {
      replayDone = true;
      log.info(`capture ${opts.capture}: ${count} advertisements (${capture.format})`);
      for (const { app: { gateway }, scan, log: gwLog } of running) {
        const t = gateway.registry.totals;
        gwLog.info(`replay done: ${t.frames} advertisements, ${t.decoded} decoded, ${t.duplicates} repeats, ${t.replays} replays rejected, ${t.decryptFailures} decrypt failures, ${gateway.registry.slots.size} devices${scan.missed ? `, ${scan.missed} missed while scanning was paused for GATT` : ''}`);
      }
      check();
    });
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => { replayDone = stdinEnded = true; resolve(); });
  });
  await finished;
  for (const { app } of running) await gattIdle(app.gateway, 60000);

  for (const g of running) {
    const { app, log: gwLog } = g;
    const gateway = app.gateway;
    const client = app.mqtt;
    if (!g.down) {
      app.scripts?.stopAll();
      // Last words: pending events, one teleperiod, then a clean "Offline" — after the
      // connect-time "Online", so wait (bounded) for the connection if it is not up yet.
      if (client && !client.connected) await waitConnected(client, 5000);
      gateway.flushRealtime();
      if (opts.once) gateway.teleperiod();
      app.stop();
    }
    if (client) {
      await drain(client, 5000, () => gateway.outbox.stats.buffered > 0 || gateway.discovery.pending > 0);
      client.end();
      // Readings the broker never got wait in DIR (outbox.N) and go out at the next start.
      gateway.outbox.persist();
      // What the broker never got (an outage at shutdown) is counted, never lost silently.
      const { unsent, dropped } = client.stats;
      if (unsent > 0 || dropped > 0) {
        gwLog.warn(`MQTT at shutdown: ${unsent} queued messages were not delivered (no broker connection), ${dropped} dropped earlier by the full offline queue`);
      }
    }
  }
  homekit?.stop();
  web?.close();
  await broker?.close();
  process.stdin.destroy();
  // Nothing reached a broker: a run that published nothing is a failure, not a success.
  const unreached = running.find((g) => !g.app.reach.connected);
  if (unreached) {
    throw new Error(`could not reach the MQTT broker ${unreached.mqtt.describe()}${unreached.app.reach.lastError ? ` (${unreached.app.reach.lastError})` : ''}; nothing was published`);
  }
  return 0;
}

/** Time between progress lines of a long replay (MI32_PROGRESS_MS overrides it, for tests). */
const PROGRESS_EVERY_MS = Number(process.env.MI32_PROGRESS_MS) > 0 ? Number(process.env.MI32_PROGRESS_MS) : 5000;

/**
 * Feed advertisements at their recorded times divided by `speed`; Infinity = as fast as
 * possible, on capture time (`clock`). The capture is played in file order: one that
 * goes back in time plays its late lines at once. Returns how many were replayed.
 */
async function replay(capture: CaptureStream, speed: number, clock: CaptureClock | undefined, log: Log, name: string,
  handle: (a: CapturedAdvertisement) => void): Promise<number> {
  const start = Date.now();
  let first: number | undefined;
  let count = 0;
  // A long replay says how far it is, on stderr, every few seconds.
  const progress = setInterval(() => {
    const seconds = (Date.now() - start) / 1000;
    log.info(`replay ${name}: ${Math.floor(capture.progress() * 100)}%, ${count} advertisements, ${Math.round(count / seconds)}/s`);
  }, PROGRESS_EVERY_MS);
  progress.unref();
  clock?.startCaptureTime();
  const captureStart = clock?.now() ?? start;
  try {
    for await (const adv of capture.advertisements) {
      first ??= adv.t;
      if (speed === Infinity) {
        if (count % 200 === 0) await new Promise((r) => setImmediate(r)); // let the socket write
        clock?.advanceTo(captureStart + (adv.t - first));
      } else {
        const wait = start + (adv.t - first) / speed - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      handle(adv);
      count++;
    }
  } finally {
    clearInterval(progress);
    clock?.endCaptureTime();
  }
  return count;
}

/** Wait until the GATT client has nothing running or queued (script and command requests finish). */
async function gattIdle(gateway: Gateway, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  const busy = () => gateway.gatt !== undefined && (gateway.gatt.busy || gateway.gatt.queued > 0);
  while (busy() && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
}

function waitConnected(client: MqttClient, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    client.on('connect', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Wait until the client has nothing queued or in flight (or the timeout passes). */
async function drain(client: MqttClient, timeoutMs: number, more = () => false): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until && client.connected && (client.stats.queued > 0 || client.stats.inflight > 0 || more())) {
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 50));
}
