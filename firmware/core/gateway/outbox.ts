// Store-and-forward for readings (tele/<topic>/SENSOR): while the broker is away they are
// kept, in order, and published with QoS 1 once it is back. Each message is the text the
// gateway built when the reading was taken, so its "Time" is the time it was taken.
//
// Where they wait, oldest first:
//   sending  readings handed to (or about to be handed to) the MQTT client; each leaves
//            only on its PUBACK, so a connection lost mid-way loses nothing
//   segments full batches spilled to the Store (outbox.<n> files), read back one at a time
//   tail     the newest readings, in RAM, up to RAM_BYTES; a full tail is spilled
// The byte budget (MI32Buffer) covers all three; past it the oldest waiting readings are
// dropped (a spilled batch as a whole) and counted. Only a few readings are with the MQTT
// client at once (WINDOW), so its own bounded offline queue never has to drop any.

import type { Log, Store } from '../host.js';
import { utf8Decode, utf8Encode, utf8Length } from '../mqtt/utf8.js';
import { writeAtomic } from '../store/atomic.js';
import { jsonDepthProblem, keepAside } from '../store/read-text.js';

/** What the outbox needs of the MQTT client: is it connected, and a QoS 1 publish that says once whether it was delivered. */
export interface OutboxSink {
  connected(): boolean;
  publish(topic: string, payload: string, done: (error?: Error) => void): void;
}

/** MI32Buffer's default: 64 KB of readings (about 400 SENSOR messages of one device). */
export const DEFAULT_BUFFER_BYTES = 65_536;
/** MI32Buffer's range: 0 (off) or MIN..MAX bytes. */
export const MIN_BUFFER_BYTES = 256;
export const MAX_BUFFER_BYTES = 262_144;
/** The RAM part of the budget (the tail; a batch read back from the Store is as large again). */
export const RAM_BYTES = 4096;
/** Readings with the MQTT client at once: the rest wait here, in order. */
const WINDOW = 8;
/** File names outbox.0 .. outbox.<SEGMENT_NAMES-1>: more than the largest budget can fill (MAX/RAM + the batches being sent). */
const SEGMENT_NAMES = 80;
const SEGMENT_PREFIX = 'outbox.';
/** The largest reading taken: a SENSOR message is split at 16 KB (gateway.ts SENSOR_MAX_BYTES), plus its topic. */
const MAX_READING_BYTES = 16_384 + 1024;
/** A segment file holds RAM_BYTES of readings plus the one that overflowed it; JSON escaping can double that. */
const SEGMENT_MAX_FILE_BYTES = (RAM_BYTES + MAX_READING_BYTES) * 2 + 4096;

/** Why a budget is not acceptable, or undefined. */
export function bufferBudgetProblem(value: unknown): string | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value)) return 'MI32Buffer must be a whole number of bytes';
  if (value !== 0 && (value < MIN_BUFFER_BYTES || value > MAX_BUFFER_BYTES)) {
    return `MI32Buffer must be 0 (off) or ${MIN_BUFFER_BYTES}-${MAX_BUFFER_BYTES} bytes, got ${value}`;
  }
  return undefined;
}

/** A group of readings that was one segment file (or one RAM tail): its file goes once all its readings left. */
interface Batch {
  seq: number;
  file?: string;
  /** Readings of the batch still here (not acknowledged, not dropped). */
  left: number;
  /** Some reading of it left: the file (if any) no longer matches what is here. */
  changed: boolean;
}

interface Item {
  topic: string;
  payload: string;
  bytes: number;
  /** With the MQTT client, waiting for its PUBACK. */
  sent: boolean;
  batch?: Batch;
}

interface Segment {
  seq: number;
  file: string;
  count: number;
  bytes: number;
}

export interface OutboxStats {
  /** Readings waiting (RAM and Store). */
  buffered: number;
  /** Readings dropped, oldest first, because the budget was full. */
  dropped: number;
  /** Readings delivered after waiting here (acknowledged by the broker). */
  sent: number;
}

