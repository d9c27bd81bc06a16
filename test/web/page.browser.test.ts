// The gateway's web page in a real browser (playwright-core driving Debian's chromium)
// against `mi32 run` on the demo capture: the dashboard, live updates, the history graph,
// bind keys checked on the spot, the console, and settings that survive a restart.
// Screenshots of each page go to test-output/web/ (gitignored).

import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCleanups, tempDir, waitFor } from '../e2e/harness.js';
import { CHANGING_MAC, KEYED_KEY, KEYED_MAC, runWithPage, writeCfg, writeWebCapture } from './helpers.js';

const SHOTS = new URL('../../test-output/web/', import.meta.url).pathname;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  // one browser for the file
  browser = await launchChromium();
});
afterAll(async () => { await browser?.close(); });
afterEach(runCleanups);

async function open(url: string, credentials?: { username: string; password: string }): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 }, ...(credentials ? { httpCredentials: credentials } : {}) });
  return context.newPage();
}

/** Readings of a tile as the page shows them: { Temperature: "21.4", ... }. */
async function tileReadings(page: Page, mac: string): Promise<Record<string, string>> {
  return page.$$eval(`.tile[data-mac="${mac}"] .r`, (lines) => Object.fromEntries(lines.map((l) => [l.getAttribute('data-key')!, l.lastChild!.textContent!.split(' ')[0]!])));
}

