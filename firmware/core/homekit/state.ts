// What HomeKit keeps on flash, each file saved atomically (store/atomic.ts) and checked
// again when read back (a hand edit or a half-written file is kept aside, never trusted):
// - hk-identity.json: the accessory's Device ID, its Ed25519 long-term key pair, the
//   user's setup code if set, and the SRP salt and verifier worked out from the code
//   (so a pair-setup does not pay for g^x);
// - hk-pairings.json: the paired controllers (identifier, Ed25519 public key, admin).
// The long-term secret key never leaves this module's file and is never logged.

import type { HapCrypto, Log, Random, Store } from '../host.js';
import { fromHex, toHex } from '../bytes/hex.js';
import { utf8Encode } from '../mqtt/utf8.js';
import { writeAtomic } from '../store/atomic.js';
import { keepAside } from '../store/read-text.js';
import { readJsonObject } from '../store/json-file.js';
import { setupCodeProblem } from './setup-code.js';
import { srpVerifier } from './srp.js';

export const IDENTITY_FILE = 'hk-identity.json';
export const PAIRINGS_FILE = 'hk-pairings.json';
/** Controllers remembered at once (HomeSpan keeps 16; iOS adds one per Home member). */
export const MAX_PAIRINGS = 16;
const MAX_FILE_BYTES = 8192;

export interface Identity {
  /** "XX:XX:XX:XX:XX:XX": the accessory's pairing identifier and the mDNS `id`. */
  deviceId: string;
  ltsk: Uint8Array;
  ltpk: Uint8Array;
  /** The code the user set (HKPin); undefined: the platform's default (Tasmota's rule from the MAC). */
  userCode?: string;
  /** The code the salt and verifier below were made for. */
  verifierCode: string;
  salt: Uint8Array;
  verifier: Uint8Array;
}

export interface Pairing {
  /** The controller's pairing identifier (iOS: a UUID string). */
  id: string;
  ltpk: Uint8Array;
  admin: boolean;
}

export interface StatePorts {
  store: Store;
  crypto: HapCrypto;
  random: Random;
  log: Log;
}

/** The stored JSON of `name`, or undefined (absent, or bad: then kept aside and logged). */
function readJson(ports: StatePorts, name: string): Record<string, unknown> | undefined {
  const { value, problems } = readJsonObject(ports.store, name, MAX_FILE_BYTES, 3, '');
  for (const p of problems) ports.log.warn(`HomeKit: ${p}`);
  return value;
}

function hexField(raw: Record<string, unknown>, key: string, length: number): Uint8Array | undefined {
  const v = raw[key];
  const bytes = typeof v === 'string' ? fromHex(v) : undefined;
  return bytes && bytes.length === length ? bytes : undefined;
}

const DEVICE_ID = /^[0-9A-F]{2}(:[0-9A-F]{2}){5}$/;

/**
 * The Device ID from the gateway's MAC, stable across restarts: 6 bytes of
 * SHA-512("mi32-hap" | MAC | generation), locally administered. HKReset moves the
 * generation on, so iOS meets a new accessory instead of a stale cached one.
 */
export function deviceIdFor(crypto: HapCrypto, mac: string, generation: number): string {
  const digest = crypto.sha512(utf8Encode(`mi32-hap|${mac.toUpperCase()}|${generation}`));
  const bytes = digest.subarray(0, 6);
  bytes[0] = (bytes[0]! | 0x02) & 0xfe;
  return [...bytes].map((b) => (b < 16 ? '0' : '') + b.toString(16).toUpperCase()).join(':');
}

export class HomeKitState {
  identity!: Identity;
  generation = 0;
  readonly pairings: Pairing[] = [];

  constructor(private readonly ports: StatePorts, private readonly mac: string, private readonly defaultCode: string) {}

  /** Read both files, making (and saving) a new identity when there is none or it is unusable. */
  load(): void {
    this.loadIdentity();
    this.loadPairings();
  }

  get setupCode(): string {
    return this.identity.userCode ?? this.defaultCode;
  }

  get paired(): boolean {
    return this.pairings.length > 0;
  }

  pairing(id: string): Pairing | undefined {
    return this.pairings.find((p) => p.id === id);
  }

  /** Set (or with undefined: go back to the default) the setup code; saved before it applies. Throws StoreWriteError. */
  setSetupCode(code: string | undefined): void {
    const problem = code === undefined ? undefined : setupCodeProblem(code);
    if (problem) throw new Error(problem);
    const next: Identity = { ...this.identity };
    if (code === undefined) delete next.userCode;
    else next.userCode = code;
    this.withVerifier(next);
    this.saveIdentity(next);
    this.identity = next;
  }

  /** Add or update a pairing; false when the table is full. Throws StoreWriteError (nothing changed). */
  addPairing(pairing: Pairing): boolean {
    const next = this.pairings.filter((p) => p.id !== pairing.id);
    if (next.length >= MAX_PAIRINGS) return false;
    next.push(pairing);
    this.savePairings(next);
    this.pairings.splice(0, this.pairings.length, ...next);
    return true;
  }

