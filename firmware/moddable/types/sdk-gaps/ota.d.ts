// Moddable's ESP32 OTA module ($(BUILD)/devices/esp32/modules/ota): esp_ota_begin/write/end
// behind a class; `complete()` validates the image and marks the partition bootable.
declare module "ota" {
  export default class OTA {
    constructor(options?: { byteLength?: number });
    write(data: ArrayBuffer): void;
    complete(): void;
    cancel(): void;
  }
}
