// The lin (desktop) build has no GPS UART: no fix in the telemetry.
import type { ByteSource } from "core/host";

export function createGpsSource(): ByteSource | undefined {
  return undefined;
}
