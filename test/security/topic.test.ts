// Issue 10 point 4: one Topic command must not brick the gateway. A topic with NUL or a
// control character is refused wherever it comes from (console, MQTT, CLI, settings.json),
// and a bad value on flash is replaced by the default at start.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MqttClient } from '../../firmware/core/mqtt/client.js';
import { FakeClock, FakeNet, FixedRandom } from '../mqtt/fakes.js';
import { gatewayOn, tempDir } from './setup.js';

describe('Topic with NUL or control characters', () => {
  for (const [label, bad] of [['NUL', 'ab\u0000cd'], ['0x01', 'a\u0001b'], ['DEL', 'a\u007fb'], ['33 characters', 'x'.repeat(33)], ['+', 'a+b'], ['#', 'a#']] as const) {
    it(`console: Topic with ${label} is an error reply and changes nothing`, () => {
      const dir = tempDir();
      const { gw, topicChanges, consoleLines } = gatewayOn(dir);
      const reply = gw.command(`Topic ${bad}`, 'console');
      expect(reply).toMatchObject({ Topic: 'Error' });
      expect(String(reply.Error)).toMatch(/topic/);
      expect(gw.topic).toBe('mi32');
      expect(topicChanges).toEqual([]);
      expect(existsSync(join(dir, 'settings.json'))).toBe(false);
      expect(JSON.parse(consoleLines.at(-1)!)).toMatchObject({ Topic: 'Error' });
    });
  }

  it('MQTT: cmnd/mi32/Topic with payload ab<NUL>cd is refused on stat/mi32/RESULT', () => {
    const dir = tempDir();
    const { gw, mqtt, topicChanges } = gatewayOn(dir);
    mqtt.deliver('cmnd/mi32/Topic', 'ab\u0000cd');
    mqtt.deliver('cmnd/mi32/Topic', 'a\u0001b');
    const replies = mqtt.on('stat/mi32/RESULT').map((p) => JSON.parse(p));
    expect(replies).toHaveLength(2);
    for (const r of replies) expect(r).toMatchObject({ Topic: 'Error' });
    expect(gw.topic).toBe('mi32');
    expect(topicChanges).toEqual([]);
  });

  it('a valid topic still works and persists', () => {
    const dir = tempDir();
    const { gw, topicChanges } = gatewayOn(dir);
    expect(gw.command('Topic kitchen', 'console')).toEqual({ Topic: 'kitchen' });
    expect(topicChanges).toEqual(['kitchen']);
    expect(JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8'))).toMatchObject({ topic: 'kitchen' });
  });

  for (const [label, settings] of [
    ['NUL in topic', { topic: 'ab\u0000cd', telePeriod: 60 }],
    ['0x01 in topic', { topic: 'a\u0001b', telePeriod: 60 }],
    ['a wildcard topic', { topic: 'a/#', telePeriod: 60 }],
    ['a topic that is a number', { topic: 42, telePeriod: 60 }],
  ] as const) {
    it(`settings.json with ${label}: the default topic is used and reported, the good TelePeriod kept`, () => {
      const dir = tempDir();
      writeFileSync(join(dir, 'settings.json'), JSON.stringify(settings));
      const { gw, logLines } = gatewayOn(dir);
      expect(gw.topic).toBe('mi32');
      expect(gw.telePeriod).toBe(60);
      expect(logLines.join('\n')).toMatch(/warn settings\.json: topic .*using topic "mi32"/);
    });
  }

  for (const bad of [-5, 1.5, 99999, 'x']) {
    it(`settings.json with telePeriod ${JSON.stringify(bad)}: the default 300 is used and reported`, () => {
      const dir = tempDir();
      writeFileSync(join(dir, 'settings.json'), JSON.stringify({ topic: 'home', telePeriod: bad }));
      const { gw, logLines } = gatewayOn(dir);
      expect(gw.telePeriod).toBe(300);
      expect(gw.topic).toBe('home');
      expect(logLines.join('\n')).toMatch(/warn settings\.json: .*using TelePeriod 300/);
    });
  }

  it('the MQTT client refuses a Will topic with NUL when it is created, not later inside a socket callback', () => {
    const make = () => new MqttClient({ net: new FakeNet(), clock: new FakeClock(), random: new FixedRandom() }, {
      host: 'localhost', will: { topic: 'tele/ab\u0000cd/LWT', payload: 'Offline' },
    });
    expect(make).toThrowError(expect.objectContaining({ code: 'invalid-options' }));
  });
});
