// The simulated GATT peripherals, driven through the GattLink port on a fake clock.

import { describe, expect, it } from 'vitest';
import { GATT_PROPERTY, type GattCharacteristic, type GattConnection, type GattConnectionEvents, type GattFailure, type GattService } from '../../firmware/core/host.js';
import { parseUuid } from '../../firmware/core/gatt/uuid.js';
import { FAULT_NAMES, type FaultName } from '../../host-sim/gatt/faults.js';
import { MODELS } from '../../host-sim/gatt/models.js';
import { SimGattLink } from '../../host-sim/gatt/sim-link.js';
import { createSimGattLink, DEMO_PERIPHERALS, parseFaultOption, parsePeripherals } from '../../host-sim/gatt/demo-peripherals.js';
import { FakeClock } from '../mqtt/fakes.js';

const MAC = 'A4C1381A2B01';
const xiaomi = (short: string) => `ebe0${short}-7a0a-4b0c-8a1a-6ff2997da3a6`;
const sig = (short: string) => parseUuid(short)!;
const hex = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString('hex');
const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** Records what the link tells the core. */
class Events implements GattConnectionEvents {
  connection: GattConnection | undefined;
  failed: GattFailure | undefined;
  disconnects: number[] = [];
  notifications: { handle: number; value: string }[] = [];
  onConnect(c: GattConnection): void { this.connection = c; }
  onConnectFailed(e: GattFailure): void { this.failed = e; }
  onDisconnect(reason: number): void { this.disconnects.push(reason); }
  onNotification(handle: number, value: Uint8Array): void { this.notifications.push({ handle, value: hex(value) }); }
}

function setup(model = 'LYWSD03MMC', init: Parameters<SimGattLink['add']>[2] = {}) {
  const clock = new FakeClock();
  const link = new SimGattLink(clock);
  const peripheral = link.add(MAC, model, init);
  /** Starts an operation, lets the clock run past its latency, returns the callback's arguments (undefined: no answer). */
  const run = <A extends unknown[]>(start: (done: (...args: A) => void) => void, ms = 200): A | undefined => {
    let result: A | undefined;
    start((...args) => { result = args; });
    clock.advance(ms);
    return result;
  };
  const connect = (mac = MAC) => {
    const events = new Events();
    link.connect({ mac, addrType: 0 }, events);
    clock.advance(200);
    return events;
  };
  const open = () => {
    const events = connect();
    if (!events.connection) throw new Error(`no connection: ${events.failed?.message}`);
    return { events, conn: events.connection };
  };
  const services = (conn: GattConnection) => run<[GattFailure | undefined, GattService[]]>((d) => conn.discoverServices(d))!;
  const characteristics = (conn: GattConnection, service: GattService) =>
    run<[GattFailure | undefined, GattCharacteristic[]]>((d) => conn.discoverCharacteristics(service, d))!;
  /** Discovery down to one characteristic, as the core does it. */
  const find = (conn: GattConnection, serviceUuid: string, uuid: string): GattCharacteristic => {
    const service = services(conn)[1].find((s) => s.uuid === serviceUuid);
    if (!service) throw new Error(`no service ${serviceUuid}`);
    const c = characteristics(conn, service)[1].find((x) => x.uuid === uuid);
    if (!c) throw new Error(`no characteristic ${uuid}`);
    return c;
  };
  const read = (conn: GattConnection, c: GattCharacteristic) => run<[GattFailure | undefined, Uint8Array?]>((d) => conn.read(c, d));
  const write = (conn: GattConnection, c: GattCharacteristic, bytes: number[], withResponse = true) =>
    run<[GattFailure | undefined]>((d) => conn.write(c, Uint8Array.from(bytes), withResponse, d));
  const subscribe = (conn: GattConnection, c: GattCharacteristic) => run<[GattFailure | undefined]>((d) => conn.subscribe(c, d));
  return { clock, link, peripheral, run, connect, open, services, characteristics, find, read, write, subscribe };
}

