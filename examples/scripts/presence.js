// A generic presence scanner: watches BLE beacons (phones, tags, any advertiser) and
// publishes when one arrives or leaves, on tele/<topic>/PRESENCE. Simulator, with the
// bundled capture (it has a phone, 6B1F22C0A1B2):
//   npx mi32 run examples/demo/home.jsonl --speed 8 --script examples/scripts/presence.js

const BEACONS = { '6B1F22C0A1B2': 'phone', 'A4C13899EE01': 'neighbour' };  // MAC -> name; {} = everyone
const AWAY_AFTER_MS = 30000;
const topic = `tele/${tasmota.cmd('Topic').Topic}/PRESENCE`;

const seen = {};                                    // MAC -> { name, rssi, last, present }
const adv = new Uint8Array(73);                     // MAC(6) type(1) RSSI(1) len(1) AD(64)

BLE.adv_cb((svc, manu) => {
  let mac = '';
  for (let i = 0; i < 6; i++) mac += adv[i].toString(16).padStart(2, '0');
  mac = mac.toUpperCase();
  const name = Object.keys(BEACONS).length ? BEACONS[mac] : mac;
  if (!name) return;
  const rssi = adv[7] > 127 ? adv[7] - 256 : adv[7];
  const s = seen[mac] ?? (seen[mac] = { name, present: false });
  s.rssi = rssi;
  s.last = tasmota.millis();
  if (!s.present) {
    s.present = true;
    report(mac, s);
  }
}, adv);

function report(mac, s) {
  tasmota.publish(topic, { [s.name]: { MAC: mac, Present: s.present ? 1 : 0, RSSI: s.rssi } });
}

function sweep() {
  const now = tasmota.millis();
  for (const [mac, s] of Object.entries(seen)) {
    if (s.present && now - s.last > AWAY_AFTER_MS) {
      s.present = false;
      report(mac, s);
    }
  }
  tasmota.set_timer(5000, sweep);
}
sweep();
