// The scooter driver end to end: the gateway with its GATT client against the simulated
// M365 (host-sim/gatt/scooter.ts) on a fake clock. Register, then login, telemetry on
// MQTT with the simulated values, a 3 s drop that keeps the session, a 60 s one that
// logs in again, writes, faults, and the token kept out of every message and log line.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../firmware/core/bytes/hex.js';
import { Gateway } from '../../firmware/core/gateway/gateway.js';
import { utf8Decode } from '../../firmware/core/mqtt/utf8.js';
import { createNodeAes, createNodeAuthCrypto } from '../../host-sim/crypto.js';
import { SimGattLink } from '../../host-sim/gatt/sim-link.js';
import type { ScooterDevice } from '../../host-sim/gatt/scooter.js';
import { FakeClock } from '../mqtt/fakes.js';
import { settle } from '../helpers/settle.js';
import { MemoryStore, RecordingMqtt, recordingLog } from '../helpers/gateway.js';

const MAC = 'E12A3B4C5D6E';
const NAME = 'Scooter-4c5d6e';

function setup(options: { crypto?: boolean } = {}) {
  const clock = new FakeClock();
  const store = new MemoryStore();
  const lines: string[] = [];
  const link = new SimGattLink(clock);
  const peripheral = link.add(MAC, 'M365');
  const gw = new Gateway({
    clock, store, log: recordingLog(lines), aes: createNodeAes(), gatt: link,
    random: { bytes: (n) => new Uint8Array(randomBytes(n)) },
    ...(options.crypto === false ? {} : { authCrypto: createNodeAuthCrypto() }),
  }, { topic: 't' });
  gw.start();
  const mqtt = new RecordingMqtt();
  gw.attachMqtt(mqtt);
  const results = () => mqtt.on('stat/t/RESULT').map((p) => JSON.parse(p) as Record<string, any>);
  const scooterMessages = () => mqtt.on('tele/t/SENSOR').map((p) => JSON.parse(p) as Record<string, any>).filter((m) => m[NAME]);
  const scooter = peripheral.protocol as ScooterDevice;
  return { clock, store, lines, link, peripheral, scooter, gw, mqtt, results, scooterMessages };
}

async function registered(t: ReturnType<typeof setup>) {
  expect(t.gw.command(`MI32Scooter ${MAC} register`, 'console')).toMatchObject({ MI32Scooter: 'Registering', Device: NAME });
  await settle(t.clock, 15_000);
  expect(t.results().at(-1)).toEqual({ MI32Scooter: { [NAME]: 'Registered' } });
  // The scooter beeped once, the (simulated) rider pressed its button, the second attempt went through.
  expect(t.scooter.beeps).toBe(1);
}

async function loggedIn(t: ReturnType<typeof setup>) {
  await registered(t);
  expect(t.gw.command(`MI32Scooter ${MAC} login`, 'console')).toEqual({ MI32Scooter: 'Connecting', Device: NAME });
  await settle(t.clock, 6_000);
  expect(t.results().at(-1)).toEqual({ MI32Scooter: { [NAME]: 'Logged in' } });
}