describe('discovery', () => {
  for (const model of Object.values(MODELS)) {
    it(`${model.name}: the modelled services and characteristics with sane handles`, () => {
      const t = setup(model.name);
      const { conn } = t.open();
      const [error, services] = t.services(conn);
      expect(error).toBeUndefined();
      expect(services.map((s) => s.uuid)).toEqual(model.services.map((s) => s.uuid));
      expect(services[0]!.uuid).toBe(sig('1800'));
      let previousEnd = 0;
      const handles = new Set<number>();
      for (const [i, service] of services.entries()) {
        expect(service.start).toBeGreaterThan(previousEnd);
        expect(service.end).toBeGreaterThanOrEqual(service.start);
        previousEnd = service.end;
        const [e, chars] = t.characteristics(conn, service);
        expect(e).toBeUndefined();
        expect(chars.map((c) => c.uuid)).toEqual(model.services[i]!.characteristics.map((c) => c.uuid));
        let previous = service.start;
        for (const c of chars) {
          expect(c.handle).toBeGreaterThan(previous + 1); // its declaration sits in between
          expect(c.handle).toBeLessThanOrEqual(service.end);
          expect(handles.has(c.handle)).toBe(false);
          handles.add(c.handle);
          previous = c.handle;
        }
      }
      const name = t.read(conn, t.find(conn, sig('1800'), sig('2a00')))!;
      expect(Buffer.from(name[1]!).toString('latin1').replace(/\0$/, '')).toBe(model.defaults.name);
    });
  }

  it('value handles are where public dumps and libraries put them', () => {
    const handleOf = (model: string, service: string, uuid: string) => {
      const t = setup(model);
      return t.find(t.open().conn, service, uuid).handle;
    };
    for (const model of ['LYWSD03MMC', 'MHO-C401']) {
      expect(handleOf(model, sig('1800'), sig('2a00'))).toBe(0x03);
      expect(handleOf(model, xiaomi('ccb0'), xiaomi('ccb7'))).toBe(0x23);
      expect(handleOf(model, xiaomi('ccb0'), xiaomi('ccbe'))).toBe(0x33);
      expect(handleOf(model, xiaomi('ccb0'), xiaomi('ccc1'))).toBe(0x36);
      expect(handleOf(model, xiaomi('ccb0'), xiaomi('ccc4'))).toBe(0x3a);
    }
    expect(handleOf('LYWSD02', xiaomi('ccb0'), xiaomi('ccc1'))).toBe(0x4b);
    expect(handleOf('HHCCJCY01', sig('1204'), sig('1a00'))).toBe(0x33);
    expect(handleOf('HHCCJCY01', sig('1204'), sig('1a01'))).toBe(0x35);
    expect(handleOf('HHCCJCY01', sig('1204'), sig('1a02'))).toBe(0x38);
  });

  it('subscribing names the CCCD after the user description (0x38 on the LYWSD03MMC)', () => {
    const t = setup();
    const { conn } = t.open();
    t.subscribe(conn, t.find(conn, xiaomi('ccb0'), xiaomi('ccc1')));
    expect(t.peripheral.log.find((e) => e.kind === 'subscribe')?.detail).toBe('CCCD 0x0038');
  });
});

