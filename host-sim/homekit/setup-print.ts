// `mi32 run --homekit` prints how to pair: the setup code as on a HomeKit label, the
// X-HM:// payload, and the payload as a QR code the Home app scans ("Add Accessory").
// Terminal rendering: two QR rows per text line with half blocks, dark modules drawn as
// the terminal's background so it reads on dark and light themes alike.

import qrcode from 'qrcode';

/** Half-block characters for (top, bottom) module pairs; true = dark module. */
const HALF = { both: ' ', top: '▄', bottom: '▀', none: '█' } as const;
const QUIET = 2;

/** The QR code of `text` as terminal lines (light modules are drawn, dark ones left blank). */
export function qrLines(text: string): string[] {
  const { modules } = qrcode.create(text, { errorCorrectionLevel: 'M' });
  const size = modules.size;
  const dark = (r: number, c: number) => r >= 0 && c >= 0 && r < size && c < size && modules.get(r, c) === 1;
  const lines: string[] = [];
  for (let r = -QUIET; r < size + QUIET; r += 2) {
    let line = '';
    for (let c = -QUIET; c < size + QUIET; c++) {
      const top = dark(r, c);
      const bottom = dark(r + 1, c);
      line += top && bottom ? HALF.both : top ? HALF.top : bottom ? HALF.bottom : HALF.none;
    }
    lines.push(line);
  }
  return lines;
}

/** What printSetupCode writes: the code, the payload and its QR code. */
export function setupCodeText(uri: string, code: string): string {
  return [
    'HomeKit setup code:',
    '  ┌────────────┐',
    `  │ ${code} │`,
    '  └────────────┘',
    `Setup payload: ${uri}`,
    'Scan with the Home app (Add Accessory), or enter the code by hand:',
    ...qrLines(uri),
    '',
  ].join('\n');
}

/** Prints the setup code, the X-HM:// payload and a QR code (wt-h1's `mi32 run --homekit` calls it). */
export function printSetupCode(uri: string, code: string, write: (text: string) => void = (t) => process.stdout.write(t)): void {
  write(setupCodeText(uri, code));
}
