// One Xiaomi scooter driven over the GATT client: log in with the stored token, poll the
// ESC and BMS registers every few seconds, publish what they say, and come back after
// drops: a short one (the session is younger than `reuse`) tries the session it had,
// as the seed client does, and a long one, or a kept session the scooter no longer
// answers, logs in afresh. States: off → linking → polling → waiting (backoff) → linking …

import type { AesEncryptBlock, AuthCrypto, Clock, Log, TimerHandle } from '../host.js';
import type { GattClient } from '../gatt/client.js';
import { login, MiAuthError, type MiAuthTimeouts } from '../miauth/flow.js';
import { MiGattLink } from '../miauth/gatt-transport.js';
import type { MiSession } from '../miauth/keys.js';
import { decryptFrame, encryptFrame, readCommand, writeCommand } from '../miauth/uart.js';
import { SCOOTER_POLL, type RegisterRead, type ScooterValues } from './registers.js';

export interface ScooterTiming {
  /** Between polls (the seed client: 5 s). */
  poll: number;
  /** Each register read's answer. */
  read: number;
  /** A session younger than this at reconnect is tried before a fresh login. */
  reuse: number;
  /** Reconnect backoff: first wait and cap. */
  retryMin: number;
  retryMax: number;
}

export const DEFAULT_SCOOTER_TIMING: ScooterTiming = { poll: 5000, read: 3000, reuse: 10_000, retryMin: 1000, retryMax: 15_000 };

export interface ScooterDriverPorts {
  gatt: GattClient;
  clock: Clock;
  log: Log;
  aes: AesEncryptBlock;
  crypto: AuthCrypto;
  random(count: number): Uint8Array;
  /** The stored token, asked at each login (it may have been re-registered meanwhile). */
  token(): Uint8Array | undefined;
  /** A poll's readings. */
  publish(values: ScooterValues): void;
  /** Something the user asked for happened (logged in, a login failed for good, a write done). */
  report(outcome: string | Record<string, unknown>): void;
  timing?: Partial<ScooterTiming>;
  authTimeouts?: Partial<MiAuthTimeouts>;
}

export type ScooterState = 'off' | 'linking' | 'polling' | 'waiting' | 'failed';

/** Ways a login can fail that retrying will not fix: the user must register again. */
const FATAL: ReadonlySet<string> = new Set(['wrong-token', 'not-registered']);

export class ScooterDriver {
  state: ScooterState = 'off';
  values: ScooterValues | undefined;
  readonly stats = { logins: 0, reuses: 0, polls: 0, drops: 0, readFailures: 0 };
  private readonly timing: ScooterTiming;
  private session: MiSession | undefined;
  /** When the link last went down; the session's age at reconnect is counted from here. */
  private droppedAt: number | undefined;
  private link: MiGattLink | undefined;
  private generation = 0;
  private sleeper: { timer: TimerHandle; wake: () => void } | undefined;
  /** UART exchanges one at a time: a write must not interleave with a poll's pieces. */
  private uartBusy: Promise<unknown> = Promise.resolve();
  private reportedLogin = false;

  constructor(readonly mac: string, private readonly ports: ScooterDriverPorts) {
    this.timing = { ...DEFAULT_SCOOTER_TIMING, ...ports.timing };
  }

  get loggedIn(): boolean {
    return this.state === 'polling' && this.session !== undefined;
  }

  start(): void {
    if (this.state !== 'off' && this.state !== 'failed') return;
    const generation = ++this.generation;
    this.reportedLogin = false;
    this.run(generation).catch((e) => this.ports.log.error(`scooter ${this.mac}: ${(e as Error)?.message ?? String(e)}`));
  }

  /** Stop polling and close the link; the session is forgotten. */
  stop(): void {
    this.generation++;
    this.state = 'off';
    this.session = undefined;
    this.link?.close();
    this.link = undefined;
    this.wake();
  }

  onGattEvent(event: Parameters<MiGattLink['onGattEvent']>[0]): void {
    this.link?.onGattEvent(event);
  }

  /** A register write (lock, cruise, ...) on the logged-in session; resolves when written. */
  async writeRegister(register: number, value: number): Promise<void> {
    const session = this.session;
    const link = this.link;
    if (!session || !link || this.state !== 'polling') throw new MiAuthError('link', 'not logged in (MI32Scooter <MAC> login first)');
    await this.exclusive(() => link.writeUart(encryptFrame(this.ports.aes, session, writeCommand(0x20, register, Uint8Array.of(value & 0xff, value >> 8)), this.ports.random(4))));
  }

  // --- the loop ------------------------------------------------------------------

  private current(generation: number): boolean {
    return generation === this.generation;
  }

