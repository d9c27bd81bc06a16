// Mi authentication against the reference's test vectors (xiaomi-auth-scooter.md §9),
// on both the portable crypto (what the device and XS run) and node:crypto.
import { describe, expect, it } from 'vitest';
import { createHash, createHmac, hkdfSync, randomBytes, createECDH } from 'node:crypto';
import { fromHex, toHex } from '../../firmware/core/bytes/hex.js';
import { PORTABLE_AUTH_CRYPTO } from '../../firmware/core/crypto/auth-crypto.js';
import { hkdfSha256, hmacSha256, sha256 } from '../../firmware/core/crypto/sha256.js';
import { encryptDid, loginKeys, registrationKeys } from '../../firmware/core/miauth/keys.js';
import { decryptFrame, encryptFrame, plainFrame, uartChecksum, UartReassembler } from '../../firmware/core/miauth/uart.js';
import { createNodeAes, createNodeAuthCrypto } from '../../host-sim/crypto.js';

const h = (text: string) => fromHex(text)!;
const ascii = (t: string) => new TextEncoder().encode(t);
const aes = createNodeAes();
const CRYPTOS = { portable: PORTABLE_AUTH_CRYPTO, node: createNodeAuthCrypto() };

describe.each(Object.entries(CRYPTOS))('Mi auth vectors (%s crypto)', (_name, crypto) => {
  it('V1/V2: P-256 public key and ECDH', () => {
    const d = h('555610d6677f6309a23af6188ca933a36e8cc7cf28791afa3cd809adfc75584e');
    const pub = crypto.p256PublicKey(d);
    expect(toHex(pub)).toBe('b5dca0aec31a8932d0f53cbcbcf0cfdd833c355cada1025cc076e013439ddec2b4017b546a11d79a758db9d015a2ed8926cf82179b593679187d623b5e430fca');
    expect(toHex(crypto.p256SharedSecret(d, pub))).toBe('70b646a735a72e56845aaf83777463fac250b6da0e864526b312a7e56b5c0f36');
  });

  it('V6: full registration (shared secret, token, bind key, DID)', () => {
    const d = h('6b243de1b1cfee581130b070c635c8957ac56f0c2c3d40b1af8732d6cd6ec183');
    expect(toHex(crypto.p256PublicKey(d))).toBe('4925e4cf05129fa65116a4a324fc86eefd4cd176717f0938ccbd2387fd52d0efd85162c20c0fcc72ca85a8b18f61ef980a70e1a6e7ff15f5289881ee59b8f4af');
    const secret = crypto.p256SharedSecret(d, h('2afe2a8c1c56e5e70721665cd20d017273111ecaeceb1e4d641e7b7a122a9c3041e5cbc962eefbdb155ffd95847a0d8762803291fc2866c5672ceee0e77d77fc'));
    expect(toHex(secret)).toBe('fac3a6fd591dcea21f9f4fefe297804f49291527ae818b285f4a75a6fab72af8');
    const keys = registrationKeys(secret, crypto);
    expect(toHex(keys.token)).toBe('0cf5615003810d89c233a12a');
    expect(toHex(keys.bindKey)).toBe('8fc5100e31299d80c4c290dc7d33f19e');
    expect(toHex(keys.didKey)).toBe('c42ea48a95c5544f105fe7ebb8b39233');
    const did = h('0100000000626c742e342e31386e35383236366b67673030').slice(4);
    expect(toHex(encryptDid(aes, keys.didKey, did))).toBe('646735cc7a96373aabbd93afa089bb6cd2d080302101007a');
  });

  it('V7: login keys and both proofs', () => {
    const k = loginKeys(h('0cf5615003810d89c233a12a'), h('a8699783c1f03c7b73a046cdb613a9bf'), h('90fdec0ece05016d7f116b50fca4b4bf'), crypto);
    expect([toHex(k.devKey), toHex(k.appKey), toHex(k.devIv), toHex(k.appIv)]).toEqual(['3c2fdae69f8746663a7d91029724b072', '12a4122dbe3cf60f3bdcb37139c34611', 'cd016050', 'c87de6f1']);
    expect(toHex(k.expectedDeviceInfo)).toBe('471467ea7ed6064f8dd72f416c079dcb3bb78e3c94a51e97b98ef7623a7798e5');
    expect(toHex(k.appInfo)).toBe('bbb99b6a6f1ae419e3b13db93514f3e12a1843033f276392eea99068affca753');
  });

  it('refuses a public key off the curve or of the wrong length', () => {
    const d = h('555610d6677f6309a23af6188ca933a36e8cc7cf28791afa3cd809adfc75584e');
    const bad = crypto.p256PublicKey(d).slice();
    bad[63] ^= 1;
    expect(() => crypto.p256SharedSecret(d, bad)).toThrow();
    expect(() => crypto.p256SharedSecret(d, bad.slice(0, 63))).toThrow();
  });
});

