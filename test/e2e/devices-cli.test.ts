// `mi32 devices ...` against a running `mi32 run` over a real broker (aedes): the seed
// manager's CLI on the gateway's command API. Approve, list, mode, pair (with a simulated
// peripheral that asks for a bond), paired, unpair, remove; bad input gives one line on
// stderr and an exit code, never a stack trace.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectManagementFlow, LOCKED, lockedPeripheralFile, mi32 } from '../helpers/devices-cli.js';
import { startAedes, type TestBroker } from '../helpers/brokers.js';
import { onCleanup, runCleanups, startRun, tempDir, type RunProcess } from './harness.js';


let broker: TestBroker;
let gateway: RunProcess;
let seq = 0;
let topic: string;


const devices = (...args: string[]) => mi32(['devices', ...args, '--broker', broker.url, '--topic', topic]);

function expectOneLine(stderr: string): void {
  expect(stderr.trim().split('\n')).toHaveLength(1);
  expect(stderr).toMatch(/^mi32 devices: /);
  expect(stderr).not.toMatch(/^\s+at /m);
}

beforeEach(async () => {
  broker = await startAedes();
  onCleanup(() => broker.stop());
  topic = `devices${++seq}`;
  const dir = tempDir();
  const peripherals = lockedPeripheralFile(dir);
  gateway = startRun(['--broker', broker.url, '--topic', topic, '--data', join(dir, 'data'), '--peripherals', peripherals]);
  await gateway.waitStderr('connected', /MQTT connected/);
});
afterEach(runCleanups);

describe('mi32 devices', () => {
  it('approve, list, mode, pair, paired, unpair, remove over MQTT', async () => {
    await expectManagementFlow(devices);
    // The gateway answered each on its console too.
    expect(gateway.replies().map((x) => Object.keys(x)[0])).toEqual(['MI32Approve', 'MI32List', 'MI32Mode', 'MI32Pair', 'MI32Pair', 'MI32Paired', 'MI32Unpair', 'MI32Remove', 'MI32List']);
  });

  it('an error reply from the gateway: printed, one line on stderr, exit 1', async () => {
    const r = await devices('approve', 'not-a-mac');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ MI32Approve: 'Error' });
    expectOneLine(r.stderr);
    expect(r.stderr).toMatch(/MI32Approve: "not-a-mac" is not a MAC/);
  });

  it('usage errors exit 2; an unreachable broker or a wrong topic exit 1; one line each', async () => {
    let r = await devices('frob');
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(/^mi32 devices: unknown subcommand "frob"/);
    r = await devices('pair');
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(/pair needs a MAC/);
    r = await mi32(['devices', 'list', '--broker', 'mqtt://127.0.0.1:1']);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr);
    expect(r.stderr).toMatch(/could not reach the MQTT broker/);
    r = await mi32(['devices', 'list', '--broker', broker.url, '--topic', 'nobody-here', '--timeout', '1']);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr);
    expect(r.stderr).toMatch(/no reply from the gateway on topic "nobody-here"/);
  });
});
