// SRP-6a as HAP uses it for pair-setup (RFC 5054 with the 3072-bit group, g = 5, SHA-512,
// username "Pair-Setup", the setup code "XXX-XX-XXX" as the password). Only the server
// side: the accessory holds a salt and verifier and proves it knows them.
//
// The four exponentiations mod N are the cost of pairing on a microcontroller: v = g^x is
// worked out once (when the setup code is set) and kept with the salt, so a pair-setup
// costs g^b for M2 and v^u, (A·v^u)^b for M4 (the HapCrypto port's modPow, native where
// the platform has it).

import type { HapCrypto } from '../host.js';
import { concat } from '../bytes/hex.js';
import { utf8Encode } from '../mqtt/utf8.js';
import { bigIntToBytes, bytesToBigInt } from '../bytes/bigint.js';
import { equalBytes } from '../bytes/bytes.js';

/** RFC 5054 appendix A, the 3072-bit group. */
const N_HEX =
  'FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD' +
  'EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED' +
  'EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F' +
  '83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B' +
  'E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510' +
  '15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7' +
  'ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C' +
  'BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF';

export const SRP_N = BigInt('0x' + N_HEX);
export const SRP_G = 5n;
/** Every SRP number on the wire is this long (A, B, S padded on the left). */
export const SRP_BYTES = 384;
export const SRP_USERNAME = 'Pair-Setup';

// Shared with the pure-JS HapCrypto's users: no string slicing, which XS makes quadratic.
export { bigIntToBytes, bytesToBigInt };

const pad = (n: bigint) => bigIntToBytes(n, SRP_BYTES);

/** x = H(salt | H(I | ":" | P)); v = g^x mod N. */
export function srpVerifier(crypto: HapCrypto, salt: Uint8Array, password: string, username = SRP_USERNAME): Uint8Array {
  const inner = crypto.sha512(utf8Encode(`${username}:${password}`));
  const x = bytesToBigInt(crypto.sha512(concat(salt, inner)));
  return pad(crypto.modPow(SRP_G, x, SRP_N));
}

/** One pair-setup's server side: B for M2, then the check of the controller's proof for M4. */
export class SrpServer {
  /** B, 384 bytes, as sent in M2. */
  readonly publicKey: Uint8Array;
  private readonly v: bigint;
  private readonly b: bigint;
  /** v^u for M4: through a table made here, in M2, where the platform has one (XS: ~3x faster). */
  private readonly vPow: (u: bigint) => bigint;
  /** The shared session key K = H(S), once the controller's proof verified. */
  sessionKey: Uint8Array | undefined;

  /** `secret`: 32 random bytes (b). */
  constructor(private readonly crypto: HapCrypto, private readonly salt: Uint8Array, verifier: Uint8Array, secret: Uint8Array,
    private readonly username = SRP_USERNAME) {
    this.v = bytesToBigInt(verifier);
    this.b = bytesToBigInt(secret);
    const k = bytesToBigInt(crypto.sha512(concat(pad(SRP_N), pad(SRP_G))));
    this.publicKey = pad((k * this.v + crypto.modPow(SRP_G, this.b, SRP_N)) % SRP_N);
    const v = this.v;
    this.vPow = crypto.fixedBasePow?.(v, SRP_N, 512) ?? ((u) => crypto.modPow(v, u, SRP_N));
  }

  /**
   * The controller's A and proof M1: the accessory's proof M2 when M1 is right, else
   * undefined (a wrong setup code). A ≡ 0 mod N is refused: it would make S = 0 whatever the code.
   */
  verify(clientPublicKey: Uint8Array, clientProof: Uint8Array): Uint8Array | undefined {
    const H = (data: Uint8Array) => this.crypto.sha512(data);
    const A = bytesToBigInt(clientPublicKey);
    if (A % SRP_N === 0n || clientPublicKey.length > SRP_BYTES) return undefined;
    const u = bytesToBigInt(H(concat(pad(A), this.publicKey)));
    if (u === 0n) return undefined;
    const S = this.crypto.modPow((A * this.vPow(u)) % SRP_N, this.b, SRP_N); // u is a SHA-512: 512 bits
    const K = H(pad(S));
    const hN = H(pad(SRP_N).subarray(0)); // H(N): N is exactly 384 bytes
    const hg = H(bigIntToBytes(SRP_G));
    const xor = new Uint8Array(hN.length);
    for (let i = 0; i < xor.length; i++) xor[i] = hN[i]! ^ hg[i]!;
    const expected = H(concat(xor, H(utf8Encode(this.username)), this.salt, clientPublicKey, this.publicKey, K));
    if (!equalBytes(expected, clientProof)) return undefined;
    this.sessionKey = K;
    return H(concat(clientPublicKey, clientProof, K));
  }
}
