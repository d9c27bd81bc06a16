// The value-key table (firmware/core/values/keys.ts) is the one place a key's meaning lives:
// every key a decoder gives over the whole fixture corpus (xiaomi-ble, bthome-ble and
// ble_monitor's captures) and the demo home's capture must have a row, and the rows must say
// what Home Assistant accepts (its documented device classes, units and state classes).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { fromHex } from '../../firmware/core/bytes/hex.js';
import { decodeAdvertisement, decodeRequest } from '../../firmware/core/decode.js';
import { isError } from '../../firmware/core/decoders/types.js';
import { isMomentary } from '../../firmware/core/gateway/registry.js';
import { baseKey, ownKeyInfo, valueKeyInfo, VALUE_KEYS } from '../../firmware/core/values/keys.js';
import { readCapture } from '../../host-sim/capture/index.js';
import { createNodeAes } from '../../host-sim/crypto.js';
import { loadFixtures } from '../helpers/frames.js';

const aes = createNodeAes();
const DEMO = fileURLToPath(new URL('../../examples/demo/', import.meta.url));

/** Every key decoded, with the values seen for it. */
const seen = new Map<string, Set<number | string>>();
function record(values: Record<string, number | string | undefined>): void {
  for (const [k, v] of Object.entries(values)) if (v !== undefined) (seen.get(k) ?? seen.set(k, new Set()).get(k)!).add(v);
}

beforeAll(async () => {
  for (const fx of loadFixtures()) {
    const r = decodeRequest(fx, aes);
    if (!isError(r)) record(r.values);
  }
  const keys = new Map((JSON.parse(readFileSync(DEMO + 'mi32cfg', 'utf8')) as { MAC: string; key?: string }[])
    .filter((e) => e.key).map((e) => [e.MAC, fromHex(e.key!)!]));
  const capture = await readCapture(DEMO + 'home.jsonl');
  for (const adv of capture.advertisements) {
    for (const r of decodeAdvertisement(adv.ad, adv.mac, { aes, keyFor: (mac) => keys.get(mac) })) if (!isError(r)) record(r.values);
  }
});

describe('value-key table', () => {
  it('has a row for every key the decoders give over the fixtures and the demo capture', () => {
    expect(seen.size).toBeGreaterThan(40); // the corpus really was decoded
    expect([...seen.keys()].filter((k) => valueKeyInfo(k) === undefined)).toEqual([]);
  });

  it('gives numbered copies their base row, and PM10/CO2 their own', () => {
    expect(valueKeyInfo('Button3')?.key).toBe('Button');
    expect(valueKeyInfo('Temperature2')?.key).toBe('Temperature');
    expect(valueKeyInfo('PM10')?.key).toBe('PM10');
    expect(baseKey('CO2')).toBe('CO');
    expect(valueKeyInfo('CO2')?.key).toBe('CO2');
    // what the gateway keeps and publishes by: buttons share Button's row, other copies have none (as before the table)
    expect(ownKeyInfo('Button12')?.kind).toBe('event');
    expect(ownKeyInfo('Button0')?.kind).toBe('event'); // YLYK01YL counts its keys from 0
    expect(ownKeyInfo('Temperature2')).toBeUndefined();
  });

  it('says which keys are sent once (the registry reads the kind from the rows)', () => {
    expect(['Button0', 'Button1', 'Button12', 'Dimmer', 'Dimmer_P', 'Hold', 'Motion', 'LockAction', 'LockError', 'FingerprintResult'].filter((k) => !isMomentary(k))).toEqual([]);
    expect(['Temperature', 'Door', 'NMT', 'Leak', 'Battery', 'Events', 'Temperature2', 'NoSuchKey'].filter(isMomentary)).toEqual([]);
  });

  it('cannot be changed by a reader (rows are shared, and stay in flash on the device)', () => {
    const row = valueKeyInfo('Temperature')!;
    expect([Object.isFrozen(VALUE_KEYS), Object.isFrozen(row), Object.isFrozen(row.ha), Object.isFrozen(row.hap)]).toEqual([true, true, true, true]);
  });

  it('holds each key once', () => {
    const keys = VALUE_KEYS.map((r) => r.key);
    expect(keys.filter((k, i) => keys.indexOf(k) !== i)).toEqual([]);
  });

  it('text keys are plain sensors or events, binary sensors see only 0 and 1', () => {
    const wrong: string[] = [];
    for (const [key, values] of seen) {
      const ha = valueKeyInfo(key)?.ha;
      const texts = [...values].some((v) => typeof v === 'string');
      const plain = ha?.component === 'device_automation' || (ha?.component === 'sensor' && !ha.device_class && !ha.state_class);
      if (texts && ha && !plain) wrong.push(`${key}: text values, ${JSON.stringify(ha)}`);
      if (ha?.component === 'binary_sensor' && [...values].some((v) => v !== 0 && v !== 1)) wrong.push(`${key}: binary sensor given ${[...values].join(',')}`);
    }
    expect(wrong).toEqual([]);
  });
});

