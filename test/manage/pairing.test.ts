// MI32Pair / MI32Unpair / MI32Paired against simulated peripherals on a fake clock: a
// device that asks for a bond refuses its characteristics (ATT 0x05) until the gateway
// pairs with it; afterwards every link to it is made with the bond, also after a restart.
import { describe, expect, it } from 'vitest';
import { Gateway } from '../../firmware/core/gateway/gateway.js';
import type { HttpClient, Store } from '../../firmware/core/host.js';
import { utf8Encode } from '../../firmware/core/mqtt/utf8.js';
import { createNodeAes } from '../../host-sim/crypto.js';
import { createSimGattLink } from '../../host-sim/gatt/demo-peripherals.js';
import type { SimGattLink } from '../../host-sim/gatt/sim-link.js';
import { FakeClock } from '../mqtt/fakes.js';
import { settle } from '../helpers/settle.js';
import { MemoryStore, RecordingMqtt, silentLog } from '../helpers/gateway.js';

const LOCKED = 'E72E01A1B2C3'; // an LYWSD02 that asks for a bond
const OPEN = '582D3430AB12'; // a CGD1 that does not

function setup(store: Store = new MemoryStore(), clock = new FakeClock(), link?: SimGattLink, http?: HttpClient) {
  if (!store.exists('mi32cfg')) store.write('mi32cfg', utf8Encode(JSON.stringify([{ MAC: LOCKED, PID: '045b', key: '' }, { MAC: OPEN, PID: '0576', key: '' }])));
  const gattLink = link ?? createSimGattLink(clock, {
    peripherals: [
      { mac: LOCKED, model: 'LYWSD02', values: { battery: 64 }, security: 'bond' },
      { mac: OPEN, model: 'CGD1', values: { battery: 58 } },
    ],
  });
  const gw = new Gateway({ clock, store, log: silentLog, aes: createNodeAes(), gatt: gattLink, ...(http ? { http } : {}) }, { topic: 't' });
  gw.start();
  const mqtt = new RecordingMqtt();
  gw.attachMqtt(mqtt);
  const results = () => mqtt.on('stat/t/RESULT').map((p) => JSON.parse(p) as Record<string, any>);
  const run = async (line: string, ms = 3000) => {
    const reply = gw.command(line, 'console');
    await settle(clock, ms);
    return reply;
  };
  return { clock, store, gw, link: gattLink, mqtt, results, run };
}

describe('MI32Mode active: GATT to approved devices', () => {
  it('reads the batteries of approved devices every 10 minutes; the value is posted with their readings', async () => {
    const posted: string[] = [];
    const t = setup(undefined, undefined, undefined, {
      request: (req, done) => {
        posted.push(new TextDecoder().decode(req.body));
        setImmediate(() => done(undefined, { status: 200, body: '' }));
      },
    });
    await t.run('MI32Upload https://iot.example.com/api');
    await t.run(`MI32Approve ${OPEN} clock-1`);
    await t.run(`MI32Approve ${LOCKED}`); // asks for a bond, not paired: its read fails, nothing is posted for it
    await settle(t.clock, 11 * 60_000);
    expect(t.link.peripheral(OPEN)!.log.some((e) => e.kind === 'read')).toBe(false); // passive: no connection of its own
    await t.run('MI32Mode active');
    await settle(t.clock, 10 * 60_000 + 5_000);
    expect(t.link.peripheral(OPEN)!.log.filter((e) => e.kind === 'read')).toHaveLength(1);
    await settle(t.clock, 60_000);
    const bodies = posted.map((p) => JSON.parse(p) as { data: { iotDeviceId: string; dataType: string; data: { data: Record<string, string> }[] }[] });
    const groups = bodies.flatMap((b) => b.data);
    expect(groups).toEqual([{ iotDeviceId: 'clock-1', dataType: 'battery_level', data: [expect.objectContaining({ data: { level: '58' } })] }]);
  });
});

