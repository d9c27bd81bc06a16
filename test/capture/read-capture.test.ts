// readCapture on real files: the format comes from the first bytes, not the name.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { btsnoopFromAdvertisements, readCapture, readCaptureSync, toJsonl, type CapturedAdvertisement } from '../../host-sim/capture/index.js';

const dir = mkdtempSync(join(tmpdir(), 'mi32-capture-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ADVS: CapturedAdvertisement[] = [
  { t: 0, mac: 'A4C138AABBCC', addrType: 'public', rssi: -67, ad: new Uint8Array([0x02, 0x01, 0x06, 0x03, 0x16, 0x1a, 0x18]) },
  { t: 2500, mac: 'E7AABBCCDD01', addrType: 'random', rssi: -88, ad: new Uint8Array([0x02, 0x01, 0x06]) },
];

describe('readCapture', () => {
  it('reads a JSONL file, whatever it is called', async () => {
    const path = join(dir, 'capture.log');
    writeFileSync(path, '\ufeff' + toJsonl(ADVS) + 'garbage\n');
    const r = await readCapture(path);
    expect(r.format).toBe('jsonl');
    expect(r.advertisements).toEqual(ADVS);
    expect(r.errors).toEqual([{ error: expect.stringMatching(/not valid JSON/), line: 3 }]);
  });

  it('reads an Android-style H4 btsnoop file and a btmon monitor file', async () => {
    for (const datalink of [1002, 2001] as const) {
      const path = join(dir, `btsnoop_hci_${datalink}.log`);
      writeFileSync(path, btsnoopFromAdvertisements(ADVS, { datalink }));
      const r = await readCapture(path);
      expect(r.format).toBe('btsnoop');
      expect(r.errors).toEqual([]);
      expect(r.advertisements).toEqual(ADVS);
      expect(readCaptureSync(path)).toEqual(r);
    }
  });

  it('reports a truncated btsnoop file and keeps the complete records', async () => {
    const path = join(dir, 'cut.btsnoop');
    const full = btsnoopFromAdvertisements(ADVS);
    writeFileSync(path, full.subarray(0, full.length - 3));
    const r = await readCapture(path);
    expect(r.advertisements).toEqual(ADVS.slice(0, 1));
    expect(r.errors).toEqual([{ error: expect.stringMatching(/truncated/), record: 2, offset: expect.any(Number) }]);
  });

  it('an empty file is an empty JSONL capture; a missing file rejects', async () => {
    const path = join(dir, 'empty.jsonl');
    writeFileSync(path, '');
    expect(await readCapture(path)).toEqual({ format: 'jsonl', advertisements: [], errors: [] });
    await expect(readCapture(join(dir, 'nope.jsonl'))).rejects.toThrow(/ENOENT/);
  });
});
