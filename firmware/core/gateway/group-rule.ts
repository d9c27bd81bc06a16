// Several gateways, one home: which gateway reports a device. Every gateway of an
// MI32Group evaluates this same rule over the same retained HEARD messages, so they agree
// without talking to each other; nothing here depends on who evaluates it.
//
// The rule, for one device (README "Several gateways, one home"):
//  1. Candidates: the live gateways (LWT not "Offline") whose last HEARD lists the device.
//  2. Best: the candidate with the highest RSSI; a tie goes to the lower name
//     (JavaScript string order, the same on every platform).
//  3. Incumbent: among the candidates that list the device in "Own" (they report it now),
//     the best by the same order.
//  4. The incumbent keeps the device unless the best hears it more than HYSTERESIS_DB
//     better; then the best takes it. No incumbent: the best takes it.

/** What one gateway said in its last HEARD. */
export interface GatewayReport {
  /** The gateway's Topic. */
  name: string;
  /** Device MAC → the RSSI (dBm) it heard the device at, summarised over its last teleperiod. */
  heard: ReadonlyMap<string, number>;
  /** The devices it reported when it published. */
  own: ReadonlySet<string>;
}

/** A gateway that reports a device keeps it until another hears it this much better (dB). */
export const HYSTERESIS_DB = 6;

interface Pick {
  name: string;
  rssi: number;
}

function better(name: string, rssi: number, than: Pick | undefined): boolean {
  return than === undefined || rssi > than.rssi || (rssi === than.rssi && name < than.name);
}

/** The gateway that reports `mac`, or undefined when no live gateway heard it. */
export function ownerOf(mac: string, live: readonly GatewayReport[], hysteresis = HYSTERESIS_DB): string | undefined {
  let best: Pick | undefined;
  let incumbent: Pick | undefined;
  for (const g of live) {
    const rssi = g.heard.get(mac);
    if (rssi === undefined) continue;
    if (better(g.name, rssi, best)) best = { name: g.name, rssi };
    if (g.own.has(mac) && better(g.name, rssi, incumbent)) incumbent = { name: g.name, rssi };
  }
  if (best === undefined) return undefined;
  if (incumbent !== undefined && incumbent.rssi >= best.rssi - hysteresis) return incumbent.name;
  return best.name;
}
