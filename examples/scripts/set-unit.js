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
const waiting = DISPLAYS.slice();                  // results come back in the order of run()

BLE.conn_cb((error, op) => {
  const d = waiting.shift();
  print(error === 0 ? `${d.mac}: unit is now ${UNIT}` : `${d.mac}: error ${error}`);
}, buf);

for (const d of DISPLAYS) {
  buf[0] = 1;                                      // [len][value]: run() takes a copy now,
  buf[1] = d[UNIT];                                // so the buffer can be refilled for the next one
  BLE.set_MAC(d.mac);
  BLE.set_svc('EBE0CCB0-7A0A-4B0C-8A1A-6FF2997DA3A6');
  BLE.set_chr('EBE0CCBE-7A0A-4B0C-8A1A-6FF2997DA3A6');
  BLE.run(12, true);                               // 12 = write, then disconnect; true = with response
}
