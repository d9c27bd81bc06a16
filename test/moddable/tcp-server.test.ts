// The TcpServerPort on Moddable's socket Listener (firmware/moddable/tcp-server.ts), with
// the core's HttpServer on top, against the fake socket: a request in, the answer out
// whole even when it is larger than lwIP's free send buffer, and closing only after it left.
import { beforeEach, describe, expect, it } from 'vitest';
import { HttpServer } from '../../firmware/core/http/server.js';
import { createTcpServer } from '../../firmware/moddable/tcp-server.js';
import { silentLog } from '../helpers/gateway.js';
import { FakeClock } from '../mqtt/fakes.js';
import { listeners, sockets } from './fakes/socket.js';
import { advance } from './fakes/timer.js';

const READABLE = 2, WRITABLE = 3, DISCONNECTED = -1;
const text = (bytes: number[]) => new TextDecoder().decode(new Uint8Array(bytes));

beforeEach(() => {
  sockets.length = 0;
  listeners.length = 0;
});

function serve(body: string) {
  const server = new HttpServer({ tcp: createTcpServer(silentLog), clock: new FakeClock(), log: silentLog }, () => ({ status: 200, headers: { Connection: 'close' }, body }));
  const ready: [string | undefined, number][] = [];
  server.listen({ port: 80 }, (e, p) => ready.push([e?.message, p]));
  advance(0);
  return { server, ready };
}

describe('Moddable TCP server adapter', () => {
  it('listens on the fixed port and answers a request', () => {
    const { ready } = serve('hello');
    expect(ready).toEqual([[undefined, 80]]);
    expect(listeners[0]!.options).toEqual({ port: 80 });
    const client = listeners[0]!.connect();
    client.receive(new TextEncoder().encode('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    expect(text(client.written)).toMatch(/^HTTP\/1.1 200 OK\r\n[\s\S]*\r\n\r\nhello$/);
    expect(client.closed).toBe(true);
  });

  it('a response larger than the send buffer leaves whole, and the socket closes only after it', () => {
    const page = 'x'.repeat(5000);
    serve(page);
    const client = listeners[0]!.connect();
    client.free = 1000;
    client.receive(new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n'));
    expect(client.written.length).toBe(1000);
    expect(client.closed).toBe(false);
    for (let i = 0; i < 10 && !client.closed; i++) {
      client.free = 1000;
      client.callback(WRITABLE);
    }
    expect(text(client.written).endsWith(page)).toBe(true);
    expect(client.closed).toBe(true);
  });

  it('a peer that leaves ends the connection once; a busy port or port 0 is an error through ready', () => {
    const { server } = serve('x');
    const client = listeners[0]!.connect();
    expect(server.connections).toBe(1);
    client.callback(DISCONNECTED);
    expect(server.connections).toBe(0);
    client.callback(READABLE, 3); // late bytes: ignored
    const errors: string[] = [];
    createTcpServer().listen({ port: 81 }, () => ({ onData() {}, onClose() {} }), (e) => errors.push(e!.message));
    createTcpServer().listen({ port: 0 }, () => ({ onData() {}, onClose() {} }), (e) => errors.push(e!.message));
    advance(0);
    expect(errors).toEqual(['cannot listen on port 81: port in use', 'the device listens on a fixed port (1-65535)']);
  });
});
