// A simulated Xiaomi M365-family scooter on current BLE firmware (reference §4–5): the Mi
// service for register/login, the Nordic UART service for 55 AB frames, and the ESC and
// BMS register maps, computed from a ride that goes on while the scooter is unlocked.
// Model choices, not measurements: the ride's numbers, and that the scooter keeps a
// session for SESSION_KEEP_MS after the link drops (real firmware: unknown; the gateway
// falls back to a fresh login when a kept session does not answer).

import { randomBytes } from 'node:crypto';
import { GATT_PROPERTY } from '../../firmware/core/host.js';
import { decryptFrame, encryptFrame, chunks, UartReassembler, UART_ADDRESS, UART_READ, UART_WRITE } from '../../firmware/core/miauth/uart.js';
import { createNodeAes } from '../crypto.js';
import { miDeviceFor, miServiceModel, SLOW_REPLY_MS } from './mi-sensor.js';
import type { MiAuthDevice } from '../../firmware/core/miauth/device.js';
import type { PeripheralModel, PeripheralProtocol, ProtocolHost, PeripheralValues } from './model-types.js';

export const NUS_SERVICE = '6e400001-b5a3-f393-e0a9-e50e24dcca9e';
export const NUS_TX = '6e400002-b5a3-f393-e0a9-e50e24dcca9e';
export const NUS_RX = '6e400003-b5a3-f393-e0a9-e50e24dcca9e';

/** How long the simulated scooter keeps a session after the link drops. */
export const SESSION_KEEP_MS = 10_000;
/** drop-after-login: the link drops this long after a login. */
const DROP_AFTER_LOGIN_MS = 1000;
/** The simulated rider presses the power button this long after the beep... */
const BUTTON_AFTER_BEEP_MS = 1500;
/** ...and the scooter accepts a registration for this long after the press. */
const BUTTON_VALID_MS = 30_000;
const CAPACITY_MAH = 7800;
const SERIAL = '26354/00467353';

const num = (v: PeripheralValues, key: string) => Number(v[key]);

/** The ride: distance, battery and the live figures, from the clock. */
class Ride {
  metres = 0;
  tripMetres = 0;
  poweredOnMs = 0;
  private last: number;
  constructor(private readonly host: ProtocolHost) {
    this.last = host.clock.now();
    this.metres = num(host.values, 'odometer');
  }

  get locked(): boolean { return num(this.host.values, 'locked') === 1; }

  /** km/h now: the cruising speed with a gentle wave, 0 when locked. */
  speedKmh(): number {
    if (this.locked) return 0;
    const base = num(this.host.values, 'speed');
    return base === 0 ? 0 : Math.max(0, base + 2 * Math.sin(this.host.clock.now() / 7000));
  }

  battery(): number {
    // 1 % per 2 km ridden since the start, from the configured charge.
    return Math.max(0, Math.round(num(this.host.values, 'battery') - this.tripMetres / 2000));
  }

  tick(): void {
    const now = this.host.clock.now();
    const dt = Math.max(0, now - this.last);
    this.last = now;
    this.poweredOnMs += dt;
    const metres = (this.speedKmh() / 3.6) * (dt / 1000);
    this.metres += metres;
    this.tripMetres += metres;
  }
}

export class ScooterDevice implements PeripheralProtocol {
  readonly mi: MiAuthDevice;
  readonly ride: Ride;
  private readonly aes = createNodeAes();
  private readonly rx = new UartReassembler();
  private deviceCounter = 0;
  private droppedAt: number | undefined;
  /** When the power button was last pressed (registration needs a press after a beep). */
  private pressedAt: number | undefined;
  /** Beeps so far (each a registration that waited for the button). */
  beeps = 0;
  /** UART frames answered, and frames ignored (no session, bad tag). */
  readonly counts = { answered: 0, ignored: 0, writes: 0 };
  settings = { cruise: 0, light: 0, kers: 1 };

