// The batch upload end to end: `mi32 run` replays a capture of two ATC sensors, one of them
// approved, and posts its readings to a local HTTPS server whose CA is in DIR/upload-ca.pem.
// What the server receives is the seed's JSON shape with the approved device's values only.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTlsMaterial, removeTlsMaterial, startAedes } from '../helpers/brokers.js';
import { atcAd, onCleanup, runCleanups, startRun, tempDir, waitFor, writeCapture } from './harness.js';

afterEach(runCleanups);

const APPROVED = 'A4C138AABBCC';
const OTHER = 'A4C138DDEEFF';

describe('mi32 run batch upload', () => {
  it('posts the approved device readings to the HTTPS endpoint in the seed shape, with the token', async () => {
    const material = makeTlsMaterial();
    onCleanup(() => removeTlsMaterial(material));
    const bodies: { auth: string | undefined; body: any }[] = [];
    const server = https.createServer({ key: readFileSync(material.keyFile), cert: readFileSync(material.certFile) }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push({ auth: req.headers.authorization, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    onCleanup(() => new Promise((r) => { server.closeAllConnections(); server.close(r); }));
    const port = (server.address() as AddressInfo).port;
    const broker = await startAedes();
    onCleanup(() => broker.stop());

    const dir = tempDir();
    const data = join(dir, 'data');
    mkdirSync(data);
    writeFileSync(join(data, 'upload-ca.pem'), material.caPem);
    const capture = writeCapture(dir, [
      { t: 0, mac: APPROVED, ad: atcAd(APPROVED, 21.5, 48, 90, 1) },
      { t: 500, mac: OTHER, ad: atcAd(OTHER, 18.0, 60, 70, 1) },
      { t: 1000, mac: APPROVED, ad: atcAd(APPROVED, 21.7, 49, 90, 2) },
    ]);
    const p = startRun([capture, '--broker', broker.url, '--topic', 'up1', '--data', data, '--speed', 'max',
      '--cmd', `MI32Approve ${APPROVED} cd553938-8960-4e70-864a-a7fba06578c0`,
      '--cmd', `MI32Upload https://localhost:${port}/api/iot`, '--cmd', 'MI32UploadToken tok-e2e-42', '--cmd', 'MI32UploadPeriod 5']);
    await waitFor('a post', () => bodies.length > 0, 30_000, p.describe);
    const { auth, body } = bodies[0]!;
    expect(auth).toBe('Bearer tok-e2e-42');
    const ids = new Set(body.data.map((g: { iotDeviceId: string }) => g.iotDeviceId));
    expect([...ids]).toEqual(['cd553938-8960-4e70-864a-a7fba06578c0']);
    const temperature = body.data.find((g: { dataType: string }) => g.dataType === 'temperature');
    expect(temperature.data.map((d: { data: Record<string, string> }) => d.data)).toEqual([{ celsius: '21.5' }, { celsius: '21.7' }]);
    for (const entry of temperature.data) expect(entry.timestamp).toMatch(/^\d{10}$/);
    expect(body.data.map((g: { dataType: string }) => g.dataType).sort()).toEqual(['battery_level', 'battery_voltage', 'humidity', 'temperature']);
    // The token never reaches the console, the log or the broker.
    expect(p.stdout.join('\n') + p.stderr()).not.toContain('tok-e2e-42');
  });
});
