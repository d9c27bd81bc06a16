// The device's script host (core/script/worker-host.ts) beside a real Gateway and ScriptRuntime,
// with a fake sandbox worker the test drives by hand: it answers an entry, or never does (what a
// script in `for(;;){}`, a microtask loop or a looping timer callback looks like from the
// gateway's machine). The watchdog must stop the script and the gateway must go on.
import { describe, expect, it } from 'vitest';
import { serviceDataStructure } from '../../firmware/core/ad/structures.js';
import { Gateway } from '../../firmware/core/gateway/gateway.js';
import { utf8Decode } from '../../firmware/core/mqtt/utf8.js';
import { AUTOEXEC, ScriptRuntime } from '../../firmware/core/script/runtime.js';
import { abandonedWorkers, createWorkerScriptHost, type SandboxWorker } from '../../firmware/core/script/worker-host.js';
import { REPLY_HEADER_BYTES, REPLY_LENGTH, REPLY_OK, REPLY_SEQ, type Encoded, type FromSandbox, type ToSandbox } from '../../firmware/core/script/worker-protocol.js';
import { createNodeAes } from '../../host-sim/crypto.js';
import { FakeClock } from '../mqtt/fakes.js';
import { miBeacon } from '../helpers/frames.js';
import { MemoryStore, RecordingMqtt, recordingLog } from '../helpers/gateway.js';

const MAC = 'A4C138112233';
const tempAdv = (counter: number, tenths: number) => ({
  mac: MAC, rssi: -71,
  ad: serviceDataStructure(0xfe95, miBeacon({ pid: 0x055b, mac: MAC, counter, objects: [[0x1004, new Uint8Array([tenths & 0xff, tenths >> 8])]] })),
});

class FakeSandbox implements SandboxWorker {
  onmessage: ((message: FromSandbox) => void) | null | undefined;
  readonly inbox: ToSandbox[] = [];
  terminated = false;
  private reply?: Int32Array;
  private seq = 0;

  postMessage(message: ToSandbox): void {
    if (message.t === 'load') this.reply = new Int32Array(message.reply);
    this.inbox.push(message);
  }

  terminate(): void {
    this.terminated = true;
  }

  /** Finish the oldest entry, as the sandbox does when the script's code returned. */
  done(error?: FromSandbox & { t: 'done' } extends { error?: infer E } ? E : never): void {
    this.inbox.shift();
    this.onmessage?.(error ? { t: 'done', bufs: [], error } : { t: 'done', bufs: [] });
  }

  /** A stub's call, as the sandbox makes it: post `req`, read the answer from the shared reply area. */
  request(path: string[], args: Encoded[]): { ok: boolean; value: unknown } {
    const seq = ++this.seq;
    this.onmessage?.({ t: 'req', seq, path, args, bufs: [] });
    const words = this.reply!;
    expect(Atomics.load(words, REPLY_SEQ)).toBe(seq);
    const bytes = new Uint8Array(words.buffer);
    const text = utf8Decode(bytes, REPLY_HEADER_BYTES, REPLY_HEADER_BYTES + words[REPLY_LENGTH]!);
    return { ok: words[REPLY_OK] === 1, value: JSON.parse(text) };
  }
}

function setup(canTerminate = true) {
  const clock = new FakeClock();
  const logLines: string[] = [];
  const consoleLines: string[] = [];
  const log = recordingLog(logLines);
  const gw = new Gateway({ clock, store: new MemoryStore(), log, aes: createNodeAes(), console: (l) => consoleLines.push(l) }, { topic: 'home' });
  gw.start();
  gw.attachMqtt(new RecordingMqtt());
  const workers: FakeSandbox[] = [];
  const host = createWorkerScriptHost({
    spawn: () => {
      const w = new FakeSandbox();
      workers.push(w);
      return w;
    },
    clock, budgetMs: 1000, pingMs: 2000, canTerminate,
    checkSyntax: (source) => {
      new Function(`"use strict";${source}`);
    },
  });
  const store = new MemoryStore();
  const runtime = new ScriptRuntime({ host, gateway: gw, clock, log, console: (l) => consoleLines.push(l), store });
  gw.attachScripts(runtime);
  return { clock, gw, runtime, logLines, consoleLines, store, workers };
}

