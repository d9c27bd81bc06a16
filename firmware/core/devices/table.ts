// The device table: product id -> model, display name, entities, and how the model departs
// from the common decoding (quirk flags) and what the GATT commands do on it. One table,
// data only: the decoders look the row up once per frame by PID and ask its flags, never a
// model string. Sources: Tasmota MI32's type list (display names for the 18 MI32 types, and
// its fake PIDs for non-MiBeacon formats), and xiaomi-ble's DEVICE_TYPES (every other
// MiBeacon PID; see ../shared/reference/xiaomi-ble-devices.md).
//
// `name` is the short name used in MQTT keys ("LYWSD03-a1b2c3"). For the MI32 types it
// is Tasmota's exact name; for devices Tasmota does not know (it would print MI_<PID>)
// it is the model with punctuation removed.

import { hex4 } from '../bytes/hex.js';
import { GATT_OPS, type DeviceGatt } from '../gatt/device-ops.js';
import type { ValueKey } from '../values/keys.js';

/** How a model departs from the common decoding of its format. Absent = the common way. */
export interface DeviceQuirks {
  /** Battery objects in adverts are bogus for this model (Tasmota drops them). */
  bogusBattery?: boolean;
  /** A single-key switch (XMWXKG01LM): every press is Button1 (Tasmota guesses the key from the object length). */
  buttonOne?: boolean;
  /** Numbers its keys from 0 in the press objects 0x4A0C..0x4A0E (XMWS01XS). */
  zeroBasedKeys?: boolean;
  /** 0x1001 has double and long press swapped (K9B wall switches, xiaomi-ble). */
  swappedPress?: boolean;
  /** Its 0x1007/0x000F "illuminance" is a light/dark flag (100 = light), reported as Light. */
  lightFlag?: boolean;
  /** 0x1007 (illuminance alone) is also its "no motion" event, Motion 0 (Tasmota's MJYD2S). */
  noMotionOnIlluminance?: boolean;
  /** The YLKG07YL/08YL knob: in 0x1001 type 3 counts presses, and key 1 type 3 is a hold. */
  knob?: boolean;
  /** 0x484E: only 1 means occupied (XMOSB01XS sends 0 and 2 for clear); other sensors: any non-zero. */
  occupancyExact?: boolean;
  /** 0x000B tells the lock, child lock and anti-lock apart (ZNMS17LM); other locks report every action on Lock. */
  lockKinds?: boolean;
  /** 0x0008 (armed) also reports lifting the outside handle, as a lock action (DSL-C08). */
  armedHandle?: boolean;
  /** Its Qingping (0xFDCD) frames do not carry its own MAC: the sender's address is the device's (CGDN1). */
  macFromSender?: boolean;
}

export interface DeviceType extends DeviceQuirks {
  pid: number;
  /** Manufacturer model number, e.g. "LYWSD03MMC". */
  model: string;
  /** Short display name used in MQTT JSON keys, e.g. "LYWSD03". */
  name: string;
  description: string;
  vendor: string;
  /** Value keys this device reports (Tasmota SENSOR JSON names). */
  entities: readonly ValueKey[];
  /** What MI32Battery, MI32Time and MI32Unit do on this model (gatt/device-ops.ts); absent: not supported. */
  gatt?: DeviceGatt;
  /** Qingping's own device ids (byte 1 of a 0xFDCD frame) that mean this model. */
  qingpingIds?: readonly number[];
  /** Buttons on the device, when it has more than one: HomeKit shows a switch per button before any is pressed. */
  buttons?: number;
  /** The number of its first button key when not 1 (the YLYK01YL remote sends Button0..Button5). */
  firstButton?: number;
}

/** The row of a device with no quirks, for PIDs the table does not know. */
export const NO_QUIRKS: DeviceQuirks = Object.freeze({});

// Entity sets shared by many rows.
const TH: ValueKey[] = ['Temperature', 'Humidity', 'Battery'];
const BUTTON: ValueKey[] = ['Button', 'Battery'];
const LOCK: ValueKey[] = ['Lock', 'Door', 'Battery'];
const SCALE: ValueKey[] = ['Weight', 'ImpedanceLow', 'ImpedanceHigh', 'HeartRate', 'Stabilized'];

/** What a row may add: a vendor other than Xiaomi, quirks, GATT operations, Qingping ids, the button count. */
type RowExtra = Partial<Pick<DeviceType, 'vendor' | 'gatt' | 'qingpingIds' | 'buttons' | 'firstButton'>> & DeviceQuirks;

