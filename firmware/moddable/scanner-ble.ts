// The Scanner on ESP32: Moddable's legacy BLE central (`bleclient`, NimBLE). Each report's
// raw AD bytes go to the gateway as they came: NimBLE delivers an advertisement and its scan
// response as two separate onDiscovered calls, which is what the core expects.

import BLEClient from "bleclient";
import { macFromReversed } from "core/bytes/hex";
import type { CreateScanner, Scanner, ScannerOptions } from "mi32/ports";

/** What bleclient.js passes to onDiscovered (bleclient.js callback "onDiscovered"); the typings say gatt Client. */
interface DiscoveredDevice {
  address: ArrayBuffer; // btutils Bytes, least significant byte first
  addressType: number;
  rssi: number;
  scanResponse: { buffer: ArrayBuffer }; // btutils Advertisement
}

class GatewayScanner extends BLEClient {
  private ready = false;
  private wanted: boolean | undefined; // undefined = stopped, else active?
  private scanning = false;

  constructor(private readonly options: ScannerOptions) {
    super();
  }

  override onReady(): void {
    this.ready = true;
    this.apply();
  }

  override onDiscovered(found: unknown): void {
    const device = found as DiscoveredDevice;
    try {
      const ad = new Uint8Array(device.scanResponse.buffer);
      if (ad.length === 0) return;
      const address = new Uint8Array(device.address);
      // new Uint8Array(undefined) is empty, not an error: a report without a 6-byte address
      // would reach the registry as the device "".
      if (address.length !== 6) throw new Error(`report without a 6-byte address (${address.length} bytes)`);
      this.options.deliver({ mac: macFromReversed(address), rssi: device.rssi, ad, addrType: device.addressType });
    } catch (e) {
      this.options.log.error(`advertisement: ${(e as Error).message}`);
    }
  }

  want(active: boolean | undefined): void {
    this.wanted = active;
    this.apply();
  }

  private apply(): void {
    if (!this.ready) return;
    if (this.scanning) this.stopScanning();
    this.scanning = false;
    if (this.wanted === undefined) return;
    // interval/window: bleclient.js defaults (50 ms / 30 ms), leaving air time to Wi-Fi.
    // duplicates: true, or sensors that repeat a frame with new values would be filtered.
    this.startScanning({ active: this.wanted, duplicates: true, interval: 0x50, window: 0x30, filterPolicy: 0 });
    this.scanning = true;
    this.options.log.info(`BLE scan ${this.wanted ? "active" : "passive"}`);
  }
}

export const createScanner: CreateScanner = (options): Scanner => {
  const client = new GatewayScanner(options);
  return {
    start: (active) => client.want(active),
    stop: () => client.want(undefined),
  };
};