describe('device script host: the watchdog', () => {
  it('stops a script whose top level never comes back (for(;;){}); the gateway goes on', () => {
    const { clock, gw, runtime, logLines, workers } = setup();
    expect(runtime.load(AUTOEXEC, 'for(;;){}')).toEqual({ ok: true });
    expect(workers[0]!.inbox[0]).toMatchObject({ t: 'load', name: AUTOEXEC, source: 'for(;;){}' });
    clock.advance(1600);
    expect(logLines).toContain('error script autoexec.js: ran longer than 1000 ms (a loop?); the script is stopped');
    expect(workers[0]!.terminated).toBe(true);
    expect(runtime.status).toEqual([{ name: AUTOEXEC, running: false, errors: 1 }]);
    gw.handleAdvertisement(tempAdv(1, 215));
    expect(gw.registry.slots.get(MAC)!.values.Temperature).toBe(21.5);
  });

  it('pings an idle sandbox: a microtask loop that never lets it answer is stopped too', () => {
    const s = setup();
    s.runtime.load(AUTOEXEC, 'Promise.resolve().then(function(){for(;;){}})');
    s.workers[0]!.done(); // the top level returned; the microtask then loops, so the ping is never answered
    s.clock.advance(2600);
    expect(s.workers[0]!.inbox.map((m) => m.t)).toEqual(['ping']);
    s.clock.advance(1600);
    expect(s.logLines).toContain('error script autoexec.js: ran longer than 1000 ms (a promise or async loop?); the script is stopped');
    expect(s.workers[0]!.terminated).toBe(true);
  });

  it('a sandbox that answers its pings is left running', () => {
    const { clock, runtime, workers } = setup();
    runtime.load(AUTOEXEC, 'print(1)');
    workers[0]!.done();
    for (let i = 0; i < 10; i++) {
      clock.advance(1000);
      while (workers[0]!.inbox.length) workers[0]!.done();
    }
    expect(runtime.status).toEqual([{ name: AUTOEXEC, running: true, errors: 0 }]);
    expect(workers[0]!.terminated).toBe(false);
  });

  it('stops a script whose adv_cb callback loops and names the line that set it', () => {
    const { clock, gw, runtime, logLines, workers } = setup();
    runtime.load(AUTOEXEC, 'BLE.adv_cb(function(){for(;;){}}, new Uint8Array(80))');
    const w = workers[0]!;
    expect(w.request(['BLE', 'adv_cb'], [{ $fn: 1, line: 3 }, { $buf: 2, bytes: new Uint8Array(80) }])).toEqual({ ok: true, value: null });
    w.done();
    gw.handleAdvertisement(tempAdv(1, 215));
    const call = w.inbox[0] as Extract<ToSandbox, { t: 'call' }>;
    expect(call).toMatchObject({ t: 'call', id: 1 });
    // the buffer goes with the call, filled in Tasmota's layout: the MAC first
    expect([...call.bufs[0]![1].subarray(0, 6)]).toEqual([0xa4, 0xc1, 0x38, 0x11, 0x22, 0x33]);
    clock.advance(1600);
    expect(logLines).toContain('error script autoexec.js:3: ran longer than 1000 ms (a loop?) in the callback set here; the script is stopped');
    gw.handleAdvertisement(tempAdv(2, 216));
    expect(w.inbox.filter((m) => m.t === 'call')).toHaveLength(1); // nothing more is posted to a stopped script
    expect(gw.registry.slots.get(MAC)!.values.Temperature).toBe(21.6);
  });

  it('stops a looping timer callback', () => {
    const { clock, runtime, logLines, workers } = setup();
    runtime.load(AUTOEXEC, 'tasmota.set_timer(10, function(){for(;;){}})');
    const w = workers[0]!;
    expect(w.request(['tasmota', 'set_timer'], [{ $v: 10 }, { $fn: 1, line: 1 }]).ok).toBe(true);
    w.done();
    clock.advance(20);
    expect(w.inbox[0]).toMatchObject({ t: 'call', id: 1 });
    clock.advance(1600);
    expect(logLines).toContain('error script autoexec.js:1: ran longer than 1000 ms (a loop?) in the callback set here; the script is stopped');
  });

  it('on a platform whose terminate() would wait for a looping worker (lin), abandons it instead', () => {
    const { clock, runtime, workers } = setup(false);
    const before = abandonedWorkers();
    runtime.load(AUTOEXEC, 'for(;;){}');
    clock.advance(1600);
    expect(workers[0]!.terminated).toBe(false);
    expect(abandonedWorkers()).toBe(before + 1);
    expect(runtime.status[0]!.running).toBe(false);
  });
});

