// The demo home (examples/demo). The point: the committed capture, replayed through the
// core's decoder with the committed mi32cfg keys, gives exactly the readings the generator
// (host-sim/demo/make-demo.ts) meant each advertisement to carry, and exactly the marked
// advertisements fail, the way they are meant to. Beside that, the committed files are
// still what the generator writes, and the capture looks like real air.
//   WRITE_DEMO=1 npx vitest run test/capture/demo.test.ts   regenerates the files.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { fromHex } from '../../firmware/core/bytes/hex.js';
import { decodeAdvertisement } from '../../firmware/core/decode.js';
import { isError, type DecodeResult, type Reading } from '../../firmware/core/decoders/types.js';
import { readCapture } from '../../host-sim/capture/index.js';
import type { CapturedAdvertisement } from '../../host-sim/capture/types.js';
import { createNodeAes } from '../../host-sim/crypto.js';
import { DEMO_DURATION_MS, demoFiles, makeDemoHome, type MeantValues, type Mi32CfgEntry } from '../../host-sim/demo/make-demo.js';
import { writeDemo } from '../../host-sim/demo/write-demo.js';

const DIR = fileURLToPath(new URL('../../examples/demo/', import.meta.url));
const home = makeDemoHome();

/** The committed capture, read back and decoded as the gateway does it (registry → decodeAdvertisement). */
let replay: Array<{ adv: CapturedAdvertisement; results: DecodeResult[] }> = [];

beforeAll(async () => {
  if (process.env.WRITE_DEMO === '1') writeDemo(DIR);
  const keys = new Map(committedMi32cfg().filter((e) => e.key).map((e) => [e.MAC, fromHex(e.key)!]));
  const ctx = { aes: createNodeAes(), keyFor: (mac: string) => keys.get(mac) };
  const capture = await readCapture(DIR + 'home.jsonl');
  replay = capture.advertisements.map((adv) => ({ adv, results: decodeAdvertisement(adv.ad, adv.mac, ctx) }));
});

function committedMi32cfg(): Mi32CfgEntry[] {
  return JSON.parse(readFileSync(DIR + 'mi32cfg', 'utf8'));
}

/** How a decoded value differs from the meant one; floats within a tolerance far below any format's resolution. */
function differences(decoded: Reading['values'], meant: MeantValues): string[] {
  const keys = new Set([...Object.keys(decoded), ...Object.keys(meant)]);
  const out: string[] = [];
  for (const key of keys) {
    const got = decoded[key];
    const want = meant[key];
    if (typeof got !== 'number' || typeof want !== 'number' || Math.abs(got - want) > 1e-9) out.push(`${key}: decoded ${got}, meant ${want}`);
  }
  return out;
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

  it('every advertisement means something: readings, or a failure on purpose', () => {
    const meant = new Set(home.intended.map((r) => r.index));
    const failing = new Set(home.expectedErrors.map((e) => e.index));
    home.capture.forEach((a, index) => expect(meant.has(index) !== failing.has(index), `advertisement ${index}`).toBe(true));
    for (const r of home.intended) expect([r.mac, r.t]).toEqual([home.capture[r.index]!.mac, home.capture[r.index]!.t]);
    // the intent covers every kind of reading the demo devices send
    const keys = new Set(home.intended.flatMap((r) => Object.keys(r.values)));
    expect([...keys].sort()).toEqual([
      'Battery', 'Button0', 'Button1', 'Button2', 'Button3', 'Door', 'DoorLeftOpen', 'Fertility', 'Humidity',
      'Illuminance', 'Light', 'Moisture', 'Motion', 'NMT', 'Temperature', 'Voltage',
    ]);
  });

  it('the committed capture decodes to the readings the generator meant, advertisement by advertisement', () => {
    expect(replay.length).toBe(home.capture.length);
    const meant = new Map(home.intended.map((r) => [r.index, r]));
    const failures = new Map(home.expectedErrors.map((e) => [e.index, e.code]));
    const wrong: string[] = [];
    replay.forEach(({ adv, results }, index) => {
      const where = `#${index} ${adv.mac} at ${adv.t} ms`;
      if (results.length !== 1) return wrong.push(`${where}: ${results.length} results`);
      const r = results[0]!;
      const intent = meant.get(index);
      if (isError(r)) {
        if (failures.get(index) !== r.code) wrong.push(`${where}: failed with ${r.code}${intent ? `, meant ${JSON.stringify(intent.values)}` : `, meant ${failures.get(index)}`}`);
        return;
      }
      if (!intent) return wrong.push(`${where}: decoded ${JSON.stringify(r.values)}, meant to fail with ${failures.get(index)}`);
      if (intent.mac !== adv.mac || intent.t !== adv.t) return wrong.push(`${where}: the generator sent this from ${intent.mac} at ${intent.t} ms (regenerate examples/demo)`);
      if (r.mac !== adv.mac) wrong.push(`${where}: decoded as ${r.mac}`);
      for (const d of differences(r.values, intent.values)) wrong.push(`${where}: ${d}`);
    });
    expect(wrong.slice(0, 20), `${wrong.length} advertisements differ from what was meant`).toEqual([]);
    // and the marked ones cover each kind of trouble at least once
    expect(new Set(failures.values())).toEqual(new Set(['unknown-format', 'malformed', 'no-key']));
  });

  it('every configured device decodes under the model, format and encryption it is', () => {
    const byMac = new Map<string, Reading[]>();
    for (const { results } of replay) for (const r of results) if (!isError(r)) byMac.set(r.mac, [...(byMac.get(r.mac) ?? []), r]);
    for (const d of home.devices.filter((x) => x.configured)) {
      const rs = byMac.get(d.mac) ?? [];
      expect(rs.length, d.mac).toBeGreaterThan(0);
      expect(rs.every((r) => r.format === d.format), d.mac).toBe(true);
      expect(rs.every((r) => r.encrypted === (d.key !== '')), d.mac).toBe(true);
      if (d.format === 'mibeacon') expect(rs[0]!.pid).toBe(d.pid);
    }
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
