// The device table: product id -> model, display name and entities. One table, data
// only. Sources: Tasmota MI32's type list (display names for the 18 MI32 types, and
// its fake PIDs for non-MiBeacon formats), and xiaomi-ble's DEVICE_TYPES (every other
// MiBeacon PID; see ../shared/reference/xiaomi-ble-devices.md).
//
// `name` is the short name used in MQTT keys ("LYWSD03-a1b2c3"). For the MI32 types it
// is Tasmota's exact name; for devices Tasmota does not know (it would print MI_<PID>)
// it is the model with punctuation removed.

import { hex4 } from '../bytes/hex.js';

export interface DeviceType {
  pid: number;
  /** Manufacturer model number, e.g. "LYWSD03MMC". */
  model: string;
  /** Short display name used in MQTT JSON keys, e.g. "LYWSD03". */
  name: string;
  description: string;
  vendor: string;
  /** Value keys this device reports (Tasmota SENSOR JSON names). */
  entities: readonly string[];
  /** Battery objects in adverts are bogus for this model (Tasmota drops them). */
  bogusBattery?: boolean;
  /** Buttons on the device (Button1..N), when it has more than one: HomeKit shows a switch per button before any is pressed. */
  buttons?: number;
}

// Entity sets shared by many rows.
const TH = 'Temperature Humidity Battery';
const BUTTON = 'Button Battery';
const LOCK = 'Lock Door Battery';
const SCALE = 'Weight ImpedanceLow ImpedanceHigh HeartRate Stabilized';

// [pid, model, name, description, entities, vendor?, bogusBattery?, buttons?]
type Row = [number, string, string, string, string, string?, boolean?, number?];

