// The console command dispatcher: one table, used for serial/stdin, MQTT cmnd topics
// and HTTP /cm?cmnd=. Replies are Tasmota-style JSON objects. A malformed command gets
// {"<Command>":"Error","Error":"<what was wrong>"} and changes nothing.

import { expandLegacyKey } from '../decoders/mibeacon.js';
import { fromHex } from '../bytes/hex.js';
import { telePeriodFrom, topicProblem } from './validate.js';
import { formatTimeRule, formatTimezone, parseTimeRule, parseTimezone } from './timezone.js';
import { INDEXED_COMMANDS, TASMOTA_CANONICAL, TASMOTA_COMMANDS } from './tasmota-commands.js';
import { BLE_CANONICAL, BLE_COMMANDS } from './ble-commands.js';
import { FEATURE_CANONICAL, FEATURE_COMMANDS, FEATURE_INDEXED } from './feature-commands.js';
import { OPTION_KEYS, type CommandHandler as Handler, type CommandSource, type CommandTarget } from './command-target.js';
import { MANAGE_CANONICAL, MANAGE_COMMANDS } from '../manage/commands.js';

import { CommandError, maskedKey, type Reply } from './command-reply.js';
import { ACTIVE_CANONICAL, ACTIVE_COMMANDS } from './active-commands.js';

export { CommandError, maskedKey, REPLY_LEAF, SILENT, type Reply } from './command-reply.js';
export { OPTION_KEYS, type CommandSource, type CommandTarget, type Options } from './command-target.js';


/**
 * Who may store a script: running code is the most a command can do, so it takes the
 * console (serial, stdin) or the web page, or MQTT once the console allowed it. A script
 * never stores one (it would replace itself from inside its own call).
 */
function scriptSave(arg: string, t: CommandTarget, source: CommandSource): Reply {
  if (arg === '') error('usage: ScriptSave <JavaScript source> (the MQTT payload of cmnd/<topic>/ScriptSave)');
  if (source === 'script') error('ScriptSave is not available to scripts');
  if (source === 'mqtt' && t.scriptRemote !== 1) error('ScriptSave over MQTT is off: enable it with ScriptRemote 1 from the console or the web page');
  return t.scriptCommand('save', arg);
}

/** TimeStd / TimeDst [hemisphere,week,month,day,hour,offset]: Tasmota's reply {"TimeStd":{"Hemisphere":0,...}}. */
function timeRule(which: 'timeStd' | 'timeDst', arg: string, t: CommandTarget): Reply {
  if (arg !== '') {
    const rule = parseTimeRule(arg);
    if (typeof rule === 'string') error(rule);
    t.setTimeRule(which, rule);
  }
  return { [which === 'timeStd' ? 'TimeStd' : 'TimeDst']: formatTimeRule(t[which]) };
}

function error(message: string): never {
  throw new CommandError(message);
}

function switchValue(arg: string): 0 | 1 {
  if (arg === '0' || /^off$/i.test(arg)) return 0;
  if (arg === '1' || /^on$/i.test(arg)) return 1;
  return error(`expected 0 or 1, got "${printable(arg)}"`);
}

/** MI32Key <32 hex key><12 hex MAC>, or <24 hex legacy key><12 hex MAC> (YLKG07/08). */
function mi32Key(arg: string, target: CommandTarget): Reply {
  const clean = arg.replace(/[:\s-]/g, '');
  if (!/^[0-9a-fA-F]*$/.test(clean)) error('key and MAC must be hex digits');
  if (clean.length !== 44 && clean.length !== 36) {
    error(`expected 44 hex digits (32 key + 12 MAC) or 36 (24 legacy key + 12 MAC), got ${clean.length}`);
  }
  const keyHex = clean.slice(0, clean.length - 12);
  const mac = clean.slice(-12).toUpperCase();
  const key = expandLegacyKey(fromHex(keyHex)!);
  const { known, dropped } = target.setKey(mac, key);
  // The reply goes to stat/<topic>/RESULT, which anyone on the broker may read: never the key.
  return {
    MI32Key: 'Done', MAC: mac, Key: maskedKey(key),
    ...(known ? {} : { Note: 'device not seen yet: the key applies when it is; MI32Cfg saves it once seen' }),
    // keys for unseen devices are bounded: say which one made room
    ...(dropped ? { Dropped: dropped } : {}),
  };
}

