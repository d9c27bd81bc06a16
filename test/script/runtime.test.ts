// The scripting runtime beside a real Gateway (Node vm host): MI32 and BLE.adv_cb as Tasmota
// lays them out, adv_watch/adv_block, tasmota.* helpers, and failures that never stop the gateway.
import { describe, expect, it } from 'vitest';
import { serviceDataStructure } from '../../firmware/core/ad/structures.js';
import { Gateway } from '../../firmware/core/gateway/gateway.js';
import { ScriptRuntime } from '../../firmware/core/script/runtime.js';
import { createNodeAes } from '../../host-sim/crypto.js';
import { createNodeScriptHost } from '../../host-sim/script-host.js';
import { FakeClock } from '../mqtt/fakes.js';
import { miBeacon } from '../helpers/frames.js';
import { MemoryStore, RecordingMqtt, recordingLog } from '../helpers/gateway.js';

const MAC = 'A4C138112233';
const tempAdv = (counter: number, tenths: number, mac = MAC) => ({
  mac, rssi: -71,
  ad: serviceDataStructure(0xfe95, miBeacon({ pid: 0x055b, mac, counter, objects: [[0x1004, new Uint8Array([tenths & 0xff, tenths >> 8])]] })),
});

function setup() {
  const clock = new FakeClock();
  const logLines: string[] = [];
  const consoleLines: string[] = [];
  const log = recordingLog(logLines);
  const gw = new Gateway({ clock, store: new MemoryStore(), log, aes: createNodeAes(), console: (l) => consoleLines.push(l) }, { topic: 'home' });
  gw.start();
  const mqtt = new RecordingMqtt();
  gw.attachMqtt(mqtt);
  const store = new MemoryStore();
  const runtime = new ScriptRuntime({ host: createNodeScriptHost({ budgetMs: 200 }), gateway: gw, clock, log, console: (l) => consoleLines.push(l), store });
  gw.attachScripts(runtime);
  return { clock, gw, mqtt, runtime, logLines, consoleLines, store };
}

describe('scripts: MI32', () => {
  it('lists slots, names and MACs, and sets values keeping decimals', () => {
    const { gw, runtime, consoleLines } = setup();
    gw.handleAdvertisement(tempAdv(1, 215));
    const out = runtime.load('mi32.js', `
      print(MI32.devices(), MI32.get_name(0), JSON.stringify([...MI32.get_MAC(0)]), JSON.stringify(MI32.get_name(5)), MI32.get_MAC(5).length);
      MI32.set_temp(0, 22.75); MI32.set_hum(0, 40.5); MI32.set_bat(0, 88); MI32.set_bat(0, 300);`);
    expect(out).toEqual({ ok: true });
    expect(consoleLines).toContain('mi32.js: 1 LYWSD03 [164,193,56,17,34,51] "" 0');
    const values = gw.registry.slots.get(MAC)!.values;
    expect(values).toMatchObject({ Temperature: 22.75, Humidity: 40.5, Battery: 88 });
  });
});

