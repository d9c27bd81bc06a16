// The device benchmark's driver, as source text, so the very same code runs in Node (to
// record the AES blocks) and in xsnap (to measure). It builds a Gateway as main.ts does
// (mi32cfg from the Store, 256 slots so the 200 devices fit), with a clock whose timers
// never fire: the figure is the per-advertisement path (scan callback -> gateway ->
// registry), not the teleperiod or the MQTT publishes that follow.
//
// (core, cfgText, adverts, aes) => driver, where adverts are {t, mac, rssi, ad: Uint8Array}.
export const DEVICE_DRIVER = `(function (core, cfgText, adverts, aes) {
  let now = 1767225600000;
  let nextId = 1;
  const clock = { now: () => now, setTimeout() { return nextId++; }, clearTimeout() {} };
  const files = new Map();
  const store = {
    read: (n) => files.get(n),
    write: (n, d) => { files.set(n, d.slice()); },
    rename: (a, b) => { files.set(b, files.get(a)); files.delete(a); },
    remove: (n) => { files.delete(n); },
    exists: (n) => files.has(n),
  };
  const log = { debug() {}, info() {}, warn() {}, error() {} };
  const t0 = now;
  function makeGateway(withConfig) {
    if (withConfig) files.set('mi32cfg', core.utf8Encode(cfgText));
    const gw = new core.Gateway({ clock, store, log, aes }, { topic: 'bench', telePeriod: 300 }, 256);
    gw.start();
    return gw;
  }
  let gw;
  let empty;
  return {
    makeEmptyGateway() { empty = makeGateway(false); },
    makeGateway() { gw = makeGateway(true); },
    /** Feed adverts [from, to) to the gateway. */
    run(from, to) {
      for (let i = from; i < to; i++) {
        const a = adverts[i];
        now = t0 + a.t;
        gw.handleAdvertisement(a);
      }
    },
    /** The same loop without the gateway: what run() costs beyond the work measured. */
    baseline(from, to) {
      let sink = 0;
      for (let i = from; i < to; i++) {
        const a = adverts[i];
        now = t0 + a.t;
        sink += a.rssi;
      }
      return sink;
    },
    totals() { return gw.registry.totals; },
    tracked() { let n = 0; for (const s of gw.registry.slots.values()) if (s.lastSeen > 0) n++; return n; },
    fastPath() { return gw.fastPath === undefined ? null : gw.fastPath; },
    /**
     * Chunk bytes (32-bit XS) the tracked devices hold beyond their slots, which xsnap's
     * meter does not report: each string is a chunk of its UTF-8 bytes + NUL rounded up to
     * 4, plus an 8-byte chunk header (xsMemory.c fxAdjustChunkSize; the MACs here are
     * ASCII); a bind key's ArrayBuffer, 16 bytes + 8; and per Map entry (slots, keys) up to
     * 11 bytes of hash table (4-byte pointers, power-of-two table grown past 3/4 load, so
     * 5.3-10.7 bytes per entry). Per tracked device.
     */
    chunkBytesPerDevice() {
      const str = (s) => 8 + ((s.length + 1 + 3) & ~3);
      let bytes = 0;
      let n = 0;
      const r = gw.registry;
      for (const s of r.slots.values()) {
        if (s.lastSeen === 0) continue;
        n++;
        bytes += str(s.mac) + 11;
        if (Object.prototype.hasOwnProperty.call(s, 'name')) bytes += str(s.name);
        for (const k in s.values) if (typeof s.values[k] === 'string') bytes += str(s.values[k]);
        const key = r.keys.get(s.mac);
        if (key) bytes += str(s.mac) + 11 + 8 + key.byteLength;
      }
      return n === 0 ? 0 : bytes / n;
    },
    /** Typed-array bytes the registry allocates per slot (slot-table.ts), in use or not. */
    tableBytesPerSlot() { return core.BYTES_PER_SLOT === undefined ? 0 : core.BYTES_PER_SLOT; },
  };
})`;

/** A fixed reference loop: integer work that no engine optimises away, the same in every run. */
export const REFERENCE_LOOP = `(function () {
  let x = 1;
  for (let i = 0; i < 3000000; i++) x = (x * 31 + i) % 1000003;
  return x;
})`;
