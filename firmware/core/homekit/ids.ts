// Stable accessory and instance ids (aid, iid) across restarts, and the configuration
// number `c#`, kept in hk-ids.json as hap-nodejs keeps its IdentifierCache: an aid per
// device MAC, an iid per (service, subtype, characteristic) name within each accessory,
// never reused. iOS keys its rooms, scenes and automations on these numbers.

import type { HapCrypto, Log, Store } from '../host.js';
import { toHex } from '../bytes/hex.js';
import { utf8Encode } from '../mqtt/utf8.js';
import { writeAtomic } from '../store/atomic.js';
import { jsonDepthProblem, keepAside, readStoredText } from '../store/read-text.js';

export const IDS_FILE = 'hk-ids.json';
const MAX_FILE_BYTES = 262_144;
/** HAP's limit: 150 accessories on a bridge, the bridge included. */
export const MAX_AIDS = 150;

interface AccessoryIds {
  next: number;
  iids: Record<string, number>;
}

export class IdMap {
  private aids: Record<string, number> = {};
  private nextAid = 2;
  private accessories: Record<string, AccessoryIds> = {};
  configNumber = 1;
  private configHash = '';
  private dirty = false;

  constructor(private readonly ports: { store: Store; log: Log; crypto: HapCrypto }) {}

  load(): void {
    const read = readStoredText(this.ports.store, IDS_FILE, MAX_FILE_BYTES);
    for (const p of read.problems) this.ports.log.warn(`HomeKit: ${p}`);
    if (read.kind !== 'text') return;
    try {
      const deep = jsonDepthProblem(read.text, 4);
      if (deep) throw new Error(deep);
      const raw = JSON.parse(read.text) as Record<string, unknown>;
      if (!raw || typeof raw !== 'object') throw new Error('not a JSON object');
      const int = (v: unknown, min: number, max: number) => (Number.isInteger(v) && (v as number) >= min && (v as number) <= max ? v as number : undefined);
      this.configNumber = int(raw.configNumber, 1, 65535) ?? 1;
      this.configHash = typeof raw.configHash === 'string' ? raw.configHash : '';
      const aids = raw.aids && typeof raw.aids === 'object' ? raw.aids as Record<string, unknown> : {};
      const used = new Set<number>();
      for (const [name, aid] of Object.entries(aids)) {
        const n = int(aid, 2, 1_000_000);
        if (n === undefined || used.has(n)) continue;
        used.add(n);
        this.aids[name] = n;
        this.nextAid = Math.max(this.nextAid, n + 1);
      }
      const accessories = raw.accessories && typeof raw.accessories === 'object' ? raw.accessories as Record<string, unknown> : {};
      for (const [aid, entry] of Object.entries(accessories)) {
        const e = entry as Record<string, unknown>;
        if (!e || typeof e !== 'object' || !e.iids || typeof e.iids !== 'object') continue;
        const ids: AccessoryIds = { next: 1, iids: {} };
        for (const [name, iid] of Object.entries(e.iids as Record<string, unknown>)) {
          const n = int(iid, 1, 1_000_000);
          if (n === undefined) continue;
          ids.iids[name] = n;
          ids.next = Math.max(ids.next, n + 1);
        }
        this.accessories[aid] = ids;
      }
    } catch (e) {
      this.ports.log.warn(`HomeKit: ${IDS_FILE} is not valid (${(e as Error).message}); ${keepAside(this.ports.store, IDS_FILE)}; ids start afresh`);
    }
  }

  /** The aid of a device (1 for the bridge itself); a new one for a device never seen. */
  aid(name: string | undefined): number {
    if (name === undefined) return 1;
    let aid = this.aids[name];
    if (aid === undefined) {
      aid = this.aids[name] = this.nextAid++;
      this.dirty = true;
    }
    return aid;
  }

  /**
   * The service subtypes (value keys) a device had in an earlier database: the bridge keeps
   * offering them after a restart, before the device is heard again, so `c#` does not move twice.
   */
  subtypes(name: string): string[] {
    const aid = this.aids[name];
    const ids = aid === undefined ? undefined : this.accessories[aid];
    if (!ids) return [];
    const out: string[] = [];
    for (const key of Object.keys(ids.iids)) {
      const parts = key.split('/');
      if (parts.length === 2 && parts[1]) out.push(parts[1]);
    }
    return out;
  }

  /** The iid of `name` within accessory `aid`; new names get the next number (the first is 1: AccessoryInformation). */
  iid(aid: number, name: string): number {
    const ids = this.accessories[aid] ??= { next: 1, iids: {} };
    let iid = ids.iids[name];
    if (iid === undefined) {
      iid = ids.iids[name] = ids.next++;
      this.dirty = true;
    }
    return iid;
  }

  /**
   * After a database was built: `shape` is its structure (types and ids, no values). A new
   * shape moves `c#` on (wrapping 65535 -> 1), so controllers fetch /accessories again.
   * Saved when anything changed; true when `c#` moved.
   */
  commit(shape: string, keep: ReadonlySet<string>): boolean {
    const hash = toHex(this.ports.crypto.sha512(utf8Encode(shape)).subarray(0, 16));
    let moved = false;
    if (hash !== this.configHash) {
      if (this.configHash !== '') this.configNumber = this.configNumber >= 65535 ? 1 : this.configNumber + 1;
      this.configHash = hash;
      this.dirty = moved = true;
    }
    this.prune(keep);
    if (this.dirty) this.save();
    return moved;
  }

  /** Devices long gone are forgotten once the file holds more than HAP could show: MACs are cheap to invent. */
  private prune(keep: ReadonlySet<string>): void {
    const names = Object.keys(this.aids);
    if (names.length <= MAX_AIDS) return;
    for (const name of names) {
      if (keep.has(name)) continue;
      delete this.accessories[this.aids[name]!];
      delete this.aids[name];
      this.dirty = true;
    }
  }

  private save(): void {
    const json = { configNumber: this.configNumber, configHash: this.configHash, aids: this.aids, accessories: this.accessories };
    try {
      writeAtomic(this.ports.store, IDS_FILE, utf8Encode(JSON.stringify(json)));
      this.dirty = false;
    } catch (e) {
      // The ids in memory stay right for this run; the next change tries again.
      this.ports.log.error(`HomeKit: ${(e as Error).message}`);
    }
  }
}
