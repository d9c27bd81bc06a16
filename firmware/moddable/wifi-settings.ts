// The Wi-Fi network set from the web page: kept in the Store as wifi.json (atomic), used at
// the next start in place of the build's ssid=/password=. The password is never shown back.

import { writeAtomic } from "core/store/atomic";
import { jsonDepthProblem, readStoredText } from "core/store/read-text";
import { utf8Encode } from "core/mqtt/utf8";
import type { Log, Store } from "core/host";
import type { WifiPort } from "core/web/web-server";

const FILE = "wifi.json";

export class WifiSettings implements WifiPort {
  private saved: { ssid: string; password: string } | undefined;
  /** "station", "access point", ...: what the network does now (set by main.ts). */
  mode = "starting";

  constructor(private readonly store: Store, private readonly build: { ssid?: string; password?: string }, log: Log) {
    const read = readStoredText(store, FILE, 512);
    for (const p of read.problems) log.warn(`${p}; using the build's Wi-Fi`);
    if (read.kind !== "text") return;
    try {
      if (jsonDepthProblem(read.text, 1)) throw new Error("nested");
      const raw = JSON.parse(read.text) as Record<string, unknown>;
      if (typeof raw.ssid === "string" && !ssidProblem(raw.ssid) && typeof raw.password === "string" && raw.password.length <= 64) this.saved = { ssid: raw.ssid, password: raw.password };
      else log.warn(`${FILE}: not a usable network; using the build's Wi-Fi`);
    } catch {
      log.warn(`${FILE} is not valid JSON; using the build's Wi-Fi`);
    }
  }

  /** The network to join: the one set on the page, else the build's. */
  get network(): { ssid?: string; password?: string } {
    return this.saved ?? this.build;
  }

  get(): { ssid: string; passwordSet: boolean; mode: string } {
    const n = this.network;
    return { ssid: n.ssid ?? "", passwordSet: !!n.password, mode: this.mode };
  }

  set(ssid: string, password: string | undefined): string | undefined {
    const problem = ssidProblem(ssid);
    if (problem) return problem;
    if (password !== undefined && (password.length < 8 || password.length > 64)) return "a WPA password is 8 to 64 characters";
    // An empty password field keeps the one saved for the same network.
    const next = { ssid, password: password ?? (this.network.ssid === ssid ? this.network.password ?? "" : "") };
    try {
      writeAtomic(this.store, FILE, utf8Encode(JSON.stringify(next)));
    } catch (e) {
      return (e as Error).message;
    }
    this.saved = next;
    return undefined;
  }
}

function ssidProblem(ssid: string): string | undefined {
  return ssid.length < 1 || ssid.length > 32 || /[\u0000-\u001f]/.test(ssid) ? "an SSID is 1 to 32 printable characters" : undefined;
}
