// The device's side of Mi authentication: it answers register and login the way the
// reference describes the real devices (xiaomi-auth-scooter.md §3–4), with the same
// framing and key schedule as the gateway's side (flow.ts), seen from the other end.
// Not used by the firmware itself: the simulated scooter and LYWSD03MMC (host-sim/gatt)
// and the XS check (scripts/xs-check.js: register, login and UART in XS) run it. It lives
// in the core so that both can. Async steps; a link drop abandons a flow in progress.

import type { AesEncryptBlock, AuthCrypto } from '../host.js';
import { loginKeys, registrationKeys, sameBytes, type MiSession } from './keys.js';
import { ccmDecrypt } from '../crypto/ccm.js';
import { announce, dataFrames, PARCEL, ParcelAssembler, RCV_OK, RCV_RDY, readControl, sameControl } from './parcel.js';

export const MI_SERVICE = '0000fe95-0000-1000-8000-00805f9b34fb';
export const UPNP = '00000010-0000-1000-8000-00805f9b34fb';
export const AVDTP = '00000019-0000-1000-8000-00805f9b34fb';

export interface MiDeviceHost {
  crypto: AuthCrypto;
  aes: AesEncryptBlock;
  random(count: number): Uint8Array;
  /** Notify on a characteristic (by UUID) after `delayMs`. */
  notify(uuid: string, bytes: Uint8Array): void;
  /** Called when a login succeeds (the scooter's drop-after-login fault hooks here). */
  loggedIn?(): void;
  /**
   * Registration reached the key exchange: true when the device wants its owner's
   * confirmation first (a scooter beeps and waits for its power button): it stays silent,
   * and the app must start over once the button was pressed.
   */
  confirmationNeeded?(): boolean;
  /** Is the named fault set now? */
  fault(name: 'wrong-token'): boolean;
}

class Abandoned extends Error {}

/** The device's registration state and the session of the current link. */
export class MiAuthDevice {
  /** The token agreed at registration; undefined = not registered (stock, or reset). */
  token: Uint8Array | undefined;
  bindKey: Uint8Array | undefined;
  /** The DID the app sent back at registration (the device keeps it). */
  did: Uint8Array | undefined;
  session: MiSession | undefined;
  /** Logins and registrations completed (tests count them). */
  readonly counts = { registrations: 0, logins: 0, refusedLogins: 0 };
  private readonly inbox: Uint8Array[] = [];
  private waiting: ((packet: Uint8Array) => void) | undefined;
  private generation = 0;

  constructor(private readonly host: MiDeviceHost, did?: Uint8Array) {
    this.did = did;
  }

  /** A write from the app to 0x0010 or 0x0019. */
  onWrite(uuid: string, bytes: Uint8Array): boolean {
    if (uuid === AVDTP) {
      const waiting = this.waiting;
      if (waiting) {
        this.waiting = undefined;
        waiting(bytes);
      } else if (this.inbox.length < 16) this.inbox.push(bytes);
      return true;
    }
    if (uuid !== UPNP || bytes.length !== 4) return uuid === UPNP;
    // 15 (set key) and 13 (auth) are steps of a registration already running.
    if (bytes[0] === 0x15 || bytes[0] === 0x13) {
      this.onStep(bytes[0]);
      return true;
    }
    const generation = ++this.generation;
    this.inbox.length = 0;
    const run = ({ 0xa2: () => this.register(generation), 0x24: () => this.login(generation) } as Record<number, (() => Promise<void>) | undefined>)[bytes[0]!];
    run?.().catch((e) => { if (!(e instanceof Abandoned)) throw e; });
    return true;
  }

  /** The link is gone: a flow in progress is abandoned (the session itself is the owner's call). */
  reset(): void {
    this.generation++;
    this.inbox.length = 0;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.(new Uint8Array(0));
  }

  // --- flows ---------------------------------------------------------------------

  private stepWaiters: Array<(code: number) => void> = [];
  private stepsSeen: number[] = [];

  private onStep(code: number): void {
    const waiter = this.stepWaiters.shift();
    if (waiter) waiter(code);
    else this.stepsSeen.push(code);
  }

