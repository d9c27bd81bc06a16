// ble_monitor's parser tests give each advertisement as the raw HCI event the Linux
// kernel handed to it (an H4 event packet: 0x04, LE Meta 0x3E, Advertising Report). Those
// 67 real events go through our HCI parser here: it must find exactly the advertiser and
// AD bytes the fixture lists, and the gateway path (decodeAdvertisement on the parsed AD)
// must give the fixture's readings, so a btsnoop capture of these devices decodes as the
// fixture corpus says.
import { describe, expect, it } from 'vitest';
import { decodeAdvertisement, decodeRequest } from '../../firmware/core/decode.js';
import { fromHex, toHex } from '../../firmware/core/bytes/hex.js';
import { createNodeAes } from '../../host-sim/crypto.js';
import { parseAdvertisingReports } from '../../host-sim/capture/hci.js';
import { loadFixtures } from '../helpers/frames.js';

const H4_EVENT = 0x04;
const aes = createNodeAes();
const withHci = loadFixtures().filter((f) => typeof (f as { hci?: unknown }).hci === 'string') as (ReturnType<typeof loadFixtures>[number] & { hci: string; mac: string; ad: string; key?: string })[];

describe('ble_monitor HCI events through the HCI parser', () => {
  it('has the 67 events of the ble_monitor suite', () => {
    expect(withHci.length).toBe(67);
  });

  for (const fx of withHci) {
    it(fx.id, () => {
      const bytes = fromHex(fx.hci);
      expect(bytes[0]).toBe(H4_EVENT);
      const parsed = parseAdvertisingReports(bytes.subarray(1));
      expect(parsed?.error).toBeUndefined();
      expect(parsed?.reports.length).toBe(1);
      const report = parsed!.reports[0]!;
      expect(report.mac).toBe(fx.mac.toUpperCase());
      expect(toHex(report.ad)).toBe(fx.ad.toLowerCase());
      // Same readings through the whole-advertisement path as through the fixture request.
      const key = fx.key ? fromHex(fx.key.slice(0, fx.key.length === 44 || fx.key.length === 36 ? -12 : undefined)) : undefined;
      const viaAd = decodeAdvertisement(report.ad, report.mac, { aes, keyFor: () => key }).filter((r) => !('error' in r && r.code === 'unknown-format'));
      const viaRequest = decodeRequest(fx, aes);
      expect(viaAd.length).toBeGreaterThan(0);
      if ('error' in viaRequest) expect(viaAd.some((r) => 'error' in r && r.code === viaRequest.code)).toBe(true);
      else expect(viaAd.some((r) => !('error' in r) && JSON.stringify(r.values) === JSON.stringify(viaRequest.values))).toBe(true);
    });
  }
});
