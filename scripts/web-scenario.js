// The web page's core (core/web over core/http) as source text, so the very same code runs
// in Node and in XS (scripts/xs-check.js evaluates it in both and compares the answers):
// the demo capture goes through the gateway, then raw HTTP requests go through a fake
// TcpServerPort (the dashboard's JSON, a history, a wrong and a right bind key checked
// against the last encrypted frame, /cm, a malformed request, the broker settings: a bad
// port refusing the whole form, a good form saved at once, MqttHost over MQTT refused), and
// every answer is a line.

import { SCENARIO_PRELUDE } from './scenario-prelude.js';

export const WEB_SCENARIO = `(function (core, cfgText, advs, keyedMac, wrongKey, rightKey) {
${SCENARIO_PRELUDE}  const aes = core.createSoftAes();
  let web;
  // The broker settings behind the page and MqttHost/.../MqttTls, as on the device.
  const broker = new core.MqttSettings(store, { host: 'broker.lan', port: 1883, user: 'mi32', password: 'build-pw', tls: false }, log, () => out.push('reconnect'));
  const app = core.createGatewayApp({
    clock, store, log, aes, random: { bytes: (n) => new Uint8Array(n) },
    net: { connectTcp() { throw new Error('no network'); } },
    hostCommand: (line, argument, source) => broker.handle(line, argument, source) || (web && web.hostCommand(line, argument, source)),
  }, { settings: { topic: 'xs' }, broker: () => 'off' });
  // The TCP server port: the scenario is the only client.
  let accept;
  const tcp = { listen(options, a, ready) { accept = a; ready(undefined, options.port); return { close() {} }; } };
  const mqtt = { view: () => broker.view(), update: (changes) => broker.update(changes) };
  web = core.createWebServer(app, { tcp, clock, gatewayClock: clock, store, log, aes, mqtt }, { historyDevices: 16 });
  web.listen(undefined, 80, () => {});
  app.start();
  const t0 = now;
  for (const a of advs) {
    now = t0 + Math.round(a.t);
    app.gateway.handleAdvertisement({ mac: a.mac, rssi: a.rssi, ad: core.fromHex(a.ad) });
  }
  function request(text) {
    const chunks = [];
    const events = accept({ remote: '10.0.0.2:5000', write: (b) => chunks.push(core.utf8Decode(b)), close() {} });
    events.onData(core.utf8Encode(text));
    events.onClose();
    const whole = chunks.join('');
    const head = whole.slice(0, whole.indexOf('\\r\\n'));
    const body = whole.slice(whole.indexOf('\\r\\n\\r\\n') + 4);
    // JSON whole (every value compared); the page by its length
    out.push(head + ' ' + (body.charAt(0) === '{' ? body : body.length + ' bytes'));
  }
  const post = (path, json) => 'POST ' + path + ' HTTP/1.1\\r\\nContent-Type: application/json\\r\\nContent-Length: ' + core.utf8Encode(json).length + '\\r\\n\\r\\n' + json;
  request('GET /api/devices HTTP/1.1\\r\\n\\r\\n');
  request('GET /api/history/' + keyedMac + ' HTTP/1.1\\r\\n\\r\\n');
  request('GET /api/history/A4C1381A2B02 HTTP/1.1\\r\\n\\r\\n');
  request('GET /api/history/C47C8D6A1B2C HTTP/1.1\\r\\n\\r\\n');
  request(post('/api/devices/' + keyedMac + '/key', JSON.stringify({ key: wrongKey })));
  request(post('/api/devices/' + keyedMac + '/key', JSON.stringify({ key: rightKey })));
  request('GET /cm?cmnd=MI32Option0 HTTP/1.1\\r\\n\\r\\n');
  request('GET / HTTP/1.1\\r\\n\\r\\n');
  request('GET /api/devices HTTP/1.1\\r\\nBad header\\r\\n\\r\\n');
  // Settings: a bad port refuses the whole form; a good one saves the broker at once (one reconnect).
  request(post('/api/settings', JSON.stringify({ topic: 'xs2', mqtt: { host: 'new.lan', port: '70000' } })));
  request(post('/api/settings', JSON.stringify({ topic: 'xs2', mqtt: { host: 'new.lan', port: '8883', user: 'bob', password: '', tls: true } })));
  request('GET /cm?cmnd=MqttTls HTTP/1.1\\r\\n\\r\\n');
  out.push('over MQTT ' + JSON.stringify(app.command('MqttHost', 'mqtt', 'evil.example')));
  out.push('mqtt.json ' + core.utf8Decode(files.get('mqtt.json')));
  out.push('mi32cfg ' + core.utf8Decode(files.get('mi32cfg')));
  return out;
})`;

/** The demo's living-room sensor with its key taken away, and a wrong and the right key. */
export const WEB_SCENARIO_KEYS = { mac: 'A4C1381A2B01', wrong: 'DEC0DE00000000000000000000000009', right: 'DEC0DE00000000000000000000000001' };