  private nextStep(generation: number): Promise<number> {
    const seen = this.stepsSeen.shift();
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      this.stepWaiters.push((code) => (generation === this.generation ? resolve(code) : reject(new Abandoned())));
    });
  }

  private next(generation: number): Promise<Uint8Array> {
    if (generation !== this.generation) return Promise.reject(new Abandoned());
    const queued = this.inbox.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      this.waiting = (packet) => (generation === this.generation && packet.length > 0 ? resolve(packet) : reject(new Abandoned()));
    });
  }

  private async expect(generation: number, control: Uint8Array): Promise<void> {
    const packet = await this.next(generation);
    if (!sameControl(packet, control)) throw new Abandoned();
  }

  private async send(generation: number, type: number, payload: Uint8Array): Promise<void> {
    const frames = dataFrames(payload);
    this.host.notify(AVDTP, announce(type, frames.length));
    await this.expect(generation, RCV_RDY);
    for (const f of frames) this.host.notify(AVDTP, f);
    await this.expect(generation, RCV_OK);
  }

  private async receive(generation: number, type: number): Promise<Uint8Array> {
    const control = readControl(await this.next(generation));
    if (control.kind !== 'announce' || control.type !== type || control.frames < 1 || control.frames > 8) throw new Abandoned();
    const parcel = new ParcelAssembler(type, control.frames);
    this.host.notify(AVDTP, RCV_RDY);
    for (;;) {
      const state = parcel.add(await this.next(generation));
      if (state === 'done') break;
      if (state !== 'more') throw new Abandoned();
    }
    this.host.notify(AVDTP, RCV_OK);
    return parcel.payload();
  }

  private result(code: number): void {
    this.host.notify(UPNP, Uint8Array.of(code, 0, 0, 0));
  }

  private async register(generation: number): Promise<void> {
    this.stepWaiters = [];
    this.stepsSeen = [];
    // Device info: a 4-byte header, then the DID when the device has one.
    const info = new Uint8Array(this.did ? 24 : 4);
    info[0] = 1;
    if (this.did) info.set(this.did, 4);
    await this.send(generation, PARCEL.deviceInfo, info);
    if (await this.nextStep(generation) !== 0x15) throw new Abandoned();
    const appPublic = await this.receive(generation, PARCEL.publicKey);
    if (this.host.confirmationNeeded?.()) throw new Abandoned();
    let privateKey = this.host.random(32);
    let devicePublic: Uint8Array;
    for (;;) {
      try {
        devicePublic = this.host.crypto.p256PublicKey(privateKey);
        break;
      } catch {
        privateKey = this.host.random(32);
      }
    }
    await this.send(generation, PARCEL.publicKey, devicePublic);
    let keys;
    try {
      keys = registrationKeys(this.host.crypto.p256SharedSecret(privateKey, appPublic), this.host.crypto);
    } catch {
      return this.result(0x12);
    }
    const sealed = await this.receive(generation, PARCEL.deviceInfo);
    if (await this.nextStep(generation) !== 0x13) throw new Abandoned();
    const did = sealed.length === 24 ? decryptDid(this.host.aes, keys.didKey, sealed) : undefined;
    if (!did) return this.result(0x12);
    // Registering re-keys the device: whoever held the old token is out.
    this.token = keys.token;
    this.bindKey = keys.bindKey;
    this.did = did;
    this.session = undefined;
    this.counts.registrations++;
    this.result(0x11);
  }

  private async login(generation: number): Promise<void> {
    const appRandom = await this.receive(generation, PARCEL.appRandom);
    if (!this.token) return this.result(0xe0);
    const deviceRandom = this.host.random(16);
    // The wrong-token fault: the device holds another token than the one the app registered.
    const token = this.host.fault('wrong-token') ? this.token.map((b) => b ^ 0xff) : this.token;
    const keys = loginKeys(token, appRandom, deviceRandom, this.host.crypto);
    await this.send(generation, PARCEL.deviceRandom, deviceRandom);
    await this.send(generation, PARCEL.deviceLoginInfo, keys.expectedDeviceInfo);
    const appInfo = await this.receive(generation, PARCEL.appLoginInfo);
    if (!sameBytes(appInfo, keys.appInfo)) {
      this.counts.refusedLogins++;
      return this.result(0x23);
    }
    this.session = { devKey: keys.devKey, appKey: keys.appKey, devIv: keys.devIv, appIv: keys.appIv, counter: 0 };
    this.counts.logins++;
    this.result(0x21);
    this.host.loggedIn?.();
  }
}

function decryptDid(aes: AesEncryptBlock, didKey: Uint8Array, sealed: Uint8Array): Uint8Array | undefined {
  const nonce = Uint8Array.of(0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b);
  const aad = Uint8Array.from('devID', (c) => c.charCodeAt(0));
  return ccmDecrypt({ aes, key: didKey, nonce, aad, tagLength: 4 }, sealed.subarray(0, 20), sealed.subarray(20));
}