describe('portable hashes against node:crypto', () => {
  it('V3/V4: HKDF and HMAC vectors', () => {
    const ikm = h('5a3d987d45f6484aff82ffde1e9105b7f6cc79fa7467f12c5855ad9e3f1d8f2f');
    expect(toHex(hkdfSha256(ikm, h('01020304'), ascii('mible-login-info'), 64))).toBe('40ccc0ee058c3a1d37c08e6f72bc2c57c0a406aaa801a0b1b72f22c8c3ec930d3f151e2eb38a2303d8625a18084daa15667496dcfbc53ba3074ce35d6c90d987');
    expect(toHex(hkdfSha256(ikm, new Uint8Array(0), ascii('mible-setup-info'), 64))).toBe('104ec0eda032b6d213c245359e585d3bfd4b7c5d683c99f49fd86aaf0de0f6b0bfafb897e3b3727aaa8f8ad6b21a737c1d85c3aae340969f268d2d95ca8848c1');
    expect(toHex(hmacSha256(h('E2B274F08128A62A9575288BED169B3E'), h('01020304')))).toBe('235d7f910974acb594d76a1652a856ce4f269e3060d7c8512e94b2da345d3083');
  });

  it('SHA-256, HMAC and HKDF agree with OpenSSL on random inputs of every padding length', () => {
    for (let len = 0; len < 200; len += 7) {
      const data = new Uint8Array(randomBytes(len));
      const key = new Uint8Array(randomBytes((len * 3) % 90));
      expect(toHex(sha256(data))).toBe(createHash('sha256').update(data).digest('hex'));
      expect(toHex(hmacSha256(key, data))).toBe(createHmac('sha256', key).update(data).digest('hex'));
      expect(toHex(hkdfSha256(data, key, ascii('x'), 64))).toBe(Buffer.from(hkdfSync('sha256', data, key, 'x', 64)).toString('hex'));
    }
  });

  it('P-256 agrees with OpenSSL on random key pairs', () => {
    for (let i = 0; i < 5; i++) {
      const a = createECDH('prime256v1');
      const b = createECDH('prime256v1');
      a.generateKeys();
      b.generateKeys();
      const aPriv = new Uint8Array(a.getPrivateKey());
      expect(toHex(PORTABLE_AUTH_CRYPTO.p256PublicKey(aPriv))).toBe(a.getPublicKey('hex').slice(2));
      expect(toHex(PORTABLE_AUTH_CRYPTO.p256SharedSecret(aPriv, new Uint8Array(b.getPublicKey().subarray(1))))).toBe(a.computeSecret(b.getPublicKey()).toString('hex'));
    }
  });
});

describe('UART frames', () => {
  const session = (key: string, iv: string) => ({ appKey: h(key), appIv: h(iv), devKey: h(key), devIv: h(iv), counter: 0 });

  it('V12: checksums', () => {
    const ck = (hex: string) => { const b = h(hex); const v = uartChecksum(b, 0, b.length); return toHex(Uint8Array.of(v & 0xff, v >> 8)); };
    expect(ck('a121f3040506070809')).toBe('23fe');
    expect(toHex(plainFrame(h('2001100e')))).toBe('55aa032001100ebdff');
    expect(toHex(plainFrame(h('20011a02')))).toBe('55aa0320011a02bfff');
  });

  it('V8/V10: encrypt', () => {
    const s8 = session('9951fb8edf3921d61d15d56b45d38a46', '642b0a93');
    expect(toHex(encryptFrame(aes, s8, h('2001100e'), h('01020304')))).toBe('55ab03000003dbfd07465635dcbd3b2d7acefa');
    expect(s8.counter).toBe(1);
    expect(toHex(encryptFrame(aes, session('5066d82368375a1f6a0a3eba1317b525', '28cee53e'), h('2001100e'), h('897045e7')))).toBe('55ab03000016b2eddb0b680532a988c4f2dbf9');
  });

  it('V9/V11: decrypt; a flipped bit or checksum gives nothing', () => {
    const f9 = h('55ab1001004c4e49c65c208435f7e050e56904adb8fe6e2eb1297cf9e0afbaf2');
    const s9 = session('887ed6ae8ea3189546a55f0d0a6216ce', '659b7362');
    expect(toHex(decryptFrame(aes, s9, f9)!)).toBe('2301103235373030' + '2f3030303031333337');
    const f11 = h('55ab1001009a70888f3a27d8378bb07f7d8ce4cce88ab54a50595ad6c019c7f2');
    expect(new TextDecoder().decode(decryptFrame(aes, session('462f3fcc74200ca5f77ee2a581c42af0', 'f8901a05'), f11)!.slice(3))).toBe('26354/00467353');
    const flipped = f9.slice();
    flipped[10] ^= 4;
    const ck = uartChecksum(flipped, 2, flipped.length - 2);
    flipped[flipped.length - 2] = ck & 0xff;
    flipped[flipped.length - 1] = ck >> 8;
    expect(decryptFrame(aes, s9, flipped)).toBeUndefined();
    const badSum = f9.slice();
    badSum[badSum.length - 1] ^= 1;
    expect(decryptFrame(aes, s9, badSum)).toBeUndefined();
    expect(decryptFrame(aes, s9, f9.slice(0, 20))).toBeUndefined();
  });

  it('reassembles frames split anywhere, skipping garbage', () => {
    const f = h('55ab1001004c4e49c65c208435f7e050e56904adb8fe6e2eb1297cf9e0afbaf2');
    const stream = new Uint8Array([0x01, 0x55, 0x02, ...f, ...plainFrame(h('250131f91c'))]);
    const r = new UartReassembler();
    const out: Uint8Array[] = [];
    for (let at = 0; at < stream.length; at += 7) out.push(...r.push(stream.slice(at, at + 7)));
    expect(out.map(toHex)).toEqual([toHex(f), toHex(plainFrame(h('250131f91c')))]);
    expect(r.skipped).toBe(3);
  });
});
