// MI32Mode active: the gateway also talks to approved devices over GATT, as the seed
// manager's active collection does. Every ACTIVE_READ_MS each approved device whose model
// has a battery characteristic (gatt/device-ops.ts, the MI32Battery table) is read; the
// value joins the device's readings (SENSOR, the upload) like MI32Battery's does.

import type { Values } from '../decoders/types.js';
import type { GattClient } from '../gatt/client.js';
import { DEVICE_GATT } from '../gatt/device-ops.js';
import type { Log } from '../host.js';
import type { Registry } from '../gateway/registry.js';

/** Batteries change slowly; a connection costs the peer energy and stops our scan. */
export const ACTIVE_READ_MS = 10 * 60_000;

/** Queue one battery read per approved device that has one; returns how many were queued. */
export function readApprovedBatteries(registry: Registry, gatt: GattClient, macs: Iterable<string>, log: Log, onValues: (mac: string, values: Values) => void): number {
  let queued = 0;
  for (const mac of macs) {
    const slot = registry.slots.get(mac);
    const spec = slot && DEVICE_GATT[slot.model]?.battery;
    if (!slot || !spec) continue;
    try {
      gatt.submit({ op: spec.op, mac, service: spec.service, characteristic: spec.characteristic }, (r) => {
        const values = r.error === 0 && r.value ? spec.decode(r.value) : undefined;
        if (!values) return log.debug(`active read of ${mac}: ${r.error !== 0 ? r.message : 'unexpected value'}`);
        Object.assign(slot.values, values);
        onValues(mac, values);
      });
      queued++;
    } catch (e) {
      // The GATT queue is full (scripts, commands): the rest wait for the next round.
      log.warn(`active read of ${mac} not queued: ${(e as Error).message}`);
      break;
    }
  }
  return queued;
}
