// Device management as the seed manager does it (issue 17, item 5): MI32Approve, MI32Remove,
// MI32List, MI32Mode, MI32Paired and the upload settings, from the console and over MQTT,
// persisted in devices.json / upload.json (atomically), and every bad argument an error
// reply that changes nothing.
import { describe, expect, it } from 'vitest';
import { serviceDataStructure } from '../../firmware/core/ad/structures.js';
import { Gateway } from '../../firmware/core/gateway/gateway.js';
import type { HttpClient, HttpClientRequest, Store } from '../../firmware/core/host.js';
import { createNodeAes } from '../../host-sim/crypto.js';
import { FakeClock } from '../mqtt/fakes.js';
import { bytes, miBeacon } from '../helpers/frames.js';
import { MemoryStore, RecordingMqtt, recordingLog } from '../helpers/gateway.js';

const MAC = 'A4C138112233';
const OTHER = 'A4C138445566';
const KEY = '0123456789ABCDEFFEDCBA9876543210';

/** An HTTP client that records requests and answers 200 (or what `status` says). */
class RecordingHttp implements HttpClient {
  requests: HttpClientRequest[] = [];
  status = 200;
  request(req: HttpClientRequest, done: (e: Error | undefined, r?: { status: number; body: string }) => void): void {
    this.requests.push(req);
    queueMicrotask(() => done(undefined, { status: this.status, body: '' }));
  }
}

function setup(store: Store = new MemoryStore()) {
  const clock = new FakeClock();
  const consoleLines: string[] = [];
  const logLines: string[] = [];
  const scanning: boolean[] = [];
  const http = new RecordingHttp();
  const gw = new Gateway({
    clock, store, log: recordingLog(logLines), aes: createNodeAes(), console: (l) => consoleLines.push(l), http,
    setScanning: (on) => scanning.push(on),
  }, { topic: 'home' });
  const mqtt = new RecordingMqtt();
  gw.start();
  gw.attachMqtt(mqtt);
  const run = (line: string) => gw.command(line, 'console');
  const viaMqtt = (command: string, payload: string) => {
    mqtt.deliver(`cmnd/home/${command}`, payload);
    return JSON.parse(mqtt.on('stat/home/RESULT').at(-1)!) as Record<string, unknown>;
  };
  return { gw, clock, store, mqtt, http, run, viaMqtt, consoleLines, logLines, scanning };
}

const frame = (counter: number, tenths: number, mac = MAC) => ({
  mac, rssi: -70,
  ad: serviceDataStructure(0xfe95, miBeacon({ pid: 0x055b, mac, counter, key: bytes(KEY), objects: [[0x1004, new Uint8Array([tenths & 0xff, tenths >> 8])]] })),
});

const text = (store: Store, name: string) => new TextDecoder().decode(store.read(name));