export class Outbox {
  private sink: OutboxSink | undefined;
  private sending: Item[] = [];
  private segments: Segment[] = [];
  private tail: Item[] = [];
  private tailBytes = 0;
  private sendingBytes = 0;
  private segmentBytes = 0;
  private nextSeq = 0;
  private outstanding = 0;
  private pumping = false;
  private dropped = 0;
  private sent = 0;
  /** A failed Store write is said once, not once per reading. */
  private spillFailed = false;

  constructor(private readonly store: Store, private readonly log: Log, private budgetBytes = DEFAULT_BUFFER_BYTES) {}

  get budget(): number { return this.budgetBytes; }

  get stats(): OutboxStats {
    let buffered = this.sending.length + this.tail.length;
    for (const s of this.segments) buffered += s.count;
    return { buffered, dropped: this.dropped, sent: this.sent };
  }

  /** A new budget; a smaller one drops the oldest readings past it at once. 0: off for new readings (those kept still go out). */
  setBudget(bytes: number): void {
    this.budgetBytes = bytes;
    this.enforceBudget();
  }

  /** The client readings go to from now on (a new connection, a new broker); undefined: MQTT is off. */
  attach(sink: OutboxSink | undefined): void {
    this.sink = sink;
    this.pump();
  }

  /**
   * A reading to publish. False when store-and-forward is off (budget 0, no MQTT): the
   * caller publishes it as before. True: it is ours, sent now or kept.
   */
  take(topic: string, payload: string): boolean {
    if (this.budgetBytes === 0 || this.sink === undefined) return false;
    const bytes = utf8Length(topic) + utf8Length(payload);
    if (bytes > this.budgetBytes || bytes > MAX_READING_BYTES) {
      this.dropped++;
      this.log.warn(`outbox: a reading of ${bytes} bytes is larger than ${bytes > MAX_READING_BYTES ? `a SENSOR message can be (${MAX_READING_BYTES})` : `MI32Buffer (${this.budgetBytes})`}; dropped`);
      return true;
    }
    this.tail.push({ topic, payload, bytes, sent: false });
    this.tailBytes += bytes;
    this.pump();
    // A budget within RAM_BYTES is all RAM: readings drop one by one, the flash is never written.
    if (this.budgetBytes > RAM_BYTES && this.tailBytes > RAM_BYTES) this.spill();
    this.enforceBudget();
    return true;
  }

