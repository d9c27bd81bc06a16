// `mi32 devices list|approve|remove|mode|pair|unpair|paired`: the seed manager's CLI over
// the gateway's own command API (MI32List, MI32Approve, ...). The commands travel over a
// CommandTransport: MQTT (cmnd/<topic>/<Command> out, stat/<topic>/RESULT back), or the
// web page's /cm?cmnd= with --http URL (host-sim/http-transport.ts), no broker needed.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { MqttClient } from '../firmware/core/mqtt/client.js';
import { parseBrokerUrl, redactUrl } from '../firmware/core/mqtt/options.js';
import { buildTopic, DEFAULT_FULLTOPIC } from '../firmware/core/gateway/topics.js';
import { topicProblem } from '../firmware/core/gateway/validate.js';
import { utf8Decode } from '../firmware/core/mqtt/utf8.js';
import { nodeClock, nodeNet, nodeRandom } from './net.js';
import { HttpTransport, parseGatewayUrl } from './http-transport.js';

export const DEVICES_USAGE = `  mi32 devices list [approved] | approve MAC [IOT_DEVICE_ID] | remove MAC | mode [passive|active|off]
               | pair MAC | unpair MAC | paired MAC   [--broker URL] [--topic NAME] [--ca FILE] [--timeout S]
               [--http URL [--user NAME] [--password PASSWORD]]
      Device management on a running gateway (mi32 run, or the device) through its commands
      MI32List, MI32Approve, MI32Remove, MI32Mode, MI32Pair, MI32Unpair, MI32Paired, sent over
      MQTT (default mqtt://127.0.0.1:1883, topic mi32), or with --http URL over the gateway's
      web page (http://HOST[:PORT]/, its /cm?cmnd=), no broker needed; the page's WebPassword
      goes with --password (user admin) or the MI32_WEB_PASSWORD variable (not shown in ps).
      Prints the gateway's JSON reply; pair waits for the outcome. Exit 0 on success, 1 when
      the gateway answered with an error or did not answer, 2 for a usage error.
`;

export class DevicesUsageError extends Error {}

export type Reply = Record<string, unknown>;

/** How a command reaches the gateway and its reply comes back. */
export interface CommandTransport {
  /**
   * Send `command` with `argument`; resolve with the gateway's reply to it. With `follow`,
   * a "Queued" reply is not the end: resolve with the outcome that follows it (MI32Pair).
   */
  send(command: string, argument: string, options: { follow: boolean; timeoutMs: number }): Promise<Reply>;
  close(): void;
}

/** Subcommand → the gateway's command, what it takes, and whether its outcome comes later. */
const SUBCOMMANDS: Record<string, { command: string; args: 'none-or-approved' | 'mac' | 'mac-id' | 'mode'; follow?: boolean }> = {
  list: { command: 'MI32List', args: 'none-or-approved' },
  approve: { command: 'MI32Approve', args: 'mac-id' },
  remove: { command: 'MI32Remove', args: 'mac' },
  mode: { command: 'MI32Mode', args: 'mode' },
  set_mode: { command: 'MI32Mode', args: 'mode' }, // the seed CLI's name
  pair: { command: 'MI32Pair', args: 'mac', follow: true },
  unpair: { command: 'MI32Unpair', args: 'mac' },
  paired: { command: 'MI32Paired', args: 'mac' },
  is_paired: { command: 'MI32Paired', args: 'mac' },
};

/** The reply to `command` among the RESULT messages (others' replies may interleave). */
function replyTo(command: string, reply: Reply): unknown {
  const key = Object.keys(reply).find((k) => k.toLowerCase() === command.toLowerCase());
  if (key !== undefined) return reply[key];
  return reply.Command === 'Unknown' ? 'Unknown' : undefined;
}

/** MQTT: the gateway's cmnd/stat topics under its FullTopic (Tasmota's default %prefix%/%topic%/). */
export class MqttTransport implements CommandTransport {
  private readonly client: MqttClient;
  private readonly listeners = new Set<(reply: Reply) => void>();
  private readonly ready: Promise<void>;

