// Live updates for the page by server-sent events (/api/events): device changes, at most
// one batch per second whatever the radio does, and log lines for the console. Also the
// log ring the console page starts from. Bounded: a few listeners, a few dozen lines.

import type { Clock, Log, TimerHandle } from '../host.js';
import type { HttpConnection } from '../http/server.js';
import { utf8Encode } from '../mqtt/utf8.js';

/** Log lines the console page shows on opening. */
export const LOG_LINES = 40;
/** Pages listening at once; the next gets 503 (the device affords a handful of sockets). */
export const MAX_LISTENERS = 4;
/** Device changes are sent at most this often. */
const BATCH_MS = 1000;
/** A comment line this often keeps proxies from closing the stream and finds peers that vanished. */
const KEEPALIVE_MS = 25_000;

/** The last log lines (and console replies), for the console page. */
export class LogRing {
  readonly lines: string[] = [];
  /** Called with each new line (the event hub forwards it). */
  onLine: ((line: string) => void) | undefined;

  add(line: string): void {
    // One line each, bounded: a log line is never a way to flood the page.
    const clean = line.replace(/[\r\n]+/g, ' ').slice(0, 300);
    this.lines.push(clean);
    if (this.lines.length > LOG_LINES) this.lines.shift();
    this.onLine?.(clean);
  }

  /** `log`, with every line also kept here. */
  tee(log: Log): Log {
    const level = (name: keyof Log) => (message: string) => {
      log[name](message);
      if (name !== 'debug') this.add(`${name.toUpperCase()} ${message}`);
    };
    return { debug: level('debug'), info: level('info'), warn: level('warn'), error: level('error') };
  }
}

export class EventHub {
  private readonly listeners = new Set<HttpConnection>();
  private readonly changed = new Set<string>();
  private timer: TimerHandle | undefined;
  private keepalive: TimerHandle | undefined;

  constructor(private readonly clock: Clock, private readonly render: (macs: string[]) => unknown[]) {}

  get count(): number {
    return this.listeners.size;
  }

  /** Take a connection whose event-stream head was just sent; false when there are too many. */
  add(connection: HttpConnection): boolean {
    if (this.listeners.size >= MAX_LISTENERS) return false;
    this.listeners.add(connection);
    connection.onClose(() => this.listeners.delete(connection));
    connection.send(utf8Encode('retry: 2000\n\n'));
    this.armKeepalive();
    return true;
  }

  /** A device's data changed: it goes out with the next batch. */
  deviceChanged(mac: string): void {
    if (this.listeners.size === 0) return;
    this.changed.add(mac);
    this.timer ??= this.clock.setTimeout(() => {
      this.timer = undefined;
      const macs = [...this.changed];
      this.changed.clear();
      this.send('devices', this.render(macs));
    }, BATCH_MS);
  }

  send(event: string, data: unknown): void {
    if (this.listeners.size === 0) return;
    const bytes = utf8Encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    for (const c of this.listeners) c.send(bytes);
  }

  private armKeepalive(): void {
    if (this.keepalive !== undefined) return;
    this.keepalive = this.clock.setTimeout(() => {
      this.keepalive = undefined;
      if (this.listeners.size === 0) return;
      const ping = utf8Encode(':\n\n');
      for (const c of this.listeners) c.send(ping);
      this.armKeepalive();
    }, KEEPALIVE_MS);
  }

  close(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    if (this.keepalive !== undefined) this.clock.clearTimeout(this.keepalive);
    this.timer = this.keepalive = undefined;
    for (const c of [...this.listeners]) c.close();
  }
}
