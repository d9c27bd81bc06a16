// The batch upload against a local HTTPS server (a CA and a server certificate made with
// openssl at test time; the gateway trusts the CA through upload-ca.pem), on a fake clock:
// the endpoint down for 60 s loses nothing within 180 s; down longer, the oldest readings
// are dropped and counted. Real sockets, fake time: no test waits for real seconds.
import { readFileSync } from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { utf8Encode } from '../../firmware/core/mqtt/utf8.js';
import { Uploader } from '../../firmware/core/upload/uploader.js';
import { nodeHttp } from '../../host-sim/http-client.js';
import { FakeClock } from '../mqtt/fakes.js';
import { makeTlsMaterial, removeTlsMaterial, type TlsMaterial } from '../helpers/brokers.js';
import { MemoryStore, recordingLog } from '../helpers/gateway.js';

interface Received { auth: string | undefined; type: string | undefined; body: { data: { iotDeviceId: string; dataType: string; data: { timestamp: string; data: Record<string, string> }[] }[] } }

let material: TlsMaterial;
let server: https.Server;
let port = 0;
/** 'up': 200; 'refuse': the server is closed (connection refused); 'error': 503. */
let state: 'up' | 'refuse' | 'error' = 'up';
const received: Received[] = [];

function listen(): Promise<void> {
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => { port = (server.address() as AddressInfo).port; resolve(); }));
}

beforeAll(async () => {
  material = makeTlsMaterial();
  server = https.createServer({ key: readFileSync(material.keyFile), cert: readFileSync(material.certFile) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (state === 'error') {
        res.writeHead(503).end('maintenance');
        return;
      }
      received.push({ auth: req.headers.authorization, type: req.headers['content-type'], body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true}');
    });
  });
  await listen();
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  removeTlsMaterial(material);
});

async function setState(next: typeof state): Promise<void> {
  if (next === 'refuse' && state !== 'refuse') {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
  if (state === 'refuse' && next !== 'refuse') await listen();
  state = next;
}

function setup(withCa = true) {
  received.length = 0;
  const clock = new FakeClock();
  const store = new MemoryStore();
  if (withCa) store.write('upload-ca.pem', utf8Encode(material.caPem));
  const logLines: string[] = [];
  const uploader = new Uploader({ clock, store, log: recordingLog(logLines), http: nodeHttp });
  uploader.setUrl(`https://localhost:${port}/api/iot/data`);
  uploader.setToken('secret-token-1');
  uploader.start();
  const start = clock.now();
  /** One second of fake time, then the real socket work a post started (bounded). */
  const tick = async () => {
    clock.advance(1000);
    for (let i = 0; i < 2000 && uploader.busy; i++) await new Promise((r) => setTimeout(r, 5));
  };
  const reading = (second: number) => uploader.add('sensor-1', start + second * 1000, { Temperature: 20 + second / 100, Battery: 90 });
  const timestamps = () => received.flatMap((r) => r.body.data.filter((g) => g.dataType === 'temperature').flatMap((g) => g.data.map((d) => Number(d.timestamp))));
  const second = (s: number) => Math.floor((start + s * 1000) / 1000);
  return { clock, store, uploader, logLines, tick, reading, timestamps, second };
}

describe('batch upload over HTTPS', () => {
  it('posts every 30 s in the seed JSON shape, with the Bearer token, trusting the CA in upload-ca.pem', async () => {
    const t = setup();
    t.reading(0);
    t.reading(10);
    for (let s = 0; s < 30; s++) await t.tick();
    expect(received).toHaveLength(1);
    expect(received[0]!.auth).toBe('Bearer secret-token-1');
    expect(received[0]!.type).toBe('application/json');
    expect(received[0]!.body).toEqual({
      data: [
        { iotDeviceId: 'sensor-1', dataType: 'temperature', data: [{ timestamp: String(t.second(0)), data: { celsius: '20' } }, { timestamp: String(t.second(10)), data: { celsius: '20.1' } }] },
        { iotDeviceId: 'sensor-1', dataType: 'battery_level', data: [{ timestamp: String(t.second(0)), data: { level: '90' } }, { timestamp: String(t.second(10)), data: { level: '90' } }] },
      ],
    });
    expect(t.uploader.status()).toMatchObject({ Pending: 0, Posts: 1, Sent: 2, Failures: 0, Dropped: 0, LastStatus: 200 });
    t.uploader.stop();
  });

  it('the endpoint down (connection refused) for 60 s: retried with backoff, nothing lost, each reading once', async () => {
    const t = setup();
    for (let s = 0; s <= 200; s++) {
      if (s % 10 === 0 && s <= 120) t.reading(s);
      if (s === 25) await setState('refuse');
      if (s === 85) await setState('up');
      await t.tick();
    }
    const expected = Array.from({ length: 13 }, (_, k) => t.second(k * 10));
    expect(t.timestamps()).toEqual(expected);
    const status = t.uploader.status();
    expect(status.Failures).toBeGreaterThanOrEqual(3); // 30 s, then backoff 5, 10, 20 s ... until it is back
    expect(status).toMatchObject({ Pending: 0, Dropped: 0, Sent: 13, LastError: '' });
    expect(t.logLines.filter((l) => /upload to .* failed/.test(l))).toHaveLength(1); // once per outage, not per retry
    expect(t.logLines.join('\n')).not.toContain('secret-token-1');
    t.uploader.stop();
  });

  it('down (HTTP 503) for longer than 180 s: the oldest readings are dropped and counted, the newer ones arrive', async () => {
    const t = setup();
    await setState('error');
    for (let s = 0; s <= 330; s++) {
      if (s % 10 === 0 && s <= 240) t.reading(s);
      if (s === 255) await setState('up');
      await t.tick();
    }
    const got = t.timestamps();
    const status = t.uploader.status() as { Dropped: number; Pending: number; LastStatus: number };
    expect(status.Dropped).toBeGreaterThan(0);
    expect(got.length + status.Dropped).toBe(25);
    // What arrived is the newest readings, in order, each once.
    expect(got).toEqual(Array.from({ length: 25 }, (_, k) => t.second(k * 10)).slice(status.Dropped));
    expect(status.Pending).toBe(0);
    expect(t.logLines.some((l) => /readings older than 180 s dropped/.test(l))).toBe(true);
    t.uploader.stop();
  });

  it('without the CA the self-signed server is not trusted: the post fails and the readings wait', async () => {
    const t = setup(false);
    t.reading(0);
    for (let s = 0; s < 31; s++) await t.tick();
    expect(received).toHaveLength(0);
    expect(t.uploader.status()).toMatchObject({ Pending: 1, Failures: 1 });
    expect(String(t.uploader.status().LastError)).toMatch(/certificate|self.signed|issuer/i);
    t.uploader.stop();
  });
});
