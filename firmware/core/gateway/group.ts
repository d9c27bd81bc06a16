// MI32Group: several gateways on one broker report each device once. Coordination is
// through retained MQTT messages only:
//  - every member publishes, retained, tele/<group>/<topic>/HEARD (through FullTopic) at
//    each teleperiod and on every connect: {"Time","RSSI":{"<MAC>":dBm,...},"Own":[MAC,...]},
//    the RSSI it heard each device at (the mean of samples every SAMPLE_MS over the period,
//    smoothed with the previous period) and the devices it reports;
//  - every member reads the others' HEARD and their LWT (tele/<topic>/LWT: "Offline" means
//    gone) and runs the one rule in group-rule.ts. A member reports a device when the rule
//    names it, or when no live member's HEARD lists the device yet (better twice than never
//    for the first teleperiod after a device appears).
// Peers' messages are untrusted: size, shape, MACs and RSSI ranges are checked, members and
// devices are bounded, and a bad message is logged and ignored (the last good one stays).
// Of a peer's HEARD only the devices in our own registry are kept (the rule only matters for
// devices we hear), so memory stays within members × slots on the device.
// Nothing here runs per advertisement: RSSI is sampled from the registry on a timer.

import type { Clock, Log, TimerHandle } from '../host.js';
import type { Reply } from './command-reply.js';
import { ownerOf, type GatewayReport } from './group-rule.js';
import type { MqttPort } from './mqtt-port.js';
import type { Registry, Slot } from './registry.js';
import { markSent } from './telemetry.js';
import { buildTopic } from './topics.js';

/** How often the registry's last RSSI of each device heard since the last sample is taken. */
export const SAMPLE_MS = 2000;
/**
 * A device no member's HEARD lists yet is reported by every gateway that hears it, until the
 * next round of HEARDs: so a new device brings the next round forward, to this long after a
 * sample first saw it (at most one such early round in flight).
 */
export const NEW_DEVICE_ROUND_MS = 10_000;
/** Other members kept at most; more are ignored (and logged). */
export const MAX_PEERS = 16;
/** Devices in one HEARD at most, ours (strongest first) and theirs. */
export const MAX_HEARD_DEVICES = 400;
/** A peer's HEARD longer than this is ignored. */
export const MAX_HEARD_BYTES = 16_384;
/** LWT "Offline"s remembered (of any device on the broker: LWTs may come before HEARDs); members' are evicted last. */
const MAX_OFFLINE = 128;
const MAC_RE = /^[0-9A-F]{12}$/;

export interface GroupHost {
  clock: Clock;
  log: Log;
  registry: Registry;
  mqtt(): MqttPort | undefined;
  /** This gateway's Topic: its name in the group. */
  topic(): string;
  fullTopic(): string;
  telePeriod(): number;
  localTime(ms: number): string;
}

/** Why `name` cannot be an MI32Group name, or undefined; the rules of Topic, and "0" means none. */
export function groupNameProblem(name: unknown, topicProblem: (t: string) => string | undefined): string | undefined {
  if (typeof name !== 'string') return 'group is not a string';
  if (name === '0') return 'group "0" means no group';
  const problem = topicProblem(name);
  return problem ? problem.replace(/^topic/i, 'group') : undefined;
}

export class GatewayGroup {
  private current: string | undefined;
  private readonly peers = new Map<string, GatewayReport>();
  /** Names whose LWT said "Offline" last, oldest first. */
  private readonly offline = new Set<string>();
  /** What we published last (heard and own): exactly what the others see of us. */
  private mine: GatewayReport = { name: '', heard: new Map(), own: new Set() };
  /** Devices the rule gives us; devices any live member listed. */
  private owned = new Set<string>();
  private known = new Set<string>();
  private samples = new Map<string, { sum: number; count: number }>();
  private lastSampleAt = 0;
  private sampleTimer: TimerHandle | undefined;
  private earlyRound: TimerHandle | undefined;
  private filters: string[] = [];
  /** Peers' bad messages seen (each is logged). */
  rejected = 0;

  constructor(private readonly host: GroupHost) {}

  get name(): string | undefined { return this.current; }

