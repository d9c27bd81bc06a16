// The GattLink port over simulated peripherals, on any Clock: real time in the CLI, a fake
// clock in tests. Every answer comes after a small latency through the Clock, never from
// inside the call that asked.

import type { Clock, GattConnectionEvents, GattLink, GattPeer } from '../../firmware/core/host.js';
import { normalizeMac } from '../../firmware/core/bytes/hex.js';
import { SimConnection } from './connection.js';
import type { Fault, FaultName } from './faults.js';
import { findModel, MODELS, type PeripheralModel } from './models.js';
import { SimPeripheral, type PeripheralInit, type SimEvent } from './peripheral.js';

export interface SimGattLinkOptions {
  /** Time until a connect is answered (ms). Default 40. */
  connectMs?: number;
  /** Time for each request (discovery, read, write, subscribe) to be answered (ms). Default 10. */
  requestMs?: number;
  /** Default true: the ESP32's single radio stops scanning while it connects. */
  pausesScan?: boolean;
  /** Every event any peripheral records, and connects to MACs nobody answers; for the CLI's log. */
  onEvent?: (mac: string, event: SimEvent) => void;
}

/** HCI "connection failed to be established": what a refused connect reports. */
export const CONNECTION_FAILED = 0x3e;
/** SMP/ATT "insufficient authentication": what a refused pairing reports. */
const INSUFFICIENT_AUTHENTICATION = 0x05;

export class SimGattLink implements GattLink {
  readonly pausesScan: boolean;
  private readonly connectMs: number;
  private readonly requestMs: number;
  private readonly byMac = new Map<string, SimPeripheral>();
  /** Our side's bond store (NimBLE's on the device): peers we paired with. */
  private readonly bonds = new Set<string>();

  constructor(readonly clock: Clock, private readonly options: SimGattLinkOptions = {}) {
    this.pausesScan = options.pausesScan ?? true;
    this.connectMs = options.connectMs ?? 40;
    this.requestMs = options.requestMs ?? 10;
  }

  /** Serves a peripheral of `model` (a MODELS name or a model table) at `mac`. */
  add(mac: string, model: string | PeripheralModel, init: PeripheralInit = {}): SimPeripheral {
    const key = normalizeMac(mac);
    if (!key) throw new Error(`bad MAC "${mac}" (12 hex digits, colons allowed)`);
    if (this.byMac.has(key)) throw new Error(`a peripheral is already simulated at ${key}`);
    const table = typeof model === 'string' ? findModel(model) : model;
    if (!table) throw new Error(`unknown model "${model}" (models: ${Object.keys(MODELS).join(', ')})`);
    const peripheral = new SimPeripheral(key, table, this.clock, init, this.options.onEvent);
    this.byMac.set(key, peripheral);
    return peripheral;
  }

  peripheral(mac: string): SimPeripheral | undefined {
    const key = normalizeMac(mac);
    return key ? this.byMac.get(key) : undefined;
  }

  get peripherals(): SimPeripheral[] {
    return [...this.byMac.values()];
  }

  /** Sets (or with undefined clears) a peripheral's fault; it applies from the next answer on. */
  setFault(mac: string, fault: FaultName | Fault | undefined): void {
    const peripheral = this.peripheral(mac);
    if (!peripheral) throw new Error(`no simulated peripheral at ${mac}`);
    peripheral.setFault(fault);
  }

  /** Whether we hold a bond for `mac`. */
  bonded(mac: string): boolean {
    return this.bonds.has(normalizeMac(mac) ?? mac);
  }

  forgetBond(peer: { mac: string; addrType: number }): void {
    const key = normalizeMac(peer.mac) ?? peer.mac;
    if (this.bonds.delete(key)) this.peripheral(key)?.record('pair', { detail: 'bond deleted' });
  }

  connect(peer: GattPeer, events: GattConnectionEvents): void {
    const peripheral = this.peripheral(peer.mac);
    if (!peripheral) {
      // Nobody is advertising there: a real connect simply never completes.
      this.options.onEvent?.(normalizeMac(peer.mac) ?? peer.mac, { t: this.clock.now(), kind: 'connect-unanswered', detail: 'no such peripheral' });
      return;
    }
    if (peripheral.busy) {
      // NimBLE refuses at once to connect to a peer it is connected (or connecting) to.
      this.clock.setTimeout(() => {
        peripheral.record('connect-refused', { detail: 'already connected' });
        events.onConnectFailed({ code: 'refused', message: `${peripheral.mac} is already connected` });
      }, 0);
      return;
    }
    peripheral.busy = true;
    this.clock.setTimeout(() => {
      const fault = peripheral.fault?.name;
      if (fault === 'no-connect-response') {
        peripheral.busy = false;
        peripheral.record('connect-unanswered', { detail: fault });
        return;
      }
      // Out of range (outage()): the connection cannot be established, reported at once.
      if (fault === 'refuse-connect' || this.clock.now() < peripheral.unreachableUntil) {
        peripheral.busy = false;
        peripheral.record('connect-refused', { reason: CONNECTION_FAILED, detail: fault ?? 'out of range' });
        events.onConnectFailed({ code: 'refused', message: `${peripheral.mac} refused the connection`, reason: CONNECTION_FAILED });
        return;
      }
      if (peer.bond && fault === 'refuse-pairing') {
        peripheral.busy = false;
        peripheral.record('pair-refused', { reason: INSUFFICIENT_AUTHENTICATION, detail: fault });
        events.onConnectFailed({ code: 'not-permitted', message: `${peripheral.mac} refused pairing`, reason: INSUFFICIENT_AUTHENTICATION });
        return;
      }
      peripheral.connections++;
      const connection = new SimConnection(peripheral, this.clock, events, this.requestMs, peer.bond === true);
      peripheral.record('connect', { detail: `addrType ${peer.addrType}` });
      if (peer.bond) {
        // Just Works: the first time we pair and keep the bond; afterwards the bond encrypts the link.
        const fresh = !this.bonds.has(peripheral.mac);
        this.bonds.add(peripheral.mac);
        peripheral.record(fresh ? 'pair' : 'encrypt', { detail: fresh ? 'Just Works, bonded' : 'with the stored bond' });
      }
      events.onConnect(connection);
    }, this.connectMs);
  }
}
