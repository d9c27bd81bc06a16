// The part of the Web Serial `SerialPort` that esptool-js's `Transport` uses (open/close,
// readable/writable streams, setSignals, getInfo, plus esptool-js's optional in-place
// setBaudRate), built over any byte pipe. Node's real serial port (node-transport.js) and
// the tests' simulated ROM bootloader both plug in here, so esptool-js runs unchanged on
// Node and the tests exercise the same stream plumbing as a real flash.
//
// Subclasses implement _open({baudRate}), _write(Uint8Array), _setSignals({dtr, rts, brk}),
// _setBaudRate(n), _close(), and call _receive(bytes) for incoming data.

export class StreamPort {
  constructor(info = {}) {
    /** @type {ReadableStream<Uint8Array> | null} */
    this.readable = null;
    /** @type {WritableStream<Uint8Array> | null} */
    this.writable = null;
    this.baudRate = 0;
    this.info = info;
    this.signals = { dtr: true, rts: true, brk: false };
    this._controller = null;
  }

  getInfo() {
    return { ...this.info };
  }

  async open(options = {}) {
    if (this.readable) throw new Error('The port is already open.');
    this.baudRate = options.baudRate ?? 115200;
    await this._open({ baudRate: this.baudRate });
    this.readable = new ReadableStream({
      start: (controller) => {
        this._controller = controller;
      },
      cancel: () => {
        this._controller = null;
      },
    });
    this.writable = new WritableStream({ write: (chunk) => this._write(new Uint8Array(chunk)) });
  }

  _receive(bytes) {
    if (!this._controller || bytes.length === 0) return;
    try {
      this._controller.enqueue(new Uint8Array(bytes));
    } catch {
      // stream already closed or cancelled: the bytes fall on the floor, as on a closed port
    }
  }

  /** Web Serial semantics: members left undefined keep their current state. */
  async setSignals(signals = {}) {
    if (signals.dataTerminalReady !== undefined) this.signals.dtr = !!signals.dataTerminalReady;
    if (signals.requestToSend !== undefined) this.signals.rts = !!signals.requestToSend;
    if (signals.break !== undefined) this.signals.brk = !!signals.break;
    await this._setSignals({ ...this.signals });
  }

  async setBaudRate(baudRate) {
    await this._setBaudRate(baudRate);
    this.baudRate = baudRate;
  }

  async close() {
    const controller = this._controller;
    this._controller = null;
    if (controller) {
      try {
        controller.close();
      } catch {
        // already closed
      }
    }
    this.readable = null;
    this.writable = null;
    await this._close();
  }

  async _open() {}
  async _write() {}
  async _setSignals() {}
  async _setBaudRate() {}
  async _close() {}
}
