// The console on the ESP32 serial port (ECMA-419 embedded:io/serial): command lines in,
// replies and log lines out. Off unless the build sets serialConsole=1: in a -d build UART0
// carries the xsbug protocol, so opening it here would cut the debugger off. Off, or when
// the port cannot be opened, output goes through trace() and commands come over MQTT.

import Serial from "embedded:io/serial";
import config from "mc/config";
import { utf8Encode } from "core/mqtt/utf8";
import { decodeText } from "mi32/text";
import { traceLine } from "mi32/log";
import type { Console, ConsoleOptions, CreateConsole } from "mi32/ports";

const MAX_LINE = 512;
const MAX_OUTPUT = 8192;

interface SerialPins {
  port?: number;
  receive?: number;
  transmit?: number;
  baud?: number;
}

export const createConsole: CreateConsole = (options: ConsoleOptions): Console => {
  if (!isOn(config.serialConsole)) return { write: traceLine };
  const pins = (config.serialPins ?? {}) as SerialPins;
  let line: number[] = [];
  let out: Uint8Array[] = [];
  let outBytes = 0;
  let writable = 0;
  let serial: Serial;

  const drain = () => {
    while (out.length && writable > 0) {
      const head = out[0]!;
      const n = Math.min(head.length, writable);
      serial.write(head.slice(0, n).buffer as ArrayBuffer);
      writable -= n;
      outBytes -= n;
      if (n === head.length) out.shift();
      else out[0] = head.subarray(n);
    }
  };

  try {
    serial = new Serial({
      port: pins.port ?? 0,
      receive: pins.receive ?? 3,
      transmit: pins.transmit ?? 1,
      baud: pins.baud ?? 115200,
      format: "buffer",
      onReadable() {
        const data = this.read();
        if (!(data instanceof ArrayBuffer)) return;
        for (const byte of new Uint8Array(data)) {
          if (byte === 10 || byte === 13) {
            if (line.length) {
              const bytes = Uint8Array.from(line);
              line = [];
              try {
                options.onLine(decodeText(bytes));
              } catch (e) {
                options.log?.error(`console: ${(e as Error).message}`);
              }
            }
          } else if (line.length < MAX_LINE) {
            line.push(byte);
          }
        }
      },
      onWritable(count: number) {
        writable = count;
        drain();
      },
    });
  } catch (e) {
    traceLine(`serial console unavailable (${(e as Error).message}); using trace`);
    return { write: traceLine };
  }

  return {
    write(text: string) {
      const bytes = utf8Encode(text + "\r\n");
      // A console nobody reads must not eat the heap: drop the oldest output.
      while (out.length && outBytes + bytes.length > MAX_OUTPUT) outBytes -= out.shift()!.length;
      out.push(bytes);
      outBytes += bytes.length;
      drain();
    },
  };
};

function isOn(value: unknown): boolean {
  return value === true || value === 1 || value === "1" || value === "true";
}
