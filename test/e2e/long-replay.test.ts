// Long replays (issue 12): the capture is streamed, a progress line goes to stderr, and
// at --speed max the gateway runs on capture time, so teleperiods happen as recorded.
// `mi32 run` as a child process with its embedded broker; what it published is read from
// its stdout echo. Needs the build.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { atcAd, runCleanups, tempDir, writeCapture, type CaptureLine } from './harness.js';

const BIN = fileURLToPath(new URL('../../bin/mi32.js', import.meta.url));
afterEach(runCleanups);

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [BIN, 'run', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d) => { stdout += d; });
    proc.stderr.on('data', (d) => { stderr += d; });
    proc.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const MAC = 'A4C138AABBCC';

/** One ATC reading a minute for `minutes` minutes of capture time. */
function minutes(minutes: number): CaptureLine[] {
  return Array.from({ length: minutes }, (_, i) => ({ t: i * 60_000, mac: MAC, ad: atcAd(MAC, 20 + i / 10, 50, 90, i) }));
}

describe('mi32 run --speed max on a long capture', () => {
  it('runs the gateway on capture time: a 31-minute capture gives its teleperiods (TelePeriod 300) at once', async () => {
    const dir = tempDir();
    const capture = writeCapture(dir, minutes(31));
    const r = await run([capture, '--data', join(dir, 'data'), '--speed', 'max', '--teleperiod', '300', '--topic', 'long', '--once']);
    expect(r.code, r.stderr).toBe(0);
    const states = r.stdout.split('\n').filter((l) => l.startsWith('tele/long/STATE '));
    const sensors = r.stdout.split('\n').filter((l) => l.startsWith('tele/long/SENSOR ')).map((l) => JSON.parse(l.slice(l.indexOf(' ') + 1)));
    // minutes 5, 10, ..., 30 of the capture, and the one --once adds at the end
    expect(states).toHaveLength(7);
    expect(sensors).toHaveLength(7);
    // each teleperiod has the reading of its moment: minute 5's SENSOR the reading of minute 4
    expect(sensors.slice(0, 6).map((s) => s['ATC-aabbcc'].Temperature)).toEqual([20.4, 20.9, 21.4, 21.9, 22.4, 22.9]);
    // and its Time is 300 s after the previous one's
    const times = sensors.slice(0, 6).map((s) => Date.parse(s.Time + 'Z'));
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBe(300_000);
  });

  it('prints a progress line to stderr while it replays', async () => {
    const dir = tempDir();
    const capture = writeCapture(dir, Array.from({ length: 3000 }, (_, i) => ({ t: i, mac: MAC, ad: atcAd(MAC, 20, 50, 90, i) })));
    const r = await run([capture, '--data', join(dir, 'data'), '--speed', 'max', '--once', '--quiet'], { MI32_PROGRESS_MS: '1' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^INFO  replay .*capture\.jsonl: \d+%, \d+ advertisements, \d+\/s$/m);
    expect(r.stderr).toMatch(/capture .*capture\.jsonl: 3000 advertisements \(jsonl\)/);
  });

  it('reports bad lines of a streamed capture with their line numbers and goes on', async () => {
    const dir = tempDir();
    const capture = writeCapture(dir, minutes(3));
    const { appendFileSync } = await import('node:fs');
    appendFileSync(capture, 'not json\n' + JSON.stringify({ t: 200_000, mac: MAC, addrType: 'public', rssi: -60, ad: atcAd(MAC, 30, 50, 90, 77) }) + '\n');
    const r = await run([capture, '--data', join(dir, 'data'), '--speed', 'max', '--once', '--topic', 'bad']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/capture .*: line 4: not valid JSON/);
    expect(r.stderr).toMatch(/4 advertisements \(jsonl\)/);
    const last = r.stdout.split('\n').filter((l) => l.startsWith('tele/bad/SENSOR ')).at(-1)!;
    expect(JSON.parse(last.slice(last.indexOf(' ') + 1))['ATC-aabbcc'].Temperature).toBe(30);
  });
});
