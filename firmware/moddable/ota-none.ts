// lin (desktop simulator): no OTA partition, so the upload route answers that updating is device-only.
import type { OtaPort } from "core/web/ota";

export function createOta(): OtaPort | undefined {
  return undefined;
}