describe('LYWSD03MMC and MHO-C401', () => {
  for (const model of ['LYWSD03MMC', 'MHO-C401']) {
    it(`${model}: reads temperature/humidity/voltage and battery`, () => {
      const t = setup(model, { values: { temperature: -3.21, humidity: 61, voltage: 2890, battery: 77 } });
      const { conn } = t.open();
      const data = t.read(conn, t.find(conn, xiaomi('ccb0'), xiaomi('ccc1')))![1]!;
      expect(data.length).toBe(5);
      expect(view(data).getInt16(0, true)).toBe(-321);
      expect(data[2]).toBe(61);
      expect(view(data).getUint16(3, true)).toBe(2890);
      expect(hex(t.read(conn, t.find(conn, xiaomi('ccb0'), xiaomi('ccc4')))![1])).toBe('4d');
    });

    it(`${model}: a clock write sets the device clock, which then runs with the Clock`, () => {
      const t = setup(model);
      const { conn } = t.open();
      const clockChar = t.find(conn, xiaomi('ccb0'), xiaomi('ccb7'));
      const value = new Uint8Array(5);
      view(value).setUint32(0, 1_750_000_000, true);
      value[4] = 0xfe; // UTC-2
      expect(t.write(conn, clockChar, [...value])).toEqual([undefined]);
      expect(t.peripheral.snapshot()).toMatchObject({ time: 1_750_000_000, timezone: -2 });
      t.clock.advance(61_000);
      const back = t.read(conn, clockChar)![1]!;
      expect(view(back).getUint32(0, true)).toBe(1_750_000_061);
      expect(view(back).getInt8(4)).toBe(-2);
      expect(t.write(conn, clockChar, [1, 2, 3])![0]).toMatchObject({ code: 'failed', reason: 0x0d });
    });

    it(`${model}: the unit byte is 0x00 °C / 0x01 °F`, () => {
      const t = setup(model);
      const { conn } = t.open();
      const unit = t.find(conn, xiaomi('ccb0'), xiaomi('ccbe'));
      expect(hex(t.read(conn, unit)![1])).toBe('00');
      expect(t.write(conn, unit, [0x01])).toEqual([undefined]);
      expect(t.peripheral.values.unit).toBe('F');
      expect(hex(t.peripheral.valueOf('ebe0ccbe-7a0a-4b0c-8a1a-6ff2997da3a6'))).toBe('01');
      expect(t.write(conn, unit, [0xff])![0]).toMatchObject({ code: 'failed', reason: 0x13 });
      expect(t.peripheral.values.unit).toBe('F');
    });

    it(`${model}: ebe0ccc1 notifies every 2 s while subscribed; unsubscribe stops it`, () => {
      const t = setup(model);
      const { events, conn } = t.open();
      const data = t.find(conn, xiaomi('ccb0'), xiaomi('ccc1'));
      expect(t.subscribe(conn, data)).toEqual([undefined]);
      t.clock.advance(6_000);
      expect(events.notifications).toHaveLength(3);
      expect(events.notifications[0]).toEqual({ handle: 0x36, value: hex(t.peripheral.valueOf(xiaomi('ccc1'))) });
      t.peripheral.update({ temperature: 25 });
      t.clock.advance(2_000);
      expect(events.notifications.at(-1)!.value.slice(0, 4)).toBe('c409');
      expect(t.run<[GattFailure | undefined]>((d) => conn.unsubscribe(data, d))).toEqual([undefined]);
      const count = events.notifications.length;
      t.clock.advance(10_000);
      expect(events.notifications).toHaveLength(count);
    });
  }
});

