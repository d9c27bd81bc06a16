// The devices the gateway talks to rather than only hears: Mi-auth scooters it logs into
// and polls (MI32Scooter), sensors it activates for a bind key (MI32Activate), and the GPS
// whose fix rides along with the scooter's telemetry and the STATE message. Tokens live in
// the TokenStore; nothing here ever puts a token or a key into a reply, log line or message.

import type { AesEncryptBlock, AuthCrypto, ByteSource, Clock, Log, Random, Store } from '../host.js';
import { normalizeMac } from '../bytes/hex.js';
import { PORTABLE_AUTH_CRYPTO } from '../crypto/auth-crypto.js';
import type { GattClient, GattResult } from '../gatt/client.js';
import { gpsJson, NmeaReader } from '../gps/nmea.js';
import { login, MiAuthError, register, type MiAuthTimeouts } from '../miauth/flow.js';
import { MiGattLink } from '../miauth/gatt-transport.js';
import { TokenStore } from '../miauth/tokens.js';
import { ScooterDriver, type ScooterTiming } from '../scooter/driver.js';
import { SCOOTER_WRITES, SWITCH_WRITES, type ScooterValues } from '../scooter/registers.js';
import { CommandError, maskedKey, type Reply } from './command-reply.js';
import { findSlot } from './find-slot.js';
import type { Registry } from './registry.js';

/** Models MI32Activate supports: Telink sensors on Xiaomi's stock firmware with the Mi service (as the activation pages). */
export const ACTIVATION_MODELS = ['LYWSD03MMC', 'MHO-C401'];
const LYWSD03MMC_PID = 0x055b;
/**
 * Registering a scooter: when it beeps for its power button it stays silent; as the open
 * clients do, we then close the link, wait for the press, and start over (new key pair).
 */
const REGISTER_ATTEMPTS = 3;
const AFTER_BEEP_MS = 5000;
/** A GPS fix older than this is left out of the telemetry (the receiver lost it or went quiet). */
const GPS_STALE_MS = 30_000;

export const UNBIND_WARNING = 'this unbinds the device from the Mi Home / Xiaomi Home app (it must be reset and paired again there to go back)';

export interface ActiveDevicesPorts {
  gatt: GattClient | undefined;
  clock: Clock;
  log: Log;
  store: Store;
  aes: AesEncryptBlock;
  crypto?: AuthCrypto;
  random?: Random;
  gps?: ByteSource;
  registry: Registry;
  setKey(mac: string, key: Uint8Array): unknown;
  saveConfig(): number;
  /** Publish a SENSOR message (text ready). */
  publishSensor(text: string): void;
  /** A late command outcome (console + stat/<topic>/RESULT). */
  result(reply: Reply): void;
  /** The top-level "Time" text for `ms`. */
  timeText(ms: number): string;
  scooterTiming?: Partial<ScooterTiming>;
  authTimeouts?: Partial<MiAuthTimeouts>;
}

export function scooterName(mac: string): string {
  return `Scooter-${mac.slice(6).toLowerCase()}`;
}

export class ActiveDevices {
  readonly tokens: TokenStore;
  readonly scooters = new Map<string, ScooterDriver>();
  readonly gps: NmeaReader;
  private readonly crypto: AuthCrypto;
  /** MACs with a register/activation running (one flow per device at a time). */
  private readonly busy = new Set<string>();
  /** Scooters being registered, across the attempts a beep makes. */
  private readonly registering = new Set<string>();

  constructor(private readonly ports: ActiveDevicesPorts) {
    this.tokens = new TokenStore(ports.store);
    this.crypto = ports.crypto ?? PORTABLE_AUTH_CRYPTO;
    this.gps = new NmeaReader(() => ports.clock.now());
  }

  /** Load the tokens, log in again to the scooters that were logged in, start reading the GPS. */
  start(): string[] {
    const problems = this.tokens.load();
    for (const p of problems) this.ports.log.warn(p);
    if (this.ports.gatt && this.ports.random) for (const mac of this.tokens.macs('scooter')) if (this.tokens.get(mac)!.auto) this.driver(mac).start();
    this.ports.gps?.start((bytes) => this.gps.push(bytes), (error) => {
      if (error) this.ports.log.warn(`GPS: ${error.message}`);
    });
    return problems;
  }

  stop(): void {
    for (const d of this.scooters.values()) d.stop();
    this.ports.gps?.stop();
  }

  onGattEvent(event: GattResult): void {
    this.scooters.get(event.mac)?.onGattEvent(event);
    this.flows.get(event.mac)?.onGattEvent(event);
  }

  /** The GPS part of STATE and of the scooter's SENSOR, when there is a fresh fix. */
  gpsValues(): Record<string, number | string> | undefined {
    const fix = this.gps.fix;
    if (!fix || this.ports.clock.now() - this.gps.fixAt > GPS_STALE_MS) return undefined;
    return gpsJson(fix);
  }

