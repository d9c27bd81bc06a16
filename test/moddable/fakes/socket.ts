// A fake of Moddable's `socket` (lwIP TCP) that a test drives: every Socket made is in
// `sockets`; the test sends it the callback messages the SDK sends (1 connected,
// 2 readable with a byte count, 3 writable, -1 disconnected, -2 error) and sets how much
// send buffer is free, as lwIP reports through write() with no argument.
export const sockets: FakeSocket[] = [];

export class FakeSocket {
  callback: (message: number, value?: number) => void = () => {};
  /** Bytes the "send buffer" takes now; write() beyond it throws as lwIP's does. */
  free = 1 << 16;
  readonly written: number[] = [];
  incoming: Uint8Array = new Uint8Array(0);
  closed = false;
  constructor(readonly options: Record<string, unknown>) {
    if (options.host === 'throw.invalid') throw new Error('bad host');
    sockets.push(this);
  }
  read(type: typeof ArrayBuffer): ArrayBuffer {
    if (type !== ArrayBuffer) throw new Error('fake socket: only ArrayBuffer reads');
    const out = this.incoming.slice().buffer;
    this.incoming = new Uint8Array(0);
    return out;
  }
  write(data?: ArrayBuffer): number | void {
    if (data === undefined) return this.free;
    if (data.byteLength > this.free) throw new Error("can't write all data");
    this.written.push(...new Uint8Array(data));
    this.free -= data.byteLength;
  }
  close(): void {
    this.closed = true;
  }
  /** Test side: deliver bytes as the SDK does (message 2 with the count). */
  receive(bytes: Uint8Array): void {
    this.incoming = bytes;
    this.callback(2, bytes.length);
  }
}

export { FakeSocket as Socket };

/** Every Listener made; a test "connects" a client with connect(). */
export const listeners: FakeListener[] = [];

export class FakeListener {
  callback: () => void = () => {};
  closed = false;
  constructor(readonly options: Record<string, unknown>) {
    if (options.port === 81) throw new Error('port in use');
    listeners.push(this);
  }
  close(): void {
    this.closed = true;
  }
  /** Test side: a client connects (the SDK calls the listener's callback, which makes the Socket). */
  connect(): FakeSocket {
    this.callback.call(this);
    return sockets[sockets.length - 1]!;
  }
}

export { FakeListener as Listener };
