// Translates a fixture's `sourceExpect` (what the source's own test asserts, in its own
// field names) into our value names, by the rules of test/fixtures/README.md
// ("Value key translation") and nothing else. The fixture files keep this translation in
// `expect.values`, so the source's numbers stay in the file as the source wrote them;
// where our decoder's documented convention differs, the line carries a reasoned
// `override` instead (see fixture-expectation.ts). A source field that needs judgement
// (which button a cube rotation is, what a "motion_detected" event means, ...) is not
// translated: it is listed in `untranslated` and left to an override.

export type SourceName = 'xiaomi-ble' | 'bthome-ble' | 'ble_monitor';
export type OurValue = number | string;

export interface Translation {
  values: Record<string, OurValue>;
  /** Source fields no README rule translates (metadata fields are not listed). */
  untranslated: string[];
}

/** The source a fixture came from: the first part of its id. */
export function sourceOf(id: string): SourceName {
  const name = id.split('/')[0];
  if (name === 'xiaomi-ble' || name === 'bthome-ble' || name === 'ble_monitor') return name;
  throw new Error(`fixture ${id}: unknown source`);
}

/** Fields that describe the frame or the device, not a reading: never values. */
const NOT_READINGS = new Set(['packet_id', 'packet', 'firmware', 'type', 'mac', 'local_name', 'model']);

/** Same name in every source ("Standard keys" and "Invented value names" of the README). */
const NAMES: Record<string, string> = {
  temperature: 'Temperature', humidity: 'Humidity', battery: 'Battery', voltage: 'Voltage',
  illuminance: 'Illuminance', conductivity: 'Fertility', formaldehyde: 'Formaldehyde',
  CONSUMABLE: 'Consumable', mass: 'Weight', impedance: 'Impedance', pressure: 'Pressure',
  co2: 'CO2', carbon_dioxide: 'CO2', 'pm2.5': 'PM2.5', pm25: 'PM2.5', pm10: 'PM10',
  energy: 'Energy', current: 'Current', counter: 'Count', count: 'Count',
  motion: 'Motion', light: 'Light', smoke: 'Smoke', occupancy: 'Occupancy',
  'no motion time': 'NMT', 'bed occupancy': 'Occupancy', 'moisture detected': 'Leak',
  bottom_submersion: 'Leak',
  // invented names: PascalCase of the source field (README list), with its spellings
  mass_non_stabilized: 'WeightNonStabilized', stabilized: 'Stabilized',
  impedance_low: 'ImpedanceLow', impedance_high: 'ImpedanceHigh', heart_rate: 'HeartRate',
  profile_id: 'ProfileId', score: 'Score', toothbrush: 'Toothbrush',
  key_id: 'KeyId', 'key id': 'KeyId', lock_method: 'LockMethod', method: 'LockMethod',
  charging_state: 'ChargingState', fingerprint: 'Fingerprint', ARMED: 'Armed',
  asleep: 'Asleep', wearing: 'Wearing', door_left_open: 'DoorLeftOpen',
  pry_the_door: 'PryTheDoor', device_forcibly_removed: 'DeviceForciblyRemoved',
  top_splash: 'TopSplash', occupancy_close_range: 'OccupancyCloseRange',
  duration_detected: 'DurationDetected', duration_cleared: 'DurationCleared',
  pressure_present_duration: 'PressurePresentDuration', 'pressure present duration': 'PressurePresentDuration',
  pressure_not_present_duration: 'PressureNotPresentDuration',
  generic: 'Generic', window: 'Window', dew_point: 'Dewpoint',
  volatile_organic_compounds: 'VolatileOrganicCompounds', distance: 'Distance',
  duration: 'Duration', speed: 'Speed', uv_index: 'UV', volume: 'Volume',
  volume_flow_rate: 'VolumeFlowRate', gas: 'Gas', water: 'Water', volume_storage: 'VolumeStorage',
  rotation: 'Rotation', acceleration: 'Acceleration', gyroscope: 'Gyroscope', text: 'Text',
  raw: 'Raw', timestamp: 'Timestamp', direction: 'Direction', precipitation: 'Precipitation',
  channel: 'Channel', rotational_speed: 'RotationalSpeed', light_level: 'LightLevel',
  // locks and fingerprint readers (README: the texts are copied, under our names)
  'event:lock': 'LockAction', action: 'LockAction', 'event:fingerprint': 'FingerprintResult', result: 'FingerprintResult',
};

/** Where a field means something else in one source. */
const SOURCE_NAMES: Record<SourceName, Record<string, string>> = {
  'xiaomi-ble': { opening: 'Door', door: 'Door' },
  ble_monitor: { opening: 'Door', door: 'Door' },
  'bthome-ble': { opening: 'Opening' },
};

