// `mi32 run --gateways N --rssi-offsets 0,-10,-20`: several gateways in one process on
// one capture, as several ESP32s in one home would hear the same sensors, each at its own
// distance (an RSSI offset). What the command line and stdin need for that; the gateways
// themselves are the ordinary app (run-command.ts builds one per gateway).

import type { Log, Net, TcpConnectOptions, TcpSocket, TcpSocketEvents } from '../firmware/core/host.js';
import { topicProblem } from '../firmware/core/gateway/validate.js';

export const MAX_GATEWAYS = 8;
/** Offsets beyond this are not a room away any more. */
export const MAX_RSSI_OFFSET = 60;

export function parseGatewayCount(text: string | undefined): number {
  if (text === undefined) return 1;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > MAX_GATEWAYS) throw new Error(`--gateways must be a whole number from 1 to ${MAX_GATEWAYS}, got "${text.slice(0, 20)}"`);
  return n;
}

/** "0,-10,-20" → one offset (dB) per gateway; absent: all 0. */
export function parseRssiOffsets(text: string | undefined, gateways: number): number[] {
  if (text === undefined) return new Array<number>(gateways).fill(0);
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length !== gateways) throw new Error(`--rssi-offsets needs ${gateways} value${gateways > 1 ? 's' : ''} (one per gateway), got ${parts.length}`);
  return parts.map((p) => {
    const n = Number(p);
    if (!/^[+-]?\d+$/.test(p) || Math.abs(n) > MAX_RSSI_OFFSET) throw new Error(`--rssi-offsets: "${p.slice(0, 20)}" is not a whole number of dB from -${MAX_RSSI_OFFSET} to ${MAX_RSSI_OFFSET}`);
    return n;
  });
}

/** Gateway i's topic (from 0): the topic itself for a single gateway, else "<topic>-<i+1>". */
export function gatewayTopic(base: string, i: number, gateways: number): string {
  if (gateways === 1) return base;
  const topic = `${base}-${i + 1}`;
  const problem = topicProblem(topic);
  if (problem) throw new Error(`--topic ${base} leaves no room for the gateway number: ${problem}`);
  return topic;
}

export const MAX_RSSI_JITTER = 20;

export function parseRssiJitter(text: string | undefined): number {
  if (text === undefined) return 0;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > MAX_RSSI_JITTER) throw new Error(`--rssi-jitter must be a whole number of dB from 0 to ${MAX_RSSI_JITTER}, got "${text.slice(0, 20)}"`);
  return n;
}

/**
 * Each radio fades on its own: a gateway's noise, uniform whole dB in [-db, db], from a
 * seeded xorshift so a run repeats exactly. One per gateway (seed = its number).
 */
export function rssiNoise(seed: number, db: number): () => number {
  let x = (seed * 0x9e3779b1) >>> 0 || 1;
  return () => {
    if (db === 0) return 0;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return (x % (2 * db + 1)) - db;
  };
}

/** The RSSI a gateway hears at: the capture's plus its offset, within what a radio reports. */
export function offsetRssi(rssi: number, offset: number): number {
  return Math.max(-127, Math.min(20, rssi + offset));
}

export type GatewayLine =
  | { kind: 'command'; gateway?: number; line: string }
  | { kind: 'stop' | 'crash'; gateway: number }
  | { kind: 'error'; message: string };

/** A stdin line: "<command>" for every gateway, "@<n> <command>" for one, "@<n> stop|crash". */
export function gatewayLine(text: string, gateways: number): GatewayLine {
  const m = /^@(\d+)\s+(.*)$/s.exec(text.trim());
  if (!m) return { kind: 'command', line: text };
  const n = Number(m[1]);
  if (n < 1 || n > gateways) return { kind: 'error', message: `no gateway @${m[1]!.slice(0, 5)} (1-${gateways})` };
  const rest = m[2]!.trim();
  if (rest === 'stop' || rest === 'crash') return { kind: rest, gateway: n - 1 };
  return { kind: 'command', gateway: n - 1, line: rest };
}

/** The log with "[<topic>] " in front of every line, so N gateways on one stderr can be told apart. */
export function prefixedLog(log: Log, prefix: string): Log {
  return {
    debug: (m) => log.debug(prefix + m), info: (m) => log.info(prefix + m),
    warn: (m) => log.warn(prefix + m), error: (m) => log.error(prefix + m),
  };
}

/** A Net whose connections can all be cut at once, as a gateway losing power would (no MQTT DISCONNECT). */
export interface CrashableNet extends Net {
  crash(): void;
}

export function crashableNet(net: Net): CrashableNet {
  const open = new Set<TcpSocket>();
  let crashed = false;
  return {
    connectTcp(options: TcpConnectOptions, events: TcpSocketEvents): TcpSocket {
      if (crashed) {
        setTimeout(() => events.onClose(new Error('this gateway was crashed (@n crash)')), 0);
        return { write() {}, close() {} };
      }
      const socket = net.connectTcp(options, { ...events, onClose: (e) => { open.delete(socket); events.onClose(e); } });
      open.add(socket);
      return { write: (b) => socket.write(b), close: () => { open.delete(socket); socket.close(); } };
    },
    crash() {
      crashed = true;
      // A TCP close with no DISCONNECT before it: the broker publishes the Will.
      for (const socket of open) socket.close();
      open.clear();
    },
  };
}