  constructor(private readonly broker: string, private readonly topic: string, ca?: string, connectTimeoutMs = 5000) {
    this.client = new MqttClient({ net: nodeNet, clock: nodeClock, random: nodeRandom }, {
      url: broker, reconnect: false, connectTimeoutMs, keepAliveSeconds: 30, ...(ca ? { tls: { ca } } : {}),
    });
    this.ready = new Promise((resolve, reject) => {
      const fail = (why: string) => reject(new Error(`could not reach the MQTT broker ${redactUrl(broker)} (${why})`));
      this.client.on('error', (e) => fail(e.message));
      this.client.on('close', (e) => fail(e?.message ?? 'closed'));
      this.client.subscribe(buildTopic(DEFAULT_FULLTOPIC, 'stat', topic, 'RESULT'), (_t, payload) => this.deliver(payload), { onSuback: () => resolve() });
    });
    this.client.connect();
  }

  async send(command: string, argument: string, options: { follow: boolean; timeoutMs: number }): Promise<Reply> {
    await this.ready;
    return new Promise((resolve, reject) => {
      let queued = false;
      const done = (action: () => void) => {
        clearTimeout(timer);
        this.listeners.delete(listen);
        action();
      };
      const timer = setTimeout(() => done(() => reject(new Error(queued
        ? `${command}: queued, but no outcome within ${options.timeoutMs / 1000} s`
        : `no reply from the gateway on topic "${this.topic}" within ${options.timeoutMs / 1000} s (is it running, and is --topic right?)`))), options.timeoutMs);
      const listen = (reply: Reply) => {
        const value = replyTo(command, reply);
        if (value === undefined) return;
        if (options.follow && value === 'Queued') {
          queued = true;
          return;
        }
        // With follow, only the outcome for the same MAC ends the wait.
        if (options.follow && queued && !(typeof value === 'object' && value !== null && (value as Reply).MAC === argument.toUpperCase().replace(/[:-]/g, ''))) return;
        done(() => resolve(reply));
      };
      this.listeners.add(listen);
      this.client.publish(buildTopic(DEFAULT_FULLTOPIC, 'cmnd', this.topic, command), argument, { qos: 1 });
    });
  }

  close(): void {
    this.client.end();
  }

  private deliver(payload: Uint8Array): void {
    let reply: unknown;
    try {
      reply = JSON.parse(utf8Decode(payload));
    } catch {
      return; // not a command reply
    }
    if (reply === null || typeof reply !== 'object' || Array.isArray(reply)) return;
    for (const listen of [...this.listeners]) listen(reply as Reply);
  }
}

export interface DevicesArgs {
  sub: string; argument: string; broker: string; topic: string; ca?: string; timeoutMs: number;
  /** --http: the page's URL and the web password, instead of MQTT. */
  http?: { url: URL; credentials?: { user: string; password: string } };
}

