// Topic names and topic filters (MQTT 3.1.1 §4.7).

import { MqttError } from './errors.js';
import { utf8Length } from './utf8.js';

/** A topic a PUBLISH may carry: non-empty, no wildcards, no U+0000, at most 65535 bytes. */
export function validateTopicName(topic: unknown): asserts topic is string {
  if (typeof topic !== 'string') throw new MqttError('invalid-topic', `topic must be a string, got ${typeof topic}`);
  if (topic.length === 0) throw new MqttError('invalid-topic', 'topic is empty');
  if (topic.includes('+') || topic.includes('#')) {
    throw new MqttError('invalid-topic', `topic "${topic}" contains a wildcard (+ or #); wildcards are for subscriptions only`);
  }
  checkCommon(topic, 'topic');
}

/** A topic filter for SUBSCRIBE: `+` fills one whole level, `#` one whole last level. */
export function validateTopicFilter(filter: unknown): asserts filter is string {
  if (typeof filter !== 'string') throw new MqttError('invalid-topic', `topic filter must be a string, got ${typeof filter}`);
  if (filter.length === 0) throw new MqttError('invalid-topic', 'topic filter is empty');
  const levels = filter.split('/');
  levels.forEach((level, i) => {
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) {
      throw new MqttError('invalid-topic', `topic filter "${filter}": # must be a whole level and the last one`);
    }
    if (level.includes('+') && level !== '+') {
      throw new MqttError('invalid-topic', `topic filter "${filter}": + must be a whole level`);
    }
  });
  checkCommon(filter, 'topic filter');
}

function checkCommon(text: string, what: string): void {
  if (text.includes('\u0000')) throw new MqttError('invalid-topic', `${what} contains U+0000`);
  let length: number;
  try {
    length = utf8Length(text);
  } catch (error) {
    throw new MqttError('invalid-topic', `${what} is not valid UTF-8 (lone surrogate)`, { cause: error });
  }
  if (length > 0xffff) throw new MqttError('invalid-topic', `${what} is ${length} bytes; at most 65535`);
}

/** Does `topic` (a concrete name) match `filter`? Wildcards never match `$`-topics at the first level (§4.7.2). */
export function topicMatches(filter: string, topic: string): boolean {
  if (filter === topic) return true;
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true; // also matches the parent level: "a/#" matches "a"
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}
