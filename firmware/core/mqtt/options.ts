// Client options: what the gateway configures, their defaults, and broker URL parsing.
// Defaults are sized for an ESP32 (a few hundred KB of heap), not for a desktop.

import type { TlsOptions } from '../host.js';
import type { BackoffOptions } from './backoff.js';
import { MqttError } from './errors.js';
import { MAX_REMAINING_LENGTH } from './packets.js';
import { validateTopicName } from './topic.js';

export interface WillOptions {
  topic: string;
  payload: string | Uint8Array;
  qos?: 0 | 1;
  retain?: boolean;
}

export interface MqttClientOptions {
  /** `mqtt://[user[:password]@]host[:port]` or `mqtts://...`. Explicit fields below win over it. */
  url?: string;
  host?: string;
  /** Default 1883, or 8883 with TLS. */
  port?: number;
  /** `true` or TLS options turn TLS on (verification stays on unless `verify: false`). Default: from the URL scheme, else off. */
  tls?: boolean | TlsOptions;
  /** Default `mi32-` + 12 random hex digits (fits the 23-character limit every broker accepts). */
  clientId?: string;
  username?: string;
  password?: string | Uint8Array;
  /** Seconds between keep-alive exchanges; 0 turns keep-alive off. Default 60. */
  keepAliveSeconds?: number;
  /** Default true. */
  cleanSession?: boolean;
  /** The message the broker publishes when this client vanishes without DISCONNECT. */
  will?: WillOptions;
  /** Time from opening the socket to CONNACK. Default 30000 ms. */
  connectTimeoutMs?: number;
  /** Reconnect delays (default 1 s doubling up to 60 s, 50 % jitter); `false` = never reconnect. */
  reconnect?: BackoffOptions | false;
  /** Messages waiting while offline (or while too many QoS 1 messages await PUBACK). Oldest dropped past a limit. */
  queue?: { maxMessages?: number; maxBytes?: number };
  /** QoS 1 messages sent and not yet acknowledged. Default 16. */
  maxInflight?: number;
  /** Largest payload publish() accepts. Default 16384 bytes. */
  maxPayloadBytes?: number;
  /** Largest packet accepted from the broker; bigger ones close the connection. Default 65536 bytes. */
  maxIncomingPacketBytes?: number;
}

export interface ResolvedOptions {
  host: string;
  port: number;
  tls?: TlsOptions;
  clientId?: string;
  username?: string;
  password?: string | Uint8Array;
  keepAliveSeconds: number;
  cleanSession: boolean;
  will?: WillOptions;
  connectTimeoutMs: number;
  reconnect: BackoffOptions | false;
  queueMaxMessages: number;
  queueMaxBytes: number;
  maxInflight: number;
  maxPayloadBytes: number;
  maxIncomingPacketBytes: number;
}