describe('pairing (bonding) with devices that ask for it', () => {
  it('battery read refused before pairing, works after MI32Pair, refused again after MI32Unpair', async () => {
    const t = setup();
    await t.run('MI32Battery lywsd02-a1b2c3');
    expect(t.results().at(-1)!.MI32Battery['LYWSD02-a1b2c3'].Error).toMatch(/insufficient authentication/);

    await t.run(`MI32Approve ${LOCKED}`);
    await t.run('MI32Mode active');
    expect(await t.run(`MI32Pair ${LOCKED}`)).toEqual({ MI32Pair: 'Queued', MAC: LOCKED });
    expect(t.results().at(-1)).toEqual({ MI32Pair: { MAC: LOCKED, Paired: 1 } });
    expect(t.link.peripheral(LOCKED)!.log.some((e) => e.kind === 'pair')).toBe(true);
    expect(await t.run(`MI32Paired ${LOCKED}`)).toEqual({ MI32Paired: 1, MAC: LOCKED });

    await t.run('MI32Battery lywsd02-a1b2c3');
    expect(t.results().at(-1)).toEqual({ MI32Battery: { 'LYWSD02-a1b2c3': { Battery: 64 } } });
    expect(t.link.peripheral(LOCKED)!.log.filter((e) => e.kind === 'encrypt').length).toBeGreaterThan(0);

    expect(await t.run(`MI32Unpair ${LOCKED}`)).toEqual({ MI32Unpair: 'Done', MAC: LOCKED });
    expect(t.link.bonded(LOCKED)).toBe(false);
    await t.run('MI32Battery lywsd02-a1b2c3'); // the bonded link was closed by MI32Unpair: this one is plain
    expect(t.results().at(-1)!.MI32Battery['LYWSD02-a1b2c3'].Error).toMatch(/insufficient authentication/);
    expect(await t.run(`MI32Paired ${LOCKED}`)).toEqual({ MI32Paired: 0, MAC: LOCKED });
  });

  it('the paired flag is saved: after a restart links to the device use the bond', async () => {
    const store = new MemoryStore();
    const clock = new FakeClock();
    const first = setup(store, clock);
    await first.run(`MI32Approve ${LOCKED}`);
    await first.run('MI32Mode active');
    await first.run(`MI32Pair ${LOCKED}`);
    first.gw.stop();
    const again = setup(store, clock, first.link); // same radio (bond store), new gateway
    expect(await again.run(`MI32Paired ${LOCKED}`)).toEqual({ MI32Paired: 1, MAC: LOCKED });
    await again.run('MI32Battery lywsd02-a1b2c3');
    expect(again.results().at(-1)).toEqual({ MI32Battery: { 'LYWSD02-a1b2c3': { Battery: 64 } } });
  });

  it('a device that refuses pairing: an error outcome, and it stays unpaired', async () => {
    const t = setup();
    t.link.setFault(LOCKED, 'refuse-pairing');
    await t.run(`MI32Approve ${LOCKED}`);
    await t.run('MI32Mode active');
    await t.run(`MI32Pair ${LOCKED}`);
    expect(t.results().at(-1)!.MI32Pair).toMatchObject({ MAC: LOCKED, Code: 1 });
    expect(t.results().at(-1)!.MI32Pair.Error).toMatch(/refused pairing/);
    expect(t.gw.management.isPaired(LOCKED)).toBe(false);
  });

  it('pairing a device that does not ask for it works too (a bond is made); MI32Remove deletes the bond', async () => {
    const t = setup();
    await t.run(`MI32Approve ${OPEN}`);
    await t.run('MI32Mode active');
    await t.run(`MI32Pair ${OPEN}`);
    expect(t.results().at(-1)).toEqual({ MI32Pair: { MAC: OPEN, Paired: 1 } });
    expect(t.link.bonded(OPEN)).toBe(true);
    expect(await t.run(`MI32Remove ${OPEN}`)).toEqual({ MI32Remove: 'Done', MAC: OPEN });
    expect(t.link.bonded(OPEN)).toBe(false);
  });

  it('over MQTT: cmnd/<topic>/MI32Pair answers Queued on stat/<topic>/RESULT, then the outcome', async () => {
    const t = setup();
    t.mqtt.deliver('cmnd/t/MI32Approve', LOCKED);
    t.mqtt.deliver('cmnd/t/MI32Mode', 'active');
    t.mqtt.deliver('cmnd/t/MI32Pair', LOCKED);
    expect(t.results().at(-1)).toEqual({ MI32Pair: 'Queued', MAC: LOCKED });
    await settle(t.clock, 3000);
    expect(t.results().at(-1)).toEqual({ MI32Pair: { MAC: LOCKED, Paired: 1 } });
    t.mqtt.deliver('cmnd/t/MI32Unpair', LOCKED);
    expect(t.results().at(-1)).toEqual({ MI32Unpair: 'Done', MAC: LOCKED });
  });

  it('MI32Unpair of a device that is not paired is an error', async () => {
    const t = setup();
    await t.run(`MI32Approve ${OPEN}`);
    expect(String((await t.run(`MI32Unpair ${OPEN}`)).Error)).toMatch(/is not paired/);
  });
});
