// The demo home (examples/demo): committed files equal the generator, every one of our
// sensors decodes with the keys from the demo mi32cfg, and exactly the advertisements
// marked as foreign or broken fail, the way they are meant to.
//   WRITE_DEMO=1 npx vitest run test/capture/demo.test.ts   regenerates the files.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { fromHex } from '../../firmware/core/bytes/hex.js';
import { decodeAdvertisement } from '../../firmware/core/decode.js';
import { isError, type Reading } from '../../firmware/core/decoders/types.js';
import { readCapture } from '../../host-sim/capture/index.js';
import { createNodeAes } from '../../host-sim/crypto.js';
import { DEMO_DURATION_MS, demoFiles, makeDemoHome, type Mi32CfgEntry } from '../../host-sim/demo/make-demo.js';
import { writeDemo } from '../../host-sim/demo/write-demo.js';

const DIR = fileURLToPath(new URL('../../examples/demo/', import.meta.url));
const home = makeDemoHome();

beforeAll(() => {
  if (process.env.WRITE_DEMO === '1') writeDemo(DIR);
});

function committedMi32cfg(): Mi32CfgEntry[] {
  return JSON.parse(readFileSync(DIR + 'mi32cfg', 'utf8'));
}

describe('demo home', () => {
  it('is deterministic and equals the committed files', () => {
    expect(demoFiles(makeDemoHome())).toEqual(demoFiles(home));
    const files = demoFiles(home);
    expect(readFileSync(DIR + 'home.jsonl', 'utf8')).toBe(files['home.jsonl']);
    expect(readFileSync(DIR + 'mi32cfg', 'utf8')).toBe(files.mi32cfg);
  });

  it('reads back through readCapture unchanged', async () => {
    const r = await readCapture(DIR + 'home.jsonl');
    expect(r.format).toBe('jsonl');
    expect(r.errors).toEqual([]);
    expect(r.advertisements).toEqual(home.capture);
  });

  it('mi32cfg is in Tasmota form', () => {
    const cfg = committedMi32cfg();
    expect(cfg.length).toBeGreaterThanOrEqual(10);
    for (const e of cfg) {
      expect(Object.keys(e)).toEqual(['MAC', 'PID', 'key']);
      expect(e.MAC).toMatch(/^[0-9A-F]{12}$/);
      expect(e.PID).toMatch(/^[0-9a-f]{4}$/);
      expect(e.key).toMatch(/^([0-9A-F]{32})?$/);
    }
    expect(new Set(cfg.map((e) => e.MAC)).size).toBe(cfg.length);
  });

  it('looks like four minutes of real air', () => {
    const c = home.capture;
    expect(c.length).toBeGreaterThan(500);
    expect(c[0]!.t).toBeLessThan(1_000);
    expect(c.at(-1)!.t).toBeGreaterThan(DEMO_DURATION_MS - 5_000);
    expect(c.at(-1)!.t).toBeLessThan(DEMO_DURATION_MS);
    for (let i = 1; i < c.length; i++) expect(c[i]!.t).toBeGreaterThanOrEqual(c[i - 1]!.t);
    for (const a of c) {
      expect(Number.isInteger(a.t)).toBe(true);
      expect(a.rssi).toBeGreaterThanOrEqual(-95);
      expect(a.rssi).toBeLessThanOrEqual(-45);
      expect(a.ad.length).toBeLessThanOrEqual(31); // legacy advertising
    }
  });

  it('decodes every advertisement of our sensors; only the marked ones fail, as marked', () => {
    const keys = new Map(committedMi32cfg().filter((e) => e.key).map((e) => [e.MAC, fromHex(e.key)!]));
    const ctx = { aes: createNodeAes(), keyFor: (mac: string) => keys.get(mac) };
    const expected = new Map(home.expectedErrors.map((e) => [e.index, e.code]));
    const failures = new Map<number, string>();
    const readings: Reading[] = [];
    home.capture.forEach((a, index) => {
      const results = decodeAdvertisement(a.ad, a.mac, ctx);
      expect(results.length).toBe(1);
      const r = results[0]!;
      if (isError(r)) failures.set(index, r.code);
      else {
        expect(r.mac).toBe(a.mac);
        readings.push(r);
      }
    });
    expect(failures).toEqual(expected);
    // and the marked ones cover each kind of trouble at least once
    expect(new Set(expected.values())).toEqual(new Set(['unknown-format', 'malformed', 'no-key']));

    // every configured device reported values, under the model it is
    const byMac = new Map<string, Reading[]>();
    for (const r of readings) byMac.set(r.mac, [...(byMac.get(r.mac) ?? []), r]);
    for (const d of home.devices.filter((x) => x.configured)) {
      const rs = byMac.get(d.mac) ?? [];
      expect(rs.length, d.mac).toBeGreaterThan(0);
      expect(rs.every((r) => r.format === d.format), d.mac).toBe(true);
      expect(rs.every((r) => r.encrypted === (d.key !== '')), d.mac).toBe(true);
      if (d.format === 'mibeacon') expect(rs[0]!.pid).toBe(d.pid);
    }
    const values = (mac: string) => byMac.get(mac)!.map((r) => r.values);
    // events happened
    expect(values('E4AAEC3C4D5E').filter((v) => v.Door === 1).length).toBeGreaterThan(0);
    expect(values('E4AAEC3C4D5E').filter((v) => v.Door === 0).length).toBeGreaterThan(0);
    expect(values('50EC50A1B2C3').some((v) => v.Motion === 1)).toBe(true);
    expect(values('50EC50A1B2C3').some((v) => v.NMT === 120)).toBe(true);
    expect(values('F82441ABCDEF').some((v) => Object.keys(v).some((k) => k.startsWith('Button')))).toBe(true);
    // plausible temperatures everywhere
    for (const r of readings) if (typeof r.values.Temperature === 'number') expect(r.values.Temperature).toBeGreaterThan(0);
  });

  it('repeats frames with the same counter, and counters move on between frames', () => {
    const ctx = { aes: createNodeAes(), keyFor: (mac: string) => { const e = committedMi32cfg().find((x) => x.MAC === mac); return e?.key ? fromHex(e.key) : undefined; } };
    const bedroom = home.capture.filter((a) => a.mac === 'A4C1381A2B02').map((a) => decodeAdvertisement(a.ad, a.mac, ctx)[0] as Reading);
    const counters = bedroom.map((r) => r.counter!);
    const distinct = [...new Set(counters)];
    expect(counters.length).toBeGreaterThanOrEqual(distinct.length * 3);
    for (let i = 1; i < distinct.length; i++) expect(distinct[i]).toBe(distinct[i - 1]! + 1);
    expect(distinct[0]).toBeLessThan(256);
    expect(distinct.at(-1)).toBeGreaterThan(256); // crossed into the ext counter
  });

  it('never sends an older counter after a newer one (per device)', () => {
    const keys = new Map(committedMi32cfg().filter((e) => e.key).map((e) => [e.MAC, fromHex(e.key)!]));
    const ctx = { aes: createNodeAes(), keyFor: (mac: string) => keys.get(mac) };
    const last = new Map<string, number>();
    for (const a of home.capture) {
      const r = decodeAdvertisement(a.ad, a.mac, ctx)[0]!;
      if (isError(r) || r.counter === null) continue;
      expect(r.counter, `${a.mac} at ${a.t} ms`).toBeGreaterThanOrEqual(last.get(a.mac) ?? 0);
      last.set(a.mac, r.counter);
    }
    expect(last.size).toBe(home.devices.filter((d) => d.configured).length);
  });
});
