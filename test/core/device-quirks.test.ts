// Device quirks are data: flags on the device table's row (firmware/core/devices/table.ts,
// keyed by PID) that the decoders ask, never a model string. Each flag is shown changing
// the decode of the object it concerns for a PID that has it, against a PID that has not.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeServiceData } from '../../firmware/core/decode.js';
import { isError, type DecodeResult } from '../../firmware/core/decoders/types.js';
import { DEVICE_TYPES, deviceByPid, type DeviceQuirks } from '../../firmware/core/devices/table.js';
import { createNodeAes } from '../../host-sim/crypto.js';
import { bytes, miBeacon } from '../helpers/frames.js';

const ctx = { aes: createNodeAes(), keyFor: () => undefined };
const MAC = 'A4C138AABBCC';

function mibeaconValues(pid: number, id: number, value: string): unknown {
  const r = decodeServiceData(0xfe95, miBeacon({ pid, mac: MAC, objects: [[id, bytes(value)]] }), MAC, ctx);
  return isError(r) ? r.error : r.values;
}

// flag, PID with it, PID without it (same kind of device), object id, value bytes, values with, values without
const CASES: [keyof DeviceQuirks, number, number, number, string, object, object][] = [
  ['buttonOne', 0x2387, 0x3a61, 0x4a0c, '02', { Button1: 1 }, { Button2: 1 }],
  ['zeroBasedKeys', 0x5968, 0x3a61, 0x4a0c, '01', { Button2: 1 }, { Button1: 1 }],
  ['swappedPress', 0x1568, 0x0153, 0x1001, '010001', { Button1: 3 }, { Button1: 2 }],
  ['lightFlag', 0x098b, 0x03bc, 0x1007, '640000', { Light: 1 }, { Illuminance: 100 }],
  ['noMotionOnIlluminance', 0x07f6, 0x03bc, 0x1007, '050000', { Illuminance: 5, Motion: 0 }, { Illuminance: 5 }],
  ['knob', 0x03b6, 0x0153, 0x1001, '000203', { Button0: 2 }, { Button0: 4 }],
  ['occupancyExact', 0x4683, 0x50fb, 0x484e, '02', { Occupancy: 0 }, { Occupancy: 1 }],
  ['lockKinds', 0x069f, 0x069e, 0x000b, '02000000007c442f61',
    { Antilock: 1, KeyId: 'administrator', LockMethod: 'bluetooth', LockAction: 'turn_on_antilock' },
    { Lock: 1, KeyId: 'administrator', LockMethod: 'bluetooth', LockAction: 'turn_on_antilock' }],
  ['armedHandle', 0x0380, 0x069e, 0x0008, '00', { Armed: 1, Lock: 0, LockAction: 'lock_outside_the_door', LockMethod: 'manual' }, { Armed: 1 }],
];

