// Wi-Fi on ESP32 through the ECMA-419 interface (embedded:network/interface/wifi). The
// SDK's setup/network (pulled in by every network manifest) makes the first connection from
// mcconfig's ssid=/password= before main runs; this keeps it: after a loss it reconnects
// with a growing delay (2 s doubling to 60 s), for as long as the device runs.

import WiFi from "embedded:network/interface/wifi";
import Timer from "timer";
import type { StartWifi, WifiOptions } from "mi32/ports";

const HAS_IP = 500; // setup/network.js: connection >= 500 has an address, <= 200 disconnected
const DISCONNECTED = 200;

export const startWifi: StartWifi = (options: WifiOptions) => {
  const { ssid, password, log } = options;
  if (!ssid) {
    log.info("Wi-Fi: no SSID in the build (mcconfig ssid=...); network off");
    return;
  }
  let delay = 2000;
  let retry: Timer | undefined;
  let online = false;

  const connect = () => {
    retry = undefined;
    try {
      wifi.connect(password ? { SSID: ssid, password } : { SSID: ssid });
    } catch (e) {
      log.warn(`Wi-Fi connect: ${(e as Error).message}`);
      schedule();
    }
  };
  const schedule = () => {
    if (retry) return;
    retry = Timer.set(connect, delay);
    delay = Math.min(delay * 2, 60_000);
  };
  const changed = () => {
    const state = wifi.connection;
    if (state >= HAS_IP && !online) {
      online = true;
      delay = 2000;
      if (retry) Timer.clear(retry);
      retry = undefined;
      log.info(`Wi-Fi up: ${wifi.SSID ?? ssid} ${wifi.address ?? ""} RSSI ${wifi.RSSI ?? "?"}`);
      options.onChange?.(true);
    } else if (state <= DISCONNECTED) {
      if (online) {
        online = false;
        log.warn(`Wi-Fi lost; reconnecting`);
        options.onChange?.(false);
      }
      schedule();
    }
  };

  const wifi = new WiFi({ onChanged: () => changed() });
  // setup/network normally connected already; if not (or not any more), start trying.
  if (wifi.connection >= HAS_IP) changed();
  else connect();
};
