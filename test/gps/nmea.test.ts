// The NMEA reader (core/gps/nmea.ts) and where its fix goes: STATE and the scooter's SENSOR.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Gateway } from '../../firmware/core/gateway/gateway.js';
import type { ByteSource } from '../../firmware/core/host.js';
import { NmeaReader } from '../../firmware/core/gps/nmea.js';
import { createNodeAes, createNodeAuthCrypto } from '../../host-sim/crypto.js';
import { SimGattLink } from '../../host-sim/gatt/sim-link.js';
import { FakeClock } from '../mqtt/fakes.js';
import { settle } from '../helpers/settle.js';
import { MemoryStore, RecordingMqtt, silentLog } from '../helpers/gateway.js';

const GGA = '$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47\r\n';
const RMC = '$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A\r\n';
const bytes = (text: string) => new TextEncoder().encode(text);

describe('NmeaReader', () => {
  it('reads the reference GGA and RMC (48.1173 N, 11.51667 E, 545.4 m, 22.4 kn) in any chunking', () => {
    const text = RMC + GGA;
    for (const size of [1, 3, 17, text.length]) {
      const r = new NmeaReader();
      for (let at = 0; at < text.length; at += size) r.push(bytes(text.slice(at, at + size)));
      expect(r.fix!.latitude).toBeCloseTo(48.1173, 4);
      expect(r.fix!.longitude).toBeCloseTo(11.516667, 5);
      expect(r.fix).toMatchObject({ altitude: 545.4, satellites: 8, speed: 41.5, course: 84.4, time: '1994-03-23T12:35:19Z' });
      expect(r.stats).toMatchObject({ sentences: 2, badChecksum: 0, dropped: 0 });
    }
  });

  it('drops a bad checksum, a cut line, garbage and a void fix; keeps the last good fix', () => {
    const r = new NmeaReader();
    r.push(bytes(GGA));
    const before = { ...r.fix };
    const badSum = '$GPGGA,123520,5107.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*48\r\n';
    const cut = '$GPRMC,123521,A,5207.0';
    const voidFix = '$GPRMC,123522,V,,,,,,,230394,,*' + checksum('GPRMC,123522,V,,,,,,,230394,,') + '\r\n';
    const noStar = '$GPGGA,123523,5307.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,\r\n';
    const huge = '$' + 'A'.repeat(500) + '\r\n';
    const outOfRange = '$GPGGA,123524,9507.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*' + checksum('GPGGA,123524,9507.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,') + '\r\n';
    r.push(bytes(badSum + cut + voidFix + noStar + huge + outOfRange + '\x00\xff\r\n'));
    expect(r.fix).toEqual(before);
    expect(r.stats.badChecksum).toBe(2);
    expect(r.stats.dropped).toBeGreaterThanOrEqual(2); // the cut line, the 500-character one
    expect(r.stats.malformed).toBe(1);
  });
});

function checksum(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) sum ^= body.charCodeAt(i);
  return sum.toString(16).toUpperCase().padStart(2, '0');
}

describe('the fix in the telemetry', () => {
  it('joins STATE and the scooter\'s SENSOR; lines from a stream with a bad checksum and a cut line', async () => {
    const clock = new FakeClock();
    let feed: ((b: Uint8Array) => void) | undefined;
    const gps: ByteSource = { start: (onBytes) => { feed = onBytes; }, stop: () => { feed = undefined; } };
    const link = new SimGattLink(clock);
    link.add('E12A3B4C5D6E', 'M365');
    const gw = new Gateway({
      clock, store: new MemoryStore(), log: silentLog, aes: createNodeAes(), gatt: link, gps,
      random: { bytes: (n) => new Uint8Array(randomBytes(n)) }, authCrypto: createNodeAuthCrypto(),
    }, { topic: 't' });
    gw.start();
    const mqtt = new RecordingMqtt();
    gw.attachMqtt(mqtt);
    expect(JSON.parse(gw.stateMessage(clock.now())).GPS).toBeUndefined();
    // A cut line first (the port opened mid-sentence), then a corrupted one, then good ones.
    feed!(bytes('4807.038,N,01131.000,E,1,08*47\r\n$GPGGA,123519,4907.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47\r\n'));
    feed!(bytes(RMC.slice(0, 30)));
    feed!(bytes(RMC.slice(30) + GGA));
    const state = JSON.parse(gw.stateMessage(clock.now()));
    expect(state.GPS).toEqual({ Latitude: 48.1173, Longitude: 11.516667, Altitude: 545.4, Speed: 41.5, Course: 84.4, Satellites: 8, Time: '1994-03-23T12:35:19Z' });
    expect(gw.active.gps.stats).toMatchObject({ badChecksum: 1, dropped: 1 });

    gw.command('MI32Scooter E12A3B4C5D6E register', 'console');
    await settle(clock, 10_000);
    gw.command('MI32Scooter E12A3B4C5D6E login', 'console');
    await settle(clock, 6_000);
    feed!(bytes(GGA));
    await settle(clock, 5_000);
    const sensor = mqtt.on('tele/t/SENSOR').map((p) => JSON.parse(p)).filter((m) => m['Scooter-4c5d6e']).at(-1);
    expect(sensor['Scooter-4c5d6e'].GPS).toMatchObject({ Latitude: 48.1173, Longitude: 11.516667, Altitude: 545.4 });
    // A fix that is not renewed goes stale and leaves the telemetry.
    await settle(clock, 40_000);
    expect(JSON.parse(gw.stateMessage(clock.now())).GPS).toBeUndefined();
    gw.stop();
  });
});
