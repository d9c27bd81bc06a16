// The gateway application: advertisements in, Tasmota topics out. It owns the registry,
// the options and settings, the teleperiod timer and the real-time batching, and runs
// console commands from any source. Everything platform-specific arrives as ports.

import type { AesEncryptBlock, AuthCrypto, ByteSource, Clock, GattLink, HttpClient, Log, Random, Store, TimerHandle } from '../host.js';
import { ActiveDevices, type ActiveDevicesPorts } from './active-devices.js';
import { Management } from '../manage/management.js';
import { GattClient, type GattResult, type GattTimeouts, type ScanControl } from '../gatt/client.js';
import { needsDecoding } from '../decode.js';
import { utf8Encode } from '../mqtt/utf8.js';
import { writeAtomic } from '../store/atomic.js';
import { readJsonObject } from '../store/json-file.js';
import { CommandError, type CommandTarget, type Options, type Reply, REPLY_LEAF, runCommand, SILENT } from './commands.js';
import type { CommandSource } from './command-target.js';
import { buildTopic, DEFAULT_FULLTOPIC, DEFAULT_GROUPTOPIC, fullTopicProblem } from './topics.js';
import { DEFAULT_SLOTS, DEFAULT_TELEPERIOD, telePeriodFrom, topicProblem } from './validate.js';
import { DEFAULT_TIME_DST, DEFAULT_TIME_STD, localTimeText, ruleOffsetAt, timeRuleProblem, TIMEZONE_RULES, timezoneProblem, type TimeRule } from './timezone.js';
import { loadConfig, saveConfig, type ConfigEntry } from './mi32cfg.js';
import { type Advertisement, type Outcome, Registry, type Slot } from './registry.js';
import type { Values } from '../decoders/types.js';
import { markSent, sensorMessage, sensorMessages } from './telemetry.js';
import { batteryCommand, clockCommand, unitCommand, type GattCommandContext } from './gatt-commands.js';
import { BleProxy, type ProxyMode } from './ble-proxy.js';
import { BleOps } from './ble-op.js';
import { checkBleSettings, type BleSettings } from './ble-commands.js';
import { GatewayGroup } from './group.js';
import { bufferBudgetProblem, DEFAULT_BUFFER_BYTES, Outbox } from './outbox.js';
import { CounterMarks } from './counter-marks.js';
import { Discovery } from './discovery.js';
import { WatchedSet } from './watched-set.js';

export type { MqttPort } from './mqtt-port.js';
import type { MqttPort } from './mqtt-port.js';

export interface GatewayPorts {
  clock: Clock;
  store: Store;
  log: Log;
  aes: AesEncryptBlock;
  /** Replies and notable events for the console (serial / stdout). */
  console?: (line: string) => void;
  /** Called when MI32Option4 changes: restart the scan passive or active. */
  setActiveScan?: (active: boolean) => void;
  /** Called when Topic or FullTopic changes: the MQTT connection must be remade (the Will names the topic); the gateway moves its subscriptions itself. */
  topicChanged?: (topic: string) => void;
  /** The radio as a GATT client; without it MI32Battery/Time/Unit and BLE.run report that. */
  gatt?: GattLink;
  /** Pauses and resumes scanning around connections when the link needs it. */
  scan?: ScanControl;
  gattTimeouts?: Partial<GattTimeouts>;
  /** The GATT client's clock when it is not `clock` (host-sim replays on capture time; connections run on the wall clock). */
  gattClock?: Clock;
  /** Mi authentication (MI32Scooter, MI32Activate): random keys and nonces, native crypto when the platform has it. */
  random?: Random;
  authCrypto?: AuthCrypto;
  /** A serial GPS (NMEA): its fix joins STATE and the scooter's SENSOR. */
  gps?: ByteSource;
  activeTiming?: Pick<ActiveDevicesPorts, 'scooterTiming' | 'authTimeouts'>;
  /** HTTPS client for the batch upload of approved devices' readings (manage/, upload/). */
  http?: HttpClient;
  /** MI32Mode off stops the scanner (false) and any other mode starts it again (true). */
  setScanning?: (on: boolean) => void;
}

export type { CommandSource } from './command-target.js';

/**
 * What the gateway asks of user scripts (the script runtime implements it). Attached after
 * both exist and detached when scripting stops: the gateway keeps no script state of its own,
 * so a stopped or replaced script can leave nothing behind here.
 */
export interface ScriptPort {
  /** BLE.adv_watch/adv_block of the running scripts: false hides the MAC from everything. */
  admits(mac: string): boolean;
  /** Every admitted advertisement, before decoding (scripts' adv_cb). */
  onAdvertisement(adv: Advertisement): void;
  /**
   * False when admits would say yes to every MAC and onAdvertisement do nothing (no script
   * taps advertisements): the gateway then skips both. Absent = always true. The port calls
   * Gateway.scriptTapsChanged when the answer may have changed.
   */
  hearsAdvertisements?(): boolean;
  /** Notifications, results and peer disconnects from the GATT client. */
  onGattEvent(event: GattResult): void;
  /** `Script` (status) and `ScriptSave <source>`. */
  command(kind: 'status' | 'save', arg: string): Reply;
}

