// Shared by the web page tests: a demo capture whose recorded part plays at once and whose
// tail keeps one plain sensor changing, and `mi32 run` with its web page on a free port.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { atcAd, cfgText, startRun, type RunProcess } from '../e2e/harness.js';

export const DEMO = new URL('../../examples/demo/', import.meta.url);
/** The living-room LYWSD03MMC of the demo, encrypted: the tests take its key away and type it again. */
export const KEYED_MAC = 'A4C1381A2B01';
export const KEYED_KEY = 'DEC0DE00000000000000000000000001';
/** A plain ATC sensor added by the tail of the capture: its temperature changes every second. */
export const CHANGING_MAC = 'A4C138BEEF01';

/**
 * The demo's advertisements all at t=0 (they play at once), then CHANGING_MAC every second
 * for `tailSeconds`, with a new temperature each time.
 */
export function writeWebCapture(dir: string, tailSeconds: number): string {
  const lines = readFileSync(new URL('home.jsonl', DEMO), 'utf8').trim().split('\n').map((l) => ({ ...JSON.parse(l), t: 0 }));
  for (let s = 1; s <= tailSeconds; s++) {
    lines.push({ t: s * 1000, mac: CHANGING_MAC, addrType: 'public', rssi: -60, ad: atcAd(CHANGING_MAC, 20 + s / 10, 50, 90, s) });
  }
  const path = join(dir, 'capture.jsonl');
  writeFileSync(path, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return path;
}

/** The demo's mi32cfg without the key of KEYED_MAC (and with CHANGING_MAC listed, so it is tracked). */
export function writeCfg(dir: string): void {
  const entries = JSON.parse(readFileSync(new URL('mi32cfg', DEMO), 'utf8')) as { MAC: string; PID: string; key: string }[];
  const edited = entries.map((e) => (e.MAC === KEYED_MAC ? { ...e, key: '' } : e));
  edited.push({ MAC: CHANGING_MAC, PID: '0a1c', key: '' });
  writeFileSync(join(dir, 'mi32cfg'), cfgText(edited));
}

/** `mi32 run` with the page on a free port; resolves with the page's URL once it listens. */
export async function runWithPage(args: string[]): Promise<{ run: RunProcess; url: string }> {
  const run = startRun([...args, '--http', '0']);
  const m = await run.waitStderr('the web page URL', /web page: (http:\/\/\S+)/);
  return { run, url: m[1]! };
}
