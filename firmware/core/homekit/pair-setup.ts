// Pair-setup M1-M6 (HAP 5.6): SRP-6a proves both sides know the setup code, then the
// controller and the accessory exchange their Ed25519 long-term public keys, each signed,
// inside ChaCha20-Poly1305 with a key from the SRP session key.
//
// One pair-setup at a time (a second controller gets Busy until the first finishes or
// leaves); a wrong code counts toward MAX_FAILED_SETUPS, after which every attempt gets
// MaxTries until restart (HAP 5.6.2); an accessory already paired answers Unavailable.

import type { Clock, HapCrypto, Log, Random } from '../host.js';
import { concat } from '../bytes/hex.js';
import { utf8Decode, utf8Encode } from '../mqtt/utf8.js';
import { SrpServer } from './srp.js';
import type { HomeKitState } from './state.js';
import { decodeTlv, encodeTlv, TLV, TLV_ERROR, tlvByte, type TlvValue } from './tlv8.js';

export const MAX_FAILED_SETUPS = 100;
/** A pair-setup left unfinished this long no longer keeps others out (iOS gives up on a step after about 10 s). */
export const SETUP_STALE_MS = 30_000;

export interface PairSetupPorts {
  clock: Clock;
  crypto: HapCrypto;
  random: Random;
  log: Log;
}

/** A fixed-text nonce: 4 zero bytes and 8 ASCII characters ("PS-Msg05"). */
export function textNonce(text: string): Uint8Array {
  return concat(new Uint8Array(4), utf8Encode(text));
}

const enc = (s: string) => utf8Encode(s);

interface Attempt {
  connection: number;
  srp: SrpServer;
  /** The state the next message must have (3 or 5). */
  expect: 3 | 5;
  started: number;
  salt: Uint8Array;
}

export class PairSetup {
  private attempt: Attempt | undefined;
  /** Wrong codes since start. */
  failures = 0;

  constructor(private readonly ports: PairSetupPorts, private readonly state: HomeKitState, private readonly onPaired: (controllerId: string) => void) {}

  /** The connection went away: its pair-setup, if it had one, is over (another may start). */
  release(connection: number): void {
    if (this.attempt?.connection === connection) this.attempt = undefined;
  }

  get busy(): boolean {
    return this.attempt !== undefined;
  }

  /** One request body in, the TLV answer out (HTTP 200 either way, as the spec wants). */
  handle(body: Uint8Array, connection: number): Uint8Array {
    let items: Map<number, Uint8Array>;
    try {
      items = decodeTlv(body);
    } catch (e) {
      return this.error(2, TLV_ERROR.Unknown, `malformed TLV (${(e as Error).message})`);
    }
    const state = tlvByte(items, TLV.State);
    if (state === 1) return this.m1(items, connection);
    if (this.attempt?.connection !== connection || state !== this.attempt.expect) {
      return this.error((state ?? 0) + 1, TLV_ERROR.Unknown, `unexpected message (state ${state ?? 'none'})`);
    }
    return state === 3 ? this.m3(items) : this.m5(items);
  }

  private m1(items: Map<number, Uint8Array>, connection: number): Uint8Array {
    const method = tlvByte(items, TLV.Method);
    // 0: iOS; 1: "with auth" (hap-controller's default; no MFi certificate is asked here).
    if (method !== undefined && method !== 0 && method !== 1) return this.error(2, TLV_ERROR.Unknown, `pairing method ${method} not supported`);
    if (this.state.paired) return this.error(2, TLV_ERROR.Unavailable, 'already paired');
    if (this.failures >= MAX_FAILED_SETUPS) return this.error(2, TLV_ERROR.MaxTries, `${this.failures} failed attempts; restart to try again`);
    const stale = this.attempt !== undefined && this.ports.clock.now() - this.attempt.started > SETUP_STALE_MS;
    if (this.attempt && this.attempt.connection !== connection && !stale) return this.error(2, TLV_ERROR.Busy, 'another pair-setup is in progress');
    // M1 again on the same connection: the same M2, without another exponentiation.
    if (this.attempt?.connection === connection && this.attempt.expect === 3) {
      return encodeTlv([[TLV.State, 2], [TLV.Salt, this.attempt.salt], [TLV.PublicKey, this.attempt.srp.publicKey]]);
    }
    const { salt, verifier } = this.state.identity;
    const srp = new SrpServer(this.ports.crypto, salt, verifier, this.ports.random.bytes(32));
    this.attempt = { connection, srp, expect: 3, started: this.ports.clock.now(), salt };
    return encodeTlv([[TLV.State, 2], [TLV.Salt, salt], [TLV.PublicKey, srp.publicKey]]);
  }