  /** Hand readings to the client while it is connected, oldest first, WINDOW at a time. */
  pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.sink?.connected() && this.outstanding < WINDOW) {
        const item = this.nextWaiting();
        if (!item) break;
        this.handOver(this.sink, item);
      }
    } finally {
      this.pumping = false;
    }
  }

  /**
   * Write what is only in RAM to the Store, in order (a clean stop: the next start sends
   * it). Readings handed to the client and not acknowledged are kept too: at least once.
   */
  persist(): void {
    const groups = new Map<Batch | undefined, Item[]>();
    for (const item of this.sending) {
      const list = groups.get(item.batch);
      if (list) list.push(item);
      else groups.set(item.batch, [item]);
    }
    for (const [batch, items] of groups) {
      if (batch && batch.file && !batch.changed) continue; // its file still holds exactly these
      const file = batch?.file ?? this.freeName();
      if (!file || !this.writeSegment(file, batch?.seq ?? this.nextSeq++, items)) continue;
      if (batch) { batch.file = file; batch.changed = false; }
    }
    if (this.tail.length > 0) this.spill();
  }

  /** Segments left by an earlier run (a stop, a power cut): they go out first, in their order. */
  load(): string[] {
    const problems: string[] = [];
    const found: Segment[] = [];
    for (let n = 0; n < SEGMENT_NAMES; n++) {
      const file = SEGMENT_PREFIX + n;
      let exists = false;
      try { exists = this.store.exists(file); } catch { exists = false; }
      if (!exists) continue;
      const parsed = this.readSegment(file);
      if (typeof parsed === 'string') {
        problems.push(`${file}: ${parsed}; ${keepAside(this.store, file)}`);
        continue;
      }
      found.push({ seq: parsed.seq, file, count: parsed.items.length, bytes: parsed.bytes });
    }
    found.sort((a, b) => a.seq - b.seq);
    for (const s of found) {
      this.segments.push(s);
      this.segmentBytes += s.bytes;
      this.nextSeq = Math.max(this.nextSeq, s.seq + 1);
    }
    for (const p of problems) this.log.warn(`outbox: ${p}`);
    if (found.length) this.log.info(`outbox: ${this.stats.buffered} readings kept from before the start will be published`);
    this.enforceBudget();
    return problems;
  }

  // --- sending ---------------------------------------------------------------------

  private nextWaiting(): Item | undefined {
    for (;;) {
      for (const item of this.sending) if (!item.sent) return item;
      if (this.segments.length > 0) this.loadOldestSegment();
      else if (this.tail.length > 0) this.moveTail();
      else return undefined;
    }
  }

  private handOver(sink: OutboxSink, item: Item): void {
    item.sent = true;
    this.outstanding++;
    let settled = false;
    const done = (error?: Error) => {
      if (settled) return;
      settled = true;
      this.outstanding--;
      if (error) item.sent = false; // back in line, in its place: the next connection sends it
      else {
        this.sent++;
        this.remove(item);
      }
      this.pump();
    };
    try {
      sink.publish(item.topic, item.payload, done);
    } catch (e) {
      // The client refused it outright (too large for it): it can never be sent.
      if (!settled) {
        settled = true;
        this.outstanding--;
        this.remove(item);
        this.dropped++;
        this.log.warn(`outbox: a reading could not be published (${(e as Error).message}); dropped`);
      }
    }
  }

  /** `item` left (acknowledged or dropped): forget it, and its batch's file once the batch is gone. */
  private remove(item: Item): void {
    const at = this.sending.indexOf(item);
    if (at < 0) return;
    this.sending.splice(at, 1);
    this.sendingBytes -= item.bytes;
    const batch = item.batch;
    if (!batch) return;
    batch.left--;
    batch.changed = true;
    if (batch.left === 0 && batch.file) this.removeFile(batch.file);
  }

  private moveTail(): void {
    const batch: Batch = { seq: this.nextSeq++, left: this.tail.length, changed: true };
    for (const item of this.tail) {
      item.batch = batch;
      this.sending.push(item);
    }
    this.sendingBytes += this.tailBytes;
    this.tail = [];
    this.tailBytes = 0;
  }

  private loadOldestSegment(): void {
    const segment = this.segments.shift()!;
    this.segmentBytes -= segment.bytes;
    const parsed = this.readSegment(segment.file);
    if (typeof parsed === 'string') {
      // It was good when written: the flash failed since. Its readings are lost; say so and count them.
      this.dropped += segment.count;
      this.log.warn(`outbox: ${segment.file}: ${parsed}; ${segment.count} readings lost; ${keepAside(this.store, segment.file)}`);
      return;
    }
    const batch: Batch = { seq: segment.seq, file: segment.file, left: parsed.items.length, changed: false };
    if (batch.left === 0) this.removeFile(segment.file);
    for (const [topic, payload] of parsed.items) {
      const bytes = utf8Length(topic) + utf8Length(payload);
      this.sending.push({ topic, payload, bytes, sent: false, batch });
      this.sendingBytes += bytes;
    }
  }

  // --- the budget ------------------------------------------------------------------

  private totalBytes(): number {
    return this.sendingBytes + this.segmentBytes + this.tailBytes;
  }

  /** Past the budget, the oldest waiting readings go (a whole spilled batch at a time), each counted. */
  private enforceBudget(): void {
    // 0 (off) takes no new readings but drops none of those already kept
    const budget = this.budgetBytes || Infinity;
    while (this.totalBytes() > budget) {
      const waiting = this.sending.find((i) => !i.sent);
      if (waiting) {
        this.remove(waiting);
        this.dropped++;
      } else if (this.segments.length > 0) {
        const segment = this.segments.shift()!;
        this.segmentBytes -= segment.bytes;
        this.dropped += segment.count;
        this.removeFile(segment.file);
      } else if (this.tail.length > 0) {
        const item = this.tail.shift()!;
        this.tailBytes -= item.bytes;
        this.dropped++;
      } else {
        return; // only readings with the client are left: they are not ours to drop
      }
    }
  }

  // --- the Store -------------------------------------------------------------------

  /** The RAM tail becomes a segment file; if the Store refuses, the tail stays in RAM and the oldest of it go past RAM_BYTES. */
  private spill(): void {
    const file = this.freeName();
    const seq = this.nextSeq++;
    if (file && this.writeSegment(file, seq, this.tail)) {
      this.segments.push({ seq, file, count: this.tail.length, bytes: this.tailBytes });
      this.segmentBytes += this.tailBytes;
      this.tail = [];
      this.tailBytes = 0;
      this.spillFailed = false;
      return;
    }
    if (!file && !this.spillFailed) this.log.warn(`outbox: all ${SEGMENT_NAMES} segment files are in use; keeping readings in RAM only`);
    this.spillFailed = true;
    while (this.tailBytes > RAM_BYTES && this.tail.length > 1) {
      this.tailBytes -= this.tail.shift()!.bytes;
      this.dropped++;
    }
  }

  private freeName(): string | undefined {
    for (let n = 0; n < SEGMENT_NAMES; n++) {
      const file = SEGMENT_PREFIX + n;
      try {
        if (!this.store.exists(file) && !this.store.exists(file + '.tmp')) return file;
      } catch {
        // an unreadable name is not free
      }
    }
    return undefined;
  }

  /** One line of header ({"seq":n}), then one JSON [topic, payload] per line. */
  private writeSegment(file: string, seq: number, items: Item[]): boolean {
    let text = JSON.stringify({ seq }) + '\n';
    for (const item of items) text += JSON.stringify([item.topic, item.payload]) + '\n';
    try {
      writeAtomic(this.store, file, utf8Encode(text));
      return true;
    } catch (e) {
      if (!this.spillFailed) this.log.warn(`outbox: ${(e as Error).message}; keeping readings in RAM only`);
      this.spillFailed = true;
      return false;
    }
  }

  /** A segment file, checked line by line (it is flash: it may be half-written or edited). */
  private readSegment(file: string): { seq: number; items: [string, string][]; bytes: number } | string {
    let data: Uint8Array | undefined;
    try {
      data = this.store.read(file);
    } catch (e) {
      return `cannot be read (${(e as Error).message})`;
    }
    if (!data) return 'is missing';
    if (data.length > SEGMENT_MAX_FILE_BYTES) return `is ${data.length} bytes, over ${SEGMENT_MAX_FILE_BYTES}`;
    let text: string;
    try {
      text = utf8Decode(data);
    } catch {
      return 'is not UTF-8';
    }
    const lines = text.split('\n');
    let header: unknown;
    try {
      header = jsonDepthProblem(lines[0]!, 1) ? undefined : JSON.parse(lines[0]!);
    } catch {
      return 'has no valid header';
    }
    const seq = (header as { seq?: unknown } | null)?.seq;
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq)) return 'has no valid header';
    const items: [string, string][] = [];
    let bytes = 0;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      if (line === '') continue;
      let entry: unknown;
      try {
        // one level of nesting at most: a hand-edited "[[[[..." must not overflow XS's stack
        entry = line[0] !== '[' || jsonDepthProblem(line, 1) ? undefined : JSON.parse(line);
      } catch {
        entry = undefined;
      }
      // [topic, payload], both strings: anything else is a damaged line, skipped
      if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string' || typeof entry[1] !== 'string' || entry[0] === '') {
        this.log.warn(`outbox: ${file} line ${i + 1} is not a reading; skipped`);
        continue;
      }
      items.push([entry[0], entry[1]]);
      bytes += utf8Length(entry[0]) + utf8Length(entry[1]);
    }
    return { seq, items, bytes };
  }

  private removeFile(file: string): void {
    try {
      this.store.remove(file);
    } catch (e) {
      this.log.warn(`outbox: could not remove ${file} (${(e as Error).message})`);
    }
  }
}
