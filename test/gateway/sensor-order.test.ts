// The SENSOR object's order, decimals and Events come from the value-key table (values/keys.ts
// `order`, `decimals`, `countsEvents`); what it prints must be what the hand-written lists gave
// before the table. One BTHome frame carries keys of every group: Tasmota's head, buttons, its
// middle, a numbered copy (Temperature2: arrival order, printed as it is) and the tail.
// The expected texts are the base build's output (commit e1e5e97), kept literally.
import { describe, expect, it } from 'vitest';
import { fromHex } from '../../firmware/core/bytes/hex.js';
import { Registry } from '../../firmware/core/gateway/registry.js';
import { markSent, sensorMessage } from '../../firmware/core/gateway/telemetry.js';
import { createNodeAes } from '../../host-sim/crypto.js';

// BTHome v2 plain: battery 90 | temperature 22.56 | temperature 5.51 | button press | button
// double | motion | door open | illuminance 123.45 | dimmer left 3
const SERVICE_DATA = '40' + '015a' + '02d008' + '022702' + '3a01' + '3a02' + '2101' + '1a01' + '05393000' + '3c0103';
const AD = fromHex('020106' + (SERVICE_DATA.length / 2 + 3).toString(16).padStart(2, '0') + '16d2fc' + SERVICE_DATA)!;
const MAC = 'A4C138000001';

describe('SENSOR order and decimals from the value-key table', () => {
  it('places every group as Tasmota does, real-time and at teleperiod', () => {
    const registry = new Registry({ aes: createNodeAes() });
    const [outcome] = registry.ingest({ mac: MAC, rssi: -60, ad: AD }, 1000);
    expect(outcome?.kind).toBe('values');
    const slot = registry.slots.get(MAC)!;
    expect(slot.urgent).toBe(true); // buttons, dimmer, door and a motion of 1 publish at once
    expect(sensorMessage(registry, [slot], 'realtime', { allValues: true }, 1000)).toBe('{"Time":"1970-01-01T00:00:01","BTHOME-000001":{'
      + '"Temperature":22.6,"Illuminance":123.45,"Button1":1,"Button2":2,"Dimmer":-3,"Motion":1,"Events":2,"Door":1,'
      + '"Temperature2":5.51,"Battery":90,"RSSI":-60,"MAC":"A4C138000001"},"TempUnit":"C"}');
    markSent(slot);
    // momentary keys (buttons, dimmer, motion) are gone; states and the Events count stay
    expect(sensorMessage(registry, [slot], 'tele', { allValues: true }, 61000)).toBe('{"Time":"1970-01-01T00:01:01","BTHOME-000001":{'
      + '"Temperature":22.6,"Illuminance":123.45,"Events":2,"Door":1,"Temperature2":5.51,"Battery":90,"RSSI":-60,"Time":1,'
      + '"MAC":"A4C138000001"},"TempUnit":"C"}');
  });
});
