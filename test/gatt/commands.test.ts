// MI32Battery / MI32Time / MI32Unit in the gateway, on a fake clock against simulated
// peripherals: what they reply at once, what follows, and the malformed forms.
import { describe, expect, it } from 'vitest';
import { Gateway } from '../../firmware/core/gateway/gateway.js';
import { utf8Encode } from '../../firmware/core/mqtt/utf8.js';
import { createNodeAes } from '../../host-sim/crypto.js';
import { createSimGattLink, DEMO_PERIPHERALS } from '../../host-sim/gatt/demo-peripherals.js';
import { FakeClock } from '../mqtt/fakes.js';
import { settle } from '../helpers/settle.js';
import { MemoryStore, RecordingMqtt, silentLog } from '../helpers/gateway.js';

const CFG = JSON.stringify([
  { MAC: 'E72E01A1B2C3', PID: '045b', key: '' },
  { MAC: '582D3430AB12', PID: '0576', key: '' },
  { MAC: 'F82441ABCDEF', PID: '0153', key: '' }, // a remote: no GATT operations
]);

function setup(withGatt = true) {
  const clock = new FakeClock();
  const store = new MemoryStore();
  store.write('mi32cfg', utf8Encode(CFG));
  const link = createSimGattLink(clock);
  const gw = new Gateway({ clock, store, log: silentLog, aes: createNodeAes(), ...(withGatt ? { gatt: link } : {}) }, { topic: 't' });
  gw.start();
  const mqtt = new RecordingMqtt();
  gw.attachMqtt(mqtt);
  const results = () => mqtt.on('stat/t/RESULT').map((p) => JSON.parse(p) as Record<string, any>);
  return { clock, gw, link, results };
}

describe('GATT commands', () => {
  it('MI32Battery with no argument reads every supported device and stores the value', async () => {
    const t = setup();
    expect(t.gw.command('MI32Battery', 'console')).toEqual({ MI32Battery: 'Queued', Devices: ['LYWSD02-a1b2c3', 'CGD1-30ab12'] });
    await settle(t.clock, 5000);
    const battery = (m: string) => DEMO_PERIPHERALS.find((p) => p.model === m)!.values!.battery;
    expect(t.results().at(-1)).toEqual({ MI32Battery: { 'LYWSD02-a1b2c3': { Battery: battery('LYWSD02') }, 'CGD1-30ab12': { Battery: battery('CGD1') } } });
    expect(t.gw.registry.slots.get('E72E01A1B2C3')!.values.Battery).toBe(battery('LYWSD02'));
  });

  it('MI32Time writes UTC seconds and the timezone; MI32Unit sets and toggles', async () => {
    const t = setup();
    t.gw.command('MI32Time 0 -5', 'console');
    await settle(t.clock, 2000);
    const utc = Math.floor(t.clock.now() / 1000);
    expect(t.results().at(-1)!.MI32Time['LYWSD02-a1b2c3'].Timezone).toBe(-5);
    const clockBytes = t.link.peripheral('E72E01A1B2C3')!.valueOf('ebe0ccb7-7a0a-4b0c-8a1a-6ff2997da3a6')!;
    const seconds = new DataView(clockBytes.buffer, clockBytes.byteOffset).getUint32(0, true);
    expect(Math.abs(seconds - utc)).toBeLessThanOrEqual(2);
    expect(clockBytes[4]).toBe(0xfb);
    t.gw.command('MI32Unit E7:2E:01:A1:B2:C3 F', 'console');
    await settle(t.clock, 2000);
    expect(t.results().at(-1)).toEqual({ MI32Unit: { 'LYWSD02-a1b2c3': { TempUnit: 'F' } } });
    t.gw.command('MI32Unit lywsd02-a1b2c3', 'console');
    await settle(t.clock, 2000);
    expect(t.results().at(-1)).toEqual({ MI32Unit: { 'LYWSD02-a1b2c3': { TempUnit: 'C' } } });
    expect([...t.link.peripheral('E72E01A1B2C3')!.valueOf('ebe0ccbe-7a0a-4b0c-8a1a-6ff2997da3a6')!]).toEqual([0xff]);
  });

  it('malformed or impossible forms are refused at once and queue nothing', () => {
    const t = setup();
    const bad: [string, RegExp][] = [
      ['MI32Time', /usage: MI32Time/],
      ['MI32Time 0 99', /timezone must be whole hours/],
      ['MI32Unit 0 K', /unit must be C or F/],
      ['MI32Battery 7', /no device "7"/],
      ['MI32Battery F82441ABCDEF', /YLYK01YL\) does not support this/],
      ['MI32Unit 1', /CGD1-30ab12 \(CGD1\) does not support this/],
    ];
    for (const [line, message] of bad) {
      const reply = t.gw.command(line, 'console');
      expect(Object.values(reply)[0]).toBe('Error');
      expect(reply.Error).toMatch(message);
    }
    expect(t.gw.gatt!.busy).toBe(false);
    expect(t.gw.gatt!.queued).toBe(0);
    const none = setup(false);
    expect(none.gw.command('MI32Battery', 'console')).toEqual({ MI32Battery: 'Error', Error: 'this platform has no GATT client' });
  });
});
