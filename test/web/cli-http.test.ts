// `mi32 run --http [HOST:]PORT | --no-http`: where the page is served, and bad values.
import { afterEach, describe, expect, it } from 'vitest';
import { runCleanups, startRun, tempDir } from '../e2e/harness.js';

afterEach(runCleanups);

describe('mi32 run --http', () => {
  it('serves the page on 127.0.0.1 from port 8080 up by default and prints the URL', async () => {
    const run = startRun(['--data', tempDir()]);
    const [, url] = await run.waitStderr('the URL', /web page: (http:\/\/127\.0\.0\.1:(\d+)\/)/);
    const port = Number(new URL(url!).port);
    expect(port).toBeGreaterThanOrEqual(8080);
    const page = await fetch(url!);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>mi32-xs</title>');
    run.endInput();
  });

  it('--no-http serves nothing; bad values are usage errors (exit 2) before anything starts', async () => {
    const quiet = startRun(['--data', tempDir(), '--no-http', '--once']);
    quiet.endInput();
    await quiet.exited;
    expect(quiet.stderr()).not.toMatch(/web page/);
    for (const [args, message] of [
      [['--http', 'nope'], /--http takes \[HOST:\]PORT/],
      [['--http', '99999'], /--http takes/],
      [['--http', '8080', '--no-http'], /exclude each other/],
    ] as const) {
      const bad = startRun(['--data', tempDir(), ...args]);
      expect(await bad.exited).toEqual({ code: 2, signal: null });
      expect(bad.stderr()).toMatch(message);
    }
  });
});
