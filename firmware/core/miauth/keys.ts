// The key schedule of Xiaomi's Mi authentication ("standard auth"), as the open clients
// (miauth, macbury/m365) and the activation pages (TelinkFlasher, pvvx) compute it;
// reference: xiaomi-auth-scooter.md §3–4, vectors §9 (test/miauth/vectors.test.ts).

import type { AesEncryptBlock, AuthCrypto } from '../host.js';
import { ccmEncrypt } from '../crypto/ccm.js';
import { concat as concatBytes } from '../bytes/bytes.js';
import { hkdfSha256, hmacSha256 } from '../crypto/sha256.js';

const ascii = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
const SETUP_INFO = ascii('mible-setup-info');
const LOGIN_INFO = ascii('mible-login-info');
const DID_NONCE = Uint8Array.of(0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b);
const DID_AAD = ascii('devID');

export const TOKEN_BYTES = 12;
export const DID_BYTES = 20;

/** What registration leaves: the token (login later) and the bind key (MiBeacon encryption). */
export interface Registration {
  token: Uint8Array;
  bindKey: Uint8Array;
  /** Encrypts the DID the app sends back (step 9). */
  didKey: Uint8Array;
}

/** okm = HKDF(ECDH secret, no salt, "mible-setup-info", 64): token ‖ bind key ‖ DID key. */
export function registrationKeys(sharedSecret: Uint8Array, crypto: AuthCrypto): Registration {
  const okm = hkdfSha256(sharedSecret, new Uint8Array(0), SETUP_INFO, 64, crypto.sha256);
  return { token: okm.slice(0, 12), bindKey: okm.slice(12, 28), didKey: okm.slice(28, 44) };
}

/** The 20-byte DID under the DID key: AES-CCM, fixed nonce, AAD "devID", 4-byte tag (24 bytes). */
export function encryptDid(aes: AesEncryptBlock, didKey: Uint8Array, did: Uint8Array): Uint8Array {
  return ccmEncrypt({ aes, key: didKey, nonce: DID_NONCE, aad: DID_AAD, tagLength: 4 }, did);
}

/** A logged-in session's keys; `counter` numbers the frames we send (uint32). */
export interface MiSession {
  devKey: Uint8Array;
  appKey: Uint8Array;
  devIv: Uint8Array;
  appIv: Uint8Array;
  counter: number;
}

export interface LoginKeys extends MiSession {
  /** What the device must have sent (HMAC(dev_key, dev_rand ‖ app_rand)). */
  expectedDeviceInfo: Uint8Array;
  /** What we send (HMAC(app_key, app_rand ‖ dev_rand)). */
  appInfo: Uint8Array;
}

/** okm = HKDF(token, app_rand ‖ dev_rand, "mible-login-info", 64) → keys, IVs and both proofs. */
export function loginKeys(token: Uint8Array, appRandom: Uint8Array, deviceRandom: Uint8Array, crypto: AuthCrypto): LoginKeys {
  const salt = concatBytes(appRandom, deviceRandom);
  const saltInverse = concatBytes(deviceRandom, appRandom);
  const okm = hkdfSha256(token, salt, LOGIN_INFO, 64, crypto.sha256);
  const devKey = okm.slice(0, 16);
  const appKey = okm.slice(16, 32);
  return {
    devKey, appKey, devIv: okm.slice(32, 36), appIv: okm.slice(36, 40), counter: 0,
    expectedDeviceInfo: hmacSha256(devKey, saltInverse, crypto.sha256),
    appInfo: hmacSha256(appKey, salt, crypto.sha256),
  };
}

/** Equal bytes, compared in full whatever the first difference (the login proof). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/**
 * A DID for a device that has none (a sensor never bound in Mi Home), as the activation
 * pages make one: 00 ‖ "blt.3.129v" ‖ 6 random alphanumerics ‖ "ATC" (20 bytes).
 */
export function inventDid(random: Uint8Array): Uint8Array {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let text = '';
  for (let i = 0; i < 6; i++) text += alphabet[random[i]! % alphabet.length];
  return concatBytes(Uint8Array.of(0), ascii(`blt.3.129v${text}ATC`));
}
