// The advertisement path skips MI32Mode, scripts, MI32Block and MI32Proxy with one flag
// (Gateway.detour) while none is in play. The flag must follow every change at run time,
// from every place that makes it: each case here hears a frame on the plain path first,
// then changes one thing and checks the very next frame sees the change, and that undoing
// it brings the plain path back.
import { describe, expect, it } from 'vitest';
import { serviceDataStructure } from '../../firmware/core/ad/structures.js';
import { Gateway, type ScriptPort } from '../../firmware/core/gateway/gateway.js';
import type { Advertisement } from '../../firmware/core/gateway/registry.js';
import { ScriptRuntime } from '../../firmware/core/script/runtime.js';
import { createNodeAes } from '../../host-sim/crypto.js';
import { createNodeScriptHost } from '../../host-sim/script-host.js';
import { FakeClock } from '../mqtt/fakes.js';
import { bytes } from '../helpers/frames.js';
import { MemoryStore, RecordingMqtt, silentLog } from '../helpers/gateway.js';

const MAC = 'A4C138445566';
let counter = 0;
/** A new ATC frame each call (a new counter: never a repeat). */
const atc = (): Advertisement => ({
  mac: MAC, rssi: -60,
  ad: serviceDataStructure(0x181a, bytes(`${MAC}00d73c5f0b8c${(++counter & 0xff).toString(16).padStart(2, '0')}`)),
});
const FILTERED = [{ kind: 'ignored', reason: 'filtered' }];

function setup() {
  const scanning: boolean[] = [];
  const gw = new Gateway({ clock: new FakeClock(), store: new MemoryStore(), log: silentLog, aes: createNodeAes(), setScanning: (on) => scanning.push(on) }, { topic: 'home' });
  gw.start();
  const mqtt = new RecordingMqtt();
  gw.attachMqtt(mqtt);
  const kind = () => gw.handleAdvertisement(atc())[0]!.kind;
  const consoleLines: string[] = [];
  const scripts = () => {
    const runtime = new ScriptRuntime({ host: createNodeScriptHost({ budgetMs: 200 }), gateway: gw, clock: new FakeClock(), log: silentLog, console: (l) => consoleLines.push(l) });
    gw.attachScripts(runtime);
    return runtime;
  };
  return { gw, mqtt, scanning, kind, scripts, consoleLines, run: (line: string) => gw.command(line, 'console') };
}

describe('the advertisement path follows run-time changes (Gateway.detour)', () => {
  it('MI32Block, MI32Block0 and MI32Block0 with no MAC; MI32Approve unblocks', () => {
    const t = setup();
    expect(t.kind()).toBe('values');
    t.run(`MI32Block ${MAC}`);
    expect(t.gw.handleAdvertisement(atc())).toEqual(FILTERED);
    t.run(`MI32Block0 ${MAC}`);
    expect(t.kind()).toBe('values');
    t.run(`MI32Block ${MAC}`);
    t.run('MI32Block0');
    expect(t.kind()).toBe('values');
    t.run(`MI32Block ${MAC}`);
    t.run(`MI32Approve ${MAC}`);
    expect(t.kind()).toBe('values');
  });

  it('MI32Mode off, then passive', () => {
    const t = setup();
    expect(t.kind()).toBe('values');
    t.run('MI32Mode off');
    const frames = t.gw.registry.totals.frames;
    expect(t.gw.handleAdvertisement(atc())).toEqual(FILTERED);
    expect(t.gw.registry.totals.frames).toBe(frames); // not heard at all
    t.run('MI32Mode passive');
    expect(t.scanning).toEqual([false, true]);
    expect(t.kind()).toBe('values');
  });

  it('scripts attached see and filter advertisements; detached, nothing of them stays', () => {
    const t = setup();
    expect(t.kind()).toBe('values');
    const seen: string[] = [];
    let admit = true;
    const port: ScriptPort = { admits: () => admit, onAdvertisement: (a) => seen.push(a.mac), onGattEvent: () => {}, command: () => ({}) };
    t.gw.attachScripts(port);
    expect(t.kind()).toBe('values');
    expect(seen).toEqual([MAC]);
    admit = false;
    expect(t.gw.handleAdvertisement(atc())).toEqual(FILTERED);
    t.gw.detachScripts(port);
    expect(t.kind()).toBe('values');
    expect(seen).toEqual([MAC]);
  });

  it('MI32Proxy 1 publishes from the next advertisement; MI32Proxy 0 stops', () => {
    const t = setup();
    expect(t.kind()).toBe('values');
    t.run('MI32Proxy 1');
    t.kind();
    expect(t.mqtt.on('tele/home/BLE')).toHaveLength(1);
    t.run('MI32Proxy 0');
    t.kind();
    expect(t.mqtt.on('tele/home/BLE')).toHaveLength(1);
  });

  it('a script runtime with no adv_cb, adv_watch or adv_block is skipped; each of them takes effect at once, and ends with its script', () => {
    const t = setup();
    const runtime = t.scripts();
    expect(runtime.load('quiet.js', 'print("idle")')).toEqual({ ok: true });
    expect(t.kind()).toBe('values');
    // adv_block of our MAC by a second script: the very next frame is filtered
    expect(runtime.load('block.js', `BLE.adv_block("${MAC}")`)).toEqual({ ok: true });
    expect(t.gw.handleAdvertisement(atc())).toEqual(FILTERED);
    runtime.stopAll();
    expect(t.kind()).toBe('values');
    // adv_watch of another MAC: ours no longer passes
    expect(runtime.load('watch.js', 'BLE.adv_watch("112233445566")')).toEqual({ ok: true });
    expect(t.gw.handleAdvertisement(atc())).toEqual(FILTERED);
    runtime.stopAll();
    // adv_cb: called for the next frame
    expect(runtime.load('cb.js', 'const buf = new Uint8Array(73); BLE.adv_cb(() => print("heard", buf[8]), buf);')).toEqual({ ok: true });
    expect(t.kind()).toBe('values');
    expect(t.consoleLines.filter((l) => l.startsWith('cb.js: heard'))).toHaveLength(1);
  });
});
