// Set the clock of an LYWSD02 (the e-ink clock) and an LYWSD03MMC to the gateway's time,
// as Tasmota's MI32Time did. Simulator:
//   npx mi32 run --script examples/scripts/set-clock.js
// The built-in command does the same: MI32Time <slot|MAC|name> [timezone hours].

const CLOCKS = ['E72E01A1B2C3', 'A4C1381A2B01'];   // LYWSD02, LYWSD03MMC
const TIMEZONE_HOURS = 1;                          // shown on the device; the clock itself keeps UTC

const buf = new Uint8Array(16);
let left = CLOCKS.length;

BLE.conn_cb((error, op, uuid, handle) => {
  print(error === 0 ? `clock set (characteristic ${uuid.toString(16)}, handle ${handle})` : `could not set the clock: error ${error}`);
  if (--left === 0) print('done');
}, buf);

// [len][uint32 LE seconds][int8 timezone]: the lywsd02 library's layout.
const utc = tasmota.rtc().utc;
buf[0] = 5;
buf[1] = utc & 0xff; buf[2] = (utc >> 8) & 0xff; buf[3] = (utc >> 16) & 0xff; buf[4] = (utc >>> 24) & 0xff;
buf[5] = TIMEZONE_HOURS & 0xff;

for (const mac of CLOCKS) {
  BLE.set_MAC(mac);
  BLE.set_svc('EBE0CCB0-7A0A-4B0C-8A1A-6FF2997DA3A6');
  BLE.set_chr('EBE0CCB7-7A0A-4B0C-8A1A-6FF2997DA3A6');
  BLE.run(12, true);                               // 12 = write, then disconnect; true = with response
}
