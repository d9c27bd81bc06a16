// An HTTP/1.1 server over the TcpServerPort: one per listening port (the web page on one,
// HomeKit on another), both with this request parser and this connection handling.
//
// Hostile clients are the normal case: a request that is too large or malformed gets its
// 4xx and the connection is closed; a client that sends a head too slowly is timed out;
// connections beyond the limit get 503 at once; a handler that throws gets a 500 and a log
// line, and the server keeps serving everyone else.

import type { Clock, Log, TcpConnection, TcpConnectionEvents, TcpListener, TcpListenOptions, TcpServerPort, TimerHandle } from '../host.js';
import { DEFAULT_HTTP_LIMITS, HttpRequestParser, type HttpLimits, type HttpRequest } from './request.js';
import { encodeResponse, errorResponse, type HttpResponse } from './response.js';

/**
 * A connection's framing after the handshake (HAP's encrypted frames after pair-verify):
 * `decode` takes received bytes and gives the plain bytes complete so far (possibly none),
 * or undefined when the frame does not authenticate (the connection is then closed);
 * `encode` frames what the server sends.
 */
export interface ConnectionCodec {
  decode(bytes: Uint8Array): Uint8Array | undefined;
  encode(bytes: Uint8Array): Uint8Array;
}

/** What a handler sees of the connection a request came on. */
export interface HttpConnection {
  readonly id: number;
  readonly remote: string;
  /** The handler's own per-connection state (HomeKit keeps its session here). */
  readonly state: Map<string, unknown>;
  /** Raw bytes out, through the codec when one is set (server-sent events, HAP notifications). */
  send(bytes: Uint8Array): void;
  close(): void;
  /** From the next byte on, in and out go through `codec`. Set it after the response that agrees on it was sent. */
  setCodec(codec: ConnectionCodec): void;
  /** Called once when the connection ends, for whatever reason. */
  onClose(callback: () => void): void;
  readonly closed: boolean;
}

export type HttpHandler = (request: HttpRequest, connection: HttpConnection) => HttpResponse | Promise<HttpResponse>;

export interface HttpServerOptions {
  limits?: HttpLimits;
  /** Connections open at once; the next gets 503. The device affords a handful. */
  maxConnections?: number;
  /** A request's head and body must arrive within this once started (slow clients). */
  requestTimeoutMs?: number;
  /** A connection with no request in progress is closed after this; 0 keeps it (HomeKit's long-lived sessions). */
  idleTimeoutMs?: number;
  /** For log lines ("HTTP", "HomeKit"). */
  name?: string;
}

export interface HttpServerPorts {
  tcp: TcpServerPort;
  clock: Clock;
  log: Log;
}

export class HttpServer {
  private listener: TcpListener | undefined;
  private readonly open = new Set<Connection>();
  private nextId = 1;
  private readonly options: Required<HttpServerOptions>;

  constructor(private readonly ports: HttpServerPorts, private readonly handler: HttpHandler, options: HttpServerOptions = {}) {
    this.options = {
      limits: options.limits ?? DEFAULT_HTTP_LIMITS,
      maxConnections: options.maxConnections ?? 8,
      requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
      idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
      name: options.name ?? 'HTTP',
    };
  }

  /** Connections open now. */
  get connections(): number {
    return this.open.size;
  }

  /** Every open connection (HomeKit pushes events to its subscribers through these). */
  each(visit: (connection: HttpConnection) => void): void {
    for (const c of this.open) visit(c);
  }

  listen(options: TcpListenOptions, ready: (error: Error | undefined, port: number) => void): void {
    this.listener = this.ports.tcp.listen(options, (socket) => this.accept(socket), ready);
  }

  /** Stop accepting and close every open connection. */
  close(): void {
    this.listener?.close();
    this.listener = undefined;
    for (const c of [...this.open]) c.close();
  }

  private accept(socket: TcpConnection): TcpConnectionEvents {
    const connection = new Connection(this.nextId++, socket, this.ports.clock, this.options, this.handler, this.ports.log, () => this.open.delete(connection));
    if (this.open.size >= this.options.maxConnections) {
      this.ports.log.warn(`${this.options.name}: ${socket.remote} refused, ${this.open.size} connections open`);
      connection.refuse(errorResponse(503, 'too many connections'));
    } else {
      this.open.add(connection);
    }
    return { onData: (bytes) => connection.received(bytes), onClose: () => connection.ended() };
  }
}