export interface GatewaySettings extends BleSettings {
  topic: string;
  telePeriod: number;
  /** ScriptRemote: 1 lets ScriptSave arrive over MQTT. Off by default: anyone on the broker could run code. */
  scriptRemote: 0 | 1;
  /** Minutes east of UTC for the top-level "Time" (Timezone command); TIMEZONE_RULES (99) = by timeStd/timeDst. */
  timezone: number;
  /** Tasmota's TimeStd and TimeDst: when standard and daylight saving time begin, and their offsets. */
  timeStd: TimeRule;
  timeDst: TimeRule;
  /** A second <topic> for commands (cmnd/<groupTopic>/#), shared by many devices. */
  groupTopic: string;
  /** Tasmota's FullTopic pattern, "%prefix%/%topic%/" by default. */
  fullTopic: string;
  /** MI32Option0/1/2/4 as last set (MI32Option3 follows mi32cfg at every start). */
  options: Partial<Options>;
  /** MI32Buffer: bytes of readings kept while the broker is away (0 = off). */
  buffer: number;
  /** SetOption19: Home Assistant MQTT discovery (1, default) or none (0). */
  discovery: 0 | 1;
}

/** The options that persist in settings.json. */
const SAVED_OPTIONS: readonly (keyof Options)[] = ['allValues', 'noSummary', 'directBridge', 'activeScan'];

const SETTINGS_FILE = 'settings.json';
const SETTINGS_MAX_BYTES = 4096;
/**
 * Largest SENSOR payload: the MQTT client's default publish limit (maxPayloadBytes).
 * A longer message is split per device, as Tasmota splits its MI32 output.
 */
export const SENSOR_MAX_BYTES = 16_384;
/** Real-time messages collect events for this long, as Tasmota's 50 ms loop does. */
const REALTIME_BATCH_MS = 50;

export const DEFAULT_SETTINGS: GatewaySettings = { topic: 'mi32', telePeriod: DEFAULT_TELEPERIOD, timezone: 0, timeStd: DEFAULT_TIME_STD, timeDst: DEFAULT_TIME_DST, groupTopic: DEFAULT_GROUPTOPIC, fullTopic: DEFAULT_FULLTOPIC, scriptRemote: 0, options: {}, buffer: DEFAULT_BUFFER_BYTES, discovery: 1 };

/** The outcome of every advertisement no decoder wants: one shared, frozen value, no allocation. */
const NOT_OURS: Outcome[] = Object.freeze([Object.freeze({ kind: 'ignored', reason: 'not-ours' } as const)]) as unknown as Outcome[];

/** What an advertisement gets while MI32Mode is off (nothing counted: the radio is off). */
const NOT_HEARD: Outcome[] = Object.freeze([Object.freeze({ kind: 'ignored', reason: 'filtered' } as const)]) as unknown as Outcome[];

/** Advertisements that took a fast path instead of a decode (see handleAdvertisement). */
export interface FastPathCounts {
  /** No service data any decoder wants: counted as ignored without parsing. */
  unrelated: number;
  /** A byte-identical repeat of the sender's last frame: counted as a duplicate without decoding (Registry.repeat). */
  repeats: number;
}

export class Gateway implements CommandTarget {
  readonly registry: Registry;
  readonly options: Options = { allValues: 1, noSummary: 0, directBridge: 0, autoAdd: 1, activeScan: 0 };
  private settings: GatewaySettings;
  private mqtt: MqttPort | undefined;
  private teleTimer: TimerHandle | undefined;
  private realtimeTimer: TimerHandle | undefined;
  private readonly bootTime: number;
  private messages = { sensor: 0, realtime: 0 };
  /** The active GATT client, when the platform has a link. */
  readonly gatt: GattClient | undefined;
  /** The user scripts, when attached (attachScripts). */
  private scripts: ScriptPort | undefined;
  /** How many advertisements skipped the decode, by reason (tests and the bench read it). */
  readonly fastPath: FastPathCounts = { unrelated: 0, repeats: 0 };
  /** Approved devices, working mode, pairing, batch upload. */
  readonly management: Management;
  /** Sees every decoded reading with its device (the HomeKit bridge's values and events). */
  onValues: ((slot: Slot, values: Values) => void) | undefined;
  /** Sees each decoded advertisement's outcomes (the web page's history and key check); not repeats. */
  advertisementObserver: ((adv: Advertisement, outcomes: readonly Outcome[]) => void) | undefined;
  /** MI32Proxy when on; undefined when off, so the advertisement path pays one check. */
  proxying: BleProxy | undefined;
  /** MI32Group: which devices this gateway reports when several share a broker (group.ts). */
  readonly group: GatewayGroup;
  private readonly bleOps: BleOps;
  /** The persisted frame counters of keyed devices (replay protection across restarts). */
  readonly counterMarks: CounterMarks;
  /** Readings kept while the broker is away (store-and-forward, MI32Buffer). */
  readonly outbox: Outbox;
  /** Home Assistant MQTT discovery (SetOption19). */
  readonly discovery: Discovery;

