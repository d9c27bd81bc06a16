// The OtaPort on ESP32: Moddable's OTA module writes the image to the next OTA partition;
// only complete() (after the whole image arrived and ESP-IDF verified it) makes it the one
// that boots. The chip comes from the build (manifest "config.chip"), so an image for another
// chip is refused before anything is written (core/web/ota.ts). Untested on a board.

import OTA from "ota";
import config from "mc/config";
import type { OtaPort } from "core/web/ota";

export function createOta(): OtaPort | undefined {
  let update: OTA | undefined;
  const chip = typeof (config as Record<string, unknown>).chip === "string" ? (config as Record<string, unknown>).chip as string : "esp32";
  return {
    chip,
    begin(size) {
      update?.cancel();
      update = new OTA({ byteLength: size });
    },
    write(bytes) {
      if (!update) throw new Error("no update open");
      update.write(bytes.slice().buffer as ArrayBuffer);
    },
    complete() {
      if (!update) throw new Error("no update open");
      const done = update;
      update = undefined;
      done.complete();
    },
    cancel() {
      const open = update;
      update = undefined;
      open?.cancel();
    },
    // No restart here: the SDK has no documented restart call we could verify; the page
    // says the new firmware starts at the next reset.
  };
}
