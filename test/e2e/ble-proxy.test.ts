// The gateway as a BLE proxy over MQTT, end to end: `mi32 run` against a real broker
// (mosquitto when installed, else aedes) and the simulated GATT peripherals. MI32Proxy over
// MQTT puts the chosen device's raw advertisements on tele/<topic>/BLE; BLEOp over MQTT
// reads and writes characteristics (round trips) and reports Tasmota's error codes for
// the simulated faults; malformed BLEOp payloads get an error and run nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { findMosquitto, startAedes, startMosquitto, type TestBroker } from '../helpers/brokers.js';
import { atcAd, FOREIGN_AD, observe, onCleanup, runCleanups, startRun, tempDir, writeCapture } from './harness.js';

afterEach(runCleanups);

const SVC = 'ebe0ccb0-7a0a-4b0c-8a1a-6ff2997da3a6';
const UNIT = 'ebe0ccbe-7a0a-4b0c-8a1a-6ff2997da3a6';
const BATTERY = 'ebe0ccc4-7a0a-4b0c-8a1a-6ff2997da3a6';

describe('BLE proxy over MQTT against a real broker', () => {
  it('MI32Proxy <MAC> forwards that device raw; BLEOp reads, writes and reports the fault codes', async () => {
    const broker: TestBroker = findMosquitto() ? await startMosquitto() : await startAedes();
    onCleanup(() => broker.stop());
    const dir = tempDir();
    const chosen = 'A4C138000001';
    const lines = [];
    for (let s = 0; s < 12; s++) {
      lines.push({ t: 2000 + s * 500, mac: chosen, rssi: -61, ad: atcAd(chosen, 21, 40, 90, s) });
      lines.push({ t: 2100 + s * 500, mac: 'A4C138000002', rssi: -62, ad: atcAd('A4C138000002', 22, 41, 90, s) });
      lines.push({ t: 2200 + s * 500, mac: '6B1F22C0A1B2', rssi: -70, ad: FOREIGN_AD });
    }
    const capture = writeCapture(dir, lines);
    const obs = await observe(broker.url, ['tele/px/#', 'stat/px/#']);
    const run = startRun([capture, '--broker', broker.url, '--topic', 'px', '--data', `${dir}/data`,
      '--fault', 'A4C13855C401=disconnect-mid-operation', '--fault', 'C47C8D6A1B2C=missing-service', '--fault', '582D3430AB12=refuse-connect']);
    onCleanup(() => run.proc.kill('SIGKILL'));
    await obs.waitMessage('LWT Online', (m) => m.topic === 'tele/px/LWT' && m.payload === 'Online');
    const cmnd = (command: string, payload: string) => obs.client.publishAsync(`cmnd/px/${command}`, payload);
    const results = () => obs.messages.filter((m) => m.topic === 'stat/px/RESULT').map((m) => m.json!);

    // The proxy, switched over MQTT: only the chosen device, raw, with what a capture line has.
    await cmnd('MI32Proxy', 'a4:c1:38:00:00:01');
    const first = await obs.waitMessage('tele/px/BLE', (m) => m.topic === 'tele/px/BLE');
    expect(first.json).toEqual({ mac: chosen, addrType: 0, rssi: -61, ad: expect.stringMatching(/^[0-9a-f]+$/) });
    expect(lines.some((l) => l.ad === first.json!.ad)).toBe(true);

    // BLEOp: write the LYWSD02's unit, read it back; read a battery.
    const op = async (payload: object | string, id: string) => {
      await cmnd('BLEOp', typeof payload === 'string' ? payload : JSON.stringify({ ...payload, id }));
      const reply = await obs.waitMessage(`BLEOp ${id}`, (m) => m.topic === 'stat/px/RESULT' && typeof m.json?.BLEOp === 'object' && m.json.BLEOp.Id === id, 30_000);
      return reply.json!.BLEOp as Record<string, unknown>;
    };
    expect(await op({ mac: 'E72E01A1B2C3', svc: SVC, chr: UNIT, op: 12, data: '01', response: true }, 'w')).toMatchObject({ Op: 2, Error: 0 });
    expect(await op({ mac: 'E72E01A1B2C3', svc: SVC, chr: UNIT, op: 11 }, 'r')).toMatchObject({ Op: 1, Error: 0, Data: '01' });
    expect(await op({ mac: 'E72E01A1B2C3', svc: SVC, chr: BATTERY, op: 11 }, 'b')).toMatchObject({ Op: 1, Error: 0, Data: (64).toString(16) });

    // The faults, with Tasmota's codes.
    expect(await op({ mac: '582D3430AB12', svc: '180F', chr: '2A19', op: 11 }, 'f1')).toMatchObject({ Error: 1 }); // could not connect
    expect(await op({ mac: 'A4C13855C401', svc: SVC, chr: BATTERY, op: 11 }, 'f2')).toMatchObject({ Error: 2 }); // did disconnect
    expect(await op({ mac: 'C47C8D6A1B2C', svc: '1204', chr: '1A02', op: 11 }, 'f3')).toMatchObject({ Error: 3 }); // no service
    expect(await op({ mac: 'E72E01A1B2C3', svc: SVC, chr: 'ebe0ffff-7a0a-4b0c-8a1a-6ff2997da3a6', op: 11 }, 'f4')).toMatchObject({ Error: 4 }); // no characteristic
    expect(await op({ mac: '112233445566', svc: SVC, chr: BATTERY, op: 11 }, 'f5')).toMatchObject({ Error: 1 }); // nobody there: connect timeout

    // Malformed payloads: an error reply each, and the gateway goes on.
    const before = results().length;
    for (const bad of ['{nope', '{"mac":"xyz","op":11}', '{"mac":"E72E01A1B2C3","svc":"180F","chr":"2A19","op":42}']) await cmnd('BLEOp', bad);
    await obs.waitMessage('three errors', () => results().slice(before).filter((r) => r.BLEOp === 'Error').length === 3 || undefined);
    expect(results().slice(before).map((r) => r.Error)).toEqual([
      expect.stringMatching(/not JSON/), expect.stringMatching(/"mac" must be a MAC/), expect.stringMatching(/"op" must be one of/),
    ]);
    expect(await op({ mac: 'E72E01A1B2C3', svc: SVC, chr: UNIT, op: 11 }, 'after')).toMatchObject({ Error: 0 });

    // Proxy off: nothing more on tele/px/BLE.
    await cmnd('MI32Proxy', '0');
    await obs.waitMessage('MI32Proxy 0', (m) => m.topic === 'stat/px/RESULT' && m.json?.MI32Proxy === 0);
    const proxied = obs.messages.filter((m) => m.topic === 'tele/px/BLE');
    expect(new Set(proxied.map((m) => m.json!.mac))).toEqual(new Set([chosen]));
    run.endInput();
    expect((await run.exited).code, run.describe()).toBe(0);
    expect(obs.messages.filter((m) => m.topic === 'tele/px/BLE').length).toBe(proxied.length);
  }, 90_000);
});