  removePairing(id: string): void {
    let next = this.pairings.filter((p) => p.id !== id);
    // The last admin gone: the accessory is unpaired and forgets every controller (HAP 5.12).
    if (!next.some((p) => p.admin)) next = [];
    this.savePairings(next);
    this.pairings.splice(0, this.pairings.length, ...next);
  }

  /** HKReset: every pairing forgotten and a new Device ID, as a factory reset (the setup code stays). */
  reset(): void {
    this.savePairings([]);
    this.pairings.length = 0;
    this.generation++;
    const next = this.newIdentity(this.identity.userCode);
    this.saveIdentity(next);
    this.identity = next;
  }

  private loadIdentity(): void {
    const raw = readJson(this.ports, IDENTITY_FILE);
    const generation = raw && Number.isInteger(raw.generation) && (raw.generation as number) >= 0 ? raw.generation as number : 0;
    const deviceId = raw && typeof raw.deviceId === 'string' && DEVICE_ID.test(raw.deviceId) ? raw.deviceId : undefined;
    const ltsk = raw && hexField(raw, 'ltsk', 32);
    const ltpk = raw && hexField(raw, 'ltpk', 32);
    const userCode = raw && typeof raw.userCode === 'string' && !setupCodeProblem(raw.userCode) ? raw.userCode : undefined;
    if (raw && raw.userCode !== undefined && userCode === undefined) this.ports.log.warn(`HomeKit: ${IDENTITY_FILE}: the stored setup code is not valid; using the default`);
    this.generation = generation;
    if (!raw || !deviceId || !ltsk || !ltpk) {
      if (raw) this.ports.log.warn(`HomeKit: ${IDENTITY_FILE} lacks a usable identity; ${keepAside(this.ports.store, IDENTITY_FILE)}; a new one is made (controllers must pair again)`);
      const fresh = this.newIdentity(userCode);
      this.saveIdentity(fresh);
      this.identity = fresh;
      return;
    }
    const salt = hexField(raw, 'salt', 16);
    const verifier = hexField(raw, 'verifier', 384);
    const identity: Identity = { deviceId, ltsk, ltpk, ...(userCode ? { userCode } : {}), verifierCode: '', salt: salt ?? new Uint8Array(16), verifier: verifier ?? new Uint8Array(0) };
    const code = userCode ?? this.defaultCode;
    if (salt && verifier && raw.verifierCode === code) {
      identity.verifierCode = code;
    } else {
      // The code changed (a new default, a hand edit): a new verifier, worked out once and kept.
      this.withVerifier(identity);
      this.saveIdentity(identity);
    }
    this.identity = identity;
  }

  private newIdentity(userCode: string | undefined): Identity {
    const keys = this.ports.crypto.ed25519KeyPair();
    const identity: Identity = {
      deviceId: deviceIdFor(this.ports.crypto, this.mac, this.generation),
      ltsk: keys.privateKey, ltpk: keys.publicKey, ...(userCode ? { userCode } : {}),
      verifierCode: '', salt: new Uint8Array(16), verifier: new Uint8Array(0),
    };
    this.withVerifier(identity);
    return identity;
  }

  /** A fresh salt and the verifier for the identity's current code. */
  private withVerifier(identity: Identity): void {
    const code = identity.userCode ?? this.defaultCode;
    identity.salt = this.ports.random.bytes(16);
    identity.verifier = srpVerifier(this.ports.crypto, identity.salt, code);
    identity.verifierCode = code;
  }

  private saveIdentity(identity: Identity): void {
    const json = {
      generation: this.generation, deviceId: identity.deviceId, ltsk: toHex(identity.ltsk), ltpk: toHex(identity.ltpk),
      ...(identity.userCode ? { userCode: identity.userCode } : {}),
      verifierCode: identity.verifierCode, salt: toHex(identity.salt), verifier: toHex(identity.verifier),
    };
    writeAtomic(this.ports.store, IDENTITY_FILE, utf8Encode(JSON.stringify(json)));
  }

  private loadPairings(): void {
    const raw = readJson(this.ports, PAIRINGS_FILE);
    this.pairings.length = 0;
    if (!raw) return;
    const list = Array.isArray(raw.pairings) ? raw.pairings as unknown[] : [];
    let dropped = 0;
    for (const item of list.slice(0, MAX_PAIRINGS)) {
      const p = item as Record<string, unknown>;
      const ltpk = p && typeof p === 'object' ? hexField(p, 'ltpk', 32) : undefined;
      if (!ltpk || typeof p.id !== 'string' || p.id.length === 0 || p.id.length > 64 || this.pairing(p.id)) {
        dropped++;
        continue;
      }
      this.pairings.push({ id: p.id, ltpk, admin: p.admin === true });
    }
    dropped += Math.max(0, list.length - MAX_PAIRINGS);
    if (dropped) this.ports.log.warn(`HomeKit: ${PAIRINGS_FILE}: ${dropped} unusable pairing(s) left out`);
  }

  private savePairings(pairings: Pairing[]): void {
    const json = { pairings: pairings.map((p) => ({ id: p.id, ltpk: toHex(p.ltpk), admin: p.admin })) };
    writeAtomic(this.ports.store, PAIRINGS_FILE, utf8Encode(JSON.stringify(json)));
  }
}