export function resolveOptions(options: MqttClientOptions): ResolvedOptions {
  const fromUrl = options.url !== undefined ? parseBrokerUrl(options.url) : undefined;
  let tls: TlsOptions | undefined = fromUrl?.tls ? {} : undefined;
  if (options.tls === true) tls = tls ?? {};
  else if (options.tls === false) tls = undefined;
  else if (options.tls) tls = options.tls;
  const host = options.host ?? fromUrl?.host;
  if (!host) throw new MqttError('invalid-options', 'no broker: give `url` or `host`');
  const resolved: ResolvedOptions = {
    host,
    port: options.port ?? fromUrl?.port ?? (tls ? 8883 : 1883),
    tls,
    clientId: options.clientId,
    username: options.username ?? fromUrl?.username,
    password: options.password ?? fromUrl?.password,
    keepAliveSeconds: options.keepAliveSeconds ?? 60,
    cleanSession: options.cleanSession ?? true,
    will: options.will,
    connectTimeoutMs: options.connectTimeoutMs ?? 30_000,
    reconnect: options.reconnect ?? {},
    queueMaxMessages: options.queue?.maxMessages ?? 200,
    queueMaxBytes: options.queue?.maxBytes ?? 65_536,
    maxInflight: options.maxInflight ?? 16,
    maxPayloadBytes: options.maxPayloadBytes ?? 16_384,
    maxIncomingPacketBytes: options.maxIncomingPacketBytes ?? 65_536,
  };
  const bad = (why: string) => new MqttError('invalid-options', why);
  if (!Number.isInteger(resolved.port) || resolved.port < 1 || resolved.port > 65535) throw bad(`port ${resolved.port} is outside 1..65535`);
  if (!Number.isInteger(resolved.keepAliveSeconds) || resolved.keepAliveSeconds < 0 || resolved.keepAliveSeconds > 65535) {
    throw bad(`keepAliveSeconds ${resolved.keepAliveSeconds} is outside 0..65535`);
  }
  if (resolved.password !== undefined && resolved.username === undefined) throw bad('a password needs a username in MQTT 3.1.1');
  // Checked now: a bad Will topic would otherwise only fail inside the socket's connect callback.
  if (resolved.will) {
    try {
      validateTopicName(resolved.will.topic);
    } catch (e) {
      throw bad(`Will: ${(e as Error).message}`);
    }
  }
  if (!resolved.cleanSession && !resolved.clientId) throw bad('cleanSession false needs a fixed clientId');
  for (const [name, value] of [
    ['queue.maxMessages', resolved.queueMaxMessages], ['queue.maxBytes', resolved.queueMaxBytes],
    ['maxInflight', resolved.maxInflight], ['maxPayloadBytes', resolved.maxPayloadBytes],
    ['maxIncomingPacketBytes', resolved.maxIncomingPacketBytes], ['connectTimeoutMs', resolved.connectTimeoutMs],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) throw bad(`${name} must be a positive integer, got ${value}`);
  }
  if (resolved.maxInflight > 0xffff) throw bad('maxInflight must be at most 65535');
  if (resolved.maxPayloadBytes > resolved.queueMaxBytes) throw bad('maxPayloadBytes must not exceed queue.maxBytes');
  if (resolved.maxPayloadBytes > MAX_REMAINING_LENGTH - 0x10000) throw bad('maxPayloadBytes is over the MQTT packet limit');
  if (resolved.maxIncomingPacketBytes > MAX_REMAINING_LENGTH) throw bad(`maxIncomingPacketBytes is over ${MAX_REMAINING_LENGTH}`);
  return resolved;
}

export interface BrokerUrl {
  tls: boolean;
  host: string;
  port?: number;
  username?: string;
  password?: string;
}

/** Parses `mqtt://` / `mqtts://` URLs by hand: the core has no URL class (not in ES2022, absent on XS). */
export function parseBrokerUrl(url: string): BrokerUrl {
  const match = /^(mqtts?|tcp|ssl|tls):\/\/(?:([^:@/]*)(?::([^@/]*))?@)?(\[[0-9a-fA-F:.]+\]|[^:/?#[\]@]+)(?::(\d+))?\/?$/.exec(url);
  if (!match) {
    throw new MqttError('invalid-options', `broker URL "${redactUrl(url)}" is not mqtt://[user[:password]@]host[:port] or mqtts://...`);
  }
  const [, scheme, user, pass, rawHost, port] = match;
  const parsed: BrokerUrl = { tls: scheme === 'mqtts' || scheme === 'ssl' || scheme === 'tls', host: rawHost.replace(/^\[|\]$/g, '') };
  if (port !== undefined) parsed.port = Number(port);
  try {
    if (user !== undefined && user !== '') parsed.username = decodeURIComponent(user);
    if (pass !== undefined) parsed.password = decodeURIComponent(pass);
  } catch {
    // decodeURIComponent's URIError would quote nothing, but say which part without showing it.
    throw new MqttError('invalid-options', `broker URL "${redactUrl(url)}": bad %-escape in the user name or password`);
  }
  return parsed;
}

/**
 * The URL with its password replaced by "***", for logs and error messages. Works on
 * malformed URLs too: everything up to the last "@" counts as user info (a password may
 * hold "/", "@" or "?"; hiding too much is harmless, showing a password is not).
 */
export function redactUrl(url: string): string {
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(url);
  const start = scheme ? scheme[0].length : 0;
  const at = url.lastIndexOf('@');
  if (at < start) return url;
  const userInfo = url.slice(start, at);
  const colon = userInfo.indexOf(':');
  return url.slice(0, start) + (colon < 0 ? userInfo : userInfo.slice(0, colon) + ':***') + url.slice(at);
}