  constructor(private readonly host: ProtocolHost) {
    // A scooter bound in Mi Home has a DID; the gateway sends it back encrypted.
    const did = Uint8Array.from('\0blt.4.18n58266kgg00', (c) => c.charCodeAt(0));
    this.mi = miDeviceFor(host, did, () => {
      if (host.fault() === 'drop-after-login') host.clock.setTimeout(() => host.drop(0x13), DROP_AFTER_LOGIN_MS);
    }, () => this.confirmationNeeded());
    this.ride = new Ride(host);
  }

  /**
   * A registration wants the power button: pressed recently, it goes on; otherwise the
   * scooter beeps, stays silent, and the simulated rider presses the button a moment later
   * (unless the no-button fault says nobody is there).
   */
  private confirmationNeeded(): boolean {
    const now = this.host.clock.now();
    if (this.pressedAt !== undefined && now - this.pressedAt <= BUTTON_VALID_MS) {
      this.pressedAt = undefined;
      return false;
    }
    this.beeps++;
    if (this.host.fault() !== 'no-button') this.host.clock.setTimeout(() => { this.pressedAt = this.host.clock.now(); }, BUTTON_AFTER_BEEP_MS);
    return true;
  }

  onConnect(): void {
    this.rx.reset();
    if (this.droppedAt !== undefined && this.host.clock.now() - this.droppedAt > SESSION_KEEP_MS) this.mi.session = undefined;
    this.droppedAt = undefined;
  }

  onDisconnect(): void {
    this.mi.reset();
    this.droppedAt = this.host.clock.now();
  }

  onWrite(uuid: string, bytes: Uint8Array): void {
    if (this.mi.onWrite(uuid, bytes)) return;
    if (uuid !== NUS_TX) return;
    for (const frame of this.rx.push(bytes)) this.frame(frame);
  }

  private frame(frame: Uint8Array): void {
    const session = this.mi.session;
    // A Mi-auth scooter answers encrypted frames of the current session only.
    const command = session && decryptFrame(this.aes, { devKey: session.appKey, devIv: session.appIv }, frame);
    if (!command || command.length < 4) {
      this.counts.ignored++;
      return;
    }
    const [address, type, register] = [command[0]!, command[1]!, command[2]!];
    if (type === UART_WRITE) return this.write(address, register, command.slice(3));
    if (type !== UART_READ || (address !== UART_ADDRESS.esc && address !== UART_ADDRESS.bms)) return;
    const count = Math.min(command[3]!, 0x40);
    this.ride.tick();
    const file = address === UART_ADDRESS.esc ? this.escRegisters() : this.bmsRegisters();
    const data = file.slice(register * 2, register * 2 + count);
    const reply = Uint8Array.from([address === UART_ADDRESS.esc ? UART_ADDRESS.fromEsc : UART_ADDRESS.fromBms, UART_READ, register, ...data]);
    const sealed = encryptFrame(this.aes, { appKey: session.devKey, appIv: session.devIv, devKey: session.devKey, devIv: session.devIv, counter: this.deviceCounter }, reply, new Uint8Array(randomBytes(4)));
    this.deviceCounter = (this.deviceCounter + 1) & 0xffff;
    this.counts.answered++;
    const delay = this.host.fault() === 'slow-replies' ? SLOW_REPLY_MS : 0;
    for (const piece of chunks(sealed)) this.host.notify(NUS_RX, piece, delay);
  }

  /** Writes get no reply, as on the real scooter (CamiAlfa): the next poll shows them. */
  private write(address: number, register: number, value: Uint8Array): void {
    if (address !== UART_ADDRESS.esc || value.length < 1) return;
    this.counts.writes++;
    this.ride.tick();
    const on = value[0]!;
    if (register === 0x70 && on === 1) this.host.values.locked = 1;
    else if (register === 0x71 && on === 1) this.host.values.locked = 0;
    else if (register === 0x7b) this.settings.kers = on;
    else if (register === 0x7c) this.settings.cruise = on ? 1 : 0;
    else if (register === 0x7d) this.settings.light = on;
    else if (register === 0x79 && on === 1) this.host.drop(0x13); // power off
  }

