// The device entry (manifest "main"): wires the portable core to the Moddable adapters,
// as host-sim/run-command.ts does on Node. Only wiring lives here.
//
// Build-time settings come from mc/config (manifest "config", overridable on the mcconfig
// line: mqttHost=... mqttPort=... mqttUser=... mqttPassword=... mqttTls=1 topic=...
// serialConsole=1 logLevel=debug slots=...); MqttHost/Port/User/Password and Topic set at
// run time are kept in the Store and win over them. `slots` (registry size, default 64)
// only at build time: what a chip can hold is in README "Performance".

import config from "mc/config";
import { Gateway, type MqttPort } from "core/gateway/gateway";
import { linkMqttClient, retireMqttClient } from "core/gateway/mqtt-link";
import { slotCount } from "core/gateway/validate";
import { MqttClient } from "core/mqtt/client";
import type { TlsOptions } from "core/host";
import { createModdableAes } from "mi32/aes";
import { createClock } from "mi32/clock";
import { createConsole } from "mi32/console";
import { createLog } from "mi32/log";
import { MqttSettings, type Reply } from "mi32/mqtt-settings";
import { createNet } from "mi32/net";
import { moddableRandom } from "mi32/random";
import { createScanner } from "mi32/scanner";
import { FileStore } from "mi32/store";
import { createGattLink } from "mi32/gatt";
import { ScriptRuntime } from "core/script/runtime";
import { createCompartmentScriptHost } from "core/script/compartment-host";
import { decodeText } from "mi32/text";
import { startWifi } from "mi32/wifi";

const text = (value: unknown, fallback = ""): string => (typeof value === "string" ? value : typeof value === "number" ? String(value) : fallback);
const flag = (value: unknown): boolean => value === true || value === 1 || value === "1" || value === "true";

let gateway: Gateway | undefined;
const consoleIo = createConsole({ onLine: (line) => runLine(line) });
const log = createLog((line) => consoleIo.write(line), config.logLevel === "debug");
consoleIo.write("mi32-xs starting");

const clock = createClock(log);
const net = createNet(log);
const store = new FileStore(text(config.file?.root, "/") + "mi32/");

const brokerDefaults = {
  host: text(config.mqttHost),
  port: Number(text(config.mqttPort, "0")) || (flag(config.mqttTls) ? 8883 : 1883),
  user: text(config.mqttUser),
  password: text(config.mqttPassword),
};
const broker = new MqttSettings(store, brokerDefaults, log, () => connect());

// A build-time topic is a default: once Topic was set at run time (settings.json), that wins.
const buildTopic = text(config.topic);
const telePeriod = Number(text(config.telePeriod, "NaN"));
const registrySize = slotCount(config.slots);
if (registrySize.problem) log.warn(`mc/config: ${registrySize.problem}`);
gateway = new Gateway({
  clock, store, log, aes: createModdableAes(),
  console: (line) => consoleIo.write(line),
  setActiveScan: (active) => scanner.start(active),
  topicChanged: () => connect(),
  // NimBLE refuses to connect while scanning: the core pauses the scan around connections.
  gatt: createGattLink(log),
  scan: { pause: () => scanner.stop(), resume: () => scanner.start(gw.options.activeScan === 1) },
}, {
  ...(buildTopic && !store.exists("settings.json") ? { topic: buildTopic } : {}),
  ...(Number.isInteger(telePeriod) && !store.exists("settings.json") ? { telePeriod } : {}),
}, registrySize.slots);
const gw: Gateway = gateway;

const scanner = createScanner({
  deliver: (adv) => gw.handleAdvertisement(adv),
  log, store,
  capture: text(config.capture, "capture.jsonl"),
  speed: Number(text(config.replaySpeed, "1")),
});

// --- MQTT ---------------------------------------------------------------------------

let client: MqttClient | undefined;

const mqttPort: MqttPort = {
  publish: (topic, payload, options) => client?.publish(topic, payload, options),
  subscribe: (filter, handler) => client?.subscribe(filter, (topic, payload) => {
    const command = topic.slice(topic.lastIndexOf("/") + 1);
    const reply = broker.handle(command, decodeText(payload));
    if (reply) answer(reply, "mqtt", command);
    else handler(topic, decodeText(payload));
  }),
  unsubscribe: (filter) => client?.unsubscribe(filter),
  dropped: () => client?.stats.dropped ?? 0,
};

function connect(): void {
  const old = client;
  client = undefined;
  if (old) retireMqttClient(old);
  const b = broker.settings;
  if (!b.host) {
    log.info("MQTT off: no broker (MqttHost, or mqttHost=... on the mcconfig line)");
    return;
  }
  const tls: TlsOptions | undefined = flag(config.mqttTls) ? caOption() : undefined;
  try {
    const next = new MqttClient({ net, clock, random: moddableRandom, log }, {
      host: b.host, port: b.port,
      ...(b.user ? { username: b.user, password: b.password || undefined } : {}),
      ...(tls ? { tls } : {}),
      will: gw.will(),
      // Sized for an ESP32 heap, not a desktop (core defaults: 200 messages / 64 KB).
      queue: { maxMessages: 64, maxBytes: 16384 },
      maxPayloadBytes: 8192,
      maxIncomingPacketBytes: 8192,
    });
    client = next;
    linkMqttClient(gw, next, log, `${b.host}:${b.port}`);
    gw.attachMqtt(mqttPort);
    next.connect();
  } catch (e) {
    log.error(`MQTT settings rejected: ${(e as Error).message}`);
  }
}

/** TLS: the CA from the Store (mqtt-ca.pem) if there is one, else Moddable's built-in CA list. */
function caOption(): TlsOptions {
  const pem = store.read("mqtt-ca.pem");
  return pem ? { ca: decodeText(pem) } : {};
}

// --- console ------------------------------------------------------------------------

function runLine(line: string): void {
  if (!line.trim() || !gateway) return;
  const reply = broker.handle(line);
  if (reply) answer(reply, "console", line);
  else gateway.command(line, "console");
}

/** Our own commands' replies go where the core sends its replies: console and stat/<topic>/RESULT. */
function answer(reply: Reply, source: "console" | "mqtt", what: string): void {
  const json = JSON.stringify(reply);
  consoleIo.write(json);
  try {
    client?.publish(gw.topicOf("stat", "RESULT"), json, { qos: 0 });
  } catch (e) {
    log.error(`publish RESULT failed: ${(e as Error).message}`);
  }
  if (source !== "console") log.info(`${source} command ${what.replace(/\s.*/, "")} -> ${json}`);
}

// --- start --------------------------------------------------------------------------

gw.start();
// User scripts: autoexec.js in the Store (ScriptSave stores it), each in its own Compartment;
// the first load locks the built-ins down (compartment-host.ts), or reports that it cannot and runs none.
const scriptHost = createCompartmentScriptHost();
if (scriptHost) {
  new ScriptRuntime({ host: scriptHost, gateway: gw, clock, log, console: (line) => consoleIo.write(line), store }).loadStored();
} else {
  log.warn("scripts off: this XS build has no Compartment");
}
scanner.start(gw.options.activeScan === 1);
startWifi({ ssid: text(config.ssid) || undefined, password: text(config.password) || undefined, log });
connect();