function parseDevicesArgs(args: string[]): DevicesArgs {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true,
    options: {
      broker: { type: 'string' }, topic: { type: 'string' }, ca: { type: 'string' }, timeout: { type: 'string' },
      http: { type: 'string' }, user: { type: 'string' }, password: { type: 'string' },
    },
  });
  const [sub, ...rest] = positionals;
  if (!sub) throw new DevicesUsageError('devices needs a subcommand (list, approve, remove, mode, pair, unpair, paired)');
  const spec = SUBCOMMANDS[sub];
  if (!spec) throw new DevicesUsageError(`unknown subcommand "${sub.slice(0, 20)}" (list, approve, remove, mode, pair, unpair, paired)`);
  const max = spec.args === 'mac-id' ? 2 : 1;
  if (rest.length > max) throw new DevicesUsageError(`${sub} takes at most ${max} argument${max > 1 ? 's' : ''}`);
  if ((spec.args === 'mac' || spec.args === 'mac-id') && rest.length === 0) throw new DevicesUsageError(`${sub} needs a MAC`);
  const broker = values.broker ?? 'mqtt://127.0.0.1:1883';
  try {
    parseBrokerUrl(broker);
  } catch (e) {
    throw new DevicesUsageError(`--broker: ${(e as Error).message}`);
  }
  const topic = values.topic ?? 'mi32';
  const problem = topicProblem(topic);
  if (problem) throw new DevicesUsageError(`--topic: ${problem}`);
  let ca: string | undefined;
  if (values.ca !== undefined) {
    try {
      ca = readFileSync(values.ca, 'utf8');
    } catch {
      throw new DevicesUsageError(`--ca: cannot read ${values.ca}`);
    }
  }
  const seconds = values.timeout === undefined ? 10 : Number(values.timeout);
  if (!(seconds > 0 && seconds <= 300)) throw new DevicesUsageError('--timeout must be seconds from 1 to 300');
  const http = httpArgs(values);
  // The gateway checks MACs, ids and modes itself: one set of rules, one set of messages.
  return { sub, argument: rest.join(' '), broker, topic, ...(ca ? { ca } : {}), timeoutMs: seconds * 1000, ...(http ? { http } : {}) };
}

/** --http URL with --user/--password (or MI32_WEB_PASSWORD); MQTT's options do not mix with it. */
function httpArgs(values: { http?: string; user?: string; password?: string; broker?: string; topic?: string; ca?: string }): DevicesArgs['http'] {
  if (values.http === undefined) {
    if (values.user !== undefined || values.password !== undefined) throw new DevicesUsageError('--user and --password go with --http (the web page\'s password)');
    return undefined;
  }
  for (const option of ['broker', 'topic', 'ca'] as const) {
    if (values[option] !== undefined) throw new DevicesUsageError(`--http and --${option} exclude each other (--http talks to the web page, not the broker)`);
  }
  const url = parseGatewayUrl(values.http);
  if (typeof url === 'string') throw new DevicesUsageError(url);
  const password = values.password ?? process.env.MI32_WEB_PASSWORD;
  if (password !== undefined && (password === '' || password.length > 64)) throw new DevicesUsageError('--password: the web password is 1 to 64 characters');
  if (values.user !== undefined && password === undefined) throw new DevicesUsageError('--user needs --password (or MI32_WEB_PASSWORD)');
  return { url, ...(password !== undefined ? { credentials: { user: values.user ?? 'admin', password } } : {}) };
}

/** The gateway's error reply, as one line: {"MI32Approve":"Error","Error":"..."} → "MI32Approve: ...". */
function errorOf(command: string, reply: Reply): string | undefined {
  const value = replyTo(command, reply);
  if (value === 'Error' || value === 'Unknown') return `${command}: ${String(reply.Error ?? 'unknown command')}`;
  if (value && typeof value === 'object' && typeof (value as Reply).Error === 'string') return `${command}: ${(value as Reply).Error as string}`;
  return undefined;
}

export async function devicesCommand(args: string[], transportFor?: (a: DevicesArgs) => CommandTransport): Promise<number> {
  const a = parseDevicesArgs(args);
  const spec = SUBCOMMANDS[a.sub]!;
  const transport = transportFor ? transportFor(a)
    : a.http ? new HttpTransport(a.http.url, a.http.credentials)
    : new MqttTransport(a.broker, a.topic, a.ca);
  try {
    const reply = await transport.send(spec.command, a.argument, { follow: spec.follow === true, timeoutMs: a.timeoutMs * (spec.follow ? 3 : 1) });
    process.stdout.write(JSON.stringify(reply) + '\n');
    const error = errorOf(spec.command, reply);
    if (error) {
      process.stderr.write(`mi32 devices: ${error}\n`);
      return 1;
    }
    return 0;
  } finally {
    transport.close();
  }
}
