// The settings page sets the simulator's broker (host, port, user, password, TLS) in a real
// browser: the gateway reconnects to the new broker with the new credentials, a restart of
// `mi32 run` keeps them (DIR/mqtt.json over --broker), and the password is never shown back
// (not in the page, not in the API). Bad host or port: a 400 that says why, nothing saved.

import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { onCleanup, runCleanups, tempDir, waitFor } from '../e2e/harness.js';
import { runWithPage } from './helpers.js';

const SECRET = 'pw-Zq81x';
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => { await browser?.close(); });
afterEach(runCleanups);

/** An aedes broker that asks for a user name and password, and records who logged in. */
async function authBroker(): Promise<{ port: number; logins: { user: string; password: string; ok: boolean }[] }> {
  const aedes = await Aedes.createBroker();
  const logins: { user: string; password: string; ok: boolean }[] = [];
  aedes.authenticate = (_client, user, password, done) => {
    const ok = user === 'alice' && password?.toString() === SECRET;
    logins.push({ user: user ?? '', password: password?.toString() ?? '', ok });
    done(null, ok);
  };
  const server: Server = createServer(aedes.handle);
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
  onCleanup(() => new Promise<void>((resolve) => server.close(() => aedes.close(() => resolve()))));
  return { port, logins };
}

describe('settings page: the broker', () => {
  it('sets host, port, user, password and TLS; the gateway moves to that broker and a restart keeps them; the password never comes back', async () => {
    const dir = tempDir();
    const target = await authBroker();
    const first = await runWithPage(['--data', dir]);
    const page = await (await browser.newContext()).newPage();
    await page.goto(first.url + 'settings');
    await page.waitForFunction(() => (document.querySelector('input[name="mqtt.host"]') as HTMLInputElement).value === '127.0.0.1');
    expect(await page.isDisabled('input[name="mqtt.host"]')).toBe(false);
    expect(await page.isDisabled('input[name="mqtt.tls"]')).toBe(false);

    // A bad host: a clear error on the page, and nothing saved (the port typed with it neither).
    // (A bad port the browser's own number field refuses; the API test sends one.)
    await page.fill('input[name="mqtt.host"]', 'bad host');
    await page.fill('input[name="mqtt.port"]', '1884');
    await page.click('#settings-form button');
    await page.waitForFunction(() => /host must be/.test(document.querySelector('#settings-msg')!.textContent!));
    // The form reloads what is saved: the port typed with the bad host was not kept.
    await page.waitForFunction(() => (document.querySelector('input[name="mqtt.port"]') as HTMLInputElement).value !== '1884');
    expect(await page.inputValue('input[name="mqtt.host"]')).toBe('127.0.0.1');
    expect(existsSync(join(dir, 'mqtt.json'))).toBe(false);

    await page.fill('input[name="mqtt.host"]', '127.0.0.1');
    await page.fill('input[name="mqtt.port"]', String(target.port));
    await page.fill('input[name="mqtt.user"]', 'alice');
    await page.fill('input[name="mqtt.password"]', SECRET);
    await page.click('#settings-form button');
    await page.waitForSelector('#settings-msg.ok');
    // The gateway reconnects at once, to the new broker, with the new credentials.
    await waitFor('a login on the new broker', () => target.logins.find((l) => l.ok), 20_000, first.run.describe);
    // Write-only: once the form reloads, the field is empty and only says a password is set.
    await page.waitForFunction(() => {
      const field = document.querySelector('input[name="mqtt.password"]') as HTMLInputElement;
      return field.value === '' && field.placeholder === 'set (unchanged)';
    });

    // TLS on: saved and used at the next connect (the test broker speaks plain MQTT, so it fails there).
    await page.check('input[name="mqtt.tls"]');
    // The message still says "saved" from before: wait for this save's answer itself.
    const [saved] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/settings') && r.request().method() === 'POST'),
      page.click('#settings-form button'),
    ]);
    expect(saved.status()).toBe(200);
    first.run.proc.kill('SIGTERM');
    await first.run.exited;
    expect(JSON.parse(readFileSync(join(dir, 'mqtt.json'), 'utf8'))).toMatchObject({ port: target.port, user: 'alice', password: SECRET, tls: true }); // only what was changed (the host is the embedded broker's)

    // A restart (no --broker): the saved settings are used over the embedded broker.
    const second = await runWithPage(['--data', dir]);
    await second.run.waitStderr('the saved settings announced', /broker settings saved in the data folder \(mqtt\.json\) are used/);
    const again = await (await browser.newContext()).newPage();
    await again.goto(second.url + 'settings');
    await again.waitForFunction((port) => (document.querySelector('input[name="mqtt.port"]') as HTMLInputElement).value === String(port), target.port);
    expect(await again.inputValue('input[name="mqtt.host"]')).toBe('127.0.0.1');
    expect(await again.inputValue('input[name="mqtt.user"]')).toBe('alice');
    expect(await again.isChecked('input[name="mqtt.tls"]')).toBe(true);
    expect(await again.inputValue('input[name="mqtt.password"]')).toBe('');
    expect(await again.content()).not.toContain(SECRET);
    const api = await (await fetch(second.url + 'api/settings')).text();
    expect(api).not.toContain(SECRET);
    expect(JSON.parse(api).mqtt).toMatchObject({ host: '127.0.0.1', port: target.port, user: 'alice', passwordSet: true, tls: true, editable: true });
    const cm = await (await fetch(second.url + 'cm?cmnd=MqttPassword')).json();
    expect(cm).toEqual({ MqttPassword: '****' });

    // TLS off from the page (an empty password keeps it): the gateway logs in to the broker again.
    const before = target.logins.length;
    await again.uncheck('input[name="mqtt.tls"]');
    await again.click('#settings-form button');
    await again.waitForSelector('#settings-msg.ok');
    await waitFor('a login after TLS off', () => target.logins.slice(before).find((l) => l.ok), 20_000, second.run.describe);
    second.run.proc.kill('SIGTERM');
    await second.run.exited;
    expect(second.run.stderr() + second.run.stdout.join('\n')).not.toContain(SECRET);
  }, 120_000);

  it('bad host or port through the API: 400 with the reason, nothing saved, the page keeps serving', async () => {
    const dir = tempDir();
    const { run, url } = await runWithPage(['--data', dir]);
    const post = (body: unknown) => fetch(url + 'api/settings', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    for (const [mqtt, reason] of [
      [{ host: 'bad host', port: '1883' }, /host must be/],
      [{ host: 'x'.repeat(65) }, /host must be/],
      [{ port: 'abc' }, /port must be 2-65535/],
      [{ port: '0' }, /port must be 2-65535/],
      [{ tls: 'yes' }, /tls must be true or false/],
      [{ user: 'two words' }, /user must be/],
      ['host', /MQTT: must be an object/],
    ] as const) {
      const res = await post({ topic: 'changed', mqtt });
      expect(res.status, JSON.stringify(mqtt)).toBe(400);
      expect((await res.json()).error).toMatch(reason);
    }
    expect(existsSync(join(dir, 'mqtt.json'))).toBe(false);
    const settings = await (await fetch(url + 'api/settings')).json();
    expect(settings.topic).toBe('mi32'); // the topic sent with the bad broker fields was not applied either
    expect(settings.mqtt.port).not.toBe(0);
    run.endInput();
  }, 60_000);
});