  // --- MI32Scooter ------------------------------------------------------------------

  scooterCommand(arg: string): Reply {
    const words = arg.trim().split(/\s+/).filter((w) => w !== '');
    if (words.length === 0) return { MI32Scooter: this.scooterStatus() };
    const mac = normalizeMac(words[0]!);
    const action = (words[1] ?? '').toLowerCase();
    const usage = 'usage: MI32Scooter <MAC> register|login|off|lock|unlock|cruise 0|1|light 0|1';
    if (!mac) throw new CommandError(`"${words[0]!.slice(0, 20)}" is not a MAC; ${usage}`);
    const name = scooterName(mac);
    const { gatt, random } = this.needGatt();
    if (action === 'register') {
      if (words.length !== 2) throw new CommandError(usage);
      if (this.registering.has(mac)) throw new CommandError(`${name}: a registration is already running`);
      this.registerScooter(mac, gatt, random);
      return { MI32Scooter: 'Registering', Device: name, Note: `press the scooter's power button once when it beeps; ${UNBIND_WARNING}` };
    }
    if (action === 'login') {
      if (words.length !== 2) throw new CommandError(usage);
      if (!this.tokens.get(mac) || this.tokens.get(mac)!.kind !== 'scooter') throw new CommandError(`no token for ${name}: MI32Scooter ${mac} register first`);
      const other = [...this.scooters.values()].find((d) => d.mac !== mac && d.state !== 'off' && d.state !== 'failed');
      if (other) throw new CommandError(`${scooterName(other.mac)} is connected (one scooter at a time): MI32Scooter ${other.mac} off first`);
      this.tokens.setAuto(mac, true);
      this.driver(mac).start();
      return { MI32Scooter: 'Connecting', Device: name };
    }
    if (action === 'off') {
      if (words.length !== 2) throw new CommandError(usage);
      this.scooters.get(mac)?.stop();
      this.tokens.setAuto(mac, false);
      return { MI32Scooter: { [name]: 'Off' } };
    }
    const write = SCOOTER_WRITES[action];
    if (!write) throw new CommandError(usage);
    let on = 1;
    if (SWITCH_WRITES.has(action)) {
      if (words.length !== 3 || (words[2] !== '0' && words[2] !== '1')) throw new CommandError(`${action} takes 0 or 1; ${usage}`);
      on = Number(words[2]);
    } else if (words.length !== 2) throw new CommandError(usage);
    const driver = this.scooters.get(mac);
    if (!driver?.loggedIn) throw new CommandError(`${name} is not logged in (MI32Scooter ${mac} login first)`);
    const { register: reg, value } = write(on);
    const label = SWITCH_WRITES.has(action) ? `${action} ${on}` : action;
    driver.writeRegister(reg, value).then(
      () => this.ports.result({ MI32Scooter: { [name]: { [label]: 'Done' } } }),
      (e: Error) => this.ports.result({ MI32Scooter: { [name]: { [label]: 'Error', Error: e.message } } }),
    );
    return { MI32Scooter: 'Queued', Device: name, Write: label };
  }

  private scooterStatus(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const macs = new Set([...this.tokens.macs('scooter'), ...this.scooters.keys()]);
    for (const mac of macs) {
      const d = this.scooters.get(mac);
      out[scooterName(mac)] = {
        MAC: mac, Registered: this.tokens.get(mac) ? 1 : 0, State: d?.state ?? 'off',
        ...(d ? { Logins: d.stats.logins, SessionReuses: d.stats.reuses, Polls: d.stats.polls, Drops: d.stats.drops } : {}),
      };
    }
    return out;
  }

  private needGatt(): { gatt: GattClient; random: Random } {
    const { gatt, random } = this.ports;
    if (!gatt) throw new CommandError('this platform has no GATT client');
    if (!random) throw new CommandError('this platform has no random source');
    return { gatt, random };
  }

  private driver(mac: string): ScooterDriver {
    let d = this.scooters.get(mac);
    if (d) return d;
    const name = scooterName(mac);
    const random = this.ports.random!;
    d = new ScooterDriver(mac, {
      gatt: this.ports.gatt!, clock: this.ports.clock, log: this.ports.log, aes: this.ports.aes, crypto: this.crypto,
      random: (n) => random.bytes(n),
      token: () => this.tokens.get(mac)?.token,
      publish: (values) => this.publishScooter(name, values),
      report: (outcome) => this.ports.result({ MI32Scooter: { [name]: outcome } }),
      ...(this.ports.scooterTiming ? { timing: this.ports.scooterTiming } : {}),
      ...(this.ports.authTimeouts ? { authTimeouts: this.ports.authTimeouts } : {}),
    });
    this.scooters.set(mac, d);
    return d;
  }

