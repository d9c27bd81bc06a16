// The device's HomeKit adapters under Node, with the SDK modules faked: the HapCrypto with
// Moddable's native SHA-512 and ChaCha20 (crypt Digest/StreamCipher, played by node:crypto
// with the SDK's ArrayBuffer-only calling convention) gives node:crypto's answers, and the
// mDNS adapter holds services until the host name is claimed, re-announces TXT changes and
// withdraws on stop. What only the SDK and a board can show: README "HomeKit on the device".
import crypto from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';

const calls: string[] = [];
const mdnsInstances: FakeMdns[] = [];
class FakeMdns {
  added: { name: string; protocol: string; port: number; txt: Record<string, string> }[] = [];
  static failing = false;
  constructor(readonly options: { hostName: string }, readonly callback: (message: number, value?: string) => void) {
    // The SDK's lin socket: every multicast address is "invalid" (seen building -p lin).
    if (FakeMdns.failing) throw new Error('invalid multicast IP address');
    mdnsInstances.push(this);
  }
  add(service: FakeMdns['added'][number]) { calls.push(`add ${service.name}.${service.protocol}:${service.port} sf=${service.txt.sf}`); this.added.push(service); }
  update(service: FakeMdns['added'][number]) { calls.push(`update sf=${service.txt.sf} c#=${service.txt['c#']}`); }
  remove(service: FakeMdns['added'][number]) { calls.push(`remove ${service.name}`); }
}
vi.mock('mdns', () => ({ default: FakeMdns }));

const arrayBufferOnly = (x: unknown) => {
  if (!(x instanceof ArrayBuffer)) throw new TypeError('the native side takes ArrayBuffers');
  return Buffer.from(x);
};
vi.mock('crypt', () => ({
  Digest: class {
    private hash: crypto.Hash;
    constructor(algorithm: string) {
      if (algorithm !== 'SHA512') throw new Error(`unexpected digest ${algorithm}`);
      this.hash = crypto.createHash('sha512');
    }
    write(data: ArrayBuffer) { this.hash.update(arrayBufferOnly(data)); }
    close() { const d = this.hash.digest(); return d.buffer.slice(d.byteOffset, d.byteOffset + d.length); }
  },
  StreamCipher: class {
    private cipher: crypto.Cipheriv;
    constructor(kind: string, key: ArrayBuffer, iv: ArrayBuffer, counter = 0) {
      if (kind !== 'ChaCha') throw new Error(`unexpected cipher ${kind}`);
      const nonce = arrayBufferOnly(iv);
      if (nonce.length !== 12) throw new Error('ChaCha20 (RFC 8439) takes a 12-byte nonce');
      const full = Buffer.alloc(16);
      full.writeUInt32LE(counter, 0);
      nonce.copy(full, 4);
      this.cipher = crypto.createCipheriv('chacha20', arrayBufferOnly(key), full);
    }
    encrypt(data: ArrayBuffer) { const out = this.cipher.update(arrayBufferOnly(data)); return out.buffer.slice(out.byteOffset, out.byteOffset + out.length); }
  },
}));

const { createModdableHapCrypto, nativeSha512 } = await import('../../firmware/moddable/hap-crypto.js');
const { createModdableMdnsAdvertiser } = await import('../../firmware/moddable/mdns.js');

const log = { debug() {}, info() {}, warn: (m: string) => calls.push(`warn ${m}`), error() {} };

beforeEach(() => {
  calls.length = 0;
  mdnsInstances.length = 0;
});