  constructor(private readonly ports: GatewayPorts, settings: Partial<GatewaySettings> = {}, slotLimit = DEFAULT_SLOTS) {
    // Keyed devices' counters survive a restart (counter-marks.ts): read before any frame.
    this.counterMarks = new CounterMarks(ports.store, ports.log);
    this.counterMarks.load();
    this.registry = new Registry({ aes: ports.aes, limit: slotLimit, marks: this.counterMarks });
    this.settings = { ...DEFAULT_SETTINGS, ...this.loadSettings(), ...this.checkSettings(settings as Record<string, unknown>, 'start-up setting') };
    Object.assign(this.options, this.settings.options);
    this.bootTime = ports.clock.now();
    this.management = new Management({
      store: ports.store, log: ports.log, clock: ports.gattClock ?? ports.clock, registry: this.registry, gatt: () => this.gatt, result: (r) => this.result(r),
      ...(ports.http ? { http: ports.http } : {}), ...(ports.gatt ? { link: ports.gatt } : {}),
      // MI32Mode on/off: the advertisement path's flag follows, then the platform's scanner.
      setScanning: (on) => { this.updateDetour(); ports.setScanning?.(on); },
    });
    this.outbox = new Outbox(ports.store, ports.log, this.settings.buffer);
    this.discovery = new Discovery({
      registry: this.registry, topic: () => this.settings.topic, teleTopic: (leaf) => this.topicOf('tele', leaf),
      publish: (topic, payload) => this.publishRaw(topic, payload, true),
      connected: () => this.mqtt !== undefined && (this.mqtt.connected?.() ?? true),
      setTimeout: (callback, ms) => ports.clock.setTimeout(callback, ms),
    }, this.settings.discovery === 1);
    this.gatt = ports.gatt && new GattClient({
      bonded: (mac) => this.management.isPaired(mac),
      link: ports.gatt, clock: ports.gattClock ?? ports.clock, log: ports.log, ...(ports.scan ? { scan: ports.scan } : {}),
      ...(ports.gattTimeouts ? { timeouts: ports.gattTimeouts } : {}),
      onEvent: (event) => {
        this.active.onGattEvent(event);
        this.scripts?.onGattEvent(event);
        this.bleOps.onEvent(event);
      },
    });
    this.active = new ActiveDevices({
      gatt: this.gatt, clock: ports.gattClock ?? ports.clock, log: ports.log, store: ports.store, aes: ports.aes, registry: this.registry,
      ...(ports.random ? { random: ports.random } : {}), ...(ports.authCrypto ? { crypto: ports.authCrypto } : {}), ...(ports.gps ? { gps: ports.gps } : {}),
      ...ports.activeTiming,
      setKey: (mac, key) => this.setKey(mac, key), saveConfig: () => this.saveConfig(),
      publishSensor: (text) => this.publish('SENSOR', text), result: (reply) => this.result(reply), timeText: (ms) => this.localTime(ms),
    });
    this.bleOps = new BleOps(() => this.gatt, (r) => this.result(r));
    this.group = new GatewayGroup({ clock: ports.clock, log: ports.log, registry: this.registry, mqtt: () => this.mqtt, topic: () => this.topic,
      fullTopic: () => this.fullTopic, telePeriod: () => this.telePeriod, localTime: (ms) => this.localTime(ms) });
    this.startProxy(this.settings.proxy ?? 0);
  }

  /** Scooters, activation and the GPS (gateway/active-devices.ts). */
  readonly active: ActiveDevices;

  /** Scripts see advertisements, GATT events and their commands from now on (one runtime at a time). */
  attachScripts(port: ScriptPort): void {
    if (this.scripts && this.scripts !== port) throw new Error('a script runtime is already attached; detach it first');
    this.scripts = port;
    this.updateDetour();
  }

  /** Nothing of `port` stays: its filter, taps and commands are gone (Script then says scripting is off). */
  detachScripts(port: ScriptPort): void {
    if (this.scripts === port) this.scripts = undefined;
    this.updateDetour();
  }

  get topic(): string { return this.settings.topic; }
  get telePeriod(): number { return this.settings.telePeriod; }
  get scriptRemote(): 0 | 1 { return this.settings.scriptRemote; }
  get timezone(): number { return this.settings.timezone; }

  /** Tasmota's top-level "Time": local time by the Timezone setting. */
  localTime(ms: number): string {
    return localTimeText(ms, this.offsetAt(ms));
  }

