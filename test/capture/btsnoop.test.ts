// btsnoop captures: H4 (Android), HCI (1001) and BlueZ monitor (btmon -w) files with
// legacy and extended advertising reports, mixed with packets that are not adverts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BTSNOOP_EPOCH_2000,
  btsnoopFromAdvertisements,
  H4,
  parseBtsnoop,
  writeBtsnoop,
  type HciPacket,
} from '../../host-sim/capture/btsnoop.js';
import { leAdvertisingReportEvent, leExtendedAdvertisingReportEvent, parseAdvertisingReports } from '../../host-sim/capture/hci.js';
import { parseCapture } from '../../host-sim/capture/index.js';
import type { CapturedAdvertisement } from '../../host-sim/capture/types.js';

const FLAGS = [0x02, 0x01, 0x06];
const ad = (...tail: number[]) => new Uint8Array([...FLAGS, ...tail]);
const LONG_AD = new Uint8Array([0x02, 0x01, 0x06, 40, 0xff, ...Array.from({ length: 39 }, (_, i) => i)]); // 45 bytes: extended only

// Non-advertising traffic a real log is full of.
const COMMAND_COMPLETE = new Uint8Array([0x0e, 0x04, 0x01, 0x0c, 0x20, 0x00]); // for LE Set Scan Enable
const LE_CONNECTION_COMPLETE = new Uint8Array([0x3e, 0x13, 0x01, 0x00, 0x40, 0x00, 0x00, 0x00, 0xcc, 0xbb, 0xaa, 0x38, 0xc1, 0xa4, 0x18, 0x00, 0x00, 0x00, 0xc8, 0x00, 0x00]);
const SET_SCAN_ENABLE = new Uint8Array([0x0c, 0x20, 0x02, 0x01, 0x00]);
const ACL = new Uint8Array([0x40, 0x20, 0x05, 0x00, 0x01, 0x00, 0x04, 0x00, 0x0a]);

function mixedPackets(): HciPacket[] {
  return [
    { t: 0, type: H4.COMMAND, packet: SET_SCAN_ENABLE },
    { t: 0.5, packet: COMMAND_COMPLETE },
    {
      t: 1000,
      packet: leAdvertisingReportEvent([
        { mac: 'A4C138AABBCC', addrType: 'public', rssi: -45, ad: ad(0x04, 0x09, 0x41, 0x42, 0x43) },
        { mac: 'A4C138000001', addrType: 'random', rssi: -95, ad: ad(), eventType: 0x00 },
        { mac: '112233445566', addrType: 'public', rssi: 5, ad: new Uint8Array(), eventType: 0x04 },
      ]),
    },
    { t: 1500.25, type: H4.ACL, received: true, packet: ACL },
    { t: 2000, packet: LE_CONNECTION_COMPLETE },
    {
      t: 3_600_000,
      packet: leExtendedAdvertisingReportEvent([
        { mac: 'C4C138AABB01', addrType: 'random', rssi: -128, ad: LONG_AD, sid: 1 },
        { mac: 'A4C138AABB02', addrType: 'public', rssi: -70, ad: ad(0xaa), sid: 2 },
      ]),
    },
  ];
}

const EXPECTED: CapturedAdvertisement[] = [
  { t: 1000, mac: 'A4C138AABBCC', addrType: 'public', rssi: -45, ad: ad(0x04, 0x09, 0x41, 0x42, 0x43) },
  { t: 1000, mac: 'A4C138000001', addrType: 'random', rssi: -95, ad: ad() },
  { t: 1000, mac: '112233445566', addrType: 'public', rssi: 5, ad: new Uint8Array() },
  { t: 3_600_000, mac: 'C4C138AABB01', addrType: 'random', rssi: -128, ad: LONG_AD },
  { t: 3_600_000, mac: 'A4C138AABB02', addrType: 'public', rssi: -70, ad: ad(0xaa) },
];

function be32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}
function be64(n: bigint): number[] {
  const out: number[] = [];
  for (let s = 56n; s >= 0n; s -= 8n) out.push(Number((n >> s) & 0xffn));
  return out;
}

