// What the scooter driver polls, and how each reply reads, as data (reference §5.2–5.4,
// vectors §9 V13). Registers are 16-bit little-endian words; a read of N bytes from
// register C returns C, C+1, …. A reply shorter than its layout is ignored, not guessed.

import { s16le, u16le, u32le } from '../bytes/read.js';
import { UART_ADDRESS } from '../miauth/uart.js';

/** The scooter's readings under their SENSOR JSON names (units in the README). */
export type ScooterValues = Record<string, number | number[]>;

export interface RegisterRead {
  /** Who is asked: the ESC (0x20) or the BMS (0x22). */
  address: number;
  register: number;
  /** Bytes asked for (2 per register). */
  count: number;
  decode(data: Uint8Array, into: ScooterValues): void;
}

const round = (value: number, decimals: number) => Math.round(value * 10 ** decimals) / 10 ** decimals;

/** The live block 0xB0…0xBF (32 bytes), as the Mi Home app polls it. */
const ESC_LIVE: RegisterRead = {
  address: UART_ADDRESS.esc, register: 0xb0, count: 0x20,
  decode: (d, v) => {
    if (d.length < 0x18) return;
    v.Error = u16le(d, 0);
    v.Warning = u16le(d, 2);
    // Status flags (0xB2): bit 1 = locked (m365py).
    v.Locked = (u16le(d, 4) & 0x02) !== 0 ? 1 : 0;
    v.Battery = u16le(d, 8);
    v.Speed = round(s16le(d, 10) / 1000, 1); // m/h → km/h
    v.AverageSpeed = round(u16le(d, 12) / 1000, 1);
    v.Odometer = round(u32le(d, 14) / 1000, 3); // m → km
    v.Trip = round(u16le(d, 18) / 100, 2); // 10 m units → km (reference §5.2: to be checked on a scooter)
    v.Uptime = u16le(d, 20);
    v.Temperature = round(s16le(d, 22) / 10, 1);
  },
};

/** Capacity, percent, current, voltage and the two pack temperatures (0x31…0x35). */
const BMS_STATE: RegisterRead = {
  address: UART_ADDRESS.bms, register: 0x31, count: 0x0a,
  decode: (d, v) => {
    if (d.length < 0x0a) return;
    v.Capacity = u16le(d, 0); // mAh left
    v.BatteryLevel = u16le(d, 2); // % as the BMS counts it
    v.Current = round(s16le(d, 4) / 100, 2); // 10 mA units; negative = charging
    v.Voltage = round(u16le(d, 6) / 100, 2); // 10 mV units
    v.BatteryTemperature = [d[8]! - 20, d[9]! - 20];
  },
};

/** Ten cell voltages (0x40…0x49, mV); unused cells read 0 and are left out. */
const BMS_CELLS: RegisterRead = {
  address: UART_ADDRESS.bms, register: 0x40, count: 0x14,
  decode: (d, v) => {
    const cells: number[] = [];
    for (let at = 0; at + 1 < d.length && cells.length < 10; at += 2) {
      const mv = u16le(d, at);
      if (mv > 0) cells.push(round(mv / 1000, 3));
    }
    if (cells.length > 0) v.Cells = cells;
  },
};

const ESC_RANGE: RegisterRead = {
  address: UART_ADDRESS.esc, register: 0x25, count: 2,
  decode: (d, v) => { if (d.length >= 2) v.Range = round(u16le(d, 0) / 100, 2); }, // 10 m units → km
};

/** KERS level, cruise control, tail light (0x7B…0x7D). */
const ESC_SETTINGS: RegisterRead = {
  address: UART_ADDRESS.esc, register: 0x7b, count: 6,
  decode: (d, v) => {
    if (d.length < 6) return;
    v.Kers = u16le(d, 0);
    v.Cruise = u16le(d, 2) ? 1 : 0;
    v.Light = u16le(d, 4) ? 1 : 0; // 2 = on (1 = "on brake" on some firmware)
  },
};

/** One poll, in order (the seed client's set, plus cells and settings). */
export const SCOOTER_POLL: readonly RegisterRead[] = [ESC_LIVE, BMS_STATE, BMS_CELLS, ESC_RANGE, ESC_SETTINGS];

/** The writes MI32Scooter offers: register and value per action (reference §5.2). */
export const SCOOTER_WRITES: Readonly<Record<string, (on: number) => { register: number; value: number }>> = {
  lock: () => ({ register: 0x70, value: 1 }),
  unlock: () => ({ register: 0x71, value: 1 }),
  cruise: (on) => ({ register: 0x7c, value: on ? 1 : 0 }),
  light: (on) => ({ register: 0x7d, value: on ? 2 : 0 }),
};

/** Actions that take 0|1. */
export const SWITCH_WRITES = new Set(['cruise', 'light']);
