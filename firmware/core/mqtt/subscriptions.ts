// The client's subscriptions: which handlers listen to which filter, which filters the
// broker has confirmed in this session, and who waits for a SUBACK. Kept across
// reconnects so a new session can be given the same subscriptions.

import { MqttError } from './errors.js';
import type { PublishPacket } from './packets.js';
import { topicMatches } from './topic.js';

export type MessageHandler = (topic: string, payload: Uint8Array, packet: PublishPacket) => void;
export type SubackCallback = (error: MqttError | undefined, grantedQos?: number) => void;

interface Entry {
  qos: 0 | 1;
  handlers: Set<MessageHandler>;
  /** The broker confirmed this filter at this QoS in the current session. */
  acked: boolean;
}

export class SubscriptionTable {
  private readonly entries = new Map<string, Entry>();
  private readonly waiters = new Map<string, SubackCallback[]>();
  /** Filters dropped while offline; a resumed session on the broker still has them. */
  private readonly droppedOffline = new Set<string>();

  /** Adds a handler; returns true when the broker must be (re)told about the filter. */
  add(filter: string, handler: MessageHandler, qos: 0 | 1, onSuback?: SubackCallback): boolean {
    this.droppedOffline.delete(filter);
    const entry = this.entries.get(filter);
    if (entry) {
      entry.handlers.add(handler);
      if (entry.qos === qos && entry.acked) {
        onSuback?.(undefined, qos);
        return false;
      }
      entry.qos = qos;
      entry.acked = false;
    } else {
      this.entries.set(filter, { qos, handlers: new Set([handler]), acked: false });
    }
    if (onSuback) this.waiters.set(filter, [...(this.waiters.get(filter) ?? []), onSuback]);
    return true;
  }

  /** Removes one handler (or all); returns true when the filter is gone and the broker must be told. */
  remove(filter: string, handler: MessageHandler | undefined, online: boolean): boolean {
    const entry = this.entries.get(filter);
    if (!entry) return false;
    if (handler) entry.handlers.delete(handler);
    if (handler && entry.handlers.size > 0) return false;
    this.entries.delete(filter);
    if (!online) this.droppedOffline.add(filter);
    return online;
  }

  qosOf(filter: string): 0 | 1 | undefined { return this.entries.get(filter)?.qos; }

  /** A SUBACK for `filter` requested at `qos`. Returns the refusal error, if it was refused. */
  onSuback(filter: string, qos: 0 | 1, code: number): MqttError | undefined {
    const entry = this.entries.get(filter);
    const waiters = this.waiters.get(filter) ?? [];
    this.waiters.delete(filter);
    if (code === 0x80) {
      const error = new MqttError('subscribe-refused', `broker refused the subscription to "${filter}"`);
      for (const waiter of waiters) waiter(error);
      return error;
    }
    if (entry && entry.qos === qos) entry.acked = true;
    for (const waiter of waiters) waiter(undefined, code);
    return undefined;
  }

  /** After CONNACK: filters to SUBSCRIBE and to UNSUBSCRIBE for this session. */
  forNewSession(sessionPresent: boolean): { subscribe: string[]; unsubscribe: string[] } {
    const subscribe: string[] = [];
    for (const [filter, entry] of this.entries) {
      if (!sessionPresent) entry.acked = false;
      if (!entry.acked) subscribe.push(filter);
    }
    const unsubscribe = sessionPresent ? [...this.droppedOffline] : [];
    this.droppedOffline.clear();
    return { subscribe, unsubscribe };
  }

  /** Calls every handler whose filter matches; a handler that throws is reported, the rest still run. */
  dispatch(packet: PublishPacket, onHandlerError: (filter: string, error: unknown) => void): void {
    for (const [filter, entry] of this.entries) {
      if (!topicMatches(filter, packet.topic)) continue;
      for (const handler of [...entry.handlers]) {
        try {
          handler(packet.topic, packet.payload, packet);
        } catch (error) {
          onHandlerError(filter, error);
        }
      }
    }
  }

  /** end(): nobody will get a SUBACK any more. */
  clearWaiters(): void { this.waiters.clear(); }
}