const COMMANDS: Record<string, Handler> = {
  mi32key: (arg, t) => (arg === '' ? error('usage: MI32Key <32 hex key><12 hex MAC>') : mi32Key(arg, t)),
  mi32cfg: (arg, t) => {
    if (arg !== '') error('MI32Cfg takes no argument');
    const n = t.saveConfig();
    return n === 0 ? error('no devices known: nothing written') : { MI32Cfg: 'Done', Devices: n };
  },
  mi32option: (arg, t, index = 0) => {
    const key = OPTION_KEYS[index];
    if (key === undefined) error(`MI32Option${index} does not exist (0-4)`);
    if (arg !== '') t.setOption(key, switchValue(arg));
    return { [`MI32Option${index}`]: t.options[key] };
  },
  teleperiod: (arg, t) => {
    if (arg !== '') {
      if (!/^\d{1,6}$/.test(arg)) error(`expected seconds (0 = off, 10-3600), got "${printable(arg)}"`);
      const seconds = telePeriodFrom(Number(arg));
      if (typeof seconds === 'string') error(seconds);
      t.setTelePeriod(seconds);
    }
    // As Tasmota: any TelePeriod command (a query too) publishes STATE and SENSOR at once.
    t.telemetryNow();
    return { TelePeriod: t.telePeriod };
  },
  timezone: (arg, t) => {
    if (arg !== '') {
      const minutes = parseTimezone(arg);
      if (typeof minutes === 'string') error(minutes);
      t.setTimezone(minutes);
    }
    return { Timezone: formatTimezone(t.timezone) };
  },
  timestd: (arg, t) => timeRule('timeStd', arg, t),
  timedst: (arg, t) => timeRule('timeDst', arg, t),
  mi32battery: (arg, t) => t.deviceGatt('battery', arg),
  mi32time: (arg, t) => t.deviceGatt('clock', arg),
  mi32unit: (arg, t) => t.deviceGatt('unit', arg),
  script: (arg, t) => (arg !== '' ? error('Script takes no argument (ScriptSave <source> stores one)') : t.scriptCommand('status', '')),
  scriptsave: (arg, t, _index, source) => scriptSave(arg, t, source),
  scriptremote: (arg, t, _index, source) => {
    if (arg !== '') {
      if (source === 'mqtt' || source === 'script') error('ScriptRemote can be changed only from the console or the web page');
      t.setScriptRemote(switchValue(arg));
    }
    return { ScriptRemote: t.scriptRemote };
  },
  topic: (arg, t) => {
    if (arg !== '') {
      const problem = topicProblem(arg);
      if (problem) error(problem);
      t.setTopic(arg);
    }
    return { Topic: t.topic };
  },
  ...TASMOTA_COMMANDS,
  ...ACTIVE_COMMANDS,
  ...MANAGE_COMMANDS,
  ...BLE_COMMANDS,
  ...FEATURE_COMMANDS,
};

/** Command name as the user typed it, and its index suffix (MI32Option3 -> mi32option, 3; none: undefined). */
function splitName(word: string): { base: string; index: number | undefined } {
  const m = /^(.*?)(\d{0,3})$/.exec(word)!;
  return { base: m[1]!.toLowerCase(), index: m[2] ? Number(m[2]) : undefined };
}

/** Run one command line ("MI32Option2 1"), or a command and argument given apart (MQTT). */
export function runCommand(target: CommandTarget, line: string, argument?: string, source: CommandSource = 'console'): Reply {
  const text = line.trim();
  const space = text.search(/\s/);
  const word = space < 0 ? text : text.slice(0, space);
  const arg = (argument ?? (space < 0 ? '' : text.slice(space + 1))).trim();
  if (word === '') return { Command: 'Error', Error: 'empty command' };
  const { base, index } = splitName(word);
  const handler = COMMANDS[base];
  if (!handler || (index !== undefined && base !== 'mi32option' && !INDEXED_COMMANDS.has(base) && !FEATURE_INDEXED.has(base))) return { Command: 'Unknown', Error: `unknown command "${printable(word)}"` };
  try {
    return handler(arg, target, index, source);
  } catch (e) {
    // Anything else (a save that failed on read-only or full flash, a bug) is an error
    // reply too: a command must never take the gateway down.
    return { [canonicalName(word)]: 'Error', Error: e instanceof Error ? e.message : String(e) };
  }
}

/** An argument quoted back in an error: control characters shown as \uXXXX, at most 40 characters. */
function printable(text: string): string {
  return JSON.stringify(text.slice(0, 40)).slice(1, -1);
}

const CANONICAL: Record<string, string> = { mi32key: 'MI32Key', mi32cfg: 'MI32Cfg', mi32option: 'MI32Option', teleperiod: 'TelePeriod', timezone: 'Timezone', timestd: 'TimeStd', timedst: 'TimeDst', topic: 'Topic',
  mi32battery: 'MI32Battery', mi32time: 'MI32Time', mi32unit: 'MI32Unit', script: 'Script', scriptsave: 'ScriptSave', scriptremote: 'ScriptRemote', ...TASMOTA_CANONICAL, ...ACTIVE_CANONICAL, ...MANAGE_CANONICAL, ...BLE_CANONICAL, ...FEATURE_CANONICAL };

function canonicalName(word: string): string {
  const { base, index } = splitName(word);
  return (CANONICAL[base] ?? word) + (base === 'mi32option' ? String(index ?? 0) : FEATURE_INDEXED.has(base) ? String(index ?? '') : '');
}