describe('LYWSD02', () => {
  it('unit 0xFF °C / 0x01 °F (lywsd02 library); 0x00 is refused', () => {
    const t = setup('LYWSD02');
    const { conn } = t.open();
    const unit = t.find(conn, xiaomi('ccb0'), xiaomi('ccbe'));
    expect(hex(t.read(conn, unit)![1])).toBe('ff');
    expect(t.write(conn, unit, [0x01])).toEqual([undefined]);
    expect(t.peripheral.values.unit).toBe('F');
    expect(t.write(conn, unit, [0x00])![0]).toMatchObject({ code: 'failed', reason: 0x13 });
    expect(t.write(conn, unit, [0xff])).toEqual([undefined]);
    expect(t.peripheral.values.unit).toBe('C');
  });

  it('battery byte, 3-byte data notifications, clock write', () => {
    const t = setup('LYWSD02', { values: { battery: 64, temperature: 20.9, humidity: 51 } });
    const { events, conn } = t.open();
    expect(hex(t.read(conn, t.find(conn, xiaomi('ccb0'), xiaomi('ccc4')))![1])).toBe('40');
    t.subscribe(conn, t.find(conn, xiaomi('ccb0'), xiaomi('ccc1')));
    t.clock.advance(2_000);
    expect(events.notifications).toEqual([{ handle: 0x4b, value: '2a0833' }]);
    const clockChar = t.find(conn, xiaomi('ccb0'), xiaomi('ccb7'));
    expect(t.write(conn, clockChar, [0x80, 0x3e, 0x4f, 0x68, 0x02])).toEqual([undefined]);
    expect(t.peripheral.snapshot()).toMatchObject({ time: 0x684f3e80, timezone: 2 });
  });
});

describe('HHCCJCY01 (Flora)', () => {
  it('real-time data reads as zeros until A0 1F is written, and again after a reconnect', () => {
    const t = setup('HHCCJCY01', { values: { temperature: 21.5, illuminance: 870, moisture: 35, conductivity: 412 } });
    let { conn } = t.open();
    const data = t.find(conn, sig('1204'), sig('1a01'));
    expect(hex(t.read(conn, data)![1])).toBe('00'.repeat(16));
    expect(t.write(conn, t.find(conn, sig('1204'), sig('1a00')), [0xa0, 0x1f])).toEqual([undefined]);
    const bytes = t.read(conn, data)![1]!;
    expect(bytes.length).toBe(16);
    expect(view(bytes).getInt16(0, true)).toBe(215);
    expect(bytes[2]).toBe(0);
    expect(view(bytes).getUint32(3, true)).toBe(870);
    expect(bytes[7]).toBe(35);
    expect(view(bytes).getUint16(8, true)).toBe(412);
    expect(hex(bytes.subarray(10))).toBe('00'.repeat(6));
    conn.disconnect();
    t.clock.advance(100);
    conn = t.open().conn;
    expect(hex(t.read(conn, t.find(conn, sig('1204'), sig('1a01')))![1])).toBe('00'.repeat(16));
  });

  it('battery and firmware: [battery][0x27]["3.2.1"]', () => {
    const t = setup('HHCCJCY01', { values: { battery: 91 } });
    const { conn } = t.open();
    const v = t.read(conn, t.find(conn, sig('1204'), sig('1a02')))![1]!;
    expect(v[0]).toBe(91);
    expect(v[1]).toBe(0x27);
    expect(Buffer.from(v.subarray(2)).toString('latin1')).toBe('3.2.1');
  });
});

describe('CGD1', () => {
  it('reads the battery level; notifies it when it changes', () => {
    const t = setup('CGD1', { values: { battery: 58 } });
    const { events, conn } = t.open();
    const level = t.find(conn, sig('180f'), sig('2a19'));
    expect(level.properties & GATT_PROPERTY.notify).toBeTruthy();
    expect(hex(t.read(conn, level)![1])).toBe('3a');
    expect(t.subscribe(conn, level)).toEqual([undefined]);
    t.clock.advance(60_000);
    expect(events.notifications).toEqual([]);
    t.peripheral.update({ battery: 57 });
    t.clock.advance(100);
    expect(events.notifications).toEqual([{ handle: level.handle, value: '39' }]);
  });
});

