// Home Assistant MQTT discovery (SetOption19, on by default): a retained
// homeassistant/<component>/<node>/<object>/config per value of every device, read off the
// value-key table (values/keys.ts: component, device and state class, unit, category), so
// Home Assistant lists each sensor as a device "via" the gateway, with no YAML.
//
// - node: the device's MAC (12 hex digits, lower case); object: the value key, made safe
//   for a topic level (PM2.5 -> pm2_5). unique_id: mi32_<MAC>_<key>.
// - state_topic: tele/<topic>/SENSOR, which carries every device; value_template reads the
//   device's object and gives '' when a message does not carry it, which Home Assistant
//   ignores (numeric sensors and binary sensors drop an empty template result).
// - availability: tele/<topic>/LWT (Online / Offline).
// - buttons and the knob: device triggers (device_automation), one per press code.
// - a value is announced with the first SENSOR message that carries it (momentary ones,
//   buttons, with their first press), and again at every connection (they are retained, but
//   a broker may have lost them).
// - an empty retained config removes an entity: for a blocked device, for everything when
//   SetOption19 0 turns discovery off.
// The gateway itself is a device too: its STATE counters as diagnostic sensors.

import { deviceByPid } from '../devices/table.js';
import { keyId, MAX_KEY_IDS } from '../values/key-ids.js';
import { buttonNumber, type HaClass, valueKeyInfo } from '../values/keys.js';
import type { Registry, Slot } from './registry.js';

export const DISCOVERY_PREFIX = 'homeassistant';

export interface DiscoveryContext {
  readonly registry: Registry;
  /** The gateway's <topic> (its node id and its devices' via_device). */
  topic(): string;
  /** tele/<topic>/<leaf> under the current FullTopic. */
  teleTopic(leaf: string): string;
  /** Publish retained (an empty payload removes the entity). */
  publish(topic: string, payload: string): void;
  /** Whether the MQTT client is connected: configs wait here, not in its bounded offline queue. */
  connected(): boolean;
  setTimeout(callback: () => void, ms: number): unknown;
}

/**
 * Configs go out BURST at a time, every BURST_MS: a gateway with 64 devices has some 400
 * (about 280 KB), which would overflow the MQTT client's offline queue (200 messages /
 * 64 KB, dropping STATE and replies with them) or the device's socket buffer at once.
 */
const BURST = 10;
const BURST_MS = 100;

/** Tasmota's press codes of Button<n> and the device trigger types Home Assistant names them by. */
const PRESSES: readonly [code: number, type: string][] = [[1, 'button_short_press'], [2, 'button_double_press'], [3, 'button_long_press']];
/** Device triggers of the other event keys (type, subtype); a key not here gets ('event', its name). */
const EVENT_TRIGGERS: Readonly<Record<string, [type: string, subtype: string]>> = {
  Dimmer: ['knob_turned', 'knob'],
  Dimmer_P: ['knob_turned_pressed', 'knob'],
  Hold: ['button_long_press', 'knob'],
  LockAction: ['lock_action', 'lock'],
  LockError: ['lock_error', 'lock'],
  FingerprintResult: ['fingerprint', 'lock'],
};
/** The gateway's own diagnostic sensors: the counters of its STATE message (gateway.ts stateMessage). */
const GATEWAY_COUNTERS: readonly [key: string, label: string, stateClass: 'measurement' | 'total_increasing'][] = [
  ['Devices', 'Devices', 'measurement'],
  ['Frames', 'Advertisements', 'total_increasing'],
  ['Decoded', 'Decoded', 'total_increasing'],
  ['Duplicates', 'Duplicates', 'total_increasing'],
  ['DecryptFailures', 'Decrypt failures', 'total_increasing'],
  ['Replays', 'Replays rejected', 'total_increasing'],
  ['Errors', 'Errors', 'total_increasing'],
  ['Ignored', 'Ignored', 'total_increasing'],
  ['Overflow', 'Overflow', 'total_increasing'],
  ['MqttQueueDropped', 'MQTT queue dropped', 'total_increasing'],
  ['Buffered', 'Readings buffered', 'measurement'],
  ['Dropped', 'Readings dropped', 'total_increasing'],
];

