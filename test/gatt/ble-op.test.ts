// BLEOp {"mac","svc","chr","op","data"?} on a fake clock against the simulated
// peripherals: a read and a write round trip, Tasmota's error code for each fault, and
// malformed payloads refused at once with nothing queued.
import { describe, expect, it } from 'vitest';
import { Gateway } from '../../firmware/core/gateway/gateway.js';
import { GATT_ERROR } from '../../firmware/core/gatt/codes.js';
import { createNodeAes } from '../../host-sim/crypto.js';
import { createSimGattLink, DEMO_PERIPHERALS } from '../../host-sim/gatt/demo-peripherals.js';
import type { FaultName } from '../../host-sim/gatt/faults.js';
import { FakeClock } from '../mqtt/fakes.js';
import { settle } from '../helpers/settle.js';
import { MemoryStore, RecordingMqtt, silentLog } from '../helpers/gateway.js';

const LYWSD02 = 'E72E01A1B2C3';
const SVC = 'EBE0CCB0-7A0A-4B0C-8A1A-6FF2997DA3A6';
const BATTERY = 'ebe0ccc4-7a0a-4b0c-8a1a-6ff2997da3a6';
const UNIT = 'ebe0ccbe-7a0a-4b0c-8a1a-6ff2997da3a6';
const DATA = 'ebe0ccc1-7a0a-4b0c-8a1a-6ff2997da3a6';

function setup() {
  const clock = new FakeClock();
  const link = createSimGattLink(clock);
  const gw = new Gateway({ clock, store: new MemoryStore(), log: silentLog, aes: createNodeAes(), gatt: link }, { topic: 't' });
  gw.start();
  const mqtt = new RecordingMqtt();
  gw.attachMqtt(mqtt);
  const results = () => mqtt.on('stat/t/RESULT').map((p) => JSON.parse(p) as Record<string, any>);
  /** Send over MQTT as cmnd/t/BLEOp, wait for the outcome, return [immediate reply, outcome]. */
  const op = async (payload: object | string) => {
    const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
    const now = gw.command('BLEOp', 'mqtt', text);
    await settle(clock, 40_000);
    return [now, results().at(-1)!.BLEOp] as const;
  };
  return { clock, gw, link, results, op };
}