  get timeStd(): TimeRule { return this.settings.timeStd; }
  get timeDst(): TimeRule { return this.settings.timeDst; }

  /** Minutes east of UTC at the UTC instant `ms`: the fixed Timezone, or the TimeStd/TimeDst rules under Timezone 99. */
  offsetAt(ms: number): number {
    const s = this.settings;
    return s.timezone === TIMEZONE_RULES ? ruleOffsetAt(ms, s.timeStd, s.timeDst) : s.timezone;
  }

  /** Load mi32cfg and start the teleperiod. Returns the config problems, also logged. */
  start(): string[] {
    const cfg = loadConfig(this.ports.store);
    for (const entry of cfg.entries) {
      if (entry.feat !== undefined) this.features.set(entry.mac, entry.feat);
      this.registry.add(entry.mac, entry.pid, entry.name);
      if (entry.key) this.registry.setKey(entry.mac, entry.key);
    }
    // Documented MI32Option3: with a device list, only listed devices are tracked.
    this.options.autoAdd = cfg.entries.length > 0 ? 0 : 1;
    this.registry.autoAdd = this.options.autoAdd === 1;
    for (const p of cfg.problems) this.ports.log.warn(`mi32cfg: ${p}`);
    this.ports.log.info(`mi32cfg: ${cfg.entries.length} devices${cfg.found ? '' : ' (no file)'}`);
    this.outbox.load();
    this.scheduleTele();
    this.active.start();
    this.management.start();
    this.updateDetour();
    this.group.join(this.settings.group);
    return cfg.problems;
  }

  stop(): void {
    this.active.stop();
    this.management.stop();
    this.gatt?.close();
    this.group.stop();
    if (this.teleTimer !== undefined) this.ports.clock.clearTimeout(this.teleTimer);
    if (this.realtimeTimer !== undefined) this.ports.clock.clearTimeout(this.realtimeTimer);
    this.teleTimer = this.realtimeTimer = undefined;
  }

  // --- MQTT ---------------------------------------------------------------------

  topicOf(prefix: 'tele' | 'stat' | 'cmnd', leaf: string, topic = this.settings.topic): string {
    return buildTopic(this.settings.fullTopic, prefix, topic, leaf);
  }

  get groupTopic(): string { return this.settings.groupTopic; }
  get fullTopic(): string { return this.settings.fullTopic; }

  /** The command subscriptions: our own topic, and the group topic (Tasmota subscribes to both). */
  private commandFilters(): string[] {
    return [this.topicOf('cmnd', '+'), this.topicOf('cmnd', '#', this.settings.groupTopic)];
  }

  /** The Will the MQTT client must be created with. */
  will(): { topic: string; payload: string; retain: boolean; qos: 1 } {
    return { topic: this.topicOf('tele', 'LWT'), payload: 'Offline', retain: true, qos: 1 };
  }

  /** Once per port: the command subscriptions go to it, and follow Topic/GroupTopic/FullTopic changes. */
  attachMqtt(mqtt: MqttPort): void {
    this.mqtt = mqtt;
    for (const filter of this.commandFilters()) this.subscribeCommands(filter);
    this.group.attached();
  }

  private subscribeCommands(filter: string): void {
    this.mqtt?.subscribe(filter, (topic, payload) => {
      const command = topic.slice(topic.lastIndexOf('/') + 1);
      this.command(command, 'mqtt', payload);
    });
  }

  /** Call on every (re)connect: LWT Online, retained, replaces the broker's "Offline". */
  mqttConnected(): void {
    this.mqtt?.publish(this.topicOf('tele', 'LWT'), 'Online', { retain: true, qos: 1 });
    this.group.connected();
    this.discovery.announceAll();
  }

  /** Publish to a full topic (scripts' tasmota.publish). */
  publishRaw(topic: string, payload: string, retain = false): void {
    try {
      this.mqtt?.publish(topic, payload, { qos: 0, retain });
    } catch (e) {
      this.ports.log.error(`publish ${topic} failed: ${(e as Error).message}`);
    }
  }

  private publish(leaf: string, payload: string, prefix: 'tele' | 'stat' = 'tele'): void {
    try {
      this.mqtt?.publish(this.topicOf(prefix, leaf), payload, { qos: 0, ...(leaf === 'SENSOR' && prefix === 'tele' ? { reading: true } : {}) });
    } catch (e) {
      this.ports.log.error(`publish ${leaf} failed: ${(e as Error).message}`);
    }
  }

  // --- advertisements -----------------------------------------------------------

  /**
   * True while an advertisement needs more than decoding: MI32Mode off, scripts that tap
   * advertisements (adv_cb, adv_watch, adv_block), a MAC blocked or MI32Proxy on. Kept up to
   * date where those change (updateDetour), so the usual advertisement pays one field test
   * instead of four checks and two calls into the script runtime.
   */
  private detour = false;

