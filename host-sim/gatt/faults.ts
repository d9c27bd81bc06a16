// Faults a simulated peripheral can be told to show, one at a time, settable at any time.
// The names are what `--fault MAC=fault` and peripherals files use.

import { GATT_PROPERTY } from '../../firmware/core/host.js';
import { parseUuid } from '../../firmware/core/gatt/uuid.js';

export const FAULTS = {
  'refuse-connect': 'connecting fails (onConnectFailed, refused)',
  'no-connect-response': 'connecting never answers',
  'missing-service': "the model's main service is absent from discovery",
  'missing-characteristic': "the main service's characteristics (or the one named: missing-characteristic:UUID) are absent",
  'read-only': 'no characteristic is writable; a write anyway is refused (not-permitted)',
  'not-readable': 'no characteristic is readable; a read anyway is refused (not-permitted)',
  'cannot-notify': 'no characteristic can notify or indicate; a subscribe anyway is refused',
  'write-fails': 'a write request is answered with an error; a write without response is lost',
  'no-response': 'requests after connect never answer',
  'disconnect-mid-operation': 'the first request after connect makes the peripheral drop the link (reason 0x13)',
  'no-notify': 'subscribing succeeds but no notification ever comes',
  'wrong-token': 'a Mi device (scooter, LYWSD03MMC) holds another token than the one registered: login fails',
  'drop-after-login': 'a Mi device drops the link 1 s after each login',
  'slow-replies': "a Mi device answers the auth handshake and the scooter's UART 1.2 s late",
  'no-button': 'the scooter beeps at registration but nobody presses its power button',
  'refuse-pairing': 'a connect that asks to pair (MI32Pair) fails: the peripheral refuses pairing',
} as const;

export type FaultName = keyof typeof FAULTS;

export interface Fault {
  name: FaultName;
  /** missing-characteristic only: the one characteristic that is absent (a 16-bit form also matches vendor UUIDs by those bits). */
  uuid?: string;
}

export const FAULT_NAMES = Object.keys(FAULTS) as FaultName[];

/** Properties a fault takes away from every characteristic in discovery and in checks. */
const REMOVED_PROPERTIES: Partial<Record<FaultName, number>> = {
  'read-only': GATT_PROPERTY.write | GATT_PROPERTY.writeWithoutResponse,
  'not-readable': GATT_PROPERTY.read,
  'cannot-notify': GATT_PROPERTY.notify | GATT_PROPERTY.indicate,
};

export function effectiveProperties(properties: number, fault: Fault | undefined): number {
  return fault ? properties & ~(REMOVED_PROPERTIES[fault.name] ?? 0) : properties;
}

function isFaultName(name: string): name is FaultName {
  return Object.prototype.hasOwnProperty.call(FAULTS, name);
}

/** "no-response", "missing-characteristic:ebe0ccbe" → a Fault; throws with the valid names. */
export function parseFault(text: string): Fault {
  const colon = text.indexOf(':');
  const name = (colon < 0 ? text : text.slice(0, colon)).trim();
  if (!isFaultName(name)) throw new Error(`unknown fault "${name}" (faults: ${FAULT_NAMES.join(', ')})`);
  if (colon < 0) return { name };
  if (name !== 'missing-characteristic') throw new Error(`fault "${name}" takes no argument`);
  const uuid = parseUuid(text.slice(colon + 1));
  if (!uuid) throw new Error(`bad UUID "${text.slice(colon + 1)}" in fault "${text}"`);
  return { name, uuid };
}

export function toFault(fault: FaultName | Fault): Fault {
  return typeof fault === 'string' ? parseFault(fault) : parseFault(fault.uuid ? `${fault.name}:${fault.uuid}` : fault.name);
}

export function formatFault(fault: Fault): string {
  return fault.uuid ? `${fault.name}:${fault.uuid}` : fault.name;
}
