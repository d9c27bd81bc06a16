// Topic filters (§4.7), the bounded queue, and broker URL parsing.

import { describe, expect, it } from 'vitest';
import { parseBrokerUrl } from '../../firmware/core/mqtt/options.js';
import { BoundedQueue } from '../../firmware/core/mqtt/queue.js';
import { topicMatches, validateTopicFilter, validateTopicName } from '../../firmware/core/mqtt/topic.js';

describe('topicMatches', () => {
  it.each<[string, string, boolean]>([
    ['sport/tennis/player1/#', 'sport/tennis/player1', true],
    ['sport/tennis/player1/#', 'sport/tennis/player1/ranking', true],
    ['sport/tennis/player1/#', 'sport/tennis/player1/score/wimbledon', true],
    ['sport/#', 'sport', true],
    ['#', 'any/thing/at/all', true],
    ['sport/tennis/+', 'sport/tennis/player1', true],
    ['sport/tennis/+', 'sport/tennis/player1/ranking', false],
    ['sport/+', 'sport', false],
    ['sport/+', 'sport/', true],
    ['+/+', '/finance', true],
    ['/+', '/finance', true],
    ['+', '/finance', false],
    ['#', '$SYS/broker/uptime', false],
    ['+/broker/uptime', '$SYS/broker/uptime', false],
    ['$SYS/#', '$SYS/broker/uptime', true],
    ['a/b', 'a/b', true],
    ['a/b', 'a/B', false],
  ])('%s ~ %s → %s', (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
  });

  it('validates names and filters', () => {
    expect(() => validateTopicName('tele/mi32/SENSOR')).not.toThrow();
    expect(() => validateTopicName('a/+/b')).toThrow(/wildcard/);
    expect(() => validateTopicName('')).toThrow(/empty/);
    for (const ok of ['#', '+', 'a/+/b', 'a/#', '+/+/#', '/']) expect(() => validateTopicFilter(ok)).not.toThrow();
    for (const bad of ['a#', '#/a', 'a/b+', '++', '']) expect(() => validateTopicFilter(bad)).toThrow();
  });
});

describe('BoundedQueue', () => {
  it('evicts oldest first by count and by bytes, and keeps order under heavy churn', () => {
    const queue = new BoundedQueue<number>(100, 1000, (n) => n);
    for (let i = 1; i <= 10_000; i++) {
      queue.push(5);
      if (i % 3 === 0) queue.shift();
      expect(queue.length).toBeLessThanOrEqual(100);
    }
    const byBytes = new BoundedQueue<number>(10, 10, (n) => n);
    expect(byBytes.push(4)).toEqual([]);
    expect(byBytes.push(4)).toEqual([]);
    expect(byBytes.push(6)).toEqual([4]); // 4 + 6 fits exactly
    expect(byBytes.bytes).toBe(10);
    expect(byBytes.push(7)).toEqual([4, 6]);
    expect(() => byBytes.push(11)).toThrow(RangeError);
  });
});

describe('parseBrokerUrl', () => {
  it.each([
    ['mqtt://broker.local', { tls: false, host: 'broker.local' }],
    ['mqtts://broker.local:8884', { tls: true, host: 'broker.local', port: 8884 }],
    ['mqtt://user:p%40ss@10.0.0.2:1884/', { tls: false, host: '10.0.0.2', port: 1884, username: 'user', password: 'p@ss' }],
    ['mqtt://[::1]:1883', { tls: false, host: '::1', port: 1883 }],
  ])('%s', (url, expected) => {
    expect(parseBrokerUrl(url)).toEqual(expected);
  });

  it.each(['http://broker', 'mqtt://', 'broker:1883', 'mqtt://host:port'])('refuses %s with a clear error', (url) => {
    expect(() => parseBrokerUrl(url)).toThrow(/is not mqtt:\/\//);
  });
});
