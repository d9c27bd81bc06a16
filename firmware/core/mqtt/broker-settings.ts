// Broker settings at run time: MqttHost, MqttPort, MqttUser, MqttPassword as in Tasmota
// (no argument = show; "1" = back to the default; "0" = clear, except MqttPort) and MqttTls
// 0|1 (Tasmota's SetOption103). The defaults are the platform's: the device's build
// (mc/config), the simulator's --broker. Only what the user set is saved (the Store's
// mqtt.json, atomic), so a field never set follows a new default. A change calls
// `changed()` once, and the platform reconnects. Shared by the device and host-sim.

import type { Log, Store } from '../host.js';
import { writeAtomic } from '../store/atomic.js';
import { jsonDepthProblem, readStoredText } from '../store/read-text.js';
import { utf8Encode } from './utf8.js';

export interface BrokerSettings {
  host: string;
  port: number;
  user: string;
  password: string;
  tls: boolean;
}

/** What the web page sends: strings as typed; an empty or missing password keeps it. */
export interface BrokerChanges {
  host?: string;
  port?: string;
  user?: string;
  password?: string;
  tls?: boolean;
}

/** The broker as the page may show it: the password only as "set or not". */
export interface BrokerView {
  host: string;
  port: number;
  user: string;
  passwordSet: boolean;
  tls: boolean;
  editable: boolean;
  note?: string;
}

export type Reply = Record<string, unknown>;

const FILE = 'mqtt.json';
type Field = keyof BrokerSettings;
/** Command (lower case) → its reply name and the field it sets. */
const COMMANDS: Record<string, { name: string; field: Field }> = {
  mqtthost: { name: 'MqttHost', field: 'host' },
  mqttport: { name: 'MqttPort', field: 'port' },
  mqttuser: { name: 'MqttUser', field: 'user' },
  mqttpassword: { name: 'MqttPassword', field: 'password' },
  mqtttls: { name: 'MqttTls', field: 'tls' },
};
const FIELDS: readonly Field[] = ['host', 'port', 'user', 'password', 'tls'];
const HOST = /^[A-Za-z0-9.:_-]{1,64}$/;
const SECRETISH = /^[^\s\u0000-\u001f]{0,64}$/;

/** A value as the commands take it: `set` the new value, `reset` back to the default, or an error. */
type Parsed = { set: string | number | boolean } | { reset: true } | { error: string };

function parse(field: Field, arg: string): Parsed {
  switch (field) {
    case 'host':
      if (arg === '1') return { reset: true };
      if (arg === '0') return { set: '' };
      return HOST.test(arg) ? { set: arg } : { error: `host must be 1-64 characters: letters, digits, '.', ':', '_' or '-', got "${arg.slice(0, 70)}"` };
    case 'port': {
      if (arg === '1') return { reset: true };
      const port = /^\d{1,5}$/.test(arg) ? Number(arg) : NaN;
      return port >= 2 && port <= 65535 ? { set: port } : { error: `port must be 2-65535 (1 = default), got "${arg.slice(0, 20)}"` };
    }
    case 'user':
    case 'password':
      if (arg === '1') return { reset: true };
      if (arg === '0') return { set: '' };
      // The password's value never goes into an error message.
      return arg.length <= 64 && !/\s/.test(arg) && SECRETISH.test(arg) ? { set: arg } : { error: `${field} must be at most 64 characters without spaces` };
    case 'tls':
      return arg === '0' || arg === '1' ? { set: arg === '1' } : { error: `MqttTls takes 0 (plain) or 1 (TLS), got "${arg.slice(0, 20)}"` };
  }
}

export class MqttSettings {
  /** What the user set (the file's content); the rest follows the defaults. */
  private saved: Partial<BrokerSettings>;

  constructor(private readonly store: Store, private readonly defaults: BrokerSettings, private readonly log: Log, private readonly changed: () => void) {
    this.saved = this.load();
  }

  get settings(): Readonly<BrokerSettings> {
    return { ...this.defaults, ...this.saved };
  }

  /** Whether the user saved any broker setting (the simulator says so at start). */
  get customised(): boolean {
    return Object.keys(this.saved).length > 0;
  }

  view(note?: string): BrokerView {
    const s = this.settings;
    return { host: s.host, port: s.port, user: s.user, passwordSet: s.password !== '', tls: s.tls, editable: true, ...(note ? { note } : {}) };
  }

