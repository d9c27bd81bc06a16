// The client's public types: the ports it needs, callbacks, options per call, events.

import type { Clock, Log, Net, Random } from '../host.js';
import type { MqttError } from './errors.js';
import type { PublishPacket } from './packets.js';
import type { SubackCallback } from './subscriptions.js';

export type { MessageHandler, SubackCallback } from './subscriptions.js';

export interface MqttClientPorts {
  net: Net;
  clock: Clock;
  random: Random;
  log?: Log;
}

/** Called once per message: no error when delivered (QoS 1: PUBACK; QoS 0: written), else why it was not. */
export type DeliveryCallback = (error?: MqttError) => void;

export interface PublishOptions { qos?: 0 | 1; retain?: boolean }
export interface SubscribeOptions {
  qos?: 0 | 1;
  /** First SUBACK for this call: the granted QoS, or an error when the broker refused the filter. */
  onSuback?: SubackCallback;
}

export type MqttClientState = 'idle' | 'connecting' | 'connected' | 'waiting' | 'stopped' | 'ended';

export interface MqttClientEvents {
  [name: string]: unknown[];
  connect: [info: { sessionPresent: boolean }];
  /** A connection that had reached CONNACK is gone; `error` says why unless it was end(). */
  close: [error?: MqttError];
  /** Connection failures, refusals, protocol violations, refused subscriptions. */
  error: [error: MqttError];
  /** The next attempt is scheduled after `delayMs`. */
  reconnect: [info: { attempt: number; delayMs: number }];
  message: [topic: string, payload: Uint8Array, packet: PublishPacket];
  /** Messages evicted from the full offline queue (oldest first); `stats.dropped` counts them all. */
  drop: [count: number];
}
