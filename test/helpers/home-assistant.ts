// What Home Assistant would make of our discovery messages, without Home Assistant:
// - validateConfig: the MQTT discovery schema per component, written from Home Assistant's
//   docs (integrations/sensor.mqtt, binary_sensor.mqtt, device_trigger.mqtt: required and
//   allowed keys, the device map) and its sensor/const.py (device classes, the units and
//   state classes each class accepts; binary_sensor device classes).
// - renderTemplate: the small Jinja subset our value_templates use, rendered the way Home
//   Assistant renders them (value_json = the parsed payload; a number prints as Python would).
// A real Home Assistant would still be needed to see the entities in its UI.

const AVAILABILITY = ['availability', 'availability_mode', 'availability_template', 'availability_topic', 'payload_available', 'payload_not_available'];
const ENTITY = [
  ...AVAILABILITY, 'device', 'device_class', 'enabled_by_default', 'encoding', 'entity_category', 'entity_picture', 'expire_after',
  'force_update', 'icon', 'json_attributes_template', 'json_attributes_topic', 'name', 'object_id', 'default_entity_id', 'platform',
  'qos', 'state_topic', 'unique_id', 'value_template',
];

export const SCHEMA: Record<string, { required: string[]; allowed: string[] }> = {
  sensor: {
    required: ['state_topic'],
    allowed: [...ENTITY, 'last_reset_value_template', 'options', 'state_class', 'suggested_display_precision', 'unit_of_measurement'],
  },
  binary_sensor: {
    required: ['state_topic'],
    allowed: [...ENTITY, 'off_delay', 'payload_off', 'payload_on'],
  },
  device_automation: {
    required: ['automation_type', 'topic', 'type', 'subtype', 'device'],
    allowed: ['automation_type', 'topic', 'type', 'subtype', 'device', 'payload', 'qos', 'value_template', 'platform'],
  },
};

const DEVICE_KEYS = ['configuration_url', 'connections', 'hw_version', 'identifiers', 'manufacturer', 'model', 'model_id', 'name',
  'serial_number', 'suggested_area', 'sw_version', 'via_device'];

const MU = '\u03bc';
/** sensor/const.py DEVICE_CLASS_UNITS, for the classes the value-key table uses (plus the rest as "any unit"). */
const SENSOR_UNITS: Record<string, (string | null)[] | 'any'> = {
  temperature: ['°C', '°F', 'K'], humidity: ['%'], battery: ['%'], moisture: ['%'], illuminance: ['lx'],
  conductivity: ['S/cm', 'mS/cm', `${MU}S/cm`], signal_strength: ['dB', 'dBm'], voltage: ['V', 'mV', `${MU}V`, 'kV', 'MV'],
  current: ['A', 'mA'], power: ['mW', 'W', 'kW', 'MW', 'GW', 'TW'], energy: ['J', 'kJ', 'MJ', 'GJ', 'mWh', 'Wh', 'kWh', 'MWh', 'GWh', 'TWh', 'cal', 'kcal', 'Mcal', 'Gcal'],
  atmospheric_pressure: ['Pa', 'hPa', 'kPa', 'bar', 'cbar', 'mbar', 'mmHg', 'inHg', 'psi'], pressure: ['Pa', 'hPa', 'kPa', 'bar', 'cbar', 'mbar', 'mmHg', 'inHg', 'psi'],
  carbon_dioxide: ['ppm'], pm25: [`${MU}g/m³`], pm10: [`${MU}g/m³`], volatile_organic_compounds: [`${MU}g/m³`],
  duration: ['d', 'h', 'min', 's', 'ms', `${MU}s`], weight: ['kg', 'g', 'mg', `${MU}g`, 'oz', 'lb', 'st'],
  distance: ['km', 'm', 'cm', 'mm', 'mi', 'nmi', 'yd', 'in', 'ft'], speed: ['m/s', 'km/h', 'ft/s', 'mph', 'kn', 'in/d', 'in/h', 'mm/d', 'mm/h'],
  volume: ['L', 'mL', 'gal', 'fl. oz.', 'm³', 'ft³', 'CCF', 'MCF'], volume_storage: ['L', 'mL', 'gal', 'fl. oz.', 'm³', 'ft³', 'CCF', 'MCF'],
  volume_flow_rate: ['m³/h', 'm³/s', 'ft³/min', 'L/h', 'L/min', 'L/s', 'gal/h', 'gal/min', 'mL/s'],
  water: ['CCF', 'ft³', 'm³', 'gal', 'L'], gas: ['CCF', 'ft³', 'm³', 'L'], precipitation: ['cm', 'in', 'mm'],
  apparent_power: 'any', aqi: [null], area: 'any', blood_glucose_concentration: 'any', carbon_monoxide: ['ppm'], data_rate: 'any',
  data_size: 'any', date: [null], energy_distance: 'any', energy_storage: 'any', enum: [null], frequency: 'any', irradiance: 'any',
  monetary: 'any', nitrogen_dioxide: [`${MU}g/m³`], nitrogen_monoxide: [`${MU}g/m³`], nitrous_oxide: [`${MU}g/m³`], ozone: [`${MU}g/m³`],
  ph: [null], pm1: [`${MU}g/m³`], pm4: [`${MU}g/m³`], power_factor: ['%', null], precipitation_intensity: 'any', reactive_energy: 'any',
  reactive_power: 'any', sound_pressure: 'any', sulphur_dioxide: [`${MU}g/m³`], timestamp: [null], volatile_organic_compounds_parts: ['ppb', 'ppm'],
  wind_direction: ['°'], wind_speed: 'any',
};
const ALL_STATE = ['measurement', 'measurement_angle', 'total', 'total_increasing'];
/** sensor/const.py DEVICE_CLASS_STATE_CLASSES: the classes that take other than "measurement". */
const SENSOR_STATE_CLASSES: Record<string, string[]> = {
  energy: ['total', 'total_increasing'], gas: ['total', 'total_increasing'], water: ['total', 'total_increasing'], volume: ['total', 'total_increasing'],
  monetary: ['total'], area: ALL_STATE, data_size: ALL_STATE, distance: ALL_STATE, duration: ALL_STATE, precipitation: ALL_STATE,
  weight: ['measurement', 'total', 'total_increasing'], wind_direction: ['measurement_angle'], date: [], enum: [], timestamp: [],
};
const BINARY_CLASSES = ['battery', 'battery_charging', 'carbon_monoxide', 'cold', 'connectivity', 'door', 'garage_door', 'gas', 'heat', 'light',
  'lock', 'moisture', 'motion', 'moving', 'occupancy', 'opening', 'plug', 'power', 'presence', 'problem', 'running', 'safety', 'smoke',
  'sound', 'tamper', 'update', 'vibration', 'window'];