  /**
   * Run `line` (or `command` with a separate argument, from MQTT) if it is one of ours; else
   * undefined. `source` 'mqtt' or 'script' may read, not change: anyone on the broker could
   * otherwise send the gateway, and its MQTT password, to a broker of their own.
   */
  handle(line: string, argument?: string, source?: string): Reply | undefined {
    const text = line.trim();
    const space = text.search(/\s/);
    const command = COMMANDS[(space < 0 ? text : text.slice(0, space)).toLowerCase()];
    if (!command) return undefined;
    const arg = (argument ?? (space < 0 ? '' : text.slice(space + 1))).trim();
    if (arg === '') return this.show(command.name, command.field);
    if (source === 'mqtt' || source === 'script') return { [command.name]: 'Error', Error: `${command.name} can be changed only from the console or the web page` };
    const parsed = parse(command.field, arg);
    if ('error' in parsed) return { [command.name]: 'Error', Error: parsed.error };
    const problem = this.commit([[command.field, parsed]]);
    return problem ? { [command.name]: 'Error', Error: problem } : this.show(command.name, command.field);
  }

  /**
   * The web page's form: every field checked first, then saved at once (one reconnect);
   * a string says what was wrong, and then nothing changed.
   */
  update(changes: BrokerChanges): string | undefined {
    const steps: [Field, Parsed][] = [];
    const errors: string[] = [];
    const now = this.settings;
    const add = (field: Field, parsed: Parsed) => ('error' in parsed ? errors.push(parsed.error) : steps.push([field, parsed]));
    // Empty host or user on the form: cleared (as "0"); an empty password: unchanged.
    if (changes.host !== undefined && changes.host !== now.host) add('host', changes.host === '' ? { set: '' } : changes.host === '1' || changes.host === '0' ? { error: `host must be a name or address, got "${changes.host}"` } : parse('host', changes.host));
    if (changes.port !== undefined && changes.port !== String(now.port)) add('port', changes.port === '1' ? { error: 'port must be 2-65535, got "1"' } : parse('port', changes.port));
    if (changes.user !== undefined && changes.user !== now.user) add('user', changes.user === '' ? { set: '' } : parse('user', changes.user));
    if (changes.password) add('password', parse('password', changes.password));
    if (changes.tls !== undefined && changes.tls !== now.tls) add('tls', { set: changes.tls });
    if (errors.length) return errors.join('; ');
    return steps.length ? this.commit(steps) : undefined;
  }

  private show(name: string, field: Field): Reply {
    const value = this.settings[field];
    if (field === 'password') return { [name]: value ? '****' : '' };
    if (field === 'tls') return { [name]: value ? 1 : 0 };
    return { [name]: value };
  }

  /** Apply, save (before taking effect: on a read-only or full flash the old settings stay), reconnect once. */
  private commit(steps: [Field, Parsed][]): string | undefined {
    const before = this.settings;
    const next: Partial<BrokerSettings> = { ...this.saved };
    for (const [field, parsed] of steps) {
      if ('reset' in parsed) delete next[field];
      else if ('set' in parsed) (next as Record<string, unknown>)[field] = parsed.set;
    }
    const after = { ...this.defaults, ...next };
    if (FIELDS.every((f) => after[f] === before[f]) && FIELDS.every((f) => (f in next) === (f in this.saved))) return undefined;
    try {
      writeAtomic(this.store, FILE, utf8Encode(JSON.stringify(next)));
    } catch (e) {
      return (e as Error).message;
    }
    this.saved = next;
    if (FIELDS.some((f) => after[f] !== before[f])) this.changed();
    return undefined;
  }

  private load(): Partial<BrokerSettings> {
    // Unreadable, oversized or non-UTF-8: kept aside and reported (never its content: it holds the password).
    const stored = readStoredText(this.store, FILE, 4096);
    for (const problem of stored.problems) this.log.warn(`${problem}; using the default broker settings`);
    if (stored.kind !== 'text') return {};
    try {
      if (jsonDepthProblem(stored.text, 1)) throw new Error('nested too deep');
      const s = JSON.parse(stored.text) as Partial<Record<Field, unknown>>;
      if (s === null || typeof s !== 'object' || Array.isArray(s)) throw new Error('not an object');
      // Read back with the commands' own rules: a hand edit they would refuse is not used.
      const valid: Record<Field, boolean> = {
        host: typeof s.host === 'string' && (s.host === '' || HOST.test(s.host)),
        port: typeof s.port === 'number' && Number.isInteger(s.port) && s.port > 0 && s.port < 65536,
        user: typeof s.user === 'string' && SECRETISH.test(s.user),
        password: typeof s.password === 'string' && SECRETISH.test(s.password),
        tls: typeof s.tls === 'boolean',
      };
      const out: Partial<BrokerSettings> = {};
      for (const field of FIELDS) {
        if (s[field] === undefined) continue;
        // The report names the field, never the value.
        if (valid[field]) (out as Record<string, unknown>)[field] = s[field];
        else this.log.warn(`${FILE}: invalid ${field}; using the default`);
      }
      return out;
    } catch {
      this.log.warn(`${FILE} is not valid JSON; using the default broker settings`);
      return {};
    }
  }
}
