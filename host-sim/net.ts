// Node implementations of the Net, Clock and Random ports (firmware/core/host.ts).
// A thin adapter: it moves bytes and events and holds no protocol logic.

import { randomBytes } from 'node:crypto';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { Clock, Net, Random, TcpConnectOptions, TcpServerPort, TcpSocket, TcpSocketEvents, TimerHandle } from '../firmware/core/host.js';

/** How long close() waits for buffered writes (e.g. DISCONNECT) before resetting the socket. */
const CLOSE_GRACE_MS = 2000;

export const nodeNet: Net = {
  connectTcp(options: TcpConnectOptions, events: TcpSocketEvents): TcpSocket {
    let socket: net.Socket;
    if (options.tls) {
      const t = options.tls;
      // Only set keys we mean: tls.connect treats an explicit `undefined` as a value.
      const tlsOptions: tls.ConnectionOptions = { host: options.host, port: options.port, rejectUnauthorized: t.verify !== false };
      if (t.ca !== undefined) tlsOptions.ca = typeof t.ca === 'string' ? t.ca : Buffer.from(t.ca);
      // SNI must not be an IP address; the certificate is still checked against the host.
      const name = t.serverName ?? (net.isIP(options.host) ? undefined : options.host);
      if (name !== undefined) tlsOptions.servername = name;
      if (t.serverName !== undefined) {
        const serverName = t.serverName;
        tlsOptions.checkServerIdentity = (_host, cert) => tls.checkServerIdentity(serverName, cert);
      }
      socket = tls.connect(tlsOptions);
      socket.once('secureConnect', () => events.onConnect());
    } else {
      socket = net.connect({ host: options.host, port: options.port });
      socket.once('connect', () => events.onConnect());
    }
    socket.setNoDelay(true);
    let failure: Error | undefined;
    let closed = false;
    socket.on('data', (chunk: Buffer) => {
      if (!closed) events.onData(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      failure ??= describe(error, options);
    });
    socket.on('close', () => {
      if (closed) return;
      closed = true;
      events.onClose(failure);
    });

    // Writes made in one turn of the event loop leave in one segment, not one per packet.
    let corked = false;
    return {
      write(bytes: Uint8Array) {
        if (closed || socket.destroyed) return;
        if (!corked) {
          corked = true;
          socket.cork();
          process.nextTick(() => {
            corked = false;
            socket.uncork();
          });
        }
        socket.write(bytes);
      },
      close() {
        if (closed) return;
        closed = true; // the caller asked for it: no onClose
        socket.end();
        setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
      },
    };
  },
};

/** The TCP server port over node:net (the web page, HomeKit). Binds 127.0.0.1 unless told. */
export const nodeTcpServer: TcpServerPort = {
  listen(options, accept, ready) {
    const server = net.createServer((socket) => {
      socket.setNoDelay(true);
      let closed = false;
      let failure: Error | undefined;
      const events = accept({
        remote: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`,
        write(bytes) {
          if (!closed && !socket.destroyed) socket.write(bytes);
        },
        close() {
          if (closed) return;
          closed = true; // the server asked for it: it has already forgotten the connection
          socket.end();
          setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
        },
      });
      socket.on('data', (chunk: Buffer) => {
        if (!closed) events.onData(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      });
      socket.on('error', (error) => { failure ??= error; });
      socket.on('close', () => {
        if (closed) return;
        closed = true;
        events.onClose(failure);
      });
    });
    let started = false;
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (!started) ready(new Error(`cannot listen on ${options.host ?? '127.0.0.1'}:${options.port}: ${error.message}`, { cause: error }), 0);
    });
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      started = true;
      const address = server.address();
      ready(undefined, typeof address === 'object' && address ? address.port : options.port);
    });
    return { close: () => server.close() };
  },
};

function describe(error: NodeJS.ErrnoException, options: TcpConnectOptions): Error {
  const where = `${options.host}:${options.port}`;
  const code = error.code ? ` (${error.code})` : '';
  const tlsProblem = options.tls && /cert|self.signed|verify|ssl|tls|handshake/i.test(`${error.code} ${error.message}`);
  const message = tlsProblem
    ? `TLS to ${where} failed: ${error.message}${code}; check the CA certificate and server name`
    : `${where}: ${error.message}${code}`;
  return new Error(message, { cause: error });
}

export const nodeClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback: () => void, ms: number): TimerHandle => setTimeout(callback, ms),
  clearTimeout: (handle: TimerHandle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export const nodeRandom: Random = {
  bytes: (count: number) => new Uint8Array(randomBytes(count)),
};
