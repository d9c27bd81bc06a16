// Announcing the HAP server as `_hap._tcp` over the MdnsAdvertiser port, and keeping its
// TXT record current: HapServer calls onAdvertChange when `sf` (paired or not) or `c#`
// (the accessory set) changes, and iOS reads those from mDNS, not from the server.

import type { MdnsAdvertiser } from '../host.js';

/** What the announcer needs of HapServer. */
export interface AnnouncedServer {
  txtRecord(): Record<string, string>;
  onAdvertChange: (() => void) | undefined;
}

export interface HapAnnouncement {
  /** Withdraw the service (on stop, or before the port changes). */
  stop(): void;
}

/**
 * Advertise `server` under `name` on `port`; re-announce the TXT record when it changes.
 * A failing advertiser (no network yet, a record it refuses) is logged by the caller's
 * adapter and never stops the server: controllers that know the address still reach it.
 */
export function announceHap(advertiser: MdnsAdvertiser, server: AnnouncedServer, name: string, port: number): HapAnnouncement {
  let txt = server.txtRecord();
  const advertisement = advertiser.advertise({ name, type: 'hap', protocol: 'tcp', port, txt });
  let stopped = false;
  const previous = server.onAdvertChange;
  server.onAdvertChange = () => {
    previous?.();
    if (stopped) return;
    const next = server.txtRecord();
    if (sameRecord(next, txt)) return;
    txt = next;
    advertisement.update(next);
  };
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      advertisement.stop();
    },
  };
}

function sameRecord(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}
