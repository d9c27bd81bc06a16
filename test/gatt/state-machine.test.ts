// The GATT client's link state machine (firmware/core/gatt/states.ts) under random
// sequences of requests, faults, peer drops, client closes and clock advances against the
// simulated peripherals. After every action the invariants hold (and the client checked
// them itself after every transition: a broken one is logged as an error), every request
// is answered exactly once, and at the end the machine is quiet with scanning back.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GattClient, type GattRequest } from '../../firmware/core/gatt/client.js';
import { gattInvariants, TRANSITIONS, type GattSnapshot } from '../../firmware/core/gatt/states.js';
import { parseUuid } from '../../firmware/core/gatt/uuid.js';
import { FAULT_NAMES, type FaultName } from '../../host-sim/gatt/faults.js';
import { SimGattLink } from '../../host-sim/gatt/sim-link.js';
import { FakeClock } from '../mqtt/fakes.js';
import { recordingLog } from '../helpers/gateway.js';
import { settle } from '../helpers/settle.js';

const PEERS = ['E72E01A1B2C3', 'A4C1381A2B01', '582D3430AB12', '112233445566' /* nobody */];
const xiaomi = (short: string) => parseUuid(`ebe0${short}-7a0a-4b0c-8a1a-6ff2997da3a6`)!;
const TARGETS: Array<Pick<GattRequest, 'service' | 'characteristic' | 'handle'>> = [
  { service: xiaomi('ccb0'), characteristic: xiaomi('ccc4') }, // battery: read
  { service: xiaomi('ccb0'), characteristic: xiaomi('ccbe') }, // unit: read/write
  { service: xiaomi('ccb0'), characteristic: xiaomi('ccc1') }, // data: notify
  { service: parseUuid('180f')!, characteristic: parseUuid('2a19')! }, // the CGD1's battery
  { handle: 3 },
  { handle: 999 },
];

type Action =
  | { kind: 'submit'; op: number; peer: number; target: number }
  | { kind: 'fault'; peer: number; fault: FaultName | undefined }
  | { kind: 'drop'; peer: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'close' };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('submit' as const), op: fc.constantFrom(1, 2, 3, 4, 5, 11, 12, 13, 14), peer: fc.nat(PEERS.length - 1), target: fc.nat(TARGETS.length - 1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('fault' as const), peer: fc.nat(2), fault: fc.option(fc.constantFrom(...FAULT_NAMES), { nil: undefined }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('drop' as const), peer: fc.nat(2) }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.constantFrom(0, 1, 50, 250, 1_000, 4_999, 5_001, 15_000, 31_000) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'close' as const }) },
);

function setup(pausesScan: boolean) {
  const clock = new FakeClock();
  const link = new SimGattLink(clock, { pausesScan });
  link.add(PEERS[0]!, 'LYWSD02');
  link.add(PEERS[1]!, 'LYWSD03MMC');
  link.add(PEERS[2]!, 'CGD1');
  const scan: string[] = [];
  const log: string[] = [];
  const client = new GattClient({ link, clock, log: recordingLog(log), scan: { pause: () => scan.push('pause'), resume: () => scan.push('resume') } });
  return { clock, link, client, scan, log };
}

async function play(actions: Action[], pausesScan: boolean): Promise<void> {
  const t = setup(pausesScan);
  const answers: number[] = [];
  const check = (where: string) => {
    expect(gattInvariants(t.client.inspect()), where).toEqual([]);
    expect(t.log.filter((l) => l.startsWith('error')), where).toEqual([]);
  };
  for (const [i, a] of actions.entries()) {
    const where = `after action ${i} ${JSON.stringify(a)}`;
    switch (a.kind) {
      case 'submit': {
        const id = answers.push(0) - 1;
        const request: GattRequest = { op: a.op, mac: PEERS[a.peer]!, ...TARGETS[a.target]!, ...(a.op % 10 === 2 ? { value: Uint8Array.of(1), withResponse: a.target % 2 === 0 } : {}) };
        try {
          t.client.submit(request, () => { answers[id]!++; });
        } catch {
          answers[id] = 1; // refused at once (queue full): that is its answer
        }
        break;
      }
      case 'fault': t.link.setFault(PEERS[a.peer]!, a.fault); break;
      case 'drop': t.link.peripheral(PEERS[a.peer]!)!.drop(); break;
      case 'advance': await settle(t.clock, a.ms); break;
      case 'close': t.client.close(); break;
    }
    check(where);
  }
  // Leave faults behind and let every timer run out: the machine comes to rest.
  for (const mac of PEERS.slice(0, 3)) t.link.setFault(mac, undefined);
  await settle(t.clock, 200_000);
  check('at rest');
  expect(answers.every((n) => n === 1), `answers: ${answers.join(',')}`).toBe(true);
  const s = t.client.inspect();
  expect(s.running).toBe(false);
  expect(s.queued).toBe(0);
  // An unsubscribed link was closed as idle; a subscribed one may stay open.
  if (s.subscriptions === 0) expect(s.state).toBe('idle');
  // pause and resume alternate, and scanning is back once the link is down.
  t.scan.forEach((call, k) => expect(call).toBe(k % 2 === 0 ? 'pause' : 'resume'));
  if (!pausesScan) expect(t.scan).toEqual([]);
  else if (s.state === 'idle') expect(t.scan.length % 2).toBe(0);
}

describe('GATT link state machine', () => {
  it('keeps its invariants over random requests, faults, drops, closes and time (scan-pausing link)', async () => {
    await fc.assert(fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 40 }), (actions) => play(actions, true)), { numRuns: 150 });
  });

  it('and over a link that scans while connected', async () => {
    await fc.assert(fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 40 }), (actions) => play(actions, false)), { numRuns: 50 });
  });

  it('the invariants catch a wrong state: each one fails on a snapshot that breaks it', () => {
    const quiet: GattSnapshot = { state: 'idle', running: false, queued: 0, stepActive: false, idleTimerArmed: false, scanPaused: false, linkPausesScan: true, subscriptions: 0 };
    expect(gattInvariants(quiet)).toEqual([]);
    expect(gattInvariants({ ...quiet, state: 'ready', running: false, scanPaused: true, idleTimerArmed: true })).toEqual([]);
    const broken: Array<[Partial<GattSnapshot>, RegExp]> = [
      [{ state: 'ready', scanPaused: false }, /scan paused iff/],
      [{ state: 'connecting', running: true, scanPaused: false }, /scan paused iff/],
      [{ state: 'closing', running: false }, /closing with no request running/],
      [{ queued: 1 }, /queued while nothing runs/],
      [{ stepActive: true }, /step armed/],
      [{ scanPaused: true }, /scan still paused/],
      [{ idleTimerArmed: true }, /idle timer/],
      [{ state: 'ready', scanPaused: true, idleTimerArmed: true, subscriptions: 1 }, /idle timer/],
    ];
    for (const [change, message] of broken) expect(gattInvariants({ ...quiet, ...change }).join('; ')).toMatch(message);
  });

  it('a transition outside the table is refused and logged, never taken', () => {
    // The table itself: only a request opens a link, only a made link becomes ready, and every state can fall back to idle.
    expect(TRANSITIONS).toEqual({ idle: ['connecting'], connecting: ['ready', 'idle'], ready: ['closing', 'idle'], closing: ['idle'] });
    const t = setup(true);
    (t.client as unknown as { enter(s: { name: string }): void }).enter({ name: 'ready' });
    expect(t.client.inspect().state).toBe('idle');
    expect(t.log).toEqual(['error GATT: no transition idle → ready']);
  });
});