  private async run(generation: number): Promise<void> {
    let backoff = this.timing.retryMin;
    while (this.current(generation)) {
      this.state = 'linking';
      try {
        await this.linkUp(generation);
        backoff = this.timing.retryMin;
        await this.pollLoop(generation);
      } catch (e) {
        if (!this.current(generation)) return;
        const error = e instanceof MiAuthError ? e : new MiAuthError('protocol', (e as Error)?.message ?? String(e));
        if (FATAL.has(error.code)) {
          this.state = 'failed';
          this.session = undefined;
          this.link?.close();
          this.ports.log.warn(`scooter ${this.mac}: ${error.message}`);
          this.ports.report({ Error: error.message, Code: error.code });
          return;
        }
        this.ports.log.info(`scooter ${this.mac}: ${error.message}; again in ${backoff / 1000} s`);
      }
      if (!this.current(generation)) return;
      const link = this.link;
      if (link?.lost) {
        if (link.wasOpen) this.stats.drops++;
      } else link?.close();
      this.link = undefined;
      this.droppedAt ??= link?.lostAt ?? this.ports.clock.now();
      this.state = 'waiting';
      await this.sleep(backoff);
      backoff = Math.min(backoff * 2, this.timing.retryMax);
    }
  }

  /** A link with a session on it: the kept session when it is young enough and answers, else a fresh login. */
  private async linkUp(generation: number): Promise<void> {
    // Scooters advertise a random address. A drop wakes the poll loop's sleep at once.
    const link = new MiGattLink(this.ports.gatt, this.ports.clock, this.mac, 1, () => this.wake());
    this.link = link;
    const young = this.session && this.droppedAt !== undefined && this.ports.clock.now() - this.droppedAt <= this.timing.reuse;
    if (young) {
      await link.openUart();
      try {
        await this.read(link, SCOOTER_POLL[0]!);
        this.stats.reuses++;
        this.droppedAt = undefined;
        this.ports.log.info(`scooter ${this.mac}: link back, session kept`);
        return;
      } catch (e) {
        if (!(e instanceof MiAuthError) || e.code !== 'timeout' || link.lost) throw e;
        this.ports.log.info(`scooter ${this.mac}: the kept session is not answered; logging in again`);
      }
    }
    this.session = undefined;
    const token = this.ports.token();
    if (!token) throw new MiAuthError('not-registered', 'no token stored for this scooter: MI32Scooter <MAC> register first');
    await link.open(true);
    if (!this.current(generation)) return;
    this.session = await login({
      transport: link, crypto: this.ports.crypto, aes: this.ports.aes, random: this.ports.random,
      ...(this.ports.authTimeouts ? { timeouts: this.ports.authTimeouts } : {}),
    }, token);
    this.stats.logins++;
    this.droppedAt = undefined;
    this.ports.log.info(`scooter ${this.mac}: logged in`);
  }

  private async pollLoop(generation: number): Promise<void> {
    const link = this.link!;
    this.state = 'polling';
    if (!this.reportedLogin) {
      this.reportedLogin = true;
      this.ports.report('Logged in');
    }
    while (this.current(generation)) {
      const values: ScooterValues = {};
      for (const read of SCOOTER_POLL) read.decode(await this.read(link, read), values);
      if (!this.current(generation)) return;
      this.values = values;
      this.stats.polls++;
      this.ports.publish(values);
      await this.sleep(this.timing.poll);
      if (link.lost) throw new MiAuthError('link', 'the link dropped');
    }
  }

  /** One register read: the request, then frames until the matching reply (others are ignored). */
  private read(link: MiGattLink, read: RegisterRead): Promise<Uint8Array> {
    return this.exclusive(async () => {
      const session = this.session;
      if (!session) throw new MiAuthError('link', 'no session');
      link.clearUart();
      await link.writeUart(encryptFrame(this.ports.aes, session, readCommand(read.address, read.register, read.count), this.ports.random(4)));
      const replyFrom = read.address + 3; // 0x20 → 0x23, 0x22 → 0x25
      for (;;) {
        let frame: Uint8Array;
        try {
          frame = await link.nextUartFrame(this.timing.read);
        } catch (e) {
          if (e instanceof MiAuthError && e.code === 'timeout') this.stats.readFailures++;
          throw e;
        }
        const reply = decryptFrame(this.ports.aes, session, frame);
        if (reply && reply.length >= 3 && reply[0] === replyFrom && reply[2] === read.register) return reply.slice(3);
      }
    });
  }

  private exclusive<T>(job: () => Promise<T>): Promise<T> {
    const run = this.uartBusy.then(job, job);
    this.uartBusy = run.catch(() => undefined);
    return run;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.ports.clock.setTimeout(() => {
        this.sleeper = undefined;
        resolve();
      }, ms);
      this.sleeper = { timer, wake: resolve };
    });
  }

  private wake(): void {
    const s = this.sleeper;
    if (!s) return;
    this.sleeper = undefined;
    this.ports.clock.clearTimeout(s.timer);
    s.wake();
  }
}
