// The GattLink port on the lin simulator, whose BLE is an empty stub (modules/network/ble/sim)
// and where the ECMA-419 central does not build ("ECMA-419 BLE client not yet supported"):
// every connect fails, cleanly and asynchronously, so the core's GATT commands and scripts
// get "could not connect" instead of waiting for a timeout.

import Timer from "timer";
import type { CreateGattLink } from "mi32/ports";

export const createGattLink: CreateGattLink = (log) => ({
  pausesScan: false,
  connect(peer, events) {
    Timer.set(() => {
      log.debug(`GATT: connect to ${peer.mac} refused, no BLE on this platform`);
      try {
        events.onConnectFailed({ code: "failed", message: "GATT not available on this platform" });
      } catch (e) {
        log.error(`GATT connect: ${e instanceof Error ? e.message : String(e)}`);
      }
    }, 0);
  },
});