interface Config { topic: string; payload: Record<string, unknown> }


/** A topic level Home Assistant accepts as node or object id: [a-zA-Z0-9_-]. */
export function topicId(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** A Jinja string literal. */
function jinjaString(text: string): string {
  return "'" + text.replace(/\\/g, '\\\\').replace(/'/g, "\\'") + "'";
}

/** value_json['<device>']['<key>'] when the message carries it, else '' (Home Assistant ignores an empty result). */
export function valueTemplate(device: string, key: string, then?: string): string {
  const d = `value_json[${jinjaString(device)}]`;
  const v = `${d}[${jinjaString(key)}]`;
  return `{{ ${then === undefined ? v : jinjaString(then)} if ${d} is defined and ${v} is defined else '' }}`;
}

/**
 * Which value keys were announced, per registry slot: one bit per key id (values/key-ids.ts),
 * in typed arrays allocated once, so a device costs a few bytes here, not a Set of strings.
 * A slot taken over by another device starts empty. A key beyond MAX_KEY_IDS has no id:
 * it is not announced (there are far fewer keys than that).
 */
class AnnouncedKeys {
  private readonly bits: Uint32Array;
  /** The device each slot's bits are for (the slot's own MAC string), its name override and PID: a change re-announces. */
  private readonly owner: (string | undefined)[];
  private readonly override: (string | undefined)[];
  private readonly pid: Uint16Array;
  /** Key id -> key, for the ids set here. */
  private readonly names: string[] = [];

  constructor(private readonly limit: number) {
    this.bits = new Uint32Array(limit * WORDS);
    this.owner = new Array<string | undefined>(limit).fill(undefined);
    this.override = new Array<string | undefined>(limit).fill(undefined);
    this.pid = new Uint16Array(limit);
  }

  /** 'new': nothing announced for this device yet; 'renamed': announced under another name; 'same'. */
  state(slot: Slot): 'new' | 'renamed' | 'same' {
    const i = slot.i;
    if (i < 0 || i >= this.limit || this.owner[i] !== slot.mac) return 'new';
    return this.override[i] !== slot.name || this.pid[i] !== slot.pid ? 'renamed' : 'same';
  }

  /** The slot is now `slot`'s, with nothing announced. */
  reset(slot: Slot): void {
    const i = slot.i;
    if (i < 0 || i >= this.limit) return;
    this.owner[i] = slot.mac;
    this.override[i] = slot.name;
    this.pid[i] = slot.pid;
    this.bits.fill(0, i * WORDS, (i + 1) * WORDS);
  }

  /** True when `key` needs no announcement (done, or it has no id). */
  has(slot: Slot, key: string): boolean {
    const id = keyId(key);
    if (id < 0 || slot.i < 0 || slot.i >= this.limit) return true;
    return (this.bits[slot.i * WORDS + (id >> 5)]! & (1 << (id & 31))) !== 0;
  }

  add(slot: Slot, key: string): void {
    const id = keyId(key);
    if (id < 0 || slot.i < 0 || slot.i >= this.limit) return;
    this.names[id] = key;
    this.bits[slot.i * WORDS + (id >> 5)]! |= 1 << (id & 31);
  }

  /** The keys announced for `slot`'s device ([] when the slot is another device's). */
  keys(slot: Slot): string[] {
    const i = slot.i;
    if (i < 0 || i >= this.limit || this.owner[i] !== slot.mac) return [];
    const out: string[] = [];
    for (let id = 0; id < WORDS * 32; id++) if (this.bits[i * WORDS + (id >> 5)]! & (1 << (id & 31))) out.push(this.names[id]!);
    return out;
  }

  forget(slot: Slot): void {
    const i = slot.i;
    if (i >= 0 && i < this.limit && this.owner[i] === slot.mac) this.owner[i] = undefined;
  }
}

const WORDS = MAX_KEY_IDS / 32;

export class Discovery {
  /** What was announced per device. */
  private readonly announced: AnnouncedKeys;
  /** The gateway node announced (a Topic change announces a new one and clears this one). */
  private gatewayNode: string | undefined;
  /** Configs (or removals, '') waiting to be published, oldest first; a newer one for a topic replaces the older. */
  private readonly queue = new Map<string, string>();
  /** Configs published in the current BURST_MS window (its timer starts with the first). */
  private burst = 0;

  /** Configs still waiting to be published. */
  get pending(): number { return this.queue.size; }

  constructor(private readonly ctx: DiscoveryContext, public enabled = true) {
    this.announced = new AnnouncedKeys(ctx.registry.limit);
  }

  /** At every (re)connection: the gateway and every device heard, with the values it has. */
  announceAll(): void {
    if (!this.enabled) return;
    this.announceGateway();
    for (const slot of this.ctx.registry.slots.values()) {
      if (slot.lastSeen <= 0) continue;
      // everything again: the stored values, and what was heard before (buttons, motion)
      const seen = this.announced.keys(slot);
      this.announced.forget(slot);
      this.learn(slot, [...Object.keys(slot.values), ...seen]);
    }
  }

  /**
   * Devices about to be in a SENSOR message: the values not announced yet are announced (all
   * of them when the device's name changed). Checked here, per message, not per frame: the
   * advertisement path stays as cheap as without discovery, and what is announced is exactly
   * what the SENSOR messages carry.
   */
  published(slots: readonly Slot[]): void {
    if (!this.enabled) return;
    for (let s = 0; s < slots.length; s++) {
      const slot = slots[s]!;
      const momentary = slot.momentary;
      const keys = Object.keys(slot.values);
      for (const key in momentary) keys.push(key);
      this.learn(slot, keys);
    }
  }

  private learn(slot: Slot, keys: string[]): void {
    const announced = this.announced;
    // The display name follows the name override and the PID: compared first, so a frame
    // of a known device builds no name string.
    const state = announced.state(slot);
    const name = state === 'same' ? '' : this.ctx.registry.displayName(slot);
    if (state !== 'same') {
      const before = state === 'renamed' ? announced.keys(slot) : [];
      announced.reset(slot);
      this.announceKey(slot, name, 'RSSI');
      for (const key of before) this.announceKey(slot, name, key);
    }
    let deviceName = name;
    const nameOf = () => (deviceName ||= this.ctx.registry.displayName(slot));
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k]!;
      if (!announced.has(slot, key)) this.announceKey(slot, nameOf(), key);
    }
    // Values the SENSOR message derives: the dew point, and the motion/door event count.
    if ('Temperature' in slot.values && 'Humidity' in slot.values && !announced.has(slot, 'DewPoint')) this.announceKey(slot, nameOf(), 'DewPoint');
    if (slot.events > 0 && !announced.has(slot, 'Events')) this.announceKey(slot, nameOf(), 'Events');
  }

  /** A device removed (MI32Block): an empty retained config for each of its entities. */
  removeDevice(mac: string): void {
    const slot = this.ctx.registry.slots.get(mac);
    if (!slot) return;
    this.clear(slot);
    this.announced.forget(slot);
  }

  /**
   * Empty configs for every entity the device may have on the broker: those announced, and
   * those an earlier run may have announced (its values, RSSI, the derived ones); an empty
   * retained message where there was none changes nothing.
   */
  private clear(slot: Slot): void {
    const keys = new Set([...this.announced.keys(slot), ...Object.keys(slot.values), ...Object.keys(slot.momentary), 'RSSI', 'DewPoint', 'Events']);
    for (const key of keys) for (const c of this.configs(slot.mac, '', key, undefined)) this.send(c.topic, '');
  }

  /** SetOption19: off removes every entity announced (the gateway's too); on announces them now. */
  setEnabled(on: boolean): void {
    if (on === this.enabled) return;
    if (!on) {
      // the keys heard stay known (buttons, motion): SetOption19 1 announces them all again
      for (const slot of this.ctx.registry.slots.values()) this.clear(slot);
      this.removeGateway();
      this.enabled = false;
      return;
    }
    this.enabled = true;
    this.announceAll();
  }

  // --- the configs ---------------------------------------------------------------

  private announceKey(slot: Slot, name: string, key: string): void {
    this.announced.add(slot, key); // also when nothing is published for it: it is not looked at again
    if (!this.ctx.connected()) return; // announceAll sends it at the next connection
    for (const c of this.configs(slot.mac, name, key, slot)) this.send(c.topic, JSON.stringify(c.payload));
  }

  private send(topic: string, payload: string): void {
    // Disconnected, a config need not wait: announceAll sends every one at the next connection.
    // A removal waits (nothing else would send it).
    if (payload !== '' && !this.ctx.connected()) {
      this.queue.delete(topic);
      return;
    }
    this.queue.delete(topic); // the newer one goes, in the newer one's place
    this.queue.set(topic, payload);
    this.flush();
  }

  /** At most BURST configs per BURST_MS; while disconnected they wait (announceAll sends all again). */
  private flush(): void {
    while (this.queue.size > 0 && this.burst < BURST && this.ctx.connected()) {
      if (this.burst++ === 0) {
        this.ctx.setTimeout(() => {
          this.burst = 0;
          this.flush();
        }, BURST_MS);
      }
      const [topic, payload] = this.queue.entries().next().value!;
      this.queue.delete(topic);
      this.ctx.publish(topic, payload);
    }
  }

  private gatewayId(): string {
    return `mi32_${topicId(this.ctx.topic())}`;
  }

  private availability(): Record<string, string> {
    return { availability_topic: this.ctx.teleTopic('LWT'), payload_available: 'Online', payload_not_available: 'Offline' };
  }

  /** The configs of one value of one device; a device trigger key may have several (one per press code). */
  private configs(mac: string, name: string, key: string, slot: Slot | undefined): Config[] {
    const ha = valueKeyInfo(key)?.ha;
    if (!ha) return [];
    const node = mac.toLowerCase();
    const object = topicId(key.toLowerCase());
    const type = slot ? deviceByPid(slot.pid) : undefined;
    const device = {
      // identifiers only: a ("bluetooth", MAC) connection would merge it into a device of
      // Home Assistant's own Bluetooth integrations, a ("mac", ...) one is a network address
      identifiers: [`mi32_${mac}`],
      name,
      model: type?.model ?? slot?.model ?? 'unknown',
      manufacturer: type?.vendor ?? 'unknown',
      via_device: this.gatewayId(),
    };
    const builder = COMPONENTS[ha.component];
    return builder({ node, object, key, name, mac, ha, device, state: this.ctx.teleTopic('SENSOR'), availability: this.availability() });
  }

  private announceGateway(): void {
    const id = this.gatewayId();
    if (this.gatewayNode !== undefined && this.gatewayNode !== id) this.removeGateway();
    this.gatewayNode = id;
    const device = { identifiers: [id], name: `mi32-xs ${this.ctx.topic()}`, model: 'mi32-xs BLE gateway', manufacturer: 'mi32-xs' };
    const state = this.ctx.teleTopic('STATE');
    const base = { state_topic: state, ...this.availability(), entity_category: 'diagnostic', device };
    this.send(`${DISCOVERY_PREFIX}/sensor/${id}/uptime/config`, JSON.stringify({
      ...base, name: 'Uptime', unique_id: `${id}_uptime`, device_class: 'duration', unit_of_measurement: 's', state_class: 'total_increasing',
      value_template: "{{ value_json['UptimeSec'] }}",
    }));
    for (const [key, label, stateClass] of GATEWAY_COUNTERS) {
      this.send(`${DISCOVERY_PREFIX}/sensor/${id}/${topicId(key.toLowerCase())}/config`, JSON.stringify({
        ...base, name: label, unique_id: `${id}_${key}`, state_class: stateClass, value_template: `{{ value_json['MI32'][${jinjaString(key)}] }}`,
      }));
    }
  }

  private removeGateway(): void {
    const id = this.gatewayNode;
    if (id === undefined) return;
    this.gatewayNode = undefined;
    this.send(`${DISCOVERY_PREFIX}/sensor/${id}/uptime/config`, '');
    for (const [key] of GATEWAY_COUNTERS) this.send(`${DISCOVERY_PREFIX}/sensor/${id}/${topicId(key.toLowerCase())}/config`, '');
  }
}