  /** Join `name` (leaving the group we were in), or leave with undefined. */
  join(name: string | undefined): void {
    if (name === this.current) return;
    if (this.current !== undefined) this.leave();
    if (name === undefined) return;
    this.current = name;
    this.mine = { name: this.host.topic(), heard: new Map(), own: new Set() };
    this.lastSampleAt = this.host.clock.now();
    this.subscribe();
    this.scheduleSample();
    this.publishHeard();
    this.decide();
  }

  /** Stop sampling; the retained HEARD stays (our LWT tells the others we are gone). */
  stop(): void {
    if (this.sampleTimer !== undefined) this.host.clock.clearTimeout(this.sampleTimer);
    if (this.earlyRound !== undefined) this.host.clock.clearTimeout(this.earlyRound);
    this.sampleTimer = this.earlyRound = undefined;
  }

  /** The gateway got its MQTT port: subscribe now when the group was joined before (from settings.json at start). */
  attached(): void {
    if (this.current !== undefined && this.filters.length === 0) this.subscribe();
  }

  /** On every (re)connect, after LWT Online: our HEARD again (the broker may have lost it). */
  connected(): void {
    if (this.current !== undefined) this.publishHeard();
  }

  /** Topic or FullTopic changed: the old HEARD is removed, the new one published, subscriptions follow. */
  moved(oldHeardTopic: string | undefined): void {
    if (this.current === undefined) return;
    if (oldHeardTopic !== undefined && oldHeardTopic !== this.heardTopic()) this.host.mqtt()?.publish(oldHeardTopic, '', { retain: true, qos: 1 });
    this.unsubscribe();
    this.subscribe();
    this.mine = { ...this.mine, name: this.host.topic() };
    this.peers.delete(this.mine.name);
    this.publishHeard();
    this.decide();
  }

  /** tele/<group>/<topic>/HEARD through FullTopic, when in a group. */
  heardTopic(topic = this.host.topic()): string | undefined {
    return this.current === undefined ? undefined : buildTopic(this.host.fullTopic(), 'tele', `${this.current}/${topic}`, 'HEARD');
  }

  /** Whether this gateway reports `mac` now. */
  reports(mac: string): boolean {
    return !this.known.has(mac) || this.owned.has(mac);
  }

  /** The slots this gateway reports; the others' updates are spent here, silently (another member reports them). */
  select(slots: Slot[]): Slot[] {
    if (this.current === undefined) return slots;
    const out: Slot[] = [];
    for (const slot of slots) {
      if (this.reports(slot.mac)) out.push(slot);
      else markSent(slot);
    }
    return out;
  }

  /** At each teleperiod, before SENSOR: summarise what we heard, decide, publish HEARD. */
  teleperiod(): void {
    if (this.current === undefined) return;
    if (this.earlyRound !== undefined) this.host.clock.clearTimeout(this.earlyRound);
    this.earlyRound = undefined;
    const now = this.host.clock.now();
    this.sample(now);
    this.mine = { name: this.host.topic(), heard: this.summary(now), own: this.mine.own };
    // Decide with our new numbers and our old claims (incumbency), then claim the result.
    this.decide();
    const own = new Set<string>();
    for (const mac of this.mine.heard.keys()) if (this.owned.has(mac)) own.add(mac);
    this.mine = { ...this.mine, own };
    this.decide();
    this.publishHeard();
  }

  status(): Reply {
    if (this.current === undefined) return { MI32Group: '' };
    const members: Record<string, string> = {};
    for (const name of [...this.peers.keys()].sort()) members[name] = this.offline.has(name) ? 'Offline' : 'Online';
    let reported = 0;
    let silent = 0;
    for (const slot of this.host.registry.slots.values()) {
      if (slot.lastSeen === 0) continue;
      if (this.reports(slot.mac)) reported++;
      else silent++;
    }
    return { MI32Group: this.current, Gateway: this.host.topic(), Members: members, Reported: reported, Silent: silent };
  }

  // --- what we heard -------------------------------------------------------------

  private scheduleSample(): void {
    this.sampleTimer = this.host.clock.setTimeout(() => {
      this.sampleTimer = undefined;
      if (this.current === undefined) return;
      this.sample(this.host.clock.now());
      this.scheduleSample();
    }, SAMPLE_MS);
  }

