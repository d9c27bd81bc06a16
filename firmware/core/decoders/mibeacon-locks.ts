// MiBeacon objects of door locks, fingerprint readers and wearables (xiaomi-ble's
// definitions, src/xiaomi_ble/locks.py and parser.py). Kept apart from the sensor objects
// because they carry text (key ids, methods, actions) rather than measurements.
// Lock, Childlock and Antilock are 1 = locked/on, 0 = unlocked/off (xiaomi-ble reports the
// inverse, Home Assistant's "unlocked" flag).

import { u32le } from '../bytes/read.js';
import type { DeviceQuirks } from '../devices/table.js';
import type { Values } from './types.js';

const LOCK_METHODS: Record<number, string> = {
  0b0000: 'bluetooth', 0b0001: 'password', 0b0010: 'biometrics', 0b0011: 'key_method', 0b0100: 'turntable_method',
  0b0101: 'nfc_method', 0b0110: 'one_time_password', 0b0111: 'two_step_verification', 0b1000: 'coercion_method',
  0b1001: 'homekit', 0b1010: 'manual', 0b1011: 'automatic', 0b1111: 'abnormal',
};

// action nibble -> [unlocked/off, which lock, event]
const LOCK_ACTIONS: Record<number, [boolean, 'lock' | 'antilock' | 'childlock', string]> = {
  0b0000: [true, 'lock', 'unlock_outside_the_door'],
  0b0001: [false, 'lock', 'locked'],
  0b0010: [false, 'antilock', 'turn_on_antilock'],
  0b0011: [true, 'antilock', 'release_the_antilock'],
  0b0100: [true, 'lock', 'unlock_inside_the_door'],
  0b0101: [false, 'lock', 'lock_inside_the_door'],
  0b0110: [false, 'childlock', 'turn_on_child_lock'],
  0b0111: [true, 'childlock', 'turn_off_child_lock'],
  0b1000: [false, 'lock', 'lock_outside_the_door'],
  0b1111: [true, 'lock', 'abnormal'],
};

const LOCK_ERRORS: Record<number, string> = {
  0xc0de0000: 'frequent_unlocking_with_incorrect_password', 0xc0de0001: 'frequent_unlocking_with_wrong_fingerprints',
  0xc0de0002: 'operation_timeout_password_input_timeout', 0xc0de0003: 'lock_picking', 0xc0de0004: 'reset_button_is_pressed',
  0xc0de0005: 'the_wrong_key_is_frequently_unlocked', 0xc0de0006: 'foreign_body_in_the_keyhole',
  0xc0de0007: 'the_key_has_not_been_taken_out', 0xc0de0008: 'error_nfc_frequently_unlocks',
  0xc0de0009: 'timeout_is_not_locked_as_required', 0xc0de000a: 'failure_to_unlock_frequently_in_multiple_ways',
  0xc0de000b: 'unlocking_the_face_frequently_fails', 0xc0de000c: 'failure_to_unlock_the_vein_frequently',
  0xc0de000d: 'hijacking_alarm', 0xc0de000e: 'unlock_inside_the_door_after_arming', 0xc0de000f: 'palmprints_frequently_fail_to_unlock',
  0xc0de0010: 'the_safe_was_moved', 0xc0de1000: 'the_battery_level_is_less_than_10_percent',
  0xc0de1001: 'the_battery_level_is_less_than_5_percent', 0xc0de1002: 'the_fingerprint_sensor_is_abnormal',
  0xc0de1003: 'the_accessory_battery_is_low', 0xc0de1004: 'mechanical_failure', 0xc0de1005: 'the_lock_sensor_is_faulty',
};

// Key id ranges above the Bluetooth ids: upper bound -> kind (the low 16 bits are the id)
const KEY_RANGES: [number, string][] = [
  [0x8001ffff, 'Fingerprint key id'], [0x8002ffff, 'Password key id'], [0x8003ffff, 'Keys key id'],
  [0x8004ffff, 'NFC key id'], [0x8005ffff, 'Two-step verification key id'], [0x8006ffff, 'Human face key id'],
  [0x8007ffff, 'Finger veins key id'], [0x8008ffff, 'Palm print key id'],
];

const LOCK_KEY = { lock: 'Lock', childlock: 'Childlock', antilock: 'Antilock' } as const;

const FINGERPRINT_RESULTS = ['match_successful', 'match_failed', 'timeout', 'low_quality_too_light_fuzzy', 'insufficient_area', 'skin_is_too_dry', 'skin_is_too_wet'];

/** Who operated the lock, from a 32-bit key id (special ids first). */
export function keyIdText(id: number): string {
  if (id === 0) return 'administrator';
  if (id === 0xffffffff) return 'unknown operator';
  if (id === 0xdeadbeef) return 'invalid operator';
  if (id <= 0x7ffffff) return `Bluetooth key ${id}`;
  for (const [upper, kind] of KEY_RANGES) if (id <= upper) return `${kind} ${id & 0xffff}`;
  return `key id ${id & 0xffff}`;
}

/** 0x000B lock event: action/method nibbles, key id (4), timestamp (4). */
export function lockEvent(v: Uint8Array, out: Values, device: DeviceQuirks): void {
  const action = LOCK_ACTIONS[v[0]! & 0x0f];
  const method = LOCK_METHODS[v[0]! >> 4];
  if (!action || !method) return;
  const keyId = u32le(v, 1);
  const error = LOCK_ERRORS[keyId];
  // Only some locks (ZNMS17LM) tell their lock, child lock and anti-lock apart.
  const which = device.lockKinds ? action[1] : 'lock';
  out[LOCK_KEY[which]] = action[0] ? 0 : 1;
  if (!error) out.KeyId = keyIdText(keyId);
  out.LockMethod = method;
  out.LockAction = action[2];
  if (error) out.LockError = error;
}

/** 0x0006 fingerprint: key id (4), match result (1). */
export function fingerprint(v: Uint8Array, out: Values): void {
  out.KeyId = keyIdText(u32le(v, 0));
  out.Fingerprint = v[4] === 0 ? 1 : 0;
  const result = FINGERPRINT_RESULTS[v[4]!];
  if (result) out.FingerprintResult = result;
}

/** 0x0007 door of a lock: the state plus the alarm it clears or raises. */
export function lockDoor(v: Uint8Array, out: Values): void {
  const effects: Record<number, Values> = {
    0: { Door: 1, DoorStuck: 0, KnockOnTheDoor: 0 },
    1: { Door: 0, DoorLeftOpen: 0, PryTheDoor: 0 },
    2: { Door: 1, DoorLeftOpen: 1 },
    3: { Door: 0, KnockOnTheDoor: 1 },
    4: { Door: 1, PryTheDoor: 1 },
    5: { Door: 0, DoorStuck: 1 },
  };
  Object.assign(out, effects[v[0]!] ?? {});
}

/** 0x0008 armed away; some locks (DSL-C08) also report lifting the outside handle with it. */
export function armed(v: Uint8Array, out: Values, device: DeviceQuirks): void {
  const armedAway = v[0]! ^ 1;
  out.Armed = armedAway;
  if (device.armedHandle) {
    out.Lock = armedAway ? 0 : 1; // xiaomi-ble: lock flag = armed value, read as "unlocked"
    out.LockAction = 'lock_outside_the_door';
    out.LockMethod = 'manual';
  }
}

const CHARGING = ['Charging', 'Not Charging', 'Full'];

export function chargingState(v: Uint8Array, out: Values): void {
  out.ChargingState = CHARGING[v[0]!] ?? 'Unknown';
}
