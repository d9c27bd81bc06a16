// TLV8 and SRP-6a: the codec against hand-laid bytes, and our SRP server against
// fast-srp-hap's client (the SRP library hap-controller and hap-nodejs use) and its server.
import { randomBytes } from 'node:crypto';
import { SRP, SrpClient, SrpServer as RefServer } from 'fast-srp-hap';
import { describe, expect, it } from 'vitest';
import { decodeTlv, decodeTlvList, encodeTlv, TLV, TlvError } from '../../firmware/core/homekit/tlv8.js';
import { bigIntToBytes, SRP_BYTES, SRP_N, SrpServer, srpVerifier } from '../../firmware/core/homekit/srp.js';
import { createNodeHapCrypto } from '../../host-sim/hap-crypto.js';

const crypto = createNodeHapCrypto();
const buf = (u: Uint8Array) => Buffer.from(u);

describe('TLV8', () => {
  it('writes one-byte numbers, strings and bytes as type, length, value', () => {
    expect(buf(encodeTlv([[TLV.State, 2], [TLV.Identifier, 'ab'], [TLV.Salt, Uint8Array.of(9, 8)]])).toString('hex')).toBe('060102' + '01026162' + '02020908');
  });

  it('splits a value longer than 255 bytes into fragments of the same type and joins them back', () => {
    const value = Uint8Array.from({ length: 384 }, (_, i) => i & 0xff);
    const bytes = encodeTlv([[TLV.PublicKey, value], [TLV.State, 4]]);
    expect(bytes.length).toBe(2 + 255 + 2 + 129 + 3);
    expect([bytes[0], bytes[1], bytes[257], bytes[258]]).toEqual([3, 255, 3, 129]);
    const items = decodeTlv(bytes);
    expect(buf(items.get(TLV.PublicKey)!)).toEqual(buf(value));
    expect(items.get(TLV.State)).toEqual(Uint8Array.of(4));
  });

  it('keeps separate items of one type apart when a Separator stands between them', () => {
    const bytes = encodeTlv([[TLV.Identifier, 'a'], [TLV.Separator, new Uint8Array(0)], [TLV.Identifier, 'b']]);
    expect(decodeTlvList(bytes).map(([t, v]) => [t, buf(v).toString()])).toEqual([[1, 'a'], [255, ''], [1, 'b']]);
  });

  it('an exactly-255-byte value is one item, and a value of 510 bytes two full fragments', () => {
    expect(encodeTlv([[5, new Uint8Array(255)]]).length).toBe(257);
    const two = encodeTlv([[5, new Uint8Array(510).fill(7)]]);
    expect(two.length).toBe(514);
    expect(decodeTlv(two).get(5)!.length).toBe(510);
  });

  it('refuses a cut-short item with a TlvError instead of reading past the end', () => {
    expect(() => decodeTlv(Uint8Array.of(6, 5, 1))).toThrow(TlvError);
    expect(() => decodeTlv(Uint8Array.of(6))).toThrow(TlvError);
  });
});

describe('SRP-6a (3072-bit, SHA-512, HAP)', () => {
  const password = '031-45-154';

  it('computes the same verifier as fast-srp-hap', () => {
    const salt = randomBytes(16);
    const ours = srpVerifier(crypto, salt, password);
    const ref = SRP.computeVerifier(SRP.params.hap, salt, Buffer.from('Pair-Setup'), Buffer.from(password));
    expect(buf(ours).toString('hex')).toBe(ref.toString('hex').padStart(SRP_BYTES * 2, '0'));
  });

  it('computes the same B as fast-srp-hap\'s server for the same salt, code and secret', () => {
    const salt = randomBytes(16);
    const b = randomBytes(32);
    const ours = new SrpServer(crypto, salt, srpVerifier(crypto, salt, password), b);
    const ref = new RefServer(SRP.params.hap, salt, Buffer.from('Pair-Setup'), Buffer.from(password), b);
    expect(buf(ours.publicKey).toString('hex')).toBe(ref.computeB().toString('hex'));
  });

  it('a fast-srp-hap client with the right code is accepted, and both sides agree on K and M2', () => {
    const salt = randomBytes(16);
    const server = new SrpServer(crypto, salt, srpVerifier(crypto, salt, password), randomBytes(32));
    const client = new SrpClient(SRP.params.hap, salt, Buffer.from('Pair-Setup'), Buffer.from(password), randomBytes(32), true);
    client.setB(buf(server.publicKey));
    const m2 = server.verify(client.computeA(), client.computeM1());
    expect(m2).toBeDefined();
    expect(() => client.checkM2(buf(m2!))).not.toThrow();
    expect(buf(server.sessionKey!).toString('hex')).toBe(client.computeK().toString('hex'));
  });

  it('a client with a wrong code, or A = 0 or N, is refused', () => {
    const salt = randomBytes(16);
    const server = new SrpServer(crypto, salt, srpVerifier(crypto, salt, password), randomBytes(32));
    const client = new SrpClient(SRP.params.hap, salt, Buffer.from('Pair-Setup'), Buffer.from('031-45-155'), randomBytes(32), true);
    client.setB(buf(server.publicKey));
    expect(server.verify(client.computeA(), client.computeM1())).toBeUndefined();
    expect(server.sessionKey).toBeUndefined();
    expect(server.verify(new Uint8Array(SRP_BYTES), new Uint8Array(64))).toBeUndefined();
    expect(server.verify(bigIntToBytes(SRP_N, SRP_BYTES), new Uint8Array(64))).toBeUndefined();
  });

  it('modPow agrees with BigInt square-and-multiply, including the bases OpenSSL refuses', () => {
    const N = BigInt('0x' + SRP.params.hap.N.toString(16));
    const pow = (b: bigint, e: bigint) => { let r = 1n; b %= N; while (e) { if (e & 1n) r = r * b % N; b = b * b % N; e >>= 1n; } return r; };
    const e = BigInt('0x' + randomBytes(64).toString('hex'));
    for (const base of [0n, 1n, 2n, N - 1n, BigInt('0x' + randomBytes(384).toString('hex')) % N]) expect(crypto.modPow(base, e, N)).toBe(pow(base, e));
  });
});
