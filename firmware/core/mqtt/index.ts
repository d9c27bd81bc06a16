// The MQTT client's public surface, for the gateway application.

export { MqttClient } from './client.js';
export type {
  DeliveryCallback, MessageHandler, MqttClientEvents, MqttClientPorts, MqttClientState, PublishOptions, SubackCallback, SubscribeOptions,
} from './types.js';
export type { MqttClientOptions, WillOptions } from './options.js';
export type { BackoffOptions } from './backoff.js';
export { MqttConnectionRefusedError, MqttError, type MqttErrorCode } from './errors.js';
export { topicMatches, validateTopicFilter, validateTopicName } from './topic.js';
export { utf8Decode, utf8Encode } from './utf8.js';
