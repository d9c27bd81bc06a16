// `mi32 run --homekit`: the core's HomeKit bridge on Node's ports (node:net, node:crypto,
// the data folder). Only the adapters and the start-up lines live here.

import type { GatewayApp } from '../firmware/core/gateway/app.js';
import type { Log, Store } from '../firmware/core/host.js';
import { HomeKitBridge } from '../firmware/core/homekit/bridge.js';
import { setupCodeFromMac } from '../firmware/core/homekit/setup-code.js';
import { createNodeHapCrypto } from './hap-crypto.js';
import { nodeClock, nodeRandom, nodeTcpServer } from './net.js';

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
      // The X-HM:// URI and the terminal QR code (setup-code.ts / printSetupCode, branch wt-h2) go here.
      resolve(bridge);
    });
  });
}