describe('scripts: BLE.adv_cb', () => {
  it('fills the buffer in Tasmota layout and gives svc/manu indexes', () => {
    const { gw, runtime, consoleLines } = setup();
    runtime.load('adv.js', `
      const buf = new Uint8Array(73);
      BLE.adv_cb((svc, manu) => print(svc, manu, buf[6], buf[7], buf[8], buf[svc] | (buf[svc + 1] << 8), buf[svc - 2]), buf);`);
    const adv = tempAdv(1, 215);
    const withManu = { ...adv, ad: new Uint8Array([...adv.ad, 4, 0xff, 0x4c, 0x00, 0x02]) };
    gw.handleAdvertisement(withManu);
    const svcIndex = 9 + 2; // the service data element starts the payload: [len][0x16][uuid lo]...
    expect(consoleLines).toContain(`adv.js: ${svcIndex} ${9 + adv.ad.length + 2} 0 ${256 - 71} ${withManu.ad.length} ${0xfe95} ${adv.ad[0]}`);
  });

  it('adv_watch lets only watched MACs through, to scripts and to the gateway; adv_block hides one', () => {
    const { gw, runtime, consoleLines } = setup();
    runtime.load('watch.js', `
      const buf = new Uint8Array(73);
      BLE.adv_cb(() => print([...buf.slice(0, 6)].map((b) => b.toString(16).padStart(2, '0')).join('')), buf);
      BLE.adv_watch('A4:C1:38:11:22:33');`);
    gw.handleAdvertisement(tempAdv(1, 215));
    gw.handleAdvertisement(tempAdv(1, 215, 'A4C138445566'));
    expect(consoleLines.filter((l) => l.startsWith('watch.js'))).toEqual(['watch.js: a4c138112233']);
    expect([...gw.registry.slots.keys()]).toEqual([MAC]);
    runtime.load('block.js', `BLE.adv_block(Uint8Array.of(0xA4, 0xC1, 0x38, 0x11, 0x22, 0x33));`);
    gw.handleAdvertisement(tempAdv(2, 216));
    expect(gw.registry.slots.get(MAC)!.values.Temperature).toBe(21.5);
  });

  it('rejects bad arguments with a message that names the call', () => {
    const { runtime } = setup();
    const out = runtime.load('bad.js', `BLE.adv_watch('A4C1');`);
    expect(out.ok).toBe(false);
    if (!out.ok) expect(out.error).toMatch(/^script bad\.js:1: Error: BLE\.adv_watch: MAC must be 6 bytes/);
  });
});

describe('scripts: tasmota helpers and failures', () => {
  it('publishes, runs commands and timers', () => {
    const { clock, runtime, mqtt } = setup();
    runtime.load('t.js', `
      const topic = tasmota.cmd('Topic').Topic;
      tasmota.set_timer(1000, () => tasmota.publish('tele/' + topic + '/HELLO', { At: tasmota.millis() }));
      const gone = tasmota.set_timer(500, () => tasmota.publish('tele/x/NEVER', 'no'));
      tasmota.remove_timer(gone);`);
    clock.advance(2000);
    expect(mqtt.on('tele/home/HELLO')).toEqual([JSON.stringify({ At: clock.now() - 1000 })]);
    expect(mqtt.on('tele/x/NEVER')).toEqual([]);
    expect(mqtt.on('stat/home/RESULT')).toEqual(['{"Topic":"home"}']);
  });

  it('a callback that throws is reported with name and line; the gateway and the script go on', () => {
    const { gw, runtime, logLines, consoleLines } = setup();
    runtime.load('thrower.js', `const buf = new Uint8Array(73);
let n = 0;
BLE.adv_cb(() => {
  n++;
  if (n === 1) throw new Error('first one fails');
  print('second ok');
}, buf);`);
    gw.handleAdvertisement(tempAdv(1, 215));
    gw.handleAdvertisement(tempAdv(2, 216));
    expect(logLines).toContain('error script thrower.js:5: Error: first one fails');
    expect(consoleLines).toContain('{"Script":"thrower.js","Error":"Error: first one fails","Line":5}');
    expect(consoleLines).toContain('thrower.js: second ok');
    expect(gw.registry.slots.get(MAC)!.values.Temperature).toBe(21.6);
    expect(runtime.status).toEqual([{ name: 'thrower.js', running: true, errors: 1 }]);
  });

  it('a looping callback is cut off and the script stopped; the gateway goes on', () => {
    const { gw, clock, runtime, logLines } = setup();
    runtime.load('looper.js', `print('hello');\ntasmota.set_timer(10, () => { for (;;) {} });`);
    clock.advance(20);
    expect(logLines).toContain('error script looper.js:2: ran longer than 200 ms (a loop?) in the callback set here; the script is stopped');
    expect(runtime.status).toEqual([{ name: 'looper.js', running: false, errors: 1 }]);
    gw.handleAdvertisement(tempAdv(1, 215));
    expect(gw.registry.slots.get(MAC)!.values.Temperature).toBe(21.5);
  });

  it('an async callback that rejects is reported with its line; the script goes on', () => {
    const { clock, runtime, logLines, consoleLines } = setup();
    runtime.load('async.js', `let n = 0;\ntasmota.set_timer(10, async () => {\n  await null;\n  if (++n === 1) null.x;\n});\ntasmota.set_timer(30, () => print('still here'));`);
    clock.advance(40);
    expect(logLines).toContainEqual(expect.stringMatching(/^error script async\.js:4: TypeError: Cannot read properties of null .* \(in an async callback\)$/));
    expect(consoleLines).toContain('async.js: still here');
    expect(runtime.status).toEqual([{ name: 'async.js', running: true, errors: 1 }]);
  });

  it('a syntax error is reported with the line and nothing runs', () => {
    const { runtime } = setup();
    const out = runtime.load('syntax.js', `print('a');\nprint(;`);
    expect(out).toEqual({ ok: false, error: expect.stringMatching(/^script syntax\.js:2: SyntaxError/) });
    expect(runtime.status[0]!.running).toBe(false);
  });

  it('BLE.run without a GATT link says so', () => {
    const { runtime } = setup();
    const out = runtime.load('nogatt.js', `BLE.conn_cb(() => {}, new Uint8Array(8)); BLE.set_MAC('A4C138112233'); BLE.run(1);`);
    expect(out).toEqual({ ok: false, error: 'script nogatt.js:1: Error: BLE.run: this platform has no GATT client' });
  });
});

