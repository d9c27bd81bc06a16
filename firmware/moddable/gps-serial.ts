// The GPS on a second ESP32 UART (ECMA-419 embedded:io/serial), for the scooter's
// telemetry: NMEA bytes go to the core's reader as they come. Off unless the build names
// the pins: mcconfig ... gpsPins='{"port":1,"receive":16,"transmit":17,"baud":9600}'
// (9600 8N1 is what most NMEA receivers send; older ones 4800).

import Serial from "embedded:io/serial";
import config from "mc/config";
import type { ByteSource } from "core/host";

interface GpsPins {
  port?: number;
  receive?: number;
  transmit?: number;
  baud?: number;
}

export function createGpsSource(): ByteSource | undefined {
  const pins = (config as Record<string, unknown>).gpsPins as GpsPins | undefined;
  if (!pins || typeof pins.receive !== "number") return undefined;
  let serial: Serial | undefined;
  return {
    start(onBytes, onEnd) {
      try {
        serial = new Serial({
          port: pins.port ?? 1,
          receive: pins.receive,
          transmit: pins.transmit ?? 17,
          baud: pins.baud ?? 9600,
          format: "buffer",
          onReadable() {
            const data = this.read();
            if (data instanceof ArrayBuffer) onBytes(new Uint8Array(data));
          },
        });
      } catch (e) {
        onEnd?.(new Error(`cannot open the GPS UART: ${(e as Error).message}`));
      }
    },
    stop() {
      serial?.close();
      serial = undefined;
    },
  };
}
