// NIST P-256 (secp256r1) for ECDH, portable: BigInt field arithmetic in Jacobian
// coordinates. Mi authentication does one key pair and one shared secret per
// registration (a few per device lifetime), so this is written to be checked, not fast.
// Not constant-time (BigInt never is): the keys it handles are ephemeral, made for one
// registration and dropped; the long-lived secret (the token) never goes through here.

import { bigIntToBytes, bytesToBigInt } from '../bytes/bigint.js';
import { plainModPow } from './modpow.js';

const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;
const GX = 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n;
const GY = 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n;

/** Jacobian point (X/Z², Y/Z³); Z = 0 is the point at infinity. */
type Point = [bigint, bigint, bigint];
const INFINITY: Point = [1n, 1n, 0n];

function mod(a: bigint): bigint {
  const r = a % P;
  return r < 0n ? r + P : r;
}

const power = (base: bigint, exponent: bigint): bigint => plainModPow(base, exponent, P);

/** Doubling for a = −3 (Bernstein–Lange dbl-2001-b). */
function double([x, y, z]: Point): Point {
  if (z === 0n || y === 0n) return INFINITY;
  const delta = (z * z) % P;
  const gamma = (y * y) % P;
  const beta = (x * gamma) % P;
  const alpha = mod(3n * mod(x - delta) * mod(x + delta));
  const x3 = mod(alpha * alpha - 8n * beta);
  const z3 = mod((y + z) * (y + z) - gamma - delta);
  const y3 = mod(alpha * mod(4n * beta - x3) - 8n * ((gamma * gamma) % P));
  return [x3, y3, z3];
}

/** General addition (add-2007-bl). */
function add(p1: Point, p2: Point): Point {
  if (p1[2] === 0n) return p2;
  if (p2[2] === 0n) return p1;
  const [x1, y1, z1] = p1;
  const [x2, y2, z2] = p2;
  const z1z1 = (z1 * z1) % P;
  const z2z2 = (z2 * z2) % P;
  const u1 = (x1 * z2z2) % P;
  const u2 = (x2 * z1z1) % P;
  const s1 = (((y1 * z2) % P) * z2z2) % P;
  const s2 = (((y2 * z1) % P) * z1z1) % P;
  const h = mod(u2 - u1);
  const r = mod(2n * (s2 - s1));
  if (h === 0n) return r === 0n ? double(p1) : INFINITY;
  const i = (4n * h * h) % P;
  const j = (h * i) % P;
  const v = (u1 * i) % P;
  const x3 = mod(r * r - j - 2n * v);
  const y3 = mod(r * (v - x3) - 2n * s1 * j);
  const z3 = mod(((z1 + z2) * (z1 + z2) - z1z1 - z2z2) * h);
  return [x3, y3, z3];
}

function multiply(k: bigint, point: Point): Point {
  let result = INFINITY;
  for (let bit = 255; bit >= 0; bit--) {
    result = double(result);
    if ((k >> BigInt(bit)) & 1n) result = add(result, point);
  }
  return result;
}

function toAffine([x, y, z]: Point): [bigint, bigint] {
  const zInv = power(z, P - 2n);
  const zInv2 = (zInv * zInv) % P;
  return [(x * zInv2) % P, (((y * zInv2) % P) * zInv) % P];
}

const toBigInt = bytesToBigInt;
const toBytes = (v: bigint, out: Uint8Array, at: number): void => out.set(bigIntToBytes(v, 32), at);

/** A usable private key: 32 bytes, 1 ≤ d < n. */
export function isP256PrivateKey(key: Uint8Array): boolean {
  if (key.length !== 32) return false;
  const d = toBigInt(key);
  return d > 0n && d < N;
}

function scalar(privateKey: Uint8Array): bigint {
  if (!isP256PrivateKey(privateKey)) throw new RangeError('P-256 private key must be 32 bytes in [1, n)');
  return toBigInt(privateKey);
}

/**
 * The peer's raw X‖Y (64 bytes) as a point, checked to lie on the curve: a point off the
 * curve (an invalid-curve attack, or just garbage from the radio) is refused.
 */
function peerPoint(publicKey: Uint8Array): Point {
  if (publicKey.length !== 64) throw new RangeError(`P-256 public key must be 64 bytes (X‖Y), got ${publicKey.length}`);
  const x = toBigInt(publicKey.subarray(0, 32));
  const y = toBigInt(publicKey.subarray(32));
  if (x >= P || y >= P) throw new RangeError('P-256 public key coordinate out of range');
  if (mod(y * y) !== mod(x * x * x - 3n * x + B)) throw new RangeError('P-256 public key is not on the curve');
  return [x, y, 1n];
}

/** The raw X‖Y public key (64 bytes, no 04 prefix: the form Mi authentication sends). */
export function p256PublicKey(privateKey: Uint8Array): Uint8Array {
  const [x, y] = toAffine(multiply(scalar(privateKey), [GX, GY, 1n]));
  const out = new Uint8Array(64);
  toBytes(x, out, 0);
  toBytes(y, out, 32);
  return out;
}

/** ECDH: the X coordinate of d·Q (32 bytes). Throws for a bad key or point. */
export function p256SharedSecret(privateKey: Uint8Array, peerPublicKey: Uint8Array): Uint8Array {
  const shared = multiply(scalar(privateKey), peerPoint(peerPublicKey));
  if (shared[2] === 0n) throw new RangeError('P-256 shared secret is the point at infinity');
  const out = new Uint8Array(32);
  toBytes(toAffine(shared)[0], out, 0);
  return out;
}