describe('scripts: stored with ScriptSave', () => {
  it('ScriptSave stores autoexec.js, replaces the running one, and it loads again at the next start', () => {
    const { gw, runtime, consoleLines, store, clock } = setup();
    expect(gw.command('Script', 'console')).toEqual({ Script: [] });
    const v1 = "print('v1'); tasmota.set_timer(100, () => print('tick v1'));";
    expect(gw.command('ScriptSave', 'console', v1)).toEqual({ ScriptSave: 'Done', Bytes: v1.length, Running: true });
    expect(gw.command('ScriptSave', 'console', "print('v2');")).toEqual({ ScriptSave: 'Done', Bytes: 12, Running: true });
    clock.advance(200);
    expect(consoleLines.filter((l) => l.startsWith('autoexec.js'))).toEqual(['autoexec.js: v1', 'autoexec.js: v2']); // v1's timer died with it
    expect(gw.command('Script', 'console')).toEqual({ Script: [{ Name: 'autoexec.js', Running: true, Errors: 0 }] });
    const next = new ScriptRuntime({ host: createNodeScriptHost(), gateway: gw, clock, log: recordingLog([]), console: (l) => consoleLines.push(l), store });
    next.loadStored();
    expect(consoleLines.at(-1)).toBe('autoexec.js: v2');
    expect(store.exists('autoexec.js')).toBe(true);
  });

  it('a broken script is reported and not stored; an empty or oversized one is refused', () => {
    const { gw, store } = setup();
    expect(gw.command('ScriptSave', 'console', 'print(;')).toEqual({ ScriptSave: 'Error', Error: expect.stringMatching(/^script autoexec\.js:1: SyntaxError/) });
    expect(store.exists('autoexec.js')).toBe(false);
    expect(gw.command('ScriptSave', 'console', '')).toEqual({ ScriptSave: 'Error', Error: expect.stringMatching(/usage: ScriptSave/) });
    expect(gw.command('ScriptSave', 'console', 'x'.repeat(20000))).toEqual({ ScriptSave: 'Error', Error: 'script is 20000 bytes; at most 16384' });
  });
});

