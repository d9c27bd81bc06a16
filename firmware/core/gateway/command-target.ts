// What console commands act on and who sends them: the gateway implements CommandTarget,
// the dispatcher (commands.ts) and the command modules (tasmota-commands.ts, ...) read it.
// Apart from commands.ts so that no command module imports the dispatcher that imports it.

import type { ActiveDevices } from './active-devices.js';
import type { Management } from '../manage/management.js';
import type { BleProxy, ProxyMode } from './ble-proxy.js';
import type { GatewayGroup } from './group.js';
import type { Reply } from './command-reply.js';
import type { OutboxStats } from './outbox.js';
import type { Registry } from './registry.js';
import type { TimeRule } from './timezone.js';

/** Where a command came from: ScriptSave and ScriptRemote depend on it. */
export type CommandSource = 'console' | 'mqtt' | 'http' | 'script';

/** The switches of MI32Option0..4, with Tasmota's documented meanings (see README). */
export interface Options {
  /** 0: real-time messages carry all known values of a sensor (1) or only updated ones (0). Default 1. */
  allValues: 0 | 1;
  /** 1: no per-sensor JSON at teleperiod. Default 0. */
  noSummary: 0 | 1;
  /** 2: publish a SENSOR message for every packet that changed a value. Default 0. */
  directBridge: 0 | 1;
  /** 3: add newly seen sensors automatically (documented meaning; Tasmota's code inverts it). Default 1, or 0 when mi32cfg listed devices. */
  autoAdd: 0 | 1;
  /** 4: active scanning (asks for scan responses). Default 0 = passive. */
  activeScan: 0 | 1;
}

export const OPTION_KEYS: readonly (keyof Options)[] = ['allValues', 'noSummary', 'directBridge', 'autoAdd', 'activeScan'];

/** What commands act on; the gateway implements it. */
export interface CommandTarget extends BleTarget {
  options: Options;
  setOption(key: keyof Options, value: 0 | 1): void;
  telePeriod: number;
  setTelePeriod(seconds: number): void;
  /** Publish STATE and SENSOR now (and restart the period from here). */
  telemetryNow(): void;
  /** Minutes east of UTC of the top-level "Time". */
  timezone: number;
  setTimezone(minutes: number): void;
  /** TimeStd / TimeDst: the daylight saving rules Timezone 99 follows. */
  timeStd: TimeRule;
  timeDst: TimeRule;
  setTimeRule(which: 'timeStd' | 'timeDst', rule: TimeRule): void;
  topic: string;
  setTopic(topic: string): void;
  /** Store a key; says whether the MAC is a known device. */
  setKey(mac: string, key: Uint8Array): { known: boolean; dropped?: string };
  /** Save the device list; returns how many devices were written. */
  saveConfig(): number;
  /** MI32Battery / MI32Time / MI32Unit over the GATT client (gateway/gatt-commands.ts). */
  deviceGatt(kind: 'battery' | 'clock' | 'unit', arg: string): Reply;
  /** MI32Scooter / MI32Activate: the devices the gateway logs into (gateway/active-devices.ts). */
  readonly active: ActiveDevices;
  /** Script / ScriptSave: the stored user script (script/runtime.ts), when scripting is on. */
  scriptCommand(kind: 'status' | 'save', arg: string): Reply;
  /** The device table (MI32Name, MI32Keys). */
  readonly registry: Registry;
  /** MI32Block: MACs whose advertisements are ignored. */
  readonly blocked: Set<string>;
  block(mac: string): void;
  /** Status parts, in Tasmota's shapes. */
  statusSummary(): Reply;
  statusSensors(): Reply;
  statusState(): Reply;
  /** Run Backlog's commands, each answering on its own. */
  runBacklog(lines: string[]): void;
  groupTopic: string;
  setGroupTopic(topic: string): void;
  fullTopic: string;
  setFullTopic(pattern: string): void;
  /** ScriptRemote: whether ScriptSave is accepted over MQTT (persisted). */
  scriptRemote: 0 | 1;
  setScriptRemote(value: 0 | 1): void;
  /** MI32Buffer: readings kept while the broker is away; the budget is persisted. */
  readonly outbox: { readonly budget: number; readonly stats: OutboxStats };
  setBufferBudget(bytes: number): void;
  /** SetOption19: Home Assistant MQTT discovery on (1) or off (0); persisted. */
  readonly haDiscovery: 0 | 1;
  setHaDiscovery(value: 0 | 1): void;
  /** MI32Approve/Remove/List/Mode/Pair/..., MI32Upload* (manage/commands.ts). */
  readonly management: Management;
}

/** One command: its argument, the target, Tasmota's index suffix (MI32Name3) and the source. */
export type CommandHandler = (arg: string, target: CommandTarget, index: number | undefined, source: CommandSource) => Reply;

/** What MI32Proxy, BLEOp and MI32Group need of the gateway (ble-commands.ts). */
export interface BleTarget {
  readonly proxyMode: ProxyMode;
  /** The running proxy, when MI32Proxy is not 0. */
  readonly proxying: BleProxy | undefined;
  setProxy(mode: ProxyMode): void;
  bleOp(payload: string): Reply;
  readonly group: GatewayGroup;
  /** Join a group (persisted), or leave with undefined. */
  setGroup(name: string | undefined): void;
}