describe('MI32Approve / MI32Remove / MI32List', () => {
  it('approves from the console, answers on the console and stat/<topic>/RESULT, and saves devices.json', () => {
    const t = setup();
    expect(t.run('MI32Approve a4:c1:38:11:22:33')).toEqual({ MI32Approve: 'Done', MAC, Id: MAC });
    expect(t.consoleLines.at(-1)).toBe(`{"MI32Approve":"Done","MAC":"${MAC}","Id":"${MAC}"}`);
    expect(t.mqtt.on('stat/home/RESULT').at(-1)).toBe(t.consoleLines.at(-1));
    expect(JSON.parse(text(t.store, 'devices.json'))).toEqual({ mode: 'passive', devices: [{ MAC, id: MAC, paired: false }] });
  });

  it('approves over MQTT with an iotDeviceId; the list shows heard and approved devices', () => {
    const t = setup();
    t.gw.command(`MI32Key ${KEY}${MAC}`, 'console');
    t.gw.handleAdvertisement(frame(1, 215, OTHER)); // heard, not approved (no key: an error outcome, but a slot)
    expect(t.viaMqtt('MI32Approve', `${MAC} cd553938-8960-4e70-864a-a7fba06578c0`)).toEqual({ MI32Approve: 'Done', MAC, Id: 'cd553938-8960-4e70-864a-a7fba06578c0' });
    const list = t.viaMqtt('MI32List', '') as { MI32List: { Mode: string; Devices: Record<string, unknown>[] } };
    expect(list.MI32List.Mode).toBe('passive');
    expect(list.MI32List.Devices).toContainEqual({ MAC, Approved: 1, Paired: 0, Id: 'cd553938-8960-4e70-864a-a7fba06578c0' });
    expect(t.viaMqtt('MI32List', 'approved')).toEqual({ MI32List: { Mode: 'passive', Devices: [{ MAC, Approved: 1, Paired: 0, Id: 'cd553938-8960-4e70-864a-a7fba06578c0' }] } });
  });

  it('survives a restart (devices.json is read back); MI32Remove takes it off the list', () => {
    const store = new MemoryStore();
    setup(store).run(`MI32Approve ${MAC} kitchen-1`);
    const t = setup(store);
    expect(t.gw.management.isApproved(MAC)).toBe(true);
    expect(t.run(`MI32Remove ${MAC}`)).toEqual({ MI32Remove: 'Done', MAC });
    expect(setup(store).gw.management.isApproved(MAC)).toBe(false);
  });

  it('approving a blocked device unblocks it (the allow list wins over MI32Block)', () => {
    const t = setup();
    t.run(`MI32Block ${MAC}`);
    expect(t.run(`MI32Approve ${MAC}`)).toMatchObject({ MI32Approve: 'Done', Unblocked: 1 });
    expect(t.gw.blocked.has(MAC)).toBe(false);
  });

  it.each([
    ['MI32Approve', /usage: MI32Approve <MAC>/],
    ['MI32Approve nonsense', /"nonsense" is not a MAC/],
    [`MI32Approve ${MAC} has"quote`, /device id must be/],
    [`MI32Approve ${MAC} id extra`, /usage/],
    [`MI32Remove ${MAC}`, /is not approved/],
    ['MI32Remove', /usage: MI32Remove <MAC>/],
    ['MI32List everything', /usage: MI32List \[approved\]/],
    ['MI32Mode sideways', /mode must be passive, active, off/],
    [`MI32Pair ${MAC}`, /is not approved/],
    [`MI32Unpair ${MAC}`, /is not approved/],
    ['MI32Paired 12', /is not a MAC/],
    ['MI32UploadPeriod 2', /from 5 to 3600/],
    ['MI32UploadPeriod soon', /expected whole seconds/],
    ['MI32Upload http://example.com/iot', /only https:\/\//],
    ['MI32Upload https://user:pw@example.com/iot', /no user or password in the URL/],
    ['MI32Upload https://exa mple.com/', /spaces/],
    ['MI32UploadToken', /usage: MI32UploadToken/],
  ])('%s is an error reply that changes nothing', (line, message) => {
    const t = setup();
    const before = [...(t.store as MemoryStore).files.keys()].sort();
    const reply = t.run(line);
    const name = Object.keys(reply)[0]!;
    expect(reply[name]).toBe('Error');
    expect(String(reply.Error)).toMatch(message);
    expect([...(t.store as MemoryStore).files.keys()].sort()).toEqual(before);
  });

  it('a save that fails (read-only flash) is an error reply and the device is not approved', () => {
    const store = new MemoryStore();
    const t = setup(store);
    store.write = () => { throw new Error('read-only file system'); };
    const reply = t.run(`MI32Approve ${MAC}`);
    expect(reply).toMatchObject({ MI32Approve: 'Error' });
    expect(String(reply.Error)).toMatch(/could not save devices.json: read-only/);
    expect(t.gw.management.isApproved(MAC)).toBe(false);
  });

  it('a corrupt devices.json is kept aside and reported; the gateway starts with nothing approved', () => {
    const store = new MemoryStore();
    store.write('devices.json', new TextEncoder().encode('{"mode":"active","devices":[{"MAC":"A4C1'));
    const t = setup(store);
    expect(t.gw.management.mode).toBe('passive');
    expect(store.exists('devices.json.bad')).toBe(true);
    expect(t.logLines.some((l) => /devices.json is not valid/.test(l))).toBe(true);
  });

  it('bad entries of a hand-edited devices.json are skipped, the good ones kept', () => {
    const store = new MemoryStore();
    store.write('devices.json', new TextEncoder().encode(JSON.stringify({ mode: 'warp', devices: [{ MAC: 'xyz' }, { MAC, id: 'ok-1', paired: true }, { MAC: OTHER, paired: 'yes' }] })));
    const t = setup(store);
    expect(t.gw.management.mode).toBe('passive');
    expect([...t.gw.management.devices.approved.values()]).toEqual([{ mac: MAC, id: 'ok-1', paired: true }]);
    expect(t.logLines.filter((l) => /devices.json/.test(l))).toHaveLength(3);
  });
});

describe('MI32Mode', () => {
  it('off stops scanning and the gateway hears nothing; passive brings it back; the mode persists', () => {
    const store = new MemoryStore();
    const t = setup(store);
    t.run(`MI32Key ${KEY}${MAC}`);
    expect(t.run('MI32Mode off')).toEqual({ MI32Mode: 'off' });
    expect(t.scanning).toEqual([false]);
    const framesBefore = t.gw.registry.totals.frames;
    expect(t.gw.handleAdvertisement(frame(1, 215))).toEqual([{ kind: 'ignored', reason: 'filtered' }]);
    expect(t.gw.registry.totals.frames).toBe(framesBefore);
    // a restart in mode off starts with the scanner off
    const again = setup(store);
    expect(again.scanning).toEqual([false]);
    again.run(`MI32Key ${KEY}${MAC}`); // keys are RAM only until MI32Cfg
    expect(again.run('MI32Mode passive')).toEqual({ MI32Mode: 'passive' });
    expect(again.scanning).toEqual([false, true]);
    expect(again.gw.handleAdvertisement(frame(2, 216))[0]!.kind).toBe('values');
  });

  it('MI32Mode alone answers the mode; MI32Mode ACTIVE is taken', () => {
    const t = setup();
    expect(t.run('MI32Mode')).toEqual({ MI32Mode: 'passive' });
    expect(t.viaMqtt('MI32Mode', 'ACTIVE')).toEqual({ MI32Mode: 'active' });
  });

  it('MI32Pair needs mode active (it connects)', () => {
    const t = setup();
    t.run(`MI32Approve ${MAC}`);
    expect(String(t.run(`MI32Pair ${MAC}`).Error)).toMatch(/MI32Mode active first/);
    expect(t.run(`MI32Paired ${MAC}`)).toEqual({ MI32Paired: 0, MAC });
  });
});

describe('upload settings', () => {
  it('MI32Upload shows the URL without its query and never the token; upload.json keeps them', () => {
    const t = setup();
    t.run('MI32Upload https://iot.example.com/api/data?key=s3cret');
    expect(t.run('MI32UploadToken tok-123456')).toEqual({ MI32UploadToken: 'Done' });
    const reply = t.run('MI32Upload');
    expect(reply.MI32Upload).toMatchObject({ Url: 'https://iot.example.com/api/data?…', Period: 30, Token: 'set', Pending: 0 });
    expect(JSON.stringify(reply)).not.toMatch(/s3cret|tok-123456/);
    expect(t.consoleLines.join('\n') + t.mqtt.sent.map((m) => m.payload).join('\n') + t.logLines.join('\n')).not.toMatch(/s3cret|tok-123456/);
    expect(JSON.parse(text(t.store, 'upload.json'))).toEqual({ url: 'https://iot.example.com:443/api/data?key=s3cret', period: 30, token: 'tok-123456' });
  });

  it('upload.json is read back at start; a bad field is reported (never quoting the token) and left out', () => {
    const store = new MemoryStore();
    const first = setup(store);
    first.run('MI32Upload https://iot.example.com:8443/api');
    first.run('MI32UploadPeriod 60');
    first.run('MI32UploadToken tok-abc');
    expect(setup(store).run('MI32Upload').MI32Upload).toMatchObject({ Url: 'https://iot.example.com:8443/api', Period: 60, Token: 'set' });
    store.write('upload.json', new TextEncoder().encode(JSON.stringify({ url: 'http://plain.example.com/', period: 2, token: 'has space' })));
    const t = setup(store);
    expect(t.run('MI32Upload').MI32Upload).toMatchObject({ Url: '', Period: 30, Token: 'none' });
    const warnings = t.logLines.filter((l) => /upload.json/.test(l));
    expect(warnings).toHaveLength(3);
    expect(warnings.join('\n')).not.toContain('has space');
  });

  it('over MQTT the endpoint and the token cannot be changed (anyone on the broker could redirect them)', () => {
    const t = setup();
    expect(t.viaMqtt('MI32Upload', 'https://evil.example.com/')).toMatchObject({ MI32Upload: 'Error' });
    expect(t.viaMqtt('MI32UploadToken', 'x')).toMatchObject({ MI32UploadToken: 'Error' });
    expect(t.viaMqtt('MI32Upload', '')).toMatchObject({ MI32Upload: { Url: '' } });
    expect(t.viaMqtt('MI32UploadPeriod', '60')).toEqual({ MI32UploadPeriod: 60 });
  });

  it('readings of approved devices only are posted, every period, in the seed shape with the Bearer token', async () => {
    const t = setup();
    t.run(`MI32Key ${KEY}${MAC}`);
    t.run(`MI32Key ${KEY}${OTHER}`);
    t.run(`MI32Approve ${MAC} dev-1`);
    t.run('MI32Upload https://iot.example.com/api/data');
    t.run('MI32UploadToken tok-1');
    t.gw.handleAdvertisement(frame(1, 215));
    t.gw.handleAdvertisement(frame(1, 199, OTHER));
    t.clock.advance(29_000);
    expect(t.http.requests).toHaveLength(0);
    t.clock.advance(1_000);
    expect(t.http.requests).toHaveLength(1);
    const req = t.http.requests[0]!;
    expect(req).toMatchObject({ method: 'POST', host: 'iot.example.com', port: 443, path: '/api/data' });
    expect(req.headers).toMatchObject({ 'Content-Type': 'application/json', Authorization: 'Bearer tok-1' });
    const body = JSON.parse(new TextDecoder().decode(req.body));
    expect(body).toEqual({ data: [{ iotDeviceId: 'dev-1', dataType: 'temperature', data: [{ timestamp: String(Math.floor(1_000_000 / 1000)), data: { celsius: '21.5' } }] }] });
    await Promise.resolve();
    expect(t.run('MI32Upload').MI32Upload).toMatchObject({ Pending: 0, Posts: 1, Sent: 1, LastStatus: 200 });
  });
});
