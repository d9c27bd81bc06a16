// The pure-JS HapCrypto (firmware/crypto-js, what the device and xsnap run) against
// node:crypto and the RFC vectors: same outputs for the same inputs, and hostile input
// (bad tags, short frames, keys that do not decode) refused without a throw where the
// port promises it.
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createPureHapCrypto, type HapNatives } from '../../firmware/crypto-js/hap-crypto.js';
import { modPow, montgomery, plainModPow } from '../../firmware/core/crypto/modpow.js';
import { bigIntToBytes, bytesToBigInt } from '../../firmware/core/bytes/bigint.js';
import type { Random } from '../../firmware/core/host.js';
import { SrpServer, srpVerifier } from '../../firmware/core/homekit/srp.js';
import { SRP, SrpClient } from 'fast-srp-hap';

const hex = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** A Random that hands out the given 32-byte seeds in turn. */
const fixedRandom = (...seeds: Uint8Array[]): Random => ({ bytes: () => seeds.shift()!.slice() });
const nodeRandom: Random = { bytes: (n) => Uint8Array.from(crypto.randomBytes(n)) };

// Node's view of raw 25519 keys (PKCS#8 DER prefixes for a 32-byte seed).
const ED_PKCS8 = hex('302e020100300506032b657004220420');
const X_PKCS8 = hex('302e020100300506032b656e04220420');
const nodeKey = (prefix: Uint8Array, seed: Uint8Array) => crypto.createPrivateKey({ key: Buffer.concat([prefix, seed]), format: 'der', type: 'pkcs8' });
const rawPublic = (key: crypto.KeyObject) => Uint8Array.from(Buffer.from(crypto.createPublicKey(key).export({ format: 'jwk' }).x!, 'base64url'));
const edPublicKey = (raw: Uint8Array) => crypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' });
const xPublicKey = (raw: Uint8Array) => crypto.createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' });

/** The device's natives, played by Node: SHA-512 and the raw ChaCha20 stream (16-byte IV = LE counter + nonce). */
const nodeNatives: HapNatives = {
  sha512: (data) => Uint8Array.from(crypto.createHash('sha512').update(data).digest()),
  chacha20: (key, nonce, data, counter) => {
    const iv = Buffer.alloc(16);
    iv.writeUInt32LE(counter, 0);
    iv.set(nonce, 4);
    return Uint8Array.from(crypto.createCipheriv('chacha20', key, iv).update(data));
  },
};

const variants = [
  ['noble only', createPureHapCrypto(nodeRandom)],
  ['with native SHA-512 and ChaCha20', createPureHapCrypto(nodeRandom, nodeNatives)],
] as const;

