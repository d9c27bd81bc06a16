// The ESP32 Scanner on Moddable's bleclient (firmware/moddable/scanner-ble.ts) against a
// fake bleclient: what it asks NimBLE for, and each report handed on as the core expects
// (MAC in display order, RSSI, the raw AD bytes, Tasmota's address type).
import { beforeEach, describe, expect, it } from 'vitest';
import BLEClient from './fakes/bleclient.js';
import { createScanner } from '../../firmware/moddable/scanner-ble.js';
import type { ScannedAdvertisement } from '../../firmware/moddable/ports.js';
import { MemoryStore, recordingLog } from '../helpers/gateway.js';

function scanner() {
  const got: ScannedAdvertisement[] = [];
  const lines: string[] = [];
  const s = createScanner({ deliver: (a) => got.push(a), log: recordingLog(lines), store: new MemoryStore() });
  return { s, got, lines, nimble: BLEClient.instances.at(-1)! as BLEClient & { onDiscovered(d: unknown): void } };
}

const report = (addressType: number, ad: number[]) => ({
  address: new Uint8Array([0x33, 0x22, 0x11, 0x38, 0xc1, 0xa4]).buffer, // least significant byte first
  addressType, rssi: -71, scanResponse: { buffer: new Uint8Array(ad).buffer },
});

beforeEach(() => {
  BLEClient.instances.length = 0;
});

describe('ESP32 scanner (bleclient)', () => {
  it('waits for the stack, then scans with duplicates on and the mode asked for', () => {
    const { s, nimble, lines } = scanner();
    s.start(false);
    expect(nimble.scans).toEqual([]); // NimBLE not ready yet
    nimble.onReady();
    expect(nimble.scans).toEqual([{ active: false, duplicates: true, interval: 0x50, window: 0x30, filterPolicy: 0 }]);
    s.start(true); // MI32Option4 1: restart active
    expect(nimble.stops).toBe(1);
    expect(nimble.scans.at(-1)).toMatchObject({ active: true, duplicates: true });
    s.stop();
    expect(nimble.stops).toBe(2);
    expect(lines).toEqual(['info BLE scan passive', 'info BLE scan active']);
  });

  it('hands on each report: MAC in display order, RSSI, raw AD, and the address type (adv_cb byte 6)', () => {
    const { nimble, got } = scanner();
    nimble.onDiscovered(report(1, [0x02, 0x01, 0x06]));
    nimble.onDiscovered(report(0, [0x03, 0x03, 0x95, 0xfe]));
    expect(got.map((a) => [a.mac, a.rssi, [...a.ad], a.addrType])).toEqual([
      ['A4C138112233', -71, [0x02, 0x01, 0x06], 1],
      ['A4C138112233', -71, [0x03, 0x03, 0x95, 0xfe], 0],
    ]);
  });

  it('skips empty reports and survives a malformed one', () => {
    const { nimble, got, lines } = scanner();
    nimble.onDiscovered(report(0, []));
    nimble.onDiscovered({ address: undefined, rssi: 0, scanResponse: { buffer: new Uint8Array([1, 2]).buffer } });
    expect(got).toEqual([]);
    expect(lines.some((l) => l.startsWith('error advertisement:'))).toBe(true);
  });
});
