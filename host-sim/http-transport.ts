// `mi32 devices ... --http URL`: the gateway's commands over its web page's Tasmota-style
// `/cm?cmnd=` (no broker needed). The web password (WebPassword) goes as HTTP Basic auth,
// never in the URL (which servers and proxies log) and never in a message. A command whose
// outcome comes later (MI32Pair) is followed on the page's live log (/api/events), where
// the gateway writes every reply, as the MQTT transport follows stat/<topic>/RESULT.

import type { CommandTransport, Reply } from './devices-command.js';

/** `http(s)://host[:port][/]`, the page's root; a string says what is wrong. */
export function parseGatewayUrl(text: string): URL | string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `--http takes the gateway's page as http://HOST[:PORT]/, got "${redact(text).slice(0, 80)}"`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `--http takes an http:// or https:// URL, got "${url.protocol}"`;
  if (url.username || url.password) return '--http: give the web password with --user/--password (or MI32_WEB_PASSWORD), not in the URL';
  if (url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) return '--http takes the page\'s root (http://HOST[:PORT]/), without a path or query';
  return url;
}

/** user:password@ of a URL hidden, for messages. */
function redact(text: string): string {
  return text.replace(/\/\/[^/@]*@/, '//***@');
}

export class HttpTransport implements CommandTransport {
  private readonly authorization: string | undefined;
  private readonly aborts = new Set<AbortController>();

  constructor(private readonly base: URL, credentials?: { user: string; password: string }) {
    this.authorization = credentials ? `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`, 'utf8').toString('base64')}` : undefined;
  }

  async send(command: string, argument: string, options: { follow: boolean; timeoutMs: number }): Promise<Reply> {
    // The live log is opened first: an outcome that comes quickly is not missed.
    const follow = options.follow ? await this.openLog(options.timeoutMs) : undefined;
    try {
      const url = new URL('cm', this.base);
      url.searchParams.set('cmnd', argument ? `${command} ${argument}` : command);
      const reply = await this.json(url, options.timeoutMs);
      const value = replyValue(command, reply);
      if (!follow || value !== 'Queued') return reply;
      const mac = argument.toUpperCase().replace(/[:-]/g, '');
      return await follow.outcome((line) => {
        const v = replyValue(command, line);
        return typeof v === 'object' && v !== null && (v as Reply).MAC === mac;
      }, `${command}: queued, but no outcome within ${options.timeoutMs / 1000} s`);
    } finally {
      follow?.close();
    }
  }

  close(): void {
    for (const a of this.aborts) a.abort();
  }

  private headers(): Record<string, string> {
    return this.authorization ? { Authorization: this.authorization } : {};
  }

  /** GET `url` within `timeoutMs`; the answer's JSON object, or an error that says what happened. */
  private async json(url: URL, timeoutMs: number): Promise<Reply> {
    const response = await this.fetch(url, timeoutMs);
    const text = await response.text();
    this.refused(response.status, text);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`the gateway at ${this.base.origin} answered HTTP ${response.status} without JSON (is this mi32-xs's web page?)`);
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new Error(`the gateway at ${this.base.origin} answered HTTP ${response.status} with something other than a JSON object`);
    if (response.status >= 400 && typeof (body as Reply).error === 'string') throw new Error(`the gateway refused the request (HTTP ${response.status}): ${(body as Reply).error as string}`);
    return body as Reply;
  }

  private async fetch(url: URL, timeoutMs: number): Promise<Response> {
    const abort = new AbortController();
    this.aborts.add(abort);
    const timer = setTimeout(() => abort.abort(new Error('timeout')), timeoutMs);
    try {
      return await fetch(url, { headers: this.headers(), signal: abort.signal });
    } catch (e) {
      const why = abort.signal.aborted ? `no answer within ${timeoutMs / 1000} s` : causeOf(e);
      throw new Error(`could not reach the gateway's web page at ${this.base.origin} (${why})`);
    } finally {
      clearTimeout(timer);
      this.aborts.delete(abort);
    }
  }

  /** 401 and 429 as what the user should do. */
  private refused(status: number, text: string): void {
    if (status === 401) {
      throw new Error(this.authorization
        ? 'the gateway refused the web password (wrong --user/--password)'
        : 'the gateway asks for its web password (WebPassword): give --password (user admin), or set MI32_WEB_PASSWORD');
    }
    if (status === 429) {
      let why = 'too many wrong passwords';
      try { why = String((JSON.parse(text) as Reply).error ?? why); } catch { /* the status says enough */ }
      throw new Error(`the gateway refused the request: ${why}`);
    }
  }

  /** The page's live log as a stream of reply objects. */
  private async openLog(timeoutMs: number): Promise<{ outcome(match: (reply: Reply) => boolean, late: string): Promise<Reply>; close(): void }> {
    const abort = new AbortController();
    this.aborts.add(abort);
    let response: Response;
    try {
      response = await fetch(new URL('api/events', this.base), { headers: { ...this.headers(), Accept: 'text/event-stream' }, signal: abort.signal });
    } catch (e) {
      this.aborts.delete(abort);
      throw new Error(`could not reach the gateway's web page at ${this.base.origin} (${causeOf(e)})`);
    }
    if (response.status !== 200 || !response.body) {
      const text = await response.text().catch(() => '');
      this.aborts.delete(abort);
      this.refused(response.status, text);
      throw new Error(`the gateway's live log is not available (HTTP ${response.status}${response.status === 503 ? ': too many pages open' : ''})`);
    }
    const reader = response.body.getReader();
    const close = () => {
      abort.abort();
      this.aborts.delete(abort);
    };
    return {
      close,
      outcome: (match, late) => new Promise<Reply>((resolve, reject) => {
        const timer = setTimeout(() => { close(); reject(new Error(late)); }, timeoutMs);
        const decoder = new TextDecoder();
        let buffer = '';
        const pump = (): void => {
          reader.read().then(({ done, value }) => {
            if (done) throw new Error('the gateway closed its live log');
            buffer += decoder.decode(value, { stream: true });
            let end: number;
            while ((end = buffer.indexOf('\n\n')) >= 0) {
              const reply = logReply(buffer.slice(0, end));
              buffer = buffer.slice(end + 2);
              if (reply && match(reply)) {
                clearTimeout(timer);
                return resolve(reply);
              }
            }
            // A log line bigger than any reply is not ours: do not let it grow without bound.
            if (buffer.length > 65536) buffer = '';
            pump();
          }).catch((e: Error) => {
            clearTimeout(timer);
            reject(abort.signal.aborted ? new Error(late) : e);
          });
        };
        pump();
      }),
    };
  }
}

/** One server-sent event: a log line that is a JSON reply object, or undefined. */
function logReply(event: string): Reply | undefined {
  const lines = event.split('\n');
  if (!lines.includes('event: log')) return undefined;
  const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
  try {
    const line: unknown = JSON.parse(data);
    if (typeof line !== 'string' || !line.startsWith('{')) return undefined;
    const reply: unknown = JSON.parse(line);
    return reply !== null && typeof reply === 'object' && !Array.isArray(reply) ? reply as Reply : undefined;
  } catch {
    return undefined;
  }
}

/** The value a reply holds for `command` (names compare without case, as Tasmota's). */
function replyValue(command: string, reply: Reply): unknown {
  const key = Object.keys(reply).find((k) => k.toLowerCase() === command.toLowerCase());
  return key === undefined ? undefined : reply[key];
}

/** fetch's "fetch failed" says nothing: its cause has the code (ECONNREFUSED, ENOTFOUND, ...). */
function causeOf(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (e as Error).message ?? String(e);
}