describe('HCI advertising report events', () => {
  it('reads a hand-built legacy report: address reversed, RSSI signed', () => {
    const event = new Uint8Array([0x3e, 0x0f, 0x02, 0x01, 0x03, 0x01, 0xcc, 0xbb, 0xaa, 0x38, 0xc1, 0xa4, 0x03, 0x02, 0x01, 0x06, 0xb9]);
    expect(parseAdvertisingReports(event)).toEqual({
      reports: [{ eventType: 3, addrType: 'random', mac: 'A4C138AABBCC', ad: new Uint8Array([2, 1, 6]), rssi: -71, extended: false }],
    });
  });

  it('reads a hand-built extended report', () => {
    const report = [0x10, 0x00, 0x00, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0x01, 0x00, 0xff, 0x7f, 0xb0, 0x00, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0x02, 0x01, 0x06];
    const event = new Uint8Array([0x3e, report.length + 2, 0x0d, 0x01, ...report]);
    const r = parseAdvertisingReports(event)!;
    expect(r.error).toBeUndefined();
    expect(r.reports).toEqual([{ eventType: 0x10, addrType: 'public', mac: '010203040506', sid: 0xff, rssi: -80, ad: new Uint8Array([0x01, 0x06]), extended: true, dataStatus: 0 }]);
  });

  it('ignores other events and reports a report that runs past the event', () => {
    expect(parseAdvertisingReports(COMMAND_COMPLETE)).toBeUndefined();
    expect(parseAdvertisingReports(LE_CONNECTION_COMPLETE)).toBeUndefined();
    const good = leAdvertisingReportEvent([{ mac: 'A4C138AABBCC', addrType: 'public', rssi: -60, ad: ad() }, { mac: 'A4C138AABBCD', addrType: 'public', rssi: -60, ad: ad() }]);
    const cut = good.slice(0, good.length - 2);
    cut[1] = cut.length - 2;
    const r = parseAdvertisingReports(cut)!;
    expect(r.reports.map((x) => x.mac)).toEqual(['A4C138AABBCC']);
    expect(r.error).toMatch(/report 2 of 2/);
  });
});