const TOPIC_ID = /^[a-zA-Z0-9_-]+$/;

/** Problems of one discovery message (topic + parsed payload); empty when Home Assistant would take it. */
export function validateConfig(topic: string, config: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const parts = topic.split('/');
  if (parts.length !== 5 || parts[0] !== 'homeassistant' || parts[4] !== 'config') return [`${topic}: not homeassistant/<component>/<node>/<object>/config`];
  const component = parts[1]!;
  if (!TOPIC_ID.test(parts[2]!) || !TOPIC_ID.test(parts[3]!)) problems.push(`${topic}: node and object ids must be [a-zA-Z0-9_-]`);
  const schema = SCHEMA[component];
  if (!schema) return [`${topic}: component ${component} is not one we validate`];
  for (const key of schema.required) if (config[key] === undefined) problems.push(`${topic}: ${key} is required`);
  for (const key of Object.keys(config)) if (!schema.allowed.includes(key)) problems.push(`${topic}: ${key} is not a ${component} option`);
  const str = (key: string) => { if (config[key] !== undefined && typeof config[key] !== 'string') problems.push(`${topic}: ${key} must be a string`); };
  ['state_topic', 'topic', 'availability_topic', 'value_template', 'unique_id', 'name', 'payload_on', 'payload_off', 'payload', 'type', 'subtype'].forEach(str);
  for (const key of ['state_topic', 'topic', 'availability_topic']) {
    const t = config[key];
    if (typeof t === 'string' && (t === '' || /[+#]/.test(t))) problems.push(`${topic}: ${key} must be a topic name without wildcards`);
  }
  if (config.entity_category !== undefined && config.entity_category !== 'diagnostic' && !(config.entity_category === 'config' && component !== 'sensor')) {
    problems.push(`${topic}: entity_category ${String(config.entity_category)}`);
  }
  if (config.device !== undefined) problems.push(...deviceProblems(topic, config.device));
  if (component === 'sensor') problems.push(...sensorProblems(topic, config));
  if (component === 'binary_sensor') {
    if (config.device_class !== undefined && !BINARY_CLASSES.includes(config.device_class as string)) problems.push(`${topic}: binary_sensor device_class ${String(config.device_class)}`);
    if (config.off_delay !== undefined && !(Number.isInteger(config.off_delay) && (config.off_delay as number) > 0)) problems.push(`${topic}: off_delay must be a positive whole number`);
  }
  if (component === 'device_automation' && config.automation_type !== 'trigger') problems.push(`${topic}: automation_type must be "trigger"`);
  return problems;
}

function deviceProblems(topic: string, device: unknown): string[] {
  if (device === null || typeof device !== 'object' || Array.isArray(device)) return [`${topic}: device must be a map`];
  const d = device as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(d)) if (!DEVICE_KEYS.includes(key)) problems.push(`${topic}: device.${key} is not a device option`);
  const ids = d.identifiers;
  const connections = d.connections;
  if (ids === undefined && connections === undefined) problems.push(`${topic}: device needs identifiers or connections`);
  if (ids !== undefined && !(typeof ids === 'string' || (Array.isArray(ids) && ids.every((i) => typeof i === 'string')))) problems.push(`${topic}: device.identifiers must be strings`);
  if (connections !== undefined && !(Array.isArray(connections) && connections.every((c) => Array.isArray(c) && c.length === 2 && c.every((x) => typeof x === 'string')))) {
    problems.push(`${topic}: device.connections must be [type, id] pairs`);
  }
  for (const key of ['name', 'model', 'manufacturer', 'via_device']) if (d[key] !== undefined && typeof d[key] !== 'string') problems.push(`${topic}: device.${key} must be a string`);
  return problems;
}

function sensorProblems(topic: string, config: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const dc = config.device_class as string | undefined;
  const unit = (config.unit_of_measurement as string | undefined) ?? null;
  const sc = config.state_class as string | undefined;
  if (sc !== undefined && !ALL_STATE.includes(sc)) problems.push(`${topic}: state_class ${sc}`);
  if (dc !== undefined) {
    const units = SENSOR_UNITS[dc];
    if (!units) problems.push(`${topic}: sensor device_class ${dc}`);
    else if (units !== 'any' && !units.includes(unit)) problems.push(`${topic}: unit ${String(unit)} is not one of ${dc}'s (${units.join(', ')})`);
    const states = SENSOR_STATE_CLASSES[dc] ?? ['measurement'];
    if (sc !== undefined && !states.includes(sc)) problems.push(`${topic}: state_class ${sc} is not one of ${dc}'s (${states.join(', ') || 'none'})`);
  }
  return problems;
}

// --- the Jinja subset -------------------------------------------------------------------

type Token = { kind: 'str'; value: string } | { kind: 'word'; value: string } | { kind: 'punct'; value: string };

function tokenize(expr: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < expr.length) {
    const c = expr[i]!;
    if (/\s/.test(c)) { i++; continue; }
    if (c === "'" || c === '"') {
      let value = '';
      i++;
      while (i < expr.length && expr[i] !== c) {
        if (expr[i] === '\\') { value += expr[i + 1]; i += 2; } else value += expr[i++];
      }
      if (expr[i] !== c) throw new Error(`unterminated string in ${expr}`);
      i++;
      tokens.push({ kind: 'str', value });
    } else if (/[A-Za-z_]/.test(c)) {
      let w = '';
      while (i < expr.length && /[A-Za-z0-9_]/.test(expr[i]!)) w += expr[i++];
      tokens.push({ kind: 'word', value: w });
    } else if (c === '[' || c === ']') {
      tokens.push({ kind: 'punct', value: c });
      i++;
    } else throw new Error(`unsupported character "${c}" in template expression ${expr}`);
  }
  return tokens;
}

const UNDEFINED = Symbol('undefined');

/**
 * Renders `{{ PATH }}` and `{{ A if COND else B }}` (A, B: PATH or 'string'; COND: PATH is defined
 * [and PATH is defined]...), PATH = value_json['x']['y']... — all our templates use. Anything else throws.
 */
export function renderTemplate(template: string, payload: string): string {
  const m = /^\{\{(.*)\}\}$/s.exec(template.trim());
  if (!m) throw new Error(`not a single {{ }} expression: ${template}`);
  const tokens = tokenize(m[1]!);
  let p = 0;
  const value_json: unknown = JSON.parse(payload);
  const peek = () => tokens[p];
  const expectWord = (w: string) => {
    const t = tokens[p++];
    if (!t || t.kind !== 'word' || t.value !== w) throw new Error(`expected "${w}" in ${template}`);
  };
  const path = (): unknown => {
    expectWord('value_json');
    let v: unknown = value_json;
    while (peek()?.kind === 'punct' && peek()!.value === '[') {
      p++;
      const key = tokens[p++];
      if (!key || key.kind !== 'str') throw new Error(`only ['string'] subscripts are supported: ${template}`);
      const close = tokens[p++];
      if (!close || close.value !== ']') throw new Error(`expected ] in ${template}`);
      v = v !== UNDEFINED && v !== null && typeof v === 'object' && Object.prototype.hasOwnProperty.call(v, key.value) ? (v as Record<string, unknown>)[key.value] : UNDEFINED;
    }
    return v;
  };
  const operand = (): unknown => {
    const t = peek();
    if (t?.kind === 'str') { p++; return t.value; }
    return path();
  };
  const condition = (): boolean => {
    let result = true;
    for (;;) {
      const v = path();
      expectWord('is');
      expectWord('defined');
      result = result && v !== UNDEFINED;
      if (peek()?.kind === 'word' && peek()!.value === 'and') { p++; continue; }
      return result;
    }
  };
  // `A if C else B` evaluates A only when C holds (Jinja does the same).
  const start = p;
  operand();
  let out: unknown;
  if (peek()?.kind === 'word' && peek()!.value === 'if') {
    p++;
    const holds = condition();
    expectWord('else');
    const otherwise = operand();
    const end = p;
    p = start;
    out = holds ? operand() : otherwise;
    p = end;
  } else {
    p = start;
    out = operand();
  }
  if (p !== tokens.length) throw new Error(`unexpected text after the expression: ${template}`);
  if (out === UNDEFINED) throw new Error(`template reads a value the message lacks: ${template}`);
  return pythonText(out);
}

/** str() of the JSON value as Home Assistant's Python sees it (21.5 -> "21.5", 50.0 parsed -> "50.0" there, "50" here: compare as numbers). */
function pythonText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (v === null) return 'None';
  return JSON.stringify(v);
}
