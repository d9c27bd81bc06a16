// The `_hap._tcp` mDNS TXT record (HAP spec 6.4; what hap-nodejs sends). The accessory
// server builds it and hands it to the MdnsAdvertiser port; it re-announces it when
// `sf` (paired or not) or `c#` (the accessory database changed) changes.

import { HAP_CATEGORY } from './setup-code.js';

export interface HapTxtFields {
  /** Configuration number, 1..65535: raised whenever the accessory set changes (ids.ts). */
  configNumber: number;
  /** The Device ID, "XX:XX:XX:XX:XX:XX" (also our pairing identifier). */
  deviceId: string;
  /** Model name. */
  model: string;
  /** At least one controller is paired: sf=0, else sf=1 (discoverable for pairing). */
  paired: boolean;
  /** The setup hash (setup-code.ts setupHash). */
  setupHash: string;
  category?: number;
}

/** The TXT keys in the order hap-nodejs sends them. Values are strings, as mDNS carries them. */
export function hapTxtRecord(fields: HapTxtFields): Record<string, string> {
  const { configNumber, deviceId, model, paired, setupHash } = fields;
  if (!Number.isInteger(configNumber) || configNumber < 1 || configNumber > 65535) throw new RangeError(`c# must be 1..65535, not ${configNumber}`);
  if (!/^[0-9A-F]{2}(:[0-9A-F]{2}){5}$/.test(deviceId)) throw new RangeError(`Device ID must be XX:XX:XX:XX:XX:XX (upper case), not ${JSON.stringify(deviceId)}`);
  // A TXT string is at most 255 bytes including "md="; keep names well inside that.
  if (model.length === 0 || model.length > 64) throw new RangeError('model must be 1..64 characters');
  return {
    'c#': String(configNumber),
    ff: '0', // no MFi authentication
    id: deviceId,
    md: model,
    pv: '1.1',
    's#': '1',
    sf: paired ? '0' : '1',
    ci: String(fields.category ?? HAP_CATEGORY.bridge),
    sh: setupHash,
  };
}
