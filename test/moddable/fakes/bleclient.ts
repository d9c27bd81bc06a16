// A fake of Moddable's legacy `bleclient` (modules/network/ble/bleclient.js): the scanner
// subclasses it; the test plays NimBLE, calling onReady and onDiscovered, and reads what
// the scanner asked for.
export default class BLEClient {
  static readonly instances: BLEClient[] = [];
  readonly scans: Record<string, unknown>[] = [];
  stops = 0;
  constructor() {
    BLEClient.instances.push(this);
  }
  startScanning(params: Record<string, unknown>): void {
    this.scans.push(params);
  }
  stopScanning(): void {
    this.stops++;
  }
  onReady(): void {}
  onDiscovered(_device: unknown): void {}
}
