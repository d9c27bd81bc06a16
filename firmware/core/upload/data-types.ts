// How a value key of the registry (Tasmota's SENSOR names) becomes the upload API's
// dataType and the field inside `data`, as the seed manager's "battery_level" / "level".
// One table; a key not in it goes as its snake_case name with a "value" field.

const DATA_TYPES: Readonly<Record<string, readonly [dataType: string, field: string]>> = {
  Temperature: ['temperature', 'celsius'],
  Humidity: ['humidity', 'percent'],
  DewPoint: ['dew_point', 'celsius'],
  Battery: ['battery_level', 'level'],
  Voltage: ['battery_voltage', 'volts'],
  Illuminance: ['illuminance', 'lux'],
  Moisture: ['moisture', 'percent'],
  Fertility: ['conductivity', 'us_cm'],
  Weight: ['weight', 'kg'],
  Pressure: ['pressure', 'hpa'],
  CO2: ['co2', 'ppm'],
};

export function dataTypeOf(key: string): readonly [dataType: string, field: string] {
  return DATA_TYPES[key] ?? [snakeCase(key), 'value'];
}

/** "NMT" → "nmt", "PM2.5" → "pm2_5", "DoorLeftOpen" → "door_left_open". */
function snakeCase(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[^A-Za-z0-9]+/g, '_').toLowerCase();
}
