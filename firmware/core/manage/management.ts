// Device management, composed: the allow list and working mode (device-list.ts), pairing
// over the GATT client, and the batch upload of approved devices' readings
// (upload/uploader.ts). The gateway owns one and feeds it readings; the MI32Approve/...
// commands (commands.ts) act on it.

import type { Clock, GattLink, HttpClient, Log, Store, TimerHandle } from '../host.js';
import type { Registry } from '../gateway/registry.js';
import { ACTIVE_READ_MS, readApprovedBatteries } from './active-reads.js';
import type { Values } from '../decoders/types.js';
import type { GattClient, GattResult } from '../gatt/client.js';
import { parseUuid } from '../gatt/uuid.js';
import type { Reply } from '../gateway/command-reply.js';
import { Uploader, type UploaderOptions } from '../upload/uploader.js';
import { DeviceList, type WorkingMode } from './device-list.js';

export interface ManagementPorts {
  store: Store;
  log: Log;
  clock: Clock;
  /** The devices heard (active reads look up each approved device's model). */
  registry: Registry;
  /** Without one there is no batch upload (MI32Upload says so). */
  http?: HttpClient;
  /** The radio's bond store, for MI32Unpair. */
  link?: GattLink;
  /** The GATT client (made after this object, hence a function). */
  gatt(): GattClient | undefined;
  /** Scanning on or off (MI32Mode off); the gateway also ignores what still arrives. */
  setScanning?(on: boolean): void;
  /** A late command outcome: console and stat/<topic>/RESULT. */
  result(reply: Reply): void;
  upload?: UploaderOptions;
}

/** Generic Access / Device Name: every BLE device has it, readable without a bond; MI32Pair reads it over the new bond. */
const GENERIC_ACCESS = parseUuid('1800')!;
const DEVICE_NAME = parseUuid('2a00')!;

export class Management {
  readonly devices: DeviceList;
  readonly uploader: Uploader | undefined;
  private activeTimer: TimerHandle | undefined;

  constructor(private readonly ports: ManagementPorts) {
    this.devices = new DeviceList(ports.store);
    this.uploader = ports.http && new Uploader({ clock: ports.clock, log: ports.log, store: ports.store, http: ports.http }, ports.upload);
  }

  get mode(): WorkingMode { return this.devices.mode; }
  /** False in MI32Mode off: the radio does not listen. A field: every advertisement reads it. */
  scanning = true;

  isApproved(mac: string): boolean { return this.devices.isApproved(mac); }
  isPaired(mac: string): boolean { return this.devices.isPaired(mac); }

  /** devices.json and upload.json; the upload timer starts. Problems are logged and returned. */
  start(): string[] {
    const problems = [...this.devices.load(), ...(this.uploader?.load() ?? [])];
    for (const p of problems) this.ports.log.warn(p);
    this.scanning = this.devices.mode !== 'off';
    if (!this.scanning) this.ports.setScanning?.(false);
    this.uploader?.start();
    this.scheduleActiveReads();
    return problems;
  }

  stop(): void {
    this.uploader?.stop();
    this.cancelActiveReads();
  }

  /** Whether onReading would keep a reading of `mac` (an upload, an approved device): the gateway asks first, per reading. */
  takesReadingsOf(mac: string): boolean {
    return this.uploader !== undefined && this.devices.approved.has(mac);
  }

  /** A decoded reading: an approved device's goes to the upload. A Map lookup for the rest. */
  onReading(mac: string, now: number, values: Values): void {
    const device = this.devices.approved.get(mac);
    if (device) this.uploader?.add(device.id, now, values);
  }

  setMode(mode: WorkingMode): void {
    const was = this.scanning;
    this.devices.setMode(mode); // saved first: a failed save throws and changes nothing
    this.scanning = mode !== 'off';
    if (was !== this.scanning) this.ports.setScanning?.(this.scanning);
    this.scheduleActiveReads();
  }

  /** In MI32Mode active, a round of battery reads of approved devices every ACTIVE_READ_MS. */
  private scheduleActiveReads(): void {
    this.cancelActiveReads();
    if (this.mode !== 'active' || !this.ports.gatt()) return;
    this.activeTimer = this.ports.clock.setTimeout(() => {
      this.activeTimer = undefined;
      const gatt = this.ports.gatt();
      if (gatt) readApprovedBatteries(this.ports.registry, gatt, this.devices.approved.keys(), this.ports.log, (mac, values) => this.onReading(mac, this.ports.clock.now(), values));
      this.scheduleActiveReads();
    }, ACTIVE_READ_MS);
  }

  private cancelActiveReads(): void {
    if (this.activeTimer !== undefined) this.ports.clock.clearTimeout(this.activeTimer);
    this.activeTimer = undefined;
  }

  /** MI32Pair: connect with bonding and read the device name over the encrypted link. Answers at once; the outcome follows on RESULT. */
  pair(mac: string): Reply {
    const gatt = this.ports.gatt();
    if (!gatt) throw new Error('this platform has no GATT client');
    gatt.submit({ op: 11, mac, service: GENERIC_ACCESS, characteristic: DEVICE_NAME, bond: true }, (r) => this.paired(mac, r));
    return { MI32Pair: 'Queued', MAC: mac };
  }

  private paired(mac: string, r: GattResult): void {
    if (r.error !== 0) return this.ports.result({ MI32Pair: { MAC: mac, Error: r.message, Code: r.error } });
    try {
      this.devices.setPaired(mac, true);
    } catch (e) {
      return this.ports.result({ MI32Pair: { MAC: mac, Error: `paired, but ${(e as Error).message}` } });
    }
    this.ports.result({ MI32Pair: { MAC: mac, Paired: 1 } });
  }

  /** MI32Remove: no longer approved; a bond it had is deleted too. */
  remove(mac: string): void {
    const paired = this.devices.isPaired(mac);
    this.devices.remove(mac); // saved first
    if (paired) this.forgetBond(mac);
  }

  /** MI32Unpair: the stored bond is deleted and the device marked unpaired (it stays approved). */
  unpair(mac: string): void {
    this.devices.setPaired(mac, false); // saved first
    this.forgetBond(mac);
  }

  /** The stored keys go, and an open encrypted link to the device is closed: the next one is plain. */
  private forgetBond(mac: string): void {
    this.ports.link?.forgetBond?.({ mac, addrType: 0 });
    const gatt = this.ports.gatt();
    if (gatt?.connectedTo === mac) {
      try {
        gatt.submit({ op: 5, mac }, () => {});
      } catch (e) {
        this.ports.log.warn(`GATT: could not close the link to ${mac}: ${(e as Error).message}`);
      }
    }
  }
}
