// The HttpClient port (firmware/core/host.ts) on Node's http/https. A thin adapter: the
// request the core built goes out as it is; the answer (status and the start of the body)
// or the error comes back once, asynchronously.

import * as http from 'node:http';
import * as https from 'node:https';
import { isIP } from 'node:net';
import type { HttpClient, HttpClientRequest, HttpClientResponse } from '../firmware/core/host.js';

/** Enough of a response body for an error message; the rest is read and dropped. */
const BODY_KEEP = 4096;

export const nodeHttp: HttpClient = {
  request(req: HttpClientRequest, done: (error: Error | undefined, response?: HttpClientResponse) => void): void {
    let finished = false;
    const finish = (error: Error | undefined, response?: HttpClientResponse) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      done(error, response);
    };
    const headers: Record<string, string | number> = { ...req.headers };
    if (req.body) headers['Content-Length'] = req.body.length;
    // agent: false — one connection per post (every 30 s): no keep-alive socket outlives `mi32 run`.
    const options: https.RequestOptions = { method: req.method, host: req.host, port: req.port, path: req.path, headers, agent: false };
    if (req.tls) {
      options.rejectUnauthorized = req.tls.verify !== false;
      if (req.tls.ca !== undefined) options.ca = typeof req.tls.ca === 'string' ? req.tls.ca : Buffer.from(req.tls.ca);
      const name = req.tls.serverName ?? (isIP(req.host) ? undefined : req.host);
      if (name !== undefined) options.servername = name;
    }
    const where = `${req.host}:${req.port}`;
    const request = (req.tls ? https : http).request(options, (res) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      res.on('data', (chunk: Buffer) => {
        if (kept < BODY_KEEP) chunks.push(chunk.subarray(0, BODY_KEEP - kept));
        kept += chunk.length;
      });
      res.on('end', () => finish(undefined, { status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (e) => finish(new Error(`${where}: ${e.message}`)));
    });
    const timer = setTimeout(() => {
      request.destroy();
      finish(new Error(`${where}: no answer in ${req.timeoutMs} ms`));
    }, req.timeoutMs);
    request.on('error', (e: NodeJS.ErrnoException) => finish(new Error(`${where}: ${e.code ?? ''} ${e.message}`.replace(/\s+/g, ' ').trim())));
    request.end(req.body ? Buffer.from(req.body.buffer, req.body.byteOffset, req.body.byteLength) : undefined);
  },
};
