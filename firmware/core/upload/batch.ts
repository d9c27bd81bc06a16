// The readings waiting to be uploaded, and the request body in the seed manager's shape:
//   {"data":[{"iotDeviceId","dataType","data":[{"timestamp","data":{...}}]}]}
// Timestamps are epoch seconds and values strings, as in the seed's example. Bounded: a
// reading older than keepMs is dropped (the endpoint was down too long), and so is the
// oldest when maxReadings are waiting; both are counted, never silent.

import type { Values } from '../decoders/types.js';
import { dataTypeOf } from './data-types.js';

export interface PendingReading {
  /** Order of arrival, to remove exactly what a successful post carried. */
  seq: number;
  iotDeviceId: string;
  /** Clock ms. */
  t: number;
  values: Values;
}

export interface BatchLimits {
  /** Kept at most this long while the endpoint is down (the seed clears its cache every 180 s). */
  keepMs: number;
  maxReadings: number;
}

export class ReadingBuffer {
  private readonly readings: PendingReading[] = [];
  private nextSeq = 1;
  /** Readings dropped before they could be sent: too old, or the buffer full. */
  dropped = 0;

  constructor(private readonly limits: BatchLimits) {}

  get size(): number {
    return this.readings.length;
  }

  add(iotDeviceId: string, t: number, values: Values): void {
    if (Object.keys(values).length === 0) return;
    this.readings.push({ seq: this.nextSeq++, iotDeviceId, t, values: { ...values } });
    if (this.readings.length > this.limits.maxReadings) {
      this.readings.shift();
      this.dropped++;
    }
  }

  /** Drop what is older than keepMs at `now`; returns how many went. */
  prune(now: number): number {
    let n = 0;
    while (n < this.readings.length && this.readings[n]!.t < now - this.limits.keepMs) n++;
    if (n > 0) {
      this.readings.splice(0, n);
      this.dropped += n;
    }
    return n;
  }

  /** Everything waiting, oldest first (a copy: readings may arrive while a post is out). */
  snapshot(): PendingReading[] {
    return this.readings.slice();
  }

  /** A post carried readings up to `seq`: they are done. */
  sentUpTo(seq: number): void {
    let n = 0;
    while (n < this.readings.length && this.readings[n]!.seq <= seq) n++;
    this.readings.splice(0, n);
  }
}

type Entry = { timestamp: string; data: Record<string, string> };

/** The body for `readings`: one group per device and dataType, readings in time order. */
export function batchBody(readings: readonly PendingReading[]): { data: { iotDeviceId: string; dataType: string; data: Entry[] }[] } {
  const groups = new Map<string, { iotDeviceId: string; dataType: string; data: Entry[] }>();
  for (const r of readings) {
    const timestamp = String(Math.floor(r.t / 1000));
    for (const key of Object.keys(r.values)) {
      const [dataType, field] = dataTypeOf(key);
      const id = `${r.iotDeviceId}\u0000${dataType}`;
      let group = groups.get(id);
      if (!group) groups.set(id, group = { iotDeviceId: r.iotDeviceId, dataType, data: [] });
      group.data.push({ timestamp, data: { [field]: String(r.values[key]) } });
    }
  }
  return { data: [...groups.values()] };
}
