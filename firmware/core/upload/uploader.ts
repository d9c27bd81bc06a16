// Batch upload of approved devices' readings to an HTTPS endpoint, as the seed manager
// submits to its IoT API: every `period` seconds (30 by default) one POST of what is
// waiting, in the seed's JSON shape (batch.ts). When the endpoint is down the readings
// wait (up to keepMs, 180 s) and the post is retried with a doubling backoff; a reading
// leaves the buffer only when a 2xx answer covered it. The settings (URL, period, token)
// live in upload.json; the token is sent as a Bearer header and never shown or logged.

import type { Clock, HttpClient, Log, Store, TimerHandle, TlsOptions } from '../host.js';
import type { Values } from '../decoders/types.js';
import { utf8Decode, utf8Encode } from '../mqtt/utf8.js';
import { readJsonObject, writeJsonObject } from '../store/json-file.js';
import { batchBody, ReadingBuffer } from './batch.js';
import { parseUploadUrl, shownUrl, type UploadUrl } from './url.js';

export const UPLOAD_FILE = 'upload.json';
/** A CA to trust for the endpoint (PEM), instead of the platform's list: a self-signed server. */
export const UPLOAD_CA_FILE = 'upload-ca.pem';
export const DEFAULT_UPLOAD_PERIOD = 30;
export const UPLOAD_PERIOD_RANGE = [5, 3600] as const;

export interface UploaderOptions {
  /** How long readings wait for a working endpoint. Default 180 s. */
  keepMs?: number;
  /** Readings waiting at most (the oldest is dropped). Default 300. */
  maxReadings?: number;
  /** Readings in one POST; more wait for the next one, sent right after. Default 60. */
  perPost?: number;
  timeoutMs?: number;
  /** First retry after a failed post; doubles up to maxRetryMs. */
  firstRetryMs?: number;
  maxRetryMs?: number;
}

export interface UploaderPorts {
  clock: Clock;
  log: Log;
  store: Store;
  http: HttpClient;
}

export function tokenProblem(token: string): string | undefined {
  return /^[\x21-\x7e]{1,512}$/.test(token) ? undefined : 'the token must be 1-512 printable ASCII characters without spaces';
}

export function periodProblem(seconds: unknown): string | undefined {
  const [min, max] = UPLOAD_PERIOD_RANGE;
  return typeof seconds === 'number' && Number.isInteger(seconds) && seconds >= min && seconds <= max ? undefined : `the upload period must be whole seconds from ${min} to ${max}`;
}

export class Uploader {
  readonly buffer: ReadingBuffer;
  readonly stats = { posts: 0, sent: 0, failures: 0, lastStatus: 0, lastError: '' };
  private url: UploadUrl | undefined;
  private period = DEFAULT_UPLOAD_PERIOD;
  private token: string | undefined;
  private timer: TimerHandle | undefined;
  private running = false;
  private inFlight = false;
  /** Failed posts in a row (the backoff's exponent). */
  private failedInRow = 0;
  private readonly o: Required<UploaderOptions>;

  constructor(private readonly ports: UploaderPorts, options: UploaderOptions = {}) {
    this.o = { keepMs: 180_000, maxReadings: 300, perPost: 60, timeoutMs: 15_000, firstRetryMs: 5_000, maxRetryMs: 60_000, ...options };
    this.buffer = new ReadingBuffer({ keepMs: this.o.keepMs, maxReadings: this.o.maxReadings });
  }

  get configured(): boolean { return this.url !== undefined; }
  get busy(): boolean { return this.inFlight; }
  get periodSeconds(): number { return this.period; }

  /** upload.json, each field checked again; returns the problems. */
  load(): string[] {
    const read = readJsonObject(this.ports.store, UPLOAD_FILE, 4096, 1);
    const problems = read.problems;
    const raw = read.value;
    if (!raw) return problems;
    if (raw.url !== undefined) {
      const url = typeof raw.url === 'string' ? parseUploadUrl(raw.url) : 'not a string';
      if (typeof url === 'string') problems.push(`${UPLOAD_FILE}: url: ${url}; upload is off`);
      else this.url = url;
    }
    if (raw.period !== undefined) {
      const problem = periodProblem(raw.period);
      if (problem) problems.push(`${UPLOAD_FILE}: ${problem}; using ${DEFAULT_UPLOAD_PERIOD}`);
      else this.period = raw.period as number;
    }
    if (raw.token !== undefined) {
      // Never quote the token back, not even a bad one.
      if (typeof raw.token !== 'string' || tokenProblem(raw.token)) problems.push(`${UPLOAD_FILE}: the token is not valid; no token is sent`);
      else this.token = raw.token;
    }
    return problems;
  }

  start(): void {
    this.running = true;
    this.schedule(this.period * 1000);
  }

  stop(): void {
    this.running = false;
    this.cancel();
    // Not silent: what could not be posted before the end is counted in the log.
    if (this.buffer.size > 0) this.ports.log.warn(`upload: ${this.buffer.size} readings were not posted before the stop`);
  }

  /** A reading of an approved device; kept only while an endpoint is set. */
  add(iotDeviceId: string, t: number, values: Values): void {
    if (this.url) this.buffer.add(iotDeviceId, t, values);
  }

