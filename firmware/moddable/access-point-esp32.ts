// The access point the page is reachable on when no network is known or joining fails:
// an open-to-setup "mi32-xs-XXXXXX" network (with a password when the build gives apPassword=,
// 8+ characters) next to the station, so the device keeps trying its network meanwhile.
// Moddable's legacy wifi module (WiFi.accessPoint). Untested on a board.

import WiFi from "wifi";
import type { Log } from "core/host";

export function startAccessPoint(name: string, password: string | undefined, log: Log): boolean {
  try {
    WiFi.accessPoint({ ssid: name, ...(password && password.length >= 8 ? { password } : {}), station: true } as Parameters<typeof WiFi.accessPoint>[0]);
    log.info(`Wi-Fi: access point "${name}" up; the web page is at http://192.168.4.1/`);
    return true;
  } catch (e) {
    log.error(`Wi-Fi: access point failed: ${(e as Error).message}`);
    return false;
  }
}