  private updateDetour(): void {
    const scripts = this.scripts;
    const scriptsHear = scripts !== undefined && (scripts.hearsAdvertisements?.() ?? true);
    this.detour = !this.management.scanning || scriptsHear || this.blocked.size > 0 || this.proxying !== undefined;
  }

  /** The attached scripts' adv_cb, adv_watch or adv_block changed (ScriptPort.hearsAdvertisements). */
  scriptTapsChanged(): void {
    this.updateDetour();
  }

  handleAdvertisement(adv: Advertisement): Outcome[] {
    // Inline, not a method: with a script runtime attached (the device) every advertisement comes here.
    if (this.detour) {
      // MI32Mode off: the radio is not listening; whatever a platform still delivers is not heard.
      if (!this.management.scanning) return NOT_HEARD;
      const scripts = this.scripts;
      if ((scripts && !scripts.admits(adv.mac)) || (this.blocked.size > 0 && this.blocked.has(adv.mac))) {
        this.registry.totals.ignored++;
        return [{ kind: 'ignored', reason: 'filtered' }];
      }
      scripts?.onAdvertisement(adv);
      if (this.proxying) this.proxying.offer(adv);
    }
    const registry = this.registry;
    // Most of what the radio hears (phones, beacons, tags) carries nothing we decode:
    // count it as the registry would (a frame, ignored) without walking it twice. First:
    // a walk over a few length bytes costs less than the MAC lookup a repeat check needs.
    if (!needsDecoding(adv.ad)) {
      registry.totals.frames++;
      registry.totals.ignored++;
      this.fastPath.unrelated++;
      return NOT_OURS;
    }
    // A byte-identical repeat of the sender's last frame: the registry counts the duplicate.
    const repeatOf = registry.repeatedSlot(adv);
    if (repeatOf !== undefined) {
      this.fastPath.repeats++;
      return registry.countRepeat(repeatOf, adv, this.ports.clock.now());
    }
    const outcomes = registry.decode(adv, this.ports.clock.now());
    this.advertisementObserver?.(adv, outcomes);
    // An index loop: for-of makes an iterator object per advertisement in XS.
    let k = 0;
    while (k < outcomes.length) {
      const o = outcomes[k++]!;
      if (o.kind === 'values') {
        const slot = o.slot;
        const values = o.reading.values;
        // The upload takes approved devices' readings only: asked before the clock is read.
        if (this.management.takesReadingsOf(slot.mac)) this.management.onReading(slot.mac, this.ports.clock.now(), values);
        if (this.onValues) this.onValues(slot, values);
        if (slot.urgent || (this.options.directBridge && slot.hasUpdates)) this.scheduleRealtime();
      } else if (o.kind === 'replay') this.ports.log.warn(`${this.registry.displayName(o.slot)}: replayed frame (counter ${o.reading.counter}) rejected`);
      else if (o.kind === 'error' && o.slot) this.ports.log.debug(`${this.registry.displayName(o.slot)}: ${o.error}`);
    }
    return outcomes;
  }

  private scheduleRealtime(): void {
    if (this.realtimeTimer !== undefined) return;
    this.realtimeTimer = this.ports.clock.setTimeout(() => {
      this.realtimeTimer = undefined;
      this.flushRealtime();
    }, REALTIME_BATCH_MS);
  }

  /**
   * Publish now every device with new data since the last message, as Tasmota's
   * triggered SENSOR does (an event triggers it; the others ride along).
   */
  flushRealtime(): void {
    const due = this.group.select([...this.registry.slots.values()].filter((s) => s.hasUpdates));
    // Only an event (or MI32Option2's every change) triggers a message; new readings alone wait.
    if (!this.options.directBridge && !due.some((s) => s.urgent)) return;
    const texts = sensorMessages(this.registry, due, 'realtime', { allValues: this.options.allValues === 1, timezone: this.offsetAt(this.ports.clock.now()) }, this.ports.clock.now(), SENSOR_MAX_BYTES);
    if (texts.length === 0) return;
    this.discovery.published(due); // before markSent: the momentary values are still there
    due.forEach(markSent);
    this.messages.realtime++;
    for (const text of texts) this.publish('SENSOR', text);
  }

  // --- teleperiod ---------------------------------------------------------------

  /** The next teleperiod after one period, or at once (`now`, even when TelePeriod is 0 = off). */
  private scheduleTele(now = false): void {
    if (this.teleTimer !== undefined) this.ports.clock.clearTimeout(this.teleTimer);
    this.teleTimer = undefined;
    if (this.settings.telePeriod === 0 && !now) return;
    this.teleTimer = this.ports.clock.setTimeout(() => {
      this.teleTimer = undefined;
      this.teleperiod();
      this.scheduleTele();
    }, now ? 0 : this.settings.telePeriod * 1000);
  }

  /** Tasmota publishes at once on any TelePeriod command: right after its reply. */
  telemetryNow(): void {
    this.scheduleTele(true);
  }

