// The HttpClient port (core/host.ts) on Moddable's `http` Request, over SecureSocket
// (Moddable's JS TLS 1.2) for HTTPS. Only bytes and events move here; the batch upload
// logic is in core/upload. Not run on hardware yet: typechecked against the SDK typings
// (tsconfig.moddable.json) and written from modules/network/http/http.js (SDK 8.2.3):
// callback messages 1 status (val1 = code), 5 response complete (val1 = the body, as
// `response: String` asks), -1 error; http.js adds Content-Length for a string body.

import { Request, type HTTPRequestOptions } from "http";
import SecureSocket from "securesocket";
import Timer from "timer";
import type { HttpClient, HttpClientRequest, HttpClientResponse, Log, TlsOptions } from "core/host";
import { pemToDer } from "mi32/net";
import { decodeText } from "mi32/text";

const STATUS = 1;
const RESPONSE_COMPLETE = 5;
const ERROR = -1;
/** Enough of a response body for an error message. */
const BODY_KEEP = 1024;

/** ssl/session options, as mi32/net gives them to the MQTT socket. */
function secure(host: string, tls: TlsOptions): Record<string, unknown> {
  const options: Record<string, unknown> = { protocolVersion: 0x0303, tls_server_name: tls.serverName ?? host, verify: tls.verify !== false };
  if (tls.ca !== undefined) {
    const der = typeof tls.ca === "string" ? pemToDer(tls.ca) : tls.ca;
    if (der) options.certificate = der.slice().buffer;
  }
  return options;
}

export function createHttpClient(log?: Log): HttpClient {
  return {
    request(req: HttpClientRequest, done: (error: Error | undefined, response?: HttpClientResponse) => void): void {
      const where = `${req.host}:${req.port}`;
      let finished = false;
      let status = 0;
      let request: Request | undefined;
      const finish = (error: Error | undefined, response?: HttpClientResponse) => {
        if (finished) return;
        finished = true;
        Timer.clear(timer);
        try {
          request?.close();
        } catch {
          // already closed
        }
        try {
          done(error, response);
        } catch (e) {
          log?.error(`http ${where}: ${(e as Error).message}`);
        }
      };
      const timer = Timer.set(() => finish(new Error(`${where}: no answer in ${req.timeoutMs} ms`)), req.timeoutMs);
      const headers: string[] = [];
      for (const name of Object.keys(req.headers)) headers.push(name, req.headers[name]!);
      // A string body: http.js sends it with its Content-Length. JSON from the core is ASCII-safe UTF-8 text.
      const body = req.body ? decodeText(req.body) : undefined;
      const options: Record<string, unknown> = { host: req.host, port: req.port, path: req.path, method: req.method, headers, response: String };
      if (body !== undefined) options.body = body;
      if (req.tls) {
        options.Socket = SecureSocket;
        options.secure = secure(req.host, req.tls);
      }
      try {
        request = new Request(options as unknown as HTTPRequestOptions);
        request.callback = (message: number, value?: unknown) => {
          if (message === STATUS) status = Number(value);
          else if (message === RESPONSE_COMPLETE) finish(undefined, { status, body: typeof value === "string" ? value.slice(0, BODY_KEEP) : "" });
          else if (message === ERROR) finish(new Error(req.tls ? `TLS/HTTP to ${where} failed; check the CA (upload-ca.pem), the name and the clock` : `${where}: request failed`));
        };
      } catch (e) {
        const error = new Error(`${where}: ${(e as Error).message}`);
        Timer.set(() => finish(error), 0);
      }
    },
  };
}
