// One open link to a simulated peripheral, as the core sees it through the GattConnection
// port. Requests queue like ATT requests do (one at a time, each answered after the link's
// latency on the Clock); a fault is looked at when the peripheral would answer.

import { GATT_PROPERTY, type Clock, type GattCharacteristic, type GattConnection, type GattConnectionEvents, type GattFailure, type GattService, type TimerHandle } from '../../firmware/core/host.js';
import { toHex } from '../../firmware/core/bytes/hex.js';
import type { CharacteristicEntry } from './attributes.js';
import { ATT_ERROR } from './models.js';
import { REMOTE_USER_TERMINATED, type PeripheralLink, type SimPeripheral } from './peripheral.js';

/** HCI "connection terminated by local host": we hung up. */
export const LOCAL_HOST_TERMINATED = 0x16;

const CAN_NOTIFY = GATT_PROPERTY.notify | GATT_PROPERTY.indicate;
const CAN_WRITE = GATT_PROPERTY.write | GATT_PROPERTY.writeWithoutResponse;

/** How an ATT error reaches the core. */
const ATT_FAILURES: Readonly<Record<number, [GattFailure['code'], string]>> = {
  [ATT_ERROR.invalidHandle]: ['not-found', 'invalid handle'],
  [ATT_ERROR.readNotPermitted]: ['not-permitted', 'read not permitted'],
  [ATT_ERROR.writeNotPermitted]: ['not-permitted', 'write not permitted'],
  [ATT_ERROR.insufficientAuthentication]: ['not-permitted', 'insufficient authentication'],
  [ATT_ERROR.attributeNotFound]: ['not-found', 'attribute not found'],
  [ATT_ERROR.invalidLength]: ['failed', 'invalid attribute value length'],
  [ATT_ERROR.unlikely]: ['failed', 'unlikely error'],
  [ATT_ERROR.valueNotAllowed]: ['failed', 'value not allowed'],
};

