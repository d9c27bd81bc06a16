// Live updates: device changes batched (one event a second however busy the radio is),
// a bounded number of listening pages, keepalive comments, and a bounded log ring.
import { describe, expect, it } from 'vitest';
import type { HttpConnection } from '../../firmware/core/http/server.js';
import { EventHub, LOG_LINES, LogRing, MAX_LISTENERS } from '../../firmware/core/web/events.js';
import { LOCK_MS, LoginGuard, MAX_FAILURES } from '../../firmware/core/web/auth.js';
import { FakeClock } from '../mqtt/fakes.js';

function connection() {
  const sent: string[] = [];
  let onClose: (() => void) | undefined;
  const c = {
    id: 1, remote: 'x', state: new Map(), closed: false,
    send: (b: Uint8Array) => sent.push(new TextDecoder().decode(b)),
    close: () => { c.closed = true; onClose?.(); },
    setCodec: () => {}, onClose: (cb: () => void) => { onClose = cb; },
  };
  return { c: c as unknown as HttpConnection & { closed: boolean }, sent };
}

describe('EventHub', () => {
  it('batches device changes into one event a second, each device once', () => {
    const clock = new FakeClock();
    const rendered: string[][] = [];
    const hub = new EventHub(clock, (macs) => { rendered.push(macs); return macs.map((mac) => ({ mac })); });
    const { c, sent } = connection();
    expect(hub.add(c)).toBe(true);
    for (let i = 0; i < 500; i++) hub.deviceChanged(i % 2 ? 'A' : 'B');
    clock.advance(999);
    expect(rendered).toEqual([]);
    clock.advance(1);
    expect(rendered).toEqual([['B', 'A']]);
    expect(sent).toEqual(['retry: 2000\n\n', 'event: devices\ndata: [{"mac":"B"},{"mac":"A"}]\n\n']);
    clock.advance(25_000);
    expect(sent.at(-1)).toBe(':\n\n');
  });

  it('takes a bounded number of pages, and forgets one that closed', () => {
    const hub = new EventHub(new FakeClock(), () => []);
    const pages = Array.from({ length: MAX_LISTENERS }, () => connection());
    for (const p of pages) expect(hub.add(p.c)).toBe(true);
    expect(hub.add(connection().c)).toBe(false);
    pages[0]!.c.close();
    expect(hub.count).toBe(MAX_LISTENERS - 1);
    expect(hub.add(connection().c)).toBe(true);
  });
});

describe('LogRing', () => {
  it('keeps the last lines, one line each, bounded in length', () => {
    const ring = new LogRing();
    for (let i = 0; i < LOG_LINES + 5; i++) ring.add(`line ${i}`);
    ring.add('two\nlines' + 'x'.repeat(1000));
    expect(ring.lines).toHaveLength(LOG_LINES);
    expect(ring.lines[0]).toBe('line 6');
    expect(ring.lines.at(-1)).toMatch(/^two linesx+$/);
    expect(ring.lines.at(-1)!.length).toBe(300);
  });
});

describe('LoginGuard', () => {
  it('locks an address after MAX_FAILURES wrong passwords for LOCK_MS; others are not affected; a success resets', () => {
    let now = 0;
    const guard = new LoginGuard(() => now);
    for (let i = 0; i < MAX_FAILURES - 1; i++) guard.failed('10.0.0.9');
    guard.succeeded('10.0.0.9');
    for (let i = 0; i < MAX_FAILURES - 1; i++) guard.failed('10.0.0.9');
    expect(guard.lockedFor('10.0.0.9')).toBe(0);
    guard.failed('10.0.0.9');
    expect(guard.lockedFor('10.0.0.9')).toBe(LOCK_MS);
    expect(guard.lockedFor('10.0.0.2')).toBe(0);
    now += LOCK_MS;
    expect(guard.lockedFor('10.0.0.9')).toBe(0);
    // a flood of addresses keeps the table bounded: the oldest are forgotten
    for (let i = 0; i < 1000; i++) guard.failed(`10.1.${i >> 8}.${i & 255}`);
    expect((guard as unknown as { clients: Map<string, unknown> }).clients.size).toBeLessThanOrEqual(32);
  });
});
