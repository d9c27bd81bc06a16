// What net.ts (TCP client) and tcp-server.ts (accepted connections) share on Moddable's
// `socket`: the callback messages and the send queue. lwIP's write() throws "can't write
// all data" when a write exceeds the free send buffer, so outgoing bytes wait here and
// leave as the socket reports free space (WRITABLE).

/** Socket callback messages (modules/network/socket/socket.js). */
export const SOCKET_ERROR = -2;
export const SOCKET_DISCONNECTED = -1;
export const SOCKET_CONNECTED = 1;
export const SOCKET_READABLE = 2;
export const SOCKET_WRITABLE = 3;

/** What Socket, SecureSocket and an accepted Socket offer once constructed. */
export interface RawSocket {
  callback: (message: number, value?: number) => void;
  read(type: typeof ArrayBuffer): ArrayBuffer;
  write(data: ArrayBuffer): void;
  /** Free space in the send buffer, in bytes. */
  write(): number;
  close(): void;
}

/** Bytes waiting for the socket's send buffer, oldest first. */
export class SendQueue {
  private readonly pending: Uint8Array[] = [];

  get empty(): boolean {
    return this.pending.length === 0;
  }

  /** Queues a copy of `bytes` (the caller may reuse its array). */
  push(bytes: Uint8Array): void {
    this.pending.push(bytes.slice());
  }

  /**
   * Writes what fits now, splitting the head if it must; true when all has left. May throw
   * what socket.write throws.
   */
  flushTo(socket: RawSocket): boolean {
    const pending = this.pending;
    while (pending.length) {
      const free = socket.write();
      if (free <= 0) return false;
      const head = pending[0]!;
      if (head.length <= free) {
        socket.write(head.slice().buffer as ArrayBuffer);
        pending.shift();
      } else {
        socket.write(head.slice(0, free).buffer as ArrayBuffer);
        pending[0] = head.subarray(free);
      }
    }
    return true;
  }
}
