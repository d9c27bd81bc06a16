// HomeKit end to end: hap-controller (a real HAP controller library, its own SRP and
// libsodium crypto) pairs with `mi32 run --homekit` over TCP, reads the bridge, the values
// the SENSOR message carries, events, a restart and the removal of its pairing.

import { afterEach, describe, expect, it } from 'vitest';
import { observe, runCleanups, waitFor } from '../e2e/harness.js';
import { byMac, characteristic, client, demoDataDir, serviceTypes, startHomeKit, uuid, within, type AccessoryInfo } from './harness.js';

afterEach(runCleanups);

// The demo home (examples/demo/README.md): what each device becomes.
const EXPECTED: Record<string, string[]> = {
  A4C1381A2B01: ['3E', '8A', '82', '96'], // LYWSD03MMC
  A4C13855C401: ['3E', '8A', '82', '96'], // MHO-C401
  A4C1385D6E7F: ['3E', '8A', '82', '96'], // pvvx
  A4C138C0FFEE: ['3E', '8A', '82', '96'], // ATC
  C47C8D6A1B2C: ['3E', '8A', '84', '82', '96'], // Flora: temperature, light, moisture as humidity, battery
  '50EC50A1B2C3': ['3E', '84', '85', '96'], // MJYD02YL nightlight: light and motion
  E4AAEC3C4D5E: ['3E', '80', '96'], // MCCGQ02HL door
  F82441ABCDEF: ['3E', 'CC', '89', '89', '89', '89', '89', '89'], // YLYK01YL remote, 6 buttons
  '582D34112233': ['3E', '8A', '82', '96'], // CGG1
};

/** SENSOR key -> [service, characteristic] on the device's accessory. */
const READINGS: [string, string, string][] = [
  ['Temperature', '8A', '11'], ['Humidity', '82', '10'], ['Moisture', '82', '10'], ['Illuminance', '84', '6B'],
  ['Battery', '96', '68'], ['Door', '80', '6A'],
];

