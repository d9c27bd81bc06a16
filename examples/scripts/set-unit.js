// Switch the display of an LYWSD02 and an LYWSD03MMC to °F (or back), as Tasmota's
// MI32Unit did. Simulator:
//   npx mi32 run --script examples/scripts/set-unit.js
// The built-in command: MI32Unit <slot|MAC|name> [C|F] (toggles without a unit).

const UNIT = 'F';
// The two models write the same characteristic with different bytes.
const DISPLAYS = [
  { mac: 'E72E01A1B2C3', C: 0xff, F: 0x01 },       // LYWSD02 (lywsd02 library: 0xFF = °C)
  { mac: 'A4C1381A2B01', C: 0x00, F: 0x01 },       // LYWSD03MMC
];

const buf = new Uint8Array(8);
const queue = DISPLAYS.slice();

BLE.conn_cb((error, op) => {
  const d = queue.shift();
  print(error === 0 ? `${d.mac}: unit is now ${UNIT}` : `${d.mac}: error ${error}`);
  next();
}, buf);

// One write at a time: the buffer holds the value of the write being queued.
function next() {
  const d = queue[0];
  if (!d) return;
  buf[0] = 1;
  buf[1] = d[UNIT];
  BLE.set_MAC(d.mac);
  BLE.set_svc('EBE0CCB0-7A0A-4B0C-8A1A-6FF2997DA3A6');
  BLE.set_chr('EBE0CCBE-7A0A-4B0C-8A1A-6FF2997DA3A6');
  BLE.run(12, true);
}
next();
