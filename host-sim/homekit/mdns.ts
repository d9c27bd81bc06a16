// The MdnsAdvertiser port on Node: @homebridge/ciao (the pure-JS responder hap-nodejs uses
// by default). One responder per advertiser, bound to the interface or address given (the
// simulator binds 127.0.0.1 unless told otherwise, so a test's advert stays on loopback).
// Failures (no multicast, a name conflict it cannot solve) are logged; the bridge goes on
// serving by IP and port, which is how hap-controller and the tests reach it anyway.

import ciao from '@homebridge/ciao';
import type { Log, MdnsAdvertisement, MdnsAdvertiser, MdnsService } from '../../firmware/core/host.js';

export interface CiaoAdvertiserOptions {
  /** Interface name or address to advertise on (ciao's `interface`); all when absent. */
  bind?: string;
  log?: Log;
}

export interface CiaoAdvertiser extends MdnsAdvertiser {
  /** Withdraw every service (goodbye packets) and close the responder's sockets. */
  shutdown(): Promise<void>;
}

export function createCiaoAdvertiser(options: CiaoAdvertiserOptions = {}): CiaoAdvertiser {
  const responder = ciao.getResponder(options.bind ? { interface: options.bind } : undefined);
  const fail = (what: string) => (error: unknown) => options.log?.warn(`mDNS: ${what} failed: ${error instanceof Error ? error.message : String(error)}`);
  return {
    advertise(service: MdnsService): MdnsAdvertisement {
      const s = responder.createService({ name: service.name, type: service.type, protocol: service.protocol as never, port: service.port, txt: { ...service.txt } });
      s.advertise().catch(fail(`announcing ${service.name}._${service.type}._${service.protocol}`));
      let stopped = false;
      return {
        update(txt) {
          if (!stopped) s.updateTxt({ ...txt });
        },
        stop() {
          if (stopped) return;
          stopped = true;
          s.end().then(() => s.destroy()).catch(fail('withdrawing the service'));
        },
      };
    },
    shutdown: () => responder.shutdown(),
  };
}