  /** The last RSSI of every device heard since the previous sample. */
  private sample(now: number): void {
    for (const slot of this.host.registry.slots.values()) {
      if (slot.lastSeen <= this.lastSampleAt) continue;
      if (!this.known.has(slot.mac) && this.earlyRound === undefined) {
        this.earlyRound = this.host.clock.setTimeout(() => {
          this.earlyRound = undefined;
          this.teleperiod();
        }, NEW_DEVICE_ROUND_MS);
      }
      const s = this.samples.get(slot.mac);
      if (s) {
        s.sum += slot.rssi;
        s.count++;
      } else {
        this.samples.set(slot.mac, { sum: slot.rssi, count: 1 });
      }
    }
    this.lastSampleAt = now;
  }

  /**
   * Per device: the mean of this period's samples, averaged with the last period's figure.
   * A device not heard this period keeps its last figure while the registry heard it within
   * two periods (sensors that advertise rarely do not drop out), then leaves.
   */
  private summary(now: number): Map<string, number> {
    const previous = this.mine.heard;
    const rows: [string, number][] = [];
    for (const [mac, s] of this.samples) {
      const mean = s.sum / s.count;
      const before = previous.get(mac);
      rows.push([mac, Math.round(before === undefined ? mean : (before + mean) / 2)]);
    }
    const keepSince = now - 2 * Math.max(10, this.host.telePeriod()) * 1000;
    for (const [mac, rssi] of previous) {
      if (this.samples.has(mac)) continue;
      const slot = this.host.registry.slots.get(mac);
      if (slot && slot.lastSeen >= keepSince) rows.push([mac, rssi]);
    }
    this.samples = new Map();
    rows.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    return new Map(rows.slice(0, MAX_HEARD_DEVICES));
  }

  private publishHeard(): void {
    const topic = this.heardTopic();
    if (topic === undefined) return;
    const rssi: Record<string, number> = {};
    for (const [mac, value] of this.mine.heard) rssi[mac] = value;
    const payload = JSON.stringify({ Time: this.host.localTime(this.host.clock.now()), RSSI: rssi, Own: [...this.mine.own] });
    try {
      this.host.mqtt()?.publish(topic, payload, { retain: true, qos: 1 });
    } catch (e) {
      this.host.log.error(`publish ${topic} failed: ${(e as Error).message}`);
    }
  }

  // --- the others --------------------------------------------------------------

  private subscribe(): void {
    const mqtt = this.host.mqtt();
    if (!mqtt || this.current === undefined) return;
    const heard = buildTopic(this.host.fullTopic(), 'tele', `${this.current}/+`, 'HEARD');
    const lwt = buildTopic(this.host.fullTopic(), 'tele', '+', 'LWT');
    this.filters = [heard, lwt];
    mqtt.subscribe(heard, (topic, payload) => this.onHeard(levelAt(heard, topic), payload));
    mqtt.subscribe(lwt, (topic, payload) => this.onLwt(levelAt(lwt, topic), payload));
  }

  private unsubscribe(): void {
    const mqtt = this.host.mqtt();
    for (const filter of this.filters) mqtt?.unsubscribe(filter);
    this.filters = [];
  }

  private leave(): void {
    const topic = this.heardTopic();
    // Empty and retained: the broker forgets our HEARD, so the others stop counting on us.
    if (topic !== undefined) this.host.mqtt()?.publish(topic, '', { retain: true, qos: 1 });
    this.unsubscribe();
    this.stop();
    this.current = undefined;
    this.peers.clear();
    this.offline.clear();
    this.samples = new Map();
    this.owned = new Set();
    this.known = new Set();
  }

  private onLwt(name: string | undefined, payload: string): void {
    if (name === undefined || name === this.host.topic()) return;
    if (payload === 'Offline') {
      this.offline.delete(name);
      this.offline.add(name);
      if (this.offline.size > MAX_OFFLINE) this.forgetOneOffline();
    } else if (payload === 'Online') {
      if (!this.offline.delete(name)) return;
    } else {
      return;
    }
    if (this.peers.has(name)) {
      this.host.log.info(`MI32Group ${this.current}: ${name} is ${payload === 'Offline' ? 'offline' : 'back'}`);
      this.decide();
    }
  }