// Home Assistant's sensor device classes as documented (homeassistant/components/sensor/const.py:
// DEVICE_CLASS_UNITS, DEVICE_CLASS_STATE_CLASSES), for the classes the table uses. A class not
// listed here fails the test: check it against Home Assistant before adding it.
const ANY_STATE = ['measurement', 'total', 'total_increasing'];
const TOTALS = ['total', 'total_increasing'];
const HA_SENSOR: Record<string, { units: string[]; states: string[] }> = {
  temperature: { units: ['°C', '°F', 'K'], states: ['measurement'] },
  humidity: { units: ['%'], states: ['measurement'] },
  illuminance: { units: ['lx'], states: ['measurement'] },
  moisture: { units: ['%'], states: ['measurement'] },
  conductivity: { units: ['S/cm', 'mS/cm', 'µS/cm'], states: ['measurement'] },
  atmospheric_pressure: { units: ['Pa', 'hPa', 'kPa', 'mbar', 'bar', 'cbar', 'inHg', 'psi', 'mmHg'], states: ['measurement'] },
  carbon_dioxide: { units: ['ppm'], states: ['measurement'] },
  pm25: { units: ['µg/m³'], states: ['measurement'] },
  pm10: { units: ['µg/m³'], states: ['measurement'] },
  volatile_organic_compounds: { units: ['µg/m³'], states: ['measurement'] },
  weight: { units: ['µg', 'mg', 'g', 'kg', 'oz', 'lb'], states: ANY_STATE },
  energy: { units: ['Wh', 'kWh', 'MWh'], states: TOTALS },
  power: { units: ['W', 'kW'], states: ['measurement'] },
  current: { units: ['mA', 'A'], states: ['measurement'] },
  voltage: { units: ['mV', 'V'], states: ['measurement'] },
  distance: { units: ['mm', 'cm', 'm', 'km'], states: ANY_STATE },
  duration: { units: ['ms', 's', 'min', 'h', 'd'], states: ANY_STATE },
  speed: { units: ['m/s', 'km/h', 'mm/s'], states: ['measurement'] },
  volume: { units: ['mL', 'L', 'm³'], states: TOTALS },
  volume_storage: { units: ['mL', 'L', 'm³'], states: ['measurement'] },
  volume_flow_rate: { units: ['m³/h', 'L/min', 'mL/s'], states: ['measurement'] },
  water: { units: ['L', 'm³'], states: TOTALS },
  gas: { units: ['m³'], states: TOTALS },
  precipitation: { units: ['mm', 'cm'], states: ANY_STATE },
  battery: { units: ['%'], states: ['measurement'] },
  signal_strength: { units: ['dB', 'dBm'], states: ['measurement'] },
  sound_pressure: { units: ['dB', 'dBA'], states: ['measurement'] },
};
// homeassistant/components/binary_sensor/__init__.py BinarySensorDeviceClass
const HA_BINARY = ['battery', 'battery_charging', 'carbon_monoxide', 'cold', 'connectivity', 'door', 'garage_door', 'gas', 'heat', 'light',
  'lock', 'moisture', 'motion', 'moving', 'occupancy', 'opening', 'plug', 'power', 'presence', 'problem', 'running', 'safety', 'smoke',
  'sound', 'tamper', 'update', 'vibration', 'window'];

describe('value-key table against Home Assistant', () => {
  it('uses sensor device classes with their units and state classes', () => {
    const wrong = VALUE_KEYS.flatMap((row): string[] => {
      const ha = row.ha as { component: string; device_class?: string; state_class?: string } | undefined;
      if (ha?.component !== 'sensor' || !ha.device_class) return [];
      const allowed = HA_SENSOR[ha.device_class];
      const unit = 'unit' in row ? row.unit : undefined;
      if (!allowed) return [`${row.key}: device class ${ha.device_class} not checked`];
      if (!unit || !allowed.units.includes(unit)) return [`${row.key}: ${unit} is not a ${ha.device_class} unit`];
      if (ha.state_class && !allowed.states.includes(ha.state_class)) return [`${row.key}: ${ha.device_class} cannot be ${ha.state_class}`];
      return [];
    });
    expect(wrong).toEqual([]);
  });

  it('uses binary sensor device classes, with "on" meaning what Home Assistant means', () => {
    const classes = VALUE_KEYS.flatMap((row) => (row.ha?.component === 'binary_sensor' && 'device_class' in row.ha ? [row.ha.device_class] : []));
    expect(classes.filter((c) => !HA_BINARY.includes(c))).toEqual([]);
    // Home Assistant's lock class is on when unlocked; our Lock is 1 when locked.
    expect(valueKeyInfo('Lock')?.ha).toMatchObject({ device_class: 'lock', payload_on: 0 });
  });
});