// [pid, model, name, description, entities, extra?]
type Row = [number, string, string, string, readonly ValueKey[], RowExtra?];

const ROWS: Row[] = [
  // --- the 18 Tasmota MI32 types (names exactly as Tasmota prints them) ---
  [0x0098, 'HHCCJCY01', 'Flora', 'Plant Sensor', ['Temperature', 'Illuminance', 'Moisture', 'Fertility', 'Battery'], { gatt: GATT_OPS.flora }],
  [0x01aa, 'LYWSDCGQ', 'MJ_HT_V1', 'Temperature/Humidity Sensor', TH],
  [0x045b, 'LYWSD02', 'LYWSD02', 'Temperature/Humidity Sensor', TH, { gatt: GATT_OPS.lywsd02 }],
  [0x055b, 'LYWSD03MMC', 'LYWSD03', 'Temperature/Humidity Sensor', TH, { bogusBattery: true, gatt: GATT_OPS.xiaomiThermometer }],
  [0x0347, 'CGG1', 'CGG1', 'Temperature/Humidity Sensor', TH, { qingpingIds: [0x01, 0x07] }],
  [0x0576, 'CGD1', 'CGD1', '3-in-1 Alarm Clock', TH, { gatt: GATT_OPS.cgd1, qingpingIds: [0x0c] }],
  [0x03dd, 'MUE4094RT', 'NLIGHT', 'Nightlight', ['Motion', 'NMT']],
  [0x07f6, 'MJYD02YL', 'MJYD2S', 'Nightlight', ['Motion', 'NMT', 'Illuminance', 'Battery'], { noMotionOnIlluminance: true }],
  [0x0153, 'YLYK01YL', 'YLYK01', 'Remote Control', ['Button'], { buttons: 6, firstButton: 0 }],
  [0x0387, 'MHO-C401', 'MHOC401', 'Temperature/Humidity Sensor', TH, { bogusBattery: true, gatt: GATT_OPS.xiaomiThermometer }],
  [0x06d3, 'MHO-C303', 'MHOC303', 'Alarm Clock', TH],
  [0x0a1c, 'ATC', 'ATC', 'ATC1441 custom firmware', ['Temperature', 'Humidity', 'Battery', 'Voltage'], { vendor: 'atc1441' }],
  [0x098b, 'MCCGQ02HL', 'MCCGQ02', 'Door/Window Sensor', ['Door', 'Light', 'Battery'], { lightFlag: true }],
  [0x0863, 'SJWS01LM', 'SJWS01L', 'Flood Detector', ['Leak', 'Button', 'Battery']],
  [0x944a, 'PVVX', 'PVVX', 'pvvx custom firmware', ['Temperature', 'Humidity', 'Battery', 'Voltage'], { vendor: 'pvvx' }],
  [0x03b6, 'YLKG07YL/YLKG08YL', 'YLKG08', 'Dimmer Switch', ['Button', 'Dimmer'], { knob: true }],
  [0x07bf, 'YLAI003', 'YLAI003', 'Wireless Switch', BUTTON],
  [0xb770, 'BTHome', 'BTHOME', 'BTHome v2 device', [], { vendor: 'BTHome' }],
  // Tasmota's _ble driver: Avago Tech buttons, PID = their company id (manufacturer data)
  [0x004e, 'ATBTN', 'ATBTN', 'Bluetooth Button', ['Button'], { vendor: 'Avago Tech' }],
  // --- every other MiBeacon product id known to xiaomi-ble ---
  [0x0083, 'YM-K1501', 'YMK1501', 'Smart Kettle', ['Temperature', 'PowerState']],
  [0x00db, 'MMC-T201-1', 'MMCT2011', 'Baby Thermometer', ['Temperature', 'Battery']],
  [0x0113, 'YM-K1501EU', 'YMK1501EU', 'Smart Kettle', ['Temperature', 'PowerState']],
  [0x015d, 'HHCCPOT002', 'HHCCPOT002', 'Smart Flower Pot', ['Moisture', 'Fertility']],
  [0x02df, 'JQJCY01YM', 'JQJCY01YM', 'Formaldehyde Sensor', ['Temperature', 'Humidity', 'Formaldehyde', 'Battery']],
  [0x0380, 'DSL-C08', 'DSLC08', 'Door Lock', LOCK, { armedHandle: true }],
  [0x0391, 'MMC-W505', 'MMCW505', 'Body Thermometer', ['Temperature', 'Battery']],
  [0x03bc, 'GCLS002', 'GCLS002', 'Grow Care Garden', ['Temperature', 'Illuminance', 'Moisture', 'Fertility', 'Battery']],
  [0x03bf, 'YLYB01YL-BHFRC', 'YLYB01YL', 'Bathroom Heater Remote', ['Button']],
  [0x03d6, 'CGH1', 'CGH1', 'Door/Window Sensor', ['Door', 'Light', 'Battery']],
  [0x040a, 'WX08ZM', 'WX08ZM', 'Mosquito Repellent', ['PowerState', 'Consumable', 'Battery']],
  [0x045c, 'V-SK152', 'VSK152', 'Smart Kettle', ['Temperature', 'PowerState']],
  [0x0489, 'M1S-T500', 'M1ST500', 'Smart Toothbrush', ['Toothbrush', 'Score', 'Count', 'Battery']],
  [0x04e1, 'XMMF01JQD', 'XMMF01JQD', 'Magic Cube', ['Button']],
  [0x04e6, 'YLYK01YL-VENFAN', 'YLYK01VF', 'Ventilator Fan Remote Control', ['Button']],
  [0x04e9, 'MJZNMSQ01YD', 'MJZNMSQ01YD', 'Door Lock', LOCK],
  [0x0599, 'MJZNMS03LM', 'MJZNMS03LM', 'Door Lock', LOCK],
  [0x066f, 'CGDK2', 'CGDK2', 'Temperature/Humidity Sensor', TH],
  [0x068e, 'YLYK01YL-FANCL', 'YLYK01FC', 'Fan Remote Control', ['Button']],
  [0x069e, 'ZNMS16LM', 'ZNMS16LM', 'Door Lock', LOCK],
  [0x069f, 'ZNMS17LM', 'ZNMS17LM', 'Door Lock', LOCK, { lockKinds: true }],
  [0x0784, 'XMZNMS04LM', 'XMZNMS04LM', 'Door Lock', LOCK],
  [0x0806, 'T700', 'T700', 'Smart Toothbrush', ['Toothbrush', 'Score', 'Count', 'Battery']],
  [0x098c, 'XMZNMST02YD', 'XMZNMST02YD', 'Door Lock', LOCK],
  [0x0997, 'JTYJGD03MI', 'JTYJGD03MI', 'Smoke Detector', ['Smoke', 'Button', 'Battery']],
  [0x0a83, 'CGPR1', 'CGPR1', 'Motion/Light Sensor', ['Motion', 'NMT', 'Illuminance', 'Light', 'Battery'], { qingpingIds: [0x12] }],
  [0x0a8d, 'RTCGQ02LM', 'RTCGQ02LM', 'Motion Sensor', ['Motion', 'NMT', 'Light', 'Button', 'Battery'], { lightFlag: true }],
  [0x0b48, 'CGG1-ENCRYPTED', 'CGG1E', 'Temperature/Humidity Sensor', TH],
  [0x0c3c, 'CGC1', 'CGC1', 'Alarm Clock', TH],
  [0x0de7, 'SU001-T', 'SU001T', 'Odor Eliminator', ['PowerState', 'Battery']],
  [0x0dfd, 'K9B-3BTN', 'K9B3BTN', 'Switch (triple button)', ['Button'], { swappedPress: true }],
  [0x0e39, 'XMZNMS08LM', 'XMZNMS08LM', 'Door Lock', LOCK],
  [0x11c2, 'Lockin-SV40', 'SV40', 'Door Lock', LOCK],
  [0x1203, 'XMWSDJ04MMC', 'XMWSDJ04MMC', 'Thermometer', TH],
  [0x1568, 'K9B-1BTN', 'K9B1BTN', 'Switch (single button)', ['Button'], { swappedPress: true }],
  [0x1569, 'K9B-2BTN', 'K9B2BTN', 'Switch (double button)', ['Button'], { swappedPress: true }],
  [0x16e4, 'LYWSD02MMC', 'LYWSD02MMC', 'Temperature/Humidity Sensor', TH],
  [0x1790, 'T700', 'T700', 'Smart Toothbrush', ['Toothbrush', 'Score', 'Count', 'Battery']],
  [0x1889, 'MS1BB(MI)', 'MS1BB', 'Door/Window Sensor', ['Door', 'Button', 'Battery']],
  [0x1949, 'XMWXKG01YL', 'XMWXKG01YL', 'Switch (double button)', BUTTON],
  [0x1c10, 'K9BB-1BTN', 'K9BB1BTN', 'Switch (single button)', BUTTON],
  [0x2387, 'XMWXKG01LM', 'XMWXKG01LM', 'Button', BUTTON, { buttonOne: true }],
  [0x2542, 'LYWSD02MMC', 'LYWSD02MMC', 'Temperature/Humidity Sensor', TH],
  [0x2832, 'MJWSD05MMC', 'MJWSD05MMC', 'Temperature/Humidity Sensor', TH],
  [0x2aeb, 'HS1BB(MI)', 'HS1BB', 'Motion Sensor', ['Motion', 'NMT', 'Illuminance', 'Battery']],
  [0x30d9, 'MJTZC01YM', 'MJTZC01YM', 'Body Composition Scale', SCALE],
  [0x3531, 'XMPIRO2SXS', 'XMPIRO2SXS', 'Motion Sensor', ['Motion', 'NMT', 'Illuminance', 'Battery']],
  [0x38bb, 'PTX_YK1_QMIMB', 'PTXYK1', 'Wireless Switch', BUTTON],
  [0x3a61, 'KS1', 'KS1', 'Switch (quadruple button)', BUTTON],
  [0x3bd5, 'MJTZC01YM', 'MJTZC01YM', 'Body Composition Scale', SCALE],
  [0x3e17, 'KS1BP', 'KS1BP', 'Switch (quadruple button)', BUTTON],
  [0x3f0f, 'RS1BB(MI)', 'RS1BB', 'Flood and Rain Sensor', ['Leak', 'Battery']],
  [0x3f4c, 'PS1BB', 'PS1BB', 'Seat Pressure Sensor', ['Occupancy', 'Battery'], { vendor: 'Linptech' }],
  [0x45c9, 'MJTZC02YM', 'MJTZC02YM', 'Smart Scale S200', SCALE],
  [0x4683, 'XMOSB01XS', 'XMOSB01XS', 'Occupancy Sensor', ['Occupancy', 'Illuminance', 'Battery'], { occupancyExact: true }],
  [0x48cf, 'MJTZC01YM', 'MJTZC01YM', 'Body Composition Scale', SCALE],
  [0x4b05, 'MJTZC03YM', 'MJTZC03YM', 'Body Composition Scale', SCALE],
  [0x4c04, 'MJTZC02YM', 'MJTZC02YM', 'Smart Scale S200', SCALE],
  [0x4c47, 'MJWSD05MMC', 'MJWSD05MMC', 'Temperature/Humidity Sensor', TH],
  [0x4c60, 'XMPIRO2GSXS', 'XMPIRO2GSXS', 'Motion Sensor', ['Motion', 'NMT', 'Illuminance', 'Battery']],
  [0x4dcb, 'MJTZC02YM', 'MJTZC02YM', 'Smart Scale S200', SCALE],
  [0x4f59, 'CGDK3', 'CGDK3', 'Temperature/Humidity Sensor', TH],
  [0x50fb, 'ES3', 'ES3', 'Human Presence Sensor', ['Occupancy', 'Illuminance'], { vendor: 'Linptech' }],
  [0x520b, 'KS2BB', 'KS2BB', 'Temperature/Humidity Sensor with Button', ['Temperature', 'Humidity', 'Button', 'Battery'], { vendor: 'Linptech' }],
  [0x55b5, 'MJWSD06MMC', 'MJWSD06MMC', 'Temperature/Humidity Sensor', TH],
  [0x5968, 'XMWS01XS', 'XMWS01XS', 'Switch (double button)', BUTTON, { zeroBasedKeys: true }],
  [0x59fa, 'M2457B1', 'M2457B1', 'Smart Band 10', ['Asleep', 'Wearing']],
  [0x59fb, 'M2456B1', 'M2456B1', 'Smart Band 10 NFC', ['Asleep', 'Wearing']],
  [0x59fc, 'M2456B1', 'M2456B1', 'Smart Band 10 Ceramic Edition', ['Asleep', 'Wearing']],
  [0x5bea, 'MJWSD06MMC', 'MJWSD06MMC', 'Temperature/Humidity Sensor', TH],
  [0x5db1, 'MBS17', 'MBS17', 'Temperature/Humidity Sensor', TH],
  [0x6188, 'M2456B1', 'M2456B1', 'Smart Band 10 Glimmer Edition', ['Asleep', 'Wearing']],
  [0x6375, 'SJWS02LM', 'SJWS02LM', 'Water Leak Sensor 2', ['Leak', 'Battery']],
  [0x6a0f, 'ES5BB', 'ES5BB', 'Human Presence Sensor', ['Occupancy', 'Illuminance'], { vendor: 'Linptech' }],
  [0x78d1, 'MC-COMM', 'MCCOMM', 'Door/Window Sensor', ['Door', 'Battery']],
  [0x78db, 'ESM787', 'ESM787', 'Temperature/Humidity Sensor', TH, { vendor: 'Yanmi' }],
  // --- Qingping models that only speak 0xFDCD (no MiBeacon PID: fake 0xCC00 | Qingping id) ---
  [0xcc09, 'CGP1W', 'CGP1W', 'Temperature/Humidity/Pressure Monitor', ['Temperature', 'Humidity', 'Pressure', 'Battery'], { vendor: 'Qingping', qingpingIds: [0x09] }],
  [0xcc0e, 'CGDN1', 'CGDN1', 'Air Monitor Lite', ['Temperature', 'Humidity', 'PM2.5', 'PM10', 'CO2'], { vendor: 'Qingping', macFromSender: true, qingpingIds: [0x0e, 0x24] }],
  [0xcc5d, 'CGP22C', 'CGP22C', 'CO2/Temperature/Humidity Monitor', ['Temperature', 'Humidity', 'CO2', 'Battery'], { vendor: 'Qingping', qingpingIds: [0x5d] }],
  [0xcc18, 'CGP23W', 'CGP23W', 'Temperature/Humidity/Pressure Monitor', ['Temperature', 'Humidity', 'Pressure', 'Battery'], { vendor: 'Qingping', qingpingIds: [0x18] }],
  // --- fixed-layout service data (fake PID = the service UUID) ---
  [0x181d, 'XMTZC01HM/XMTZC04HM', 'MISCALE', 'Mi Smart Scale', ['Weight', 'WeightNonStabilized', 'Stabilized']],
  [0x181b, 'XMTZC02HM/XMTZC05HM/NUN4049CN', 'MIBFS', 'Mi Body Composition Scale', ['Weight', 'WeightNonStabilized', 'Stabilized', 'Impedance']],
  [0xfd50, 'HHCCJCY10', 'HHCCJCY10', 'Plant Sensor (pink)', ['Temperature', 'Illuminance', 'Moisture', 'Fertility', 'Battery'], { vendor: 'HHCC' }],
  // --- known to ble_monitor, not to xiaomi-ble ---
  [0x20db, 'MJZNZ018H', 'MJZNZ018H', 'Smart Pillow', ['Battery']],
  [0x64c5, 'PTX-F1-Display', 'PTXF1', 'Display Switch', BUTTON],
];

