// Tasmota's Timezone 99: the TimeStd/TimeDst rules decide the offset of the top-level Time.
// The rule arithmetic is checked against the IANA zones Node's ICU knows (Europe/Berlin,
// America/New_York, Australia/Sydney), at random instants and at each switch.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TIME_DST, DEFAULT_TIME_STD, parseTimeRule, ruleOffsetAt, type TimeRule } from '../../firmware/core/gateway/timezone.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gateway } from '../../firmware/core/gateway/gateway.js';
import { createNodeAes } from '../../host-sim/crypto.js';
import { DirStore } from '../../host-sim/store.js';
import { FakeClock } from '../mqtt/fakes.js';
import { RecordingMqtt } from '../helpers/gateway.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** A gateway whose clock reads `utcMs` (New York's July here), on a data folder. */
function setupGateway(dir = mkdtempSync(join(tmpdir(), 'gw-tz-')), utcMs = Date.UTC(2026, 6, 1, 12, 0, 0)) {
  const clock = new FakeClock();
  clock.advance(utcMs - clock.now());
  const gw = new Gateway({ clock, store: new DirStore(dir), log: silent, aes: createNodeAes() }, { topic: 'home' });
  const mqtt = new RecordingMqtt();
  gw.start();
  gw.attachMqtt(mqtt);
  gw.mqttConnected();
  return { gw, clock, mqtt, dir };
}

/** Minutes east of UTC of an IANA zone at `ms`, from ICU (the oracle). */
function zoneOffset(zone: string, ms: number): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(ms);
  const n = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  return Math.round((Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second')) - Math.floor(ms / 1000) * 1000) / 60_000);
}

const rule = (text: string) => parseTimeRule(text) as TimeRule;
const ZONES: [string, TimeRule, TimeRule][] = [
  ['Europe/Berlin', DEFAULT_TIME_STD, DEFAULT_TIME_DST], // Tasmota's defaults
  ['America/New_York', rule('0,1,11,1,2,-300'), rule('0,2,3,1,2,-240')],
  ['Australia/Sydney', rule('1,1,4,1,3,600'), rule('1,1,10,1,2,660')],
];
const FROM = Date.UTC(2020, 0, 1);
const TO = Date.UTC(2031, 0, 1);

describe('TimeStd/TimeDst rules (Timezone 99)', () => {
  for (const [zone, std, dst] of ZONES) {
    it(`agree with ICU's ${zone} at random instants 2020-2030`, () => {
      fc.assert(fc.property(fc.integer({ min: FROM, max: TO }), (ms) => ruleOffsetAt(ms, std, dst) === zoneOffset(zone, ms)), { numRuns: 2000 });
    });

    it(`switch at the same second as ICU's ${zone}`, () => {
      // every change of ICU's offset, found by bisecting each day where it changes
      for (let day = FROM; day < TO; day += 86_400_000) {
        if (zoneOffset(zone, day) === zoneOffset(zone, day + 86_400_000)) continue;
        let lo = day;
        let hi = day + 86_400_000;
        while (hi - lo > 1000) {
          const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
          if (zoneOffset(zone, mid) === zoneOffset(zone, lo)) lo = mid;
          else hi = mid;
        }
        expect(ruleOffsetAt(lo, std, dst), new Date(lo).toISOString()).toBe(zoneOffset(zone, lo));
        expect(ruleOffsetAt(hi, std, dst), new Date(hi).toISOString()).toBe(zoneOffset(zone, hi));
      }
    });
  }
});

describe('Timezone 99, TimeStd and TimeDst commands', () => {
  it('answer in Tasmota shape, refuse malformed rules, persist, and drive the top-level Time', () => {
    const { gw, clock, mqtt, dir } = setupGateway();
    expect(gw.command('TimeDst', 'console')).toEqual({ TimeDst: { Hemisphere: 0, Week: 0, Month: 3, Day: 1, Hour: 2, Offset: 120 } });
    expect(gw.command('TimeStd 0,1,11,1,2,-300', 'console')).toEqual({ TimeStd: { Hemisphere: 0, Week: 1, Month: 11, Day: 1, Hour: 2, Offset: -300 } });
    expect(gw.command('TimeDst 0,2,3,1,2,-240', 'console')).toMatchObject({ TimeDst: { Week: 2, Offset: -240 } });
    for (const bad of ['0,5,3,1,2,120', '0,0,13,1,2,120', '0,0,3,8,2,120', '0,0,3,1,24,120', '2,0,3,1,2,120', '0,0,3,1,2', 'x']) {
      expect(gw.command(`TimeDst ${bad}`, 'console'), bad).toMatchObject({ TimeDst: 'Error', Error: expect.any(String) });
    }
    expect(gw.command('Timezone 99', 'console')).toEqual({ Timezone: 99 });
    // New York in July: UTC-4 (the clock reads 2026-07-01 12:00 UTC)
    gw.command('TelePeriod', 'console');
    clock.advance(0);
    expect(JSON.parse(mqtt.on('tele/home/STATE').at(-1)!).Time).toBe('2026-07-01T08:00:00');
    const again = setupGateway(dir).gw;
    expect([again.timezone, again.timeStd.offset, again.timeDst.offset]).toEqual([99, -300, -240]);
  });
});
