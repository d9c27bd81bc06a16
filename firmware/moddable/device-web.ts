// The web page on the device: the core's web server over the socket Listener, the OTA
// partition, the broker settings (MqttHost/... through the same commands as the console)
// and the Wi-Fi set on the page, with an access point when no network is known or joining
// it fails. main.ts calls startDeviceWeb once the app is composed.

import Timer from "timer";
import type { GatewayApp } from "core/gateway/app";
import type { AesEncryptBlock, Clock, Log, Store } from "core/host";
import type { LogRing } from "core/web/events";
import { createWebServer, type MqttPort, type WebServer } from "core/web/web-server";
import { startAccessPoint } from "mi32/access-point";
import { createOta } from "mi32/ota";
import { createTcpServer } from "mi32/tcp-server";
import { startWifi } from "mi32/wifi";
import type { WifiSettings } from "mi32/wifi-settings";

/** Joining the network may take this long before the access point comes up as well. */
const JOIN_MS = 60_000;

export interface DeviceWebOptions {
  app: GatewayApp;
  store: Store;
  log: Log;
  clock: Clock;
  aes: AesEncryptBlock;
  logRing: LogRing;
  wifi: WifiSettings;
  mqtt: MqttPort;
  port: number;
  historyDevices: number;
  /** The access point's name and password (apPassword= on the mcconfig line; none: open). */
  apName: string;
  apPassword?: string;
}

export function startDeviceWeb(o: DeviceWebOptions): WebServer {
  const ota = createOta();
  const web = createWebServer(o.app, {
    tcp: createTcpServer(o.log), clock: o.clock, gatewayClock: o.clock, store: o.store, log: o.log, aes: o.aes,
    ...(ota ? { ota } : {}),
    mqtt: o.mqtt, wifi: o.wifi,
  }, { logRing: o.logRing, historyDevices: o.historyDevices, http: { maxConnections: 6 } }); // lwIP has ~10 sockets; MQTT and HomeKit need theirs
  web.listen(undefined, o.port, (error, port) => {
    if (error) o.log.error(`web page: ${error.message}`);
    else o.log.info(`web page on port ${port}`);
  });

  let online = false;
  const ap = () => {
    if (online) return;
    if (startAccessPoint(o.apName, o.apPassword, o.log)) o.wifi.mode = "access point (setup)";
  };
  const network = o.wifi.network;
  startWifi({
    ...(network.ssid ? { ssid: network.ssid } : {}), ...(network.password ? { password: network.password } : {}), log: o.log,
    onChange: (up) => {
      online = up;
      o.wifi.mode = up ? `station (${network.ssid ?? ""})` : "reconnecting";
    },
  });
  if (!network.ssid) ap();
  else Timer.set(ap, JOIN_MS);
  return web;
}
