// The app, composed once: the Gateway, its MQTT client and the user scripts, from the
// platform's ports. The device (firmware/moddable/main.ts) and the simulator
// (host-sim/run-command.ts) only hand in their adapters and settings; what happens on
// connect, on a Topic or broker change and at script start lives here, once, and is
// tested on Node with fakes (test/gateway/app.test.ts).

import type { Clock, Net, Random, ScriptHost } from '../host.js';
import { MqttClient } from '../mqtt/client.js';
import type { MqttClientOptions } from '../mqtt/options.js';
import { utf8Decode } from '../mqtt/utf8.js';
import { ScriptRuntime } from '../script/runtime.js';
import type { Reply } from './commands.js';
import { type CommandSource, Gateway, type GatewayPorts, type GatewaySettings, type MqttPort } from './gateway.js';
import { linkMqttClient, retireMqttClient } from './mqtt-link.js';

/**
 * The Gateway's own ports (clock: the gateway's time, which host-sim puts on capture time)
 * and what the app adds. topicChanged and gattClock are the app's business, not the host's.
 */
export interface AppPorts extends Omit<GatewayPorts, 'topicChanged' | 'gattClock'> {
  /** Wall-clock time for the MQTT client, the scripts and GATT connections; default `clock`. */
  wallClock?: Clock;
  net: Net;
  random: Random;
  /** Where user scripts run; without one, `Script`/`ScriptSave` say scripting is not enabled. */
  scriptHost?: ScriptHost;
  /** Sees every message the gateway publishes, connected or not (host-sim prints them; xs-check records them). */
  published?: (topic: string, payload: string, options?: { retain?: boolean; qos?: 0 | 1 }) => void;
  /**
   * Commands the platform answers itself (the device's MqttHost/MqttPort/...): a reply, or
   * undefined to let the gateway run it. Asked first, for console and MQTT commands alike.
   */
  hostCommand?: (line: string, argument?: string, source?: CommandSource) => Reply | undefined;
  /** UTF-8 payload to text (the device decodes natively); default the core's utf8Decode. Throws on bad UTF-8. */
  decodeText?: (bytes: Uint8Array) => string;
}

/** Client options without the Will (the app sets it from the topic). */
export type BrokerOptions = Omit<MqttClientOptions, 'will'>;

export interface AppConfig {
  /** Start-up settings (a build's or the command line's), below what settings.json holds. */
  settings?: Partial<GatewaySettings>;
  /** Devices tracked at once. */
  slots?: number;
  /** The broker, asked at every new connection (settings may change at run time); a string says why MQTT is off. */
  broker(): BrokerOptions | string;
}

export interface GatewayApp {
  readonly gateway: Gateway;
  /** The script runtime, when the platform has a script host. */
  readonly scripts: ScriptRuntime | undefined;
  /** The current MQTT client (after `stop()`, the last one, for draining). */
  readonly mqtt: MqttClient | undefined;
  /** Whether any client of this run reached the broker, and the last client error. */
  readonly reach: { readonly connected: boolean; readonly lastError: string };
  /** Load mi32cfg, start the teleperiod, run the stored autoexec.js. Returns mi32cfg's problems. */
  start(): string[];
  /** Connect to the broker (again): retire the current client, make one with the current Will. */
  connect(): void;
  /** A console line (serial, stdin) or an MQTT-style command with its argument: the platform's commands first. */
  command(line: string, source: CommandSource, argument?: string): Reply;
  /** Scripts stopped and detached, timers off, a clean "Offline" queued; the client is left to drain and end. */
  stop(): void;
}

