// The value-key table: what every reading means, in one place. A decoder writes
// `out.Temperature`; the registry asks this table whether that is a state or an event,
// telemetry where it goes in the SENSOR object and with how many decimals, and the
// HomeKit bridge, the web page and Home Assistant discovery what it is called there.
// Adding a key is one row here (and the decoder line that writes it): see the README's
// "Adding a value key or a model".
//
// Sources: Tasmota MI32's SENSOR JSON (names, order, TempRes/HumRes), Home Assistant's
// sensor/binary_sensor device and state classes, HAP's service and characteristic types
// (hap-nodejs 1.2.0 definitions, ../shared/reference/homekit.md §1.3).

/**
 * How a key behaves over time.
 * - state: the device's current condition (Temperature, Door); kept, repeated at teleperiod.
 * - event: something that happened (a press, a turn, a lock action); published once, at once, never repeated.
 * - momentary: a state the device reports only as it begins (Motion): published with its frame
 *   only (as Tasmota), and cleared by the receiver after a timeout (HomeKit, Home Assistant's off_delay).
 */
export type ValueKind = 'state' | 'event' | 'momentary';

/** When a key's arrival makes the gateway publish at once rather than at the next teleperiod. */
export type Urgency = 'never' | 'always' | 'nonzero';

/** Home Assistant MQTT discovery, per key. */
export interface HaClass {
  component: 'sensor' | 'binary_sensor' | 'device_automation';
  device_class?: string;
  state_class?: 'measurement' | 'total' | 'total_increasing';
  entity_category?: 'diagnostic';
  /** binary_sensor: the value that means "on" (default 1). */
  payload_on?: number;
  /** binary_sensor of a momentary value: seconds after which Home Assistant turns it off itself. */
  off_delay?: number;
}

/**
 * HomeKit (HAP), per key: the service that carries it and its characteristic, as short UUIDs
 * (hap-nodejs sends "8A" for 0000008A-0000-1000-8000-0026BB765291).
 * `map` says how the Tasmota value becomes the characteristic's:
 * number: as it is (float or uint8); bool: value !== 0; button: Tasmota press -> ProgrammableSwitchEvent.
 * The Battery service also carries StatusLowBattery, which the bridge derives from the percentage.
 */
export interface HapClass {
  service: string;
  characteristic: string;
  format: 'float' | 'uint8' | 'bool';
  map?: 'number' | 'bool' | 'button';
  minValue?: number;
  maxValue?: number;
  minStep?: number;
  /** HAP's unit of the characteristic (hap-nodejs's Units). */
  unit?: 'celsius' | 'percentage' | 'lux';
  /** The values the characteristic may take (HAP "valid-values"). */
  validValues?: readonly number[];
}

export interface ValueKeyInfo {
  /** The Tasmota SENSOR JSON name. Numbered copies (Button1, Temperature2) share their base's row. */
  key: BaseValueKey;
  /** A few words for people (the web page's label). */
  label: string;
  unit?: string;
  /** Decimals in the SENSOR JSON; absent: the number as it is. */
  decimals?: number;
  /**
   * Place in the SENSOR object, lowest first: Tasmota's head (10-15), buttons (20), its middle
   * (30-36), everything else in arrival order (50), then the tail (90-93).
   */
  order: number;
  kind: ValueKind;
  urgent: Urgency;
  /** Counts toward the device's "Events" (motion sensors and doors): on value 1, or on any change. */
  countsEvents?: 'one' | 'change';
  ha?: HaClass;
  hap?: HapClass;
}

/** Every value key the decoders, the registry and telemetry may use. */
export type BaseValueKey = (typeof VALUE_KEYS)[number]['key'];

/**
 * A key as it appears in Values: the base name, or the base with a number (BTHome's second
 * temperature is Temperature2; buttons are Button1..ButtonN).
 */
export type ValueKey = BaseValueKey | `${BaseValueKey}${number}`;

/** The `order` of keys Tasmota has no place for: they follow in the order they arrived. */
export const ARRIVAL_ORDER = 50;

