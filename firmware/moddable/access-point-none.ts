// lin (desktop simulator): the host's network is always there; no access point.
import type { Log } from "core/host";

export function startAccessPoint(_name: string, _password: string | undefined, log: Log): boolean {
  log.info("Wi-Fi: no access point on the simulator");
  return false;
}