describe('web page', () => {
  it('dashboard shows the SENSOR values, updates live, draws history; keys are checked; the console answers', async () => {
    const dir = tempDir();
    writeCfg(dir);
    const capture = writeWebCapture(dir, 180); // values keep changing for 3 minutes, however slow the machine
    const { run, url } = await runWithPage([capture, '--data', dir]);
    const page = await open(url);
    await page.goto(url);
    await page.waitForSelector(`.tile[data-mac="${CHANGING_MAC}"]`);

    // Every device the SENSOR message carries has a tile with the same values.
    const before = run.echoed().length;
    run.send('TelePeriod'); // any TelePeriod command publishes STATE and SENSOR at once
    const sensorLine = await waitFor('a SENSOR message', () => run.echoed().slice(before).find((m) => m.topic === 'tele/mi32/SENSOR'), 10_000, run.describe);
    const sensor = JSON.parse(sensorLine.payload) as Record<string, Record<string, unknown>>;
    await page.reload();
    await page.waitForSelector(`.tile[data-mac="${CHANGING_MAC}"]`);
    const devices = Object.entries(sensor).filter(([, v]) => typeof v === 'object' && v !== null && typeof v.MAC === 'string');
    expect(devices.length).toBeGreaterThanOrEqual(10);
    for (const [name, values] of devices) {
      const mac = values.MAC as string;
      expect(await page.textContent(`.tile[data-mac="${mac}"] h4`)).toBe(name);
      if (mac === CHANGING_MAC) continue; // it changes every second
      const shown = await tileReadings(page, mac);
      for (const [key, value] of Object.entries(values)) {
        if (['RSSI', 'Time', 'MAC', 'Battery'].includes(key)) continue;
        // as the SENSOR JSON writes it (Temperature with one decimal)
        expect(shown[key], `${name} ${key}`).toBe(typeof value === 'number' && ['Temperature', 'Humidity', 'DewPoint'].includes(key) ? value.toFixed(1) : String(value));
      }
      if (typeof values.Battery === 'number') expect(await page.textContent(`.tile[data-mac="${mac}"] .battery`)).toContain(`${values.Battery} %`);
    }
    await page.screenshot({ path: join(SHOTS, 'dashboard.png'), fullPage: true });

    // A replayed advertisement changes a value: the tile shows it without a reload, and lights up.
    const first = (await tileReadings(page, CHANGING_MAC)).Temperature;
    await page.waitForFunction(([mac, t]) => {
      const tile = document.querySelector(`.tile[data-mac="${mac}"] .r[data-key="Temperature"]`);
      return tile && !tile.textContent!.includes(t!);
    }, [CHANGING_MAC, first], { timeout: 15_000 });
    await page.waitForSelector(`.tile[data-mac="${CHANGING_MAC}"].flash`, { timeout: 5000 });

    // The graph of a sensor has points.
    await page.click(`.tile[data-mac="${CHANGING_MAC}"]`);
    await page.waitForSelector('#chart circle.point');
    expect(await page.$$eval('#chart circle.point', (c) => c.length)).toBeGreaterThanOrEqual(1);
    expect(await page.textContent('#graph-legend')).toMatch(/Temperature: \d/);
    await page.screenshot({ path: join(SHOTS, 'graph.png'), fullPage: true });

    // The key: the device without one needs it; a wrong key is refused on the spot, the right one turns it ok.
    expect(await page.textContent(`.tile[data-mac="${KEYED_MAC}"] .key`)).toBe('needs key');
    await page.click('nav a[data-page="devices"]');
    const row = `tr[data-mac="${KEYED_MAC}"]`;
    await page.fill(`${row} .key-input`, 'DEC0DE00000000000000000000000009');
    await page.click(`${row} .set-key`);
    await page.waitForSelector('#device-msg.err');
    expect(await page.textContent('#device-msg')).toMatch(/wrong key/);
    expect(readFileSync(join(dir, 'mi32cfg'), 'utf8')).not.toContain('DEC0DE00000000000000000000000009');
    await page.screenshot({ path: join(SHOTS, 'devices-wrong-key.png'), fullPage: true });
    await page.fill(`${row} .key-input`, KEYED_KEY);
    await page.click(`${row} .set-key`);
    await page.waitForSelector('#device-msg.ok');
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === 'key ok', `${row} .key`);
    expect(readFileSync(join(dir, 'mi32cfg'), 'utf8')).toContain(`{"MAC":"${KEYED_MAC}","PID":"055b","key":"${KEYED_KEY}"}`);
    await page.screenshot({ path: join(SHOTS, 'devices.png'), fullPage: true });

    // The console: a command gets its reply, as on stdin and MQTT.
    await page.click('nav a[data-page="console"]');
    await page.fill('#cmd', 'MI32Option0');
    await page.press('#cmd', 'Enter');
    await page.waitForFunction(() => document.querySelector('#log')!.textContent!.includes('{"MI32Option0":1}'));
    await page.screenshot({ path: join(SHOTS, 'console.png'), fullPage: true });
  }, 120_000);

  it('settings persist across a restart, and the web password then guards the page', async () => {
    const dir = tempDir();
    writeCfg(dir);
    const first = await runWithPage(['--data', dir]);
    const page = await open(first.url);
    await page.goto(first.url + 'settings');
    await page.waitForFunction(() => (document.querySelector('input[name="topic"]') as HTMLInputElement).value === 'mi32');
    expect(await page.isDisabled('input[name="mqtt.host"]')).toBe(false); // the simulator's broker is set here too (mqtt-settings.browser.test.ts)
    await page.fill('input[name="topic"]', 'webtest');
    await page.fill('input[name="telePeriod"]', '120');
    await page.check('input[name="options.MI32Option2"]');
    await page.fill('input[name="webPassword"]', 's3cret');
    await page.click('#settings-form button');
    await page.waitForSelector('#settings-msg.ok');
    await page.screenshot({ path: join(SHOTS, 'settings.png'), fullPage: true });
    first.run.proc.kill('SIGTERM');
    await first.run.exited;

    const second = await runWithPage(['--data', dir]);
    const refused = await fetch(second.url + 'api/settings');
    expect(refused.status).toBe(401);
    const guarded = await open(second.url, { username: 'admin', password: 's3cret' });
    await guarded.goto(second.url + 'settings');
    await guarded.waitForFunction(() => (document.querySelector('input[name="topic"]') as HTMLInputElement).value === 'webtest');
    expect(await guarded.inputValue('input[name="telePeriod"]')).toBe('120');
    expect(await guarded.isChecked('input[name="options.MI32Option2"]')).toBe(true);
  }, 120_000);
});