  /** Settings change: saved first (a failed save throws and changes nothing), then applied. */
  setUrl(text: string): void {
    const url = text === '' ? undefined : parseUploadUrl(text);
    if (typeof url === 'string') throw new Error(url);
    this.save({ url: url && text });
    this.url = url;
    this.failedInRow = 0;
    if (this.running) this.schedule(this.period * 1000);
  }

  setPeriod(seconds: number): void {
    const problem = periodProblem(seconds);
    if (problem) throw new Error(problem);
    this.save({ period: seconds });
    this.period = seconds;
    if (this.running && !this.inFlight && this.failedInRow === 0) this.schedule(seconds * 1000);
  }

  setToken(token: string): void {
    if (token !== '') {
      const problem = tokenProblem(token);
      if (problem) throw new Error(problem);
    }
    this.save({ token: token || undefined });
    this.token = token || undefined;
  }

  /** What MI32Upload shows: never the token, the URL without its query. */
  status(): Record<string, unknown> {
    const s = this.stats;
    return {
      Url: this.url ? shownUrl(this.url) : '', Period: this.period, Token: this.token ? 'set' : 'none',
      Pending: this.buffer.size, Posts: s.posts, Sent: s.sent, Failures: s.failures, Dropped: this.buffer.dropped,
      LastStatus: s.lastStatus, LastError: s.lastError,
    };
  }

  /** Post what is waiting now (the timer calls it; tests may too). */
  flush(): void {
    if (this.inFlight) return;
    this.cancel();
    const now = this.ports.clock.now();
    const old = this.buffer.prune(now);
    if (old > 0) this.ports.log.warn(`upload: ${old} readings older than ${this.o.keepMs / 1000} s dropped (the endpoint did not take them); ${this.buffer.dropped} dropped so far`);
    const url = this.url;
    const batch = this.buffer.snapshot().slice(0, this.o.perPost);
    if (!url || batch.length === 0) return this.schedule(this.period * 1000);
    const last = batch[batch.length - 1]!.seq;
    const headers: Record<string, string> = { 'Content-Type': 'application/json', 'User-Agent': 'mi32-xs' };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    this.inFlight = true;
    this.stats.posts++;
    let answered = false;
    try {
      this.ports.http.request({
        method: 'POST', host: url.host, port: url.port, path: url.path, tls: this.tls(), headers,
        body: utf8Encode(JSON.stringify(batchBody(batch))), timeoutMs: this.o.timeoutMs,
      }, (error, response) => {
        if (answered) return; // the port's contract says once; a broken adapter must not post twice
        answered = true;
        this.inFlight = false;
        const ok = !error && response !== undefined && response.status >= 200 && response.status < 300;
        if (response) this.stats.lastStatus = response.status;
        if (ok) this.succeeded(url, last, batch.length);
        else this.failed(url, error ? error.message : `HTTP ${response?.status ?? 0}`);
      });
    } catch (e) {
      answered = true;
      this.inFlight = false;
      this.failed(url, (e as Error).message);
    }
  }

  private succeeded(url: UploadUrl, last: number, count: number): void {
    this.buffer.sentUpTo(last);
    this.stats.sent += count;
    if (this.failedInRow > 0) this.ports.log.info(`upload to ${shownUrl(url)} works again; ${this.buffer.size} readings still waiting`);
    this.failedInRow = 0;
    this.stats.lastError = '';
    // More than one post's worth waiting (after an outage): the next one at once.
    this.schedule(this.buffer.size > 0 && this.url === url ? 0 : this.period * 1000);
  }

  private failed(url: UploadUrl, why: string): void {
    this.stats.failures++;
    this.stats.lastError = why.slice(0, 120);
    const wait = Math.min(this.o.firstRetryMs * 2 ** this.failedInRow, this.o.maxRetryMs);
    // Once per outage, not once per retry: the console must stay readable.
    if (this.failedInRow === 0) this.ports.log.warn(`upload to ${shownUrl(url)} failed (${this.stats.lastError}); retrying with backoff, readings kept up to ${this.o.keepMs / 1000} s`);
    this.failedInRow++;
    this.schedule(wait);
  }

  private tls(): TlsOptions {
    try {
      const pem = this.ports.store.read(UPLOAD_CA_FILE);
      if (pem) return { ca: utf8Decode(pem) };
    } catch (e) {
      this.ports.log.warn(`upload: ${UPLOAD_CA_FILE} cannot be read (${(e as Error).message}); using the platform's CAs`);
    }
    return {};
  }

  /** upload.json with `change` applied; a key set to undefined is left out (JSON drops it). */
  private save(change: { url?: string | undefined; period?: number; token?: string | undefined }): void {
    writeJsonObject(this.ports.store, UPLOAD_FILE, { url: this.urlText(), period: this.period, token: this.token, ...change });
  }

  private urlText(): string | undefined {
    return this.url ? `https://${this.url.host}:${this.url.port}${this.url.path}` : undefined;
  }

  private schedule(ms: number): void {
    this.cancel();
    if (!this.running) return;
    this.timer = this.ports.clock.setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, ms);
  }

  private cancel(): void {
    if (this.timer !== undefined) this.ports.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