export const DEVICE_TYPES: readonly DeviceType[] = ROWS.map(([pid, model, name, description, entities, extra]) => ({
  pid,
  model,
  name,
  description,
  vendor: 'Xiaomi',
  entities,
  ...extra,
}));

// Frozen, as the value-key table: shared rows, and no RAM pointer per row once preloaded on the device.
for (const d of DEVICE_TYPES) {
  Object.freeze(d.entities);
  Object.freeze(d.qingpingIds);
  Object.freeze(d);
}
Object.freeze(DEVICE_TYPES);

const BY_PID = new Map<number, DeviceType>(DEVICE_TYPES.map((d) => [d.pid, d]));
const BY_QINGPING_ID = new Map<number, DeviceType>(DEVICE_TYPES.flatMap((d) => (d.qingpingIds ?? []).map((id) => [id, d] as const)));

/** Fake product ids Tasmota writes into mi32cfg for devices that are not MiBeacons. */
export const FAKE_PID = { ATC: 0x0a1c, PVVX: 0x944a, BTHOME: 0xb770, SCALE_V1: 0x181d, SCALE_V2: 0x181b, HHCCJCY10: 0xfd50 } as const;

export function deviceByPid(pid: number): DeviceType | undefined {
  return BY_PID.get(pid);
}

/** The model a Qingping device id (0xFDCD byte 1) stands for. */
export function deviceByQingpingId(id: number): DeviceType | undefined {
  return BY_QINGPING_ID.get(id);
}

/** A reading's model, type and PID for a product id: the row's, or Tasmota's MI_<PID> when unknown. */
export function readingIdentity(pid: number): { model: string; type: string; pid: string } {
  const device = BY_PID.get(pid);
  return { model: device?.model ?? unknownDeviceName(pid), type: device?.name ?? unknownDeviceName(pid), pid: pidHex(pid) };
}

/** The models (each once, in table order) whose row passes `has`: for replies that say what would work. */
export function modelsWith(has: (device: DeviceType) => boolean): string[] {
  return [...new Set(DEVICE_TYPES.filter(has).map((d) => d.model))];
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
