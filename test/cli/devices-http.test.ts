// `mi32 devices ... --http URL`: the device-management CLI over the gateway's web page
// (/cm?cmnd=), no broker involved, against a real `mi32 run --http`. The pair outcome is
// followed on the page's live log; the web password goes as Basic auth and is never echoed;
// an unreachable URL, a 401, a bad URL: one line on stderr, an exit code, no stack trace.
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectManagementFlow, LOCKED, lockedPeripheralFile, mi32 } from '../helpers/devices-cli.js';
import { runCleanups, startRun, tempDir, type RunProcess } from '../e2e/harness.js';

const SECRET = 'Hx7-page-secret';

let gateway: RunProcess;
let url: string;

const devices = (...args: string[]) => mi32(['devices', ...args, '--http', url]);

function expectOneLine(stderr: string, message: RegExp): void {
  expect(stderr.trim().split('\n')).toHaveLength(1);
  expect(stderr).toMatch(/^mi32 devices: /);
  expect(stderr).toMatch(message);
  expect(stderr).not.toMatch(/^\s+at /m);
}

/** A local port nobody listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeEach(async () => {
  const dir = tempDir();
  const peripherals = lockedPeripheralFile(dir);
  gateway = startRun(['--data', join(dir, 'data'), '--peripherals', peripherals, '--http', '0']);
  url = (await gateway.waitStderr('the page URL', /web page: (http:\/\/\S+)/))[1]!;
});
afterEach(runCleanups);

describe('mi32 devices --http', () => {
  it('approve, list, mode, pair (followed to its outcome), paired, unpair, remove over /cm', async () => {
    await expectManagementFlow(devices);
  });

  it('an error reply from the gateway: printed, one line on stderr, exit 1', async () => {
    const r = await devices('approve', 'not-a-mac');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ MI32Approve: 'Error' });
    expectOneLine(r.stderr, /MI32Approve: "not-a-mac" is not a MAC/);
  });

  it('the web password: 401 without it, refused when wrong, accepted by --password or MI32_WEB_PASSWORD; never echoed', async () => {
    const set = await fetch(`${url}cm?cmnd=${encodeURIComponent(`WebPassword ${SECRET}`)}`);
    expect(await set.json()).toEqual({ WebPassword: '****' });
    let r = await devices('list');
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, /asks for its web password .*--password/);
    r = await devices('list', '--password', 'wrong-one');
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, /refused the web password/);
    expect(r.stderr).not.toContain('wrong-one');
    r = await devices('list', '--password', SECRET);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ MI32List: { Mode: 'passive', Devices: [] } });
    r = await mi32(['devices', 'mode', '--http', url], { MI32_WEB_PASSWORD: SECRET });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ MI32Mode: 'passive' });
    // Sent as Basic auth, not in the URL: the gateway's log has no trace of it.
    gateway.endInput();
    await gateway.exited;
    expect(gateway.stderr() + gateway.stdout.join('\n')).not.toContain(SECRET);
  });

  it('unreachable URL (exit 1), bad URLs and mixed options (exit 2): one line each, no stack trace', async () => {
    const port = await closedPort();
    let r = await mi32(['devices', 'list', '--http', `http://127.0.0.1:${port}/`]);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, new RegExp(`could not reach the gateway's web page at http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`));
    for (const [args, message] of [
      [['--http', 'nope'], /--http takes the gateway's page as http:\/\/HOST\[:PORT\]\//],
      [['--http', 'ftp://x/'], /--http takes an http:\/\/ or https:\/\/ URL/],
      [['--http', 'http://admin:leak@127.0.0.1/'], /not in the URL/],
      [['--http', 'http://127.0.0.1/cm?cmnd=x'], /without a path or query/],
      [['--http', 'http://127.0.0.1/', '--broker', 'mqtt://127.0.0.1'], /--http and --broker exclude each other/],
      [['--password', 'x'], /--user and --password go with --http/],
    ] as const) {
      r = await mi32(['devices', 'list', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.split('\n')[0]).toMatch(/^mi32 devices: /);
      expect(r.stderr.split('\n')[0]).toMatch(message);
      expect(r.stderr).not.toMatch(/^\s+at /m);
      expect(r.stderr).not.toContain('leak');
    }
    // Something that is not the page (a plain TCP server that closes at once): exit 1, one line.
    const server = createServer((socket) => socket.destroy());
    const other = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
    r = await mi32(['devices', 'list', '--http', `http://127.0.0.1:${other}/`]);
    server.close();
    expect(r.code).toBe(1);
    expectOneLine(r.stderr, /could not reach the gateway's web page/);
  });
});
