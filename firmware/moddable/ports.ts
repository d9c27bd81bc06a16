// Shapes shared by the Moddable adapters whose implementation differs per platform
// (the manifest maps one specifier to the ESP32 or the lin file). Types only.

import type { GattLink, Log, Store } from "core/host";

/** One advertising report, as the gateway takes it. */
export interface ScannedAdvertisement {
  mac: string;
  rssi: number;
  ad: Uint8Array;
  /** NimBLE's address type (0 public, 1 random, 2/3 resolvable), as Tasmota hands it to adv_cb. */
  addrType?: number;
}

export interface Scanner {
  /** Start, or restart with the other mode (MI32Option4). */
  start(active: boolean): void;
  stop(): void;
}

export interface ScannerOptions {
  deliver(advertisement: ScannedAdvertisement): void;
  log: Log;
  store: Store;
  /** lin replay: the capture's name in the Store or the resources. */
  capture?: string;
  /** lin replay: recorded time divided by this. */
  speed?: number;
}

export type CreateScanner = (options: ScannerOptions) => Scanner;

/** The console transport: lines out, and (where there is an input) lines in. */
export interface Console {
  write(line: string): void;
}

export interface ConsoleOptions {
  onLine(line: string): void;
  log?: Log;
}

export type CreateConsole = (options: ConsoleOptions) => Console;

export interface WifiOptions {
  ssid?: string;
  password?: string;
  log: Log;
  /** Called with true when an IP address is there, false when it is lost. */
  onChange?: (online: boolean) => void;
}

export type StartWifi = (options: WifiOptions) => void;

export interface GattLinkOptions {
  /** Give up (and cancel) a connect NimBLE has not answered after this long. Default 4000 ms,
   *  under the core's connect step (5000 ms), so the radio is free again when the core
   *  resumes scanning. */
  connectTimeoutMs?: number;
}

/** The GATT client (mi32/gatt): the ECMA-419 central on ESP32, a stub that refuses on lin. */
export type CreateGattLink = (log: Log, options?: GattLinkOptions) => GattLink;
