// Whatever the radio or the serial port brings: the NMEA reader, the UART reassembler and
// decryption, and register/login against a device that answers at random never throw
// anything but a MiAuthError, and hold at most one frame or line.
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PORTABLE_AUTH_CRYPTO } from '../../firmware/core/crypto/auth-crypto.js';
import { NmeaReader } from '../../firmware/core/gps/nmea.js';
import { login, MiAuthError, register, type MiChannel, type MiTransport } from '../../firmware/core/miauth/flow.js';
import { decryptFrame, UartReassembler } from '../../firmware/core/miauth/uart.js';
import { createNodeAes } from '../../host-sim/crypto.js';

const aes = createNodeAes();
const chunks = fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 40 });

describe('hostile bytes', () => {
  it('NmeaReader: any bytes, any chunking: no throw, a fix only from a checksummed sentence', () => {
    fc.assert(fc.property(chunks, (parts) => {
      const r = new NmeaReader();
      for (const p of parts) r.push(p);
      if (r.fix) {
        expect(Math.abs(r.fix.latitude)).toBeLessThanOrEqual(90);
        expect(Math.abs(r.fix.longitude)).toBeLessThanOrEqual(180);
      }
    }), { numRuns: 300 });
  });

  it('UartReassembler + decryptFrame: any bytes: whole frames only, nothing decrypts without the key', () => {
    const session = { devKey: new Uint8Array(16).fill(1), devIv: new Uint8Array(4) };
    fc.assert(fc.property(chunks, (parts) => {
      const r = new UartReassembler();
      for (const p of parts) {
        for (const f of r.push(p)) {
          expect(f[0]).toBe(0x55);
          expect(f.length).toBe(f[2]! + (f[1] === 0xab ? 16 : 6));
          expect(decryptFrame(aes, session, f)).toBeUndefined();
        }
      }
    }), { numRuns: 300 });
  });

  it('register and login against a device that answers at random end in a MiAuthError', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.tuple(fc.boolean(), fc.uint8Array({ maxLength: 24 })), { maxLength: 30 }), fc.boolean(), async (answers, doLogin) => {
      let i = 0;
      const queued: Record<MiChannel, Uint8Array[]> = { upnp: [], avdtp: [] };
      const transport: MiTransport = {
        async write() {
          const a = answers[i++];
          if (a) queued[a[0] ? 'upnp' : 'avdtp'].push(a[1]);
        },
        async next(channel) {
          const p = queued[channel].shift();
          if (!p) throw new MiAuthError('timeout', 'no answer');
          return p;
        },
      };
      const ctx = { transport, crypto: PORTABLE_AUTH_CRYPTO, aes, random: (n: number) => new Uint8Array(randomBytes(n)) };
      try {
        await (doLogin ? login(ctx, new Uint8Array(12)) : register(ctx));
        throw new Error('a random device cannot complete the handshake');
      } catch (e) {
        expect(e).toBeInstanceOf(MiAuthError);
      }
    }), { numRuns: 300 });
  });
});
