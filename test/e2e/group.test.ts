// Several gateways, one home, against a real broker (mosquitto when installed, else
// aedes): `mi32 run --gateways 3 --rssi-offsets 0,-10,-20` with MI32Group set on all
// three. After the first exchange of HEARD messages each device is published by exactly
// one gateway (the one that hears it best); when that gateway's connection drops ("@1
// crash", no DISCONNECT: the broker publishes its Will) the next best takes over before
// its next-but-one HEARD, i.e. within a teleperiod. No timing assertions: the order of
// messages is what is checked.
import { afterEach, describe, expect, it } from 'vitest';
import { findMosquitto, startAedes, startMosquitto, type TestBroker } from '../helpers/brokers.js';
import { atcAd, observe, onCleanup, runCleanups, startRun, tempDir, waitFor, writeCapture, type Received } from './harness.js';

const DEVICES = ['A4C138000001', 'A4C138000002', 'A4C138000003'];
const NAMES = DEVICES.map((m) => `ATC-${m.slice(6).toLowerCase()}`);

afterEach(runCleanups);

/** Device names in a SENSOR message. */
const devicesIn = (m: Received) => Object.keys(m.json ?? {}).filter((k) => typeof m.json![k] === 'object');

describe('MI32Group: three gateways on one capture and a real broker', () => {
  it('each device is published by exactly one gateway; after its LWT goes Offline another takes over within a teleperiod', async () => {
    const broker: TestBroker = findMosquitto() ? await startMosquitto() : await startAedes();
    onCleanup(() => broker.stop());
    const dir = tempDir();
    // Each device every second for 70 s, at -60, -63, -66 dBm.
    const lines = [];
    for (let s = 0; s < 70; s++) {
      for (const [d, mac] of DEVICES.entries()) lines.push({ t: s * 1000 + d * 100, mac, rssi: -60 - 3 * d, ad: atcAd(mac, 21 + d, 40 + d, 90, s) });
    }
    const capture = writeCapture(dir, lines);
    const obs = await observe(broker.url, ['tele/#']);
    const run = startRun([capture, '--broker', broker.url, '--topic', 'gw', '--data', `${dir}/data`, '--teleperiod', '10',
      '--gateways', '3', '--rssi-offsets', '0,-10,-20', '--cmd', 'MI32Group home']);
    onCleanup(() => run.proc.kill('SIGKILL'));
    const heard = (gw: string) => obs.messages.filter((m) => m.topic === `tele/home/${gw}/HEARD` && m.json);

    // Settled: every gateway has published a HEARD that lists the devices, and gw-1's claims them all.
    await waitFor('gw-1 claims every device', () => heard('gw-1').some((m) => m.json!.Own.length === 3) && heard('gw-2').some((m) => Object.keys(m.json!.RSSI).length === 3)
      && heard('gw-3').some((m) => Object.keys(m.json!.RSSI).length === 3)
      // A device no member lists yet is reported by every gateway that hears it (README): gw-3's first
      // HEARD may still own them all; settled is when its latest, made after gw-1's claim, lets go.
      && heard('gw-3').at(-1)!.json!.Own.length === 0, 60_000, run.describe);
    expect(heard('gw-2').at(-1)!.json!.RSSI).toEqual({ A4C138000001: -70, A4C138000002: -73, A4C138000003: -76 });
    expect(heard('gw-3').at(-1)!.json!.Own).toEqual([]);

    // A whole teleperiod of every gateway after that: only gw-1 names the devices.
    const mark = obs.messages.length;
    await waitFor('a full teleperiod of all three', () => ['gw-1', 'gw-2', 'gw-3'].every((gw) => obs.messages.slice(mark).some((m) => m.topic === `tele/home/${gw}/HEARD`))
      && obs.messages.slice(mark).some((m) => m.topic === 'tele/gw-1/SENSOR' && devicesIn(m).length === 3), 30_000, run.describe);
    // Readings taken once all three had settled: store-and-forward (MI32Buffer) may deliver a
    // reading taken before that a little later, and it rightly keeps the time it was taken.
    const settledAt = ['gw-1', 'gw-2', 'gw-3'].map((gw) => String(heard(gw).filter((m) => obs.messages.indexOf(m) < mark).at(-1)!.json!.Time)).sort().at(-1)!;
    const window = obs.messages.slice(mark).filter((m) => m.topic.endsWith('/SENSOR') && String(m.json?.Time) > settledAt);
    expect(window.length).toBeGreaterThan(0);
    for (const name of NAMES) {
      const publishers = new Set(window.filter((m) => devicesIn(m).includes(name)).map((m) => m.topic));
      expect([...publishers], name).toEqual(['tele/gw-1/SENSOR']);
    }

    // gw-1 loses its connection without a DISCONNECT: the broker publishes its Will.
    run.send('@1 crash');
    const offline = await obs.waitMessage('gw-1 LWT Offline', (m) => m.topic === 'tele/gw-1/LWT' && m.payload === 'Offline', 20_000);
    const after = obs.messages.indexOf(offline);
    const takeover = await obs.waitMessage('gw-2 SENSOR with every device', (m) => obs.messages.indexOf(m) > after && m.topic === 'tele/gw-2/SENSOR' && devicesIn(m).length === 3, 30_000);
    const between = obs.messages.slice(after, obs.messages.indexOf(takeover));
    // Within a teleperiod: gw-2 did not publish two HEARDs (two teleperiods) before it took over.
    expect(between.filter((m) => m.topic === 'tele/home/gw-2/HEARD').length).toBeLessThanOrEqual(1);
    // gw-3 stays silent: gw-2 hears them better.
    await obs.waitMessage('gw-2 claims them', (m) => obs.messages.indexOf(m) > after && m.topic === 'tele/home/gw-2/HEARD' && m.json?.Own.length === 3, 30_000);
    expect(obs.messages.slice(after).filter((m) => m.topic === 'tele/gw-3/SENSOR' && devicesIn(m).length > 0)).toEqual([]);
    run.endInput();
  }, 120_000);

  it('no flapping: a peer that hears the devices up to 5 dB better or worse, by turns, takes nothing; 15 dB better, it takes them', async () => {
    // One real gateway, and the test playing a second member of the group: its retained
    // HEARD is what any gateway would publish. The gateway hears every device at -65.
    const broker: TestBroker = findMosquitto() ? await startMosquitto() : await startAedes();
    onCleanup(() => broker.stop());
    const dir = tempDir();
    const lines = [];
    for (let s = 0; s < 90; s++) {
      for (const [d, mac] of DEVICES.entries()) lines.push({ t: s * 1000 + d * 100, mac, rssi: -65, ad: atcAd(mac, 21 + d, 40 + d, 90, s) });
    }
    const capture = writeCapture(dir, lines);
    const obs = await observe(broker.url, ['tele/#']);
    const run = startRun([capture, '--broker', broker.url, '--topic', 'real', '--data', `${dir}/data`, '--teleperiod', '10', '--cmd', 'MI32Group flat']);
    const heard = () => obs.messages.filter((m) => m.topic === 'tele/flat/real/HEARD' && m.json);
    await waitFor('the gateway claims every device', () => heard().some((m) => m.json!.Own.length === 3 && m.json!.RSSI.A4C138000001 === -65), 40_000, run.describe);
    const peer = (rssi: number) => obs.client.publishAsync('tele/flat/peer/HEARD',
      JSON.stringify({ Time: 'x', RSSI: Object.fromEntries(DEVICES.map((mac) => [mac, rssi])), Own: [] }), { retain: true, qos: 1 });
    await obs.client.publishAsync('tele/peer/LWT', 'Online', { retain: true, qos: 1 });

    // Within the hysteresis (6 dB): -60 (5 better), -70, -60, ... for three of the gateway's rounds.
    const mark = obs.messages.length;
    for (const rssi of [-60, -70, -60]) {
      const before = heard().length;
      await peer(rssi);
      await waitFor('the next round', () => heard().length > before, 30_000, run.describe);
      expect(heard().at(-1)!.json!.Own, `peer at ${rssi}`).toEqual(DEVICES);
    }
    const window = obs.messages.slice(mark).filter((m) => m.topic === 'tele/real/SENSOR');
    for (const name of NAMES) expect(window.some((m) => devicesIn(m).includes(name)), name).toBe(true);

    // 15 dB better: the rule moves the devices to the peer at once; the gateway stops publishing them.
    const before = heard().length;
    await peer(-50);
    await waitFor('the round after', () => heard().length > before, 30_000, run.describe);
    expect(heard().at(-1)!.json!.Own).toEqual([]);
    const last = obs.messages.indexOf(heard().at(-1)!);
    await waitFor('one more round', () => heard().length > before + 1, 30_000, run.describe);
    expect(obs.messages.slice(last).filter((m) => m.topic === 'tele/real/SENSOR' && devicesIn(m).length > 0)).toEqual([]);
    run.endInput();
  }, 150_000);
});