  private publishScooter(name: string, values: ScooterValues): void {
    const now = this.ports.clock.now();
    const gps = this.gpsValues();
    this.ports.publishSensor(JSON.stringify({ Time: this.ports.timeText(now), [name]: { ...values, ...(gps ? { GPS: gps } : {}) } }));
  }

  // --- register / activate ---------------------------------------------------------

  /** Links used by a register or activation flow, by MAC (their notifications come through onGattEvent). */
  private readonly flows = new Map<string, MiGattLink>();

  private async withLink<T>(mac: string, addrType: number, gatt: GattClient, run: (link: MiGattLink) => Promise<T>): Promise<T> {
    if (this.busy.has(mac)) throw new MiAuthError('protocol', 'a registration with this device is already running');
    this.busy.add(mac);
    const link = new MiGattLink(gatt, this.ports.clock, mac, addrType);
    this.flows.set(mac, link);
    try {
      await link.open(false);
      return await run(link);
    } finally {
      this.flows.delete(mac);
      this.busy.delete(mac);
      link.close();
    }
  }

  private flowContext(link: MiGattLink, random: Random) {
    return { transport: link, crypto: this.crypto, aes: this.ports.aes, random: (n: number) => random.bytes(n), ...(this.ports.authTimeouts ? { timeouts: this.ports.authTimeouts } : {}) };
  }

  private registerScooter(mac: string, gatt: GattClient, random: Random): void {
    const name = scooterName(mac);
    // A running driver would fight over the link; registration re-keys the scooter anyway.
    this.scooters.get(mac)?.stop();
    const attempt = async (n: number): Promise<void> => {
      try {
        const outcome = await this.withLink(mac, 1, gatt, (link) => register(this.flowContext(link, random)));
        this.tokens.set(mac, { token: outcome.token, kind: 'scooter', auto: false });
      } catch (e) {
        if (!(e instanceof MiAuthError) || e.code !== 'needs-button' || n >= REGISTER_ATTEMPTS) throw e;
        this.ports.log.info(`${name} beeps: press its power button once (registration ${n + 1} of ${REGISTER_ATTEMPTS} in ${AFTER_BEEP_MS / 1000} s)`);
        await new Promise<void>((resolve) => this.ports.clock.setTimeout(resolve, AFTER_BEEP_MS));
        return attempt(n + 1);
      }
    };
    this.registering.add(mac);
    attempt(1).finally(() => this.registering.delete(mac)).then(
      () => this.ports.result({ MI32Scooter: { [name]: 'Registered' } }),
      (e: Error) => this.ports.result({ MI32Scooter: { [name]: failure(e) } }),
    );
  }

  activateCommand(arg: string): Reply {
    const selector = arg.trim();
    if (selector === '' || /\s/.test(selector)) throw new CommandError(`usage: MI32Activate <slot|MAC> (models: ${ACTIVATION_MODELS.join(', ')}); ${UNBIND_WARNING}`);
    const slot = findSlot(this.ports.registry, selector);
    const mac = slot?.mac ?? normalizeMac(selector);
    if (!mac) throw new CommandError(`no device "${selector.slice(0, 40)}" (give a slot number from 0 or a MAC)`);
    if (slot && !ACTIVATION_MODELS.includes(slot.model)) throw new CommandError(`${this.ports.registry.displayName(slot)} (${slot.model}) cannot be activated here (models: ${ACTIVATION_MODELS.join(', ')})`);
    const { gatt, random } = this.needGatt();
    // A sensor never heard is taken as an LYWSD03MMC (the model the activation pages are
    // for), added to the device list only when the activation worked.
    const name = slot ? this.ports.registry.displayName(slot) : `LYWSD03-${mac.slice(6).toLowerCase()}`;
    this.withLink(mac, 0, gatt, async (link) => {
      const ctx = this.flowContext(link, random);
      const outcome = await register(ctx);
      // As the activation pages do: a login with the fresh token proves it works.
      await login(ctx, outcome.token);
      this.tokens.set(mac, { token: outcome.token, kind: 'sensor', auto: false });
      if (!slot) this.ports.registry.add(mac, LYWSD03MMC_PID);
      this.ports.setKey(mac, outcome.bindKey);
      this.ports.saveConfig();
      return outcome.bindKey;
    }).then(
      (key) => this.ports.result({ MI32Activate: { [name]: { Key: maskedKey(key), Saved: 'mi32cfg' } } }),
      (e: Error) => this.ports.result({ MI32Activate: { [name]: failure(e) } }),
    );
    return { MI32Activate: 'Activating', Device: name, Warning: UNBIND_WARNING };
  }
}

function failure(e: Error): Record<string, string> {
  return { Error: e.message, ...(e instanceof MiAuthError ? { Code: e.code } : {}) };
}
