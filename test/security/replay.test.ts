// Issue 10, point 2: replay protection must hold against frames that carry no tag.
// Only a frame whose tag verifies may move a keyed device's counter or its resync run.
import { describe, expect, it } from 'vitest';
import { RESYNC_RUN } from '../../firmware/core/gateway/registry.js';
import { createNodeAes } from '../../host-sim/crypto.js';
import { decodeOne } from '../../host-sim/decode-command.js';
import { bytes, hex } from '../helpers/frames.js';
import { adv, KEY, KEY_HEX, keyedRegistry, lywsd03, MAC, MAC_REVERSED } from './helpers.js';

/** The frame: FC 0x5810 (v5, MAC, no object), PID 0x055b, counter 0, MAC reversed. */
const objectless = (counter = 0) => bytes('10585b05' + counter.toString(16).padStart(2, '0') + MAC_REVERSED);
/** The same with the encryption bit set (FC 0x5818). */
const objectlessEncrypted = (counter: number) => bytes('18585b05' + counter.toString(16).padStart(2, '0') + MAC_REVERSED);

describe('replay protection (issue 10, point 2)', () => {
  it('an object-less frame (10585b0500 + MAC reversed) does not reset the counter: an old genuine frame is still a replay', () => {
    const r = keyedRegistry();
    expect(r.ingest(lywsd03(2, 10, 230), 1)[0]!.kind).toBe('values'); // counter 0x20a
    const [forged] = r.ingest(adv(objectless()), 2);
    expect(forged).toMatchObject({ kind: 'error', code: 'not-encrypted' });
    expect(r.slots.get(MAC)!.counter).toBe(0x20a);
    expect(r.ingest(lywsd03(1, 200, 150), 3)[0]!.kind).toBe('replay'); // 0x1c8 < 0x20a
    expect(r.slots.get(MAC)!.values.Temperature).toBe(23);
  });

  it('three such frames with the encryption bit set do not resync the device', () => {
    const r = keyedRegistry();
    r.ingest(lywsd03(2, 10, 230), 1);
    for (let c = 1; c <= RESYNC_RUN; c++) {
      expect(r.ingest(adv(objectlessEncrypted(c)), 2)[0]).toMatchObject({ kind: 'error', code: 'not-encrypted' });
    }
    const slot = r.slots.get(MAC)!;
    expect(slot.counter).toBe(0x20a);
    expect(slot.behind).toEqual({ count: 0, last: null });
    expect(r.ingest(lywsd03(1, 200, 150), 3)[0]!.kind).toBe('replay');
    expect(slot.values.Temperature).toBe(23);
  });

  it('object-less frames of a keyed device (pairing, capability) change nothing: status, values, counters', () => {
    const r = keyedRegistry();
    r.ingest(lywsd03(2, 10, 230), 1);
    const slot = r.slots.get(MAC)!;
    const before = JSON.stringify({ status: slot.status, values: slot.values, counter: slot.counter, behind: slot.behind, decoded: r.totals.decoded, decryptFailures: r.totals.decryptFailures });
    // with a capability byte (FC bit 5) as in pairing mode, and plain/encrypted variants
    for (const frame of [objectless(7), objectlessEncrypted(9), bytes('30585b0503' + MAC_REVERSED + '08'), bytes('38585b0504' + MAC_REVERSED + '28' + '00')]) {
      expect(r.ingest(adv(frame), 2)[0]).toMatchObject({ kind: 'error', code: 'not-encrypted' });
    }
    expect(JSON.stringify({ status: slot.status, values: slot.values, counter: slot.counter, behind: slot.behind, decoded: r.totals.decoded, decryptFailures: r.totals.decryptFailures })).toBe(before);
  });

  it('mi32 decode with a key returns not-encrypted for object-less frames, not "values":{}', () => {
    const aes = createNodeAes();
    for (const frame of [objectless(), objectlessEncrypted(1)]) {
      const out = JSON.parse(decodeOne({ data: hex(frame), mac: MAC, key: KEY_HEX }, aes));
      expect(out).toMatchObject({ code: 'not-encrypted', mac: MAC });
      expect(out).not.toHaveProperty('values');
    }
  });

  it('a changed header counter byte fails the tag (it is in the nonce) and moves nothing', () => {
    const r = keyedRegistry();
    r.ingest(lywsd03(2, 10, 230), 1);
    const frame = lywsd03(2, 11, 240);
    const ad = frame.ad.slice();
    ad[4 + 4] ^= 0x01; // AD header (len, type, uuid 2) then FC (2), PID (2): byte 4 of the service data is the counter
    expect(r.ingest({ ...frame, ad }, 2)[0]).toMatchObject({ kind: 'error', code: 'wrong-key' });
    const out = JSON.parse(decodeOne({ data: hex(ad.subarray(4)), mac: MAC, key: KEY_HEX }, createNodeAes()));
    expect(out.code).toBe('wrong-key');
    expect(r.slots.get(MAC)!.counter).toBe(0x20a);
  });

  it('MI32Key with the same key again does not reset the counter (an old frame stays a replay)', () => {
    const r = keyedRegistry();
    r.ingest(lywsd03(2, 10, 230), 1);
    r.setKey(MAC, KEY.slice());
    expect(r.ingest(lywsd03(1, 200, 150), 2)[0]!.kind).toBe('replay');
  });

  it('a reset device (counters from 1 again) still resyncs after RESYNC_RUN authenticated frames', () => {
    const r = keyedRegistry();
    r.ingest(lywsd03(0x100, 0, 230), 1);
    const kinds = [1, 2, 3, 4].map((c) => r.ingest(lywsd03(0, c, 200 + c), 2)[0]!.kind);
    expect(kinds).toEqual(['replay', 'replay', 'values', 'values']);
  });
});
