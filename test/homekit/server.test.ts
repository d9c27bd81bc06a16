// The HAP server and bridge in process, over a real socket: what a hostile or confused
// client meets (470 before pair-verify, malformed TLV, Busy, MaxTries, the connection cap,
// identify rules), the encrypted frames, motion clearing, and the stored state.

import * as net from 'node:net';
import { HttpClient } from 'hap-controller';
import { afterEach, describe, expect, it } from 'vitest';
import type { Clock, TimerHandle } from '../../firmware/core/host.js';
import { Registry } from '../../firmware/core/gateway/registry.js';
import { HomeKitBridge } from '../../firmware/core/homekit/bridge.js';
import { homeKitCommand } from '../../firmware/core/homekit/commands.js';
import { HapSessionCodec, sessionKeys } from '../../firmware/core/homekit/session.js';
import { setupCodeFromMac, setupCodeProblem } from '../../firmware/core/homekit/setup-code.js';
import { IDENTITY_FILE, PAIRINGS_FILE } from '../../firmware/core/homekit/state.js';
import { decodeTlv, encodeTlv, TLV } from '../../firmware/core/homekit/tlv8.js';
import { createNodeAes } from '../../host-sim/crypto.js';
import { createNodeHapCrypto } from '../../host-sim/hap-crypto.js';
import { nodeRandom, nodeTcpServer } from '../../host-sim/net.js';
import { MemoryStore, recordingLog } from '../helpers/gateway.js';
import { within } from './harness.js';

const crypto = createNodeHapCrypto();
const CODE = '031-45-154';

/** Timers run only when the test says so (motion clearing); now() is real. */
class ManualClock implements Clock {
  timers: { at: number; run: () => void; id: number }[] = [];
  private next = 1;
  private offset = 0;
  now() { return Date.now() + this.offset; }
  setTimeout(run: () => void, ms: number): TimerHandle { const id = this.next++; this.timers.push({ at: this.now() + ms, run, id }); return id; }
  clearTimeout(handle: TimerHandle) { this.timers = this.timers.filter((t) => t.id !== handle); }
  advance(ms: number) {
    this.offset += ms;
    for (const t of this.timers.filter((x) => x.at <= this.now())) { this.clearTimeout(t.id); t.run(); }
  }
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

interface Setup { bridge: HomeKitBridge; port: number; registry: Registry; store: MemoryStore; log: string[]; clock: ManualClock }

async function start(options: { store?: MemoryStore; maxConnections?: number; more?: [string, number][]; slots?: number } = {}): Promise<Setup> {
  const store = options.store ?? new MemoryStore();
  const log: string[] = [];
  const clock = new ManualClock();
  const registry = new Registry({ aes: createNodeAes(), ...(options.slots ? { limit: options.slots } : {}) });
  registry.add('A4C1381A2B01', 0x055b); // LYWSD03MMC
  registry.add('50EC50A1B2C3', 0x07f6); // MJYD02YL nightlight (motion)
  for (const [mac, pid] of options.more ?? []) registry.add(mac, pid);
  const bridge = new HomeKitBridge({ tcp: nodeTcpServer, clock, log: recordingLog(log), store, crypto, random: nodeRandom }, registry,
    { mac: 'AABBCC1234F2', defaultCode: CODE, ...(options.maxConnections ? { maxConnections: options.maxConnections } : {}) });
  const port = await new Promise<number>((resolve, reject) => bridge.listen('127.0.0.1', 0, (e, p) => (e ? reject(e) : resolve(p))));
  cleanups.push(() => bridge.stop());
  return { bridge, port, registry, store, log, clock };
}

/** One raw HTTP exchange on a fresh connection; resolves with the status line, headers and body bytes. */
function raw(port: number, request: string | Buffer, socket?: net.Socket): Promise<{ status: number; body: Uint8Array; socket: net.Socket }> {
  return new Promise((resolve, reject) => {
    const s = socket ?? net.connect(port, '127.0.0.1');
    if (!socket) cleanups.push(() => s.destroy());
    let data = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      const head = data.indexOf('\r\n\r\n');
      if (head < 0) return;
      const text = data.subarray(0, head).toString();
      const length = Number(/content-length: (\d+)/i.exec(text)?.[1] ?? 0);
      if (data.length < head + 4 + length) return;
      s.off('data', onData);
      resolve({ status: Number(text.split(' ')[1]), body: new Uint8Array(data.subarray(head + 4, head + 4 + length)), socket: s });
    };
    s.on('data', onData);
    s.on('error', reject);
    s.write(request);
  });
}

