// Value keys by number: the registry marks which of a device's values changed since the
// last publish with one bit per key (a few bytes in a shared typed array per device)
// instead of a Set of strings per device, and caches what the value-key table says of
// each key by the same number (registry.ts kindOf).
//
// Keys are interned on first use rather than numbered by their row in values/keys.ts: the
// table has more rows than MAX_KEY_IDS bits, numbered copies (Button3, Temperature2) have
// no row of their own, and a gateway hears a few dozen keys, so first use keeps every
// slot's bitmap at 16 bytes.

/** Bits per device for updated keys: 4 words of 32. Keys beyond get no id (see keyId). */
export const MAX_KEY_IDS = 128;

const ids = new Map<string, number>();

/**
 * The number of `key`, interned on first use; -1 when MAX_KEY_IDS keys are already
 * numbered (the caller must then treat every key as updated: it publishes more, never less).
 * Bounded: keys come from the decoders' and commands' code, and the table stops growing here.
 */
export function keyId(key: string): number {
  let id = ids.get(key);
  if (id === undefined) {
    if (ids.size >= MAX_KEY_IDS) return -1;
    id = ids.size;
    ids.set(key, id);
  }
  return id;
}

/** The number of `key` if it has one, without interning it; -1 otherwise. */
export function knownKeyId(key: string): number {
  return ids.get(key) ?? -1;
}
