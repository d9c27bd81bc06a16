// How a host ties an MQTT client to the gateway; the same on the device and in host-sim.

import type { Log } from '../host.js';
import type { MqttClient } from '../mqtt/client.js';
import type { Gateway } from './gateway.js';

/** LWT "Online" on every (re)connect, and the client's troubles in the log. */
export function linkMqttClient(gateway: Gateway, client: MqttClient, log: Log, brokerName: string): void {
  client.on('connect', () => {
    log.info(`MQTT connected to ${brokerName} as ${client.clientId}; topic ${gateway.topic}`);
    gateway.mqttConnected();
  });
  client.on('error', (e) => log.warn(`MQTT: ${e.message}`));
  client.on('close', (e) => {
    if (e) log.warn(`MQTT connection lost: ${e.message}; reconnecting`);
  });
  client.on('drop', (n) => log.warn(`MQTT offline queue full: ${n} oldest messages dropped`));
}

/** Replacing a client (new topic or broker): a clean stop sends no Will, so say "Offline" first. */
export function retireMqttClient(client: MqttClient): void {
  if (client.options.will) client.publish(client.options.will.topic, 'Offline', { retain: true, qos: 1 });
  client.end();
}
