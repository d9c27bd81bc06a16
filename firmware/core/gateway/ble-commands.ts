// The commands of the BLE proxy and of gateway groups: MI32Proxy (raw advertisements on
// tele/<topic>/BLE), BLEOp (one GATT operation as JSON) and MI32Group (several gateways
// report each device once). Their settings persist in settings.json beside Topic and
// TelePeriod, checked again when read back (checkBleSettings).

import type { Log } from '../host.js';
import { CommandError, type Reply } from './command-reply.js';
import type { CommandHandler as Handler } from './command-target.js';
import { type BleProxy, PROXY_RATE, parseProxyArgument, proxyModeProblem, type ProxyMode } from './ble-proxy.js';
import { groupNameProblem, type GatewayGroup } from './group.js';
import { topicProblem } from './validate.js';

/** What these commands act on; the gateway implements it (part of CommandTarget). */
export type { BleTarget } from './command-target.js';

/** The settings these commands persist. */
export interface BleSettings {
  proxy?: ProxyMode;
  group?: string;
}

function fail(message: string): never {
  throw new CommandError(message);
}

/**
 * MI32Proxy 0|1|<MAC> [<MAC> ...]: off, every sender, or the chosen devices (the list
 * replaces the previous one). Persists. The reply says the mode, the rate limit and the counts.
 */
const mi32Proxy: Handler = (arg, t) => {
  if (arg !== '') {
    const mode = parseProxyArgument(arg);
    if (typeof mode === 'string') fail(mode);
    t.setProxy(mode);
  }
  const counts = t.proxying?.counts ?? { sent: 0, dropped: 0 };
  return { MI32Proxy: t.proxyMode, Rate: PROXY_RATE, Sent: counts.sent, Dropped: counts.dropped };
};

/** MI32Group <name> joins, MI32Group 0 leaves, MI32Group shows the members and the split. */
const mi32Group: Handler = (arg, t) => {
  if (arg === '0') t.setGroup(undefined);
  else if (arg !== '') {
    const problem = groupNameProblem(arg, topicProblem);
    if (problem) fail(problem);
    t.setGroup(arg);
  }
  return t.group.status();
};

export const BLE_COMMANDS: Record<string, Handler> = {
  mi32proxy: mi32Proxy,
  bleop: (arg, t) => t.bleOp(arg),
  mi32group: mi32Group,
};

export const BLE_CANONICAL: Record<string, string> = { mi32proxy: 'MI32Proxy', bleop: 'BLEOp', mi32group: 'MI32Group' };

/** proxy and group from settings.json (or the command line), each checked; a bad one is logged and left out. */
export function checkBleSettings(raw: Record<string, unknown>, from: string, log: Log): BleSettings {
  const out: BleSettings = {};
  if (raw.proxy !== undefined) {
    const problem = proxyModeProblem(raw.proxy);
    if (problem) log.warn(`${from}: ${problem}; the BLE proxy stays off`);
    else if (raw.proxy !== 0) out.proxy = raw.proxy as ProxyMode;
  }
  if (raw.group !== undefined) {
    const problem = groupNameProblem(raw.group, topicProblem);
    if (problem) log.warn(`${from}: ${problem}; no MI32Group`);
    else out.group = raw.group as string;
  }
  return out;
}
