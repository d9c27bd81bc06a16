// Errors the MQTT client reports. Every failure carries a stable `code` so the gateway
// (and tests) can tell "wrong password" from "broker went away" without parsing text.

export type MqttErrorCode =
  | 'invalid-options' // constructor / URL options that cannot work
  | 'invalid-topic' // empty topic, wildcard in a PUBLISH topic, bad filter
  | 'invalid-payload' // payload that is neither string nor bytes
  | 'payload-too-large' // payload over maxPayloadBytes
  | 'invalid-packet' // a packet we were asked to encode breaks the spec
  | 'malformed-packet' // bytes from the broker that are not valid MQTT 3.1.1
  | 'protocol-error' // a valid packet the broker must not send us (e.g. a second CONNACK)
  | 'packet-too-large' // a packet from the broker over maxIncomingPacketBytes
  | 'connection-refused' // CONNACK with a non-zero return code
  | 'connect-timeout' // no CONNACK in time
  | 'keepalive-timeout' // the broker stopped answering PINGREQ
  | 'connection-lost' // the socket closed (reset, refused, TLS failure, ...)
  | 'queue-overflow' // dropped from the offline queue to make room for newer messages
  | 'subscribe-refused' // SUBACK 0x80 for a filter
  | 'client-ended'; // end() was called before the message was delivered

export class MqttError extends Error {
  // A class field defines an own property; assigning `this.name` would throw on XS, where
  // Error.prototype is frozen after preload (Moddable's "strip": "*").
  override readonly name: string = 'MqttError';
  readonly code: MqttErrorCode;
  constructor(code: MqttErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** CONNACK return codes of MQTT 3.1.1 §3.2.2.3. */
export const CONNACK_REASONS: Readonly<Record<number, string>> = {
  1: 'unacceptable protocol version',
  2: 'identifier rejected',
  3: 'server unavailable',
  4: 'bad user name or password',
  5: 'not authorized',
};

/** The broker answered CONNECT with a refusal. `returnCode` is the CONNACK code (1..5, or unknown). */
export class MqttConnectionRefusedError extends MqttError {
  override readonly name: string = 'MqttConnectionRefusedError';
  readonly returnCode: number;
  constructor(returnCode: number) {
    const reason = CONNACK_REASONS[returnCode] ?? `unknown return code ${returnCode}`;
    super('connection-refused', `connection refused by broker: ${reason} (CONNACK ${returnCode})`);
    this.returnCode = returnCode;
  }
}