const ROWS: Row[] = [
  // --- the 18 Tasmota MI32 types (names exactly as Tasmota prints them) ---
  [0x0098, 'HHCCJCY01', 'Flora', 'Plant Sensor', 'Temperature Illuminance Moisture Fertility Battery'],
  [0x01aa, 'LYWSDCGQ', 'MJ_HT_V1', 'Temperature/Humidity Sensor', TH],
  [0x045b, 'LYWSD02', 'LYWSD02', 'Temperature/Humidity Sensor', TH],
  [0x055b, 'LYWSD03MMC', 'LYWSD03', 'Temperature/Humidity Sensor', TH, 'Xiaomi', true],
  [0x0347, 'CGG1', 'CGG1', 'Temperature/Humidity Sensor', TH],
  [0x0576, 'CGD1', 'CGD1', '3-in-1 Alarm Clock', TH],
  [0x03dd, 'MUE4094RT', 'NLIGHT', 'Nightlight', 'Motion NMT'],
  [0x07f6, 'MJYD02YL', 'MJYD2S', 'Nightlight', 'Motion NMT Illuminance Battery'],
  [0x0153, 'YLYK01YL', 'YLYK01', 'Remote Control', 'Button', 'Xiaomi', false, 6],
  [0x0387, 'MHO-C401', 'MHOC401', 'Temperature/Humidity Sensor', TH, 'Xiaomi', true],
  [0x06d3, 'MHO-C303', 'MHOC303', 'Alarm Clock', TH],
  [0x0a1c, 'ATC', 'ATC', 'ATC1441 custom firmware', 'Temperature Humidity Battery Voltage', 'atc1441'],
  [0x098b, 'MCCGQ02HL', 'MCCGQ02', 'Door/Window Sensor', 'Door Light Battery'],
  [0x0863, 'SJWS01LM', 'SJWS01L', 'Flood Detector', 'Leak Button Battery'],
  [0x944a, 'PVVX', 'PVVX', 'pvvx custom firmware', 'Temperature Humidity Battery Voltage', 'pvvx'],
  [0x03b6, 'YLKG07YL/YLKG08YL', 'YLKG08', 'Dimmer Switch', 'Button Dimmer'],
  [0x07bf, 'YLAI003', 'YLAI003', 'Wireless Switch', BUTTON],
  [0xb770, 'BTHome', 'BTHOME', 'BTHome v2 device', '', 'BTHome'],
  // Tasmota's _ble driver: Avago Tech buttons, PID = their company id (manufacturer data)
  [0x004e, 'ATBTN', 'ATBTN', 'Bluetooth Button', 'Button', 'Avago Tech'],
  // --- every other MiBeacon product id known to xiaomi-ble ---
  [0x0083, 'YM-K1501', 'YMK1501', 'Smart Kettle', 'Temperature PowerState'],
  [0x00db, 'MMC-T201-1', 'MMCT2011', 'Baby Thermometer', 'Temperature Battery'],
  [0x0113, 'YM-K1501EU', 'YMK1501EU', 'Smart Kettle', 'Temperature PowerState'],
  [0x015d, 'HHCCPOT002', 'HHCCPOT002', 'Smart Flower Pot', 'Moisture Fertility'],
  [0x02df, 'JQJCY01YM', 'JQJCY01YM', 'Formaldehyde Sensor', 'Temperature Humidity Formaldehyde Battery'],
  [0x0380, 'DSL-C08', 'DSLC08', 'Door Lock', LOCK],
  [0x0391, 'MMC-W505', 'MMCW505', 'Body Thermometer', 'Temperature Battery'],
  [0x03bc, 'GCLS002', 'GCLS002', 'Grow Care Garden', 'Temperature Illuminance Moisture Fertility Battery'],
  [0x03bf, 'YLYB01YL-BHFRC', 'YLYB01YL', 'Bathroom Heater Remote', 'Button'],
  [0x03d6, 'CGH1', 'CGH1', 'Door/Window Sensor', 'Door Light Battery'],
  [0x040a, 'WX08ZM', 'WX08ZM', 'Mosquito Repellent', 'PowerState Consumable Battery'],
  [0x045c, 'V-SK152', 'VSK152', 'Smart Kettle', 'Temperature PowerState'],
  [0x0489, 'M1S-T500', 'M1ST500', 'Smart Toothbrush', 'Toothbrush Score Count Battery'],
  [0x04e1, 'XMMF01JQD', 'XMMF01JQD', 'Magic Cube', 'Button'],
  [0x04e6, 'YLYK01YL-VENFAN', 'YLYK01VF', 'Ventilator Fan Remote Control', 'Button'],
  [0x04e9, 'MJZNMSQ01YD', 'MJZNMSQ01YD', 'Door Lock', LOCK],
  [0x0599, 'MJZNMS03LM', 'MJZNMS03LM', 'Door Lock', LOCK],
  [0x066f, 'CGDK2', 'CGDK2', 'Temperature/Humidity Sensor', TH],
  [0x068e, 'YLYK01YL-FANCL', 'YLYK01FC', 'Fan Remote Control', 'Button'],
  [0x069e, 'ZNMS16LM', 'ZNMS16LM', 'Door Lock', LOCK],
  [0x069f, 'ZNMS17LM', 'ZNMS17LM', 'Door Lock', LOCK],
  [0x0784, 'XMZNMS04LM', 'XMZNMS04LM', 'Door Lock', LOCK],
  [0x0806, 'T700', 'T700', 'Smart Toothbrush', 'Toothbrush Score Count Battery'],
  [0x098c, 'XMZNMST02YD', 'XMZNMST02YD', 'Door Lock', LOCK],
  [0x0997, 'JTYJGD03MI', 'JTYJGD03MI', 'Smoke Detector', 'Smoke Button Battery'],
  [0x0a83, 'CGPR1', 'CGPR1', 'Motion/Light Sensor', 'Motion NMT Illuminance Light Battery'],
  [0x0a8d, 'RTCGQ02LM', 'RTCGQ02LM', 'Motion Sensor', 'Motion NMT Light Button Battery'],
  [0x0b48, 'CGG1-ENCRYPTED', 'CGG1E', 'Temperature/Humidity Sensor', TH],
  [0x0c3c, 'CGC1', 'CGC1', 'Alarm Clock', TH],
  [0x0de7, 'SU001-T', 'SU001T', 'Odor Eliminator', 'PowerState Battery'],
  [0x0dfd, 'K9B-3BTN', 'K9B3BTN', 'Switch (triple button)', 'Button'],
  [0x0e39, 'XMZNMS08LM', 'XMZNMS08LM', 'Door Lock', LOCK],
  [0x11c2, 'Lockin-SV40', 'SV40', 'Door Lock', LOCK],
  [0x1203, 'XMWSDJ04MMC', 'XMWSDJ04MMC', 'Thermometer', TH],
  [0x1568, 'K9B-1BTN', 'K9B1BTN', 'Switch (single button)', 'Button'],
  [0x1569, 'K9B-2BTN', 'K9B2BTN', 'Switch (double button)', 'Button'],
  [0x16e4, 'LYWSD02MMC', 'LYWSD02MMC', 'Temperature/Humidity Sensor', TH],
  [0x1790, 'T700', 'T700', 'Smart Toothbrush', 'Toothbrush Score Count Battery'],
  [0x1889, 'MS1BB(MI)', 'MS1BB', 'Door/Window Sensor', 'Door Button Battery'],
  [0x1949, 'XMWXKG01YL', 'XMWXKG01YL', 'Switch (double button)', BUTTON],
  [0x1c10, 'K9BB-1BTN', 'K9BB1BTN', 'Switch (single button)', BUTTON],
  [0x2387, 'XMWXKG01LM', 'XMWXKG01LM', 'Button', BUTTON],
  [0x2542, 'LYWSD02MMC', 'LYWSD02MMC', 'Temperature/Humidity Sensor', TH],
  [0x2832, 'MJWSD05MMC', 'MJWSD05MMC', 'Temperature/Humidity Sensor', TH],
  [0x2aeb, 'HS1BB(MI)', 'HS1BB', 'Motion Sensor', 'Motion NMT Illuminance Battery'],
  [0x30d9, 'MJTZC01YM', 'MJTZC01YM', 'Body Composition Scale', SCALE],
  [0x3531, 'XMPIRO2SXS', 'XMPIRO2SXS', 'Motion Sensor', 'Motion NMT Illuminance Battery'],
  [0x38bb, 'PTX_YK1_QMIMB', 'PTXYK1', 'Wireless Switch', BUTTON],
  [0x3a61, 'KS1', 'KS1', 'Switch (quadruple button)', BUTTON],
  [0x3bd5, 'MJTZC01YM', 'MJTZC01YM', 'Body Composition Scale', SCALE],
  [0x3e17, 'KS1BP', 'KS1BP', 'Switch (quadruple button)', BUTTON],
  [0x3f0f, 'RS1BB(MI)', 'RS1BB', 'Flood and Rain Sensor', 'Leak Battery'],
  [0x3f4c, 'PS1BB', 'PS1BB', 'Seat Pressure Sensor', 'Occupancy Battery', 'Linptech'],
  [0x45c9, 'MJTZC02YM', 'MJTZC02YM', 'Smart Scale S200', SCALE],
  [0x4683, 'XMOSB01XS', 'XMOSB01XS', 'Occupancy Sensor', 'Occupancy Illuminance Battery'],
  [0x48cf, 'MJTZC01YM', 'MJTZC01YM', 'Body Composition Scale', SCALE],
  [0x4b05, 'MJTZC03YM', 'MJTZC03YM', 'Body Composition Scale', SCALE],
  [0x4c04, 'MJTZC02YM', 'MJTZC02YM', 'Smart Scale S200', SCALE],
  [0x4c47, 'MJWSD05MMC', 'MJWSD05MMC', 'Temperature/Humidity Sensor', TH],
  [0x4c60, 'XMPIRO2GSXS', 'XMPIRO2GSXS', 'Motion Sensor', 'Motion NMT Illuminance Battery'],
  [0x4dcb, 'MJTZC02YM', 'MJTZC02YM', 'Smart Scale S200', SCALE],
  [0x4f59, 'CGDK3', 'CGDK3', 'Temperature/Humidity Sensor', TH],
  [0x50fb, 'ES3', 'ES3', 'Human Presence Sensor', 'Occupancy Illuminance', 'Linptech'],
  [0x520b, 'KS2BB', 'KS2BB', 'Temperature/Humidity Sensor with Button', 'Temperature Humidity Button Battery', 'Linptech'],
  [0x55b5, 'MJWSD06MMC', 'MJWSD06MMC', 'Temperature/Humidity Sensor', TH],
  [0x5968, 'XMWS01XS', 'XMWS01XS', 'Switch (double button)', BUTTON],
  [0x59fa, 'M2457B1', 'M2457B1', 'Smart Band 10', 'Asleep Wearing'],
  [0x59fb, 'M2456B1', 'M2456B1', 'Smart Band 10 NFC', 'Asleep Wearing'],
  [0x59fc, 'M2456B1', 'M2456B1', 'Smart Band 10 Ceramic Edition', 'Asleep Wearing'],
  [0x5bea, 'MJWSD06MMC', 'MJWSD06MMC', 'Temperature/Humidity Sensor', TH],
  [0x5db1, 'MBS17', 'MBS17', 'Temperature/Humidity Sensor', TH],
  [0x6188, 'M2456B1', 'M2456B1', 'Smart Band 10 Glimmer Edition', 'Asleep Wearing'],
  [0x6375, 'SJWS02LM', 'SJWS02LM', 'Water Leak Sensor 2', 'Leak Battery'],
  [0x6a0f, 'ES5BB', 'ES5BB', 'Human Presence Sensor', 'Occupancy Illuminance', 'Linptech'],
  [0x78d1, 'MC-COMM', 'MCCOMM', 'Door/Window Sensor', 'Door Battery'],
  [0x78db, 'ESM787', 'ESM787', 'Temperature/Humidity Sensor', TH, 'Yanmi'],
  // --- Qingping models that only speak 0xFDCD (no MiBeacon PID: fake 0xCC00 | Qingping id) ---
  [0xcc09, 'CGP1W', 'CGP1W', 'Temperature/Humidity/Pressure Monitor', 'Temperature Humidity Pressure Battery', 'Qingping'],
  [0xcc0e, 'CGDN1', 'CGDN1', 'Air Monitor Lite', 'Temperature Humidity PM2.5 PM10 CO2', 'Qingping'],
  [0xcc5d, 'CGP22C', 'CGP22C', 'CO2/Temperature/Humidity Monitor', 'Temperature Humidity CO2 Battery', 'Qingping'],
  [0xcc18, 'CGP23W', 'CGP23W', 'Temperature/Humidity/Pressure Monitor', 'Temperature Humidity Pressure Battery', 'Qingping'],
  // --- fixed-layout service data (fake PID = the service UUID) ---
  [0x181d, 'XMTZC01HM/XMTZC04HM', 'MISCALE', 'Mi Smart Scale', 'Weight WeightNonStabilized Stabilized'],
  [0x181b, 'XMTZC02HM/XMTZC05HM/NUN4049CN', 'MIBFS', 'Mi Body Composition Scale', 'Weight WeightNonStabilized Stabilized Impedance'],
  [0xfd50, 'HHCCJCY10', 'HHCCJCY10', 'Plant Sensor (pink)', 'Temperature Illuminance Moisture Fertility Battery', 'HHCC'],
  // --- known to ble_monitor, not to xiaomi-ble ---
  [0x20db, 'MJZNZ018H', 'MJZNZ018H', 'Smart Pillow', 'Battery'],
  [0x64c5, 'PTX-F1-Display', 'PTXF1', 'Display Switch', BUTTON],
];

