// HTTP/1.1 responses as bytes. HAP's notifications use the same framing with
// "EVENT/1.0" in place of "HTTP/1.1" (see `protocol`).

import { utf8Encode } from '../mqtt/utf8.js';

export interface HttpResponse {
  status: number;
  /** Header names as they should be written; Content-Length is added unless `stream` is set. */
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  /**
   * Keep the connection open after the head for what the handler writes later (server-sent
   * events): no Content-Length, and the server does not read another request on it.
   */
  stream?: boolean;
}

const REASONS: Record<number, string> = {
  200: 'OK', 204: 'No Content', 207: 'Multi-Status', 301: 'Moved Permanently', 302: 'Found', 304: 'Not Modified',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  408: 'Request Timeout', 411: 'Length Required', 413: 'Content Too Large', 414: 'URI Too Long', 415: 'Unsupported Media Type',
  422: 'Unprocessable Content', 429: 'Too Many Requests', 431: 'Request Header Fields Too Large',
  470: 'Connection Authorization Required', // HAP: a request before pair-verify
  500: 'Internal Server Error', 501: 'Not Implemented', 503: 'Service Unavailable', 505: 'HTTP Version Not Supported',
};

export function reasonPhrase(status: number): string {
  return REASONS[status] ?? 'Unknown';
}

/** The response's bytes: status line, headers, blank line, body. */
export function encodeResponse(response: HttpResponse, protocol = 'HTTP/1.1'): Uint8Array {
  const body = typeof response.body === 'string' ? utf8Encode(response.body) : response.body ?? new Uint8Array(0);
  let head = `${protocol} ${response.status} ${reasonPhrase(response.status)}\r\n`;
  const headers = response.headers ?? {};
  for (const name of Object.keys(headers)) {
    const value = headers[name]!;
    // A header value never carries a line break: that would let a value write headers of its own.
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) throw new Error(`header ${JSON.stringify(name)} has a line break`);
    head += `${name}: ${value}\r\n`;
  }
  if (!response.stream) head += `Content-Length: ${body.length}\r\n`;
  head += '\r\n';
  const headBytes = utf8Encode(head);
  const out = new Uint8Array(headBytes.length + body.length);
  out.set(headBytes, 0);
  out.set(body, headBytes.length);
  return out;
}

/** A plain-text or JSON error answer with Connection: close. */
export function errorResponse(status: number, message: string): HttpResponse {
  return { status, headers: { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' }, body: message + '\n' };
}
