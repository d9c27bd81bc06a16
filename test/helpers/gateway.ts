// Shared by gateway, GATT and script tests: an MQTT port that records what is published,
// and an in-memory Store.
import type { MqttPort } from '../../firmware/core/gateway/gateway.js';
import type { Log, Store } from '../../firmware/core/host.js';

export const silentLog: Log = { debug() {}, info() {}, warn() {}, error() {} };

/** A Log that keeps its lines (level + text), for asserting on reported errors. */
export function recordingLog(lines: string[]): Log {
  return {
    debug: (m) => lines.push(`debug ${m}`), info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`),
  };
}

export class RecordingMqtt implements MqttPort {
  sent: { topic: string; payload: string; retain?: boolean }[] = [];
  handlers = new Map<string, (topic: string, payload: string) => void>();
  publish(topic: string, payload: string, o?: { retain?: boolean }) { this.sent.push({ topic, payload, retain: o?.retain }); }
  subscribe(filter: string, h: (t: string, p: string) => void) { this.handlers.set(filter, h); }
  unsubscribe(filter: string) { this.handlers.delete(filter); }
  dropped() { return 7; }
  on(topic: string) { return this.sent.filter((m) => m.topic === topic).map((m) => m.payload); }
  deliver(topic: string, payload: string) {
    for (const [filter, h] of this.handlers) if (topic.startsWith(filter.slice(0, -1))) h(topic, payload);
  }
}

export class MemoryStore implements Store {
  readonly files = new Map<string, Uint8Array>();
  read(name: string) { return this.files.get(name); }
  write(name: string, data: Uint8Array) { this.files.set(name, data.slice()); }
  rename(from: string, to: string) { const d = this.files.get(from); if (d) this.files.set(to, d); this.files.delete(from); }
  remove(name: string) { this.files.delete(name); }
  exists(name: string) { return this.files.has(name); }
}
