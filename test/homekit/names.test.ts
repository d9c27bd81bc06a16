// Accessory names the Home app accepts (letters, digits, spaces, ' and -; starting and ending
// with a letter or digit), made without Unicode property escapes: Moddable builds XS without
// them and mcconfig refuses a module that uses one (found building the lin target).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { homeKitName } from '../../firmware/core/homekit/accessories.js';

describe('homeKitName', () => {
  it.each([
    ['MJ_HT_V1-1a2b01', 'MJ HT V1-1a2b01'],
    ['  !!Küche 温度 ', 'Küche 温度'],
    ["O'Brien's_room", "O'Brien's room"],
    ['Ελληνικά/Кухня', 'Ελληνικά Кухня'],
    ['sensor 🌡️ 2', 'sensor 2'],
  ])('%j -> %j', (text, name) => {
    expect(homeKitName(text, 'fallback')).toBe(name);
  });

  it('falls back when nothing usable is left, and keeps at most 64 characters ending in a letter or digit', () => {
    expect(homeKitName('—!', 'Sensor 2b01')).toBe('Sensor 2b01');
    const long = homeKitName('a'.repeat(63) + '-b', 'x');
    expect(long).toBe('a'.repeat(63));
  });

  it('no module of the core uses a Unicode property escape (\\p{...}), which Moddable\'s XS lacks', () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, e.name);
        if (e.isDirectory()) walk(path);
        else if (path.endsWith('.ts') && /\\[pP]\{/.test(readFileSync(path, 'utf8'))) offenders.push(path);
      }
    };
    walk('firmware');
    expect(offenders).toEqual([]);
  });
});
