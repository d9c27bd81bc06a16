// `mi32 run` end to end with the simulated scooter (host-sim/gatt/scooter.ts) and a GPS
// track file: register and login on stdin, then what an MQTT subscriber receives: the
// scooter's telemetry with the simulated values and the GPS fix (the file holds a line with
// a bad checksum and a cut line), STATE with the fix, and no token anywhere.
// Needs the build: `npm run build && npx vitest run test/e2e`. No timed assertions.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startAedes } from '../helpers/brokers.js';
import { observe, onCleanup, runCleanups, startRun, tempDir } from './harness.js';

afterEach(runCleanups);

const TRACK = [
  '$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A',
  '$GPGGA,123519,4907.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47', // latitude changed: checksum wrong
  '$GPGGA,123519,4807.0', // cut off
  '$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47',
].join('\r\n') + '\r\n';

describe('mi32 run with the simulated scooter and --gps', () => {
  it('register, login: SENSOR with Scooter-4c5d6e and the GPS fix; STATE with the fix; the token stays on flash', async () => {
    const broker = await startAedes();
    onCleanup(() => broker.stop());
    const dir = tempDir();
    const data = join(dir, 'data');
    const track = join(dir, 'track.nmea');
    writeFileSync(track, TRACK);
    const obs = await observe(broker.url, ['tele/e2escooter/#', 'stat/e2escooter/#']);
    const p = startRun(['--broker', broker.url, '--topic', 'e2escooter', '--data', data, '--gps', track]);
    await obs.waitMessage('LWT Online', (m) => m.payload === 'Online');
    p.send('MI32Scooter E1:2A:3B:4C:5D:6E register');
    await obs.waitMessage('Registered', (m) => m.json?.MI32Scooter?.['Scooter-4c5d6e'] === 'Registered', 20_000);
    p.send('MI32Scooter E12A3B4C5D6E login');
    const sensor = await obs.waitMessage('scooter telemetry with GPS', (m) => m.topic === 'tele/e2escooter/SENSOR' && m.json?.['Scooter-4c5d6e']?.GPS?.Altitude !== undefined, 30_000);
    const v = sensor.json!['Scooter-4c5d6e'];
    expect(v).toMatchObject({ Battery: 80, Voltage: 40.2, Capacity: 6240, BatteryTemperature: [25, 26], Locked: 0 });
    expect(v.Cells).toHaveLength(10);
    expect(v.Odometer).toBeGreaterThanOrEqual(1306.083);
    expect(v.GPS).toMatchObject({ Latitude: 48.1173, Longitude: 11.516667, Altitude: 545.4, Satellites: 8 });
    p.send('TelePeriod');
    const state = await obs.waitMessage('STATE with GPS', (m) => m.topic === 'tele/e2escooter/STATE' && m.json?.GPS !== undefined);
    expect(state.json!.GPS.Latitude).toBe(48.1173);
    p.send('MI32Scooter E12A3B4C5D6E off');
    await obs.waitMessage('Off', (m) => m.json?.MI32Scooter?.['Scooter-4c5d6e'] === 'Off');
    p.endInput();
    expect((await p.exited).code).toBe(0);
    const token = JSON.parse(readFileSync(join(data, 'mitokens'), 'utf8')).E12A3B4C5D6E.token as string;
    expect(token).toMatch(/^[0-9a-f]{24}$/);
    const seen = [...obs.messages.map((m) => m.payload), ...p.stdout, p.stderr()].join('\n');
    expect(seen).not.toContain(token);
  });
});