  /** tele/<topic>/STATE and, unless MI32Option1, tele/<topic>/SENSOR with every heard device. */
  teleperiod(): void {
    const now = this.ports.clock.now();
    this.publish('STATE', this.stateMessage(now));
    this.group.teleperiod();
    if (this.options.noSummary) return;
    // Every device heard since boot, as Tasmota lists them (a remote has only RSSI/Time/MAC); in a group, those it reports.
    const heard = this.group.select([...this.registry.slots.values()].filter((s) => s.lastSeen > 0));
    const texts = sensorMessages(this.registry, heard, 'tele', { allValues: true, timezone: this.offsetAt(now) }, now, SENSOR_MAX_BYTES);
    if (texts.length === 0) return;
    this.discovery.published(heard);
    heard.forEach(markSent);
    this.messages.sensor++;
    for (const text of texts) this.publish('SENSOR', text);
  }

  stateMessage(now: number): string {
    const up = Math.floor((now - this.bootTime) / 1000);
    const t = this.registry.totals;
    return JSON.stringify({
      Time: this.localTime(now),
      Uptime: uptimeText(up),
      UptimeSec: up,
      MI32: {
        Devices: this.registry.slots.size,
        Frames: t.frames,
        Decoded: t.decoded,
        Duplicates: t.duplicates,
        DecryptFailures: t.decryptFailures,
        Replays: t.replays,
        Errors: t.errors,
        Ignored: t.ignored,
        Overflow: t.overflow,
        MqttQueueDropped: this.mqtt?.dropped() ?? 0,
        Buffered: this.outbox.stats.buffered,
        Dropped: this.outbox.stats.dropped,
      },
      ...gpsPart(this.active.gpsValues()),
    });
  }

  // --- commands -----------------------------------------------------------------

  /** Run a console command from any source; the reply goes to stat/<topic>/RESULT and the console. */
  command(line: string, source: CommandSource, argument?: string): Reply {
    const outer = this.commandSource;
    this.commandSource = source;
    let reply: Reply;
    try {
      reply = runCommand(this, line, argument, source);
    } finally {
      this.commandSource = outer;
    }
    this.result(reply);
    // Only the command's name: its argument may be a bind key, a password or a whole script.
    if (source !== 'console') this.ports.log.info(`${source} command ${commandWord(line)} -> ${JSON.stringify(reply)}`);
    return reply;
  }

  /** A command's reply, now or later (GATT commands finish after their connections): console and stat/<topic>/RESULT. */
  result(reply: Reply): void {
    if (reply[SILENT]) return;
    const text = JSON.stringify(reply);
    this.ports.console?.(text);
    this.publish(typeof reply[REPLY_LEAF] === 'string' ? reply[REPLY_LEAF] : 'RESULT', text, 'stat');
  }

  /** Where the running command came from (Backlog runs its commands as the same source). */
  private commandSource: CommandSource = 'console';

  runBacklog(lines: string[]): void {
    for (const line of lines) this.command(line, this.commandSource);
  }

  /** mi32cfg's `feat` per MAC, as read: written back by MI32Cfg so Tasmota keeps its feature bits. */
  private readonly features = new Map<string, number>();

  // --- MI32Block ----------------------------------------------------------------

  /** MACs MI32Block refuses: their advertisements are ignored (RAM only, as Tasmota). */
  readonly blocked: Set<string> = new WatchedSet<string>().watch(() => this.updateDetour());

  /** Block a MAC and forget its device, as Tasmota's _ble driver does. */
  block(mac: string): void {
    this.blocked.add(mac);
    this.discovery.removeDevice(mac);
    this.registry.slots.delete(mac);
  }

  // --- Status -------------------------------------------------------------------

  statusSummary(): Reply {
    return { Module: 0, DeviceName: 'mi32-xs', FriendlyName: ['mi32-xs'], Topic: this.topic, GroupTopic: this.groupTopic };
  }

  /** StatusSNS: what a teleperiod SENSOR would carry now (nothing is marked sent). */
  statusSensors(): Reply {
    const now = this.ports.clock.now();
    const heard = this.options.noSummary ? [] : [...this.registry.slots.values()].filter((s) => s.lastSeen > 0);
    const text = sensorMessage(this.registry, heard, 'tele', { allValues: true, timezone: this.offsetAt(now) }, now);
    return text ? JSON.parse(text) as Reply : { Time: this.localTime(now) };
  }

  statusState(): Reply {
    return JSON.parse(this.stateMessage(this.ports.clock.now())) as Reply;
  }

  scriptCommand(kind: 'status' | 'save', arg: string): Reply {
    if (!this.scripts) throw new CommandError('scripting is not enabled on this build');
    return this.scripts.command(kind, arg);
  }

