// Bluetooth UUIDs as the scripting API and the GATT link exchange them: one canonical
// form, lower-case 128-bit with dashes. 16- and 32-bit UUIDs are shorthand for the
// Bluetooth base UUID 0000xxxx-0000-1000-8000-00805f9b34fb.

const BASE_SUFFIX = '-0000-1000-8000-00805f9b34fb';
const FULL_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** "180F", "0x180f", "0000180f", "EBE0CCB0-7A0A-4B0C-8A1A-6FF2997DA3A6" → canonical, or undefined. */
export function parseUuid(text: string): string | undefined {
  let t = text.trim().toLowerCase();
  if (t.startsWith('0x')) t = t.slice(2);
  if (/^[0-9a-f]{4}$/.test(t)) return `0000${t}${BASE_SUFFIX}`;
  if (/^[0-9a-f]{8}$/.test(t)) return `${t}${BASE_SUFFIX}`;
  if (/^[0-9a-f]{32}$/.test(t)) t = `${t.slice(0, 8)}-${t.slice(8, 12)}-${t.slice(12, 16)}-${t.slice(16, 20)}-${t.slice(20)}`;
  return FULL_RE.test(t) ? t : undefined;
}

/**
 * Tasmota's "return uuid" for callbacks: bytes 12–13 of the 128-bit UUID as NimBLE stores
 * it (little-endian), i.e. bits 96–111. For SIG UUIDs that is the 16-bit UUID (0x180f);
 * for vendor UUIDs it is the low half of the first group (ebe0ccc4-… → 0xccc4).
 */
export function uuid16(canonical: string): number {
  return parseInt(canonical.slice(4, 8), 16);
}

/** The short form where there is one ("180f"), else the 128-bit form: for logs and JSON. */
export function shortUuid(canonical: string): string {
  return canonical.startsWith('0000') && canonical.endsWith(BASE_SUFFIX) ? canonical.slice(4, 8) : canonical;
}
