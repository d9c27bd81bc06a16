// The shared HTTP layer (firmware/core/http): the parser alone, and the server over the
// Node TCP adapter with real sockets, including what hostile clients send.

import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Clock, Log } from '../../firmware/core/host.js';
import { HttpRequestParser, parseQuery } from '../../firmware/core/http/request.js';
import { encodeResponse } from '../../firmware/core/http/response.js';
import { HttpServer, type HttpHandler } from '../../firmware/core/http/server.js';
import { nodeTcpServer } from '../../host-sim/net.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const quiet: Log = { debug() {}, info() {}, warn() {}, error() {} };

/** A clock whose timers fire when the test says so. */
function manualClock() {
  let now = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  let next = 1;
  const clock: Clock = {
    now: () => now,
    setTimeout: (fn, ms) => { timers.set(next, { at: now + ms, fn }); return next++; },
    clearTimeout: (h) => { timers.delete(h as number); },
  };
  const advance = (ms: number) => {
    now += ms;
    for (const [id, t] of [...timers]) if (t.at <= now) { timers.delete(id); t.fn(); }
  };
  return { clock, advance };
}

describe('HttpRequestParser', () => {
  it('parses a request split anywhere, with query and body', () => {
    const text = 'POST /cm?cmnd=Status%200&x=a+b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello';
    for (let cut = 1; cut < text.length; cut++) {
      const p = new HttpRequestParser();
      const a = p.push(bytes(text.slice(0, cut)));
      const b = p.push(bytes(text.slice(cut)));
      const all = [...(a as never[]), ...(b as never[])] as { method: string; path: string; query: Record<string, string>; body: Uint8Array }[];
      expect(all).toHaveLength(1);
      expect(all[0]!.method).toBe('POST');
      expect(all[0]!.path).toBe('/cm');
      expect(all[0]!.query).toEqual({ cmnd: 'Status 0', x: 'a b' });
      expect(new TextDecoder().decode(all[0]!.body)).toBe('hello');
    }
  });

  it('gives pipelined requests in order', () => {
    const p = new HttpRequestParser();
    const r = p.push(bytes('GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\nConnection: close\r\n\r\n'));
    expect(Array.isArray(r) && r.map((q) => [q.path, q.close])).toEqual([['/a', false], ['/b', true]]);
  });

  it.each([
    ['GET / HTTP/2.0\r\n\r\n', 505],
    ['GET / HTTP/1.1\r\nbad header\r\n\r\n', 400],
    ['GARBAGE\r\n\r\n', 400],
    ['GET http://x/ HTTP/1.1\r\n\r\n', 400],
    ['POST / HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n', 413],
    ['POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n', 400],
    ['POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n', 501],
    ['GET /%zz HTTP/1.1\r\n\r\n', 400],
    ['GET /?a=%E0%A4%A HTTP/1.1\r\n\r\n', 400],
  ])('refuses %j with %i', (text, status) => {
    const r = new HttpRequestParser().push(bytes(text));
    expect(Array.isArray(r) ? r : r.status).toBe(status);
  });

  it('refuses endless headers before they fill memory', () => {
    const p = new HttpRequestParser({ maxHeaderBytes: 1024, maxBodyBytes: 10 });
    let r = p.push(bytes('GET / HTTP/1.1\r\n'));
    for (let i = 0; i < 100 && Array.isArray(r); i++) r = p.push(bytes('X-A: ' + 'a'.repeat(50) + '\r\n'));
    expect(Array.isArray(r) ? 'accepted' : r.status).toBe(431);
  });

  it('parses query strings', () => {
    expect(parseQuery('cmnd=MI32Key%20A4C1&user=admin&user=x&flag')).toEqual({ cmnd: 'MI32Key A4C1', user: 'admin', flag: '' });
  });

  it('never writes a header value with a line break', () => {
    expect(() => encodeResponse({ status: 200, headers: { 'X-A': 'a\r\nSet-Cookie: x' } })).toThrow(/line break/);
  });
});

