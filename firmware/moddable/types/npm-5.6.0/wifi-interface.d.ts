// `embedded:network/interface/wifi` (ECMA-419 network interface), which the Moddable SDK
// 8.2.3 typings declare (typings/embedded_network/interface/wifi.d.ts) but @moddable/typings
// 5.6.0 does not. Only tsconfig.moddable.json loads this file; under mcconfig the SDK's own
// declaration is used. Written against SDK 8.2.3 (commit 48ee02d8):
// modules/io/wifi/esp32 and build/devices/esp32/setup/network.js, which read `connection`
// as: <= 200 disconnected, >= 400 associated, >= 500 has an IP address.

declare module "embedded:network/interface/wifi" {
  export interface WiFiConstructorOptions {
    onChanged?: (this: WiFi, property: "connection" | "address") => void;
  }

  export interface WiFiConnectOptions {
    SSID: string;
    password?: string;
  }

  class WiFi {
    constructor(options: WiFiConstructorOptions);
    close(): void;
    connect(options: WiFiConnectOptions): void;
    disconnect(): void;
    readonly connection: number;
    readonly address: string | undefined;
    readonly SSID: string | undefined;
    readonly RSSI: number | undefined;
  }

  export default WiFi;
}
