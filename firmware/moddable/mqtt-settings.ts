// Broker settings at run time: MqttHost, MqttPort, MqttUser, MqttPassword, as in Tasmota
// (no argument = show; "1" = back to the build's default from mc/config; "0" = clear,
// except MqttPort). Persisted in the Store as mqtt.json (atomic); a change calls
// `changed()` so main.ts reconnects. Replies have the core's shape, errors say what was wrong.

import { writeAtomic } from "core/store/atomic";
import { jsonDepthProblem, readStoredText } from "core/store/read-text";
import { utf8Encode } from "core/mqtt/utf8";
import type { Log, Store } from "core/host";

export interface BrokerSettings {
  host: string;
  port: number;
  user: string;
  password: string;
}

export type Reply = Record<string, unknown>;

const FILE = "mqtt.json";
const NAMES = { mqtthost: "MqttHost", mqttport: "MqttPort", mqttuser: "MqttUser", mqttpassword: "MqttPassword" } as const;
type Key = keyof typeof NAMES;

export class MqttSettings {
  private current: BrokerSettings;

  constructor(private readonly store: Store, private readonly defaults: BrokerSettings, private readonly log: Log, private readonly changed: () => void) {
    this.current = { ...defaults, ...this.load() };
  }

  get settings(): Readonly<BrokerSettings> {
    return this.current;
  }

  /** Run `line` (or `command` with a separate argument, from MQTT) if it is one of ours; else undefined. */
  handle(line: string, argument?: string): Reply | undefined {
    const text = line.trim();
    const space = text.search(/\s/);
    const word = space < 0 ? text : text.slice(0, space);
    const key = word.toLowerCase();
    if (!(key in NAMES)) return undefined;
    const name = NAMES[key as Key];
    const arg = (argument ?? (space < 0 ? "" : text.slice(space + 1))).trim();
    if (arg === "") return this.show(name);
    const next = { ...this.current };
    const error = this.apply(key as Key, arg, next);
    if (error) return { [name]: "Error", Error: error };
    const same = next.host === this.current.host && next.port === this.current.port && next.user === this.current.user && next.password === this.current.password;
    if (!same) {
      // Saved first: on a read-only or full flash the old settings stay, and the reply says so.
      try {
        this.save(next);
      } catch (e) {
        return { [name]: "Error", Error: (e as Error).message };
      }
      this.current = next;
      this.changed();
    }
    return this.show(name);
  }

  private show(name: string): Reply {
    const c = this.current;
    switch (name) {
      case "MqttHost": return { MqttHost: c.host };
      case "MqttPort": return { MqttPort: c.port };
      case "MqttUser": return { MqttUser: c.user };
      default: return { MqttPassword: c.password ? "****" : "" };
    }
  }

  private apply(key: Key, arg: string, next: BrokerSettings): string | undefined {
    switch (key) {
      case "mqtthost":
        if (arg === "1") next.host = this.defaults.host;
        else if (arg === "0") next.host = "";
        else if (!/^[A-Za-z0-9.:_-]{1,64}$/.test(arg)) return "host must be 1-64 characters: letters, digits, '.', ':', '_' or '-'";
        else next.host = arg;
        return undefined;
      case "mqttport": {
        if (arg === "1") {
          next.port = this.defaults.port;
          return undefined;
        }
        const port = /^\d+$/.test(arg) ? Number(arg) : NaN;
        if (!(port >= 2 && port <= 65535)) return `port must be 2-65535 (1 = build default), got "${arg}"`;
        next.port = port;
        return undefined;
      }
      case "mqttuser":
      case "mqttpassword": {
        const field = key === "mqttuser" ? "user" : "password";
        if (arg === "1") next[field] = this.defaults[field];
        else if (arg === "0") next[field] = "";
        else if (arg.length > 64 || /\s/.test(arg)) return `${field} must be at most 64 characters without spaces`;
        else next[field] = arg;
        return undefined;
      }
    }
  }

  private load(): Partial<BrokerSettings> {
    // Unreadable, oversized or non-UTF-8: kept aside and reported (never its content: it holds the password).
    const stored = readStoredText(this.store, FILE, 4096);
    for (const problem of stored.problems) this.log.warn(`${problem}; using the build's broker settings`);
    if (stored.kind !== "text") return {};
    try {
      if (jsonDepthProblem(stored.text, 1)) throw new Error("nested too deep");
      const s = JSON.parse(stored.text) as Partial<Record<keyof BrokerSettings, unknown>>;
      if (s === null || typeof s !== "object") throw new Error("not an object");
      const out: Partial<BrokerSettings> = {};
      const valid = {
        host: typeof s.host === "string" && /^[A-Za-z0-9.:_-]{0,64}$/.test(s.host),
        port: typeof s.port === "number" && Number.isInteger(s.port) && s.port > 0 && s.port < 65536,
        user: typeof s.user === "string" && s.user.length <= 64 && !/[\s\u0000-\u001f]/.test(s.user),
        password: typeof s.password === "string" && s.password.length <= 64 && !/[\s\u0000-\u001f]/.test(s.password),
      };
      for (const field of ["host", "port", "user", "password"] as const) {
        if (s[field] === undefined) continue;
        // A value the commands would refuse is not used; the report names the field, never the value.
        if (valid[field]) (out as Record<string, unknown>)[field] = s[field];
        else this.log.warn(`${FILE}: invalid ${field}; using the build's default`);
      }
      return out;
    } catch {
      this.log.warn(`${FILE} is not valid JSON; using the build's broker settings`);
      return {};
    }
  }

  private save(settings: BrokerSettings): void {
    writeAtomic(this.store, FILE, utf8Encode(JSON.stringify(settings)));
  }
}
