// Broker settings at run time (MqttHost, MqttPort, MqttUser, MqttPassword, MqttTls): the
// portable implementation in core/mqtt/broker-settings, shared with the simulator. The
// device's defaults come from mc/config (main.ts); a change reconnects.

export { MqttSettings, type BrokerSettings, type BrokerChanges, type BrokerView } from "core/mqtt/broker-settings";