  private m3(items: Map<number, Uint8Array>): Uint8Array {
    const attempt = this.attempt!;
    const A = items.get(TLV.PublicKey);
    const proof = items.get(TLV.Proof);
    if (!A || !proof) {
      this.attempt = undefined;
      return this.error(4, TLV_ERROR.Unknown, 'M3 without PublicKey or Proof');
    }
    const accessoryProof = attempt.srp.verify(A, proof);
    if (!accessoryProof) {
      this.failures++;
      this.attempt = undefined;
      return this.error(4, TLV_ERROR.Authentication, `wrong setup code (${this.failures} failed attempts)`);
    }
    attempt.expect = 5;
    return encodeTlv([[TLV.State, 4], [TLV.Proof, accessoryProof]]);
  }

  private m5(items: Map<number, Uint8Array>): Uint8Array {
    const { crypto } = this.ports;
    const K = this.attempt!.srp.sessionKey!;
    this.attempt = undefined; // M5 is the last try either way
    const key = crypto.hkdfSha512(K, enc('Pair-Setup-Encrypt-Salt'), enc('Pair-Setup-Encrypt-Info'), 32);
    const sealed = items.get(TLV.EncryptedData);
    const plain = sealed && crypto.chacha20Poly1305Open(key, textNonce('PS-Msg05'), sealed);
    if (!plain) return this.error(6, TLV_ERROR.Authentication, 'M5 does not decrypt');
    let sub: Map<number, Uint8Array>;
    try {
      sub = decodeTlv(plain);
    } catch {
      return this.error(6, TLV_ERROR.Authentication, 'M5 sub-TLV malformed');
    }
    const idBytes = sub.get(TLV.Identifier);
    const ltpk = sub.get(TLV.PublicKey);
    const signature = sub.get(TLV.Signature);
    if (!idBytes || idBytes.length === 0 || idBytes.length > 64 || !ltpk || ltpk.length !== 32 || !signature) {
      return this.error(6, TLV_ERROR.Authentication, 'M5 lacks the controller identifier, key or signature');
    }
    let id: string;
    try {
      id = utf8Decode(idBytes);
    } catch {
      return this.error(6, TLV_ERROR.Authentication, 'M5 identifier is not UTF-8');
    }
    const controllerX = crypto.hkdfSha512(K, enc('Pair-Setup-Controller-Sign-Salt'), enc('Pair-Setup-Controller-Sign-Info'), 32);
    if (!crypto.ed25519Verify(ltpk, concat(controllerX, idBytes, ltpk), signature)) {
      return this.error(6, TLV_ERROR.Authentication, 'M5 signature does not verify');
    }
    // Stored before the answer: a controller must never hold a pairing the accessory lost.
    try {
      if (!this.state.addPairing({ id, ltpk, admin: true })) return this.error(6, TLV_ERROR.MaxPeers, 'no room for another controller');
    } catch (e) {
      return this.error(6, TLV_ERROR.Unknown, `pairing not saved: ${(e as Error).message}`);
    }
    const { deviceId, ltsk, ltpk: ownLtpk } = this.state.identity;
    const accessoryX = crypto.hkdfSha512(K, enc('Pair-Setup-Accessory-Sign-Salt'), enc('Pair-Setup-Accessory-Sign-Info'), 32);
    const ownSignature = crypto.ed25519Sign(ltsk, concat(accessoryX, enc(deviceId), ownLtpk));
    const reply = encodeTlv([[TLV.Identifier, deviceId], [TLV.PublicKey, ownLtpk], [TLV.Signature, ownSignature]]);
    this.ports.log.info(`HomeKit: paired with controller ${id}`);
    this.onPaired(id);
    return encodeTlv([[TLV.State, 6], [TLV.EncryptedData, crypto.chacha20Poly1305Seal(key, textNonce('PS-Msg06'), reply)]]);
  }

  private error(state: number, code: number, why: string): Uint8Array {
    this.ports.log.warn(`HomeKit: pair-setup refused: ${why}`);
    return encodeTlv([[TLV.State, state], [TLV.Error, code]] as [number, TlvValue][]);
  }
}
