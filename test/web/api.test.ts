// The web page's API over real sockets (the core's web server on the Node TCP adapter),
// against an app with fakes: key checks against the last encrypted frame, device changes
// saved to mi32cfg, the web password, firmware upload in pieces, and hostile input.

import * as net from 'node:net';
import { mkdtempSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { serviceDataStructure } from '../../firmware/core/ad/structures.js';
import { createGatewayApp } from '../../firmware/core/gateway/app.js';
import { createWebServer, type WebServer } from '../../firmware/core/web/web-server.js';
import { createNodeAes } from '../../host-sim/crypto.js';
import { nodeClock, nodeTcpServer } from '../../host-sim/net.js';
import { DirStore } from '../../host-sim/store.js';
import { fileOta } from '../../host-sim/web.js';
import { FakeClock, FakeNet, FixedRandom } from '../mqtt/fakes.js';
import { recordingLog } from '../helpers/gateway.js';
import { bytes, miBeacon } from '../helpers/frames.js';

const KEY = '0123456789ABCDEFFEDCBA9876543210';
const WRONG = 'FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF';
const MAC = 'A4C138112233';
const PLAIN_MAC = 'A4C138C0FFEE';

const servers: WebServer[] = [];
afterEach(() => { for (const s of servers.splice(0)) s.close(); });

/** An encrypted LYWSD03MMC frame (temperature/humidity) as the radio hears it. */
function encryptedAd(counter: number, key = KEY) {
  return { mac: MAC, rssi: -70, ad: serviceDataStructure(0xfe95, miBeacon({ pid: 0x055b, mac: MAC, counter, key: bytes(key), objects: [[0x100d, new Uint8Array([0xd2, 0x00, 0xf4, 0x01])]] })) };
}

async function setup(cfg = `[{"MAC":"${MAC}","PID":"055b","key":""},{"MAC":"${PLAIN_MAC}","PID":"0a1c","key":""}]`, requestTimeoutMs?: number) {
  const dir = mkdtempSync(join(tmpdir(), 'mi32-web-'));
  const disk = new DirStore(dir);
  /** The flash, which a test can make refuse writes (full or read-only). */
  const flash = { full: false };
  const store = {
    read: (n: string) => disk.read(n), exists: (n: string) => disk.exists(n), remove: (n: string) => disk.remove(n), rename: (a: string, b: string) => disk.rename(a, b),
    write: (n: string, d: Uint8Array) => { if (flash.full) throw new Error('no space left'); disk.write(n, d); },
  };
  if (cfg) store.write('mi32cfg', new TextEncoder().encode(cfg));
  const clock = new FakeClock();
  const logLines: string[] = [];
  const log = recordingLog(logLines);
  let web: WebServer | undefined;
  const app = createGatewayApp({
    clock, store, log, aes: createNodeAes(), net: new FakeNet(), random: new FixedRandom(1),
    hostCommand: (line, argument) => web?.hostCommand(line, argument),
  }, { settings: { topic: 'home' }, broker: () => 'off in this test' });
  web = createWebServer(app, { tcp: nodeTcpServer, clock: nodeClock, gatewayClock: clock, store, log, aes: createNodeAes(), ota: fileOta(dir, log) }, { historyDevices: 8, ...(requestTimeoutMs ? { http: { requestTimeoutMs } } : {}) });
  servers.push(web);
  app.start();
  const port = await new Promise<number>((resolve, reject) => web!.listen('127.0.0.1', 0, (e, p) => (e ? reject(e) : resolve(p))));
  const base = `http://127.0.0.1:${port}`;
  const call = async (path: string, init: RequestInit = {}) => {
    const r = await fetch(base + path, init);
    const text = await r.text();
    let body: any = text;
    try { body = JSON.parse(text); } catch { /* text */ }
    return { status: r.status, body, text, headers: r.headers };
  };
  const post = (path: string, body: unknown, type = path.startsWith('/api/update') ? 'application/octet-stream' : 'application/json') =>
    call(path, { method: 'POST', headers: { 'Content-Type': type }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const cfgText = () => readFileSync(join(dir, 'mi32cfg'), 'utf8');
  return { app, web, dir, clock, port, call, post, cfgText, logLines, flash };
}

/** Raw bytes to the server; resolves with all it answered once it closes (or after `ms`). */
function raw(port: number, text: string | Buffer, ms = 2000): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    s.on('data', (d) => { got += d.toString(); });
    s.on('close', () => resolve(got));
    s.on('error', () => resolve(got));
    s.write(text);
    setTimeout(() => { s.destroy(); resolve(got); }, ms);
  });
}