/** Button<n> values: 1 single, 2 double, 3 long/hold, 4 triple (invented). */
const PRESS: Record<string, number> = {
  press: 1, 'single press': 1, double_press: 2, 'double press': 2,
  long_press: 3, 'long press': 3, hold_press: 3, triple_press: 4,
};

/** Which button a source's button field names (README "Buttons", the rules without a 0x1001 object). */
const BUTTON_FIELDS: Record<SourceName, Record<string, number>> = {
  'xiaomi-ble': { 'event:button': 1, 'event:button_left': 1, 'event:button_right': 2 },
  'bthome-ble': { 'event:button': 1 }, // plus event:button_<n> -> Button<n>, below
  ble_monitor: { button: 1 }, // the press type is the value; "left" is a position, not translated
};

/** ble_monitor names the button in one field ("one btn switch": "toggle") and the press in "button switch". */
const BLE_MONITOR_SWITCHES: Record<string, number> = { 'one btn switch': 1, 'four btn switch 4': 4 };

/** Dimmer = signed steps, rotate_left negative (README, an assumption). */
const ROTATION_SIGN: Record<string, number> = { rotate_left: -1, 'rotate left': -1, rotate_right: 1, 'rotate right': 1 };

const REPEAT = /^(temperature|humidity|voltage)_(\d)$/;

/** Binary values are written as 1/0; numbers and texts stay as the source wrote them. */
function binary(v: unknown): unknown {
  return typeof v === 'boolean' ? (v ? 1 : 0) : v;
}

export function translateSourceExpect(source: SourceName, sourceExpect: Readonly<Record<string, unknown>>): Translation {
  const values: Record<string, OurValue> = {};
  const untranslated: string[] = [];
  const consumed = new Set<string>();
  const put = (key: string, value: unknown, from: string) => {
    const v = binary(value);
    if (typeof v !== 'number' && typeof v !== 'string') { untranslated.push(from); return; }
    values[key] = v;
    consumed.add(from);
  };

  for (const [field, raw] of Object.entries(sourceExpect)) {
    if (NOT_READINGS.has(field) || consumed.has(field)) continue;
    const value = binary(raw);

    // Lock: the sources (Home Assistant) say true/1 = unlocked; ours is 1 = locked.
    if (field === 'lock' && typeof value === 'number') { put('Lock', value ? 0 : 1, field); continue; }
    // xiaomi-ble binary moisture is the water-leak object; the number is soil moisture.
    if (field === 'moisture') { put(typeof raw === 'boolean' ? 'Leak' : 'Moisture', value, field); continue; }
    // binary power is PowerState, to keep it apart from Power in W
    if (field === 'power') { put(typeof raw === 'boolean' ? 'PowerState' : 'Power', value, field); continue; }

    const repeat = source === 'bthome-ble' ? REPEAT.exec(field) : null;
    if (repeat) { put(NAMES[repeat[1]!]! + repeat[2], value, field); continue; }

    const button = BUTTON_FIELDS[source][field] ?? (source === 'bthome-ble' ? /^event:button_(\d+)$/.exec(field)?.[1] : undefined);
    if (button !== undefined) {
      const press = typeof raw === 'string' ? PRESS[raw] : undefined;
      if (press === undefined) untranslated.push(field);
      else put(`Button${button}`, press, field);
      continue;
    }
    if (source === 'ble_monitor' && field in BLE_MONITOR_SWITCHES) {
      const press = PRESS[String(sourceExpect['button switch'])];
      if (press === undefined) untranslated.push(field);
      else { put(`Button${BLE_MONITOR_SWITCHES[field]}`, press, field); consumed.add('button switch'); }
      continue;
    }
    if (field === 'event:dimmer' || (source === 'ble_monitor' && field === 'dimmer')) {
      const event = typeof raw === 'object' ? raw as { event_type?: unknown; steps?: unknown } : { event_type: raw, steps: sourceExpect.steps };
      const sign = ROTATION_SIGN[String(event.event_type)];
      if (sign === undefined || typeof event.steps !== 'number') untranslated.push(field);
      else { put('Dimmer', sign * event.steps, field); consumed.add('steps'); }
      continue;
    }

    const name = SOURCE_NAMES[source][field] ?? NAMES[field];
    if (name === undefined) untranslated.push(field);
    else put(name, value, field);
  }
  // a field read together with another (steps, button switch) is untranslated only when that one was
  return { values, untranslated: untranslated.filter((f) => !consumed.has(f)) };
}
