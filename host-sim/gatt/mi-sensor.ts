// The stock LYWSD03MMC's Mi service (0xFE95) and its answer to activation: the sensor
// registers with whoever asks (as the activation pages use it), keeps the token and the
// bind key, and from then on its MiBeacon advertisements are encrypted with that key
// (`advertisement()`, for tests and the simulator's scanner).

import { randomBytes } from 'node:crypto';
import { GATT_PROPERTY } from '../../firmware/core/host.js';
import { ccmEncrypt } from '../../firmware/core/crypto/ccm.js';
import { fromHex } from '../../firmware/core/bytes/hex.js';
import { createNodeAes, createNodeAuthCrypto } from '../crypto.js';
import { AVDTP, MI_SERVICE, MiAuthDevice, UPNP } from '../../firmware/core/miauth/device.js';
import type { PeripheralProtocol, ProtocolHost, ServiceModel } from './model-types.js';

const EMPTY = () => new Uint8Array(0);
const TALK = GATT_PROPERTY.notify | GATT_PROPERTY.write | GATT_PROPERTY.writeWithoutResponse;

/** 0xFE95 with the two characteristics register and login use (0x0004 firmware version: read). */
export function miServiceModel(start?: number): ServiceModel {
  return {
    uuid: MI_SERVICE,
    ...(start !== undefined ? { start } : {}),
    characteristics: [
      { uuid: '00000004-0000-1000-8000-00805f9b34fb', properties: GATT_PROPERTY.read, encode: () => Uint8Array.from('2.1.1_0159', (c) => c.charCodeAt(0)) },
      { uuid: UPNP, properties: TALK, encode: EMPTY },
      { uuid: AVDTP, properties: TALK, encode: EMPTY },
    ],
  };
}

/** Shared by the simulated Mi devices: the device's auth side on node:crypto. */
export function miDeviceFor(host: ProtocolHost, did?: Uint8Array, loggedIn?: () => void, confirmationNeeded?: () => boolean): MiAuthDevice {
  const slow = () => host.fault() === 'slow-replies';
  return new MiAuthDevice({
    crypto: createNodeAuthCrypto(),
    aes: createNodeAes(),
    random: (n) => new Uint8Array(randomBytes(n)),
    notify: (uuid, bytes) => host.notify(uuid, bytes, slow() ? SLOW_REPLY_MS : 0),
    fault: (name) => host.fault() === name,
    ...(loggedIn ? { loggedIn } : {}),
    ...(confirmationNeeded ? { confirmationNeeded } : {}),
  }, did);
}

/** The slow-replies fault: each answer this much later (under the gateway's 3 s step). */
export const SLOW_REPLY_MS = 1200;

export class SensorActivation implements PeripheralProtocol {
  readonly mi: MiAuthDevice;
  private readonly aes = createNodeAes();

  constructor(private readonly host: ProtocolHost) {
    // A stock sensor out of the box: never bound, so no DID (activation invents one).
    this.mi = miDeviceFor(host);
  }

  onWrite(uuid: string, bytes: Uint8Array): void {
    this.mi.onWrite(uuid, bytes);
  }

  onDisconnect(): void {
    this.mi.reset();
    this.mi.session = undefined;
  }

  /**
   * The FE95 service data the sensor advertises now: MiBeacon v5 with the temperature
   * object (0x1004), encrypted with the bind key once activated, plain before.
   */
  advertisement(counter: number): Uint8Array {
    const macReversed = fromHex(this.host.mac)!.reverse();
    const t = Math.round(Number(this.host.values.temperature) * 10);
    const object = Uint8Array.of(0x04, 0x10, 2, t & 0xff, (t >> 8) & 0xff);
    const key = this.mi.bindKey;
    const fc = 0x5850 | 0x0008 * (key ? 1 : 0); // v5, object and MAC included (+ encrypted)
    const head = Uint8Array.of(fc & 0xff, fc >> 8, 0x5b, 0x05, counter & 0xff);
    if (!key) return Uint8Array.from([...head, ...macReversed, ...object]);
    const ext = Uint8Array.of(0, 0, 0);
    const nonce = Uint8Array.from([...macReversed, ...head.subarray(2, 5), ...ext]);
    const sealed = ccmEncrypt({ aes: this.aes, key, nonce, aad: Uint8Array.of(0x11), tagLength: 4 }, object);
    return Uint8Array.from([...head, ...macReversed, ...sealed.subarray(0, object.length), ...ext, ...sealed.subarray(object.length)]);
  }
}
