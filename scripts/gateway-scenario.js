// One gateway scenario, as source text, so the very same code runs in Node and in XS
// (scripts/xs-check.js evaluates it in both and compares what was published). It feeds
// a capture through the Gateway with a fake clock, an in-memory store and a recording
// MQTT port, runs some console commands, and returns every line it observed.

import { SCENARIO_PRELUDE } from './scenario-prelude.js';

export const GATEWAY_SCENARIO = `(function (core, cfgText, advs, commands, scripts, scriptHost) {
${SCENARIO_PRELUDE}  // The app as the device and host-sim compose it (core/gateway/app.ts), MQTT off: every
  // publish is recorded through the 'published' port instead of a broker.
  const app = core.createGatewayApp({
    clock, store, log, aes: core.createSoftAes(), random: { bytes: (n) => new Uint8Array(n) },
    net: { connectTcp() { throw new Error('the scenario has no network'); } },
    console: (l) => out.push('console ' + l),
    published: (t, p, o) => { out.push(t + ' ' + p + (o && o.retain ? ' (retained)' : '')); },
    scriptHost,
  }, { settings: { topic: 'xs', telePeriod: 60 }, broker: () => 'the scenario records publishes' });
  const gw = app.gateway;
  app.start();
  gw.mqttConnected();
  // User scripts (examples/scripts) beside the gateway: Node's vm host or XS's Compartment host.
  if (scripts && scripts.length) {
    for (const s of scripts) {
      const r = app.scripts.load(s.name, s.source);
      out.push('script ' + s.name + ' ' + (r.ok ? 'loaded' : r.error));
    }
  }
  const t0 = now;
  for (const a of advs) {
    advanceTo(t0 + Math.round(a.t));
    gw.handleAdvertisement({ mac: a.mac, rssi: a.rssi, ad: core.fromHex(a.ad) });
  }
  for (const c of commands) app.command(c, 'console');
  advanceTo(now + 120000);
  out.push('mi32cfg ' + (files.has('mi32cfg') ? core.utf8Decode(files.get('mi32cfg')) : '(none)'));
  return out;
})`;

/** Commands the scenario runs after the replay: good ones, bad ones, a save. */
export const SCENARIO_COMMANDS = ['MI32Option2 1', 'MI32Option0 0', 'TelePeriod abc', 'MI32Key 00112233445566778899AABBCCDDEEFFA4C138AABBCC', 'MI32Option9 1', 'MI32Cfg', 'TelePeriod 30',
  'MI32Proxy A4C1381A2B01 zz', 'MI32Proxy a4:c1:38:1a:2b:01', 'BLEOp {"mac":"A4C1381A2B01","svc":"180F","chr":"2A19","op":7}', 'BLEOp {"mac":"A4C1381A2B01","svc":"180F","chr":"2A19","op":11}',
  'MI32Group a/b', 'MI32Group home', 'MI32Group', ...manageCommands()];
/** Device management (issue 17): approve, list (every demo device with its name), modes, pairing state, bad input. */
function manageCommands() {
  return ['MI32Approve A4C1381A2B01 living-room', 'MI32Approve nonsense', 'MI32List', 'MI32List approved', 'MI32Mode active',
    'MI32Paired A4C1381A2B01', 'MI32Unpair A4C1381A2B01', 'MI32Mode off', 'MI32Mode passive', 'MI32Upload', 'MI32Remove A4C1381A2B01', 'MI32List approved'];
}

/**
 * Escapes from a script to the host (issue 10): each must print "refused" in both engines.
 * 'reached' would mean the script got a Function that evaluates among the firmware's
 * globals (XS: MI32Core, issueCommand; Node: process) or changed a built-in under the firmware.
 */
export const ESCAPE_SCRIPT = `const probe = 'return [typeof MI32Core, typeof issueCommand, typeof process, typeof require].join()';
const self = this;
const attempts = {
  'MI32.devices.constructor': () => MI32.devices.constructor(probe)(),
  'this.constructor.constructor': () => self.constructor.constructor(probe)(),
  'print.constructor': () => print.constructor(probe)(),
  'arrow.constructor': () => (() => {}).constructor(probe)(),
  'async.constructor': () => (async function () {}).constructor(probe),
  'generator.constructor': () => (function* () {}).constructor(probe),
  'get_MAC.constructor.constructor': () => MI32.get_MAC(0).constructor.constructor(probe)(),
  'cmd reply': () => tasmota.cmd('Topic').constructor.constructor(probe)(),
};
for (const key of Object.keys(attempts)) {
  let outcome = 'refused';
  try { outcome = 'reached ' + attempts[key](); } catch (e) { outcome = 'refused'; }
  print('escape', key, outcome);
}
const push = Array.prototype.push;
try { Array.prototype.push = function () { return 0; }; } catch (e) { /* frozen */ }
try { Object.prototype.polluted = 1; } catch (e) { /* frozen */ }
try { MI32.devices = () => 99; } catch (e) { /* hardened */ }
print('escape', 'Array.prototype.push', Array.prototype.push === push ? 'refused' : 'reached');
print('escape', 'Object.prototype', ({}).polluted === undefined ? 'refused' : 'reached');
print('escape', 'MI32.devices', MI32.devices() === 99 ? 'reached' : 'refused');
`;

/** Scripts the scenario runs in both engines: an example, one whose callback throws on a known line, and the escapes. */
export const SCENARIO_SCRIPTS = (fs, root) => [
  { name: 'presence.js', source: fs.readFileSync(root + '/examples/scripts/presence.js', 'utf8') },
  { name: 'thrower.js', source: "const buf = new Uint8Array(73);\nlet n = 0;\nBLE.adv_cb(() => { if (++n === 3) throw new Error('third advert'); }, buf);\n" },
  { name: 'escape.js', source: ESCAPE_SCRIPT },
];