class Connection implements HttpConnection {
  readonly state = new Map<string, unknown>();
  closed = false;
  private readonly parser: HttpRequestParser;
  private codec: ConnectionCodec | undefined;
  private readonly queue: HttpRequest[] = [];
  private busy = false;
  private streaming = false;
  private timer: TimerHandle | undefined;
  private readonly closeCallbacks: (() => void)[] = [];

  constructor(
    readonly id: number,
    private readonly socket: TcpConnection,
    private readonly clock: Clock,
    private readonly options: Required<HttpServerOptions>,
    private readonly handler: HttpHandler,
    private readonly log: Log,
    private readonly forget: () => void,
  ) {
    this.parser = new HttpRequestParser(options.limits);
    this.armIdle();
  }

  get remote(): string {
    return this.socket.remote;
  }

  refuse(response: HttpResponse): void {
    this.socket.write(encodeResponse(response));
    this.close();
  }

  send(bytes: Uint8Array): void {
    if (this.closed) return;
    this.socket.write(this.codec ? this.codec.encode(bytes) : bytes);
  }

  setCodec(codec: ConnectionCodec): void {
    this.codec = codec;
  }

  onClose(callback: () => void): void {
    if (this.closed) callback();
    else this.closeCallbacks.push(callback);
  }

  close(): void {
    if (this.closed) return;
    this.socket.close();
    this.ended();
  }

  received(bytes: Uint8Array): void {
    if (this.closed || this.streaming) return;
    let plain: Uint8Array | undefined = bytes;
    if (this.codec) {
      plain = this.codec.decode(bytes);
      if (plain === undefined) {
        this.log.warn(`${this.options.name}: ${this.remote} sent a frame that does not authenticate; closed`);
        this.close();
        return;
      }
      if (plain.length === 0) return;
    }
    const result = this.parser.push(plain);
    if (!Array.isArray(result)) {
      this.send(encodeResponse(errorResponse(result.status, result.message)));
      this.close();
      return;
    }
    this.queue.push(...result);
    // Something is on its way: the slow-client clock runs until a request completes.
    if (this.parser.pending > 0) this.arm(this.options.requestTimeoutMs, 'request not completed in time');
    else if (this.queue.length === 0) this.armIdle();
    this.pump();
  }

  /** The connection is over: by us, by the peer, or by a failure. */
  ended(): void {
    if (this.closed) return;
    this.closed = true;
    this.disarm();
    this.forget();
    for (const callback of this.closeCallbacks.splice(0)) {
      try {
        callback();
      } catch (error) {
        this.log.error(`${this.options.name}: close callback failed: ${String(error)}`);
      }
    }
  }

  private pump(): void {
    while (!this.busy && !this.closed && !this.streaming && this.queue.length > 0) {
      const request = this.queue.shift()!;
      let result: HttpResponse | Promise<HttpResponse>;
      try {
        result = this.handler(request, this);
      } catch (error) {
        result = this.failed(request, error);
      }
      if (result instanceof Promise) {
        this.busy = true;
        result.then((response) => this.answer(request, response), (error: unknown) => this.answer(request, this.failed(request, error)))
          .finally(() => {
            this.busy = false;
            this.pump();
          });
      } else {
        this.answer(request, result);
      }
    }
    if (!this.busy && this.queue.length === 0 && this.parser.pending === 0 && !this.streaming && !this.closed) this.armIdle();
  }

  private answer(request: HttpRequest, response: HttpResponse): void {
    if (this.closed) return;
    let bytes: Uint8Array;
    try {
      bytes = encodeResponse(response);
    } catch (error) {
      bytes = encodeResponse(this.failed(request, error));
    }
    this.send(bytes);
    if (response.stream) {
      this.streaming = true;
      this.disarm();
    } else if (request.close || response.headers?.Connection === 'close') {
      this.close();
    }
  }

  private failed(request: HttpRequest, error: unknown): HttpResponse {
    this.log.error(`${this.options.name}: ${request.method} ${request.path} failed: ${error instanceof Error ? error.message : String(error)}`);
    return errorResponse(500, 'internal error');
  }

  private armIdle(): void {
    if (this.options.idleTimeoutMs > 0) this.arm(this.options.idleTimeoutMs, '');
    else this.disarm();
  }

  private arm(ms: number, why: string): void {
    this.disarm();
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      if (why) this.send(encodeResponse(errorResponse(408, why)));
      this.close();
    }, ms);
  }

  private disarm(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