describe('the link', () => {
  it('answers through the clock, never from inside the call', () => {
    const t = setup();
    const events = new Events();
    t.link.connect({ mac: MAC, addrType: 0 }, events);
    expect(events.connection).toBeUndefined();
    t.clock.advance(39);
    expect(events.connection).toBeUndefined();
    t.clock.advance(1);
    expect(events.connection).toBeDefined();
    let answered = false;
    events.connection!.discoverServices(() => { answered = true; });
    expect(answered).toBe(false);
    t.clock.advance(10);
    expect(answered).toBe(true);
    expect(t.link.pausesScan).toBe(true);
    expect(new SimGattLink(t.clock, { pausesScan: false }).pausesScan).toBe(false);
  });

  it('requests queue and are answered in order', () => {
    const t = setup();
    const { conn } = t.open();
    const unit = t.find(conn, xiaomi('ccb0'), xiaomi('ccbe'));
    const order: string[] = [];
    conn.write(unit, Uint8Array.of(1), true, () => order.push('write'));
    conn.read(unit, (_e, v) => order.push(`read ${hex(v)}`));
    t.clock.advance(10);
    expect(order).toEqual(['write']);
    t.clock.advance(10);
    expect(order).toEqual(['write', 'read 01']);
  });

  it('an unknown MAC never answers and leaves no timer', () => {
    const t = setup();
    const events = t.connect('112233445566');
    t.clock.advance(60_000);
    expect(events.connection).toBeUndefined();
    expect(events.failed).toBeUndefined();
    expect(t.clock.pending).toBe(0);
  });

  it('one connection per peripheral at a time', () => {
    const t = setup();
    t.open();
    const second = t.connect();
    expect(second.connection).toBeUndefined();
    expect(second.failed?.code).toBe('refused');
    expect(t.peripheral.connections).toBe(1);
  });

  it('disconnect stops notifications, reports 0x16 and leaves no timer behind', () => {
    const t = setup();
    const { events, conn } = t.open();
    t.subscribe(conn, t.find(conn, xiaomi('ccb0'), xiaomi('ccc1')));
    t.clock.advance(2_000);
    expect(events.notifications).toHaveLength(1);
    conn.disconnect();
    t.clock.advance(10_000);
    expect(events.disconnects).toEqual([0x16]);
    expect(events.notifications).toHaveLength(1);
    expect(t.clock.pending).toBe(0);
    expect(t.run<[GattFailure | undefined, Uint8Array?]>((d) => conn.read({ uuid: xiaomi('ccc4'), handle: 0x3a, properties: 2 }, d))![0]?.code).toBe('not-connected');
  });

  it('the peer dropping the link: onDisconnect 0x13, pending callbacks never fire', () => {
    const t = setup();
    const { events, conn } = t.open();
    let answered = false;
    conn.discoverServices(() => { answered = true; });
    t.peripheral.drop();
    t.clock.advance(1_000);
    expect(events.disconnects).toEqual([0x13]);
    expect(answered).toBe(false);
    expect(t.clock.pending).toBe(0);
  });

  it('values persist across connections (a written unit stays written)', () => {
    const t = setup();
    let { conn } = t.open();
    t.write(conn, t.find(conn, xiaomi('ccb0'), xiaomi('ccbe')), [0x01]);
    conn.disconnect();
    t.clock.advance(100);
    conn = t.open().conn;
    expect(hex(t.read(conn, t.find(conn, xiaomi('ccb0'), xiaomi('ccbe')))![1])).toBe('01');
    expect(t.peripheral.connections).toBe(2);
    expect(t.peripheral.log.map((e) => e.kind)).toEqual([
      'connect', 'discover', 'discover', 'write', 'disconnect', 'connect', 'discover', 'discover', 'read',
    ]);
    expect(t.peripheral.log.find((e) => e.kind === 'write')).toMatchObject({ uuid: xiaomi('ccbe'), value: '01' });
  });

  it('a write without response to a read-only characteristic is lost without an error', () => {
    const t = setup();
    const { conn } = t.open();
    const battery = t.find(conn, xiaomi('ccb0'), xiaomi('ccc4'));
    expect(t.write(conn, battery, [0x10], false)).toEqual([undefined]);
    expect(t.write(conn, battery, [0x10], true)![0]).toMatchObject({ code: 'not-permitted', reason: 0x03 });
    expect(t.peripheral.values.battery).toBe(85);
    expect(t.peripheral.log.filter((e) => e.kind === 'write-lost')).toHaveLength(1);
  });
});

