// HKPin, HKReset and HKStatus: the HomeKit bridge's console commands. Changing the setup
// code or forgetting the pairings is for the console (serial, stdin) only: over MQTT
// anyone on the broker could otherwise reset the bridge, set a code of their own and pair
// it. Over MQTT HKPin shows only whether a code is set, never the code.

import type { CommandSource } from '../gateway/command-target.js';
import type { Reply } from '../gateway/command-reply.js';
import type { HomeKitBridge } from './bridge.js';
import { setupCodeProblem } from './setup-code.js';

const NAMES: Record<string, string> = { hkpin: 'HKPin', hkreset: 'HKReset', hkstatus: 'HKStatus' };
const LOCAL: ReadonlySet<CommandSource> = new Set<CommandSource>(['console']);

/** The reply to a HomeKit command, or undefined when `line` is not one. */
export function homeKitCommand(bridge: HomeKitBridge, line: string, argument: string | undefined, source: CommandSource): Reply | undefined {
  const text = line.trim();
  const space = text.search(/\s/);
  const word = (space < 0 ? text : text.slice(0, space)).toLowerCase();
  const name = NAMES[word];
  if (!name) return undefined;
  const arg = (argument ?? (space < 0 ? '' : text.slice(space + 1))).trim();
  const error = (message: string): Reply => ({ [name]: 'Error', Error: message });
  const state = bridge.server.state;
  if (name === 'HKStatus') return { HKStatus: status(bridge) };
  if (name === 'HKPin') {
    if (arg === '') {
      const origin = state.identity.userCode ? 'set' : 'default';
      return LOCAL.has(source) ? { HKPin: state.setupCode, Origin: origin } : { HKPin: '***-**-***', Origin: origin };
    }
    if (!LOCAL.has(source)) return error('the setup code can be changed from the console only');
    const code = arg.toLowerCase() === 'default' ? undefined : arg;
    const problem = code === undefined ? undefined : setupCodeProblem(code);
    if (problem) return error(problem);
    try {
      state.setSetupCode(code);
    } catch (e) {
      return error((e as Error).message);
    }
    return { HKPin: state.setupCode, Origin: code ? 'set' : 'default' };
  }
  // HKReset
  if (!LOCAL.has(source)) return error('pairings can be forgotten from the console only');
  if (arg !== '' && arg !== '1') return error('usage: HKReset (forgets every paired controller)');
  try {
    bridge.server.reset();
    bridge.rebuild(); // the bridge's serial number is its Device ID, which is new
  } catch (e) {
    return error((e as Error).message);
  }
  return { HKReset: 'Done', ...status(bridge) };
}

function status(bridge: HomeKitBridge): Reply {
  const server = bridge.server;
  const { state } = server;
  return {
    Paired: state.paired ? 1 : 0,
    Controllers: state.pairings.map((p) => ({ Id: p.id, Admin: p.admin ? 1 : 0 })),
    Sessions: server.sessions().map((s) => ({ Controller: s.controller, Remote: s.remote, Subscriptions: s.subscriptions })),
    Connections: server.connections,
    Accessories: bridge.accessories().length - 1,
    ConfigNumber: bridge.configNumber(),
    DeviceId: state.identity.deviceId,
    FailedSetups: server.failedSetups,
  };
}