export function createGatewayApp(ports: AppPorts, config: AppConfig): GatewayApp {
  const wallClock = ports.wallClock ?? ports.clock;
  const { log } = ports;
  const decodeText = ports.decodeText ?? ((bytes: Uint8Array) => utf8Decode(bytes));
  let client: MqttClient | undefined;
  /** connect() has run: from then on a Topic change reconnects (before, the first connect uses the new Will). */
  let connecting = false;
  const reach = { connected: false, lastError: '' };

  const gateway = new Gateway({
    clock: ports.clock, store: ports.store, log, aes: ports.aes,
    ...(ports.console ? { console: ports.console } : {}),
    ...(ports.setActiveScan ? { setActiveScan: ports.setActiveScan } : {}),
    // The Will names the topic: a new Topic or FullTopic needs a new connection. The gateway
    // moves its own subscriptions; the port below carries them over to the new client.
    topicChanged: () => { if (connecting) connect(); },
    ...(ports.gatt ? { gatt: ports.gatt, gattClock: wallClock } : {}),
    ...(ports.scan ? { scan: ports.scan } : {}),
    ...(ports.gattTimeouts ? { gattTimeouts: ports.gattTimeouts } : {}),
    random: ports.random, ...(ports.authCrypto ? { authCrypto: ports.authCrypto } : {}), ...(ports.gps ? { gps: ports.gps } : {}),
    ...(ports.http ? { http: ports.http } : {}),
    ...(ports.setScanning ? { setScanning: ports.setScanning } : {}),
  }, config.settings ?? {}, config.slots);

  /** The gateway's subscriptions, kept here so that every new client gets them. */
  const subscriptions = new Map<string, (topic: string, payload: Uint8Array) => void>();

  const mqttPort: MqttPort = {
    publish: (topic, payload, options) => {
      ports.published?.(topic, payload, options);
      // A reading goes through the outbox (kept through an outage), unless store-and-forward is off.
      if (options?.reading && gateway.outbox.take(topic, payload)) return;
      client?.publish(topic, payload, options);
    },
    subscribe: (filter, handler) => {
      const onMessage = (topic: string, payload: Uint8Array) => {
        const command = topic.slice(topic.lastIndexOf('/') + 1);
        let text: string;
        try {
          text = decodeText(payload);
        } catch {
          log.warn(`MQTT ${command}: the payload is not UTF-8; ignored`);
          return;
        }
        const own = ports.hostCommand?.(command, text, 'mqtt');
        if (own) answer(own, 'mqtt', command);
        else handler(topic, text);
      };
      subscriptions.set(filter, onMessage);
      client?.subscribe(filter, onMessage);
    },
    unsubscribe: (filter) => {
      subscriptions.delete(filter);
      client?.unsubscribe(filter);
    },
    dropped: () => client?.stats.dropped ?? 0,
    connected: () => client?.connected === true,
  };
  // Once, for the app's life: the gateway's command subscriptions go into `subscriptions`.
  gateway.attachMqtt(mqttPort);

  const scripts = ports.scriptHost && new ScriptRuntime({
    host: ports.scriptHost, gateway, clock: wallClock, log, store: ports.store,
    ...(ports.console ? { console: ports.console } : {}),
  });
  if (scripts) gateway.attachScripts(scripts);

  /** A platform command's reply goes where the gateway's go: console and stat/<topic>/RESULT. */
  function answer(reply: Reply, source: CommandSource, line: string): Reply {
    gateway.result(reply);
    // Only the command's name: its argument may be a password.
    if (source !== 'console') log.info(`${source} command ${line.trim().split(/\s/, 1)[0]!.slice(0, 32)} -> ${JSON.stringify(reply)}`);
    return reply;
  }

  function connect(): void {
    connecting = true;
    const old = client;
    client = undefined;
    if (old) retireMqttClient(old);
    const broker = config.broker();
    if (typeof broker === 'string') {
      gateway.outbox.attach(undefined);
      log.info(`MQTT off: ${broker}`);
      return;
    }
    let next: MqttClient;
    try {
      next = new MqttClient({ net: ports.net, clock: wallClock, random: ports.random, log }, { ...broker, will: gateway.will() });
    } catch (e) {
      log.error(`MQTT settings rejected: ${(e as Error).message}`);
      return;
    }
    client = next;
    next.on('connect', () => { reach.connected = true; });
    next.on('error', (e) => { reach.lastError = e.message; });
    linkMqttClient(gateway, next, log, `${next.options.host}:${next.options.port}`);
    // Readings kept through an outage go out after "Online", in order, with QoS 1.
    gateway.outbox.attach({ connected: () => next.connected, publish: (topic, payload, done) => next.publish(topic, payload, { qos: 1 }, done) });
    next.on('connect', () => gateway.outbox.pump());
    for (const [filter, onMessage] of subscriptions) next.subscribe(filter, onMessage);
    next.connect();
  }

  return {
    gateway,
    scripts,
    get mqtt() { return client; },
    reach,
    start() {
      const problems = gateway.start();
      scripts?.loadStored();
      return problems;
    },
    connect,
    command(line, source, argument) {
      const own = ports.hostCommand?.(line, argument, source);
      return own ? answer(own, source, line) : gateway.command(line, source, argument);
    },
    stop() {
      if (scripts) {
        scripts.stopAll();
        gateway.detachScripts(scripts);
      }
      gateway.stop();
      // A clean end sends no Will: say "Offline" ourselves, after what is queued.
      if (client) client.publish(gateway.will().topic, 'Offline', { retain: true, qos: 1 });
    },
  };
}
