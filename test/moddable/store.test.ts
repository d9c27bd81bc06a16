// The Store adapter on Moddable's `file` module (firmware/moddable/store.ts), run against a
// fake of `file` over a temp folder: the byte-level contract the core's atomic saves and
// mi32cfg rely on, including the SDK's quirks the adapter works around.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStore } from '../../firmware/moddable/store.js';
import { recoverAtomic, writeAtomic } from '../../firmware/core/store/atomic.js';

let dir: string;
let store: FileStore;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi32-moddable-store-'));
  store = new FileStore(path.join(dir, 'mi32') + '/');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const bytes = (text: string) => new TextEncoder().encode(text);

describe('FileStore (Moddable file module)', () => {
  it('creates its folder and reads back what it wrote', () => {
    expect(fs.statSync(path.join(dir, 'mi32')).isDirectory()).toBe(true);
    store.write('mi32cfg', bytes('[{"MAC":"A4C138112233"}]'));
    expect(new TextDecoder().decode(store.read('mi32cfg'))).toBe('[{"MAC":"A4C138112233"}]');
    expect(store.exists('mi32cfg')).toBe(true);
  });

  it('a missing file reads as undefined, an empty one as zero bytes (the SDK throws reading an empty file)', () => {
    expect(store.read('nothing')).toBeUndefined();
    store.write('empty', new Uint8Array(0));
    expect(store.read('empty')).toEqual(new Uint8Array(0));
  });

  it('a shorter write replaces the file instead of leaving the old tail (new File(path, true) does not truncate)', () => {
    store.write('settings.json', bytes('{"topic":"a-long-topic-name","telePeriod":300}'));
    store.write('settings.json', bytes('{"topic":"x"}'));
    expect(new TextDecoder().decode(store.read('settings.json'))).toBe('{"topic":"x"}');
  });

  it('writes a copy: bytes of a larger buffer (a subarray) are written, not the whole buffer', () => {
    const big = bytes('0123456789');
    store.write('part', big.subarray(3, 6));
    expect(new TextDecoder().decode(store.read('part'))).toBe('345');
  });

  it('rename replaces the target; a failed rename throws', () => {
    store.write('a', bytes('new'));
    store.write('b', bytes('old'));
    store.rename('a', 'b');
    expect(new TextDecoder().decode(store.read('b'))).toBe('new');
    expect(store.exists('a')).toBe(false);
    expect(() => store.rename('missing', 'b')).toThrow(/rename missing -> b failed/);
  });

  it('refuses names that would leave its folder', () => {
    for (const name of ['../escape', 'a/b', '', 'x y']) expect(() => store.read(name)).toThrow(/invalid store file name/);
  });

  it("carries the core's atomic save and its recovery at start", () => {
    writeAtomic(store, 'mi32cfg', bytes('first'));
    expect(new TextDecoder().decode(store.read('mi32cfg'))).toBe('first');
    expect(fs.readdirSync(path.join(dir, 'mi32'))).toEqual(['mi32cfg']); // no temp file left
    // power lost during a later save: the temp may be partial, the target is the last good save
    store.write('mi32cfg.tmp', bytes('sec'));
    expect(recoverAtomic(store, 'mi32cfg')).toBe('discarded');
    expect(new TextDecoder().decode(store.read('mi32cfg'))).toBe('first');
    // power lost between the first save's close and its rename: the temp is complete
    store.remove('mi32cfg');
    store.write('mi32cfg.tmp', bytes('only'));
    expect(recoverAtomic(store, 'mi32cfg')).toBe('finished');
    expect(new TextDecoder().decode(store.read('mi32cfg'))).toBe('only');
    expect(store.exists('mi32cfg.tmp')).toBe(false);
  });
});
