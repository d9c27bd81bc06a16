// The GATT client's link as an explicit state machine (the table is in ./README.md).
// One link at a time; the state says whether there is one and how far it got. Which
// request runs is the queue's business (client.ts); scanning and the idle timer follow
// from the state and the queue, and `gattInvariants` says exactly how.

import type { GattCharacteristic, GattConnection, GattService } from '../host.js';

/** One connection to one peer, and what was discovered on it. */
export interface Session {
  readonly mac: string;
  services?: GattService[];
  readonly characteristics: Map<string, GattCharacteristic[]>;
  readonly byHandle: Map<number, GattCharacteristic>;
  readonly subscribed: Set<number>;
  /** The link was made with `bond` (encrypted with the peer's bond; see GattPeer). */
  readonly bonded: boolean;
}

export function newSession(mac: string, bonded = false): Session {
  return { mac, characteristics: new Map(), byHandle: new Map(), subscribed: new Set(), bonded };
}

export type LinkState =
  /** No link, none being made. */
  | { readonly name: 'idle' }
  /** `GattLink.connect` was called; waiting for onConnect / onConnectFailed / the connect timeout. */
  | { readonly name: 'connecting'; readonly session: Session }
  /** The link is up: requests for this peer run on it. */
  | { readonly name: 'ready'; readonly session: Session; readonly connection: GattConnection }
  /** We asked the link to go down; `confirm` ends the disconnect step when onDisconnect comes. */
  | { readonly name: 'closing'; readonly session: Session; readonly connection: GattConnection; readonly confirm: () => void };

export type LinkStateName = LinkState['name'];

/**
 * The transitions the client may make. Everything else is a bug; `GattClient.enter`
 * refuses it. `→ idle` from every state: a failed or timed-out connect, the peer
 * dropping the link, our disconnect confirmed or given up, the client closed.
 */
export const TRANSITIONS: Readonly<Record<LinkStateName, readonly LinkStateName[]>> = {
  idle: ['connecting'],
  connecting: ['ready', 'idle'],
  ready: ['closing', 'idle'],
  closing: ['idle'],
};

/** What the invariants look at: the client's fields, read without touching anything. */
export interface GattSnapshot {
  state: LinkStateName;
  /** A request (or the idle link's close) is being run. */
  running: boolean;
  queued: number;
  /** A link step (connect, discovery, read, ..., disconnect) has its timeout armed. */
  stepActive: boolean;
  idleTimerArmed: boolean;
  scanPaused: boolean;
  /** GattLink.pausesScan. */
  linkPausesScan: boolean;
  subscriptions: number;
}

/**
 * What must hold between any two events (after each transition and whenever the client
 * is quiet). Returns what is wrong, empty when all holds.
 */
export function gattInvariants(s: GattSnapshot): string[] {
  const wrong: string[] = [];
  const check = (ok: boolean, what: string) => { if (!ok) wrong.push(what); };
  // A link being made or open holds the radio when the link says so (the ESP32's single radio).
  if (s.state === 'connecting' || s.state === 'ready') check(s.scanPaused === s.linkPausesScan, `${s.state}: scan paused iff the link pauses scan`);
  // Only a request makes or closes a link; nothing waits while nothing runs.
  check(s.running || (s.state !== 'connecting' && s.state !== 'closing'), `${s.state} with no request running`);
  check(s.running || s.queued === 0, 'requests queued while nothing runs');
  check(s.running || !s.stepActive, 'a step armed while nothing runs');
  // Scanning comes back as soon as there is no link and nothing left to do.
  check(!(s.state === 'idle' && !s.running && s.scanPaused), 'idle and quiet, but scan still paused');
  // The idle timer runs only on an open, unsubscribed link with nothing to do.
  check(!s.idleTimerArmed || (s.state === 'ready' && !s.running && s.queued === 0 && s.subscriptions === 0), 'idle timer armed on a busy, subscribed or absent link');
  return wrong;
}