describe('bind keys from the page', () => {
  it('a wrong key is refused against the last encrypted frame and nothing is saved; the right one is saved and the state turns ok', async () => {
    const { app, post, call, cfgText, logLines } = await setup();
    const before = cfgText();
    app.gateway.handleAdvertisement(encryptedAd(5));
    const needs = (await call('/api/devices')).body.devices.find((d: any) => d.mac === MAC);
    expect(needs).toMatchObject({ keyState: 'needs-key', checkable: true, readings: [] });

    const wrong = await post(`/api/devices/${MAC}/key`, { key: WRONG });
    expect(wrong.status).toBe(422);
    expect(wrong.body.error).toMatch(/wrong key/);
    expect(cfgText()).toBe(before);
    expect(app.gateway.registry.keyOf(MAC)).toBeUndefined();

    const right = await post(`/api/devices/${MAC}/key`, { key: KEY });
    expect(right.status).toBe(200);
    expect(right.body).toEqual({ MAC, Key: '...3210', checked: true });
    expect(cfgText()).toContain(`{"MAC":"${MAC}","PID":"055b","key":"${KEY}"}`);
    app.gateway.handleAdvertisement(encryptedAd(6));
    const now = (await call('/api/devices')).body.devices.find((d: any) => d.mac === MAC);
    expect(now).toMatchObject({ keyState: 'ok', key: '...3210' });
    expect(now.readings.map((r: any) => [r.key, r.text, r.unit])).toEqual([['Temperature', '21.0', '°C'], ['Humidity', '50.0', '%'], ['DewPoint', '10.2', '°C']]);
    // the key never leaves: not in the list, not in the log
    expect(JSON.stringify((await call('/api/devices')).body)).not.toContain(KEY);
    expect(logLines.join('\n')).not.toContain(KEY);
  });

  it('a key for a device with no encrypted frame yet is saved unchecked, and says so; a malformed key is a 400', async () => {
    const { post, cfgText } = await setup();
    const bad = await post(`/api/devices/${MAC}/key`, { key: 'xyz' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/not valid hex/);
    const unchecked = await post(`/api/devices/${MAC}/key`, { key: KEY });
    expect(unchecked.status).toBe(200);
    expect(unchecked.body).toMatchObject({ checked: false, note: expect.stringMatching(/no encrypted frame/) });
    expect(cfgText()).toContain(KEY);
  });

  it('a plain frame naming a keyed device shows as refused-plain until its next good frame', async () => {
    const { app, post, call } = await setup();
    app.gateway.handleAdvertisement(encryptedAd(5));
    await post(`/api/devices/${MAC}/key`, { key: KEY });
    app.gateway.handleAdvertisement({ mac: MAC, rssi: -70, ad: serviceDataStructure(0xfe95, miBeacon({ pid: 0x055b, mac: MAC, counter: 9, objects: [[0x100d, new Uint8Array([0, 1, 0, 1])]] })) });
    expect((await call('/api/devices')).body.devices.find((d: any) => d.mac === MAC).keyState).toBe('refused-plain');
    app.gateway.handleAdvertisement(encryptedAd(10));
    expect((await call('/api/devices')).body.devices.find((d: any) => d.mac === MAC).keyState).toBe('ok');
  });
});

describe('devices from the page', () => {
  it('add, rename, remove and import are saved to mi32cfg; export gives the saved file', async () => {
    const { post, call, cfgText } = await setup();
    expect((await post('/api/devices', { mac: 'A4:C1:38:00:00:01', pid: '055b', name: 'Attic' })).status).toBe(200);
    expect(cfgText()).toContain('{"MAC":"A4C138000001","PID":"055b","key":"","name":"Attic"}');
    expect((await post('/api/devices/A4C138000001/name', { name: 'Loft' })).body).toEqual({ MAC: 'A4C138000001', name: 'Loft' });
    expect(cfgText()).toContain('"name":"Loft"');
    const clash = await post('/api/devices/A4C138000001/name', { name: 'ATC-c0ffee' });
    expect(clash.status).toBe(400);
    expect(clash.body.error).toMatch(/already used/);
    expect((await call('/api/devices/A4C138000001', { method: 'DELETE' })).status).toBe(200);
    expect(cfgText()).not.toContain('A4C138000001');
    const exported = await call('/api/mi32cfg');
    expect(exported.headers.get('content-disposition')).toContain('mi32cfg');
    expect(exported.text).toBe(cfgText());
    const imported = await post('/api/mi32cfg', `[{"MAC":"A4C138000002","PID":"0387","key":"${KEY}"},{"MAC":"nope","PID":"1"}]`);
    expect(imported.body).toMatchObject({ imported: 1, problems: [expect.stringMatching(/MAC "nope"/)] });
    expect(cfgText()).toContain(`{"MAC":"A4C138000002","PID":"0387","key":"${KEY}"}`);
    expect(cfgText()).toContain(MAC); // merged, nothing lost
  });

  it('removing every device leaves an empty list on flash, not the old file', async () => {
    const { call, cfgText } = await setup();
    await call(`/api/devices/${MAC}`, { method: 'DELETE' });
    await call(`/api/devices/${PLAIN_MAC}`, { method: 'DELETE' });
    expect(JSON.parse(cfgText())).toEqual([]);
  });
});

describe('a flash that refuses writes', () => {
  it('every change says it was not saved, and the saved files stay as they were', async () => {
    const { app, post, call, cfgText, flash } = await setup();
    const before = cfgText();
    app.gateway.handleAdvertisement(encryptedAd(5));
    flash.full = true;
    const key = await post(`/api/devices/${MAC}/key`, { key: KEY });
    expect([key.status, key.body.error]).toEqual([500, expect.stringMatching(/in use until restart but not saved: could not save mi32cfg: no space left/)]);
    expect((await post('/api/devices', { mac: 'A4C138000001', pid: '055b' })).status).toBe(500);
    expect((await call(`/api/devices/${PLAIN_MAC}`, { method: 'DELETE' })).status).toBe(500);
    const settings = await post('/api/settings', { telePeriod: 60 });
    expect([settings.status, settings.body.error]).toEqual([400, expect.stringMatching(/TelePeriod: could not save settings.json/)]);
    expect((await call('/cm?cmnd=WebPassword%20x12345')).body).toMatchObject({ WebPassword: 'Error' });
    expect(cfgText()).toBe(before);
    expect((await call('/api/settings')).body).toMatchObject({ telePeriod: 300, webPassword: false });
  });
});

describe('the web password', () => {
  it('off by default; once set, /cm needs user/password and the API Basic auth; the password is never shown or logged', async () => {
    const { call, logLines } = await setup();
    expect((await call('/cm?cmnd=WebPassword')).body).toEqual({ WebPassword: '' });
    expect((await call('/cm?cmnd=WebPassword%20pa55word')).body).toEqual({ WebPassword: '****' });
    expect((await call('/cm?cmnd=TelePeriod')).status).toBe(401);
    expect((await call('/cm?cmnd=TelePeriod&user=admin&password=wrong')).status).toBe(401);
    expect((await call('/cm?cmnd=TelePeriod&user=admin&password=pa55word')).body).toEqual({ TelePeriod: 300 });
    const denied = await call('/api/devices');
    expect(denied.status).toBe(401);
    expect(denied.headers.get('www-authenticate')).toMatch(/^Basic/);
    expect((await call('/', { headers: { Authorization: 'Basic ' + Buffer.from('admin:wrong').toString('base64') } })).status).toBe(401);
    expect((await call('/api/devices', { headers: { Authorization: 'Basic ' + Buffer.from('admin:pa55word').toString('base64') } })).status).toBe(200);
    expect((await call('/api/devices', { headers: { Authorization: 'Basic !!!' } })).status).toBe(401);
    expect(logLines.join('\n')).not.toContain('pa55word');
  });

  it('five wrong passwords in a row make that address wait (429), even with the right one', async () => {
    const { call } = await setup();
    await call('/cm?cmnd=WebPassword%20pa55word');
    for (let i = 0; i < 5; i++) expect((await call('/cm?cmnd=Status&user=admin&password=guess' + i)).status).toBe(401);
    const locked = await call('/cm?cmnd=Status&user=admin&password=pa55word');
    expect(locked.status).toBe(429);
    expect(locked.body.error).toMatch(/too many wrong passwords: try again in 30 s/);
    expect(locked.headers.get('retry-after')).toBe('30');
    expect((await call('/api/devices', { headers: { Authorization: 'Basic ' + Buffer.from('admin:pa55word').toString('base64') } })).status).toBe(429);
  });

  it('persists across a restart (web.json); a corrupt web.json is kept aside and the password is off', async () => {
    const first = await setup();
    await first.call('/cm?cmnd=WebPassword%20pa55word');
    const store = new DirStore(first.dir);
    const { WebPassword } = await import('../../firmware/core/web/auth.js');
    const lines: string[] = [];
    expect(new WebPassword(store, recordingLog(lines)).enabled).toBe(true);
    store.write('web.json', new TextEncoder().encode('{"webPassword":'));
    expect(new WebPassword(store, recordingLog(lines)).enabled).toBe(false);
    expect(lines.join('\n')).toMatch(/web.json is not valid .* kept as web.json.bad/);
  });
});

describe('the page', () => {
  it('is served gzip-compressed to a browser that accepts it, plain otherwise', async () => {
    const { port } = await setup();
    const plain = await raw(port, 'GET /m32 HTTP/1.1\r\nConnection: close\r\n\r\n');
    expect(plain).toMatch(/^HTTP\/1.1 200 OK\r\n[\s\S]*<title>mi32-xs<\/title>/);
    expect(plain).not.toMatch(/Content-Encoding/);
    const zipped = await fetch(`http://127.0.0.1:${port}/app.js`); // fetch asks for gzip and unpacks it
    expect(zipped.headers.get('content-encoding')).toBe('gzip');
    expect(await zipped.text()).toContain('EventSource');
  });
});

describe('hostile requests', () => {
  it('oversized, malformed and slow requests get a clear error; the server keeps serving and nothing saved changes', async () => {
    const { port, call, post, cfgText } = await setup();
    const before = cfgText();
    expect(await raw(port, `GET /api/devices HTTP/1.1\r\nX: ${'a'.repeat(10_000)}\r\n\r\n`)).toMatch(/^HTTP\/1.1 431/);
    expect(await raw(port, 'POST /api/mi32cfg HTTP/1.1\r\nContent-Length: 999999\r\n\r\n')).toMatch(/^HTTP\/1.1 413/);
    expect(await raw(port, 'NOT HTTP\r\n\r\n')).toMatch(/^HTTP\/1.1 400/);
    const bodies: [string, unknown, number, RegExp][] = [
      [`/api/devices/${MAC}/key`, '{"key":', 400, /not valid JSON/],
      [`/api/devices/${MAC}/key`, '[[[[[[[[[[1]]]]]]]]]]', 400, /nest/],
      ['/api/devices/not-a-mac/key', { key: KEY }, 400, /12 hex/],
      ['/api/devices', { mac: MAC, pid: 'zz' }, 400, /pid/],
      ['/api/mi32cfg', 'garbage', 400, /no device entries/],
      ['/api/settings', { telePeriod: 'soon' }, 400, /TelePeriod/],
      ['/api/update?offset=0&total=10', 'x', 415, /not an ESP32 application image|too short/],
    ];
    for (const [path, body, status, error] of bodies) {
      const r = await post(path, body);
      expect([path, r.status]).toEqual([path, status]);
      expect(r.body.error).toMatch(error);
    }
    // what another site's page could send without a CORS preflight is refused
    const formPost = await post(`/api/devices/${MAC}/key`, `{"key":"${KEY}"}`, 'text/plain');
    expect([formPost.status, formPost.body.error]).toEqual([415, 'send the body as application/json']);
    expect((await post('/api/update?offset=0&total=10', 'x', 'application/x-www-form-urlencoded')).status).toBe(415);
    expect((await call('/api/nothing')).status).toBe(404);
    expect((await call('/cm')).body).toMatchObject({ Command: 'Error' });
    expect(cfgText()).toBe(before);
    expect((await call('/api/devices')).status).toBe(200);
  });

  it('a client that sends half a request is answered 408 and closed; others are served meanwhile', async () => {
    const { port, call } = await setup(undefined, 300);
    const slow = raw(port, 'GET /api/devices HTTP/1.1\r\nHost: x\r\n', 5000);
    expect((await call('/api/devices')).status).toBe(200);
    expect(await slow).toMatch(/^HTTP\/1.1 408 Request Timeout[\s\S]*request not completed in time/);
    expect((await call('/api/devices')).status).toBe(200);
  });
});

describe('firmware upload', () => {
  /** A fake ESP32 image: magic 0xE9, chip id at 12. */
  const image = (chipId: number, size: number) => { const b = new Uint8Array(size).fill(7); b[0] = 0xe9; b[12] = chipId; b[13] = 0; return b; };

  it('refuses an image for another chip; a half-uploaded image leaves nothing; a whole one is written', async () => {
    const { port, dir } = await setup();
    const send = async (offset: number, total: number, data: Uint8Array) => {
      const r = await fetch(`http://127.0.0.1:${port}/api/update?offset=${offset}&total=${total}`, { method: 'POST', headers: { 'Content-Type': 'application/octet-stream' }, body: data });
      return { status: r.status, body: await r.json() as any };
    };
    const c3 = await send(0, 100, image(5, 100));
    expect(c3).toEqual({ status: 415, body: { error: 'the image was built for esp32c3; this gateway is esp32' } });
    const img = image(0, 100);
    expect((await send(0, 100, img.subarray(0, 40))).body).toEqual({ received: 40, total: 100 });
    const skipped = await send(60, 100, img.subarray(60));
    expect(skipped.status).toBe(409);
    expect(existsSync(join(dir, 'firmware-update.bin'))).toBe(false);
    expect(existsSync(join(dir, 'firmware-update.bin.part'))).toBe(false);
    expect((await send(40, 100, img.subarray(40))).status).toBe(409); // the cancelled update does not resume
    expect((await send(0, 100, img.subarray(0, 50))).status).toBe(200);
    expect((await send(50, 100, img.subarray(50))).body).toEqual({ received: 100, total: 100, done: true, restarting: false });
    expect(new Uint8Array(readFileSync(join(dir, 'firmware-update.bin')))).toEqual(img);
  });
});
