// The Mi-auth tokens the gateway registered, in the Store ("mitokens": JSON, written
// atomically). A token is what a login needs; whoever has it can drive the scooter, so it
// never leaves this file: not in replies, not in logs, not on MQTT (only "has a token").
// Read back at start as hostile input: a bad entry is reported (without its value) and
// skipped, a bad file kept aside, and the others still load.

import type { Store } from '../host.js';
import { fromHex, normalizeMac, toHex } from '../bytes/hex.js';
import { utf8Encode } from '../mqtt/utf8.js';
import { writeAtomic } from '../store/atomic.js';
import { readJsonObject } from '../store/json-file.js';
import { TOKEN_BYTES } from './keys.js';

export const TOKENS_FILE = 'mitokens';
const MAX_BYTES = 8192;
/** More would not fit the file; registering one more drops nothing silently: it is refused. */
export const MAX_TOKENS = 32;

export type MiDeviceKind = 'scooter' | 'sensor';

export interface TokenEntry {
  token: Uint8Array;
  kind: MiDeviceKind;
  /** A scooter the user logged in to: the gateway logs in again at start (until `off`). */
  auto: boolean;
}

export class TokenStore {
  private readonly entries = new Map<string, TokenEntry>();

  constructor(private readonly store: Store) {}

  /** Load the file; returns the problems (already free of token values). */
  load(): string[] {
    this.entries.clear();
    const { value: raw, problems } = readJsonObject(this.store, TOKENS_FILE, MAX_BYTES, 2, '');
    if (!raw) return problems;
    for (const [key, value] of Object.entries(raw)) {
      const mac = normalizeMac(key);
      const v = value as Record<string, unknown> | null;
      const token = typeof v?.token === 'string' ? fromHex(v.token) : undefined;
      const kind = v?.kind === 'scooter' || v?.kind === 'sensor' ? v.kind : undefined;
      if (!mac || !token || token.length !== TOKEN_BYTES || !kind) {
        problems.push(`${TOKENS_FILE}: entry "${key.slice(0, 20)}" is not a MAC with a 24-hex-digit token and a kind; skipped`);
        continue;
      }
      if (this.entries.size >= MAX_TOKENS) {
        problems.push(`${TOKENS_FILE}: more than ${MAX_TOKENS} entries; the rest skipped`);
        break;
      }
      this.entries.set(mac, { token, kind, auto: v?.auto === 1 });
    }
    return problems;
  }

  get(mac: string): TokenEntry | undefined {
    return this.entries.get(mac);
  }

  macs(kind: MiDeviceKind): string[] {
    return [...this.entries].filter(([, e]) => e.kind === kind).map(([mac]) => mac);
  }

  /** Save first, then keep: a failed save (read-only flash) throws and changes nothing. */
  set(mac: string, entry: TokenEntry): void {
    if (!this.entries.has(mac) && this.entries.size >= MAX_TOKENS) throw new Error(`${MAX_TOKENS} tokens stored already`);
    const next = new Map(this.entries);
    next.set(mac, entry);
    this.save(next);
    this.entries.set(mac, entry);
  }

  setAuto(mac: string, auto: boolean): void {
    const entry = this.entries.get(mac);
    if (entry && entry.auto !== auto) this.set(mac, { ...entry, auto });
  }

  private save(entries: Map<string, TokenEntry>): void {
    const out: Record<string, { token: string; kind: MiDeviceKind; auto?: 1 }> = {};
    for (const [mac, e] of entries) out[mac] = { token: toHex(e.token), kind: e.kind, ...(e.auto ? { auto: 1 as const } : {}) };
    writeAtomic(this.store, TOKENS_FILE, utf8Encode(JSON.stringify(out)));
  }
}
