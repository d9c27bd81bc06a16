// The HomeKit bridge on the device: the core's HomeKitBridge over the Moddable adapters
// (the TcpServerPort over `socket`'s Listener, the HapCrypto with native SHA-512/ChaCha20,
// the `mdns` advertiser), started by main.ts with a few lines once the TCP server adapter
// is in (branch wt-web, firmware/moddable/tcp-server.ts):
//
//   import Net from "net";
//   startDeviceHomeKit(gatewayApp, { tcp: createTcpServer(log), clock, log, store, random: moddableRandom },
//     { mac: Net.get("MAC") });
//
// What the device prints instead of host-sim's QR code: the setup code and the X-HM://
// payload on the console (the web page can draw the QR code from the payload).

import type { GatewayApp } from "core/gateway/app";
import type { Clock, Log, Random, Store, TcpServerPort } from "core/host";
import { announceHap, type HapAnnouncement } from "core/homekit/announce";
import { HomeKitBridge } from "core/homekit/bridge";
import { setupCodeFromMac, setupUri } from "core/homekit/setup-code";
import { createModdableHapCrypto } from "mi32/hap-crypto";
import { createModdableMdnsAdvertiser } from "mi32/mdns";

/** HAP's usual port (hap-nodejs and the ESP HomeKit SDK use it too). */
export const HOMEKIT_PORT = 51826;
/**
 * Sessions at once: each holds two keys, counters and a frame buffer; a pair-setup holds
 * SRP's 3072-bit numbers (a few KB of chunks) while it runs. A home with a hub and two
 * phones needs three.
 */
export const DEVICE_MAX_CONNECTIONS = 4;

export interface DeviceHomeKitPorts {
  tcp: TcpServerPort;
  clock: Clock;
  log: Log;
  store: Store;
  random: Random;
}

export interface DeviceHomeKitOptions {
  /** The Wi-Fi station MAC ("aa:bb:cc:dd:ee:ff"): Device ID and default setup code come from it. */
  mac: string;
  port?: number;
  /** The mDNS host name, which is also the advert's instance name on Moddable. */
  hostName?: string;
}

export function startDeviceHomeKit(app: GatewayApp, ports: DeviceHomeKitPorts, options: DeviceHomeKitOptions): HomeKitBridge {
  const { log } = ports;
  const crypto = createModdableHapCrypto(ports.random);
  const bridge = new HomeKitBridge({ ...ports, crypto }, app.gateway.registry, {
    mac: options.mac, defaultCode: setupCodeFromMac(options.mac), maxConnections: DEVICE_MAX_CONNECTIONS, model: "mi32-xs",
  });
  app.gateway.onValues = (slot, values) => bridge.onValues(slot, values);
  const hostName = options.hostName ?? `mi32-${options.mac.replace(/[^0-9a-fA-F]/g, "").slice(-6).toLowerCase()}`;
  let announcement: HapAnnouncement | undefined;
  bridge.listen(undefined, options.port ?? HOMEKIT_PORT, (error, port) => {
    if (error) {
      log.error(`HomeKit: cannot listen on port ${options.port ?? HOMEKIT_PORT}: ${error.message}`);
      return;
    }
    const state = bridge.server.state;
    log.info(`HomeKit bridge on port ${port}: ${state.paired ? "paired" : `setup code ${state.setupCode}, ${setupUri(state.setupCode)}`}`);
    announcement = announceHap(createModdableMdnsAdvertiser(hostName, log), bridge.server, hostName, port);
  });
  const stopBridge = bridge.stop.bind(bridge);
  bridge.stop = () => {
    announcement?.stop();
    stopBridge();
  };
  return bridge;
}
