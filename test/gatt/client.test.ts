// The core GATT client against the simulated peripherals, on a fake clock: every operation
// and every Tasmota error code, the queue, timeouts, and scanning paused around connections.
import { describe, expect, it } from 'vitest';
import { GattClient, GattRequestError, type GattRequest, type GattResult } from '../../firmware/core/gatt/client.js';
import { parseUuid } from '../../firmware/core/gatt/uuid.js';
import { SimGattLink } from '../../host-sim/gatt/sim-link.js';
import type { FaultName } from '../../host-sim/gatt/faults.js';
import { FakeClock } from '../mqtt/fakes.js';
import { settle } from '../helpers/settle.js';
import { silentLog } from '../helpers/gateway.js';

const LYWSD02 = 'E72E01A1B2C3';
const LYWSD03 = 'A4C1381A2B01';
const CGD1 = '582D3430AB12';
const XIAOMI = parseUuid('ebe0ccb0-7a0a-4b0c-8a1a-6ff2997da3a6')!;
const chr = (short: string) => parseUuid(`ebe0${short}-7a0a-4b0c-8a1a-6ff2997da3a6`)!;
const BATTERY = { service: XIAOMI, characteristic: chr('ccc4') };
const UNIT = { service: XIAOMI, characteristic: chr('ccbe') };
const DATA = { service: XIAOMI, characteristic: chr('ccc1') };

function setup(fault?: { mac: string; fault: FaultName }, timeouts = {}) {
  const clock = new FakeClock();
  const link = new SimGattLink(clock);
  link.add(LYWSD02, 'LYWSD02');
  link.add(LYWSD03, 'LYWSD03MMC');
  link.add(CGD1, 'CGD1');
  if (fault) link.setFault(fault.mac, fault.fault);
  const scan: string[] = [];
  const events: GattResult[] = [];
  const client = new GattClient({
    link, clock, log: silentLog, scan: { pause: () => scan.push('pause'), resume: () => scan.push('resume') },
    timeouts, onEvent: (e) => events.push(e),
  });
  const results: GattResult[] = [];
  const submit = (r: GattRequest) => client.submit(r, (res) => results.push(res));
  return { clock, link, client, scan, events, results, submit };
}