  deviceGatt(kind: 'battery' | 'clock' | 'unit', arg: string): Reply {
    const ctx: GattCommandContext = { registry: this.registry, gatt: this.gatt, now: () => this.ports.clock.now(), result: (r) => this.result(r) };
    return GATT_COMMANDS[kind](ctx, arg);
  }

  bleOp(payload: string): Reply {
    return this.bleOps.command(payload);
  }

  get proxyMode(): ProxyMode { return this.settings.proxy ?? 0; }

  setProxy(mode: ProxyMode): void {
    this.saveSettings({ ...this.settings, proxy: mode });
    this.settings.proxy = mode;
    this.startProxy(mode);
  }

  private startProxy(mode: ProxyMode): void {
    // While the broker is away the proxy drops (and counts) instead of filling the offline queue, which holds the readings.
    this.proxying = mode === 0 ? undefined : new BleProxy((text) => this.publish('BLE', text), () => this.ports.clock.now(), mode, () => this.mqtt?.connected?.() !== false);
    this.updateDetour();
  }

  setGroup(name: string | undefined): void {
    const { group: _old, ...rest } = this.settings;
    this.saveSettings(name === undefined ? rest : { ...rest, group: name });
    this.settings = name === undefined ? rest : { ...rest, group: name };
    this.group.join(name);
  }

  setOption(key: keyof Options, value: 0 | 1): void {
    if (SAVED_OPTIONS.includes(key) && this.options[key] !== value) {
      const options = { ...this.settings.options, [key]: value };
      this.saveSettings({ ...this.settings, options }); // saved first: a failed save changes nothing
      this.settings.options = options;
    }
    this.options[key] = value;
    if (key === 'autoAdd') this.registry.autoAdd = value === 1;
    if (key === 'activeScan') this.ports.setActiveScan?.(value === 1);
  }

  // Settings are saved first and applied only when the save worked: a read-only or full
  // flash gives an error reply (runCommand) and the gateway keeps its old settings.
  setTelePeriod(seconds: number): void {
    this.saveSettings({ ...this.settings, telePeriod: seconds });
    this.settings.telePeriod = seconds;
    this.scheduleTele();
  }

  /** MI32Buffer: saved first, then the outbox takes the new budget (a smaller one drops the oldest past it). */
  setBufferBudget(bytes: number): void {
    this.saveSettings({ ...this.settings, buffer: bytes });
    this.settings.buffer = bytes;
    this.outbox.setBudget(bytes);
  }

  get haDiscovery(): 0 | 1 { return this.settings.discovery; }

  /** SetOption19: saved first; off removes the entities from Home Assistant, on announces them. */
  setHaDiscovery(value: 0 | 1): void {
    this.saveSettings({ ...this.settings, discovery: value });
    this.settings.discovery = value;
    this.discovery.setEnabled(value === 1);
  }

  setScriptRemote(value: 0 | 1): void {
    this.saveSettings({ ...this.settings, scriptRemote: value }); // saved first: a failed save changes nothing
    this.settings.scriptRemote = value;
  }

  setTimezone(minutes: number): void {
    this.saveSettings({ ...this.settings, timezone: minutes });
    this.settings.timezone = minutes;
  }

  setTimeRule(which: 'timeStd' | 'timeDst', rule: TimeRule): void {
    this.saveSettings({ ...this.settings, [which]: rule });
    this.settings[which] = rule;
  }

  setTopic(topic: string): void {
    if (topic === this.settings.topic) return;
    this.moveTopics({ ...this.settings, topic });
  }

  setGroupTopic(groupTopic: string): void {
    if (groupTopic === this.settings.groupTopic) return;
    this.saveSettings({ ...this.settings, groupTopic });
    const old = this.topicOf('cmnd', '#', this.settings.groupTopic);
    this.settings.groupTopic = groupTopic;
    if (this.mqtt) {
      this.mqtt.unsubscribe(old);
      this.subscribeCommands(this.topicOf('cmnd', '#', groupTopic));
    }
  }

  setFullTopic(fullTopic: string): void {
    if (fullTopic === this.settings.fullTopic) return;
    this.moveTopics({ ...this.settings, fullTopic });
  }

  /**
   * A new Topic or FullTopic: saved first, then the subscriptions move here and the host
   * remakes the connection, because the Will names the topic (topicChanged).
   */
  private moveTopics(next: GatewaySettings): void {
    this.saveSettings(next);
    if (this.mqtt) for (const filter of this.commandFilters()) this.mqtt.unsubscribe(filter);
    const oldHeard = this.group.heardTopic();
    this.settings = next;
    this.ports.topicChanged?.(next.topic);
    for (const filter of this.commandFilters()) this.subscribeCommands(filter);
    this.group.moved(oldHeard);
  }

  setKey(mac: string, key: Uint8Array): { known: boolean; dropped?: string } {
    return this.registry.setKey(mac, key);
  }

