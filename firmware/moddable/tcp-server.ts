// The TcpServerPort on Moddable's `socket` Listener (lwIP): the web page and HomeKit listen
// through it. Only bytes and events move here; HTTP lives in core/http. Outgoing bytes wait
// in a SendQueue (socket-queue.ts) until lwIP has room; close() waits for the queue to drain
// (a page larger than the send buffer must leave whole), bounded by a timer.

import { Listener, Socket } from "socket";
import Timer from "timer";
import type { Log, TcpConnection, TcpConnectionEvents, TcpListener, TcpServerPort } from "core/host";
import { SendQueue, SOCKET_DISCONNECTED as DISCONNECTED, SOCKET_ERROR as ERROR, SOCKET_READABLE as READABLE,
  SOCKET_WRITABLE as WRITABLE, type RawSocket } from "mi32/socket-queue";

/** A closing connection whose peer does not read is dropped after this. */
const DRAIN_MS = 5000;

export function createTcpServer(log?: Log): TcpServerPort {
  return {
    listen(options, accept, ready): TcpListener {
      // lwIP's Listener takes a fixed port: 0 ("any free port") is Node's, not the device's.
      if (!(options.port > 0)) {
        Timer.set(() => ready(new Error("the device listens on a fixed port (1-65535)"), 0), 0);
        return { close() {} };
      }
      let listener: Listener;
      try {
        listener = new Listener(options.host ? { port: options.port, address: options.host } : { port: options.port });
      } catch (e) {
        const error = new Error(`cannot listen on port ${options.port}: ${(e as Error).message}`);
        Timer.set(() => ready(error, 0), 0);
        return { close() {} };
      }
      listener.callback = function (this: Listener) {
        let socket: RawSocket;
        try {
          socket = new Socket({ listener: this }) as unknown as RawSocket;
        } catch (e) {
          log?.warn(`port ${options.port}: accept failed: ${(e as Error).message}`);
          return;
        }
        serve(socket, accept, log);
      };
      Timer.set(() => ready(undefined, options.port), 0);
      return {
        close() {
          try {
            (listener as unknown as { close(): void }).close();
          } catch {
            // already closed
          }
        },
      };
    },
  };
}

function serve(socket: RawSocket, accept: (connection: TcpConnection) => TcpConnectionEvents, log?: Log): void {
  const pending = new SendQueue();
  let ended = false; // onClose was delivered, or the server closed it
  let closing = false; // the server asked to close: leave once pending has drained
  let drainTimer: Timer | undefined;
  let events: TcpConnectionEvents | undefined;

  const shut = () => {
    if (drainTimer !== undefined) Timer.clear(drainTimer);
    drainTimer = undefined;
    try {
      socket.close();
    } catch {
      // already gone
    }
  };

  const flush = () => {
    if (pending.flushTo(socket) && closing) shut();
  };

  const lost = (error?: Error) => {
    if (ended) return;
    ended = true;
    shut();
    events?.onClose(error);
  };

  const connection: TcpConnection = {
    remote: "peer",
    write(bytes) {
      if (ended || closing) return;
      pending.push(bytes);
      try {
        flush();
      } catch (e) {
        lost(e as Error);
      }
    },
    close() {
      if (ended) return;
      ended = true; // the server asked for it: no onClose
      closing = true;
      try {
        flush();
      } catch {
        shut();
        return;
      }
      if (!pending.empty) drainTimer = Timer.set(() => { drainTimer = undefined; shut(); }, DRAIN_MS);
    },
  };

  socket.callback = (message: number, value?: number) => {
    try {
      switch (message) {
        case READABLE:
          if (!ended && value && value > 0) events?.onData(new Uint8Array(socket.read(ArrayBuffer)));
          break;
        case WRITABLE:
          flush();
          break;
        case DISCONNECTED:
          if (closing) shut();
          lost();
          break;
        case ERROR:
          if (closing) shut();
          lost(new Error("connection error"));
          break;
      }
    } catch (e) {
      log?.error(`web socket: ${(e as Error).message}`);
      lost(e as Error);
    }
  };
  events = accept(connection);
}