interface KeyContext {
  node: string;
  object: string;
  key: string;
  /** The device's name in the SENSOR JSON. */
  name: string;
  mac: string;
  ha: HaClass;
  device: Record<string, unknown>;
  /** tele/<topic>/SENSOR */
  state: string;
  availability: Record<string, string>;
}

const topicOf = (component: string, c: KeyContext, object = c.object) => `${DISCOVERY_PREFIX}/${component}/${c.node}/${object}/config`;

/** The entity's own name: the table's label, numbered like the key (Temperature2 -> "Temperature 2"). */
function entityName(key: string): string {
  const info = valueKeyInfo(key)!;
  const suffix = key.slice(info.key.length);
  return suffix ? `${info.label} ${suffix}` : info.label;
}

function entity(c: KeyContext): Record<string, unknown> {
  return {
    name: entityName(c.key), unique_id: `mi32_${c.mac}_${c.key}`, state_topic: c.state, value_template: valueTemplate(c.name, c.key),
    ...c.availability, device: c.device,
    ...(c.ha.device_class ? { device_class: c.ha.device_class } : {}),
    ...(c.ha.entity_category ? { entity_category: c.ha.entity_category } : {}),
  };
}

/** One builder per Home Assistant component (the value-key table names it per key). */
const COMPONENTS: Record<HaClass['component'], (c: KeyContext) => Config[]> = {
  sensor: (c) => {
    // Home Assistant spells micro with the Greek mu (U+03BC); the table has the micro sign (U+00B5).
    const unit = valueKeyInfo(c.key)!.unit?.replace(/\u00b5/g, '\u03bc');
    return [{ topic: topicOf('sensor', c), payload: {
      ...entity(c), ...(unit ? { unit_of_measurement: unit } : {}), ...(c.ha.state_class ? { state_class: c.ha.state_class } : {}),
    } }];
  },
  binary_sensor: (c) => {
    const on = c.ha.payload_on ?? 1;
    return [{ topic: topicOf('binary_sensor', c), payload: {
      ...entity(c), payload_on: String(on), payload_off: String(on === 1 ? 0 : 1),
      // A momentary value (Motion) is sent as it begins only: Home Assistant clears it.
      ...(c.ha.off_delay ? { off_delay: c.ha.off_delay } : {}),
    } }];
  },
  device_automation: (c) => {
    const trigger = (object: string, type: string, subtype: string, payload: string, template: string): Config => ({
      topic: topicOf('device_automation', c, object),
      payload: { automation_type: 'trigger', topic: c.state, type, subtype, payload, value_template: template, device: c.device },
    });
    const button = buttonNumber(c.key);
    if (button > 0) {
      return PRESSES.map(([code, type]) => trigger(`${c.object}_${code}`, type, `button_${button}`, String(code), valueTemplate(c.name, c.key)));
    }
    const [type, subtype] = EVENT_TRIGGERS[c.key] ?? ['event', c.object];
    return [trigger(c.object, type, subtype, 'fired', valueTemplate(c.name, c.key, 'fired'))];
  },
};