describe('device HapCrypto (native SHA-512 and ChaCha20 from crypt)', () => {
  const hc = createModdableHapCrypto({ bytes: (n) => Uint8Array.from(crypto.randomBytes(n)) });

  it('SHA-512 and HKDF give node:crypto\'s bytes, also for a view into a larger buffer', () => {
    const big = Uint8Array.from(crypto.randomBytes(300));
    const view = big.subarray(17, 250);
    expect(Buffer.from(nativeSha512(view)).toString('hex')).toBe(crypto.createHash('sha512').update(view).digest('hex'));
    const ikm = Uint8Array.from(crypto.randomBytes(32));
    const want = Buffer.from(crypto.hkdfSync('sha512', ikm, Buffer.from('Control-Salt'), Buffer.from('Control-Read-Encryption-Key'), 32));
    expect(Buffer.from(hc.hkdfSha512(ikm, new TextEncoder().encode('Control-Salt'), new TextEncoder().encode('Control-Read-Encryption-Key'), 32))).toEqual(want);
  });

  it('a session frame seals as node:crypto\'s chacha20-poly1305 does, and a flipped bit does not open', () => {
    const key = Uint8Array.from(crypto.randomBytes(32));
    const nonce = new Uint8Array(12);
    nonce[4] = 3;
    const frame = Uint8Array.from(crypto.randomBytes(1024));
    const aad = Uint8Array.of(0, 4);
    const sealed = hc.chacha20Poly1305Seal(key, nonce, frame, aad);
    const c = crypto.createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
    c.setAAD(aad, { plaintextLength: frame.length });
    expect(Buffer.from(sealed)).toEqual(Buffer.concat([c.update(frame), c.final(), c.getAuthTag()]));
    expect(hc.chacha20Poly1305Open(key, nonce, sealed, aad)).toEqual(frame);
    sealed[100] ^= 1;
    expect(hc.chacha20Poly1305Open(key, nonce, sealed, aad)).toBeUndefined();
    // An empty plaintext: no native call with an empty buffer, a bare tag.
    expect(hc.chacha20Poly1305Open(key, nonce, hc.chacha20Poly1305Seal(key, nonce, new Uint8Array(0)))).toEqual(new Uint8Array(0));
  });
});

describe('device mDNS advertiser (Moddable mdns)', () => {
  const service = { name: 'MI32 Bridge', type: 'hap', protocol: 'tcp' as const, port: 51826, txt: { sf: '1', 'c#': '1' } };

  it('an mDNS that cannot start is logged, not thrown: the gateway keeps running without the advert', () => {
    FakeMdns.failing = true;
    const errors: string[] = [];
    try {
      const log = { debug() {}, info() {}, warn() {}, error: (m: string) => errors.push(m) };
      const advertiser = createModdableMdnsAdvertiser('mi32-abcdef', log);
      const ad = advertiser.advertise({ name: 'x', type: 'hap', protocol: 'tcp', port: 51826, txt: { sf: '1' } });
      ad.update({ sf: '0' });
      ad.stop();
    } finally {
      FakeMdns.failing = false;
    }
    expect(errors).toEqual(['mDNS: cannot start (invalid multicast IP address); HomeKit is not advertised']);
  });

  it('holds the service until the host name is claimed, then adds it as _hap._tcp with its TXT record', () => {
    const advertiser = createModdableMdnsAdvertiser('mi32-abcdef', log);
    const ad = advertiser.advertise(service);
    expect(mdnsInstances[0]!.options.hostName).toBe('mi32-abcdef');
    expect(calls).toEqual([]);
    mdnsInstances[0]!.callback(1, ''); // probing
    expect(calls).toEqual([]);
    mdnsInstances[0]!.callback(1, 'mi32-abcdef');
    expect(calls).toEqual(['add hap.tcp:51826 sf=1']);
    ad.update({ sf: '0', 'c#': '2' });
    expect(calls.at(-1)).toBe('update sf=0 c#=2');
    ad.stop();
    ad.stop();
    ad.update({ sf: '1', 'c#': '3' });
    expect(calls.slice(2)).toEqual(['remove hap']);
  });

  it('a TXT change before the claim is what gets added; a stop before the claim adds nothing', () => {
    const advertiser = createModdableMdnsAdvertiser('mi32-abcdef', log);
    const a = advertiser.advertise(service);
    a.update({ sf: '0', 'c#': '5' });
    const b = advertiser.advertise({ ...service, port: 1 });
    b.stop();
    mdnsInstances[0]!.callback(1, 'mi32-abcdef');
    expect(calls).toEqual(['add hap.tcp:51826 sf=0']);
    mdnsInstances[0]!.callback(-1);
    expect(calls.at(-1)).toBe('warn mDNS: error -1');
  });
});