describe('GATT operations', () => {
  it('1 read: the value, the uuid16 and handle; the link stays open and scanning paused until idle', async () => {
    const t = setup();
    t.submit({ op: 1, mac: LYWSD02, ...BATTERY });
    await settle(t.clock, 500);
    expect(t.results).toHaveLength(1);
    const r = t.results[0]!;
    expect(r).toMatchObject({ op: 1, error: 0, uuid16: 0xccc4, mac: LYWSD02 });
    expect([...r.value!]).toEqual([85]);
    expect(r.handle).toBeGreaterThan(0);
    expect(t.client.connectedTo).toBe(LYWSD02);
    expect(t.scan).toEqual(['pause']);
    await settle(t.clock, 31000); // idle timeout
    expect(t.client.connectedTo).toBeUndefined();
    expect(t.scan).toEqual(['pause', 'resume']);
    expect(t.link.peripheral(LYWSD02)!.connections).toBe(1);
  });

  it('11 one-shot read disconnects after; a read by handle (arg1) finds the same characteristic', async () => {
    const t = setup();
    t.submit({ op: 11, mac: CGD1, service: parseUuid('180f')!, characteristic: parseUuid('2a19')! });
    await settle(t.clock, 500);
    const first = t.results[0]!;
    expect(first).toMatchObject({ op: 1, error: 0, uuid16: 0x2a19 });
    expect(t.client.connectedTo).toBeUndefined();
    expect(t.scan).toEqual(['pause', 'resume']);
    t.submit({ op: 11, mac: CGD1, handle: first.handle });
    await settle(t.clock, 500);
    expect(t.results[1]).toMatchObject({ op: 1, error: 0, uuid16: 0x2a19, handle: first.handle });
    expect([...t.results[1]!.value!]).toEqual([...first.value!]);
  });

  it('2/12 write: the peripheral takes the value (with response when asked)', async () => {
    const t = setup();
    t.submit({ op: 12, mac: LYWSD02, ...UNIT, value: Uint8Array.of(0x01), withResponse: true });
    await settle(t.clock, 500);
    expect(t.results[0]).toMatchObject({ op: 2, error: 0, uuid16: 0xccbe });
    t.submit({ op: 11, mac: LYWSD02, ...UNIT });
    await settle(t.clock, 500);
    expect([...t.results[1]!.value!]).toEqual([0x01]);
  });

  it('3 subscribe: handles, then notifications (103) until 4 unsubscribe; 5 disconnects', async () => {
    const t = setup();
    t.submit({ op: 3, mac: LYWSD03, ...DATA });
    await settle(t.clock, 500);
    const sub = t.results[0]!;
    expect(sub).toMatchObject({ op: 3, error: 0, uuid16: 0xccc1 });
    expect(sub.handles).toEqual([sub.handle]);
    await settle(t.clock, 10000);
    const notes = t.events.filter((e) => e.op === 103);
    expect(notes.length).toBeGreaterThanOrEqual(2);
    expect(notes[0]).toMatchObject({ mac: LYWSD03, uuid16: 0xccc1, handle: sub.handle, error: 0 });
    expect(notes[0]!.value).toHaveLength(5);
    await settle(t.clock, 60000); // a subscribed link is not idle: it stays open
    expect(t.client.connectedTo).toBe(LYWSD03);
    t.submit({ op: 4, mac: LYWSD03, ...DATA });
    await settle(t.clock, 100);
    expect(t.results[1]).toMatchObject({ op: 4, error: 0 });
    const count = t.events.filter((e) => e.op === 103).length;
    await settle(t.clock, 10000);
    expect(t.events.filter((e) => e.op === 103).length).toBe(count);
    t.submit({ op: 5, mac: LYWSD03 });
    await settle(t.clock, 100);
    expect(t.results[2]).toMatchObject({ op: 5, error: 0 });
    expect(t.client.connectedTo).toBeUndefined();
    expect(t.scan).toEqual(['pause', 'resume']);
  });

  it('13 one-shot subscribe: the first notification, then disconnected', async () => {
    const t = setup();
    t.submit({ op: 13, mac: LYWSD03, ...DATA });
    await settle(t.clock, 16000);
    expect(t.results[0]).toMatchObject({ op: 3, error: 0, uuid16: 0xccc1 });
    expect(t.results[0]!.value).toHaveLength(5);
    expect(t.client.connectedTo).toBeUndefined();
  });

  it('a request for another peer closes the first link; requests run in order', async () => {
    const t = setup();
    t.submit({ op: 1, mac: LYWSD02, ...BATTERY });
    t.submit({ op: 1, mac: LYWSD03, ...BATTERY });
    t.submit({ op: 1, mac: LYWSD02, ...BATTERY });
    await settle(t.clock, 2000);
    expect(t.results.map((r) => [r.mac, r.error])).toEqual([[LYWSD02, 0], [LYWSD03, 0], [LYWSD02, 0]]);
    expect(t.link.peripheral(LYWSD02)!.connections).toBe(2);
  });
});

