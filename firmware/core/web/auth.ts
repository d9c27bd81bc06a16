// The web password (Tasmota's WebPassword): off by default; when set, every page and API
// asks for it, by HTTP Basic auth (user "admin") or, for /cm, Tasmota's
// ?user=admin&password=... query. Persisted in web.json (atomic save); the WebPassword
// command shows "****", never the password.

import type { Log, Store } from '../host.js';
import { utf8Decode, utf8Encode } from '../mqtt/utf8.js';
import { writeAtomic } from '../store/atomic.js';
import { jsonDepthProblem, keepAside, readStoredText } from '../store/read-text.js';
import type { HttpRequest } from '../http/request.js';
import type { Reply } from '../gateway/command-reply.js';
import { base64Bytes } from './base64.js';

const FILE = 'web.json';
const USER = 'admin';
/** Tasmota's limit for WebPassword. */
const MAX_PASSWORD = 32;

export class WebPassword {
  private password = '';

  constructor(private readonly store: Store, private readonly log: Log) {
    const read = readStoredText(store, FILE, 1024);
    for (const p of read.problems) log.warn(`${p}; the web password is off`);
    if (read.kind !== 'text') return;
    try {
      const problem = jsonDepthProblem(read.text, 1);
      if (problem) throw new Error(problem);
      const raw = JSON.parse(read.text) as { webPassword?: unknown };
      if (typeof raw.webPassword === 'string' && raw.webPassword.length <= MAX_PASSWORD) this.password = raw.webPassword;
      else if (raw.webPassword !== undefined) log.warn(`${FILE}: webPassword is not a string of at most ${MAX_PASSWORD} characters; the web password is off`);
    } catch (e) {
      log.warn(`${FILE} is not valid (${(e as Error).message}); ${keepAside(store, FILE)}; the web password is off`);
    }
  }

  get enabled(): boolean {
    return this.password !== '';
  }

  /**
   * The WebPassword command (console, MQTT, /cm): undefined when `line` is another command.
   * Over MQTT or from a script it is read, not changed: anyone on the broker could turn the
   * page's password off or lock the owner out.
   */
  command(line: string, argument?: string, source?: string): Reply | undefined {
    const text = line.trim();
    const space = text.search(/\s/);
    const word = space < 0 ? text : text.slice(0, space);
    if (word.toLowerCase() !== 'webpassword') return undefined;
    const arg = (argument ?? (space < 0 ? '' : text.slice(space + 1))).trim();
    if (arg !== '' && (source === 'mqtt' || source === 'script')) return { WebPassword: 'Error', Error: 'WebPassword can be changed only from the console or the web page' };
    if (arg !== '') {
      // Tasmota: 0 or 1 clears it (1: back to the build's default, which is none here).
      const next = arg === '0' || arg === '1' ? '' : arg;
      if (next.length > MAX_PASSWORD || /[\u0000-\u001f\u007f]/.test(next)) return { WebPassword: 'Error', Error: `a web password is 1 to ${MAX_PASSWORD} printable characters (0 turns it off)` };
      try {
        writeAtomic(this.store, FILE, utf8Encode(JSON.stringify({ webPassword: next })));
      } catch (e) {
        return { WebPassword: 'Error', Error: (e as Error).message };
      }
      this.password = next;
      this.log.info(`web password ${next ? 'set' : 'off'}`);
    }
    return { WebPassword: this.password ? '****' : '' };
  }

  /** May `request` see the page? `allowQuery`: Tasmota's /cm?user=admin&password=... */
  allows(request: HttpRequest, allowQuery: boolean): boolean {
    if (!this.password) return true;
    if (allowQuery && request.query.password !== undefined) {
      return (request.query.user ?? USER) === USER && sameText(request.query.password, this.password);
    }
    const header = request.headers.authorization;
    if (!header || !/^basic\s+/i.test(header)) return false;
    const decoded = base64Text(header.replace(/^basic\s+/i, '').trim());
    if (decoded === undefined) return false;
    const colon = decoded.indexOf(':');
    return colon >= 0 && decoded.slice(0, colon) === USER && sameText(decoded.slice(colon + 1), this.password);
  }
}

/** Compares every character whatever the first difference, so the time taken does not tell where it is. */
function sameText(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) diff |= (a.charCodeAt(i % Math.max(a.length, 1)) || 0) ^ b.charCodeAt(i);
  return diff === 0;
}

/** Base64 to UTF-8 text; undefined when it is not valid base64 or not UTF-8. */
export function base64Text(text: string): string | undefined {
  if (text.length > 256 || text.length % 4 !== 0) return undefined;
  const bytes = base64Bytes(text);
  if (!bytes) return undefined;
  try {
    return utf8Decode(bytes);
  } catch {
    return undefined;
  }
}

/** Wrong passwords in a row from one address before it must wait. */
export const MAX_FAILURES = 5;
export const LOCK_MS = 30_000;
/** Addresses remembered at once (oldest forgotten first): a bounded table whatever a flood sends. */
const MAX_CLIENTS = 32;

/**
 * Slows password guessing: after MAX_FAILURES wrong passwords in a row, an address gets 429
 * (even with the right one) until LOCK_MS have passed. Per address, so one guesser does not
 * lock the owner out.
 */
export class LoginGuard {
  private readonly clients = new Map<string, { failures: number; until: number }>();

  constructor(private readonly now: () => number) {}

  /** ms left before `address` may try again; 0: it may. */
  lockedFor(address: string): number {
    const c = this.clients.get(address);
    return c && c.until > this.now() ? c.until - this.now() : 0;
  }

  failed(address: string): void {
    const c = this.clients.get(address) ?? { failures: 0, until: 0 };
    this.clients.delete(address);
    c.failures++;
    if (c.failures >= MAX_FAILURES) {
      c.until = this.now() + LOCK_MS;
      c.failures = 0;
    }
    this.clients.set(address, c);
    if (this.clients.size > MAX_CLIENTS) this.clients.delete(this.clients.keys().next().value!);
  }

  succeeded(address: string): void {
    this.clients.delete(address);
  }
}