describe('faults', () => {
  /** A connection with discovery done under no fault, then the fault set: what the core holds mid-session. */
  const discovered = (fault: FaultName) => {
    const t = setup();
    const { events, conn } = t.open();
    const c = {
      unit: t.find(conn, xiaomi('ccb0'), xiaomi('ccbe')),
      data: t.find(conn, xiaomi('ccb0'), xiaomi('ccc1')),
    };
    t.link.setFault(MAC, fault);
    return { t, events, conn, c };
  };

  it('every fault has a name the CLI accepts', () => {
    for (const name of FAULT_NAMES) expect(parseFaultOption(`${MAC}=${name}`)).toEqual({ mac: MAC, fault: { name } });
  });

  it('refuse-connect: onConnectFailed, refused', () => {
    const t = setup('LYWSD03MMC', { fault: 'refuse-connect' });
    const events = t.connect();
    expect(events.failed).toMatchObject({ code: 'refused', reason: 0x3e });
    expect(events.connection).toBeUndefined();
    t.link.setFault(MAC, undefined);
    expect(t.connect().connection).toBeDefined();
  });

  it('no-connect-response: connect never answers, and the peripheral stays connectable once cleared', () => {
    const t = setup('LYWSD03MMC', { fault: 'no-connect-response' });
    const events = t.connect();
    t.clock.advance(60_000);
    expect(events.connection).toBeUndefined();
    expect(events.failed).toBeUndefined();
    expect(t.clock.pending).toBe(0);
    t.link.setFault(MAC, undefined);
    expect(t.connect().connection).toBeDefined();
  });

  it('missing-service: the main service is not discovered', () => {
    const t = setup('HHCCJCY01', { fault: 'missing-service' });
    const { conn } = t.open();
    expect(t.services(conn)[1].map((s) => s.uuid)).toEqual([sig('1800')]);
    const stale = t.characteristics(conn, { uuid: sig('1204'), start: 0x31, end: 0x38 });
    expect(stale[0]?.code).toBe('not-found');
    expect(t.read(conn, { uuid: sig('1a02'), handle: 0x38, properties: 2 })![0]?.code).toBe('not-found');
  });

  it('missing-characteristic: the main service is empty, or just the one named', () => {
    const t = setup('LYWSD03MMC', { fault: 'missing-characteristic' });
    let { conn } = t.open();
    const service = t.services(conn)[1].find((s) => s.uuid === xiaomi('ccb0'))!;
    expect(t.characteristics(conn, service)[1]).toEqual([]);
    conn.disconnect();
    t.clock.advance(100);
    t.link.setFault(MAC, parseFaultOption(`${MAC}=missing-characteristic:ebe0ccbe-7a0a-4b0c-8a1a-6ff2997da3a6`).fault);
    conn = t.open().conn;
    expect(t.characteristics(conn, service)[1].map((c) => c.uuid)).toEqual([xiaomi('ccb7'), xiaomi('ccc1'), xiaomi('ccc4')]);
    expect(t.write(conn, { uuid: xiaomi('ccbe'), handle: 0x33, properties: 0x0a }, [1])![0]?.code).toBe('not-found');
  });

  it('read-only: write properties gone; a write anyway is not permitted', () => {
    const { t, conn, c } = discovered('read-only');
    const fresh = t.find(conn, xiaomi('ccb0'), xiaomi('ccbe'));
    expect(fresh.properties).toBe(GATT_PROPERTY.read);
    expect(t.write(conn, c.unit, [0x01])![0]).toMatchObject({ code: 'not-permitted', reason: 0x03 });
    expect(t.peripheral.values.unit).toBe('C');
  });

  it('not-readable: read properties gone; a read anyway is not permitted', () => {
    const { t, conn, c } = discovered('not-readable');
    expect(t.find(conn, xiaomi('ccb0'), xiaomi('ccc4')).properties).toBe(0);
    expect(t.read(conn, c.unit)![0]).toMatchObject({ code: 'not-permitted', reason: 0x02 });
  });

  it('cannot-notify: notify gone; a subscribe anyway is refused', () => {
    const { t, events, conn, c } = discovered('cannot-notify');
    expect(t.find(conn, xiaomi('ccb0'), xiaomi('ccc1')).properties).toBe(GATT_PROPERTY.read);
    expect(t.subscribe(conn, c.data)![0]?.code).toBe('not-permitted');
    t.clock.advance(10_000);
    expect(events.notifications).toEqual([]);
  });

  it('write-fails: a write request gets an error and changes nothing', () => {
    const { t, conn, c } = discovered('write-fails');
    expect(t.write(conn, c.unit, [0x01])![0]).toMatchObject({ code: 'failed', reason: 0x0e });
    expect(t.write(conn, c.unit, [0x01], false)).toEqual([undefined]);
    expect(t.peripheral.values.unit).toBe('C');
  });

  it('no-response: requests never answer; disconnect still works', () => {
    const { t, events, conn, c } = discovered('no-response');
    expect(t.read(conn, c.unit)).toBeUndefined();
    expect(t.run((d) => conn.discoverServices(d), 60_000)).toBeUndefined();
    expect(t.clock.pending).toBe(0);
    conn.disconnect();
    t.clock.advance(100);
    expect(events.disconnects).toEqual([0x16]);
  });

  it('disconnect-mid-operation: the first request after connect drops the link (0x13), no callback', () => {
    const t = setup('LYWSD02', { fault: 'disconnect-mid-operation' });
    const { events, conn } = t.open();
    expect(t.run((d) => conn.discoverServices(d), 10_000)).toBeUndefined();
    expect(events.disconnects).toEqual([0x13]);
    expect(t.clock.pending).toBe(0);
    expect(t.peripheral.link).toBeUndefined();
    // And mid-session: the next request drops it.
    t.link.setFault(MAC, undefined);
    const again = t.open();
    const unit = t.find(again.conn, xiaomi('ccb0'), xiaomi('ccbe'));
    t.link.setFault(MAC, 'disconnect-mid-operation');
    expect(t.write(again.conn, unit, [0x01])).toBeUndefined();
    expect(again.events.disconnects).toEqual([0x13]);
    expect(t.peripheral.values.unit).toBe('C');
  });

  it('no-notify: subscribe succeeds, nothing comes', () => {
    const { t, events, conn, c } = discovered('no-notify');
    expect(t.subscribe(conn, c.data)).toEqual([undefined]);
    t.clock.advance(30_000);
    expect(events.notifications).toEqual([]);
    t.link.setFault(MAC, undefined);
    t.clock.advance(2_000);
    expect(events.notifications).toHaveLength(1);
  });
});