  /** Every device in a slot and every configured one still waiting for a slot, with keys. */
  saveConfig(): number {
    const entries: ConfigEntry[] = this.registry.devices().map((e) => {
      const feat = this.features.get(e.mac); // Tasmota's feature bits, kept as they came
      return feat !== undefined ? { ...e, feat } : e;
    });
    if (entries.length) saveConfig(this.ports.store, entries); // throws StoreWriteError: an error reply
    return entries.length;
  }

  // --- settings -----------------------------------------------------------------

  /** settings.json, each value checked again: a bad one is reported and its default used. */
  private loadSettings(): Partial<GatewaySettings> {
    const { value: raw, problems } = readJsonObject(this.ports.store, SETTINGS_FILE, SETTINGS_MAX_BYTES, 2, '');
    for (const p of problems) this.ports.log.warn(`${p}; using defaults`);
    if (!raw) return {};
    return this.checkSettings(raw, SETTINGS_FILE);
  }

  /** The valid settings among `raw`; each invalid one is logged and left out (its default applies). */
  private checkSettings(raw: Record<string, unknown>, from: string): Partial<GatewaySettings> {
    const out: Partial<GatewaySettings> = {};
    if (raw.topic !== undefined) {
      const problem = typeof raw.topic === 'string' ? topicProblem(raw.topic) : 'topic is not a string';
      if (problem) this.ports.log.warn(`${from}: ${problem}; using topic "${DEFAULT_SETTINGS.topic}"`);
      else out.topic = raw.topic as string;
    }
    if (raw.telePeriod !== undefined) {
      const seconds = telePeriodFrom(raw.telePeriod);
      if (typeof seconds === 'string') this.ports.log.warn(`${from}: ${seconds}; using TelePeriod ${DEFAULT_SETTINGS.telePeriod}`);
      else out.telePeriod = seconds;
    }
    for (const key of ['groupTopic', 'fullTopic'] as const) {
      if (raw[key] === undefined) continue;
      const value = raw[key];
      const problem = typeof value !== 'string' ? `${key} is not a string` : key === 'groupTopic' ? topicProblem(value) : fullTopicProblem(value);
      if (problem) this.ports.log.warn(`${from}: ${key}: ${problem}; using "${DEFAULT_SETTINGS[key]}"`);
      else out[key] = value as string;
    }
    if (raw.timezone !== undefined) {
      const problem = timezoneProblem(raw.timezone);
      if (problem) this.ports.log.warn(`${from}: ${problem}; using Timezone +00:00`);
      else out.timezone = raw.timezone as number;
    }
    for (const key of ['timeStd', 'timeDst'] as const) {
      if (raw[key] === undefined) continue;
      const problem = timeRuleProblem(raw[key]);
      if (problem) this.ports.log.warn(`${from}: ${key}: ${problem}; using Tasmota's default`);
      else out[key] = raw[key] as TimeRule;
    }
    if (raw.options !== undefined) {
      const options: Partial<Options> = {};
      const given = typeof raw.options === 'object' && raw.options !== null && !Array.isArray(raw.options) ? raw.options as Record<string, unknown> : {};
      for (const key of SAVED_OPTIONS) if (given[key] === 0 || given[key] === 1) options[key] = given[key] as 0 | 1;
      if (Object.keys(options).length !== Object.keys(given).length || given !== raw.options) this.ports.log.warn(`${from}: options: only MI32Option0/1/2/4 as 0 or 1 are kept`);
      out.options = options;
    }
    if (raw.buffer !== undefined) {
      const problem = bufferBudgetProblem(raw.buffer);
      if (problem) this.ports.log.warn(`${from}: ${problem}; using MI32Buffer ${DEFAULT_BUFFER_BYTES}`);
      else out.buffer = raw.buffer as number;
    }
    if (raw.discovery === 0 || raw.discovery === 1) out.discovery = raw.discovery;
    else if (raw.discovery !== undefined) this.ports.log.warn(`${from}: discovery must be 0 or 1; using SetOption19 1`);
    if (raw.scriptRemote === 1) out.scriptRemote = 1; // anything else, e.g. a hand edit gone wrong, stays off
    return { ...out, ...checkBleSettings(raw, from, this.ports.log) };
  }

  private saveSettings(settings: GatewaySettings): void {
    writeAtomic(this.ports.store, SETTINGS_FILE, utf8Encode(JSON.stringify(settings)));
  }
}

const GATT_COMMANDS = { battery: batteryCommand, clock: clockCommand, unit: unitCommand };

function gpsPart(gps: Record<string, unknown> | undefined): Record<string, unknown> {
  return gps ? { GPS: gps } : {};
}

/** The first word of a command line, at most 32 characters. */
function commandWord(line: string): string {
  const word = line.trim().split(/\s/, 1)[0] ?? '';
  return JSON.stringify(word.slice(0, 32)).slice(1, -1);
}

/** Tasmota's "1T02:03:04" uptime form. */
function uptimeText(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d}T${two(h)}:${two(m)}:${two(s)}`;
}
