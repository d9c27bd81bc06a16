// The Net port on Moddable's `socket` (lwIP TCP) and `securesocket` (Moddable's JS TLS 1.2).
// Only bytes and events move here; outgoing bytes wait in a SendQueue (socket-queue.ts)
// until lwIP has room for them.

import { Socket } from "socket";
import SecureSocket from "securesocket";
import Timer from "timer";
import type { Log, Net, TcpConnectOptions, TcpSocket, TcpSocketEvents, TlsOptions } from "core/host";
import { SendQueue, SOCKET_CONNECTED as CONNECTED, SOCKET_DISCONNECTED as DISCONNECTED, SOCKET_ERROR as ERROR,
  SOCKET_READABLE as READABLE, SOCKET_WRITABLE as WRITABLE, type RawSocket } from "mi32/socket-queue";

export function createNet(log?: Log): Net {
  return {
    connectTcp(options: TcpConnectOptions, events: TcpSocketEvents): TcpSocket {
      const where = `${options.host}:${options.port}`;
      const pending = new SendQueue();
      let closed = false;
      let connected = false;
      let socket: RawSocket | undefined;

      const finish = (error?: Error) => {
        if (closed) return;
        closed = true;
        try {
          socket?.close();
        } catch {
          // already gone
        }
        events.onClose(error);
      };

      const flush = () => {
        if (!socket || !connected) return;
        pending.flushTo(socket);
      };

      const onMessage = (message: number, value?: number) => {
        if (closed) return;
        try {
          switch (message) {
            case CONNECTED:
              connected = true;
              events.onConnect();
              flush();
              break;
            case READABLE:
              if (value && value > 0) events.onData(new Uint8Array(socket!.read(ArrayBuffer)));
              break;
            case WRITABLE:
              flush();
              break;
            case DISCONNECTED:
              finish(connected ? undefined : new Error(`${where}: connection closed before it was established`));
              break;
            case ERROR:
              finish(new Error(options.tls
                ? `TLS to ${where} failed; check the CA certificate, the server name and the clock (SNTP)`
                : `${where}: connection failed (refused, unreachable or DNS)`));
              break;
          }
        } catch (e) {
          log?.error(`socket ${where}: ${(e as Error).message}`);
          finish(e as Error);
        }
      };

      try {
        socket = (options.tls
          ? new SecureSocket({ host: options.host, port: options.port, secure: secureOptions(options.host, options.tls) })
          : new Socket({ host: options.host, port: options.port })) as unknown as RawSocket;
        socket.callback = onMessage;
      } catch (e) {
        // Report asynchronously, as every other outcome is.
        const error = new Error(`${where}: ${(e as Error).message}`);
        Timer.set(() => finish(error), 0);
      }

      return {
        write(bytes: Uint8Array) {
          if (closed) return;
          pending.push(bytes);
          try {
            flush();
          } catch (e) {
            finish(e as Error);
          }
        },
        close() {
          if (closed) return;
          try {
            flush(); // whatever fits now (e.g. DISCONNECT) leaves before the FIN
          } catch {
            // closing anyway
          }
          closed = true; // the caller asked for it: no onClose
          try {
            socket?.close();
          } catch {
            // already gone
          }
        },
      };
    },
  };
}

/** Options for ssl/session (modules/crypt/ssl/session_original.js, ssl_cert.js). */
function secureOptions(host: string, tls: TlsOptions): Record<string, unknown> {
  const secure: Record<string, unknown> = {
    protocolVersion: 0x0303,
    tls_server_name: tls.serverName ?? host,
    verify: tls.verify !== false,
  };
  if (tls.ca !== undefined) {
    const der = typeof tls.ca === "string" ? pemToDer(tls.ca) : tls.ca;
    if (der) secure.certificate = der.slice().buffer;
  }
  return secure;
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** The first certificate of a PEM text as DER bytes; undefined if there is none. */
export function pemToDer(pem: string): Uint8Array | undefined {
  const m = /-----BEGIN CERTIFICATE-----([^-]+)-----END CERTIFICATE-----/.exec(pem);
  if (!m) return undefined;
  const text = m[1]!.replace(/[^A-Za-z0-9+/]/g, "");
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let value = 0;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    value = (value << 6) | BASE64.indexOf(text[i]!);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (value >> bits) & 0xff;
    }
  }
  return out.subarray(0, n);
}
