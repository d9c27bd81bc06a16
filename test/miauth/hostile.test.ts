// Hostile input to Mi authentication: a device that answers with garbage, oversized
// parcels, a key off the curve or nothing at all; a tokens file a hand edit broke.
// Each ends in a clear MiAuthError (or a reported, skipped entry) and nothing is kept.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fromHex } from '../../firmware/core/bytes/hex.js';
import { PORTABLE_AUTH_CRYPTO } from '../../firmware/core/crypto/auth-crypto.js';
import { login, MiAuthError, register, type MiChannel, type MiTransport } from '../../firmware/core/miauth/flow.js';
import { announce, RCV_OK, RCV_RDY } from '../../firmware/core/miauth/parcel.js';
import { TokenStore } from '../../firmware/core/miauth/tokens.js';
import { utf8Encode } from '../../firmware/core/mqtt/utf8.js';
import { createNodeAes } from '../../host-sim/crypto.js';
import { MemoryStore } from '../helpers/gateway.js';

/** A device that answers each of our writes with the packets `respond` gives. */
function scripted(respond: (channel: MiChannel, bytes: Uint8Array, n: number) => [MiChannel, Uint8Array][]): MiTransport {
  const queues: Record<MiChannel, Uint8Array[]> = { upnp: [], avdtp: [] };
  let n = 0;
  return {
    async write(channel, bytes) {
      for (const [c, p] of respond(channel, bytes, n++)) queues[c].push(p);
    },
    async next(channel) {
      const p = queues[channel].shift();
      if (!p) throw new MiAuthError('timeout', 'no answer');
      return p;
    },
  };
}

const ctx = (transport: MiTransport) => ({ transport, crypto: PORTABLE_AUTH_CRYPTO, aes: createNodeAes(), random: (k: number) => new Uint8Array(randomBytes(k)) });

async function failure(p: Promise<unknown>): Promise<MiAuthError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(MiAuthError);
    return e as MiAuthError;
  }
  throw new Error('expected a MiAuthError');
}

describe('a hostile device', () => {
  it('an announce of 1000 frames is refused, not buffered', async () => {
    const t = scripted((c, b) => (c === 'upnp' && b[0] === 0xa2 ? [['avdtp', announce(0, 1000)]] : []));
    const e = await failure(register(ctx(t)));
    expect(e).toMatchObject({ code: 'protocol', message: expect.stringContaining('1000 frames refused') });
  });

  it('frames out of order, an unexpected packet, silence', async () => {
    const outOfOrder = scripted((c, b) => {
      if (c === 'upnp' && b[0] === 0xa2) return [['avdtp', announce(0, 2)]];
      if (c === 'avdtp' && b.length === 4 && b[2] === 1 && b[3] === 1) return [['avdtp', fromHex('0200aabb')!]];
      return [];
    });
    expect(await failure(register(ctx(outOfOrder)))).toMatchObject({ code: 'protocol', message: expect.stringContaining('frame 2 where 1 was due') });
    const garbage = scripted((c, b) => (c === 'upnp' && b[0] === 0xa2 ? [['avdtp', fromHex('deadbeef')!]] : []));
    expect(await failure(register(ctx(garbage)))).toMatchObject({ code: 'protocol' });
    expect(await failure(login(ctx(scripted(() => [])), new Uint8Array(12)))).toMatchObject({ code: 'timeout' });
  });

  it('a device public key off the curve ends the registration', async () => {
    let step = 0;
    const offCurve = new Uint8Array(64).fill(7);
    const t = scripted((c, b) => {
      if (c === 'upnp' && b[0] === 0xa2) return [['avdtp', announce(0, 1)]];
      if (c === 'avdtp' && b.length === 4 && b[2] === 1 && b[3] === 1 && step === 0) { step = 1; return [['avdtp', fromHex('0100010000000000')!.subarray(0, 6)]]; }
      if (c === 'avdtp' && b.length === 6 && b[3] === 3) return [['avdtp', RCV_RDY]];
      if (c === 'avdtp' && b[0] === 4 && b[1] === 0) return [['avdtp', RCV_OK], ['avdtp', announce(3, 4)]];
      if (c === 'avdtp' && b.length === 4 && b[2] === 1 && b[3] === 1 && step === 1) {
        step = 2;
        return [0, 1, 2, 3].map((i) => ['avdtp', Uint8Array.from([i + 1, 0, ...offCurve.subarray(i * 18, i * 18 + 18)])] as [MiChannel, Uint8Array]);
      }
      return [];
    });
    const e = await failure(register(ctx(t)));
    expect(e.message).toMatch(/device public key refused: P-256 public key is not on the curve/);
  });
});

describe('the tokens file read back', () => {
  it('keeps good entries, reports bad ones without their value, and survives garbage', () => {
    const store = new MemoryStore();
    const secret = '00112233445566778899aabb';
    store.write('mitokens', utf8Encode(JSON.stringify({
      E12A3B4C5D6E: { token: secret, kind: 'scooter', auto: 1 },
      'not a mac': { token: secret, kind: 'scooter' },
      A4C1381A2B01: { token: 'c0ffee', kind: 'sensor' },
      A4C1381A2B02: { token: secret, kind: 'toaster' },
    })));
    const tokens = new TokenStore(store);
    const problems = tokens.load();
    expect(problems).toHaveLength(3);
    expect(problems.join(' ')).not.toContain(secret);
    expect(problems.join(' ')).not.toContain('c0ffee');
    expect(tokens.get('E12A3B4C5D6E')).toMatchObject({ kind: 'scooter', auto: true });
    expect(tokens.macs('sensor')).toEqual([]);
    store.write('mitokens', utf8Encode('[[[[[[[[[[[[[[[['));
    expect(tokens.load()[0]).toMatch(/not valid.*kept as mitokens.bad/);
    expect(tokens.macs('scooter')).toEqual([]);
  });
});
