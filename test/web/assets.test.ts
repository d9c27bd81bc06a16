// The page is embedded in the firmware (firmware/core/web/assets.gen.ts, made by
// scripts/web-assets.js): the module must match the page's sources, and stay small.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ASSETS } from '../../firmware/core/web/assets.gen.js';

const SCRIPT = fileURLToPath(new URL('../../scripts/web-assets.js', import.meta.url));

describe('embedded page', () => {
  it('assets.gen.ts is generated from firmware/core/web/page (run node scripts/web-assets.js after an edit)', () => {
    const out = execFileSync(process.execPath, [SCRIPT, '--check'], { encoding: 'utf8' });
    const { plainBytes, gzipBytes } = JSON.parse(out) as { plainBytes: number; gzipBytes: number };
    // README "Web page" quotes these; a page that grows past them needs a reason
    expect(plainBytes).toBeLessThan(24 * 1024);
    expect(gzipBytes).toBeLessThan(8 * 1024);
  });

  it('has the page, its script and its style, and nothing else', () => {
    expect(Object.keys(ASSETS).sort()).toEqual(['/', '/app.css', '/app.js']);
    expect(ASSETS['/']!.body).toContain('<script src="/app.js">');
  });
});

describe('base64Bytes', () => {
  it('decodes what Node encodes, and refuses what is not base64', async () => {
    const { base64Bytes } = await import('../../firmware/core/web/base64.js');
    for (let n = 0; n < 40; n++) {
      const bytes = new Uint8Array(n).map((_, i) => (i * 37 + n) & 0xff);
      expect(base64Bytes(Buffer.from(bytes).toString('base64'))).toEqual(bytes);
    }
    for (const bad of ['a', 'ab=c', 'a$bc', '====', 'abc===']) expect(base64Bytes(bad), bad).toBeUndefined();
  });
});
