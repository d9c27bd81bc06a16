// The `MI32` object scripts see: Tasmota's Berry `import MI32` (reference §6.1), over the
// gateway's registry. Slots are numbered from 0 in the order devices were added (Registry.slotAt).
// Unlike Tasmota, set_temp/set_hum keep decimals (Tasmota converts the argument to int).

import { macBytes } from '../bytes/hex.js';
import type { Registry } from '../gateway/registry.js';
import type { ValueKey } from '../values/keys.js';

export interface Mi32Api {
  devices(): number;
  get_name(slot: number): string;
  get_MAC(slot: number): Uint8Array;
  set_bat(slot: number, value: number): void;
  set_hum(slot: number, value: number): void;
  set_temp(slot: number, value: number): void;
}

/** Sets a value of the slot, in range. Tasmota also checks the device has that feature; here any device takes it (a script may add what a model does not report). */
function setter(registry: Registry, key: ValueKey, check: (v: number) => boolean) {
  return (index: number, value: number): void => {
    const slot = registry.slotAt(index);
    if (!slot || typeof value !== 'number' || !check(value)) return;
    slot.values[key] = value;
  };
}

export function createMi32Api(registry: Registry): Mi32Api {
  return {
    devices: () => registry.slots.size,
    // Tasmota: the name without the MAC suffix (custom name, else the type name).
    get_name: (index) => {
      const slot = registry.slotAt(index);
      return slot ? slot.name ?? slot.type : '';
    },
    get_MAC: (index) => {
      const slot = registry.slotAt(index);
      return slot ? macBytes(slot.mac) : new Uint8Array(0);
    },
    set_bat: setter(registry, 'Battery', (v) => v >= 0 && v <= 100),
    set_hum: setter(registry, 'Humidity', (v) => v >= 0 && v <= 100),
    set_temp: setter(registry, 'Temperature', (v) => v > -100 && v < 200),
  };
}