describe('device script host: calls and errors', () => {
  it('answers a stub through the reply area: data, bytes, and the runtime\'s own errors', () => {
    const { gw, runtime, workers } = setup();
    gw.handleAdvertisement(tempAdv(1, 215));
    runtime.load(AUTOEXEC, 'print(MI32.devices())');
    const w = workers[0]!;
    expect(w.request(['MI32', 'devices'], [])).toEqual({ ok: true, value: 1 });
    expect(w.request(['MI32', 'get_MAC'], [{ $v: 0 }])).toEqual({ ok: true, value: { $bytes: [0xa4, 0xc1, 0x38, 0x11, 0x22, 0x33] } });
    expect(w.request(['BLE', 'run'], [{ $v: 'x' }])).toEqual({ ok: false, value: { name: 'TypeError', message: 'BLE.run: op must be an integer' } });
    expect(w.request(['MI32', 'constructor'], [])).toEqual({ ok: false, value: { name: 'TypeError', message: 'MI32.constructor is not a function' } });
  });

  it('a throwing callback is reported with its line and the script goes on', () => {
    const { clock, runtime, logLines, workers } = setup();
    runtime.load(AUTOEXEC, 'tasmota.set_timer(10, function(){ throw new Error("boom") })');
    const w = workers[0]!;
    w.request(['tasmota', 'set_timer'], [{ $v: 10 }, { $fn: 1, line: 1 }]);
    w.done();
    clock.advance(20);
    w.done({ message: 'Error: boom' });
    expect(logLines).toContain('error script autoexec.js:1: Error: boom in the callback set here');
    expect(runtime.status[0]).toEqual({ name: AUTOEXEC, running: true, errors: 1 });
  });

  it('a throw at top level stops the script', () => {
    const { runtime, logLines, workers } = setup();
    runtime.load(AUTOEXEC, 'throw new Error("top")');
    workers[0]!.done({ message: 'Error: top', line: 1 });
    expect(logLines).toContain('error script autoexec.js:1: Error: top; the script is stopped');
    expect(runtime.status[0]!.running).toBe(false);
  });

  it('ScriptSave of a syntax error is refused before it is stored; the working script keeps running', () => {
    const { runtime, store, gw, workers } = setup();
    store.write(AUTOEXEC, new TextEncoder().encode('print(1)'));
    runtime.loadStored();
    workers[0]!.done();
    gw.command('ScriptSave print((', 'console');
    expect(new TextDecoder().decode(store.read(AUTOEXEC)!)).toBe('print(1)');
    expect(workers).toHaveLength(1);
    expect(runtime.status).toEqual([{ name: AUTOEXEC, running: true, errors: 0 }]);
  });

  it('ScriptSave of a script that throws at top level is not stored: the sandbox reports it after load() returned, the working one keeps running', () => {
    const { runtime, store, gw, workers, consoleLines } = setup();
    store.write(AUTOEXEC, new TextEncoder().encode('print(1)'));
    runtime.loadStored();
    workers[0]!.done();
    expect(gw.command('ScriptSave throw new Error("top")', 'console')).toEqual({ ScriptSave: 'Loading', Bytes: 22 });
    expect(new TextDecoder().decode(store.read(AUTOEXEC)!)).toBe('print(1)'); // nothing stored yet
    workers[1]!.done({ message: 'Error: top', line: 1 });
    expect(new TextDecoder().decode(store.read(AUTOEXEC)!)).toBe('print(1)');
    expect(runtime.status).toEqual([{ name: AUTOEXEC, running: true, errors: 0 }]);
    expect(workers[0]!.terminated).toBe(false);
    expect(consoleLines).toContain('{"ScriptSave":"Error","Error":"Error: top"}');
  });

  it('ScriptSave of a script whose top level loops is not stored either', () => {
    const { runtime, store, gw, workers, clock } = setup();
    store.write(AUTOEXEC, new TextEncoder().encode('print(1)'));
    runtime.loadStored();
    workers[0]!.done();
    gw.command('ScriptSave for(;;){}', 'console');
    for (let step = 0; step < 4; step++) {
      clock.advance(500);
      while (workers[0]!.inbox.length > 0) workers[0]!.done(); // the working script answers its pings
    }
    expect(workers[1]!.terminated).toBe(true);
    expect(new TextDecoder().decode(store.read(AUTOEXEC)!)).toBe('print(1)');
    expect(runtime.status).toEqual([{ name: AUTOEXEC, running: true, errors: 0 }]);
  });

  it('ScriptSave of a script that loads cleanly is stored once its top level ran, and replaces the old one', () => {
    const { runtime, store, gw, workers, consoleLines } = setup();
    store.write(AUTOEXEC, new TextEncoder().encode('print(1)'));
    runtime.loadStored();
    workers[0]!.done();
    expect(gw.command('ScriptSave print(2)', 'console')).toMatchObject({ ScriptSave: 'Loading' });
    workers[1]!.done();
    expect(new TextDecoder().decode(store.read(AUTOEXEC)!)).toBe('print(2)');
    expect(runtime.status).toEqual([{ name: AUTOEXEC, running: true, errors: 0 }]);
    expect(workers[0]!.terminated).toBe(true);
    expect(consoleLines).toContain('{"ScriptSave":"Done","Bytes":8,"Running":true}');
  });

  it('ignores what a sandbox posts that is not a message of the protocol', () => {
    const { runtime, workers } = setup();
    runtime.load(AUTOEXEC, 'print(1)');
    const w = workers[0]!;
    for (const junk of [null, 42, 'done', { t: 'req' }, { t: 'req', seq: 1, path: 'MI32', args: [], bufs: [] }, { t: 'done', bufs: 'x' }]) {
      expect(() => w.onmessage?.(junk as never)).not.toThrow();
    }
    expect(runtime.status[0]!.running).toBe(true);
  });
});
