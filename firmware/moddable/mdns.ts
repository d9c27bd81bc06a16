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

export function createModdableMdnsAdvertiser(hostName: string, log: Log): MdnsAdvertiser {
  let claimed = false;
  const waiting: ModdableService[] = [];
  const mdns = new MDNS({ hostName }, (message, value) => {
    // 1 with a value: the host name is ours (the value); 1 without: still probing.
    if (message === 1 && value) {
      claimed = true;
      log.info(`mDNS: ${value}.local claimed`);
      for (const service of waiting.splice(0)) mdns.add(service);
    } else if (message < 0) {
      log.warn(`mDNS: error ${message}`);
    }
  });
  return {
    advertise(service: MdnsService): MdnsAdvertisement {
      const entry: ModdableService = { name: service.type, protocol: service.protocol, port: service.port, txt: { ...service.txt } };
      if (claimed) mdns.add(entry);
      else waiting.push(entry);
      let stopped = false;
      return {
        update(txt) {
          if (stopped) return;
          entry.txt = { ...txt };
          if (claimed && !waiting.includes(entry)) mdns.update(entry);
        },
        stop() {
          if (stopped) return;
          stopped = true;
          const queued = waiting.indexOf(entry);
          if (queued >= 0) waiting.splice(queued, 1);
          else mdns.remove(entry);
        },
      };
    },
  };
}
