// One simulated peripheral: its model, its live values, its fault, and a record of what
// was done to it, for tests and the CLI to look at.

import { GATT_PROPERTY, type Clock } from '../../firmware/core/host.js';
import { parseUuid, shortUuid, uuid16 } from '../../firmware/core/gatt/uuid.js';
import { toHex } from '../../firmware/core/bytes/hex.js';
import { attributeTable, type AttributeTable, type CharacteristicEntry, type ServiceEntry } from './attributes.js';
import { effectiveProperties, formatFault, toFault, type Fault, type FaultName } from './faults.js';
import type { PeripheralModel, PeripheralProtocol, PeripheralValues } from './models.js';

export type SimEventKind =
  | 'connect' | 'connect-refused' | 'connect-unanswered' | 'disconnect' | 'drop'
  | 'discover' | 'read' | 'write' | 'write-lost' | 'subscribe' | 'unsubscribe' | 'unanswered' | 'fault'
  | 'pair' | 'pair-refused' | 'encrypt';

export interface SimEvent {
  /** Clock time (ms). */
  t: number;
  kind: SimEventKind;
  uuid?: string;
  /** Hex of the bytes read or written. */
  value?: string;
  /** The GattFailure code the request was answered with. */
  error?: string;
  /** Disconnect / connect failure reason (HCI). */
  reason?: number;
  /** The fault's name for 'fault', the request for 'unanswered'. */
  detail?: string;
}

/** What an open connection offers its peripheral. */
export interface PeripheralLink {
  notifyChanged(entries: CharacteristicEntry[]): void;
  drop(reason: number): void;
  /** A talking device's notification: bytes of its own on a subscribed characteristic. */
  send(uuid: string, bytes: Uint8Array, delayMs: number): void;
}

export interface PeripheralInit {
  values?: PeripheralValues;
  fault?: FaultName | Fault;
  /** 'bond': the peripheral asks for pairing: its characteristics (all but Generic Access) answer ATT 0x05 on a link without a bond. */
  security?: 'bond';
}

/** Generic Access (device name): readable without a bond on every device, as on real ones. */
const GENERIC_ACCESS = '00001800-0000-1000-8000-00805f9b34fb';

/** HCI "remote user terminated connection": the peer hung up. */
export const REMOTE_USER_TERMINATED = 0x13;
const LOG_LIMIT = 1000;
const CAN_NOTIFY = GATT_PROPERTY.notify | GATT_PROPERTY.indicate;

export class SimPeripheral {
  readonly table: AttributeTable;
  readonly values: PeripheralValues;
  fault: Fault | undefined;
  /** Connections made so far. */
  connections = 0;
  /** Notifications sent so far. */
  notifications = 0;
  readonly log: SimEvent[] = [];
  /** The open connection; `busy` also covers a connect in progress. */
  link: PeripheralLink | undefined;
  busy = false;
  /** 'bond': characteristics need an encrypted link (see PeripheralInit). */
  security: 'bond' | undefined;
  /** Clock time at which the device clock (`values.time`) last ticked. */
  private clockAt: number;
  /** The model's talking side (Mi authentication, a UART), when it has one. */
  readonly protocol: PeripheralProtocol | undefined;
  /** Out of range until this clock time: connects go unanswered (outage()). */
  unreachableUntil = 0;

  constructor(
    readonly mac: string,
    readonly model: PeripheralModel,
    private readonly clock: Clock,
    init: PeripheralInit = {},
    private readonly onEvent?: (mac: string, event: SimEvent) => void,
  ) {
    this.table = attributeTable(model);
    this.values = { ...model.defaults };
    this.assign(init.values ?? {});
    this.fault = init.fault === undefined ? undefined : toFault(init.fault);
    this.security = init.security;
    this.clockAt = clock.now();
    this.protocol = model.protocol?.({
      mac, clock, values: this.values,
      notify: (uuid, bytes, delayMs = 0) => this.link?.send(uuid, bytes, delayMs),
      drop: (reason) => this.drop(reason),
      fault: () => this.fault?.name,
    });
  }

  /** Out of range for `ms`: the link drops now and connects go unanswered until then. */
  outage(ms: number): void {
    this.unreachableUntil = this.clock.now() + ms;
    this.drop(0x08); // HCI connection timeout, as when a device walks away
  }

  /** Sets values (checked against the model); subscribers hear about characteristics that changed. */
  update(values: PeripheralValues): void {
    const notifying = this.table.services.flatMap((s) => s.characteristics).filter((c) => c.model.properties & CAN_NOTIFY);
    const before = notifying.map((c) => toHex(this.encode(c)));
    this.assign(values);
    const changed = notifying.filter((c, i) => toHex(this.encode(c)) !== before[i]);
    if (changed.length > 0) this.link?.notifyChanged(changed);
  }

  /** The peer ends the link, as a device that resets or walks out of range. */
  drop(reason = REMOTE_USER_TERMINATED): void {
    this.link?.drop(reason);
  }

  /** The values now, the device clock brought up to date. */
  snapshot(): PeripheralValues {
    this.tick();
    return { ...this.values };
  }