describe('MI32Scooter against the simulated scooter', () => {
  it('registers (token stored), logs in and publishes the scooter\'s values on tele/<topic>/SENSOR', async () => {
    const t = setup();
    await loggedIn(t);
    expect(t.scooter.mi.counts).toMatchObject({ registrations: 1, logins: 1 });
    const stored = JSON.parse(utf8Decode(t.store.read('mitokens')!));
    expect(stored[MAC]).toEqual({ token: toHex(t.scooter.mi.token!), kind: 'scooter', auto: 1 });
    await settle(t.clock, 11_000);
    const messages = t.scooterMessages();
    expect(messages.length).toBeGreaterThanOrEqual(3);
    const v = messages.at(-1)![NAME];
    // What the simulated scooter's registers hold (scooter.ts: 80 %, 1306.083 km at the start, 18 km/h cruise).
    expect(v.Battery).toBe(80);
    expect(v.Speed).toBeGreaterThan(15);
    expect(v.Speed).toBeLessThan(21);
    expect(v.Odometer).toBeGreaterThan(1306.083);
    expect(v.Odometer).toBeLessThan(1306.3);
    expect(v.Trip).toBeGreaterThan(0);
    expect(v.Capacity).toBe(6240);
    expect(v.Voltage).toBe(40.2);
    expect(v.Current).toBe(8.12);
    expect(v.Cells).toHaveLength(10);
    expect(v.Cells[0]).toBe(4.02);
    expect(v.BatteryTemperature).toEqual([25, 26]);
    expect(v.Temperature).toBe(25.1);
    expect(v.Range).toBe(24);
    expect(v).toMatchObject({ Error: 0, Warning: 0, Locked: 0, Cruise: 0, Light: 0 });
    expect(typeof messages.at(-1)!.Time).toBe('string');
    // The odometer moves as it rides.
    expect(messages.at(-1)![NAME].Odometer).toBeGreaterThan(messages[0]![NAME].Odometer);
  });

  it('a 3 s drop reuses the session; a 60 s drop logs in again', async () => {
    const t = setup();
    await loggedIn(t);
    const driver = t.gw.active.scooters.get(MAC)!;
    t.peripheral.outage(3_000);
    await settle(t.clock, 15_000);
    expect(driver.stats).toMatchObject({ logins: 1, reuses: 1, drops: 1 });
    expect(t.scooter.mi.counts.logins).toBe(1);
    const afterShort = t.scooterMessages().length;
    await settle(t.clock, 10_000);
    expect(t.scooterMessages().length).toBeGreaterThan(afterShort);

    t.peripheral.outage(60_000);
    await settle(t.clock, 100_000);
    expect(driver.stats).toMatchObject({ logins: 2, reuses: 1, drops: 2 });
    expect(t.scooter.mi.counts.logins).toBe(2);
    const afterLong = t.scooterMessages().length;
    await settle(t.clock, 10_000);
    expect(t.scooterMessages().length).toBeGreaterThan(afterLong);
    expect(driver.state).toBe('polling');
  });

  it('a kept session the scooter no longer answers falls back to a fresh login', async () => {
    const t = setup();
    await loggedIn(t);
    const driver = t.gw.active.scooters.get(MAC)!;
    t.scooter.mi.session = undefined; // the scooter forgot it (e.g. rebooted)
    t.peripheral.drop();
    await settle(t.clock, 20_000);
    expect(driver.stats.logins).toBe(2);
    expect(driver.state).toBe('polling');
  });

  it('lock, unlock, cruise and light are written and show in the next poll', async () => {
    const t = setup();
    await loggedIn(t);
    expect(t.gw.command(`MI32Scooter ${MAC} lock`, 'console')).toEqual({ MI32Scooter: 'Queued', Device: NAME, Write: 'lock' });
    t.gw.command(`MI32Scooter ${MAC} cruise 1`, 'console');
    t.gw.command(`MI32Scooter ${MAC} light 1`, 'console');
    await settle(t.clock, 6_000);
    expect(t.results().filter((r) => r.MI32Scooter?.[NAME]?.lock === 'Done')).toHaveLength(1);
    const v = t.scooterMessages().at(-1)![NAME];
    expect(v).toMatchObject({ Locked: 1, Speed: 0, Cruise: 1, Light: 1 });
    t.gw.command(`MI32Scooter ${MAC} unlock`, 'console');
    await settle(t.clock, 6_000);
    expect(t.scooterMessages().at(-1)![NAME].Locked).toBe(0);
  });

  it('wrong token: the login fails for good with a clear error; the gateway keeps serving', async () => {
    const t = setup();
    await registered(t);
    t.link.setFault(MAC, 'wrong-token');
    t.gw.command(`MI32Scooter ${MAC} login`, 'console');
    await settle(t.clock, 10_000);
    expect(t.results().at(-1)).toEqual({ MI32Scooter: { [NAME]: { Error: 'the device does not know our token: register again', Code: 'wrong-token' } } });
    expect(t.gw.active.scooters.get(MAC)!.state).toBe('failed');
    expect(t.gw.command('TelePeriod', 'console')).toEqual({ TelePeriod: 300 });
  });

  it('drop after login and slow replies: the driver comes back and keeps polling', async () => {
    const t = setup();
    await registered(t);
    t.link.setFault(MAC, 'drop-after-login');
    t.gw.command(`MI32Scooter ${MAC} login`, 'console');
    await settle(t.clock, 8_000);
    t.link.setFault(MAC, 'slow-replies');
    await settle(t.clock, 20_000);
    const driver = t.gw.active.scooters.get(MAC)!;
    expect(driver.stats.drops).toBeGreaterThanOrEqual(1);
    expect(driver.state).toBe('polling');
    const before = t.scooterMessages().length;
    await settle(t.clock, 15_000);
    expect(t.scooterMessages().length).toBeGreaterThan(before);
  });

  it('runs on the portable crypto too (what the device uses)', async () => {
    const t = setup({ crypto: false });
    await loggedIn(t);
    await settle(t.clock, 6_000);
    expect(t.scooterMessages().length).toBeGreaterThanOrEqual(1);
  });

  it('the token never appears in a published message or a log line', async () => {
    const t = setup();
    await loggedIn(t);
    t.gw.command('MI32Scooter', 'mqtt');
    t.gw.command(`MI32Scooter ${MAC} lock`, 'mqtt');
    t.peripheral.outage(60_000);
    await settle(t.clock, 100_000);
    const token = toHex(t.scooter.mi.token!);
    expect(token).toHaveLength(24);
    const everything = [...t.mqtt.sent.map((m) => `${m.topic} ${m.payload}`), ...t.lines].join('\n').toLowerCase();
    expect(everything).not.toContain(token);
    expect(everything).not.toContain(token.slice(0, 12));
  });

  it('nobody presses the button: three attempts, then a clear error; nothing stored', async () => {
    const t = setup();
    t.link.setFault(MAC, 'no-button');
    t.gw.command(`MI32Scooter ${MAC} register`, 'console');
    expect(t.gw.command(`MI32Scooter ${MAC} register`, 'console')).toMatchObject({ MI32Scooter: 'Error', Error: expect.stringContaining('already running') });
    await settle(t.clock, 40_000);
    expect(t.scooter.beeps).toBe(3);
    expect(t.results().at(-1)).toEqual({ MI32Scooter: { [NAME]: { Error: expect.stringContaining('press the power button'), Code: 'needs-button' } } });
    expect(t.store.read('mitokens')).toBeUndefined();
  });

  it('malformed forms are refused at once and change nothing', () => {
    const t = setup();
    expect(t.gw.command('MI32Scooter nonsense login', 'console')).toMatchObject({ MI32Scooter: 'Error' });
    expect(t.gw.command(`MI32Scooter ${MAC} fly`, 'console')).toMatchObject({ MI32Scooter: 'Error' });
    expect(t.gw.command(`MI32Scooter ${MAC} cruise 2`, 'console')).toMatchObject({ MI32Scooter: 'Error' });
    expect(t.gw.command(`MI32Scooter ${MAC} login`, 'console')).toMatchObject({ MI32Scooter: 'Error', Error: expect.stringContaining('register first') });
    expect(t.gw.command(`MI32Scooter ${MAC} lock`, 'console')).toMatchObject({ MI32Scooter: 'Error', Error: expect.stringContaining('not logged in') });
    expect(t.store.read('mitokens')).toBeUndefined();
  });
});
