// Commands Tasmota users script against, beyond MI32Key/Cfg/Option: MI32Name, MI32Block,
// MI32Keys (and the _ble driver's MI32Period/Page/Topic, answered with what to use
// instead), Status, Backlog, FullTopic and GroupTopic. Shapes follow Tasmota's source
// (xsns_62_esp32_mi.ino, xsns_62_esp32_mi_ble.ino, support_command.ino); the README's
// "Differences from Tasmota" table lists where they differ.

import { normalizeMac } from '../bytes/hex.js';
import { CommandError, maskedKey, type Reply, REPLY_LEAF, SILENT } from './command-reply.js';
import type { CommandHandler as Handler, CommandTarget } from './command-target.js';
import type { Registry, Slot } from './registry.js';
import { findSlot } from './find-slot.js';

export { findSlot } from './find-slot.js';
import { fullTopicProblem } from './topics.js';
import { deviceNameProblem, topicProblem } from './validate.js';
import { parseKey } from '../decode.js';


function fail(message: string): never {
  throw new CommandError(message);
}

/** Tasmota's MAX_BACKLOG: more commands in one Backlog are refused (nothing runs). */
export const BACKLOG_MAX = 30;


/**
 * MI32Name<slot> <name> (Tasmota) or MI32Name <slot|MAC> <name>: the name the device
 * goes by in the SENSOR JSON. An empty name goes back to Tasmota's "<type>-<mac3>".
 * Kept in RAM until MI32Cfg saves it in mi32cfg, as Tasmota does.
 */
const mi32Name: Handler = (arg, t, index) => {
  let selector: string;
  let name: string;
  if (index !== undefined) {
    selector = String(index);
    name = arg;
  } else {
    const space = arg.search(/\s/);
    if (arg === '') fail('usage: MI32Name <slot|MAC> <name> (or MI32Name<slot> <name>); an empty name removes it');
    selector = space < 0 ? arg : arg.slice(0, space);
    name = space < 0 ? '' : arg.slice(space + 1).trim();
  }
  const slot = findSlot(t.registry, selector);
  if (!slot) fail(`no device "${selector.slice(0, 40)}" (give a slot number from 0 or a MAC)`);
  if (name !== '') {
    const problem = deviceNameProblem(name);
    if (problem) fail(problem);
    const clash = [...t.registry.slots.values()].find((s) => s !== slot && t.registry.displayName(s).toLowerCase() === name.toLowerCase());
    if (clash) fail(`name "${name}" is already used by ${clash.mac}`);
  }
  t.registry.add(slot.mac, slot.pid, name); // '' clears the override
  return { MI32Name: t.registry.displayName(slot) };
};

/** The _ble driver's {"MI32Block":{"<MAC>":1,...}}. */
function blockList(t: CommandTarget): Reply {
  const list: Record<string, number> = {};
  for (const mac of t.blocked) list[mac] = 1;
  return { MI32Block: list };
}

/**
 * The _ble driver's MI32Block: `MI32Block` lists, `MI32Block <MAC>` blocks (and forgets
 * the device), `MI32Block0 <MAC>` unblocks, `MI32Block0` clears the list. RAM only, as
 * in Tasmota. Blocked devices' advertisements are counted in Ignored.
 */
const mi32Block: Handler = (arg, t, index) => {
  const remove = index === 0;
  if (index !== undefined && index !== 0 && index !== 1) fail('MI32Block takes index 0 (unblock/clear) or 1 (block)');
  if (arg === '') {
    if (remove) t.blocked.clear();
    return blockList(t);
  }
  const mac = normalizeMac(arg);
  if (!mac) fail('Addr invalid: give a MAC (12 hex digits)');
  if (remove) t.blocked.delete(mac);
  else t.block(mac);
  return blockList(t);
};

/**
 * The _ble driver's MI32Keys: `MI32Keys <MAC>=<key> [<MAC>=<key> ...]` adds keys,
 * `MI32Keys <MAC>` removes one, `MI32Keys2` removes all. Tasmota answers with every key
 * in clear ({"MIKeys":{...}}); here each shows only its last 4 digits (stat/RESULT is
 * readable by anyone on the broker).
 */
const mi32Keys: Handler = (arg, t, index) => {
  if (index === 2) {
    if (arg !== '') fail('MI32Keys2 takes no argument (it removes every key)');
    t.registry.clearKeys();
  } else if (arg !== '') {
    const words = arg.split(/[\s,=]+/).filter(Boolean);
    if (words.length > 2 * BACKLOG_MAX) fail(`at most ${BACKLOG_MAX} keys at once`);
    // Check every pair first, so a bad one changes nothing.
    const pairs: [string, Uint8Array | undefined][] = [];
    for (let i = 0; i < words.length; i += 2) {
      const mac = normalizeMac(words[i]!);
      if (!mac) fail(`invalid MAC "${words[i]!.slice(0, 20)}"`);
      const keyText = words[i + 1];
      if (keyText === undefined) {
        if (!t.registry.keyOf(mac)) fail(`no key for ${mac}`);
        pairs.push([mac, undefined]);
        continue;
      }
      const parsed = parseKey(keyText);
      if (typeof parsed === 'string') fail(`${mac}: ${parsed}`);
      if (parsed.key.length !== 16) fail(`${mac}: MI32Keys takes 32 hex digit keys`);
      pairs.push([mac, parsed.key]);
    }
    for (const [mac, key] of pairs) {
      if (key) t.setKey(mac, key);
      else t.registry.removeKey(mac);
    }
  }
  const list: Record<string, string> = {};
  for (const [mac, key] of t.registry.allKeys()) list[mac] = maskedKey(key);
  return { MIKeys: list };
};