describe.each(variants)('pure-JS HapCrypto (%s)', (_name, hc) => {
  it('SHA-512 matches node:crypto (empty, one block, several blocks)', () => {
    for (const n of [0, 3, 111, 112, 127, 128, 129, 1000]) {
      const data = Uint8Array.from(crypto.randomBytes(n));
      expect(toHex(hc.sha512(data))).toBe(crypto.createHash('sha512').update(data).digest('hex'));
    }
  });

  it('HKDF-SHA-512 matches node:crypto for HAP\'s salts and lengths, and long keys and outputs', () => {
    const cases: Array<[number, string, string, number]> = [
      [384, 'Pair-Setup-Encrypt-Salt', 'Pair-Setup-Encrypt-Info', 32],
      [32, 'Control-Salt', 'Control-Read-Encryption-Key', 32],
      [64, '', '', 64],
      [200, 'a salt longer than one SHA-512 block, a salt longer than one SHA-512 block, a salt longer than one SHA-512 block, x', 'info', 300],
    ];
    for (const [ikmBytes, salt, info, length] of cases) {
      const ikm = Uint8Array.from(crypto.randomBytes(ikmBytes));
      const want = Buffer.from(crypto.hkdfSync('sha512', ikm, Buffer.from(salt), Buffer.from(info), length));
      expect(toHex(hc.hkdfSha512(ikm, new TextEncoder().encode(salt), new TextEncoder().encode(info), length))).toBe(want.toString('hex'));
    }
    expect(() => hc.hkdfSha512(new Uint8Array(1), new Uint8Array(0), new Uint8Array(0), 255 * 64 + 1)).toThrow(RangeError);
  });

  it('ChaCha20-Poly1305: the RFC 8439 §2.8.2 tag, node:crypto\'s bytes, and a HAP session frame', () => {
    const key = hex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');
    const nonce = hex('070000004041424344454647');
    const aad = hex('50515253c0c1c2c3c4c5c6c7');
    const plaintext = new TextEncoder().encode("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");
    const sealed = hc.chacha20Poly1305Seal(key, nonce, plaintext, aad);
    expect(toHex(sealed.subarray(0, 16))).toBe('d31a8d34648e60db7b86afbc53ef7ec2');
    expect(toHex(sealed.subarray(-16))).toBe('1ae10b594f09e26a7e902ecbd0600691');
    const cipher = crypto.createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
    cipher.setAAD(aad, { plaintextLength: plaintext.length });
    const want = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    expect(toHex(sealed)).toBe(want.toString('hex'));
    expect(hc.chacha20Poly1305Open(key, nonce, sealed, aad)).toEqual(plaintext);

    // A session frame: 1024 bytes, the 2-byte length as AAD, a 64-bit LE counter nonce, no AAD for pair-setup.
    const frame = Uint8Array.from(crypto.randomBytes(1024));
    const frameNonce = hex('000000000700000000000000');
    const lengthAad = Uint8Array.of(0x00, 0x04);
    const sealedFrame = hc.chacha20Poly1305Seal(key, frameNonce, frame, lengthAad);
    const c2 = crypto.createCipheriv('chacha20-poly1305', key, frameNonce, { authTagLength: 16 });
    c2.setAAD(lengthAad, { plaintextLength: frame.length });
    expect(toHex(sealedFrame)).toBe(Buffer.concat([c2.update(frame), c2.final(), c2.getAuthTag()]).toString('hex'));
    const noAad = hc.chacha20Poly1305Seal(key, new TextEncoder().encode('\0\0\0\0PS-Msg05'), frame.subarray(0, 100));
    expect(hc.chacha20Poly1305Open(key, new TextEncoder().encode('\0\0\0\0PS-Msg05'), noAad)).toEqual(frame.subarray(0, 100));
  });

  it('ChaCha20-Poly1305 open refuses a flipped bit, a wrong AAD, a wrong nonce and a frame shorter than a tag', () => {
    const key = Uint8Array.from(crypto.randomBytes(32));
    const nonce = Uint8Array.from(crypto.randomBytes(12));
    const sealed = hc.chacha20Poly1305Seal(key, nonce, new TextEncoder().encode('{"characteristics":[]}'), Uint8Array.of(22, 0));
    for (const at of [0, 5, sealed.length - 1]) {
      const bad = sealed.slice();
      bad[at] ^= 1;
      expect(hc.chacha20Poly1305Open(key, nonce, bad, Uint8Array.of(22, 0))).toBeUndefined();
    }
    expect(hc.chacha20Poly1305Open(key, nonce, sealed, Uint8Array.of(23, 0))).toBeUndefined();
    expect(hc.chacha20Poly1305Open(key, Uint8Array.from(crypto.randomBytes(12)), sealed, Uint8Array.of(22, 0))).toBeUndefined();
    expect(hc.chacha20Poly1305Open(key, nonce, sealed.subarray(0, 15))).toBeUndefined();
    expect(hc.chacha20Poly1305Open(key, nonce, new Uint8Array(0))).toBeUndefined();
    // An empty plaintext seals to a bare tag, and opens again.
    expect(hc.chacha20Poly1305Open(key, nonce, hc.chacha20Poly1305Seal(key, nonce, new Uint8Array(0)))).toEqual(new Uint8Array(0));
  });

  it('Ed25519: RFC 8032 §7.1 tests 1 and 2, and node:crypto verifies what it signs (and the reverse)', () => {
    const vectors = [
      ['9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', '',
        'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b'],
      ['4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb', '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c', '72',
        '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00'],
    ];
    for (const [secret, pub, msg, sig] of vectors) {
      const pair = createPureHapCrypto(fixedRandom(hex(secret))).ed25519KeyPair();
      expect(toHex(pair.publicKey)).toBe(pub);
      expect(toHex(pair.privateKey)).toBe(secret);
      expect(toHex(hc.ed25519Sign(hex(secret), hex(msg)))).toBe(sig);
      expect(hc.ed25519Verify(hex(pub), hex(msg), hex(sig))).toBe(true);
    }
    const seed = Uint8Array.from(crypto.randomBytes(32));
    const message = Uint8Array.from(crypto.randomBytes(100));
    const nodePriv = nodeKey(ED_PKCS8, seed);
    const pub = rawPublic(nodePriv);
    const ours = hc.ed25519Sign(seed, message);
    expect(toHex(ours)).toBe(crypto.sign(null, message, nodePriv).toString('hex'));
    expect(crypto.verify(null, message, edPublicKey(pub), ours)).toBe(true);
    expect(hc.ed25519Verify(pub, message, Uint8Array.from(crypto.sign(null, message, nodePriv)))).toBe(true);
  });

  it('Ed25519 signatures stay right when the key changes between calls (the expanded key is cached)', () => {
    const keys = [Uint8Array.from(crypto.randomBytes(32)), Uint8Array.from(crypto.randomBytes(32))];
    for (const i of [0, 1, 0, 0, 1]) {
      const message = Uint8Array.from(crypto.randomBytes(50));
      expect(toHex(hc.ed25519Sign(keys[i], message))).toBe(crypto.sign(null, message, nodeKey(ED_PKCS8, keys[i])).toString('hex'));
    }
    expect(() => hc.ed25519Sign(new Uint8Array(31), new Uint8Array(1))).toThrow(/32 bytes/);
  });

  it('Ed25519 verify says false, without throwing, for a wrong message, flipped signature, bad lengths and a key that does not decode', () => {
    const { publicKey, privateKey } = hc.ed25519KeyPair();
    const message = new TextEncoder().encode('Pair-Verify');
    const sig = hc.ed25519Sign(privateKey, message);
    expect(hc.ed25519Verify(publicKey, message, sig)).toBe(true);
    expect(hc.ed25519Verify(publicKey, new TextEncoder().encode('Pair-Verifz'), sig)).toBe(false);
    const flipped = sig.slice();
    flipped[40] ^= 0x10;
    expect(hc.ed25519Verify(publicKey, message, flipped)).toBe(false);
    expect(hc.ed25519Verify(publicKey, message, sig.subarray(0, 63))).toBe(false);
    expect(hc.ed25519Verify(publicKey.subarray(0, 31), message, sig)).toBe(false);
    // y = 2 is not on the curve: the key does not decode.
    const notAPoint = new Uint8Array(32);
    notAPoint[0] = 2;
    expect(hc.ed25519Verify(notAPoint, message, sig)).toBe(false);
    expect(hc.ed25519Verify(new Uint8Array(32).fill(0xff), message, sig)).toBe(false);
  });

  it('X25519: RFC 7748 §5.2 and §6.1, and node:crypto derives the same shared secret', () => {
    expect(toHex(hc.x25519(hex('a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4'), hex('e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c'))))
      .toBe('c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552');
    const alice = createPureHapCrypto(fixedRandom(hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'))).x25519KeyPair();
    const bob = createPureHapCrypto(fixedRandom(hex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb'))).x25519KeyPair();
    expect(toHex(alice.publicKey)).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    expect(toHex(bob.publicKey)).toBe('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    const shared = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';
    expect(toHex(hc.x25519(alice.privateKey, bob.publicKey))).toBe(shared);
    expect(toHex(hc.x25519(bob.privateKey, alice.publicKey))).toBe(shared);

    const ours = hc.x25519KeyPair();
    const theirs = nodeKey(X_PKCS8, Uint8Array.from(crypto.randomBytes(32)));
    const nodeShared = crypto.diffieHellman({ privateKey: theirs, publicKey: xPublicKey(ours.publicKey) });
    expect(toHex(hc.x25519(ours.privateKey, rawPublic(theirs)))).toBe(nodeShared.toString('hex'));
  });

  it('X25519 refuses a low-order public key (the all-zero shared secret) by throwing', () => {
    const { privateKey } = hc.x25519KeyPair();
    expect(() => hc.x25519(privateKey, new Uint8Array(32))).toThrow();
  });

  it('key pairs come from the Random port\'s bytes, and a short answer from the port is refused', () => {
    const seed = Uint8Array.from(crypto.randomBytes(32));
    const a = createPureHapCrypto(fixedRandom(seed.slice())).ed25519KeyPair();
    const b = createPureHapCrypto(fixedRandom(seed.slice())).ed25519KeyPair();
    expect(a).toEqual(b);
    expect(() => createPureHapCrypto({ bytes: () => new Uint8Array(16) }).x25519KeyPair()).toThrow(/wrong number of bytes/);
  });
});

describe('modPow (Montgomery, 5-bit sliding window) for SRP\'s 3072-bit group', () => {
  // RFC 5054 appendix A, 3072-bit group (g = 5): the group HAP's pair-setup uses.
  const N = BigInt('0x' + (
    'FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD' +
    'EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED' +
    'EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F' +
    '83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B' +
    'E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510' +
    '15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7' +
    'ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C' +
    'BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF'));
  const big = (bytes: number) => BigInt('0x' + crypto.randomBytes(bytes).toString('hex'));
  /**
   * OpenSSL's 5^exponent mod N: a DH key with SRP's generator, its private key set. One
   * object for all exponents: creating it checks the prime (about 1.5 s).
   */
  const toBuffer = (x: bigint) => {
    const h = x.toString(16);
    return Buffer.from(h.length % 2 ? '0' + h : h, 'hex');
  };
  let dh: crypto.DiffieHellman | undefined;
  const opensslPow5 = (exponent: bigint) => {
    dh ??= crypto.createDiffieHellman(toBuffer(N), Buffer.of(5));
    dh.setPrivateKey(toBuffer(exponent));
    dh.generateKeys();
    return BigInt('0x' + dh.getPublicKey('hex'));
  };

  it('is RFC 3526 group 15\'s prime, and agrees with OpenSSL on g^e for exponents the size of b, u and x', () => {
    expect(BigInt('0x' + crypto.getDiffieHellman('modp15').getPrime('hex'))).toBe(N);
    for (const bytes of [32, 64, 384]) {
      const e = big(bytes);
      expect(modPow(5n, e, N)).toBe(opensslPow5(e));
    }
    const base = big(384) % N;
    const e = big(64);
    expect(modPow(base, e, N)).toBe(plainModPow(base, e, N));
  });

  it('agrees with plain square-and-multiply on edge cases', () => {
    const m = montgomery(N);
    for (const [b, e] of [[0n, 5n], [1n, 12345n], [N - 1n, 3n], [N + 7n, 65537n], [2n, 1n], [3n, 0n], [-4n, 3n], [big(400), big(20)]] as const) {
      expect(m.pow(b, e)).toBe(plainModPow(b, e, N));
    }
    expect(modPow(7n, 10n, 1000n)).toBe(plainModPow(7n, 10n, 1000n)); // even modulus: the plain path
    expect(modPow(7n, 560n, 561n)).toBe(1n); // a Carmichael number: odd, small
    expect(() => montgomery(10n)).toThrow(RangeError);
    expect(() => modPow(2n, -1n, N)).toThrow(RangeError);
  });
});

describe('bigIntToBytes / bytesToBigInt (SRP\'s PAD and its numbers)', () => {
  it('round-trips, pads on the left, strips leading zeros without a length', () => {
    for (const n of [1, 3, 4, 5, 31, 32, 33, 383, 384]) {
      const bytes = Uint8Array.from(crypto.randomBytes(n));
      bytes[0] |= 1;
      const x = bytesToBigInt(bytes);
      expect(x).toBe(BigInt('0x' + Buffer.from(bytes).toString('hex')));
      expect(bigIntToBytes(x)).toEqual(bytes);
      expect(toHex(bigIntToBytes(x, 384))).toBe(Buffer.from(bytes).toString('hex').padStart(768, '0'));
    }
    expect(bytesToBigInt(new Uint8Array(0))).toBe(0n);
    expect(bytesToBigInt(Uint8Array.of(0, 0, 5))).toBe(5n);
    expect(bigIntToBytes(0n)).toEqual(new Uint8Array(0));
    expect(bigIntToBytes(0n, 3)).toEqual(new Uint8Array(3));
    expect(bigIntToBytes(5n)).toEqual(Uint8Array.of(5));
    expect(bigIntToBytes(0x1_0000_0000n)).toEqual(Uint8Array.of(1, 0, 0, 0, 0));
  });

  it('refuses a negative value and one longer than the length asked for', () => {
    expect(() => bigIntToBytes(-1n)).toThrow(RangeError);
    expect(() => bigIntToBytes(1n << 3072n, 384)).toThrow(/385 bytes/);
  });
});

describe('fixed-base comb (SRP\'s v^u with v fixed)', () => {
  const N = BigInt('0x' + crypto.getDiffieHellman('modp15').getPrime('hex'));
  const big = (bytes: number) => BigInt('0x' + crypto.randomBytes(bytes).toString('hex'));

  it('agrees with plain square-and-multiply for exponents up to its size, and past it (falls back)', () => {
    const m = montgomery(N);
    const v = big(384) % N;
    const vPow = m.fixedBase(v, 512);
    for (const e of [0n, 1n, 2n, 3n, 15n, 16n, big(64), big(64), (1n << 512n) - 1n, 1n << 511n, big(65), big(300)]) {
      expect(vPow(e), `e=${e.toString(16).slice(0, 16)}`).toBe(plainModPow(v, e, N));
    }
    expect(m.fixedBase(5n, 1)(1n)).toBe(5n);
    expect(() => vPow(-1n)).toThrow(RangeError);
  });
});

describe('the core\'s SRP server over the pure-JS HapCrypto (v^u through the fixed-base table)', () => {
  const hc = createPureHapCrypto(nodeRandom);
  const password = '031-45-154';

  it('a fast-srp-hap client with the right code is accepted and agrees on K and M2; a wrong code is refused', () => {
    for (const [code, accepted] of [[password, true], ['031-45-155', false]] as const) {
      const salt = crypto.randomBytes(16);
      const server = new SrpServer(hc, salt, srpVerifier(hc, salt, password), Uint8Array.from(crypto.randomBytes(32)));
      const client = new SrpClient(SRP.params.hap, salt, Buffer.from('Pair-Setup'), Buffer.from(code), crypto.randomBytes(32), true);
      client.setB(Buffer.from(server.publicKey));
      const m2 = server.verify(Uint8Array.from(client.computeA()), Uint8Array.from(client.computeM1()));
      expect(m2 !== undefined, code).toBe(accepted);
      if (accepted) {
        expect(() => client.checkM2(Buffer.from(m2!))).not.toThrow();
        expect(toHex(server.sessionKey!)).toBe(client.computeK().toString('hex'));
      }
    }
  });
});
