// Issue 16, item 3, with the exact flow: `mi32 run` on a capture, stopped, started again
// with the same --data dir. A frame captured during the first run and replayed in the
// second is rejected and counted; a device reset (counter back to 1) is accepted again
// after the resync run. Embedded broker; results read off stdout (every published message
// is echoed there) and the teleperiod STATE of --once.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bytes, cfgText, FOREIGN_AD, miBeaconAd, runCleanups, startRun, tempDir, tempHum, writeCapture, type CaptureLine } from './harness.js';

afterEach(runCleanups);

const TH = { mac: 'A4C138112233', pid: 0x055b, name: 'LYWSD03-112233', key: '0123456789ABCDEFFEDCBA9876543210' };

function thFrame(counter: number, temperature: number): string {
  return miBeaconAd({ pid: TH.pid, mac: TH.mac, counter: counter & 0xff, extCounter: counter >> 8, objects: [tempHum(temperature, 50)], key: bytes(TH.key) });
}

/** One `mi32 run --once` on `frames` (200 ms apart after a lead-in); its SENSOR temperatures and last STATE. */
async function runOnce(dir: string, name: string, frames: string[], extra: string[] = []) {
  const lines: CaptureLine[] = [{ t: 0, mac: '112233AABBCC', ad: FOREIGN_AD }];
  frames.forEach((ad, i) => lines.push({ t: 300 + i * 200, mac: TH.mac, ad }));
  const capture = writeCapture(dir, lines, `${name}.jsonl`);
  const p = startRun([capture, '--data', join(dir, 'data'), '--topic', 'restart', '--speed', 'max', '--once', '--cmd', 'MI32Option2 1', ...extra]);
  expect(await p.exited).toEqual({ code: 0, signal: null });
  const echoed = p.echoed();
  const temperatures = echoed.filter((m) => m.topic === 'tele/restart/SENSOR').map((m) => JSON.parse(m.payload)[TH.name]?.Temperature as number | undefined);
  const state = JSON.parse(echoed.filter((m) => m.topic === 'tele/restart/STATE').at(-1)!.payload) as { MI32: Record<string, number> };
  return { temperatures, state: state.MI32, stderr: p.stderr() };
}

describe('replay protection across a restart of mi32 run (same --data)', () => {
  it('a frame captured before the restart and replayed after it is rejected and counted; a reset device is accepted after the resync run', async () => {
    const dir = tempDir();
    const cfg = join(dir, 'mi32cfg');
    writeFileSync(cfg, cfgText([{ MAC: TH.mac, PID: '055b', key: TH.key }]));
    const captured = thFrame(0x1001, 21.0); // what an attacker records during the first run

    const first = await runOnce(dir, 'first', [thFrame(0x1000, 20.0), captured, thFrame(0x1002, 22.0)], ['--cfg', cfg]);
    expect(first.temperatures).toEqual([20.0, 21.0, 22.0, 22.0]); // three readings, then the teleperiod
    expect(first.state).toMatchObject({ Decoded: 3, Replays: 0 });
    expect(existsSync(join(dir, 'data', 'counters.json'))).toBe(true);
    expect(readFileSync(join(dir, 'data', 'counters.json'), 'utf8')).not.toContain(TH.key); // counters only, no secret

    // Second run, same data dir: the captured frame is replayed, then the device is reset (battery change).
    const second = await runOnce(dir, 'second', [captured, thFrame(1, 23.0), thFrame(2, 24.0), thFrame(3, 25.0), thFrame(4, 26.0)]);
    expect(second.temperatures).not.toContain(21.0);
    expect(second.stderr).toMatch(/replayed frame \(counter 4097\) rejected/);
    // the captured frame and the first RESYNC_RUN - 1 frames of the reset device are replays; from the third on it is back
    expect(second.state).toMatchObject({ Decoded: 2, Replays: 3 });
    expect(second.temperatures).toEqual([25.0, 26.0, 26.0]);
  }, 60_000);
});
