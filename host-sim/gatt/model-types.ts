// The shapes of a simulated peripheral (its services, values and talking protocol), apart from
// the model table (models.ts) so that the talking devices (mi-sensor.ts, scooter.ts) need not
// import the table that lists them.

import type { Clock } from '../../firmware/core/host.js';

/**
 * A peripheral's state by name: the readings and settings its characteristics encode
 * ("temperature", "unit", "time", ...). A `time` value is the device's own clock in unix
 * seconds; the simulator keeps it running with the Clock (peripheral.ts).
 */
export type PeripheralValues = Record<string, number | string>;

/** ATT error codes (Bluetooth Core Vol 3 Part F §3.4.1.1) the simulated servers answer with. */
export const ATT_ERROR = {
  invalidHandle: 0x01,
  readNotPermitted: 0x02,
  writeNotPermitted: 0x03,
  /** The link is not encrypted with a bond: what a device that asks for pairing answers. */
  insufficientAuthentication: 0x05,
  attributeNotFound: 0x0a,
  invalidLength: 0x0d,
  unlikely: 0x0e,
  valueNotAllowed: 0x13,
} as const;

export interface CharacteristicModel {
  uuid: string;
  /** GATT_PROPERTY bits. */
  properties: number;
  /** Value handle, where a public dump of the real device shows it; otherwise assigned in order. */
  handle?: number;
  /** A Characteristic User Description (0x2901) follows the value, as on Xiaomi's stock firmware. */
  userDescription?: boolean;
  /** The current bytes. Throws (RangeError) when a value does not fit the field. */
  encode(values: PeripheralValues): Uint8Array;
  /** Applies a written value; returns the ATT error the device answers with, or undefined. */
  decode?(values: PeripheralValues, value: Uint8Array): number | undefined;
  /** While subscribed, the device notifies its current value this often (Clock ms). */
  notifyEveryMs?: number;
}

export interface ServiceModel {
  uuid: string;
  /** First / last handle, where a public dump shows them. */
  start?: number;
  end?: number;
  characteristics: CharacteristicModel[];
}

export interface PeripheralModel {
  name: string;
  /** The service the examples use: the 'missing-service' fault hides it. */
  mainService: string;
  defaults: PeripheralValues;
  services: ServiceModel[];
  /** State the device forgets when the link drops. */
  onDisconnect?(values: PeripheralValues): void;
  /** A device that talks back (Mi authentication, a scooter's UART): one per peripheral. */
  protocol?(host: ProtocolHost): PeripheralProtocol;
}

/** What a talking device can do on its peripheral. */
export interface ProtocolHost {
  readonly mac: string;
  readonly clock: Clock;
  readonly values: PeripheralValues;
  /** Notify on a characteristic (by UUID) if the client subscribed it: after the link's latency plus `delayMs`. */
  notify(uuid: string, bytes: Uint8Array, delayMs?: number): void;
  /** The device ends the link. */
  drop(reason?: number): void;
  /** The peripheral's fault now, by name. */
  fault(): string | undefined;
}

export interface PeripheralProtocol {
  /** A write the device accepted, to a characteristic by UUID. */
  onWrite(uuid: string, bytes: Uint8Array): void;
  onConnect?(): void;
  onDisconnect?(): void;
}

