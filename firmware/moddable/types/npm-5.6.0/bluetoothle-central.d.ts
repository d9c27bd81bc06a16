// `embedded:io/bluetoothle/central` (ECMA-419 BLE central), the part gatt-link.ts uses.
// The Moddable SDK 8.2.3 typings declare it (typings/embedded_io/ble/central.d.ts);
// @moddable/typings 5.6.0 does not. Only tsconfig.moddable.json loads this file; under
// mcconfig the SDK's own declaration is used. Written against SDK 8.2.3 (commit 48ee02d8),
// modules/io/ble/client/esp32/bleclient.{js,c}:
// - callback errors are `new Error(status)`, status = NimBLE's (ATT 0x100 + code, HCI 0x200 + code);
// - `onError` also fires, with no argument, when an established link drops;
// - `read()` without arguments takes one queued notification (an ArrayBuffer with `handle`).

declare module "embedded:io/bluetoothle/central" {
  interface GATTClientSecurity {
    bond?: boolean;
    manInTheMiddle?: boolean;
    display?: boolean;
    keyboard?: boolean | "yes/no";
  }

  interface GATTClientSecured {
    encrypted: boolean;
    authenticated: boolean;
    bonded: boolean;
    keySize: number;
  }

  interface GATTClientOptions {
    address: string;
    /** Present: NimBLE pairs (or encrypts with a stored bond) right after the connection is up, then calls onSecured. */
    security?: GATTClientSecurity;
    onSecured?: (this: GATTClient, info: GATTClientSecured) => void;
    onReady?: (this: GATTClient) => void;
    onError?: (this: GATTClient, error: Error) => void;
    onReadable?: (this: GATTClient, count: number) => void;
  }

  interface GATTClientNotifiedValue extends ArrayBuffer {
    handle: number;
  }

  interface GATTClientService {
    get uuid(): string;
  }

  interface GATTClientCharacteristic {
    get uuid(): string;
    get handle(): number;
    get properties(): number;
  }

  interface GATTClientDescriptor {
    get uuid(): string;
  }

  class GATTClient {
    constructor(options: GATTClientOptions);
    close(callback?: (error?: Error) => void): void;
    getPrimaryServices(callback: (error: Error | null, services: GATTClientService[]) => void): void;
    getPrimaryServices(options: object, callback: (error: Error | null, services: GATTClientService[]) => void): void;
    getCharacteristics(service: GATTClientService, callback: (error: Error | null, characteristics: GATTClientCharacteristic[]) => void): void;
    getCharacteristics(service: GATTClientService, options: object, callback: (error: Error | null, characteristics: GATTClientCharacteristic[]) => void): void;
    getDescriptors(characteristic: GATTClientCharacteristic, callback: (error: Error | null, descriptors: GATTClientDescriptor[]) => void): void;
    getDescriptors(characteristic: GATTClientCharacteristic, options: object, callback: (error: Error | null, descriptors: GATTClientDescriptor[]) => void): void;
    read(what: GATTClientCharacteristic | GATTClientDescriptor, callback: (error: Error | null, value: ArrayBuffer) => void): void;
    read(what: GATTClientCharacteristic | GATTClientDescriptor, options: object, callback: (error: Error | null, value: ArrayBuffer) => void): void;
    read(): undefined | GATTClientNotifiedValue;
    write(what: GATTClientCharacteristic | GATTClientDescriptor, value: ArrayBuffer | ArrayBufferView, callback?: (error: Error | null) => void): void;
    write(what: GATTClientCharacteristic | GATTClientDescriptor, value: ArrayBuffer | ArrayBufferView, options: { response?: boolean }, callback?: (error: Error | null) => void): void;
    get maximumWrite(): number;
    store(item: GATTClientService | GATTClientCharacteristic | GATTClientDescriptor): ArrayBuffer;
  }

  export { GATTClient };
}