describe('demo peripherals and the CLI forms', () => {
  it('the default set: six peripherals, each model once, values that differ', () => {
    const link = createSimGattLink(new FakeClock());
    expect(link.peripherals.map((p) => [p.mac, p.model.name])).toEqual([
      ['A4C1381A2B01', 'LYWSD03MMC'], ['A4C13855C401', 'MHO-C401'], ['C47C8D6A1B2C', 'HHCCJCY01'], ['E72E01A1B2C3', 'LYWSD02'], ['582D3430AB12', 'CGD1'],
      ['E12A3B4C5D6E', 'M365'],
    ]);
    const batteries = link.peripherals.map((p) => p.values.battery);
    expect(new Set(batteries).size).toBe(batteries.length);
    expect(DEMO_PERIPHERALS).toHaveLength(6);
  });

  it('a peripherals file with faults and values; --fault on top', () => {
    const specs = parsePeripherals(JSON.stringify([
      { mac: 'e7:2e:01:a1:b2:c3', model: 'lywsd02', values: { unit: 'F', battery: 12 } },
      { mac: 'A4C1381A2B01', model: 'LYWSD03MMC', fault: 'no-response' },
    ]));
    expect(specs).toEqual([
      { mac: 'E72E01A1B2C3', model: 'LYWSD02', values: { unit: 'F', battery: 12 } },
      { mac: 'A4C1381A2B01', model: 'LYWSD03MMC', fault: { name: 'no-response' } },
    ]);
    const link = createSimGattLink(new FakeClock(), { peripherals: specs, faults: [parseFaultOption('E72E01A1B2C3=read-only')] });
    expect(link.peripheral('E72E01A1B2C3')!.fault).toEqual({ name: 'read-only' });
    expect(hex(link.peripheral('E72E01A1B2C3')!.valueOf('ebe0ccbe-7a0a-4b0c-8a1a-6ff2997da3a6'))).toBe('01');
    expect(() => createSimGattLink(new FakeClock(), { peripherals: specs, faults: [parseFaultOption('112233445566=no-response')] }))
      .toThrow(/no simulated peripheral at 112233445566/);
  });

  it('bad entries get errors that say which entry and what is wrong', () => {
    const bad = (entries: unknown) => () => parsePeripherals(JSON.stringify(entries), 'p.json');
    expect(bad([{ mac: 'A4C1381A2B01', model: 'LYWSD99' }])).toThrow(/p\.json: entry 0: unknown model "LYWSD99" \(models: LYWSD03MMC, MHO-C401/);
    expect(bad([{ mac: 'A4C1381A2B', model: 'CGD1' }])).toThrow(/entry 0: bad MAC "A4C1381A2B"/);
    expect(bad([{ mac: 'A4C1381A2B01', model: 'CGD1' }, { mac: 'A4C1381A2B01', model: 'CGD1' }])).toThrow(/entry 1: MAC A4C1381A2B01 is listed twice/);
    expect(bad([{ mac: 'A4C1381A2B01', model: 'CGD1', fault: 'flaky' }])).toThrow(/unknown fault "flaky" \(faults: refuse-connect/);
    expect(bad([{ mac: 'A4C1381A2B01', model: 'CGD1', values: { voltage: 3000 } }])).toThrow(/CGD1 has no value "voltage"/);
    expect(bad([{ mac: 'A4C1381A2B01', model: 'CGD1', values: { battery: 'full' } }])).toThrow(/"battery" must be a number/);
    expect(bad([{ mac: 'A4C1381A2B01', model: 'CGD1', values: { battery: 300 } }])).toThrow(/battery 300 does not fit/);
    expect(bad([{ mac: 'A4C1381A2B01', model: 'LYWSD02', values: { unit: 'K' } }])).toThrow(/unit must be "C" or "F"/);
    expect(bad([{ mac: 'A4C1381A2B01', model: 'CGD1', falut: 'no-response' }])).toThrow(/unknown field\(s\) "falut"/);
    expect(bad({ mac: 'A4C1381A2B01' })).toThrow(/p\.json: expected a JSON array/);
    expect(() => parsePeripherals('[{', 'p.json')).toThrow(/p\.json: invalid JSON/);
  });

  it('--fault forms', () => {
    expect(parseFaultOption('a4:c1:38:1a:2b:01=missing-characteristic:ccbe')).toEqual({
      mac: 'A4C1381A2B01', fault: { name: 'missing-characteristic', uuid: sig('ccbe') },
    });
    expect(() => parseFaultOption('A4C1381A2B01')).toThrow(/MAC=fault/);
    expect(() => parseFaultOption('A4C1=no-response')).toThrow(/bad MAC/);
    expect(() => parseFaultOption('A4C1381A2B01=no-response:x')).toThrow(/takes no argument/);
  });
});
