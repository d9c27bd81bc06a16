// The in-memory serial port between esptool-js and the simulated ROM: the same
// Web-Serial-shaped StreamPort the Node serial transport is built on, with the
// simulator at the far end instead of a UART. Bytes sent at a baud rate the other side
// is not listening at arrive as garbage, as on a real wire.

import { StreamPort } from '../../scripts/flash/web-serial-port.js';
import type { RomSim } from './rom-sim.js';

export class SimPort extends StreamPort {
  readonly signalLog: Array<{ dtr: boolean; rts: boolean }> = [];
  opens = 0;

  constructor(readonly sim: RomSim, info: { usbVendorId?: number; usbProductId?: number } = {}) {
    super(info);
  }

  override async _open(): Promise<void> {
    this.opens++;
    this.sim.connect((bytes, baud) => {
      // deliver asynchronously, like a UART
      setImmediate(() => this._receive(baud === this.baudRate ? bytes : bytes.map(() => 0x00)));
    });
  }

  override async _write(bytes: Uint8Array): Promise<void> {
    this.sim.input(bytes, this.baudRate);
  }

  override async _setSignals(signals: { dtr: boolean; rts: boolean }): Promise<void> {
    this.signalLog.push({ dtr: signals.dtr, rts: signals.rts });
    this.sim.setSignals(signals);
  }

  override async _close(): Promise<void> {
    this.sim.connect(null);
  }
}