export const DEVICE_TYPES: readonly DeviceType[] = ROWS.map(([pid, model, name, description, entities, vendor, bogusBattery, buttons]) => ({
  pid,
  model,
  name,
  description,
  vendor: vendor ?? 'Xiaomi',
  entities: entities ? entities.split(' ') : [],
  ...(bogusBattery ? { bogusBattery } : {}),
  ...(buttons ? { buttons } : {}),
}));

const BY_PID = new Map<number, DeviceType>(DEVICE_TYPES.map((d) => [d.pid, d]));

/** Fake product ids Tasmota writes into mi32cfg for devices that are not MiBeacons. */
export const FAKE_PID = { ATC: 0x0a1c, PVVX: 0x944a, BTHOME: 0xb770, SCALE_V1: 0x181d, SCALE_V2: 0x181b, HHCCJCY10: 0xfd50 } as const;

export function deviceByPid(pid: number): DeviceType | undefined {
  return BY_PID.get(pid);
}

/** Tasmota's name for a product id it does not know: MI_<PID, 4 uppercase hex>. */
export function unknownDeviceName(pid: number): string {
  return 'MI_' + pid.toString(16).toUpperCase().padStart(4, '0');
}

/** 4 lowercase hex digits, the mi32cfg "PID" form. */
export function pidHex(pid: number): string {
  return hex4(pid);
}

/** Tasmota's sensor name: type + "-" + last 3 MAC bytes in lowercase hex ("LYWSD03-a1b2c3"). */
export function deviceName(type: string, mac: string): string {
  return type + '-' + mac.slice(6).toLowerCase();
}
