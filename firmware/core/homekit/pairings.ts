// POST /pairings (HAP 5.10-5.12): an admin controller adds, removes and lists pairings over
// its verified session. Anyone else gets Authentication. Removing the last admin unpairs
// the accessory (state.ts forgets every controller); sessions of a removed controller
// are closed by the server once the answer has gone out.

import { utf8Decode } from '../mqtt/utf8.js';
import type { HomeKitState } from './state.js';
import { decodeTlv, encodeTlv, TLV, TLV_ERROR, tlvByte, type TlvValue } from './tlv8.js';

const METHOD = { Add: 3, Remove: 4, List: 5 } as const;

export interface PairingsResult {
  reply: Uint8Array;
  /** Controllers whose sessions must end (removed). */
  removed?: string[];
}

const fail = (code: number): PairingsResult => ({ reply: encodeTlv([[TLV.State, 2], [TLV.Error, code]]) });

export function handlePairings(state: HomeKitState, controllerId: string, body: Uint8Array): PairingsResult {
  let items: Map<number, Uint8Array>;
  try {
    items = decodeTlv(body);
  } catch {
    return fail(TLV_ERROR.Unknown);
  }
  if (tlvByte(items, TLV.State) !== 1) return fail(TLV_ERROR.Unknown);
  if (!state.pairing(controllerId)?.admin) return fail(TLV_ERROR.Authentication);
  const method = tlvByte(items, TLV.Method);
  const idBytes = items.get(TLV.Identifier);
  let id: string | undefined;
  try {
    id = idBytes && idBytes.length > 0 && idBytes.length <= 64 ? utf8Decode(idBytes) : undefined;
  } catch {
    id = undefined;
  }
  try {
    if (method === METHOD.List) {
      const list: [number, TlvValue][] = [[TLV.State, 2]];
      state.pairings.forEach((p, i) => {
        if (i > 0) list.push([TLV.Separator, new Uint8Array(0)]);
        list.push([TLV.Identifier, p.id], [TLV.PublicKey, p.ltpk], [TLV.Permissions, p.admin ? 1 : 0]);
      });
      return { reply: encodeTlv(list) };
    }
    if (method === METHOD.Add) {
      const ltpk = items.get(TLV.PublicKey);
      const permissions = tlvByte(items, TLV.Permissions);
      if (!id || !ltpk || ltpk.length !== 32 || (permissions !== 0 && permissions !== 1)) return fail(TLV_ERROR.Unknown);
      const existing = state.pairing(id);
      // The same identifier with another key is someone else: refused (HAP 5.10.2).
      if (existing && !equal(existing.ltpk, ltpk)) return fail(TLV_ERROR.Unknown);
      if (!state.addPairing({ id, ltpk, admin: permissions === 1 })) return fail(TLV_ERROR.MaxPeers);
      return { reply: encodeTlv([[TLV.State, 2]]) };
    }
    if (method === METHOD.Remove) {
      if (!id) return fail(TLV_ERROR.Unknown);
      const before = state.pairings.map((p) => p.id);
      state.removePairing(id);
      const after = new Set(state.pairings.map((p) => p.id));
      return { reply: encodeTlv([[TLV.State, 2]]), removed: before.filter((p) => !after.has(p)) };
    }
  } catch {
    // A failed save (StoreWriteError): nothing changed, say so.
    return fail(TLV_ERROR.Unknown);
  }
  return fail(TLV_ERROR.Unknown);
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
