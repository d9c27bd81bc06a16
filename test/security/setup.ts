// A gateway on a folder store with a fake clock, recording what it publishes, logs and
// prints; and a Store that fails every write, as a read-only or full flash does.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gateway } from '../../firmware/core/gateway/gateway.js';
import type { Store } from '../../firmware/core/host.js';
import { createNodeAes } from '../../host-sim/crypto.js';
import { DirStore } from '../../host-sim/store.js';
import { FakeClock } from '../mqtt/fakes.js';
import { RecordingMqtt, recordingLog } from '../helpers/gateway.js';

/** Every write and rename throws, as on a read-only folder (root ignores chmod, so it is simulated). */
export class ReadOnlyStore implements Store {
  constructor(private readonly inner: Store) {}
  read(name: string) { return this.inner.read(name); }
  exists(name: string) { return this.inner.exists(name); }
  write(name: string): void { throw new Error(`EROFS: read-only file system, open '${name}'`); }
  rename(from: string): void { throw new Error(`EROFS: read-only file system, rename '${from}'`); }
  remove(name: string): void { throw new Error(`EROFS: read-only file system, unlink '${name}'`); }
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'mi32-sec-'));
}

export function gatewayOn(dir: string, wrap: (s: Store) => Store = (s) => s) {
  const clock = new FakeClock();
  const logLines: string[] = [];
  const consoleLines: string[] = [];
  const topicChanges: string[] = [];
  const store = wrap(new DirStore(dir));
  const gw = new Gateway({
    clock, store, log: recordingLog(logLines), aes: createNodeAes(),
    console: (l) => consoleLines.push(l), topicChanged: (t) => topicChanges.push(t),
  });
  const problems = gw.start();
  const mqtt = new RecordingMqtt();
  gw.attachMqtt(mqtt);
  gw.mqttConnected();
  return { gw, clock, mqtt, logLines, consoleLines, topicChanges, problems, store };
}