describe('device quirks are flags on the row', () => {
  for (const [flag, withPid, withoutPid, id, value, withValues, withoutValues] of CASES) {
    it(`${flag}: ${deviceByPid(withPid)?.model} reads 0x${id.toString(16)} its own way, ${deviceByPid(withoutPid)?.model} the common way`, () => {
      expect(deviceByPid(withPid)?.[flag]).toBe(true);
      expect(deviceByPid(withoutPid)?.[flag]).toBeFalsy();
      expect(mibeaconValues(withPid, id, value)).toEqual(withValues);
      expect(mibeaconValues(withoutPid, id, value)).toEqual(withoutValues);
    });
  }

  it('macFromSender: a CGDN1 Qingping frame is its sender\'s; other models must carry their own MAC', () => {
    // frame control, Qingping id, a MAC (reversed) that is not the sender's, TLV 0x01: 23.2 °C, 50.0 %
    const frame = (qingpingId: number) => bytes(`88${qingpingId.toString(16).padStart(2, '0')}ffeeddccbbaa0104e800f401`);
    const cgdn1 = decodeServiceData(0xfdcd, frame(0x24), MAC, ctx);
    expect(cgdn1).toMatchObject({ mac: MAC, model: 'CGDN1', type: 'CGD1', pid: '0576', values: { Temperature: 23.2, Humidity: 50 } });
    expect(decodeServiceData(0xfdcd, frame(0x09), MAC, ctx)).toMatchObject({ code: 'mac-mismatch', model: 'CGP1W' });
    expect(DEVICE_TYPES.filter((d) => d.macFromSender).map((d) => d.model)).toEqual(['CGDN1']);
  });

  it('every flag a row carries is shown above (a new flag comes with its case)', () => {
    const shown = new Set<string>([...CASES.map((c) => c[0]), 'macFromSender', 'bogusBattery']);
    const QUIRK_FLAGS = ['bogusBattery', 'buttonOne', 'zeroBasedKeys', 'swappedPress', 'lightFlag', 'noMotionOnIlluminance', 'knob', 'occupancyExact', 'lockKinds', 'armedHandle', 'macFromSender'];
    const carried = new Set(DEVICE_TYPES.flatMap((d) => Object.keys(d).filter((k) => typeof (d as unknown as Record<string, unknown>)[k] === 'boolean')));
    expect([...carried].sort()).toEqual([...QUIRK_FLAGS].sort());
    expect([...carried].filter((f) => !shown.has(f))).toEqual([]);
  });

  it('no decoder compares a model string (the row says how a model differs)', () => {
    const dir = fileURLToPath(new URL('../../firmware/core/decoders/', import.meta.url));
    const offending = readdirSync(dir).filter((f) => f.endsWith('.ts')).flatMap((f) => readFileSync(dir + f, 'utf8').split('\n')
      .map((line, i) => [`${f}:${i + 1}`, line] as const)
      .filter(([, line]) => /\bmodel\s*[!=]==|===?\s*model\b|includes\(model\)|_MODELS\b|\bMODELS\b/.test(line)).map(([at]) => at));
    expect(offending).toEqual([]);
  });

  it('one device table: Qingping ids, GATT operations and decoders\' models come from its rows', () => {
    const qingping = DEVICE_TYPES.flatMap((d) => (d.qingpingIds ?? []).map((id) => [id, d.model]));
    expect(Object.fromEntries(qingping)).toEqual({ 1: 'CGG1', 7: 'CGG1', 9: 'CGP1W', 12: 'CGD1', 14: 'CGDN1', 18: 'CGPR1', 24: 'CGP23W', 36: 'CGDN1', 93: 'CGP22C' });
    expect(DEVICE_TYPES.filter((d) => d.gatt?.clock).map((d) => d.model)).toEqual(['LYWSD02', 'LYWSD03MMC', 'MHO-C401']);
    expect(DEVICE_TYPES.filter((d) => d.gatt?.battery).map((d) => d.model)).toEqual(['HHCCJCY01', 'LYWSD02', 'LYWSD03MMC', 'CGD1', 'MHO-C401']);
  });
});

/** A reading's identity, for the decoders whose PID is fixed by the format. */
function identity(r: DecodeResult): unknown {
  return isError(r) ? r.error : { model: r.model, type: r.type, pid: r.pid };
}

describe('fixed-PID formats take their model and name from the table', () => {
  it('scales, HHCCJCY10 and BTHome', () => {
    expect(identity(decodeServiceData(0x181d, bytes('2204a0c8070c0a0b0c0d'), MAC, ctx))).toEqual({ model: 'XMTZC01HM/XMTZC04HM', type: 'MISCALE', pid: '181d' });
    expect(identity(decodeServiceData(0xfd50, bytes('1e00f00000640a00c8'), MAC, ctx))).toEqual({ model: 'HHCCJCY10', type: 'HHCCJCY10', pid: 'fd50' });
    expect(identity(decodeServiceData(0xfcd2, bytes('40016402c409'), MAC, ctx))).toEqual({ model: 'BTHome', type: 'BTHOME', pid: 'b770' });
  });
});
