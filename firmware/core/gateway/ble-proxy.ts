// MI32Proxy: the gateway as a BLE proxy over MQTT. Raw advertisements of chosen devices
// (or of every sender) go out on tele/<topic>/BLE as {"mac","addrType","rssi","ad"}, the
// same fields a JSONL capture line has, so a recording of them replays with `mi32 run`.
//
// Anyone in radio range can send advertisements as fast as the radio takes them, and a
// chosen MAC can be spoofed: every message passes one token bucket (PROXY_RATE per second,
// bursts of PROXY_BURST); what does not fit is counted in Dropped, never queued. While the
// broker is away nothing is published either (counted the same way): raw advertisements
// are live data, and the MQTT offline queue is for the readings.
// When the proxy is off the gateway holds no BleProxy on its advertisement path at all
// (Gateway.proxying is undefined): the cost there is one field check.

import { normalizeMac, toHex } from '../bytes/hex.js';
import type { Advertisement } from './registry.js';

/** Advertisements published per second at most, over all devices. */
export const PROXY_RATE = 20;
/** How many may go out back to back before the rate applies. */
export const PROXY_BURST = 20;
/** Chosen devices at most (a list longer than this is refused). */
export const PROXY_MAX_MACS = 32;

/** The persisted setting: 0 off, 1 every sender, or the chosen MACs (12 upper-case hex digits each). */
export type ProxyMode = 0 | 1 | string[];

/** Why `value` (from settings.json or a command) is not a ProxyMode, or undefined. */
export function proxyModeProblem(value: unknown): string | undefined {
  if (value === 0 || value === 1) return undefined;
  if (!Array.isArray(value)) return 'proxy must be 0, 1 or a list of MACs';
  if (value.length === 0 || value.length > PROXY_MAX_MACS) return `proxy lists 1-${PROXY_MAX_MACS} MACs, got ${value.length}`;
  for (const mac of value) {
    if (typeof mac !== 'string' || !/^[0-9A-F]{12}$/.test(mac)) return `proxy: "${String(mac).slice(0, 20)}" is not a MAC (12 upper-case hex digits)`;
  }
  if (new Set(value).size !== value.length) return 'proxy lists a MAC twice';
  return undefined;
}

/**
 * `MI32Proxy` argument → mode: "0" / "off", "1" / "on", or MACs separated by spaces or
 * commas (any common notation). Returns an error text for anything else.
 */
export function parseProxyArgument(arg: string): ProxyMode | string {
  if (arg === '0' || /^off$/i.test(arg)) return 0;
  if (arg === '1' || /^on$/i.test(arg)) return 1;
  const words = arg.split(/[\s,;]+/).filter(Boolean);
  if (words.length > PROXY_MAX_MACS) return `at most ${PROXY_MAX_MACS} MACs, got ${words.length}`;
  const macs: string[] = [];
  for (const word of words) {
    const mac = normalizeMac(word);
    if (!mac) return `"${JSON.stringify(word.slice(0, 20)).slice(1, -1)}" is not a MAC (12 hex digits); use 0 (off), 1 (every device) or MACs`;
    if (!macs.includes(mac)) macs.push(mac);
  }
  return macs;
}

/** One tele/<topic>/BLE payload. The MAC comes from the radio stack (12 hex digits); quoted anyway. */
export function proxyMessage(adv: Advertisement): string {
  return '{"mac":' + JSON.stringify(adv.mac) + ',"addrType":' + (adv.addrType ?? 0) + ',"rssi":' + adv.rssi + ',"ad":"' + toHex(adv.ad) + '"}';
}

export class BleProxy {
  /** What is proxied: every sender, or the chosen MACs. */
  private chosen: ReadonlySet<string> | undefined;
  private tokens = PROXY_BURST;
  private refilledAt: number | undefined;
  /** Published and dropped (over the rate) since start. */
  readonly counts = { sent: 0, dropped: 0 };

  constructor(
    private readonly publish: (payload: string) => void,
    private readonly now: () => number,
    mode: Exclude<ProxyMode, 0>,
    private readonly online: () => boolean = () => true,
  ) {
    this.chosen = mode === 1 ? undefined : new Set(mode);
  }

  /** Publish `adv` when it is one of ours and the rate allows. */
  offer(adv: Advertisement): void {
    const chosen = this.chosen;
    if (chosen !== undefined && !chosen.has(adv.mac)) return;
    const now = this.now();
    // Token bucket: PROXY_RATE tokens a second, at most PROXY_BURST kept.
    if (this.refilledAt !== undefined && now > this.refilledAt) {
      this.tokens = Math.min(PROXY_BURST, this.tokens + ((now - this.refilledAt) * PROXY_RATE) / 1000);
    }
    this.refilledAt = now;
    if (this.tokens < 1 || !this.online()) {
      this.counts.dropped++;
      return;
    }
    this.tokens--;
    this.counts.sent++;
    this.publish(proxyMessage(adv));
  }
}