describe('scripts: a stopped or replaced script leaves nothing behind (issue 13)', () => {
  const OTHER = 'A4C138445566';
  const kinds = (outcomes: { kind: string; reason?: string }[]) => outcomes.map((o) => (o.kind === 'ignored' ? `ignored ${o.reason}` : o.kind));

  it('adv_watch of a script replaced by `ScriptSave print(1)` from the console no longer filters other devices', () => {
    const { gw } = setup();
    expect(gw.command(`ScriptSave BLE.adv_watch('${MAC}');`, 'console')).toMatchObject({ ScriptSave: 'Done' });
    expect(kinds(gw.handleAdvertisement(tempAdv(1, 215, OTHER)))).toEqual(['ignored filtered']);
    expect(gw.command('ScriptSave print(1)', 'console')).toMatchObject({ ScriptSave: 'Done' });
    expect(kinds(gw.handleAdvertisement(tempAdv(2, 216, OTHER)))).toEqual(['values']);
    expect(gw.registry.slots.get(OTHER)!.values.Temperature).toBe(21.6);
  });

  it('adv_block of a replaced script no longer hides its device', () => {
    const { gw } = setup();
    gw.command(`ScriptSave BLE.adv_block('${MAC}');`, 'console');
    expect(kinds(gw.handleAdvertisement(tempAdv(1, 215)))).toEqual(['ignored filtered']);
    gw.command('ScriptSave print(1)', 'console');
    expect(kinds(gw.handleAdvertisement(tempAdv(2, 216)))).toEqual(['values']);
  });

  it('a script stopped by the watchdog (a loop) leaves no filter and no callback behind', () => {
    const { gw, clock, runtime, consoleLines } = setup();
    runtime.load('looper.js', `const buf = new Uint8Array(73);
BLE.adv_cb(() => print('seen'), buf);
BLE.adv_watch('${MAC}');
tasmota.set_timer(10, () => { for (;;) {} });`);
    clock.advance(20);
    expect(runtime.status).toEqual([{ name: 'looper.js', running: false, errors: 1 }]);
    expect(kinds(gw.handleAdvertisement(tempAdv(1, 215, OTHER)))).toEqual(['values']);
    expect(consoleLines).not.toContain('looper.js: seen');
  });

  it('a script that fails to load leaves no filter behind', () => {
    const { gw } = setup();
    expect(gw.command(`ScriptSave BLE.adv_watch('${MAC}'); null.x;`, 'console')).toMatchObject({ ScriptSave: 'Error' });
    expect(kinds(gw.handleAdvertisement(tempAdv(1, 215, OTHER)))).toEqual(['values']);
  });

  it('the filters of two running scripts combine: a watch admits its MAC, a block wins', () => {
    const { gw, runtime } = setup();
    runtime.load('a.js', `BLE.adv_watch('${MAC}');`);
    runtime.load('b.js', `BLE.adv_watch('${OTHER}'); BLE.adv_block('${MAC}');`);
    expect(kinds(gw.handleAdvertisement(tempAdv(1, 215, OTHER)))).toEqual(['values']);
    expect(kinds(gw.handleAdvertisement(tempAdv(1, 215)))).toEqual(['ignored filtered']);
    expect(kinds(gw.handleAdvertisement(tempAdv(1, 215, 'A4C138778899')))).toEqual(['ignored filtered']);
  });

  it('a detached runtime leaves no filter, tap or command in the gateway', () => {
    const { gw, runtime, consoleLines } = setup();
    runtime.load('w.js', `const buf = new Uint8Array(73); BLE.adv_cb(() => print('seen'), buf); BLE.adv_watch('${MAC}');`);
    gw.detachScripts(runtime);
    expect(kinds(gw.handleAdvertisement(tempAdv(1, 215, OTHER)))).toEqual(['values']);
    expect(consoleLines).not.toContain('w.js: seen');
    expect(gw.command('Script', 'console')).toEqual({ Script: 'Error', Error: 'scripting is not enabled on this build' });
  });
});
