// The MdnsAdvertiser port on Moddable's `mdns` module (pure JS over a UDP multicast
// socket). Its limits shape what the Home app sees: the service instance name is always
// the claimed host name (so the HAP advert is "<hostName>._hap._tcp.local", not the
// bridge's display name), IPv4 only, TXT values are strings. Services asked for before
// the host name is claimed are added once it is; `update` re-announces the TXT record
// (HAP: sf after pairing, c# after the accessory set changed).

import MDNS from "mdns";
import type { Log, MdnsAdvertisement, MdnsAdvertiser, MdnsService } from "core/host";

/** What the `mdns` module takes for a service: `name` is the service type ("hap"). */
interface ModdableService {
  name: string;
  protocol: string;
  port: number;
  txt: Record<string, string>;
}

/** Adverts that do nothing: what the gateway gets when the platform's mDNS cannot start. */
const NO_ADVERTS: MdnsAdvertiser = { advertise: () => ({ update() {}, stop() {} }) };

/**
 * Whatever the mDNS module throws (the SDK's lin socket refuses every multicast address: its
 * inet_pton check is inverted) is logged, never left to abort the gateway: without mDNS a
 * controller must be given the address, and everything else keeps running.
 */
export function createModdableMdnsAdvertiser(hostName: string, log: Log): MdnsAdvertiser {
  try {
    return startMdns(hostName, log);
  } catch (e) {
    log.error(`mDNS: cannot start (${e instanceof Error ? e.message : String(e)}); HomeKit is not advertised`);
    return NO_ADVERTS;
  }
}

function startMdns(hostName: string, log: Log): MdnsAdvertiser {
  let claimed = false;
  const waiting: ModdableService[] = [];
  const guarded = (what: string, fn: () => void) => {
    try {
      fn();
    } catch (e) {
      log.error(`mDNS: ${what} failed (${e instanceof Error ? e.message : String(e)})`);
    }
  };
  const mdns = new MDNS({ hostName }, (message, value) => {
    // 1 with a value: the host name is ours (the value); 1 without: still probing.
    if (message === 1 && value) {
      claimed = true;
      log.info(`mDNS: ${value}.local claimed`);
      for (const service of waiting.splice(0)) guarded('add', () => mdns.add(service));
    } else if (message < 0) {
      log.warn(`mDNS: error ${message}`);
    }
  });
  return {
    advertise(service: MdnsService): MdnsAdvertisement {
      const entry: ModdableService = { name: service.type, protocol: service.protocol, port: service.port, txt: { ...service.txt } };
      if (claimed) guarded('add', () => mdns.add(entry));
      else waiting.push(entry);
      let stopped = false;
      return {
        update(txt) {
          if (stopped) return;
          entry.txt = { ...txt };
          if (claimed && !waiting.includes(entry)) guarded('update', () => mdns.update(entry));
        },
        stop() {
          if (stopped) return;
          stopped = true;
          const queued = waiting.indexOf(entry);
          if (queued >= 0) waiting.splice(queued, 1);
          else guarded('remove', () => mdns.remove(entry));
        },
      };
    },
  };
}
