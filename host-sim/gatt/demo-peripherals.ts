// The peripherals `mi32 run` serves over GATT, and the forms the CLI takes them in:
// `--peripherals FILE` (a JSON list) and `--fault MAC=fault`.

import { readFileSync } from 'node:fs';
import type { Clock } from '../../firmware/core/host.js';
import { normalizeMac } from '../../firmware/core/bytes/hex.js';
import { formatFault, parseFault, type Fault } from './faults.js';
import { findModel, MODELS, type PeripheralValues } from './models.js';
import { checkValues } from './peripheral.js';
import { SimGattLink, type SimGattLinkOptions } from './sim-link.js';

export interface PeripheralSpec {
  /** 12 upper-case hex digits. */
  mac: string;
  /** A MODELS name. */
  model: string;
  fault?: Fault;
  values?: PeripheralValues;
  /** "bond": the peripheral asks for pairing (MI32Pair) before its characteristics answer. */
  security?: 'bond';
}

/**
 * The first three are in the demo capture (examples/demo/home.jsonl) with readings close to
 * what they advertise there; the LYWSD02 and the CGD1 are only reachable over GATT.
 * The Xiaomi clocks were never set (the model default, late 2023).
 */
export const DEMO_PERIPHERALS: readonly PeripheralSpec[] = [
  { mac: 'A4C1381A2B01', model: 'LYWSD03MMC', values: { temperature: 21.8, humidity: 45, voltage: 2984, battery: 90 } },
  { mac: 'A4C13855C401', model: 'MHO-C401', values: { temperature: 23.4, humidity: 48, voltage: 2761, battery: 73 } },
  { mac: 'C47C8D6A1B2C', model: 'HHCCJCY01', values: { temperature: 21.5, illuminance: 870, moisture: 35, conductivity: 412, battery: 91, firmware: '3.2.1' } },
  { mac: 'E72E01A1B2C3', model: 'LYWSD02', values: { temperature: 20.9, humidity: 51, battery: 64 } },
  { mac: '582D3430AB12', model: 'CGD1', values: { battery: 58 } },
  // A scooter to register and log in to (MI32Scooter E12A3B4C5D6E register, then login).
  { mac: 'E12A3B4C5D6E', model: 'M365' },
];

const ENTRY_KEYS = ['mac', 'model', 'fault', 'values', 'security'];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** One entry of a peripherals file; throws with what is wrong. */
function parseEntry(e: unknown): PeripheralSpec {
  if (!isObject(e)) throw new Error('must be an object {"mac","model","fault"?,"values"?}');
  const unknown = Object.keys(e).filter((k) => !ENTRY_KEYS.includes(k));
  if (unknown.length > 0) throw new Error(`unknown field(s) ${unknown.map((k) => `"${k}"`).join(', ')} (fields: ${ENTRY_KEYS.join(', ')})`);
  const mac = typeof e.mac === 'string' ? normalizeMac(e.mac) : undefined;
  if (!mac) throw new Error(`bad MAC ${JSON.stringify(e.mac)} (12 hex digits, colons allowed)`);
  const model = typeof e.model === 'string' ? findModel(e.model) : undefined;
  if (!model) throw new Error(`unknown model ${JSON.stringify(e.model)} (models: ${Object.keys(MODELS).join(', ')})`);
  const spec: PeripheralSpec = { mac, model: model.name };
  if (e.fault !== undefined) {
    if (typeof e.fault !== 'string') throw new Error(`fault must be a string, got ${JSON.stringify(e.fault)}`);
    spec.fault = parseFault(e.fault);
  }
  if (e.security !== undefined) {
    if (e.security !== 'bond') throw new Error(`security must be "bond", got ${JSON.stringify(e.security)}`);
    spec.security = 'bond';
  }
  if (e.values !== undefined) {
    if (!isObject(e.values)) throw new Error('values must be an object of names to numbers or strings');
    const values = e.values as PeripheralValues;
    checkValues(model, values);
    spec.values = values;
  }
  return spec;
}

/** A peripherals file's text → specs; every error names the file and the entry. */
export function parsePeripherals(text: string, source = 'peripherals'): PeripheralSpec[] {
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source}: invalid JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(list)) throw new Error(`${source}: expected a JSON array of {"mac","model","fault"?,"values"?}`);
  const seen = new Set<string>();
  return list.map((entry, i) => {
    let spec: PeripheralSpec;
    try {
      spec = parseEntry(entry);
    } catch (e) {
      throw new Error(`${source}: entry ${i}: ${(e as Error).message}`);
    }
    if (seen.has(spec.mac)) throw new Error(`${source}: entry ${i}: MAC ${spec.mac} is listed twice`);
    seen.add(spec.mac);
    return spec;
  });
}

export function readPeripheralsFile(path: string): PeripheralSpec[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read peripherals file ${path}: ${(e as Error).message}`);
  }
  return parsePeripherals(text, path);
}

/** `--fault A4C1381A2B01=no-response` (also `A4:C1:…=missing-characteristic:ebe0ccbe`). */
export function parseFaultOption(text: string): { mac: string; fault: Fault } {
  const eq = text.indexOf('=');
  if (eq < 0) throw new Error(`--fault wants MAC=fault, got "${text}"`);
  const mac = normalizeMac(text.slice(0, eq));
  if (!mac) throw new Error(`--fault: bad MAC "${text.slice(0, eq)}" (12 hex digits, colons allowed)`);
  try {
    return { mac, fault: parseFault(text.slice(eq + 1)) };
  } catch (e) {
    throw new Error(`--fault ${text}: ${(e as Error).message}`);
  }
}

export interface SimGattSetup extends SimGattLinkOptions {
  /** Default DEMO_PERIPHERALS. */
  peripherals?: readonly PeripheralSpec[];
  /** Applied after the peripherals' own faults; a MAC that is not served is an error. */
  faults?: readonly { mac: string; fault: Fault }[];
}

/** The link `mi32 run` uses: the peripherals served, faults applied. */
export function createSimGattLink(clock: Clock, setup: SimGattSetup = {}): SimGattLink {
  const { peripherals = DEMO_PERIPHERALS, faults = [], ...options } = setup;
  const link = new SimGattLink(clock, options);
  for (const p of peripherals) link.add(p.mac, p.model, { values: p.values, fault: p.fault, ...(p.security ? { security: p.security } : {}) });
  for (const { mac, fault } of faults) {
    if (!link.peripheral(mac)) throw new Error(`--fault ${mac}=${formatFault(fault)}: no simulated peripheral at ${mac} (served: ${link.peripherals.map((p) => p.mac).join(', ')})`);
    link.setFault(mac, fault);
  }
  return link;
}