  /** The bytes a read of this characteristic would give now (any UUID form). */
  valueOf(uuidText: string): Uint8Array {
    const uuid = parseUuid(uuidText);
    const entry = this.table.services.flatMap((s) => s.characteristics).find((c) => c.model.uuid === uuid);
    if (!entry) throw new Error(`${this.model.name} has no characteristic ${uuidText}`);
    return this.encode(entry);
  }

  setFault(fault: FaultName | Fault | undefined): void {
    this.fault = fault === undefined ? undefined : toFault(fault);
    this.record('fault', { detail: this.fault ? formatFault(this.fault) : 'none' });
  }

  // --- for the connection ------------------------------------------------------------------

  encode(entry: CharacteristicEntry): Uint8Array {
    this.tick();
    return entry.model.encode(this.values);
  }

  /** Applies a write; the ATT error when the device refuses the value. */
  decode(entry: CharacteristicEntry, value: Uint8Array): number | undefined {
    if (!entry.model.decode) return undefined;
    this.tick();
    const time = this.values.time;
    const error = entry.model.decode(this.values, value);
    // A clock write starts the device's second afresh.
    if (this.values.time !== time) this.clockAt = this.clock.now();
    return error;
  }

  services(): ServiceEntry[] {
    return this.table.services.filter((s) => !(this.fault?.name === 'missing-service' && s.uuid === this.model.mainService));
  }

  /** The characteristic at a value handle, unless a fault hides it. */
  characteristic(handle: number): CharacteristicEntry | undefined {
    const entry = this.table.byHandle.get(handle);
    return entry && this.visible(entry) ? entry : undefined;
  }

  visible(entry: CharacteristicEntry): boolean {
    const fault = this.fault;
    const inMain = entry.service.uuid === this.model.mainService;
    if (fault?.name === 'missing-service') return !inMain;
    if (fault?.name === 'missing-characteristic') return fault.uuid ? !sameCharacteristic(entry.model.uuid, fault.uuid) : !inMain;
    return true;
  }

  /** Whether this characteristic needs an encrypted (bonded) link. */
  guards(entry: CharacteristicEntry): boolean {
    return this.security === 'bond' && entry.service.uuid !== GENERIC_ACCESS;
  }

  properties(entry: CharacteristicEntry): number {
    return effectiveProperties(entry.model.properties, this.fault);
  }

  disconnected(): void {
    this.link = undefined;
    this.busy = false;
    this.model.onDisconnect?.(this.values);
    this.protocol?.onDisconnect?.();
  }

  record(kind: SimEventKind, fields: Omit<SimEvent, 't' | 'kind'> = {}): void {
    const event: SimEvent = { t: this.clock.now(), kind, ...fields };
    if (event.uuid) event.uuid = shortUuid(event.uuid);
    this.log.push(event);
    if (this.log.length > LOG_LIMIT) this.log.splice(0, this.log.length - LOG_LIMIT);
    this.onEvent?.(this.mac, event);
  }

  // --- internals ---------------------------------------------------------------------------

  /** The device clock runs in whole seconds from the moment it was created or last set. */
  private tick(): void {
    if (typeof this.values.time !== 'number') return;
    const seconds = Math.floor((this.clock.now() - this.clockAt) / 1000);
    if (seconds <= 0) return;
    this.values.time += seconds;
    this.clockAt += seconds * 1000;
  }

  private assign(values: PeripheralValues): void {
    checkValues(this.model, values, this.values);
    Object.assign(this.values, values);
  }
}

/**
 * Throws a clear error when `values` do not fit the model: a name it does not have, a
 * wrong type, or a number its characteristic cannot encode. `base` is what they amend.
 */
export function checkValues(model: PeripheralModel, values: PeripheralValues, base: PeripheralValues = model.defaults): void {
  const defaults = model.defaults;
  for (const [key, value] of Object.entries(values)) {
    if (!Object.prototype.hasOwnProperty.call(defaults, key)) throw new Error(`${model.name} has no value "${key}" (values: ${Object.keys(defaults).join(', ')})`);
    if (typeof value !== typeof defaults[key]) throw new Error(`${model.name} value "${key}" must be a ${typeof defaults[key]}, got ${JSON.stringify(value)}`);
  }
  const merged = { ...base, ...values };
  try {
    for (const s of attributeTable(model).services) for (const c of s.characteristics) c.model.encode(merged);
  } catch (e) {
    throw new Error(`${model.name}: ${(e as Error).message}`);
  }
}

/** One log line for the CLI: "A4C1381A2B01 write ebe0ccbe-… 01", with an error or reason when there is one. */
export function formatSimEvent(mac: string, e: SimEvent): string {
  const parts = [mac, e.kind];
  if (e.uuid) parts.push(e.uuid);
  if (e.value !== undefined) parts.push(e.value);
  if (e.error) parts.push(`error ${e.error}`);
  if (e.reason !== undefined) parts.push(`reason 0x${e.reason.toString(16).padStart(2, '0')}`);
  if (e.detail) parts.push(`(${e.detail})`);
  return parts.join(' ');
}

/**
 * A fault's UUID names a characteristic in full, or in a 16-bit form ("ccbe") that, like
 * Tasmota's 16-bit "return uuid", also matches vendor UUIDs (ebe0ccbe-…) by those bits.
 */
function sameCharacteristic(uuid: string, named: string): boolean {
  return uuid === named || (shortUuid(named).length === 4 && uuid16(uuid) === uuid16(named));
}