describe('BLEOp', () => {
  it('reads a characteristic (op 11): Queued at once, then op 1, error 0 and the bytes in hex', async () => {
    const t = setup();
    const [now, outcome] = await t.op({ mac: 'e7:2e:01:a1:b2:c3', svc: SVC, chr: BATTERY, op: 11, id: 'r1' });
    expect(now).toEqual({ BLEOp: 'Queued', MAC: LYWSD02, Op: 11, Id: 'r1' });
    const battery = DEMO_PERIPHERALS.find((p) => p.mac === LYWSD02)!.values!.battery as number;
    expect(outcome).toMatchObject({ MAC: LYWSD02, Op: 1, Error: 0, State: 'no error', Data: battery.toString(16).padStart(2, '0'), Id: 'r1' });
  });

  it('writes (op 12) and reads the value back (op 11): a round trip through the peripheral', async () => {
    const t = setup();
    const [, wrote] = await t.op({ mac: LYWSD02, svc: SVC, chr: UNIT, op: 12, data: '01', response: true });
    expect(wrote).toMatchObject({ MAC: LYWSD02, Op: 2, Error: 0 });
    expect([...t.link.peripheral(LYWSD02)!.valueOf(UNIT)!]).toEqual([0x01]);
    const [, read] = await t.op({ mac: LYWSD02, svc: SVC, chr: UNIT, op: 11 });
    expect(read).toMatchObject({ Op: 1, Error: 0, Data: '01' });
  });

  it('subscribes (op 3): notifications follow as op 103 until the link is closed (op 5)', async () => {
    const t = setup();
    const [now] = await t.op({ mac: LYWSD02, svc: SVC, chr: DATA, op: 3 });
    expect(now).toEqual({ BLEOp: 'Queued', MAC: LYWSD02, Op: 3 });
    expect(t.results().find((r) => r.BLEOp?.Op === 3)!.BLEOp).toMatchObject({ Op: 3, Error: 0 });
    const notes = t.results().filter((r) => r.BLEOp?.Op === 103);
    expect(notes.length).toBeGreaterThan(0);
    expect(notes[0]!.BLEOp).toMatchObject({ MAC: LYWSD02, Error: 0, UUID: 'ccc1' });
    const [, closed] = await t.op({ mac: LYWSD02, op: 5 });
    expect(closed).toMatchObject({ Op: 5, Error: 0 });
    const count = t.results().length;
    await settle(t.clock, 10_000);
    expect(t.results().length).toBe(count);
  });

  // Each fault of the simulated peripherals, and the Tasmota error code it must give.
  const FAULTS: [FaultName, object, number][] = [
    ['refuse-connect', { chr: BATTERY, op: 11 }, GATT_ERROR.couldNotConnect],
    ['no-connect-response', { chr: BATTERY, op: 11 }, GATT_ERROR.couldNotConnect],
    ['disconnect-mid-operation', { chr: BATTERY, op: 11 }, GATT_ERROR.didDisconnect],
    ['missing-service', { chr: BATTERY, op: 11 }, GATT_ERROR.noService],
    ['missing-characteristic', { chr: BATTERY, op: 11 }, GATT_ERROR.noCharacteristic],
    ['not-readable', { chr: BATTERY, op: 11 }, GATT_ERROR.cannotRead],
    ['cannot-notify', { chr: DATA, op: 13 }, GATT_ERROR.cannotNotify],
    ['read-only', { chr: UNIT, op: 12, data: '01' }, GATT_ERROR.cannotWrite],
    ['write-fails', { chr: UNIT, op: 12, data: '01', response: true }, GATT_ERROR.didNotWrite],
    ['no-notify', { chr: DATA, op: 13 }, GATT_ERROR.timeout],
    ['no-response', { chr: BATTERY, op: 11 }, GATT_ERROR.noService], // discovery is the first step to hang
  ];
  for (const [fault, request, code] of FAULTS) {
    it(`fault ${fault}: error ${code}`, async () => {
      const t = setup();
      t.link.setFault(LYWSD02, fault);
      const [, outcome] = await t.op({ mac: LYWSD02, svc: SVC, ...request });
      expect(outcome.Error).toBe(code);
      expect(outcome.State).not.toBe('no error');
      expect(t.gw.gatt!.busy).toBe(false);
    });
  }

  it('an absent device is error 1 (could not connect)', async () => {
    const t = setup();
    const [, outcome] = await t.op({ mac: '112233445566', svc: SVC, chr: BATTERY, op: 11 });
    expect(outcome).toMatchObject({ Op: 1, Error: GATT_ERROR.couldNotConnect });
  });

  it('bad JSON, a bad MAC, an unknown op and other malformed payloads: an error reply, nothing queued', () => {
    const t = setup();
    const bad: [string, RegExp][] = [
      ['', /usage: BLEOp/],
      ['{"mac":', /not JSON/],
      ['[1,2]', /must be a JSON object/],
      ['{"mac":"A4C1","svc":"180F","chr":"2A19","op":11}', /"mac" must be a MAC/],
      [`{"mac":"${LYWSD02}","svc":"180F","chr":"2A19","op":7}`, /"op" must be one of 1, 2, 3, 4, 5, 11, 12, 13, 14/],
      [`{"mac":"${LYWSD02}","svc":"180F","chr":"2A19","op":"read"}`, /"op" must be one of/],
      [`{"mac":"${LYWSD02}","chr":"2A19","op":11}`, /"svc" must be a UUID/],
      [`{"mac":"${LYWSD02}","svc":"180F","chr":"zz","op":11}`, /"chr" must be a UUID/],
      [`{"mac":"${LYWSD02}","svc":"180F","chr":"2A19","op":12}`, /needs "data"/],
      [`{"mac":"${LYWSD02}","svc":"180F","chr":"2A19","op":12,"data":"0g"}`, /"data" must be hex/],
      [`{"mac":"${LYWSD02}","svc":"180F","chr":"2A19","op":11,"data":"01"}`, /"data" is for writes/],
      [`{"mac":"${LYWSD02}","svc":"180F","chr":"2A19","op":11,"evil":1}`, /unknown field "evil"/],
      [`{"mac":"${LYWSD02}","svc":"180F","chr":"2A19","op":11,"addrType":9}`, /"addrType" must be 0-3/],
      [`{"mac":"${LYWSD02}","svc":"180F","chr":"2A19","op":12,"data":"${'00'.repeat(513)}"}`, /at most (512|2048)/],
    ];
    for (const [payload, message] of bad) {
      const reply = t.gw.command('BLEOp', 'mqtt', payload);
      expect(reply.BLEOp, payload).toBe('Error');
      expect(reply.Error, payload).toMatch(message);
    }
    expect(t.gw.gatt!.busy).toBe(false);
    expect(t.gw.gatt!.queued).toBe(0);
    expect(t.gw.gatt!.stats.requests).toBe(0);
    expect(t.link.peripheral(LYWSD02)!.connections).toBe(0);
  });

  it('without a GATT client: an error reply', () => {
    const gw = new Gateway({ clock: new FakeClock(), store: new MemoryStore(), log: silentLog, aes: createNodeAes() }, { topic: 't' });
    expect(gw.command(`BLEOp {"mac":"${LYWSD02}","op":5}`, 'console')).toEqual({ BLEOp: 'Error', Error: 'this platform has no GATT client' });
  });
});
