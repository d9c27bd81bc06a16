// The web page on Node (`mi32 run --http [HOST:]PORT`): the core's web server over the
// node:net adapter, a firmware "update" that lands in a file (nothing to boot into here),
// and the broker settings of host-sim/mqtt-settings.ts (--broker, or what the page saved).

import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { GatewayApp } from '../firmware/core/gateway/app.js';
import type { AesEncryptBlock, Clock, Log, Store } from '../firmware/core/host.js';
import type { LogRing } from '../firmware/core/web/events.js';
import type { OtaPort } from '../firmware/core/web/ota.js';
import { createWebServer, type MqttPort, type WebServer } from '../firmware/core/web/web-server.js';
import { nodeClock, nodeTcpServer } from './net.js';

/** Where the simulator listens unless told: this port or the next free one up to +19 (then any free port), on 127.0.0.1. */
export const DEFAULT_HTTP_PORT = 8080;
const TRIES = 20;

/** `[HOST:]PORT` of --http; a string says what is wrong. */
export function parseHttpOption(text: string): { host: string; port: number } | string {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[^:]+):)?(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) return `--http takes [HOST:]PORT (e.g. 8080, 0.0.0.0:8080, 0 for any free port), got "${text}"`;
  return { host: (m[1] ?? '127.0.0.1').replace(/^\[|\]$/g, ''), port };
}

/** The simulator's "OTA partition": DIR/firmware-update.bin, written whole or not at all. */
export function fileOta(dir: string, log: Log): OtaPort {
  const part = join(dir, 'firmware-update.bin.part');
  let fd: number | undefined;
  const drop = () => {
    if (fd !== undefined) closeSync(fd);
    fd = undefined;
    rmSync(part, { force: true });
  };
  return {
    chip: 'esp32',
    begin() { drop(); fd = openSync(part, 'w'); },
    write(bytes) { if (fd === undefined) throw new Error('no update open'); writeSync(fd, bytes); },
    complete() {
      if (fd === undefined) throw new Error('no update open');
      closeSync(fd);
      fd = undefined;
      renameSync(part, join(dir, 'firmware-update.bin'));
      log.info(`firmware image saved as ${join(dir, 'firmware-update.bin')} (the simulator has nothing to boot into)`);
    },
    cancel: drop,
  };
}

export interface NodeWebOptions {
  app: GatewayApp;
  host: string;
  /** The first port to try; 0 = any free port. */
  port: number;
  /** Try the next ports when `port` is taken (the default port only; an explicit --http PORT must be free). */
  searchFree: boolean;
  store: Store;
  dataDir: string;
  log: Log;
  aes: AesEncryptBlock;
  gatewayClock: Clock;
  /** The broker settings the page shows and sets. */
  mqtt: MqttPort;
  logRing: LogRing;
  historyDevices?: number;
}

export async function startNodeWeb(o: NodeWebOptions): Promise<{ web: WebServer; url: string }> {
  const web = createWebServer(o.app, {
    tcp: nodeTcpServer, clock: nodeClock, gatewayClock: o.gatewayClock, store: o.store, log: o.log, aes: o.aes,
    ota: fileOta(o.dataDir, o.log),
    mqtt: o.mqtt,
  }, { logRing: o.logRing, ...(o.historyDevices ? { historyDevices: o.historyDevices } : {}) });
  let lastError: Error | undefined;
  // The default port, the next ones, then any free port: several simulators may run at once.
  const candidates = o.searchFree && o.port !== 0 ? [...Array.from({ length: TRIES }, (_, i) => o.port + i), 0] : [o.port];
  for (const candidate of candidates) {
    const result = await new Promise<{ error?: Error; port: number }>((resolve) => web.listen(o.host, candidate, (error, port) => resolve({ ...(error ? { error } : {}), port })));
    if (!result.error) {
      const host = o.host.includes(':') ? `[${o.host}]` : o.host;
      return { web, url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${result.port}/` };
    }
    lastError = result.error;
  }
  web.close();
  throw lastError ?? new Error('cannot listen');
}
