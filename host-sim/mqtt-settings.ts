// The simulator's broker settings: --broker (or the embedded broker) is the default, and
// what the user sets with MqttHost/MqttPort/MqttUser/MqttPassword/MqttTls (console, MQTT,
// /cm or the settings page) is saved in DIR/mqtt.json, used at the next connect and, at
// the next start, over --broker field by field ("MqttHost 1" etc. go back to --broker's).

import type { BrokerOptions } from '../firmware/core/gateway/app.js';
import type { Log, Store } from '../firmware/core/host.js';
import { MqttSettings, type BrokerSettings } from '../firmware/core/mqtt/broker-settings.js';
import { parseBrokerUrl } from '../firmware/core/mqtt/options.js';

export interface SimBroker {
  settings: MqttSettings;
  /** The broker for the next connection, or why there is none. */
  options(): BrokerOptions | string;
  /** host:port as the next connection will use it (no user or password), for messages. */
  describe(): string;
}

/** `url` is --broker or the embedded broker's (checked already); `ca` is --ca's PEM, used when TLS is on. */
export function simBroker(store: Store, url: string, ca: string | undefined, log: Log, reconnect: () => void): SimBroker {
  const b = parseBrokerUrl(url);
  const defaults: BrokerSettings = { host: b.host, port: b.port ?? (b.tls ? 8883 : 1883), user: b.username ?? '', password: b.password ?? '', tls: b.tls };
  const settings = new MqttSettings(store, defaults, log, reconnect);
  if (settings.customised) log.info(`MQTT: broker settings saved in the data folder (mqtt.json) are used over ${b.tls ? 'mqtts' : 'mqtt'}://${b.host}:${defaults.port} (MqttHost 1, MqttPort 1, ... go back to it)`);
  return {
    settings,
    options() {
      const s = settings.settings;
      if (!s.host) return 'no broker (MqttHost 0 cleared it; MqttHost 1 goes back to --broker)';
      return {
        host: s.host, port: s.port,
        tls: s.tls ? (ca ? { ca } : true) : false,
        ...(s.user ? { username: s.user, ...(s.password ? { password: s.password } : {}) } : {}),
      };
    },
    describe() {
      const s = settings.settings;
      return `${s.tls ? 'mqtts' : 'mqtt'}://${s.host.includes(':') ? `[${s.host}]` : s.host}:${s.port}`;
    },
  };
}
