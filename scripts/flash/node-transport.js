// esptool-js on Node: a Web-Serial-shaped port over npm `serialport`, wrapped in
// esptool-js's own Transport. `serialport` is imported lazily, only when a real port is
// opened, so everything else (the tests, --dry-run) works where its native part is missing.

import { Transport } from 'esptool-js';
import { StreamPort } from './web-serial-port.js';

async function loadSerialPort() {
  try {
    return (await import('serialport')).SerialPort;
  } catch (error) {
    throw new Error(`cannot load the "serialport" package (${error.message}); run npm install`);
  }
}

export class NodeSerialPort extends StreamPort {
  /** Open-able port for `path`; looks up USB VID/PID so esptool-js can pick the reset
   * sequence (USB-Serial/JTAG on ESP32-C3/-S3 needs a different one). */
  static async create(path) {
    let info = {};
    try {
      const SerialPort = await loadSerialPort();
      const ports = await SerialPort.list();
      const found = ports.find((p) => p.path === path);
      if (found?.vendorId && found?.productId) {
        info = { usbVendorId: parseInt(found.vendorId, 16), usbProductId: parseInt(found.productId, 16) };
      }
    } catch {
      // listing needs udev on Linux; without it esptool-js falls back to the classic reset
    }
    return new NodeSerialPort(path, info);
  }

  constructor(path, info = {}) {
    super(info);
    this.path = path;
    this.port = null;
  }

  async _open({ baudRate }) {
    const SerialPort = await loadSerialPort();
    const port = new SerialPort({ path: this.path, baudRate, autoOpen: false });
    await new Promise((resolve, reject) => port.open((err) => (err ? reject(new Error(`cannot open ${this.path}: ${err.message}`)) : resolve())));
    port.on('data', (data) => this._receive(data));
    port.on('error', () => {}); // surfaced through failing writes and read timeouts
    this.port = port;
  }

  _write(bytes) {
    const port = this.port;
    if (!port) return Promise.reject(new Error('port is closed'));
    return new Promise((resolve, reject) => {
      port.write(Buffer.from(bytes), (err) => {
        if (err) return reject(err);
        port.drain((drainErr) => (drainErr ? reject(drainErr) : resolve()));
      });
    });
  }

  // serialport's set() fills unspecified lines with defaults, so always pass all three.
  _setSignals({ dtr, rts, brk }) {
    const port = this.port;
    if (!port) return Promise.resolve();
    return new Promise((resolve, reject) => port.set({ dtr, rts, brk }, (err) => (err ? reject(err) : resolve())));
  }

  _setBaudRate(baudRate) {
    const port = this.port;
    if (!port) return Promise.resolve();
    return new Promise((resolve, reject) => port.update({ baudRate }, (err) => (err ? reject(err) : resolve())));
  }

  _close() {
    const port = this.port;
    this.port = null;
    if (!port?.isOpen) return Promise.resolve();
    return new Promise((resolve) => port.close(() => resolve()));
  }
}

// esptool-js's Transport prints some trace lines with console.log even when tracing is
// off ("readLoop exited"); keep stdout clean and send traces where the caller says.
class NodeTransport extends Transport {
  constructor(port, tracing, traceSink) {
    super(port, tracing);
    this.traceSink = traceSink;
  }
  trace(message) {
    if (this.tracing) this.traceSink(`TRACE ${message}`);
  }
}

/** esptool-js Transport over any StreamPort (a NodeSerialPort, or a simulator's port). */
export function createTransport(port, { trace = false, traceSink = (line) => process.stderr.write(line + '\n') } = {}) {
  return new NodeTransport(port, trace, traceSink);
}

export async function listPorts() {
  const SerialPort = await loadSerialPort();
  return SerialPort.list();
}
