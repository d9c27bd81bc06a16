// `mi32 run --homekit`'s setup print: the code, the payload, and a QR code whose modules are
// the payload's (read back from the half-block characters).
import qrcode from 'qrcode';
import { describe, expect, it } from 'vitest';
import { printSetupCode, qrLines, setupCodeText } from '../../host-sim/homekit/setup-print.js';

/** The dark modules drawn by qrLines, back as a matrix (quiet zone of 2 removed). */
function readBack(lines: string[], size: number): number[][] {
  const rows: number[][] = [];
  for (let r = 0; r < size + 4; r++) rows.push([]);
  lines.forEach((line, i) => {
    [...line].forEach((ch, c) => {
      rows[2 * i][c] = ch === ' ' || ch === '▄' ? 1 : 0;
      if (2 * i + 1 < rows.length) rows[2 * i + 1][c] = ch === ' ' || ch === '▀' ? 1 : 0;
    });
  });
  return rows.slice(2, 2 + size).map((row) => row.slice(2, 2 + size));
}

describe('setup code print', () => {
  it('draws the QR code of the X-HM:// payload module for module, with a light quiet zone', () => {
    const uri = 'X-HM://0023ISYWYMIBR';
    const { modules } = qrcode.create(uri, { errorCorrectionLevel: 'M' });
    const lines = qrLines(uri);
    expect(lines[0]).toMatch(/^█+$/);
    expect(lines[lines.length - 1]).toMatch(/^█+$/);
    const want = Array.from({ length: modules.size }, (_, r) => Array.from({ length: modules.size }, (_, c) => modules.get(r, c)));
    expect(readBack(lines, modules.size)).toEqual(want);
    // Another payload, another drawing.
    expect(qrLines('X-HM://0023ISYWYMI32')).not.toEqual(lines);
  });

  it('prints the code as on a HomeKit label and the payload', () => {
    let out = '';
    printSetupCode('X-HM://0023ISYWYMIBR', '031-45-154', (t) => { out += t; });
    expect(out).toBe(setupCodeText('X-HM://0023ISYWYMIBR', '031-45-154'));
    expect(out).toContain('│ 031-45-154 │');
    expect(out).toContain('Setup payload: X-HM://0023ISYWYMIBR');
  });
});