describe('HomeKit bridge with hap-controller', () => {
  it('pairs with the setup code (not a wrong one), serves one accessory per demo device with the SENSOR values, keeps the pairing over a restart, and removes it', async () => {
    const data = demoDataDir();
    const first = await startHomeKit(data, ['--speed', 'max', '--quiet']);
    await first.run.waitStderr('replay done', /replay done/);
    expect(first.code).toBe('124-49-332'); // Tasmota's rule on the simulator's MAC 02:4D:49:33:32:00

    const wrong = client(first.port);
    await expect(within('wrong pair-setup', wrong.pairSetup('111-22-333'))).rejects.toThrow(/M4: Error: 2/);
    await wrong.close();

    const controller = client(first.port);
    await within('pair-setup', controller.pairSetup(first.code!));
    const pairing = controller.getLongTermData()!;
    expect(Buffer.from(pairing.AccessoryPairingID, 'hex').toString()).toMatch(/^[0-9A-F]{2}(:[0-9A-F]{2}){5}$/);

    const { accessories } = await within('accessories', controller.getAccessories()) as { accessories: AccessoryInfo[] };
    expect(accessories).toHaveLength(13); // the bridge and the 12 devices of mi32cfg
    expect(serviceTypes(accessories[0]!)).toEqual([uuid('3E'), uuid('A2')]);
    for (const [mac, services] of Object.entries(EXPECTED)) {
      const accessory = byMac(accessories, mac);
      expect(accessory, mac).toBeDefined();
      expect(serviceTypes(accessory!).sort(), mac).toEqual(services.map(uuid).sort());
    }

    // The values the SENSOR content (Status 10) carries, read over HAP.
    first.run.send('Status 10');
    const status = await first.run.waitStdout('Status 10 reply', (l) => l.startsWith('{"StatusSNS"'));
    const sensors = (JSON.parse(status) as { StatusSNS: Record<string, Record<string, unknown>> }).StatusSNS;
    const wanted: { id: string; expected: number; what: string }[] = [];
    for (const device of Object.values(sensors)) {
      if (typeof device !== 'object' || typeof device.MAC !== 'string') continue;
      const accessory = byMac(accessories, device.MAC)!;
      expect(accessory, device.MAC).toBeDefined();
      for (const [key, service, type] of READINGS) {
        if (typeof device[key] !== 'number') continue;
        const c = characteristic(accessory, service, type);
        expect(c, `${device.MAC} ${key}`).toBeDefined();
        wanted.push({ id: `${c!.aid}.${c!.iid}`, expected: device[key] as number, what: `${device.MAC} ${key}` });
      }
    }
    expect(wanted.length).toBeGreaterThan(25);
    const read = await within('read', controller.getCharacteristics(wanted.map((w) => w.id))) as { characteristics: { aid: number; iid: number; value: number }[] };
    for (const w of wanted) {
      const got = read.characteristics.find((c) => `${c.aid}.${c.iid}` === w.id);
      expect(Number(got?.value), w.what).toBeCloseTo(w.expected, 6);
    }
    await controller.close();

    // Restart: same data folder, the pairing and the ids are kept.
    first.run.proc.kill('SIGINT');
    await first.run.exited;
    const second = await startHomeKit(data, ['--speed', 'max', '--quiet']);
    expect(second.code).toBeUndefined(); // paired: no code printed
    const again = client(second.port, pairing);
    const after = await within('accessories after restart', again.getAccessories()) as { accessories: AccessoryInfo[] };
    const shape = (list: AccessoryInfo[]) => list.map((a) => `${a.aid}:` + a.services.map((s) => `${s.iid}${s.type}` + s.characteristics.map((c) => `${c.iid}${c.type}`).join()).join());
    expect(shape(after.accessories)).toEqual(shape(accessories));
    await second.run.waitStderr('replay done', /replay done/);
    const reread = await within('read after restart', again.getCharacteristics(wanted.map((w) => w.id))) as { characteristics: { value: number }[] };
    expect(reread.characteristics).toHaveLength(wanted.length);

    // A second pair-setup is refused while paired (Unavailable).
    const intruder = client(second.port);
    await expect(within('pair-setup while paired', intruder.pairSetup(first.code!))).rejects.toThrow(/Error: 6/);
    await intruder.close();

    // Remove our own pairing: the bridge is unpaired, the old keys no longer verify.
    await within('remove pairing', again.removePairing(pairing.iOSDevicePairingID));
    await again.close();
    second.run.send('HKStatus');
    const hk = await second.run.waitStdout('HKStatus', (l) => l.startsWith('{"HKStatus"'));
    expect(JSON.parse(hk).HKStatus).toMatchObject({ Paired: 0, Controllers: [] });
    const stale = client(second.port, pairing);
    await expect(within('verify with removed pairing', stale.getAccessories())).rejects.toThrow();
    await stale.close();
  }, 90_000);

  it('sends an event when a replayed advertisement changes a value, and button presses as ProgrammableSwitchEvent', async () => {
    const data = demoDataDir();
    const run = await startHomeKit(data, ['--speed', '8', '--quiet']);
    const controller = client(run.port);
    await within('pair-setup', controller.pairSetup(run.code!));
    const { accessories } = await within('accessories', controller.getAccessories()) as { accessories: AccessoryInfo[] };
    const living = byMac(accessories, 'A4C1381A2B01')!;
    const remote = byMac(accessories, 'F82441ABCDEF')!;
    const temperature = characteristic(living, '8A', '11')!;
    const buttons = [0, 1, 2, 3, 4, 5].map((n) => characteristic(remote, '89', '73', n)!);
    expect(buttons).toHaveLength(6);
    expect(buttons.every((b) => b.value === null)).toBe(true); // event-only: reads give null

    const events: { aid: number; iid: number; value: unknown }[] = [];
    controller.on('event', (e: { characteristics: { aid: number; iid: number; value: unknown }[] }) => events.push(...e.characteristics.map((c) => ({ aid: Number(c.aid), iid: Number(c.iid), value: c.value }))));
    const ids = [temperature, ...buttons].map((c) => `${c.aid}.${c.iid}`);
    await within('subscribe', controller.subscribeCharacteristics(ids));

    const isTemperature = (e: { aid: number; iid: number }) => e.aid === temperature.aid && e.iid === temperature.iid;
    const isButton = (e: { aid: number; iid: number }) => e.aid === remote.aid && buttons.some((b) => b.iid === e.iid);
    const tEvent = await waitFor('a temperature event', () => events.find(isTemperature), 40_000, () => JSON.stringify(events));
    expect(typeof tEvent.value).toBe('number');
    expect(tEvent.value as number).toBeGreaterThan(15);
    const press = await waitFor('a button event', () => events.find(isButton), 40_000, () => JSON.stringify(events));
    expect([0, 1, 2]).toContain(press.value);
    // The demo's remote: single presses (0) at 30.5 s, 95 s and 96 s; a hold (2) at 140 s.
    expect(press.value).toBe(0);
    await controller.close();

    // Over MQTT (anyone on the broker): HKStatus answers, HKPin hides the code, HKReset is refused.
    const url = (await run.run.waitStderr('broker', /embedded MQTT broker \(aedes\) listening on (\S+)/))[1]!;
    const mqtt = await observe(url, ['stat/#']);
    const reply = (what: string, key: string) => mqtt.waitMessage(what, (m) => m.topic === 'stat/mi32/RESULT' && m.json?.[key] !== undefined);
    mqtt.client.publish('cmnd/mi32/HKPin', '');
    expect((await reply('HKPin', 'HKPin')).json).toEqual({ HKPin: '***-**-***', Origin: 'default' });
    mqtt.client.publish('cmnd/mi32/HKReset', '');
    expect((await reply('HKReset', 'HKReset')).json).toMatchObject({ HKReset: 'Error' });
    mqtt.client.publish('cmnd/mi32/HKStatus', '');
    expect((await reply('HKStatus', 'HKStatus')).json!.HKStatus).toMatchObject({ Paired: 1, Accessories: 12 });
    expect(mqtt.messages.some((m) => m.payload.includes(run.code!))).toBe(false);
  }, 90_000);
});