  /** The ESC's register file, 16-bit little-endian words by index (reference §5.2). */
  private escRegisters(): Uint8Array {
    const f = new DataView(new ArrayBuffer(512));
    const bytes = new Uint8Array(f.buffer);
    bytes.set(Uint8Array.from(SERIAL, (c) => c.charCodeAt(0)), 0x10 * 2);
    bytes.set(Uint8Array.from('000000', (c) => c.charCodeAt(0)), 0x17 * 2);
    f.setUint16(0x1a * 2, 0x0134, true);
    const battery = this.ride.battery();
    f.setUint16(0x25 * 2, Math.round(battery * 30), true); // range, 10 m units: 30 km at 100 %
    f.setInt16(0x3e * 2, 251, true);
    f.setUint16(0x7b * 2, this.settings.kers, true);
    f.setUint16(0x7c * 2, this.settings.cruise, true);
    f.setUint16(0x7d * 2, this.settings.light, true);
    f.setUint16(0xb0 * 2, 0, true); // error
    f.setUint16(0xb1 * 2, 0, true); // warning
    f.setUint16(0xb2 * 2, this.ride.locked ? 2 : 0, true);
    f.setUint16(0xb4 * 2, battery, true);
    f.setInt16(0xb5 * 2, Math.round(this.ride.speedKmh() * 1000), true);
    f.setUint16(0xb6 * 2, Math.round(num(this.host.values, 'speed') * 800), true);
    f.setUint32(0xb7 * 2, Math.round(this.ride.metres), true);
    f.setUint16(0xb9 * 2, Math.round(this.ride.tripMetres / 10), true);
    f.setUint16(0xba * 2, Math.round(this.ride.poweredOnMs / 1000) & 0xffff, true);
    f.setInt16(0xbb * 2, 251, true);
    return bytes;
  }

  /** The BMS's register file (reference §5.3). */
  private bmsRegisters(): Uint8Array {
    const f = new DataView(new ArrayBuffer(512));
    const battery = this.ride.battery();
    const riding = this.ride.speedKmh() > 0;
    const volts = 33 + (9 * battery) / 100;
    f.setUint16(0x31 * 2, Math.round((CAPACITY_MAH * battery) / 100), true);
    f.setUint16(0x32 * 2, battery, true);
    f.setInt16(0x33 * 2, riding ? 812 : 1, true); // 10 mA units
    f.setUint16(0x34 * 2, Math.round(volts * 100), true); // 10 mV units
    f.setUint8(0x35 * 2, 25 + 20);
    f.setUint8(0x35 * 2 + 1, 26 + 20);
    for (let cell = 0; cell < 10; cell++) f.setUint16((0x40 + cell) * 2, Math.round((volts / 10) * 1000) + cell, true);
    return new Uint8Array(f.buffer);
  }
}



/** Xiaomi M365-family scooter (m365, 1S, Pro, Pro 2, Pro 3 answer the same way on current BLE firmware). */
export const M365: PeripheralModel = {
  name: 'M365',
  mainService: NUS_SERVICE,
  // odometer in metres; speed = the cruising speed in km/h when unlocked (0 = standing).
  defaults: { name: 'MIScooter4821', battery: 80, odometer: 1306083, speed: 18, locked: 0 },
  services: [
    { uuid: '00001800-0000-1000-8000-00805f9b34fb', start: 1, characteristics: [{ uuid: '00002a00-0000-1000-8000-00805f9b34fb', properties: GATT_PROPERTY.read, encode: (v) => Uint8Array.from(String(v.name), (c) => c.charCodeAt(0) & 0xff) }] },
    miServiceModel(),
    {
      uuid: NUS_SERVICE,
      characteristics: [
        { uuid: NUS_TX, properties: GATT_PROPERTY.write | GATT_PROPERTY.writeWithoutResponse, encode: () => new Uint8Array(0) },
        { uuid: NUS_RX, properties: GATT_PROPERTY.notify, encode: () => new Uint8Array(0) },
      ],
    },
  ],
  protocol: (host) => new ScooterDevice(host),
};