describe('HttpServer over node:net', () => {
  const servers: HttpServer[] = [];
  afterEach(() => { for (const s of servers.splice(0)) s.close(); });

  async function start(handler: HttpHandler, options = {}, clock: Clock = { now: Date.now, setTimeout: (f, ms) => setTimeout(f, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) }) {
    const server = new HttpServer({ tcp: nodeTcpServer, clock, log: quiet }, handler, options);
    servers.push(server);
    const port = await new Promise<number>((resolve, reject) => server.listen({ port: 0 }, (e, p) => (e ? reject(e) : resolve(p))));
    return { server, port };
  }

  /** Sends raw text, collects everything until the server closes (or `until` matches). */
  function raw(port: number, text: string | string[], until?: RegExp): Promise<string> {
    return new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      let got = '';
      socket.on('data', (d) => { got += d.toString('latin1'); if (until?.test(got)) { socket.destroy(); resolve(got); } });
      socket.on('close', () => resolve(got));
      socket.on('error', () => resolve(got));
      for (const part of Array.isArray(text) ? text : [text]) socket.write(part);
    });
  }

  it('answers fetch with the handler’s response, keeps serving after a handler throws', async () => {
    const { port } = await start((req) => {
      if (req.path === '/boom') throw new Error('boom');
      return { status: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ path: req.path, q: req.query, body: new TextDecoder().decode(req.body) }) };
    });
    const a = await fetch(`http://127.0.0.1:${port}/x?cmnd=Status`, { method: 'POST', body: 'hi' });
    expect(await a.json()).toEqual({ path: '/x', q: { cmnd: 'Status' }, body: 'hi' });
    const b = await fetch(`http://127.0.0.1:${port}/boom`);
    expect(b.status).toBe(500);
    const c = await fetch(`http://127.0.0.1:${port}/again`);
    expect(c.status).toBe(200);
  });

  it('answers a malformed request with its 4xx and closes; an async handler keeps request order', async () => {
    const { port } = await start(async (req) => {
      await new Promise((r) => setTimeout(r, req.path === '/slow' ? 30 : 1));
      return { status: 200, body: req.path };
    });
    expect(await raw(port, 'NOPE\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    const both = await raw(port, 'GET /slow HTTP/1.1\r\n\r\nGET /fast HTTP/1.1\r\nConnection: close\r\n\r\n');
    expect(both.indexOf('/slow')).toBeGreaterThan(0);
    expect(both.indexOf('/fast')).toBeGreaterThan(both.indexOf('/slow'));
  });

  it('times out a client that never finishes its request (408), with the server clock', async () => {
    const { clock, advance } = manualClock();
    const { server, port } = await start(() => ({ status: 200 }), { requestTimeoutMs: 5000 }, clock);
    const pending = raw(port, 'GET / HTTP/1.1\r\nHost: a\r\n');
    await new Promise((r) => setTimeout(r, 50));
    expect(server.connections).toBe(1);
    advance(5000);
    expect(await pending).toMatch(/^HTTP\/1\.1 408 /);
    expect(server.connections).toBe(0);
  });

  it('refuses connections beyond the limit with 503, and serves again once one ends', async () => {
    const { port } = await start(() => ({ status: 200, body: 'ok' }), { maxConnections: 1 });
    const first = net.connect(port, '127.0.0.1');
    await new Promise((r) => first.once('connect', r));
    await new Promise((r) => setTimeout(r, 30));
    expect(await raw(port, 'GET / HTTP/1.1\r\n\r\n')).toMatch(/^HTTP\/1\.1 503 /);
    first.destroy();
    await new Promise((r) => setTimeout(r, 30));
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
  });

  it('switches a connection to a codec after a response (HAP after pair-verify)', async () => {
    // A toy codec: every byte +1 on the wire.
    const shift = (b: Uint8Array, d: number) => b.map((x) => (x + d) & 255);
    const { port } = await start((req, conn) => {
      if (req.path === '/verify') {
        queueMicrotask(() => conn.setCodec({ decode: (b) => shift(b, -1), encode: (b) => shift(b, 1) }));
        return { status: 200, body: 'plain' };
      }
      return { status: 200, body: 'secret', headers: { Connection: 'close' } };
    });
    const got = await new Promise<Buffer>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      const chunks: Buffer[] = [];
      socket.on('data', (d) => {
        chunks.push(d);
        if (Buffer.concat(chunks).toString().includes('plain') && chunks.length === 1) {
          setTimeout(() => socket.write(Buffer.from(shift(bytes('GET /x HTTP/1.1\r\n\r\n'), 1))), 10);
        }
      });
      socket.on('close', () => resolve(Buffer.concat(chunks)));
      socket.write('GET /verify HTTP/1.1\r\n\r\n');
    });
    const text = got.toString('latin1');
    const cut = text.indexOf('plain') + 5;
    expect(text.slice(0, cut)).toMatch(/200 OK[\s\S]*plain$/);
    expect(new TextDecoder().decode(shift(new Uint8Array(got.subarray(cut)), -1))).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*secret$/);
  });
});
