// Pair-verify M1-M4 (HAP 5.7): a paired controller and the accessory agree on a fresh
// X25519 secret and prove their long-term Ed25519 keys over it; the session keys for the
// encrypted connection come from that secret. Per connection: its state lives with it.

import type { HapCrypto, Log } from '../host.js';
import { concat } from '../bytes/hex.js';
import { utf8Decode, utf8Encode } from '../mqtt/utf8.js';
import { textNonce } from './pair-setup.js';
import { sessionKeys, type SessionKeys } from './session.js';
import type { HomeKitState } from './state.js';
import { decodeTlv, encodeTlv, TLV, TLV_ERROR } from './tlv8.js';

const enc = (s: string) => utf8Encode(s);

/** What M1 leaves for M3 on the same connection. */
export interface VerifyPending {
  controllerPublic: Uint8Array;
  accessoryPublic: Uint8Array;
  shared: Uint8Array;
  key: Uint8Array;
}

export type VerifyResult =
  | { reply: Uint8Array; pending?: VerifyPending }
  /** M4 sent: from the next byte on the connection is encrypted with `keys`. */
  | { reply: Uint8Array; verified: { controllerId: string; keys: SessionKeys } };

export class PairVerify {
  constructor(private readonly ports: { crypto: HapCrypto; log: Log }, private readonly state: HomeKitState) {}

  handle(body: Uint8Array, pending: VerifyPending | undefined): VerifyResult {
    let items: Map<number, Uint8Array>;
    try {
      items = decodeTlv(body);
    } catch {
      return { reply: this.error(2, 'malformed TLV') };
    }
    const state = items.get(TLV.State);
    if (state?.length === 1 && state[0] === 1) return this.m1(items);
    if (state?.length === 1 && state[0] === 3 && pending) return this.m3(items, pending);
    return { reply: this.error(state?.length === 1 ? state[0]! + 1 : 2, 'unexpected message') };
  }

  private m1(items: Map<number, Uint8Array>): VerifyResult {
    const { crypto } = this.ports;
    const controllerPublic = items.get(TLV.PublicKey);
    if (!controllerPublic || controllerPublic.length !== 32) return { reply: this.error(2, 'M1 without a 32-byte public key') };
    const own = crypto.x25519KeyPair();
    let shared: Uint8Array;
    try {
      shared = crypto.x25519(own.privateKey, controllerPublic);
    } catch {
      return { reply: this.error(2, 'M1 public key unusable') };
    }
    const { deviceId, ltsk } = this.state.identity;
    const signature = crypto.ed25519Sign(ltsk, concat(own.publicKey, enc(deviceId), controllerPublic));
    const key = crypto.hkdfSha512(shared, enc('Pair-Verify-Encrypt-Salt'), enc('Pair-Verify-Encrypt-Info'), 32);
    const sealed = crypto.chacha20Poly1305Seal(key, textNonce('PV-Msg02'), encodeTlv([[TLV.Identifier, deviceId], [TLV.Signature, signature]]));
    return {
      reply: encodeTlv([[TLV.State, 2], [TLV.PublicKey, own.publicKey], [TLV.EncryptedData, sealed]]),
      pending: { controllerPublic, accessoryPublic: own.publicKey, shared, key },
    };
  }

  private m3(items: Map<number, Uint8Array>, pending: VerifyPending): VerifyResult {
    const { crypto } = this.ports;
    const sealed = items.get(TLV.EncryptedData);
    const plain = sealed && crypto.chacha20Poly1305Open(pending.key, textNonce('PV-Msg03'), sealed);
    if (!plain) return { reply: this.error(4, 'M3 does not decrypt') };
    let sub: Map<number, Uint8Array>;
    try {
      sub = decodeTlv(plain);
    } catch {
      return { reply: this.error(4, 'M3 sub-TLV malformed') };
    }
    const idBytes = sub.get(TLV.Identifier);
    const signature = sub.get(TLV.Signature);
    let id = '';
    try {
      id = idBytes ? utf8Decode(idBytes) : '';
    } catch {
      // not UTF-8: no such controller
    }
    const pairing = id ? this.state.pairing(id) : undefined;
    if (!pairing || !signature) return { reply: this.error(4, `unknown controller ${JSON.stringify(id.slice(0, 40))}`) };
    if (!crypto.ed25519Verify(pairing.ltpk, concat(pending.controllerPublic, idBytes!, pending.accessoryPublic), signature)) {
      return { reply: this.error(4, `controller ${id}: signature does not verify`) };
    }
    return { reply: encodeTlv([[TLV.State, 4]]), verified: { controllerId: id, keys: sessionKeys(crypto, pending.shared) } };
  }

  private error(state: number, why: string): Uint8Array {
    this.ports.log.warn(`HomeKit: pair-verify refused: ${why}`);
    return encodeTlv([[TLV.State, state], [TLV.Error, TLV_ERROR.Authentication]]);
  }
}