describe('GATT error codes', () => {
  const cases: [string, FaultName | 'unknown-mac' | 'bad-handle', GattRequest, number][] = [
    ['1 could not connect (refused)', 'refuse-connect', { op: 1, mac: LYWSD02, ...BATTERY }, 1],
    ['1 could not connect (no answer: timeout)', 'no-connect-response', { op: 1, mac: LYWSD02, ...BATTERY }, 1],
    ['1 could not connect (nobody there)', 'unknown-mac', { op: 1, mac: '112233445566', ...BATTERY }, 1],
    ['2 did disconnect (mid-operation)', 'disconnect-mid-operation', { op: 1, mac: LYWSD02, ...BATTERY }, 2],
    ['3 no service', 'missing-service', { op: 1, mac: LYWSD02, ...BATTERY }, 3],
    ['4 no characteristic', 'missing-characteristic', { op: 1, mac: LYWSD02, ...BATTERY }, 4],
    ['4 no characteristic (by handle)', 'bad-handle', { op: 1, mac: LYWSD02, handle: 999 }, 4],
    ['5 cannot read', 'not-readable', { op: 1, mac: LYWSD02, ...BATTERY }, 5],
    ['5 cannot read (no response: step timeout)', 'no-response', { op: 1, mac: LYWSD02, ...BATTERY }, 3],
    ['6 cannot notify', 'cannot-notify', { op: 3, mac: LYWSD03, ...DATA }, 6],
    ['7 cannot write (read-only)', 'read-only', { op: 2, mac: LYWSD02, ...UNIT, value: Uint8Array.of(1) }, 7],
    ['8 did not write', 'write-fails', { op: 2, mac: LYWSD02, ...UNIT, value: Uint8Array.of(1), withResponse: true }, 8],
    ['9 notify time out', 'no-notify', { op: 13, mac: LYWSD03, ...DATA }, 9],
  ];
  for (const [name, fault, request, code] of cases) {
    it(name, async () => {
      const t = setup(fault === 'unknown-mac' || fault === 'bad-handle' ? undefined : { mac: request.mac, fault });
      t.submit(request);
      await settle(t.clock, 40000);
      expect(t.results).toHaveLength(1);
      expect(t.results[0]!.error).toBe(code);
      expect(t.results[0]!.message).toMatch(/\S/);
      // Whatever failed, the machine is free again and scanning is back once the link is down.
      await settle(t.clock, 40000);
      expect(t.client.busy).toBe(false);
      expect(t.client.connectedTo).toBeUndefined();
      expect(t.scan.at(-1)).toBe('resume');
    });
  }

  it('a step that never answers fails with the step code after the step timeout, and the link is closed', async () => {
    const t = setup({ mac: LYWSD02, fault: 'no-response' }, { step: 2000 });
    t.submit({ op: 1, mac: LYWSD02, ...BATTERY });
    await settle(t.clock, 1900);
    expect(t.results).toHaveLength(0);
    await settle(t.clock, 5000);
    expect(t.results[0]!.error).toBe(3); // service discovery is the first step to hang
    expect(t.results[0]!.message).toMatch(/no answer in 2000 ms/);
    expect(t.client.connectedTo).toBeUndefined();
  });

  it('the peer disconnecting while idle is reported as op 5 with its reason', async () => {
    const t = setup();
    t.submit({ op: 1, mac: LYWSD02, ...BATTERY });
    await settle(t.clock, 500);
    t.link.peripheral(LYWSD02)!.drop();
    await settle(t.clock, 100);
    expect(t.events.at(-1)).toMatchObject({ op: 5, mac: LYWSD02, error: 0x13 });
    expect(t.client.connectedTo).toBeUndefined();
    expect(t.scan).toEqual(['pause', 'resume']);
  });

  it('a queued request after a failure still runs', async () => {
    const t = setup({ mac: LYWSD02, fault: 'refuse-connect' });
    t.submit({ op: 1, mac: LYWSD02, ...BATTERY });
    t.submit({ op: 11, mac: CGD1, service: parseUuid('180f')!, characteristic: parseUuid('2a19')! });
    await settle(t.clock, 1000);
    expect(t.results.map((r) => r.error)).toEqual([1, 0]);
  });
});

describe('GATT requests that cannot run', () => {
  it('are refused at once with a reason', () => {
    const t = setup();
    const bad: [GattRequest, RegExp][] = [
      [{ op: 6, mac: LYWSD02 }, /op 6 is not a client operation/],
      [{ op: 1, mac: 'A4C1' }, /MAC must be 12 hex digits/],
      [{ op: 1, mac: LYWSD02 }, /service and characteristic must be set/],
      [{ op: 2, mac: LYWSD02, ...UNIT }, /write needs a value/],
      [{ op: 2, mac: LYWSD02, ...UNIT, value: new Uint8Array(600) }, /at most 512/],
      [{ op: 1, mac: LYWSD02, handle: 0 }, /handle must be 1-65535/],
    ];
    for (const [req, message] of bad) expect(() => t.submit(req)).toThrow(message);
    expect(() => t.submit({ op: 6, mac: LYWSD02 })).toThrow(GattRequestError);
  });

  it('the queue is bounded', () => {
    const t = setup();
    for (let i = 0; i < 9; i++) t.submit({ op: 1, mac: LYWSD02, ...BATTERY }); // 1 running + 8 waiting
    expect(() => t.submit({ op: 1, mac: LYWSD02, ...BATTERY })).toThrow(/queue full/);
  });
});