function attFailure(error: number, what: string): GattFailure {
  const [code, text] = ATT_FAILURES[error] ?? ['failed', 'ATT error'];
  return { code, message: `${what}: ${text} (ATT 0x${error.toString(16).padStart(2, '0')})`, reason: error };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

const NOT_CONNECTED: GattFailure = { code: 'not-connected', message: 'not connected' };

export class SimConnection implements GattConnection, PeripheralLink {
  private open = true;
  /** When the request in flight will have been answered. */
  private busyUntil = 0;
  private readonly timers = new Set<TimerHandle>();
  /** Subscribed value handles → their periodic notification timer, if the model has one. */
  private readonly subscriptions = new Map<number, TimerHandle | undefined>();

  constructor(
    private readonly peripheral: SimPeripheral,
    private readonly clock: Clock,
    private readonly events: GattConnectionEvents,
    private readonly requestMs: number,
    /** Made with a bond (GattPeer.bond): a peripheral that asks for one answers. */
    private readonly encrypted = false,
  ) {
    peripheral.link = this;
    peripheral.protocol?.onConnect?.();
  }

  /** ATT 0x05 for a characteristic the peripheral guards while the link is not encrypted. */
  private guarded(entry: CharacteristicEntry): number | undefined {
    return !this.encrypted && this.peripheral.guards(entry) ? ATT_ERROR.insufficientAuthentication : undefined;
  }

  discoverServices(done: (error: GattFailure | undefined, services: GattService[]) => void): void {
    this.request('discover services', () => {
      const services = this.peripheral.services().map(({ uuid, start, end }) => ({ uuid, start, end }));
      this.peripheral.record('discover', { detail: plural(services.length, 'service') });
      done(undefined, services);
    }, (f) => done(f, []));
  }

  discoverCharacteristics(service: GattService, done: (error: GattFailure | undefined, characteristics: GattCharacteristic[]) => void): void {
    this.request('discover characteristics', () => {
      const entry = this.peripheral.services().find((s) => s.uuid === service.uuid && s.start === service.start);
      if (!entry) {
        this.peripheral.record('discover', { uuid: service.uuid, error: 'not-found' });
        return done(attFailure(ATT_ERROR.attributeNotFound, `service ${service.uuid}`), []);
      }
      const characteristics = entry.characteristics
        .filter((c) => this.peripheral.visible(c))
        .map((c) => ({ uuid: c.model.uuid, handle: c.handle, properties: this.peripheral.properties(c) }));
      this.peripheral.record('discover', { uuid: service.uuid, detail: plural(characteristics.length, 'characteristic') });
      done(undefined, characteristics);
    }, (f) => done(f, []));
  }

  read(characteristic: GattCharacteristic, done: (error: GattFailure | undefined, value?: Uint8Array) => void): void {
    this.request('read', () => {
      const entry = this.peripheral.characteristic(characteristic.handle);
      const refused = !entry ? ATT_ERROR.invalidHandle
        : !(this.peripheral.properties(entry) & GATT_PROPERTY.read) ? ATT_ERROR.readNotPermitted : this.guarded(entry);
      if (!entry || refused !== undefined) {
        const failure = attFailure(refused ?? ATT_ERROR.invalidHandle, `read ${characteristic.uuid}`);
        this.peripheral.record('read', { uuid: characteristic.uuid, error: failure.code, detail: failure.message });
        return done(failure);
      }
      const value = this.peripheral.encode(entry);
      this.peripheral.record('read', { uuid: entry.model.uuid, value: toHex(value) });
      done(undefined, value.slice());
    }, done);
  }

  write(characteristic: GattCharacteristic, value: Uint8Array, withResponse: boolean, done: (error: GattFailure | undefined) => void): void {
    const bytes = value.slice();
    this.request('write', () => {
      const what = `write ${characteristic.uuid}`;
      // Without a response the client never learns that a write was refused: it is lost.
      const refuse = (failure: GattFailure) => {
        this.peripheral.record(withResponse ? 'write' : 'write-lost', { uuid: characteristic.uuid, value: toHex(bytes), error: failure.code, detail: failure.message });
        done(withResponse ? failure : undefined);
      };
      const entry = this.peripheral.characteristic(characteristic.handle);
      if (!entry) return refuse(attFailure(ATT_ERROR.invalidHandle, what));
      if (!(this.peripheral.properties(entry) & CAN_WRITE)) return refuse(attFailure(ATT_ERROR.writeNotPermitted, what));
      const guard = this.guarded(entry);
      if (guard !== undefined) return refuse(attFailure(guard, what));
      if (this.peripheral.fault?.name === 'write-fails') return refuse(attFailure(ATT_ERROR.unlikely, what));
      const error = this.peripheral.decode(entry, bytes);
      if (error !== undefined) return refuse(attFailure(error, what));
      this.peripheral.record('write', { uuid: entry.model.uuid, value: toHex(bytes) });
      done(undefined);
      this.peripheral.protocol?.onWrite(entry.model.uuid, bytes);
    }, done);
  }

  subscribe(characteristic: GattCharacteristic, done: (error: GattFailure | undefined) => void): void {
    this.request('subscribe', () => {
      const entry = this.peripheral.characteristic(characteristic.handle);
      const failure = !entry ? attFailure(ATT_ERROR.invalidHandle, `subscribe ${characteristic.uuid}`)
        : !(this.peripheral.properties(entry) & CAN_NOTIFY) ? { code: 'not-permitted' as const, message: `subscribe ${characteristic.uuid}: cannot notify or indicate` }
        : this.guarded(entry) !== undefined ? attFailure(ATT_ERROR.insufficientAuthentication, `subscribe ${characteristic.uuid}`)
        : undefined;
      if (!entry || failure) {
        this.peripheral.record('subscribe', { uuid: characteristic.uuid, error: failure?.code, detail: failure?.message });
        return done(failure);
      }
      if (!this.subscriptions.has(entry.handle)) this.schedule(entry);
      this.peripheral.record('subscribe', { uuid: entry.model.uuid, detail: `CCCD 0x${entry.cccd!.toString(16).padStart(4, '0')}` });
      done(undefined);
    }, done);
  }

  unsubscribe(characteristic: GattCharacteristic, done: (error: GattFailure | undefined) => void): void {
    this.request('unsubscribe', () => {
      const entry = this.peripheral.characteristic(characteristic.handle);
      if (!entry) {
        const failure = attFailure(ATT_ERROR.invalidHandle, `unsubscribe ${characteristic.uuid}`);
        this.peripheral.record('unsubscribe', { uuid: characteristic.uuid, error: failure.code });
        return done(failure);
      }
      this.stopNotifying(entry.handle);
      this.peripheral.record('unsubscribe', { uuid: entry.model.uuid });
      done(undefined);
    }, done);
  }

  disconnect(): void {
    if (!this.open) return;
    this.close();
    this.peripheral.record('disconnect', { reason: LOCAL_HOST_TERMINATED });
    this.clock.setTimeout(() => this.events.onDisconnect(LOCAL_HOST_TERMINATED), this.requestMs);
  }

  // --- PeripheralLink: the peripheral's side ------------------------------------------------

  drop(reason: number): void {
    if (!this.open) return;
    this.close();
    this.peripheral.record('drop', { reason });
    this.events.onDisconnect(reason);
  }

  send(uuid: string, bytes: Uint8Array, delayMs: number): void {
    const entry = this.peripheral.table.services.flatMap((s) => s.characteristics).find((c) => c.model.uuid === uuid);
    if (!entry) return;
    const value = bytes.slice();
    this.later(this.requestMs + delayMs, () => {
      if (!this.open || !this.subscriptions.has(entry.handle) || this.peripheral.fault?.name === 'no-notify') return;
      this.peripheral.notifications++;
      this.events.onNotification(entry.handle, value);
    });
  }

  notifyChanged(entries: CharacteristicEntry[]): void {
    for (const entry of entries) {
      if (this.subscriptions.has(entry.handle)) this.later(this.requestMs, () => this.notify(entry));
    }
  }

  // --- internals ---------------------------------------------------------------------------

  private request(what: string, answer: () => void, fail: (failure: GattFailure) => void): void {
    if (!this.open) {
      this.clock.setTimeout(() => fail(NOT_CONNECTED), this.requestMs);
      return;
    }
    if (this.peripheral.fault?.name === 'no-response') {
      this.peripheral.record('unanswered', { detail: what });
      return;
    }
    const now = this.clock.now();
    this.busyUntil = Math.max(now, this.busyUntil) + this.requestMs;
    this.later(this.busyUntil - now, () => {
      if (this.peripheral.fault?.name === 'disconnect-mid-operation') return this.drop(REMOTE_USER_TERMINATED);
      answer();
    });
  }

  private schedule(entry: CharacteristicEntry): void {
    const every = entry.model.notifyEveryMs;
    this.subscriptions.set(entry.handle, every === undefined ? undefined : this.later(every, () => {
      this.notify(entry);
      if (this.open && this.subscriptions.has(entry.handle)) this.schedule(entry);
    }));
  }

  private notify(entry: CharacteristicEntry): void {
    if (!this.open || !this.subscriptions.has(entry.handle)) return;
    const fault = this.peripheral.fault?.name;
    if (fault === 'no-notify' || fault === 'cannot-notify' || !this.peripheral.visible(entry)) return;
    this.peripheral.notifications++;
    this.events.onNotification(entry.handle, this.peripheral.encode(entry).slice());
  }

  private stopNotifying(handle: number): void {
    const timer = this.subscriptions.get(handle);
    if (timer !== undefined) {
      this.clock.clearTimeout(timer);
      this.timers.delete(timer);
    }
    this.subscriptions.delete(handle);
  }

  /** A timer that dies with the link. */
  private later(ms: number, callback: () => void): TimerHandle {
    const timer = this.clock.setTimeout(() => {
      this.timers.delete(timer);
      callback();
    }, ms);
    this.timers.add(timer);
    return timer;
  }

  private close(): void {
    this.open = false;
    for (const timer of this.timers) this.clock.clearTimeout(timer);
    this.timers.clear();
    this.subscriptions.clear();
    this.peripheral.disconnected();
  }
}
