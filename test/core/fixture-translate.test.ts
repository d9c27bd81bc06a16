// The translator applies the README's rules and only those: each rule here, and that a
// field needing judgement stays untranslated rather than guessed.
import { describe, expect, it } from 'vitest';
import { sourceOf, translateSourceExpect } from '../helpers/fixture-translate.js';

describe('fixture translator (sourceExpect -> our value names)', () => {
  it('renames and keeps the source\'s numbers exactly', () => {
    expect(translateSourceExpect('xiaomi-ble', { temperature: 36.87199806168224, conductivity: 91, battery: 81 }))
      .toEqual({ values: { Temperature: 36.87199806168224, Fertility: 91, Battery: 81 }, untranslated: [] });
  });

  it('writes binary values as 1/0 and inverts Lock (the sources: true = unlocked)', () => {
    expect(translateSourceExpect('xiaomi-ble', { motion: true, lock: true, stabilized: false }).values)
      .toEqual({ Motion: 1, Lock: 0, Stabilized: 0 });
    expect(translateSourceExpect('ble_monitor', { lock: 0 }).values).toEqual({ Lock: 1 });
  });

  it('reads a field by its type or source where the README says so', () => {
    expect(translateSourceExpect('xiaomi-ble', { moisture: true }).values).toEqual({ Leak: 1 });
    expect(translateSourceExpect('xiaomi-ble', { moisture: 14 }).values).toEqual({ Moisture: 14 });
    expect(translateSourceExpect('bthome-ble', { power: true }).values).toEqual({ PowerState: 1 });
    expect(translateSourceExpect('bthome-ble', { power: 69.14 }).values).toEqual({ Power: 69.14 });
    expect(translateSourceExpect('xiaomi-ble', { opening: false }).values).toEqual({ Door: 0 });
    expect(translateSourceExpect('bthome-ble', { opening: false }).values).toEqual({ Opening: 0 });
    expect(translateSourceExpect('bthome-ble', { temperature_1: 25.06, temperature_2: 25.11 }).values)
      .toEqual({ Temperature1: 25.06, Temperature2: 25.11 });
  });

  it('numbers buttons by the README rules that need no frame', () => {
    expect(translateSourceExpect('xiaomi-ble', { 'event:button_left': 'double_press', 'event:button_right': 'long_press' }).values)
      .toEqual({ Button1: 2, Button2: 3 });
    expect(translateSourceExpect('bthome-ble', { 'event:button_2': 'press', 'event:button_3': 'triple_press' }).values)
      .toEqual({ Button2: 1, Button3: 4 });
    expect(translateSourceExpect('bthome-ble', { 'event:button': 'hold_press' }).values).toEqual({ Button1: 3 });
    expect(translateSourceExpect('ble_monitor', { 'four btn switch 4': 'toggle', 'button switch': 'single press' }))
      .toEqual({ values: { Button4: 1 }, untranslated: [] });
  });

  it('writes rotation as signed dimmer steps, left negative', () => {
    expect(translateSourceExpect('bthome-ble', { 'event:dimmer': { event_type: 'rotate_left', steps: 3 } }).values).toEqual({ Dimmer: -3 });
    expect(translateSourceExpect('ble_monitor', { steps: 1, dimmer: 'rotate left' })).toEqual({ values: { Dimmer: -1 }, untranslated: [] });
  });

  it('leaves what needs judgement untranslated, and drops metadata', () => {
    expect(translateSourceExpect('xiaomi-ble', { 'event:cube': 'rotate_left' })).toEqual({ values: {}, untranslated: ['event:cube'] });
    expect(translateSourceExpect('ble_monitor', { firmware: 'Xiaomi (MiBeacon V2)', type: 'XMMF01JQD', packet: 1, button: 'left' }))
      .toEqual({ values: {}, untranslated: ['button'] });
    expect(translateSourceExpect('ble_monitor', { steps: 1, dimmer: 'short press' })).toEqual({ values: {}, untranslated: ['steps', 'dimmer'] });
    expect(translateSourceExpect('bthome-ble', { packet_id: 9 })).toEqual({ values: {}, untranslated: [] });
  });

  it('knows the source of a fixture id', () => {
    expect(sourceOf('ble_monitor/xiaomi_parser/test_Xiaomi_XMMF01JQD')).toBe('ble_monitor');
    expect(() => sourceOf('elsewhere/x')).toThrow(/unknown source/);
  });
});