describe('btsnoop files', () => {
  for (const datalink of [1002, 1001, 2001] as const) {
    it(`datalink ${datalink}: every report of every event, other packets skipped, t from the first record`, () => {
      const file = writeBtsnoop(mixedPackets(), { datalink });
      const { advertisements, errors } = parseBtsnoop(file);
      expect(errors).toEqual([]);
      expect(advertisements).toEqual(EXPECTED);
    });
  }

  it('writes what Android writes: H4 datalink 1002, event records start with 0x04', () => {
    const file = writeBtsnoop([{ t: 0, packet: COMMAND_COMPLETE }]);
    expect(Buffer.from(file.subarray(0, 16)).toString('hex')).toBe('6274736e6f6f7000' + '00000001' + '000003ea');
    expect(file[16 + 24]).toBe(0x04);
  });

  it('reads a btmon monitor file built by hand (index in the high half of flags, opcode 3 = event)', () => {
    const base = BTSNOOP_EPOCH_2000 + 757_382_400_000_000n; // 2024-01-01
    const record = (flags: number, tsOffsetUs: bigint, data: number[]) => [...be32(data.length), ...be32(data.length), ...be32(flags), ...be32(0), ...be64(base + tsOffsetUs), ...data];
    const newIndex = [0x01, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, ...Buffer.from('hci0\0\0\0\0')]; // type, bus, bdaddr, name
    const advert = [0x3e, 0x0f, 0x02, 0x01, 0x00, 0x00, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x03, 0x02, 0x01, 0x06, 0xd3];
    const file = new Uint8Array([
      ...Buffer.from('btsnoop\0', 'latin1'), ...be32(1), ...be32(2001),
      ...record(0x0000_0000, 0n, newIndex), // NEW_INDEX
      ...record(0x0000_0002, 10n, [...SET_SCAN_ENABLE]), // COMMAND_PKT
      ...record(0x0000_0003, 20n, [...COMMAND_COMPLETE]), // EVENT_PKT, not an advert
      ...record(0x0000_0003, 250_000n, advert), // EVENT_PKT, index 0
      ...record(0x0000_0005, 260_000n, [...ACL]), // ACL_RX_PKT
      ...record(0x0001_0003, 1_000_500n, advert), // EVENT_PKT from controller index 1
      ...record(0x0000_000c, 1_100_000n, [0x06, ...Buffer.from('btmon\0')]), // SYSTEM_NOTE-like opcode, ignored
    ]);
    const { advertisements, errors, format } = parseCapture(file);
    expect(format).toBe('btsnoop');
    expect(errors).toEqual([]);
    expect(advertisements).toEqual([
      { t: 250, mac: '112233445566', addrType: 'public', rssi: -45, ad: new Uint8Array([2, 1, 6]) },
      { t: 1000.5, mac: '112233445566', addrType: 'public', rssi: -45, ad: new Uint8Array([2, 1, 6]) },
    ]);
  });

  it('joins extended report fragments and drops controller-truncated ones with an error', () => {
    const mac = 'A4C138AABB10';
    const frag = (status: number, bytes: number[], sid = 3) => leExtendedAdvertisingReportEvent([{ mac, addrType: 'public', rssi: -60, ad: new Uint8Array(bytes), sid, eventType: status << 5 }]);
    const file = writeBtsnoop([
      { t: 0, packet: frag(1, [1, 2]) },
      { t: 1, packet: frag(1, [3]) },
      { t: 2, packet: frag(0, [4, 5]) },
      { t: 3, packet: frag(1, [9]) },
      { t: 4, packet: frag(2, [9]) },
    ]);
    const { advertisements, errors } = parseBtsnoop(file);
    expect(advertisements).toEqual([{ t: 2, mac, addrType: 'public', rssi: -60, ad: new Uint8Array([1, 2, 3, 4, 5]) }]);
    expect(errors).toEqual([{ error: expect.stringMatching(/truncated by the controller/), record: 5, offset: expect.any(Number) }]);
  });

  it('a truncated file yields the complete records and one error naming the cut record', () => {
    const advs = EXPECTED.map((a, i) => ({ ...a, t: i * 100 }));
    const file = btsnoopFromAdvertisements(advs);
    // find where record 4 starts, then cut inside its data and inside its header
    let offset = 16;
    const starts: number[] = [];
    while (offset < file.length) {
      starts.push(offset);
      offset += 24 + new DataView(file.buffer, file.byteOffset).getUint32(offset + 4);
    }
    const insideData = parseBtsnoop(file.subarray(0, starts[3]! + 24 + 5));
    expect(insideData.advertisements).toEqual(advs.slice(0, 3));
    expect(insideData.errors).toEqual([{ error: expect.stringMatching(/truncated capture/), record: 4, offset: starts[3] }]);
    const insideHeader = parseBtsnoop(file.subarray(0, starts[3]! + 7));
    expect(insideHeader.advertisements).toEqual(advs.slice(0, 3));
    expect(insideHeader.errors).toEqual([{ error: expect.stringMatching(/record header/), record: 4, offset: starts[3] }]);
    // every prefix: a prefix of the advertisements, never a throw
    for (let n = 0; n <= file.length; n++) {
      const r = parseBtsnoop(file.subarray(0, n));
      expect(advs.slice(0, r.advertisements.length)).toEqual(r.advertisements);
      expect(r.errors.length).toBe(n >= 16 && starts.concat(file.length).includes(n) ? 0 : 1);
    }
  });

  it('rejects unknown versions and datalinks with an error, not a throw', () => {
    const file = writeBtsnoop([{ t: 0, packet: COMMAND_COMPLETE }]);
    const v2 = file.slice();
    v2[11] = 2;
    expect(parseBtsnoop(v2).errors[0]!.error).toMatch(/version 2/);
    const bcsp = file.slice();
    bcsp[15] = 0xeb; // 1003
    expect(parseBtsnoop(bcsp).errors[0]!.error).toMatch(/datalink 1003/);
  });

  it('round-trips advertisements (legacy and extended) through btsnoopFromAdvertisements', () => {
    const arb = fc.record({
      t: fc.nat({ max: 1e9 }),
      mac: fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => Buffer.from(b).toString('hex').toUpperCase()),
      addrType: fc.constantFrom('public' as const, 'random' as const),
      rssi: fc.integer({ min: -128, max: 127 }),
      ad: fc.uint8Array({ maxLength: 200 }),
    });
    fc.assert(fc.property(fc.array(arb, { maxLength: 10 }), fc.constantFrom(1001, 1002, 2001) as fc.Arbitrary<1001 | 1002 | 2001>, (advs, datalink) => {
      const sorted = advs.sort((a, b) => a.t - b.t);
      const r = parseBtsnoop(btsnoopFromAdvertisements(sorted, { datalink }));
      expect(r.errors).toEqual([]);
      const t0 = sorted[0]?.t ?? 0;
      expect(r.advertisements).toEqual(sorted.map((a) => ({ ...a, t: a.t - t0 })));
    }), { numRuns: 300 });
  });

  it('never throws on random bytes, with or without a valid header', () => {
    const header = (datalink: number) => new Uint8Array([...Buffer.from('btsnoop\0', 'latin1'), ...be32(1), ...be32(datalink)]);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), fc.constantFrom(-1, 1001, 1002, 2001), (tail, datalink) => {
      const bytes = datalink < 0 ? tail : new Uint8Array([...header(datalink), ...tail]);
      const r = parseCapture(bytes);
      expect(Array.isArray(r.advertisements)).toBe(true);
    }), { numRuns: 3000 });
    // records that look plausible: real lengths, random LE meta payloads
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 60 }), { maxLength: 8 }), fc.constantFrom(1001, 1002, 2001) as fc.Arbitrary<1001 | 1002 | 2001>, (bodies, datalink) => {
      const packets = bodies.map((b, i) => ({ t: i, packet: new Uint8Array([0x3e, b.length + 1, i % 2 ? 0x02 : 0x0d, ...b]) }));
      const r = parseBtsnoop(writeBtsnoop(packets, { datalink }));
      for (const e of r.errors) expect(e.record).toBeGreaterThan(0);
    }), { numRuns: 2000 });
  });
});
