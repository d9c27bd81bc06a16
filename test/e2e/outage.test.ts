// Issue 16, item 2, as the issue proves it: mosquitto is stopped for 30 s of capture time in
// the middle of a replay at MI32Option2 1 (--speed 10: 3 s of wall time), then started
// again. Every reading taken during the outage arrives after it, in order, byte for byte
// the message the gateway built when it took the reading (so with its original "Time");
// none is lost within MI32Buffer, and past a small one the dropped count is exact.
//
// The observer keeps a persistent session (clean: false) on a mosquitto with persistence,
// so what the broker gets while the observer is still reconnecting is queued for it.

import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { findMosquitto, startMosquitto, type TestBroker } from '../helpers/brokers.js';
import { atcAd, FOREIGN_AD, onCleanup, runCleanups, startRun, tempDir, waitFor, writeCapture, type CaptureLine } from './harness.js';

const mosquitto = findMosquitto();
const ATC = { mac: 'A4C138AABBCC', name: 'ATC-aabbcc' };
/** Readings one second apart in capture time; reading i has temperature 10 + i/10. */
const N = 80;
const OUTAGE_CAPTURE_MS = 30_000;
const SPEED = 10;

afterEach(runCleanups);

interface Got { index: number; payload: string; json: Record<string, any> }

async function persistentObserver(url: string, topic: string) {
  const got: Got[] = [];
  const client = await mqtt.connectAsync(url, { protocolVersion: 4, clean: false, clientId: `outage-obs-${topic}`, reconnectPeriod: 100, connectTimeout: 5000 });
  client.on('error', () => {}); // the broker goes away on purpose
  client.on('message', (t, payload) => {
    if (t !== `tele/${topic}/SENSOR`) return;
    const json = JSON.parse(payload.toString()) as Record<string, any>;
    if (json[ATC.name]) got.push({ index: indexOf(json), payload: payload.toString(), json });
  });
  await client.subscribeAsync(`tele/${topic}/SENSOR`, { qos: 1 });
  onCleanup(() => client.endAsync(true));
  return { got, client };
}

function indexOf(json: Record<string, any>): number {
  return Math.round((json[ATC.name].Temperature - 10) * 10);
}

/** The first arrival of each reading, in arrival order (QoS 1 may deliver one twice). */
function firstArrivals(got: Got[]): Got[] {
  const seen = new Set<number>();
  return got.filter((g) => (seen.has(g.index) ? false : (seen.add(g.index), true)));
}

describe.skipIf(!mosquitto)(`store-and-forward through a broker outage (mosquitto)${mosquitto ? '' : ' — SKIPPED: mosquitto is not installed'}`, () => {
  let broker: TestBroker;
  let seq = 0;

  async function outage(extra: string[]) {
    broker = await startMosquitto({ persistence: true });
    onCleanup(() => broker.stop());
    const topic = `outage${++seq}`;
    const dir = tempDir();
    const lines: CaptureLine[] = [{ t: 0, mac: '112233AABBCC', ad: FOREIGN_AD }];
    for (let i = 0; i < N; i++) lines.push({ t: 1000 + i * 1000, mac: ATC.mac, ad: atcAd(ATC.mac, 10 + i / 10, 50, 90, i) });
    const capture = writeCapture(dir, lines);
    const obs = await persistentObserver(broker.url, topic);
    const p = startRun([capture, '--broker', broker.url, '--topic', topic, '--data', join(dir, 'data'), '--speed', String(SPEED), '--cmd', 'MI32Option2 1', ...extra]);
    const sensorLine = `tele/${topic}/SENSOR `;
    /** Readings the gateway took (its stdout echoes every message as it is made, connected or not). */
    const taken = () => p.stdout.filter((l) => l.startsWith(sensorLine)).map((l) => {
      const payload = l.slice(sensorLine.length);
      const json = JSON.parse(payload) as Record<string, any>;
      return { index: indexOf(json), payload };
    });
    const lastTaken = () => Math.max(-1, ...taken().map((t) => t.index));

    await waitFor('a few readings through the broker', () => obs.got.some((g) => g.index >= 10), 30_000, p.describe);
    await broker.kill();
    const killedAt = lastTaken();
    const arrivedBeforeOutage = obs.got.length;
    // 30 s of capture time = 30 readings taken while the broker is away
    await waitFor('30 s of capture time without a broker', () => lastTaken() >= killedAt + OUTAGE_CAPTURE_MS / 1000, 30_000, p.describe);
    const restartedAt = lastTaken();
    await broker.restart();
    await waitFor('the last reading', () => obs.got.some((g) => g.index === N - 1), 60_000, () => `${p.describe()}\nreceived: ${obs.got.map((g) => g.index).join(',')}`);
    p.send('Status 11');
    const status = await waitFor('the Status 11 reply', () => p.replies().find((r) => 'StatusSTS' in r), 20_000, p.describe);
    p.endInput();
    expect(await p.exited).toEqual({ code: 0, signal: null });
    expect(p.stderr()).toMatch(/MQTT connection lost/);
    return { obs, taken: taken(), killedAt, restartedAt, arrivedBeforeOutage, mi32: (status as any).StatusSTS.MI32 as Record<string, number> };
  }

  it('every reading taken during a 30 s outage arrives after it, in order, with its original time; none lost within MI32Buffer', async () => {
    const { obs, taken, killedAt, restartedAt, arrivedBeforeOutage, mi32 } = await outage([]);
    expect(taken.map((t) => t.index)).toEqual(Array.from({ length: N }, (_, i) => i)); // the gateway took each once
    const firsts = firstArrivals(obs.got);
    expect(firsts.map((g) => g.index)).toEqual(Array.from({ length: N }, (_, i) => i)); // all, in order
    // each arrived as the very message built when it was taken: its "Time" is the time it was taken
    for (const g of firsts) expect(g.payload).toBe(taken[g.index]!.payload);
    const outageReadings = firsts.filter((g) => g.index > killedAt && g.index <= restartedAt);
    expect(outageReadings.length).toBeGreaterThanOrEqual(OUTAGE_CAPTURE_MS / 1000);
    // ... and they arrived after the outage
    for (const g of outageReadings) expect(obs.got.indexOf(g)).toBeGreaterThanOrEqual(arrivedBeforeOutage);
    const times = firsts.map((g) => g.json.Time as string);
    expect([...times].sort()).toEqual(times);
    expect(mi32).toMatchObject({ Dropped: 0, Buffered: 0 });
  }, 120_000);

  it('past a small MI32Buffer the oldest readings of the outage are dropped, and the count in STATE is exact', async () => {
    const { obs, taken, killedAt, mi32 } = await outage(['--cmd', 'MI32Buffer 1000']);
    expect(taken.length).toBe(N);
    const firsts = firstArrivals(obs.got).map((g) => g.index);
    const missing = taken.map((t) => t.index).filter((i) => !firsts.includes(i));
    expect(missing.length).toBeGreaterThan(0);
    expect(mi32.Dropped).toBe(missing.length); // exact
    // the dropped ones are the oldest of the outage: one run right after the broker went away
    expect(missing[0]).toBeGreaterThan(killedAt - 8); // (at most the client's in-flight window was sent before it noticed)
    expect(missing).toEqual(Array.from({ length: missing.length }, (_, k) => missing[0]! + k));
    expect([...firsts].sort((a, b) => a - b)).toEqual(firsts); // the rest in order
    // what was kept fits the budget: 1000 bytes of topic + payload
    const kept = firsts.filter((i) => i > missing.at(-1)! && i <= missing.at(-1)! + 10);
    expect(kept.length).toBeGreaterThan(0);
  }, 120_000);
});
