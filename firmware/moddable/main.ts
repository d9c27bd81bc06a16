// The device entry (manifest "main"): hands the Moddable adapters and the build's settings
// to the app composition in the core (core/gateway/app.ts), which does what host-sim does
// on Node with its own adapters. Only device parts live here: Wi-Fi, the serial console,
// the scanner, the broker settings (MqttHost/Port/User/Password) and the Worker script host.
//
// Build-time settings come from mc/config (manifest "config", overridable on the mcconfig
// line: mqttHost=... mqttPort=... mqttUser=... mqttPassword=... mqttTls=1 topic=...
// serialConsole=1 logLevel=debug slots=...); MqttHost/Port/User/Password and Topic set at
// run time are kept in the Store and win over them. `slots` (registry size, default 64)
// only at build time: what a chip can hold is in README "Performance".

import config from "mc/config";
import { createGatewayApp, type BrokerOptions, type GatewayApp } from "core/gateway/app";
import { slotCount } from "core/gateway/validate";
import type { ByteSource, TlsOptions } from "core/host";
import { createModdableAes } from "mi32/aes";
import { createClock } from "mi32/clock";
import { createConsole } from "mi32/console";
import { createLog } from "mi32/log";
import { MqttSettings } from "mi32/mqtt-settings";
import { createNet } from "mi32/net";
import { moddableRandom } from "mi32/random";
import { createScanner } from "mi32/scanner";
import { FileStore } from "mi32/store";
import { createGattLink } from "mi32/gatt";
import { createGpsSource } from "mi32/gps";
import { createHttpClient } from "mi32/http-client";
import { createDeviceScriptHost } from "mi32/script-host";
import { decodeText } from "mi32/text";
import { LogRing } from "core/web/events";
import type { WebServer } from "core/web/web-server";
import { startDeviceWeb } from "mi32/device-web";
import { WifiSettings } from "mi32/wifi-settings";
import Net from "net";
import type { HomeKitBridge } from "core/homekit/bridge";
import { homeKitCommand } from "core/homekit/commands";
import { startDeviceHomeKit } from "mi32/homekit";
import { createTcpServer } from "mi32/tcp-server";

const text = (value: unknown, fallback = ""): string => (typeof value === "string" ? value : typeof value === "number" ? String(value) : fallback);
const flag = (value: unknown): boolean => value === true || value === 1 || value === "1" || value === "true";

/** Set once the app is composed: a console line that arrives earlier is ignored (not a ReferenceError). */
let app: GatewayApp | undefined;
/** The web page, once started (its WebPassword command comes after the device's own). */
let web: WebServer | undefined;
let homekit: HomeKitBridge | undefined;
const consoleIo = createConsole({ onLine: (line) => { if (line.trim() && app) app.command(line, "console"); } });
// The web console shows the last log lines: the log is teed into its ring.
const logRing = new LogRing();
const log = logRing.tee(createLog((line) => consoleIo.write(line), config.logLevel === "debug"));
consoleIo.write("mi32-xs starting");

const clock = createClock(log);
const store = new FileStore(text(config.file?.root, "/") + "mi32/");

const brokerDefaults = {
  host: text(config.mqttHost),
  port: Number(text(config.mqttPort, "0")) || (flag(config.mqttTls) ? 8883 : 1883),
  user: text(config.mqttUser),
  password: text(config.mqttPassword),
  tls: flag(config.mqttTls),
};
// A changed MqttHost/Port/User/Password/Tls: a new connection to the new broker (the old one retired cleanly).
const broker = new MqttSettings(store, brokerDefaults, log, () => app?.connect());

/** The broker as the settings say now, or why MQTT is off. */
function brokerOptions(): BrokerOptions | string {
  const b = broker.settings;
  if (!b.host) return "no broker (MqttHost, or mqttHost=... on the mcconfig line)";
  const tls: TlsOptions | undefined = b.tls ? caOption() : undefined;
  return {
    host: b.host, port: b.port,
    ...(b.user ? { username: b.user, password: b.password || undefined } : {}),
    ...(tls ? { tls } : {}),
    // Sized for an ESP32 heap, not a desktop (core defaults: 200 messages / 64 KB).
    queue: { maxMessages: 64, maxBytes: 16384 },
    maxPayloadBytes: 8192,
    maxIncomingPacketBytes: 8192,
  };
}

