// The device management and upload commands: MI32Approve, MI32Remove, MI32List, MI32Mode,
// MI32Pair, MI32Unpair, MI32Paired (the seed manager's list/approve/remove/mode/pair/
// unpair/is_paired), MI32Upload, MI32UploadPeriod, MI32UploadToken. Every bad argument is
// an error reply that changes nothing; state is saved (devices.json, upload.json) before
// it changes.

import { normalizeMac } from '../bytes/hex.js';
import { CommandError, type Reply } from '../gateway/command-reply.js';
import type { CommandHandler as Handler, CommandSource, CommandTarget } from '../gateway/command-target.js';
import { deviceIdProblem, WORKING_MODES, type WorkingMode } from './device-list.js';

function fail(message: string): never {
  throw new CommandError(message);
}

/** MI32List shows at most this many devices (a reply must fit one MQTT message). */
export const LIST_MAX = 100;

function macArg(arg: string, usage: string): string {
  if (arg === '') fail(`usage: ${usage}`);
  const mac = normalizeMac(arg);
  if (!mac) fail(`"${arg.slice(0, 40)}" is not a MAC (12 hex digits, colons allowed)`);
  return mac;
}

function approvedMac(arg: string, usage: string, t: CommandTarget): string {
  const mac = macArg(arg, usage);
  if (!t.management.isApproved(mac)) fail(`${mac} is not approved (MI32Approve ${mac} first)`);
  return mac;
}

/** MI32Approve <MAC> [iotDeviceId]: on the allow list, its readings uploaded under that id (default the MAC). */
const approve: Handler = (arg, t) => {
  const [macText = '', id, extra] = arg.split(/\s+/);
  if (extra !== undefined) fail('usage: MI32Approve <MAC> [iotDeviceId]');
  const mac = macArg(macText, 'MI32Approve <MAC> [iotDeviceId]');
  if (id !== undefined) {
    const problem = deviceIdProblem(id);
    if (problem) fail(problem);
  }
  const device = t.management.devices.approve(mac, id);
  // Approving is the stronger word: a device on both lists would be heard by nobody.
  const unblocked = t.blocked.delete(mac);
  return { MI32Approve: 'Done', MAC: mac, Id: device.id, ...(unblocked ? { Unblocked: 1 } : {}) };
};

const remove: Handler = (arg, t) => {
  const mac = approvedMac(arg, 'MI32Remove <MAC>', t);
  t.management.remove(mac);
  return { MI32Remove: 'Done', MAC: mac };
};

/** MI32List [approved]: the devices heard and the approved ones, with their state. */
const list: Handler = (arg, t) => {
  const only = arg.toLowerCase();
  if (only !== '' && only !== 'approved') fail('usage: MI32List [approved]');
  const m = t.management;
  const rows = new Map<string, Record<string, unknown>>();
  if (only === '') {
    for (const slot of t.registry.slots.values()) rows.set(slot.mac, { MAC: slot.mac, Name: t.registry.displayName(slot), Approved: 0 });
    for (const mac of t.blocked) rows.set(mac, { ...rows.get(mac), MAC: mac, Approved: 0, Blocked: 1 });
  }
  for (const d of m.devices.approved.values()) {
    const slot = t.registry.slots.get(d.mac);
    rows.set(d.mac, { MAC: d.mac, ...(slot ? { Name: t.registry.displayName(slot) } : {}), Approved: 1, Paired: d.paired ? 1 : 0, Id: d.id });
  }
  const all = [...rows.values()];
  return { MI32List: { Mode: m.mode, Devices: all.slice(0, LIST_MAX), ...(all.length > LIST_MAX ? { More: all.length - LIST_MAX } : {}) } };
};

const mode: Handler = (arg, t) => {
  if (arg !== '') {
    const wanted = arg.toLowerCase() as WorkingMode;
    if (!WORKING_MODES.includes(wanted)) fail(`mode must be ${WORKING_MODES.join(', ')}; got "${arg.slice(0, 20)}"`);
    t.management.setMode(wanted);
  }
  return { MI32Mode: t.management.mode };
};

const pair: Handler = (arg, t) => {
  const mac = approvedMac(arg, 'MI32Pair <MAC>', t);
  if (t.management.mode !== 'active') fail(`pairing connects to the device: MI32Mode active first (the mode is ${t.management.mode})`);
  return t.management.pair(mac);
};

const unpair: Handler = (arg, t) => {
  const mac = approvedMac(arg, 'MI32Unpair <MAC>', t);
  if (!t.management.isPaired(mac)) fail(`${mac} is not paired`);
  t.management.unpair(mac);
  return { MI32Unpair: 'Done', MAC: mac };
};

const paired: Handler = (arg, t) => {
  const mac = macArg(arg, 'MI32Paired <MAC>');
  return { MI32Paired: t.management.isPaired(mac) ? 1 : 0, MAC: mac };
};

/**
 * Where readings (and the token) go is the console's or the web page's to say: over MQTT,
 * anyone on the broker could point the upload, token included, at their own server.
 */
function trusted(source: CommandSource, name: string): void {
  if (source === 'mqtt' || source === 'script') fail(`${name} can be changed only from the console or the web page`);
}

function uploader(t: CommandTarget) {
  const u = t.management.uploader;
  if (!u) fail('this platform has no HTTP client: no batch upload');
  return u;
}

/** MI32Upload [https://host/path | 0]: the endpoint (0 = off); no argument: the upload's state. */
const upload: Handler = (arg, t, _index, source) => {
  const u = uploader(t);
  if (arg !== '') {
    trusted(source, 'MI32Upload');
    u.setUrl(arg === '0' ? '' : arg);
  }
  return { MI32Upload: u.status() };
};

const uploadPeriod: Handler = (arg, t) => {
  const u = uploader(t);
  if (arg !== '') {
    if (!/^\d{1,5}$/.test(arg)) fail(`expected whole seconds, got "${arg.slice(0, 20)}"`);
    u.setPeriod(Number(arg));
  }
  return { MI32UploadPeriod: u.periodSeconds };
};

/** MI32UploadToken <token> | 0: the API token, sent as "Authorization: Bearer"; never shown. */
const uploadToken: Handler = (arg, t, _index, source) => {
  const u = uploader(t);
  if (arg === '') fail('usage: MI32UploadToken <token> (0 removes it); the token is never shown');
  trusted(source, 'MI32UploadToken');
  u.setToken(arg === '0' ? '' : arg);
  return { MI32UploadToken: arg === '0' ? 'Removed' : 'Done' };
};

export const MANAGE_COMMANDS: Record<string, Handler> = {
  mi32approve: approve, mi32remove: remove, mi32list: list, mi32mode: mode, mi32pair: pair, mi32unpair: unpair, mi32paired: paired,
  mi32upload: upload, mi32uploadperiod: uploadPeriod, mi32uploadtoken: uploadToken,
};

export const MANAGE_CANONICAL: Record<string, string> = {
  mi32approve: 'MI32Approve', mi32remove: 'MI32Remove', mi32list: 'MI32List', mi32mode: 'MI32Mode', mi32pair: 'MI32Pair',
  mi32unpair: 'MI32Unpair', mi32paired: 'MI32Paired', mi32upload: 'MI32Upload', mi32uploadperiod: 'MI32UploadPeriod', mi32uploadtoken: 'MI32UploadToken',
};

export type { Reply };
