// HTTP/1.1 requests, parsed incrementally from a connection's bytes: the one parser that
// the web page and HomeKit (whose pairing and characteristics are HTTP too) share.
//
// Deliberately small: request line, headers, a Content-Length body. No chunked request
// bodies (browsers' fetch and form posts, and HAP controllers, send Content-Length), no
// header folding (obsolete in RFC 9112). Every limit is a number the device can afford.

import { utf8Decode } from '../mqtt/utf8.js';

export interface HttpRequest {
  method: string;
  /** The request target as sent ("/cm?cmnd=Status"). */
  target: string;
  /** The target's path, percent-decoded ("/cm"). */
  path: string;
  /** Query parameters, percent-decoded, `+` as space; the first of a repeated name wins. */
  query: Record<string, string>;
  /** Header names in lower case; a repeated header's values joined with ", ". */
  headers: Record<string, string>;
  body: Uint8Array;
  /** HTTP/1.0, or `Connection: close`: the server closes after answering. */
  close: boolean;
}

export interface HttpLimits {
  /** Request line and headers together. */
  maxHeaderBytes: number;
  /** A body longer than this is refused with 413 before it is read. */
  maxBodyBytes: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = { maxHeaderBytes: 8192, maxBodyBytes: 65536 };

/** A request the parser refuses: answer `status` with `message`, then close the connection. */
export interface HttpParseError {
  status: 400 | 413 | 414 | 431 | 501 | 505;
  message: string;
}

const CR = 13;
const LF = 10;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Feed bytes as they arrive; take complete requests. After an error the parser stays failed
 * (the connection is to be closed: its framing can no longer be trusted).
 */
export class HttpRequestParser {
  private buffer: Uint8Array = new Uint8Array(0);
  private head: Omit<HttpRequest, 'body'> | undefined;
  private bodyLength = 0;
  private failure: HttpParseError | undefined;

  constructor(private readonly limits: HttpLimits = DEFAULT_HTTP_LIMITS) {}

  get failed(): HttpParseError | undefined {
    return this.failure;
  }

  /** Bytes received and not yet part of a complete request (a slow client's progress). */
  get pending(): number {
    return this.buffer.length;
  }

  /** Adds bytes; returns the requests they complete (several when pipelined), or the error. */
  push(bytes: Uint8Array): HttpRequest[] | HttpParseError {
    if (this.failure) return this.failure;
    this.buffer = this.buffer.length === 0 ? bytes.slice() : concat(this.buffer, bytes);
    const out: HttpRequest[] = [];
    for (;;) {
      if (!this.head) {
        const end = headEnd(this.buffer);
        if (end < 0) {
          if (this.buffer.length > this.limits.maxHeaderBytes) return this.fail(431, 'request headers too large');
          return out;
        }
        if (end > this.limits.maxHeaderBytes) return this.fail(431, 'request headers too large');
        const parsed = parseHead(utf8Latin1(this.buffer.subarray(0, end)), this.limits);
        if ('status' in parsed) return this.fail(parsed.status, parsed.message);
        this.head = parsed.head;
        this.bodyLength = parsed.bodyLength;
        this.buffer = this.buffer.subarray(end + 4);
      }
      if (this.buffer.length < this.bodyLength) return out;
      const body = this.buffer.slice(0, this.bodyLength);
      this.buffer = this.buffer.subarray(this.bodyLength);
      out.push({ ...this.head, body });
      this.head = undefined;
      this.bodyLength = 0;
    }
  }

  private fail(status: HttpParseError['status'], message: string): HttpParseError {
    this.failure = { status, message };
    this.buffer = new Uint8Array(0);
    return this.failure;
  }
}

function parseHead(text: string, limits: HttpLimits): { head: Omit<HttpRequest, 'body'>; bodyLength: number } | HttpParseError {
  const lines = text.split('\r\n');
  const requestLine = lines[0]!.split(' ');
  if (requestLine.length !== 3) return { status: 400, message: 'malformed request line' };
  const [method, target, version] = requestLine as [string, string, string];
  if (!TOKEN.test(method)) return { status: 400, message: 'malformed method' };
  if (version !== 'HTTP/1.1' && version !== 'HTTP/1.0') return { status: 505, message: `${version.slice(0, 16)} is not supported` };
  if (!target.startsWith('/')) return { status: 400, message: 'the request target must be a path' };
  if (target.length > 2048) return { status: 414, message: 'request target too long' };
  const headers: Record<string, string> = {};
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0) return { status: 400, message: 'malformed header line' };
    const name = line.slice(0, colon).toLowerCase();
    if (!TOKEN.test(name)) return { status: 400, message: 'malformed header name' };
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] !== undefined ? headers[name] + ', ' + value : value;
  }
  if (headers['transfer-encoding'] !== undefined) return { status: 501, message: 'chunked request bodies are not supported; send Content-Length' };
  let bodyLength = 0;
  const length = headers['content-length'];
  if (length !== undefined) {
    if (!/^\d{1,10}$/.test(length)) return { status: 400, message: 'malformed Content-Length' };
    bodyLength = Number(length);
    if (bodyLength > limits.maxBodyBytes) return { status: 413, message: `request body over ${limits.maxBodyBytes} bytes` };
  }
  const q = target.indexOf('?');
  const path = decodeComponent(q < 0 ? target : target.slice(0, q));
  if (path === undefined) return { status: 400, message: 'malformed percent-encoding in the path' };
  const query = q < 0 ? {} : parseQuery(target.slice(q + 1));
  if (query === undefined) return { status: 400, message: 'malformed percent-encoding in the query' };
  const connection = (headers.connection ?? '').toLowerCase();
  const close = version === 'HTTP/1.0' ? !connection.includes('keep-alive') : connection.includes('close');
  return { head: { method, target, path, query, headers, close }, bodyLength };
}

/** `a=1&b=two+words`: names and values percent-decoded, `+` as space. Undefined when malformed. */
export function parseQuery(text: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  if (text === '') return out;
  for (const part of text.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decodeComponent((eq < 0 ? part : part.slice(0, eq)).replace(/\+/g, ' '));
    const value = decodeComponent(eq < 0 ? '' : part.slice(eq + 1).replace(/\+/g, ' '));
    if (name === undefined || value === undefined) return undefined;
    if (!(name in out)) out[name] = value;
  }
  return out;
}

function decodeComponent(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** Index of the CRLFCRLF that ends the head, or -1. */
function headEnd(bytes: Uint8Array): number {
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === CR && bytes[i + 1] === LF && bytes[i + 2] === CR && bytes[i + 3] === LF) return i;
  }
  return -1;
}

/** Header bytes as text: UTF-8 when valid (targets are ASCII anyway), else byte for byte. */
function utf8Latin1(bytes: Uint8Array): string {
  try {
    return utf8Decode(bytes);
  } catch {
    let s = '';
    for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
    return s;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