/** The _ble driver's commands with no counterpart here: say what to use instead. */
function notMapped(name: string, instead: string): Handler {
  return () => fail(`${name} (Tasmota's _ble driver) is not supported: ${instead}`);
}

/**
 * Status (Tasmota's support_command.ino): `Status` the device summary, `Status 0` all
 * parts we have, `Status 8` / `Status 10` the sensors (StatusSNS, the SENSOR content),
 * `Status 11` the state (StatusSTS). Published on stat/<topic>/STATUS<n>, as Tasmota.
 */
const status: Handler = (arg, t) => {
  const n = arg === '' ? undefined : /^\d{1,2}$/.test(arg) ? Number(arg) : NaN;
  const withLeaf = (reply: Reply, leaf: string): Reply => Object.assign(reply, { [REPLY_LEAF]: leaf });
  switch (n) {
    case undefined:
      return withLeaf({ Status: t.statusSummary() }, 'STATUS');
    case 0:
      return withLeaf({ Status: t.statusSummary(), StatusSNS: t.statusSensors(), StatusSTS: t.statusState() }, 'STATUS0');
    case 8:
    case 10:
      return withLeaf({ StatusSNS: t.statusSensors() }, `STATUS${n}`);
    case 11:
      return withLeaf({ StatusSTS: t.statusState() }, 'STATUS11');
    default:
      return fail(`Status ${arg.slice(0, 10)} is not supported here (0, 8, 10 and 11 are)`);
  }
};

/**
 * Backlog cmd1; cmd2; ...: Tasmota's separator ";", at most BACKLOG_MAX commands. Each
 * command answers on its own, as in Tasmota; Backlog itself answers nothing. Unlike
 * Tasmota they run at once, without its 200 ms pause between commands.
 */
const backlog: Handler = (arg, t) => {
  const lines = arg.split(';').map((l) => l.trim()).filter(Boolean);
  if (lines.length === 0) fail('usage: Backlog <command>; <command>; ...');
  if (lines.length > BACKLOG_MAX) fail(`at most ${BACKLOG_MAX} commands in one Backlog, got ${lines.length}`);
  const nested = lines.find((l) => /^backlog\d*(\s|$)/i.test(l));
  if (nested) fail('Backlog cannot hold another Backlog');
  t.runBacklog(lines);
  return { [SILENT]: true };
};

const groupTopic: Handler = (arg, t, index) => {
  if (index !== undefined && index !== 1) fail('only GroupTopic1 is supported');
  if (arg !== '') {
    const problem = topicProblem(arg);
    if (problem) fail(problem.replace(/^topic/, 'group topic'));
    t.setGroupTopic(arg);
  }
  return { GroupTopic1: t.groupTopic };
};

const fullTopic: Handler = (arg, t) => {
  if (arg !== '') {
    const problem = fullTopicProblem(arg);
    if (problem) fail(problem);
    t.setFullTopic(arg);
  }
  return { FullTopic: t.fullTopic };
};

export const TASMOTA_COMMANDS: Record<string, Handler> = {
  mi32name: mi32Name,
  mi32block: mi32Block,
  mi32keys: mi32Keys,
  mi32period: notMapped('MI32Period', 'TelePeriod sets the period of STATE and SENSOR; MI32Battery reads batteries on demand'),
  mi32page: notMapped('MI32Page', 'there is no web page here yet; Status 8 lists every device'),
  mi32topic: notMapped('MI32Topic', 'there is no per-sensor topic (MI32Option6); SENSOR carries every device'),
  status,
  backlog,
  grouptopic: groupTopic,
  fulltopic: fullTopic,
};

/** Commands here that take Tasmota's index suffix (MI32Name3, MI32Block0, MI32Keys2, GroupTopic1). */
export const INDEXED_COMMANDS = new Set(['mi32name', 'mi32block', 'mi32keys', 'grouptopic']);

export const TASMOTA_CANONICAL: Record<string, string> = {
  mi32name: 'MI32Name', mi32block: 'MI32Block', mi32keys: 'MI32Keys', mi32period: 'MI32Period', mi32page: 'MI32Page',
  mi32topic: 'MI32Topic', status: 'Status', backlog: 'Backlog', grouptopic: 'GroupTopic', fulltopic: 'FullTopic',
};

