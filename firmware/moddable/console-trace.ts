// The console on platforms without a serial input (lin simulator, or ESP32 builds that
// keep UART0 for xsbug): output through trace(); commands arrive over MQTT only.

import { traceLine } from "mi32/log";
import type { CreateConsole } from "mi32/ports";

export const createConsole: CreateConsole = () => ({ write: traceLine });