const T = 'measurement' as const;
/** A HAP enumeration 0..n (ContactSensorState, LeakDetected, ProgrammableSwitchEvent): its range and valid values. */
const ZERO_TO = (n: number) => ({ minValue: 0, maxValue: n, minStep: 1, validValues: Array.from({ length: n + 1 }, (_, i) => i) });
const DIAG = 'diagnostic' as const;

// Shorthands for rows that differ only in name/label/unit.
const state = <K extends string>(key: K, label: string, unit?: string, ha?: HaClass, hap?: HapClass, order = ARRIVAL_ORDER) =>
  ({ key, label, ...(unit ? { unit } : {}), order, kind: 'state' as ValueKind, urgent: 'never' as Urgency, ...(ha ? { ha } : {}), ...(hap ? { hap } : {}) });
const measured = <K extends string>(key: K, label: string, unit: string | undefined, deviceClass?: string, stateClass: HaClass['state_class'] = T) =>
  state(key, label, unit, { component: 'sensor', ...(deviceClass ? { device_class: deviceClass } : {}), state_class: stateClass });
const binary = <K extends string>(key: K, label: string, deviceClass?: string, hap?: HapClass, urgent: Urgency = 'never') =>
  ({ ...state(key, label, undefined, { component: 'binary_sensor', ...(deviceClass ? { device_class: deviceClass } : {}) }, hap), urgent });
const event = <K extends string>(key: K, label: string, order = ARRIVAL_ORDER, hap?: HapClass) =>
  ({ key, label, order, kind: 'event' as ValueKind, urgent: 'always' as Urgency, ha: { component: 'device_automation' as const }, ...(hap ? { hap } : {}) });
const text = <K extends string>(key: K, label: string) => state(key, label, undefined, { component: 'sensor' });
// Meter readings: Home Assistant takes energy, gas, water and volume only as totals (sensor/const.py DEVICE_CLASS_STATE_CLASSES).
const metered = <K extends string>(key: K, label: string, unit: string, deviceClass: string) =>
  state(key, label, unit, { component: 'sensor', device_class: deviceClass, state_class: 'total_increasing' });