  /** The oldest "Offline" of a name that is not a member (a member's is kept: it decides who reports). */
  private forgetOneOffline(): void {
    for (const name of this.offline) {
      if (!this.peers.has(name)) {
        this.offline.delete(name);
        return;
      }
    }
  }

  private onHeard(name: string | undefined, payload: string): void {
    if (name === undefined || name === this.host.topic() || this.current === undefined) return;
    if (payload === '') {
      if (this.peers.delete(name)) this.decide();
      return;
    }
    if (!this.peers.has(name) && this.peers.size >= MAX_PEERS) return this.reject(name, `more than ${MAX_PEERS} gateways in the group`);
    const report = parseHeard(name, payload);
    if (typeof report === 'string') return this.reject(name, report);
    this.peers.set(name, this.ours(report));
    this.decide();
  }

  private reject(name: string, why: string): void {
    this.rejected++;
    this.host.log.warn(`MI32Group ${this.current}: HEARD of ${JSON.stringify(name.slice(0, 32))} ignored: ${why}`);
  }

  /** A peer's report cut down to the devices in our registry. */
  private ours(report: GatewayReport): GatewayReport {
    const slots = this.host.registry.slots;
    const heard = new Map<string, number>();
    const own = new Set<string>();
    for (const [mac, rssi] of report.heard) {
      if (!slots.has(mac)) continue;
      heard.set(mac, rssi);
      if (report.own.has(mac)) own.add(mac);
    }
    return { name: report.name, heard, own };
  }

  /** Run the rule for every device any live member heard. */
  private decide(): void {
    const me = this.host.topic();
    const live: GatewayReport[] = [{ ...this.mine, name: me }];
    for (const [name, report] of this.peers) if (!this.offline.has(name)) live.push(report);
    const known = new Set<string>();
    for (const g of live) for (const mac of g.heard.keys()) known.add(mac);
    const owned = new Set<string>();
    for (const mac of known) if (ownerOf(mac, live) === me) owned.add(mac);
    this.known = known;
    this.owned = owned;
  }
}

/** The level a "+" in `filter` matched in `topic`, or undefined when it does not match. */
function levelAt(filter: string, topic: string): string | undefined {
  const plus = filter.indexOf('+');
  const head = filter.slice(0, plus);
  const tail = filter.slice(plus + 1);
  if (!topic.startsWith(head) || !topic.endsWith(tail) || topic.length <= head.length + tail.length) return undefined;
  const level = topic.slice(head.length, topic.length - tail.length);
  return level.includes('/') ? undefined : level;
}

/** A peer's HEARD payload → its report, or what is wrong with it. */
export function parseHeard(name: string, payload: string): GatewayReport | string {
  if (payload.length > MAX_HEARD_BYTES) return `${payload.length} characters; at most ${MAX_HEARD_BYTES}`;
  let raw: unknown;
  try {
    raw = JSON.parse(payload);
  } catch {
    return 'not JSON';
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return 'not a JSON object';
  const { RSSI: rssi, Own: own } = raw as Record<string, unknown>;
  if (rssi === null || typeof rssi !== 'object' || Array.isArray(rssi)) return '"RSSI" is not an object of MAC: dBm';
  if (!Array.isArray(own)) return '"Own" is not a list of MACs';
  const heard = new Map<string, number>();
  for (const [mac, value] of Object.entries(rssi as Record<string, unknown>)) {
    if (heard.size >= MAX_HEARD_DEVICES) return `more than ${MAX_HEARD_DEVICES} devices`;
    if (!MAC_RE.test(mac)) return `"${mac.slice(0, 20)}" is not a MAC (12 upper-case hex digits)`;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < -127 || value > 20) return `RSSI of ${mac} is not a whole number from -127 to 20`;
    heard.set(mac, value);
  }
  if (own.length > MAX_HEARD_DEVICES) return `"Own" lists more than ${MAX_HEARD_DEVICES} devices`;
  const owned = new Set<string>();
  for (const mac of own) {
    if (typeof mac !== 'string' || !heard.has(mac)) return '"Own" lists a device that "RSSI" does not';
    owned.add(mac);
  }
  return { name, heard, own: owned };
}
