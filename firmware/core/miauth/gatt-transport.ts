// Mi authentication and the scooter's UART over the core's GATT client: subscriptions to
// 0x0010/0x0019 (and the UART's RX), writes without response, and the notifications the
// client reports as events, queued per characteristic until a flow asks for them.
// A link the client lost (or gave to another peer) is never silently remade here: every
// write checks that the client is still connected to this peer.

import type { Clock, TimerHandle } from '../host.js';
import type { GattClient, GattRequest, GattResult } from '../gatt/client.js';
import { GATT_ERROR, GATT_OP } from '../gatt/codes.js';
import { MiAuthError, type MiChannel, type MiTransport } from './flow.js';
import { chunks, UartReassembler } from './uart.js';

export const MI_GATT = {
  service: '0000fe95-0000-1000-8000-00805f9b34fb',
  upnp: '00000010-0000-1000-8000-00805f9b34fb',
  avdtp: '00000019-0000-1000-8000-00805f9b34fb',
  uartService: '6e400001-b5a3-f393-e0a9-e50e24dcca9e',
  uartTx: '6e400002-b5a3-f393-e0a9-e50e24dcca9e',
  uartRx: '6e400003-b5a3-f393-e0a9-e50e24dcca9e',
} as const;

type Channel = MiChannel | 'uart';
/** Packets kept per channel while nobody waits: the handshake never has more in flight. */
const QUEUE_LIMIT = 32;

export class MiGattLink implements MiTransport {
  private readonly handles = new Map<number, Channel>();
  private readonly queues: Record<Channel, Uint8Array[]> = { upnp: [], avdtp: [], uart: [] };
  private readonly waiters: Partial<Record<Channel, { resolve: (p: Uint8Array) => void; reject: (e: Error) => void; timer: TimerHandle }>> = {};
  private readonly uart = new UartReassembler();
  /** The link went down (or went to another peer) since open(); when it was noticed. */
  lost = false;
  lostAt: number | undefined;
  private opened = false;

  /** The subscriptions were made: the link was up (a failed connect is not a drop). */
  get wasOpen(): boolean {
    return this.opened;
  }

  constructor(
    private readonly gatt: GattClient, private readonly clock: Clock, readonly mac: string, private readonly addrType: number,
    private readonly onLost?: () => void,
  ) {}

  /** Connect (the client does it with the first request) and subscribe what the flows listen to. */
  async open(withUart: boolean): Promise<void> {
    await this.subscribe(MI_GATT.service, MI_GATT.upnp, 'upnp');
    await this.subscribe(MI_GATT.service, MI_GATT.avdtp, 'avdtp');
    if (withUart) await this.subscribe(MI_GATT.uartService, MI_GATT.uartRx, 'uart');
    this.opened = true;
  }

  /** Subscribe the UART only (a kept session on a new link needs no Mi-service notifications). */
  async openUart(): Promise<void> {
    await this.subscribe(MI_GATT.uartService, MI_GATT.uartRx, 'uart');
    this.opened = true;
  }

  private async subscribe(service: string, characteristic: string, channel: Channel): Promise<void> {
    const result = await this.request({ op: GATT_OP.subscribe, mac: this.mac, addrType: this.addrType, service, characteristic });
    for (const handle of result.handles ?? [result.handle]) this.handles.set(handle, channel);
  }

  write(channel: MiChannel, bytes: Uint8Array): Promise<void> {
    return this.writeTo(MI_GATT.service, channel === 'upnp' ? MI_GATT.upnp : MI_GATT.avdtp, bytes);
  }

  /** A UART frame, written in 20-byte pieces in order. */
  async writeUart(frame: Uint8Array): Promise<void> {
    for (const piece of chunks(frame)) await this.writeTo(MI_GATT.uartService, MI_GATT.uartTx, piece);
  }

  private async writeTo(service: string, characteristic: string, value: Uint8Array): Promise<void> {
    await this.request({ op: GATT_OP.write, mac: this.mac, addrType: this.addrType, service, characteristic, value, withResponse: false });
  }

  private request(req: GattRequest): Promise<GattResult> {
    if (this.lost || (this.opened && this.gatt.connectedTo !== this.mac)) {
      this.linkDown();
      return Promise.reject(new MiAuthError('link', 'the link is down'));
    }
    return new Promise((resolve, reject) => {
      try {
        this.gatt.submit(req, (r) => {
          if (r.error === GATT_ERROR.none) return resolve(r);
          if (r.error === GATT_ERROR.didDisconnect || r.error === GATT_ERROR.couldNotConnect) this.linkDown();
          reject(new MiAuthError('link', r.message));
        });
      } catch (e) {
        reject(new MiAuthError('link', (e as Error).message));
      }
    });
  }

  next(channel: MiChannel, timeoutMs: number): Promise<Uint8Array> {
    return this.take(channel, timeoutMs);
  }

  /** The next whole UART frame (55 AA / 55 AB), reassembled from the notifications. */
  nextUartFrame(timeoutMs: number): Promise<Uint8Array> {
    return this.take('uart', timeoutMs);
  }

  /** Frames that arrived unasked (a late reply to a poll that timed out) are dropped before a new request. */
  clearUart(): void {
    this.queues.uart.length = 0;
  }

  private take(channel: Channel, timeoutMs: number): Promise<Uint8Array> {
    const queued = this.queues[channel].shift();
    if (queued) return Promise.resolve(queued);
    if (this.lost) return Promise.reject(new MiAuthError('link', 'the link is down'));
    return new Promise((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        delete this.waiters[channel];
        reject(new MiAuthError('timeout', `no answer in ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters[channel] = { resolve, reject, timer };
    });
  }

  /** The GATT client's events for this peer: notifications and a dropped link. */
  onGattEvent(event: GattResult): void {
    if (event.mac !== this.mac) return;
    if (event.op === GATT_OP.disconnect) return this.linkDown();
    if (event.op !== GATT_OP.notification || !event.value) return;
    const channel = this.handles.get(event.handle);
    if (!channel) return;
    const packets = channel === 'uart' ? this.uart.push(event.value) : [event.value];
    for (const packet of packets) this.deliver(channel, packet);
  }

  private deliver(channel: Channel, packet: Uint8Array): void {
    const waiter = this.waiters[channel];
    if (waiter) {
      delete this.waiters[channel];
      this.clock.clearTimeout(waiter.timer);
      waiter.resolve(packet);
      return;
    }
    const queue = this.queues[channel];
    queue.push(packet);
    if (queue.length > QUEUE_LIMIT) queue.shift();
  }

  /** The link is gone: every wait ends now. */
  linkDown(): void {
    if (!this.lost) {
      this.lost = true;
      this.lostAt = this.clock.now();
      this.onLost?.();
    }
    for (const channel of ['upnp', 'avdtp', 'uart'] as const) {
      const waiter = this.waiters[channel];
      if (!waiter) continue;
      delete this.waiters[channel];
      this.clock.clearTimeout(waiter.timer);
      waiter.reject(new MiAuthError('link', 'the link dropped'));
    }
  }

  /** Close the link (when it is still ours) and end every wait. */
  close(): void {
    const ours = !this.lost && this.gatt.connectedTo === this.mac;
    this.linkDown();
    if (ours) {
      try {
        this.gatt.submit({ op: GATT_OP.disconnect, mac: this.mac }, () => {});
      } catch {
        // queue full: the idle timer closes it
      }
    }
  }
}