// `as const` keeps each key a literal, so BaseValueKey is their union.
export const VALUE_KEYS = [
  // --- Tasmota's head, in its order ---
  { ...state('Temperature', 'Temperature', '°C', { component: 'sensor', device_class: 'temperature', state_class: T },
    { service: '8A', characteristic: '11', format: 'float', map: 'number', minValue: -40, maxValue: 100, minStep: 0.1, unit: 'celsius' }, 10), decimals: 1 },
  { ...state('Humidity', 'Humidity', '%', { component: 'sensor', device_class: 'humidity', state_class: T },
    { service: '82', characteristic: '10', format: 'float', map: 'number', minValue: 0, maxValue: 100, minStep: 0.1, unit: 'percentage' }, 11), decimals: 1 },
  { ...state('DewPoint', 'Dew point', '°C', { component: 'sensor', device_class: 'temperature', state_class: T }, undefined, 12), decimals: 1 },
  state('Illuminance', 'Illuminance', 'lx', { component: 'sensor', device_class: 'illuminance', state_class: T },
    { service: '84', characteristic: '6B', format: 'float', map: 'number', minValue: 0.0001, maxValue: 100000, unit: 'lux' }, 13),
  // Soil moisture as a humidity sensor: HAP has no soil type (homebridge Mi Flora plugins do the same).
  state('Moisture', 'Soil moisture', '%', { component: 'sensor', device_class: 'moisture', state_class: T },
    { service: '82', characteristic: '10', format: 'float', map: 'number', minValue: 0, maxValue: 100, minStep: 1, unit: 'percentage' }, 14),
  state('Fertility', 'Conductivity', 'µS/cm', { component: 'sensor', device_class: 'conductivity', state_class: T }, undefined, 15),
  // --- buttons (Button1..ButtonN): Tasmota's press codes ---
  event('Button', 'Button', 20, { service: '89', characteristic: '73', format: 'uint8', map: 'button', ...ZERO_TO(2) }),
  // --- Tasmota's middle ---
  event('Dimmer', 'Knob turn', 30),
  event('Dimmer_P', 'Knob turn pressed', 31),
  event('Hold', 'Hold', 32),
  { key: 'Motion', label: 'Motion', order: 33, kind: 'momentary' as ValueKind, urgent: 'nonzero' as Urgency, countsEvents: 'one' as const,
    // off_delay: a motion sensor re-arms after about a minute; Tasmota sends Motion only as it begins
    ha: { component: 'binary_sensor' as const, device_class: 'motion', off_delay: 60 }, hap: { service: '85', characteristic: '22', format: 'bool' as const, map: 'bool' as const } },
  { ...state('Events', 'Events', undefined, { component: 'sensor', state_class: 'total_increasing' }, undefined, 34) },
  { ...binary('Door', 'Door', 'door', { service: '80', characteristic: '6A', format: 'uint8', map: 'number', ...ZERO_TO(1) }, 'always'), order: 35, countsEvents: 'change' as const },
  { ...state('NMT', 'No motion for', 's', { component: 'sensor', device_class: 'duration', state_class: T }, undefined, 36), urgent: 'always' as Urgency },
  // --- everything else, in arrival order ---
  binary('Leak', 'Leak', 'moisture', { service: '83', characteristic: '70', format: 'uint8', map: 'number', ...ZERO_TO(1) }, 'nonzero'),
  binary('Light', 'Light', 'light'),
  binary('Occupancy', 'Occupancy', 'occupancy', { service: '86', characteristic: '71', format: 'uint8', map: 'number', ...ZERO_TO(1) }),
  binary('OccupancyCloseRange', 'Occupancy (close range)', 'occupancy'),
  binary('Smoke', 'Smoke', 'smoke', { service: '87', characteristic: '76', format: 'uint8', map: 'number', ...ZERO_TO(1) }),
  binary('DoorLeftOpen', 'Door left open', 'problem'),
  binary('DoorStuck', 'Door stuck', 'problem'),
  binary('DeviceForciblyRemoved', 'Forcibly removed', 'tamper'),
  binary('KnockOnTheDoor', 'Knock on the door', 'vibration'),
  binary('PryTheDoor', 'Door pried', 'tamper'),
  binary('TopSplash', 'Splash on top', 'moisture'),
  // Home Assistant's lock class is on when unlocked; our Lock is 1 when locked.
  { ...binary('Lock', 'Lock'), ha: { component: 'binary_sensor' as const, device_class: 'lock', payload_on: 0 } },
  binary('Antilock', 'Anti-lock'),
  binary('Childlock', 'Child lock'),
  binary('Armed', 'Armed'),
  binary('Asleep', 'Asleep'),
  binary('Wearing', 'Wearing'),
  binary('Toothbrush', 'Brushing', 'running'),
  binary('PowerState', 'Power', 'power'),
  binary('Stabilized', 'Weight stabilized'),
  // BTHome binary sensors
  binary('Generic', 'Generic'),
  binary('Opening', 'Opening', 'opening'),
  binary('BatteryLow', 'Battery low', 'battery'),
  binary('BatteryCharging', 'Battery charging', 'battery_charging'),
  binary('CarbonMonoxide', 'Carbon monoxide', 'carbon_monoxide'),
  binary('Cold', 'Cold', 'cold'),
  binary('Connectivity', 'Connectivity', 'connectivity'),
  binary('GarageDoor', 'Garage door', 'garage_door'),
  binary('GasDetected', 'Gas', 'gas'),
  binary('Heat', 'Heat', 'heat'),
  binary('Moving', 'Moving', 'moving'),
  binary('Plug', 'Plug', 'plug'),
  binary('Presence', 'Presence', 'presence'),
  binary('Problem', 'Problem', 'problem'),
  binary('Running', 'Running', 'running'),
  binary('Safety', 'Safety', 'safety'),
  binary('Sound', 'Sound', 'sound'),
  binary('Tamper', 'Tamper', 'tamper'),
  binary('Vibration', 'Vibration', 'vibration'),
  binary('Window', 'Window', 'window'),
  // measurements
  measured('Pressure', 'Pressure', 'hPa', 'atmospheric_pressure'),
  measured('Formaldehyde', 'Formaldehyde', 'mg/m³'),
  measured('CO2', 'CO₂', 'ppm', 'carbon_dioxide'),
  measured('PM2.5', 'PM2.5', 'µg/m³', 'pm25'),
  measured('PM10', 'PM10', 'µg/m³', 'pm10'),
  measured('TVOC', 'TVOC', 'µg/m³', 'volatile_organic_compounds'),
  measured('Weight', 'Weight', 'kg', 'weight'),
  measured('WeightNonStabilized', 'Weight (settling)', 'kg', 'weight'),
  measured('WeightLb', 'Weight', 'lb', 'weight'),
  measured('Impedance', 'Impedance', 'Ω'),
  measured('ImpedanceLow', 'Impedance (low)', 'Ω'),
  measured('ImpedanceHigh', 'Impedance (high)', 'Ω'),
  measured('HeartRate', 'Heart rate', 'bpm'),
  measured('Consumable', 'Consumable left', '%'),
  measured('Score', 'Score', undefined),
  metered('Energy', 'Energy', 'kWh', 'energy'),
  measured('Power', 'Power', 'W', 'power'),
  measured('Current', 'Current', 'A', 'current'),
  // the battery voltage (ATC/pvvx, BTHome): a diagnostic, as Home Assistant files it
  { ...measured('Voltage', 'Voltage', 'V', 'voltage'), ha: { component: 'sensor' as const, device_class: 'voltage', state_class: T, entity_category: DIAG } },
  measured('Distance', 'Distance', 'mm', 'distance'),
  measured('DistanceM', 'Distance', 'm', 'distance'),
  measured('Duration', 'Duration', 's', 'duration'),
  // XMOSB01XS: the app's "no one / someone for" setting, in minutes (xiaomi-ble obj4851/obj4852)
  measured('DurationCleared', 'Clear for', 'min', 'duration'),
  measured('DurationDetected', 'Occupied for', 'min', 'duration'),
  measured('PressurePresentDuration', 'Seated for', 's', 'duration'),
  measured('PressureNotPresentDuration', 'Unseated for', 's', 'duration'),
  measured('Speed', 'Speed', 'm/s', 'speed'),
  measured('UV', 'UV index', undefined),
  metered('Volume', 'Volume', 'L', 'volume'),
  metered('VolumeMl', 'Volume', 'mL', 'volume'),
  measured('VolumeStorage', 'Stored volume', 'L', 'volume_storage'),
  measured('VolumeFlowRate', 'Flow rate', 'm³/h', 'volume_flow_rate'),
  metered('Water', 'Water', 'L', 'water'),
  metered('Gas', 'Gas', 'm³', 'gas'),
  measured('Rotation', 'Rotation', '°'),
  measured('RotationalSpeed', 'Rotational speed', 'rpm'),
  measured('Direction', 'Direction', '°'),
  measured('Precipitation', 'Precipitation', 'mm', 'precipitation'),
  measured('Acceleration', 'Acceleration', 'm/s²'),
  measured('Gyroscope', 'Gyroscope', '°/s'),
  measured('LightLevel', 'Light level', undefined),
  measured('Count', 'Count', undefined),
  // identifiers, codes and text (no unit, no class)
  text('ProfileId', 'Profile'),
  text('KeyId', 'Key id'),
  text('LockMethod', 'Lock method'),
  text('ChargingState', 'Charging'), // "Charging", "Not Charging", "Full"
  binary('Fingerprint', 'Fingerprint matched'),
  text('Channel', 'Channel'),
  text('Timestamp', 'Device time'),
  text('PacketId', 'Packet id'),
  text('DeviceTypeId', 'Device type'),
  text('FirmwareVersion', 'Firmware version'),
  text('Text', 'Text'),
  text('Raw', 'Raw data'),
  // lock events: what happened at the door, published once
  event('LockAction', 'Lock action'),
  event('LockError', 'Lock error'),
  event('FingerprintResult', 'Fingerprint result'),
  // --- Tasmota's tail ---
  state('Battery', 'Battery', '%', { component: 'sensor', device_class: 'battery', state_class: T, entity_category: DIAG },
    { service: '96', characteristic: '68', format: 'uint8', map: 'number', minValue: 0, maxValue: 100, minStep: 1, unit: 'percentage' }, 90),
  state('RSSI', 'Signal', 'dBm', { component: 'sensor', device_class: 'signal_strength', state_class: T, entity_category: DIAG }, undefined, 91),
  state('Time', 'Last seen', undefined, undefined, undefined, 92),
  state('MAC', 'MAC', undefined, undefined, undefined, 93),
] as const satisfies readonly (Omit<ValueKeyInfo, 'key'> & { key: string })[];

