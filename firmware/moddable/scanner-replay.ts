// The Scanner on the lin simulator, whose BLE is an empty stub: it replays a JSONL capture
// ({"t": ms, "mac", "rssi", "ad": hex} per line, the host-sim format) from the Store, or
// else from the app's resources, at recorded speed / `speed`. Bad lines are logged and skipped.

import Resource from "Resource";
import Timer from "timer";
import { fromHex, normalizeMac } from "core/bytes/hex";
import type { CreateScanner, Scanner, ScannerOptions } from "mi32/ports";
import { decodeText } from "mi32/text";

export const createScanner: CreateScanner = (options: ScannerOptions): Scanner => {
  let timer: Timer | undefined;
  let started = false;

  const load = (): string | undefined => {
    const name = options.capture ?? "capture.jsonl";
    const stored = options.store.read(name);
    if (stored) return decodeText(stored);
    if (Resource.exists(name)) return String.fromArrayBuffer(new Resource(name).slice(0));
    options.log.info(`replay: no capture "${name}" in the store or resources; nothing to scan`);
    return undefined;
  };

  const run = () => {
    const text = load();
    if (text === undefined) return;
    const lines = text.split("\n");
    const speed = options.speed && options.speed > 0 ? options.speed : 1;
    let index = 0;
    let first: number | undefined;
    const begin = Date.now();
    let delivered = 0;
    const step = () => {
      timer = undefined;
      while (index < lines.length) {
        const line = lines[index]!.trim();
        const number = ++index;
        if (!line) continue;
        let record: { t?: unknown; mac?: unknown; rssi?: unknown; ad?: unknown; addrType?: unknown };
        try {
          record = JSON.parse(line) as typeof record;
        } catch {
          options.log.warn(`replay line ${number}: not JSON`);
          continue;
        }
        const mac = typeof record.mac === "string" ? normalizeMac(record.mac) : undefined;
        const ad = typeof record.ad === "string" ? fromHex(record.ad) : undefined;
        const t = typeof record.t === "number" ? record.t : 0;
        if (!mac || !ad || typeof record.rssi !== "number") {
          options.log.warn(`replay line ${number}: needs mac, rssi and hex ad`);
          continue;
        }
        first ??= t;
        const wait = begin + (t - first) / speed - Date.now();
        if (wait > 0) {
          index--; // deliver this line when it is due
          timer = Timer.set(step, wait);
          return;
        }
        delivered++;
        options.deliver({ mac, rssi: record.rssi, ad, addrType: record.addrType === "random" || record.addrType === 1 ? 1 : 0 });
      }
      options.log.info(`replay done: ${delivered} advertisements`);
    };
    step();
  };

  return {
    start(active) {
      options.log.info(`scan mode: ${active ? "active" : "passive"} (the replay is the same either way)`);
      if (started) return;
      started = true;
      run();
    },
    stop() {
      if (timer) Timer.clear(timer);
      timer = undefined;
    },
  };
};
