// Read the battery of sensors that do not advertise it (or advertise it badly), the way
// Tasmota's MI32Battery did, with the BLE scripting API. Run it in the simulator:
//   npx mi32 run --script examples/scripts/read-battery.js
// (the simulator serves the five sensors below as simulated GATT peripherals).
// On your own devices: put their MACs in SENSORS.

const SENSORS = [
  { mac: 'A4C1381A2B01', model: 'LYWSD03MMC' },
  { mac: 'A4C13855C401', model: 'MHO-C401' },
  { mac: 'E72E01A1B2C3', model: 'LYWSD02' },
  { mac: 'C47C8D6A1B2C', model: 'HHCCJCY01' },
  { mac: '582D3430AB12', model: 'CGD1' },
];

const XIAOMI = 'EBE0CCB0-7A0A-4B0C-8A1A-6FF2997DA3A6';
const xiaomi = (short) => `EBE0${short}-7A0A-4B0C-8A1A-6FF2997DA3A6`;

// How each model tells its battery. The LYWSD03MMC and MHO-C401 have no reliable battery
// characteristic: their temperature/humidity notification carries the cell voltage, so
// subscribe once (op 13: connect, subscribe, wait for the first notification, disconnect).
const HOW = {
  'LYWSD03MMC': { op: 13, svc: XIAOMI, chr: xiaomi('CCC1'), battery: fromVoltage },
  'MHO-C401': { op: 13, svc: XIAOMI, chr: xiaomi('CCC1'), battery: fromVoltage },
  'LYWSD02': { op: 11, svc: XIAOMI, chr: xiaomi('CCC4'), battery: firstByte },
  'HHCCJCY01': { op: 11, svc: '1204', chr: '1A02', battery: firstByte }, // [battery][?][firmware]
  'CGD1': { op: 11, svc: '180F', chr: '2A19', battery: firstByte },      // standard Battery Level
};

function firstByte(buf) { return buf[1]; }
function fromVoltage(buf) {
  const mv = buf[4] | (buf[5] << 8);               // [len][temp lo, hi][hum][mV lo, hi]
  return Math.max(0, Math.min(100, Math.round((mv - 2100) / 12)));
}

const buf = new Uint8Array(64);
const pending = [];                                 // requests in the order they were queued

// Called for every result (op 1 read, 3 subscribe; error 0 = fine) and for events:
// 103 = a notification (the one-shot subscribe's; its result follows), 5 = a peer hung up
// between requests. Only results answer a request.
BLE.conn_cb((error, op, uuid, handle) => {
  if (op !== 1 && op !== 3) return;
  const sensor = pending.shift();
  if (!sensor) return;
  if (error !== 0) {
    print(`${sensor.model} ${sensor.mac}: error ${error}`);
    return;
  }
  const battery = HOW[sensor.model].battery(buf);
  print(`${sensor.model} ${sensor.mac}: battery ${battery}%`);
  const slot = slotOf(sensor.mac);
  if (slot >= 0) MI32.set_bat(slot, battery);       // shows in the next SENSOR message
}, buf);

function slotOf(mac) {
  for (let i = 0; i < MI32.devices(); i++) {
    const m = MI32.get_MAC(i);
    if ([...m].map((b) => b.toString(16).padStart(2, '0')).join('').toUpperCase() === mac) return i;
  }
  return -1;
}

for (const sensor of SENSORS) {
  const how = HOW[sensor.model];
  BLE.set_MAC(sensor.mac);
  BLE.set_svc(how.svc);
  BLE.set_chr(how.chr);
  BLE.run(how.op);                                  // queued: one connection at a time
  pending.push(sensor);
}