// Frozen: every reader shares these rows, and on the device (preloaded, manifest.json) a frozen
// object stays in flash without the 4-byte RAM pointer XS keeps for one that may change.
for (const row of VALUE_KEYS as readonly ValueKeyInfo[]) {
  Object.freeze(row.ha);
  Object.freeze(row.hap);
  Object.freeze(row);
}
Object.freeze(VALUE_KEYS);

const BY_KEY = new Map<string, ValueKeyInfo>(VALUE_KEYS.map((row) => [row.key, row as ValueKeyInfo]));

/** The base of a numbered key: "Button3" -> "Button", "Temperature2" -> "Temperature". */
export function baseKey(key: string): string {
  let end = key.length;
  while (end > 0 && key.charCodeAt(end - 1) >= 48 && key.charCodeAt(end - 1) <= 57) end--;
  return end === key.length || end === 0 ? key : key.slice(0, end);
}

/** What `key` means, or undefined for a key no row describes (a test keeps the decoders inside the table). */
export function valueKeyInfo(key: string): ValueKeyInfo | undefined {
  // The whole key first: PM10 and CO2 are names, not numbered copies of "PM" and "CO".
  return BY_KEY.get(key) ?? BY_KEY.get(baseKey(key));
}

/**
 * The row that decides how the gateway keeps and publishes `key` (registry, telemetry): the
 * key's own row, and for ButtonN the Button row (buttons only ever come numbered). Other
 * numbered copies (BTHome's Temperature2, Motion2) get none here: kept as states, placed in
 * arrival order and printed as they are, as before the table existed; valueKeyInfo still
 * gives them their base's label and classes.
 */
export function ownKeyInfo(key: string): ValueKeyInfo | undefined {
  // baseKey, not buttonNumber: remotes that count keys from 0 send Button0 (YLYK01YL)
  return BY_KEY.get(key) ?? (baseKey(key) === 'Button' ? BY_KEY.get('Button') : undefined);
}

/**
 * Which button a ButtonN key names, counting from 1 (a HomeKit ServiceLabelIndex): devices that
 * number their keys from 0 (the YLYK01YL remote sends Button0..Button5) say so with `firstButton` 0.
 * "Button" alone is button 1; 0 when `key` is no button.
 */
export function buttonIndex(key: string, firstButton = 1): number {
  if (key === 'Button') return 1;
  if (!key.startsWith('Button') || key.length === 6) return 0;
  const n = Number(key.slice(6));
  if (!Number.isInteger(n) || n < firstButton) return 0;
  return n - firstButton + 1;
}

/** The button number of a ButtonN key (1-based), or 0 when `key` is no button. */
export function buttonNumber(key: string): number {
  if (!key.startsWith('Button') || key.length === 6) return 0;
  const n = Number(key.slice(6));
  return Number.isInteger(n) && n > 0 ? n : 0;
}
