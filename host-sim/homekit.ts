// `mi32 run --homekit`: the core's HomeKit bridge on Node's ports (node:net, node:crypto,
// the data folder). Only the adapters and the start-up lines live here.

import type { GatewayApp } from '../firmware/core/gateway/app.js';
import type { Log, Store } from '../firmware/core/host.js';
import { HomeKitBridge } from '../firmware/core/homekit/bridge.js';
import { announceHap } from '../firmware/core/homekit/announce.js';
import { setupCodeFromMac, setupUri } from '../firmware/core/homekit/setup-code.js';
import { createNodeHapCrypto } from './hap-crypto.js';
import { nodeClock, nodeRandom, nodeTcpServer } from './net.js';
import { createCiaoAdvertiser } from './homekit/mdns.js';
import { setupCodeText } from './homekit/setup-print.js';

/** The simulator's stand-in for the ESP32's Wi-Fi MAC: the Device ID and the default setup code come from it. */
export const SIM_MAC = '024D49333200';
export const DEFAULT_HOMEKIT_PORT = 51826;

export interface SimHomeKitOptions {
  host?: string;
  port: number;
  /** --homekit-pin: the default setup code (a code set with HKPin wins, as on the device). */
  pin?: string;
}

export function startSimHomeKit(app: GatewayApp, store: Store, log: Log, options: SimHomeKitOptions): Promise<HomeKitBridge> {
  const bridge = new HomeKitBridge(
    { tcp: nodeTcpServer, clock: nodeClock, log, store, crypto: createNodeHapCrypto(), random: nodeRandom },
    app.gateway.registry,
    { mac: SIM_MAC, defaultCode: options.pin ?? setupCodeFromMac(SIM_MAC), model: 'mi32-xs simulator' },
  );
  app.gateway.onValues = (slot, values) => bridge.onValues(slot, values);
  return new Promise((resolve, reject) => {
    bridge.listen(options.host, options.port, (error, port) => {
      if (error) return reject(error);
      const state = bridge.server.state;
      log.info(`HomeKit bridge on ${options.host ?? '127.0.0.1'}:${port}: ${bridge.accessories().length - 1} accessories, ${state.paired ? `paired with ${state.pairings.length} controller(s)` : `setup code ${state.setupCode}`}`);
      // Unpaired: the code, the X-HM:// payload and its QR code, one log line each (the
      // common prefix keeps the QR code square; --quiet leaves it out with the rest).
      if (!state.paired) for (const line of setupCodeText(setupUri(state.setupCode), state.setupCode).trimEnd().split('\n')) log.info(line);
      // _hap._tcp on the address the bridge listens on (loopback unless --homekit-port names one).
      const everywhere = options.host === '0.0.0.0' || options.host === '::';
      const advertiser = createCiaoAdvertiser({ ...(everywhere ? {} : { bind: options.host ?? '127.0.0.1' }), log });
      const announcement = announceHap(advertiser, bridge.server, 'MI32 Bridge', port);
      const stopBridge = bridge.stop.bind(bridge);
      bridge.stop = () => { // run-command stops the bridge; the advert goes with it
        announcement.stop();
        void advertiser.shutdown();
        stopBridge();
      };
      resolve(bridge);
    });
  });
}
