// The MQTT side the gateway and its parts (group.ts, discovery, the outbox) publish through:
// apart from gateway.ts so that those parts need not import the gateway.

/** What the gateway needs from an MQTT client (the core MqttClient fits through a small adapter). */
export interface MqttPort {
  /** `reading`: a SENSOR message, kept through an outage (outbox.ts) when store-and-forward is on. */
  publish(topic: string, payload: string, options?: { retain?: boolean; qos?: 0 | 1; reading?: boolean }): void;
  subscribe(filter: string, handler: (topic: string, payload: string) => void): void;
  unsubscribe(filter: string): void;
  /** Messages the client's offline queue dropped so far. */
  dropped(): number;
  /** Whether the broker is connected now; absent = assume so. Live-only traffic (MI32Proxy) is not queued while it is away. */
  connected?(): boolean;
}
