// The Log port: leveled lines to a sink (the console transport). Debug lines only when
// the build asks for them (mcconfig ... logLevel=debug).

import type { Log } from "core/host";

export function createLog(write: (line: string) => void, debug = false): Log {
  const line = (level: string) => (message: string) => write(`${level} ${message}`);
  return {
    debug: debug ? line("DEBUG") : () => {},
    info: line("INFO "),
    warn: line("WARN "),
    error: line("ERROR"),
  };
}

/** trace() is the debugger's log in -d builds and the serial port in release builds. */
export function traceLine(line: string): void {
  trace(line + "\n");
}