/** TLS: the CA from the Store (mqtt-ca.pem) if there is one, else Moddable's built-in CA list. */
function caOption(): TlsOptions {
  const pem = store.read("mqtt-ca.pem");
  return pem ? { ca: decodeText(pem) } : {};
}

// A build-time topic is a default: once Topic was set at run time (settings.json), that wins.
const buildTopic = text(config.topic);
const telePeriod = Number(text(config.telePeriod, "NaN"));
const scanner = createScanner({
  deliver: (adv) => gatewayApp.gateway.handleAdvertisement(adv),
  log, store,
  capture: text(config.capture, "capture.jsonl"),
  speed: Number(text(config.replaySpeed, "1")),
});

const registrySize = slotCount(config.slots);
if (registrySize.problem) log.warn(`mc/config: ${registrySize.problem}`);

const gatewayApp: GatewayApp = createGatewayApp({
  clock, store, log, aes: createModdableAes(), net: createNet(log), random: moddableRandom,
  console: (line) => { consoleIo.write(line); logRing.add(line); },
  setActiveScan: (active) => { if (gatewayApp.gateway.management.scanning) scanner.start(active); },
  // MI32Mode off: the scanner stops (and GATT's resume below leaves it off).
  setScanning: (on) => (on ? scanner.start(gatewayApp.gateway.options.activeScan === 1) : scanner.stop()),
  http: createHttpClient(log),
  // NimBLE refuses to connect while scanning: the core pauses the scan around connections.
  gatt: createGattLink(log),
  // MI32Scooter/MI32Activate run Mi authentication on the core's portable P-256/SHA-256 (no authCrypto port here).
  ...gpsPort(createGpsSource()),
  scan: { pause: () => scanner.stop(), resume: () => { if (gatewayApp.gateway.management.scanning) scanner.start(gatewayApp.gateway.options.activeScan === 1); } },
  // User scripts: autoexec.js in the Store (ScriptSave stores it), each in its own sandbox machine
  // (a Worker with its own heap) under a watchdog that stops a script that does not come back (script-host.ts).
  scriptHost: createDeviceScriptHost(clock),
  hostCommand: (line, argument, source) => broker.handle(line, argument, source) ?? web?.hostCommand(line, argument, source)
    ?? (homekit && homeKitCommand(homekit, line, argument, source ?? "console")),
  decodeText,
}, {
  settings: {
    ...(buildTopic && !store.exists("settings.json") ? { topic: buildTopic } : {}),
    ...(Number.isInteger(telePeriod) && !store.exists("settings.json") ? { telePeriod } : {}),
  },
  // Registry size from slots= on the mcconfig line (checked; 64 otherwise): README "Performance" says what each chip holds.
  slots: registrySize.slots,
  broker: brokerOptions,
});
app = gatewayApp;

function gpsPort(gps: ByteSource | undefined): { gps?: ByteSource } {
  return gps ? { gps } : {};
}

gatewayApp.start();
if (gatewayApp.gateway.management.scanning) scanner.start(gatewayApp.gateway.options.activeScan === 1);
// The web page (httpPort=, default 80), and Wi-Fi: the network set on the page, else the build's; an access point when none works.
web = startDeviceWeb({
  app: gatewayApp, store, log, clock, aes: createModdableAes(), logRing,
  wifi: new WifiSettings(store, { ssid: text(config.ssid) || undefined, password: text(config.password) || undefined }, log),
  mqtt: { view: () => broker.view("TLS checks the broker with mqtt-ca.pem if stored, else Moddable's built-in CA list"), update: (changes) => broker.update(changes) },
  port: Number(text(config.httpPort, "80")) || 80,
  historyDevices: Math.min(registrySize.slots, Number(text(config.historyDevices, "16")) || 16),
  apName: "mi32-xs", apPassword: text(config.apPassword) || undefined,
});
// The HomeKit bridge (homekit=0 on the mcconfig line leaves it out): port 51826, advertised by mDNS.
if (text(config.homekit, "1") !== "0") {
  homekit = startDeviceHomeKit(gatewayApp, { tcp: createTcpServer(log), clock, log, store, random: moddableRandom }, { mac: Net.get("MAC") ?? "00:00:00:00:00:00" });
}
gatewayApp.connect();
