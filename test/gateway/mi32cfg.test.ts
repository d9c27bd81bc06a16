import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatConfig, loadConfig, parseConfigText, saveConfig } from '../../firmware/core/gateway/mi32cfg.js';
import { recoverAtomic } from '../../firmware/core/store/atomic.js';
import { DirStore } from '../../host-sim/store.js';
import { hex } from '../helpers/frames.js';

const TASMOTA_EXAMPLE = `[
 {"MAC":"A4C138AABBCC","PID":"055b","key":"00112233445566778899AABBCCDDEEFF"},
 {"MAC":"A4C138112233","PID":"0a1c","key":""},
 {"MAC":"E1F2A3B4C5D6","PID":"b770","key":"","feat":142},
 {"MAC":"C0FFEE123456","PID":"0000","key":"EC0234A357C8AD05341010A60A397D9B","name":"iPhone","feat":16384}
]`;

function tempStore(): DirStore {
  return new DirStore(mkdtempSync(join(tmpdir(), 'mi32cfg-')));
}

describe('mi32cfg', () => {
  it("reads Tasmota's file (reference §4.1 example)", () => {
    const { entries, problems, corrupt } = parseConfigText(TASMOTA_EXAMPLE);
    expect(corrupt).toBe(false);
    expect(problems).toEqual([]);
    expect(entries.map((e) => [e.mac, e.pid, e.key && hex(e.key), e.name])).toEqual([
      ['A4C138AABBCC', 0x055b, '00112233445566778899aabbccddeeff', undefined],
      ['A4C138112233', 0x0a1c, undefined, undefined],
      ['E1F2A3B4C5D6', 0xb770, undefined, undefined],
      ['C0FFEE123456', 0x0000, 'ec0234a357c8ad05341010a60a397d9b', 'iPhone'],
    ]);
  });

  it("writes Tasmota's shape: uppercase MAC and key, lowercase PID, name only when set, feat kept", () => {
    const text = formatConfig(parseConfigText(TASMOTA_EXAMPLE).entries);
    expect(JSON.parse(text)).toEqual([
      { MAC: 'A4C138AABBCC', PID: '055b', key: '00112233445566778899AABBCCDDEEFF' },
      { MAC: 'A4C138112233', PID: '0a1c', key: '' },
      { MAC: 'E1F2A3B4C5D6', PID: 'b770', key: '', feat: 142 },
      { MAC: 'C0FFEE123456', PID: '0000', key: 'EC0234A357C8AD05341010A60A397D9B', name: 'iPhone', feat: 16384 },
    ]);
    expect(parseConfigText(text).entries).toEqual(parseConfigText(TASMOTA_EXAMPLE).entries);
  });

  it('skips a bad entry with a reason and keeps the rest (Tasmota stops at the first)', () => {
    const { entries, problems } = parseConfigText('[{"MAC":"A4C1","PID":"055b"},{"MAC":"A4C138AABBCC","PID":"055b","key":"abc"},{"MAC":"A4C138112233","PID":"0a1c"}]');
    expect(entries.map((e) => e.mac)).toEqual(['A4C138112233']);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/MAC "A4C1" is not 12 hex digits/);
    expect(problems[1]).toMatch(/key of A4C138AABBCC must be "" or 32 hex digits/);
  });

  it('keeps a corrupt file aside, never overwriting an earlier one, and uses its complete entries', () => {
    const store = tempStore();
    const truncated = TASMOTA_EXAMPLE.slice(0, TASMOTA_EXAMPLE.indexOf('"E1F2') + 10);
    writeFileSync(join(store.dir, 'mi32cfg'), truncated);
    const first = loadConfig(store);
    expect(first.entries.map((e) => e.mac)).toEqual(['A4C138AABBCC', 'A4C138112233']);
    expect(first.problems.join('\n')).toMatch(/not valid JSON/);
    expect(first.problems.join('\n')).toMatch(/kept as mi32cfg\.bad/);
    expect(readFileSync(join(store.dir, 'mi32cfg.bad'), 'utf8')).toBe(truncated);

    writeFileSync(join(store.dir, 'mi32cfg'), 'garbage');
    const second = loadConfig(store);
    expect(second.entries).toEqual([]);
    expect(readFileSync(join(store.dir, 'mi32cfg.bad'), 'utf8')).toBe(truncated);
    expect(readFileSync(join(store.dir, 'mi32cfg.bad1'), 'utf8')).toBe('garbage');
    expect(readdirSync(store.dir).sort()).toEqual(['mi32cfg.bad', 'mi32cfg.bad1']);
  });

  it('saves atomically and finishes or discards an interrupted save at load', () => {
    const store = tempStore();
    const entries = parseConfigText(TASMOTA_EXAMPLE).entries;
    saveConfig(store, entries);
    expect(readdirSync(store.dir)).toEqual(['mi32cfg']);

    // power cut after the temp file was written, before the rename: old file wins
    writeFileSync(join(store.dir, 'mi32cfg.tmp'), '[{"MAC":"0000');
    expect(loadConfig(store).entries).toHaveLength(4);
    expect(readdirSync(store.dir)).toEqual(['mi32cfg']);

    // first save interrupted before the rename, nothing older exists: finish it
    const fresh = tempStore();
    writeFileSync(join(fresh.dir, 'mi32cfg.tmp'), formatConfig(entries));
    expect(recoverAtomic(fresh, 'mi32cfg')).toBe('finished');
    expect(loadConfig(fresh).entries).toHaveLength(4);
  });

  it('reports a missing file as not found, with no problems', () => {
    expect(loadConfig(tempStore())).toEqual({ entries: [], problems: [], found: false });
  });
});
