// `mi32 devices` usage: help, and bad input refused before anything is sent (exit 2, one
// line and the usage, no stack trace). Needs the build (npm test runs it first).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/mi32.js', import.meta.url));
const mi32 = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000 });

describe('mi32 devices usage', () => {
  it('--help prints the devices usage and exits 0; mi32 --help lists it', () => {
    const r = mi32(['devices', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/mi32 devices list \[approved\] \| approve MAC/);
    expect(mi32(['--help']).stdout).toMatch(/mi32 devices list/);
  });

  it.each([
    [[], /devices needs a subcommand/],
    [['approve'], /approve needs a MAC/],
    [['remove', 'a', 'b'], /remove takes at most 1 argument/],
    [['list', '--broker', 'http://x'], /--broker: /],
    [['list', '--topic', 'a/b'], /--topic: /],
    [['list', '--timeout', 'soon'], /--timeout must be seconds/],
    [['list', '--ca', '/nonexistent/ca.pem'], /--ca: cannot read/],
  ])('mi32 devices %j is a usage error', (args, message) => {
    const r = mi32(['devices', ...args]);
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(/^mi32 devices: /);
    expect(r.stderr.split('\n')[0]).toMatch(message);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});
