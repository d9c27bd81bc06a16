// Wi-Fi on the lin simulator: the host's network is simply there.

import type { StartWifi } from "mi32/ports";

export const startWifi: StartWifi = ({ log, onChange }) => {
  log.info("network: host network (simulator)");
  onChange?.(true);
};