function post(path: string, body: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/pairing+tlv8\r\nContent-Length: ${body.length}\r\n\r\n`), Buffer.from(body)]);
}

describe('HAP server: refusals', () => {
  it('answers 470 to data requests before pair-verify, and keeps serving', async () => {
    const { port } = await start();
    for (const request of ['GET /accessories HTTP/1.1\r\n\r\n', 'GET /characteristics?id=1.2 HTTP/1.1\r\n\r\n', post('/pairings', encodeTlv([[TLV.State, 1], [TLV.Method, 5]]))]) {
      const r = await raw(port, request);
      expect(r.status).toBe(470);
      expect(JSON.parse(new TextDecoder().decode(r.body))).toEqual({ status: -70401 });
    }
  });

  it('answers a malformed or out-of-order pair-setup with a TLV error and still pairs afterwards', async () => {
    const { port } = await start();
    const cut = await raw(port, post('/pair-setup', Uint8Array.of(6, 9, 1)));
    expect(cut.status).toBe(200);
    expect(decodeTlv(cut.body).get(TLV.Error)).toEqual(Uint8Array.of(1));
    const m3First = await raw(port, post('/pair-setup', encodeTlv([[TLV.State, 3], [TLV.PublicKey, new Uint8Array(384)], [TLV.Proof, new Uint8Array(64)]])));
    expect(decodeTlv(m3First.body).get(TLV.Error)).toEqual(Uint8Array.of(1));
    const controller = new HttpClient('t', '127.0.0.1', port);
    await within('pair-setup', controller.pairSetup(CODE));
    await controller.close();
  });

  it('one pair-setup at a time: a second controller gets Busy', async () => {
    const { port } = await start();
    const m1 = post('/pair-setup', encodeTlv([[TLV.State, 1], [TLV.Method, 0]]));
    const first = await raw(port, m1);
    expect(decodeTlv(first.body).get(TLV.PublicKey)?.length).toBe(384);
    expect(decodeTlv(first.body).get(TLV.Salt)?.length).toBe(16);
    const second = await raw(port, m1);
    expect(decodeTlv(second.body).get(TLV.Error)).toEqual(Uint8Array.of(7));
    // M1 again on the first connection: the same M2 (no second exponentiation).
    const repeat = await raw(port, m1, first.socket);
    expect(decodeTlv(repeat.body).get(TLV.PublicKey)).toEqual(decodeTlv(first.body).get(TLV.PublicKey));
    // Once the first leaves, another may start.
    first.socket.destroy();
    await new Promise((r) => setTimeout(r, 50));
    const third = await raw(port, m1);
    expect(decodeTlv(third.body).get(TLV.State)).toEqual(Uint8Array.of(2));
    expect(decodeTlv(third.body).has(TLV.Error)).toBe(false);
  });

  it('after 100 wrong codes answers MaxTries, even to the right code, until restart', async () => {
    const { bridge, port } = await start();
    const wrong = new HttpClient('t', '127.0.0.1', port);
    await expect(within('wrong code', wrong.pairSetup('111-22-333'))).rejects.toThrow(/M4: Error: 2/);
    expect(bridge.server.failedSetups).toBe(1);
    // The other 99 failures without 99 SRP exchanges.
    (bridge.server as unknown as { pairSetup: { failures: number } }).pairSetup.failures = 100;
    const right = new HttpClient('t', '127.0.0.1', port);
    await expect(within('right code after 100 failures', right.pairSetup(CODE))).rejects.toThrow(/M2: Error: 5/);
    await wrong.close();
    await right.close();
  });

  it('refuses connections beyond its limit with 503 and serves the others', async () => {
    const { port } = await start({ maxConnections: 2 });
    const a = net.connect(port, '127.0.0.1');
    const b = net.connect(port, '127.0.0.1');
    cleanups.push(() => { a.destroy(); b.destroy(); });
    await new Promise((r) => setTimeout(r, 100));
    const third = await raw(port, 'GET /accessories HTTP/1.1\r\n\r\n');
    expect(third.status).toBe(503);
    const r = await raw(port, 'POST /identify HTTP/1.1\r\nContent-Length: 0\r\n\r\n', a);
    expect(r.status).toBe(204); // unpaired: identify is allowed
  });

  it('answers a PUT /characteristics body of nested brackets with 400, not a stack overflow', async () => {
    const { port } = await start();
    const controller = new HttpClient('t', '127.0.0.1', port);
    await within('pair-setup', controller.pairSetup(CODE));
    const connection = await within('verify', controller.getDefaultVerifiedConnection());
    const body = Buffer.from('['.repeat(60_000));
    const r = await within('deep PUT', connection.put('/characteristics', body));
    expect(r.statusCode).toBe(400);
    const ok = await within('still serving', controller.getCharacteristics(['1.2']));
    expect(ok).toBeDefined();
    await controller.close();
  });

  it('closes connections that never pair or verify after one to two minutes; a verified session stays', async () => {
    const { port, clock } = await start();
    const controller = new HttpClient('t', '127.0.0.1', port);
    await within('pair-setup', controller.pairSetup(CODE));
    await within('verified', controller.getAccessories());
    const idle = net.connect(port, '127.0.0.1');
    cleanups.push(() => idle.destroy());
    const closed = new Promise<void>((resolve) => idle.on('close', () => resolve()));
    await new Promise((r) => idle.on('connect', r));
    await new Promise((r) => setTimeout(r, 50));
    clock.advance(60_000);
    clock.advance(60_000);
    await within('idle connection closed', closed, 5000);
    expect(await within('session still open', controller.getAccessories())).toBeDefined();
    await controller.close();
  });

  it('identify works only while unpaired', async () => {
    const { port, log } = await start();
    expect((await raw(port, 'POST /identify HTTP/1.1\r\nContent-Length: 0\r\n\r\n')).status).toBe(204);
    expect(log.some((l) => l.includes('identify'))).toBe(true);
    const controller = new HttpClient('t', '127.0.0.1', port);
    await within('pair-setup', controller.pairSetup(CODE));
    const r = await raw(port, 'POST /identify HTTP/1.1\r\nContent-Length: 0\r\n\r\n');
    expect(r.status).toBe(400);
    await controller.close();
  });
});

describe('HAP server: pairings and the configuration number', () => {
  it('pairs with method 0 (as iOS does); an admin adds a non-admin, who may not manage pairings; removing the last admin unpairs', async () => {
    const { bridge, port } = await start();
    let advertChanges = 0;
    bridge.server.onAdvertChange = () => { advertChanges++; };
    const admin = new HttpClient('t', '127.0.0.1', port);
    await within('pair-setup method 0', admin.pairSetup(CODE, 0));
    expect(bridge.server.txtRecord()).toMatchObject({ sf: '0', ci: '2', pv: '1.1', ff: '0', id: bridge.server.state.identity.deviceId });
    const adminData = admin.getLongTermData()!;
    // A second controller's keys, made here, added by the admin without admin rights.
    const guest = crypto.ed25519KeyPair();
    const guestId = 'D1B2C3D4-0000-4000-8000-000000000002';
    await within('add pairing', admin.addPairing(guestId, Buffer.from(guest.publicKey), false));
    expect(bridge.server.state.pairings.map((p) => [p.id, p.admin])).toEqual([[Buffer.from(adminData.iOSDevicePairingID, 'hex').toString(), true], [guestId, false]]);
    // Adding the same identifier with another key is refused.
    await expect(within('add conflicting', admin.addPairing(guestId, Buffer.alloc(32, 7), false))).rejects.toThrow(/Error: 1/);

    const guestClient = new HttpClient('t', '127.0.0.1', port, {
      AccessoryPairingID: adminData.AccessoryPairingID, AccessoryLTPK: adminData.AccessoryLTPK,
      iOSDevicePairingID: Buffer.from(guestId).toString('hex'),
      iOSDeviceLTSK: Buffer.concat([Buffer.from(guest.privateKey), Buffer.from(guest.publicKey)]).toString('hex'),
      iOSDeviceLTPK: Buffer.from(guest.publicKey).toString('hex'),
    });
    expect(((await within('guest reads', guestClient.getAccessories())) as { accessories: unknown[] }).accessories).toHaveLength(3);
    await expect(within('guest lists pairings', guestClient.listPairings())).rejects.toThrow(/Error: 2/);
    await guestClient.close();

    await within('admin removes itself', admin.removePairing(adminData.iOSDevicePairingID));
    expect(bridge.server.state.pairings).toEqual([]); // the guest went with the last admin
    expect(bridge.server.txtRecord().sf).toBe('1');
    expect(advertChanges).toBe(2); // paired, unpaired
    await admin.close();
  });

  it('moves c# when a device or a new kind of reading appears, and keeps it over a restart', async () => {
    const first = await start();
    const c0 = first.bridge.configNumber();
    const slot = first.registry.add('E4AAEC3C4D5E', 0x098b)!; // a door sensor joins
    first.bridge.onValues(slot, { Door: 1 });
    expect(first.bridge.configNumber()).toBe(c0 + 1);
    expect(first.bridge.accessories()).toHaveLength(4);
    first.bridge.onValues(slot, { Door: 0 }); // nothing new: same database
    expect(first.bridge.configNumber()).toBe(c0 + 1);
    first.bridge.stop();
    // Restarted with the door in the device list (mi32cfg after MI32Cfg): the same database, the same c#.
    const second = await start({ store: first.store, more: [['E4AAEC3C4D5E', 0x098b]] });
    expect(second.bridge.configNumber()).toBe(c0 + 1);
    expect(second.bridge.accessories().map((a) => a.aid)).toEqual(first.bridge.accessories().map((a) => a.aid));
  });
});

describe('HomeKit bridge: the accessory limit', () => {
  it('bridges at most 149 devices (HAP\'s 150 with the bridge), logs the rest, and a left-out device\'s readings do not rebuild the database', async () => {
    const more: [string, number][] = Array.from({ length: 158 }, (_, i) => [`A4C138${(0x100000 + i).toString(16).toUpperCase().slice(1)}`, 0x055b]);
    const { bridge, registry, log } = await start({ slots: 200, more });
    expect(registry.slots.size).toBe(160);
    expect(bridge.accessories()).toHaveLength(150);
    expect(log.some((l) => l.startsWith('warn') && l.includes('11 device(s) left out'))).toBe(true);
    const before = bridge.accessories();
    const last = [...registry.slots.values()].at(-1)!;
    bridge.onValues(last, { Temperature: 20 });
    expect(bridge.accessories()).toBe(before); // the same database object: no rebuild
  });
});

describe('HAP session frames', () => {
  const keys = sessionKeys(crypto, new Uint8Array(32).fill(9));
  const mirrored = { encrypt: keys.decrypt, decrypt: keys.encrypt };

  it('split messages into frames of at most 1024 bytes that the other side reassembles, byte by byte too', () => {
    const accessory = new HapSessionCodec(crypto, keys);
    const controller = new HapSessionCodec(crypto, mirrored);
    const message = Uint8Array.from({ length: 2500 }, (_, i) => i & 0xff);
    const wire = accessory.encode(message);
    expect(wire.length).toBe(2500 + 3 * 18);
    expect(wire[0] | (wire[1]! << 8)).toBe(1024);
    const parts: number[] = [];
    for (const byte of wire) parts.push(...controller.decode(Uint8Array.of(byte))!);
    expect(Uint8Array.from(parts)).toEqual(message);
  });

  it('a tampered frame, a frame from the wrong key, or an over-long length fails the connection', () => {
    const wire = new HapSessionCodec(crypto, keys).encode(new Uint8Array([1, 2, 3]));
    const tampered = wire.slice();
    tampered[3]! ^= 1;
    expect(new HapSessionCodec(crypto, mirrored).decode(tampered)).toBeUndefined();
    expect(new HapSessionCodec(crypto, keys).decode(wire)).toBeUndefined(); // its own direction's key
    expect(new HapSessionCodec(crypto, mirrored).decode(Uint8Array.of(0x01, 0x05, 0))).toBeUndefined(); // 1281 > 1024
    const codec = new HapSessionCodec(crypto, mirrored);
    expect(codec.decode(tampered)).toBeUndefined();
    expect(codec.decode(wire)).toBeUndefined(); // stays failed
  });
});

describe('HomeKit bridge: values, motion, commands and stored state', () => {
  it('motion is held, then cleared after 20 s with an event; value events are coalesced', async () => {
    const { bridge, port, registry, clock } = await start();
    const controller = new HttpClient('t', '127.0.0.1', port);
    await within('pair-setup', controller.pairSetup(CODE));
    const { accessories } = await within('accessories', controller.getAccessories()) as { accessories: { aid: number; services: { type: string; characteristics: { iid: number; type: string }[] }[] }[] };
    const light = accessories.find((a) => a.services.some((s) => s.type.startsWith('00000085')))!;
    const motion = light.services.find((s) => s.type.startsWith('00000085'))!.characteristics.find((c) => c.type.startsWith('00000022'))!;
    const id = `${light.aid}.${motion.iid}`;
    const events: unknown[] = [];
    controller.on('event', (e: { characteristics: { value: unknown }[] }) => events.push(...e.characteristics.map((c) => c.value)));
    await within('subscribe', controller.subscribeCharacteristics([id]));
    const slot = registry.slots.get('50EC50A1B2C3')!;
    bridge.onValues(slot, { Motion: 1 });
    bridge.onValues(slot, { Motion: 1 }); // within the coalescing window: one event
    await new Promise((r) => setTimeout(r, 100));
    expect(events).toEqual([]); // value changes wait EVENT_COALESCE_MS
    clock.advance(300);
    await new Promise((r) => setTimeout(r, 200));
    expect(events).toEqual([true]);
    const read = async () => ((await within('read', controller.getCharacteristics([id]))) as { characteristics: { value: unknown }[] }).characteristics[0]!.value;
    expect(await read()).toBe(true);
    clock.advance(19_000);
    expect(await read()).toBe(true);
    clock.advance(1_500);
    clock.advance(300);
    await new Promise((r) => setTimeout(r, 200));
    expect(events).toEqual([true, false]);
    expect(await read()).toBe(false);
    await controller.close();
  });

  it('the bridge reads the slot\'s values rounded as SENSOR writes them, and clamps into the HAP range', async () => {
    const { bridge, registry } = await start();
    const slot = registry.slots.get('A4C1381A2B01')!;
    slot.values.Temperature = 21.449999;
    slot.values.Humidity = 101.3; // a bogus reading: HomeKit refuses values outside 0-100
    const find = (service: string, type: string) => bridge.accessories().flatMap((a) => a.services).filter((s) => s.type === service)
      .flatMap((s) => s.characteristics).find((c) => c.type === type && c.source.kind === 'key' && c.source.mac === slot.mac)!;
    const { readValue } = await import('../../firmware/core/homekit/characteristics.js');
    expect(readValue(find('8A', '11'), bridge.reader)).toBe(21.4);
    expect(readValue(find('82', '10'), bridge.reader)).toBe(100);
  });

  it('HKPin refuses forbidden codes, hides the code over MQTT, and changes only from the console; HKReset forgets pairings', async () => {
    const { bridge, port, store } = await start();
    const run = (line: string, source: 'console' | 'mqtt' = 'console') => homeKitCommand(bridge, line, undefined, source)!;
    expect(run('HKPin')).toEqual({ HKPin: CODE, Origin: 'default' });
    expect(run('HKPin', 'mqtt')).toEqual({ HKPin: '***-**-***', Origin: 'default' });
    for (const bad of ['123-45-678', '000-00-000', '111-11-111', '876-54-321', '12345678', '123-45-67a']) {
      expect(run(`HKPin ${bad}`).HKPin, bad).toBe('Error');
    }
    expect(run('HKPin 222-33-444', 'mqtt')).toMatchObject({ HKPin: 'Error', Error: expect.stringMatching(/console/) });
    expect(run('HKPin 222-33-444')).toEqual({ HKPin: '222-33-444', Origin: 'set' });
    expect(homeKitCommand(bridge, 'MqttHost', undefined, 'console')).toBeUndefined();

    const controller = new HttpClient('t', '127.0.0.1', port);
    await expect(within('old code', controller.pairSetup(CODE))).rejects.toThrow(/Error: 2/);
    await within('new code', controller.pairSetup('222-33-444'));
    const deviceId = bridge.server.state.identity.deviceId;
    expect(run('HKStatus').HKStatus).toMatchObject({ Paired: 1, Accessories: 2, DeviceId: deviceId });
    expect(run('HKReset', 'mqtt')).toMatchObject({ HKReset: 'Error' });
    expect(bridge.server.state.paired).toBe(true);
    expect(run('HKReset')).toMatchObject({ HKReset: 'Done', Paired: 0 });
    expect(bridge.server.state.identity.deviceId).not.toBe(deviceId);
    expect(JSON.parse(new TextDecoder().decode(store.read(PAIRINGS_FILE)))).toEqual({ pairings: [] });
    await controller.close();
  });

  it('keeps a corrupted identity file aside and starts unpaired with a new identity; a hand-edited bad code falls back to the default', async () => {
    const store = new MemoryStore();
    store.write(IDENTITY_FILE, new TextEncoder().encode('{"deviceId": "nonsense"'));
    const { bridge, log } = await start({ store });
    expect(store.exists(`${IDENTITY_FILE}.bad`)).toBe(true);
    expect(log.some((l) => l.startsWith('warn') && l.includes(IDENTITY_FILE))).toBe(true);
    expect(bridge.server.state.identity.deviceId).toMatch(/^[0-9A-F]{2}(:[0-9A-F]{2}){5}$/);
    bridge.stop();

    const saved = JSON.parse(new TextDecoder().decode(store.read(IDENTITY_FILE)));
    store.write(IDENTITY_FILE, new TextEncoder().encode(JSON.stringify({ ...saved, userCode: '123-45-678' })));
    const again = await start({ store });
    expect(again.bridge.server.state.identity.deviceId).toBe(saved.deviceId); // same identity
    expect(again.bridge.server.state.setupCode).toBe(CODE); // the forbidden hand edit is not used
    expect(again.log.some((l) => l.includes('not valid'))).toBe(true);
  });
});

describe('setup code', () => {
  it('follows Tasmota\'s rule from the MAC and never lands on a forbidden code', () => {
    expect(setupCodeFromMac('AABBCC1234F2')).toBe('111-11-234'); // Tasmota's own example
    expect(setupCodeFromMac('AABBCCDDEEFF')).toBe('111-11-112'); // 111-11-111 is forbidden
    expect(setupCodeFromMac('024D49333200')).toBe('124-49-332');
    for (const mac of ['000000000000', 'A1B2C3D4E5F6', '123456789ABC']) expect(setupCodeProblem(setupCodeFromMac(mac)), mac).toBeUndefined();
  });
});
