// The HomeKit bridge: every device in the registry as a bridged accessory, served by the
// HAP server. The database is rebuilt when a device or a reading with a HomeKit mapping
// appears for the first time (then `c#` moves); values are read from the registry's
// slots, as the SENSOR messages are; a reading that changes a value, and every button
// press, goes out as an event. Motion is held for MOTION_CLEAR_MS after the last motion
// (Xiaomi sensors report only its start), or until a no-motion time arrives.

import type { Values } from '../decoders/types.js';
import { deviceByPid } from '../devices/table.js';
import type { Registry, Slot } from '../gateway/registry.js';
import type { TimerHandle } from '../host.js';
import { buttonNumber, valueKeyInfo } from '../values/keys.js';
import { bridgeAccessory, databaseShape, deviceAccessory, hapKeys, homeKitName, type Accessory, type Characteristic } from './accessories.js';
import { indexCharacteristics, readValue, switchEvent, type CharacteristicIndex, type ValueReader } from './characteristics.js';
import { IdMap, MAX_AIDS } from './ids.js';
import { HapServer, type EventItem, type HapDatabase, type HapServerOptions, type HapServerPorts } from './server.js';

/** Tasmota MI32 cleared HomeKit motion after 20 s without motion. */
export const MOTION_CLEAR_MS = 20_000;
/**
 * Value changes are sent together after this long (the last value of each wins), as
 * hap-nodejs does and the spec asks: a fast replay or a chatty sensor does not stream one
 * encrypted EVENT per advertisement. Button presses go at once.
 */
export const EVENT_COALESCE_MS = 250;

export interface HomeKitOptions extends HapServerOptions {
  /** The bridge's name in the Home app. */
  name?: string;
  model?: string;
  firmwareRevision?: string;
  motionClearMs?: number;
}

export class HomeKitBridge implements HapDatabase {
  readonly server: HapServer;
  private readonly ids: IdMap;
  private database: Accessory[] = [];
  private characteristicIndex: CharacteristicIndex = indexCharacteristics([]);
  private readonly byMac = new Map<string, { accessory: Accessory; keys: Set<string>; buttons: Set<number> }>();
  private readonly motion = new Map<string, { on: boolean; timer?: TimerHandle }>();
  private readonly lastSent = new Map<string, unknown>();
  private readonly pending = new Map<string, EventItem>();
  /** Devices over HAP's accessory limit at the last rebuild. */
  private readonly leftOut = new Set<string>();
  private flushTimer: TimerHandle | undefined;
  private readonly options: Required<Pick<HomeKitOptions, 'name' | 'model' | 'firmwareRevision' | 'motionClearMs'>>;

  readonly reader: ValueReader = {
    values: (mac) => this.registry.slots.get(mac)?.values,
    motion: (mac) => this.motion.get(mac)?.on === true,
  };

  constructor(private readonly ports: HapServerPorts, private readonly registry: Registry, options: HomeKitOptions) {
    this.options = {
      name: options.name ?? 'MI32 Bridge', model: options.model ?? 'mi32-xs', firmwareRevision: options.firmwareRevision ?? '0.1.0',
      motionClearMs: options.motionClearMs ?? MOTION_CLEAR_MS,
    };
    this.ids = new IdMap(ports);
    this.ids.load();
    this.server = new HapServer(ports, options, this);
    this.rebuild();
  }

  accessories(): readonly Accessory[] {
    return this.database;
  }

  index(): CharacteristicIndex {
    return this.characteristicIndex;
  }

  configNumber(): number {
    return this.ids.configNumber;
  }

  identify(aid: number): void {
    const accessory = this.database.find((a) => a.aid === aid);
    this.ports.log.info(`HomeKit: identify ${accessory?.mac ?? 'bridge'}`);
  }

  listen(host: string | undefined, port: number, ready: (error: Error | undefined, port: number) => void): void {
    this.server.listen(host, port, ready);
  }

  stop(): void {
    this.server.close();
    for (const m of this.motion.values()) if (m.timer !== undefined) this.ports.clock.clearTimeout(m.timer);
    this.motion.clear();
    if (this.flushTimer !== undefined) this.ports.clock.clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.pending.clear();
  }

  /** The gateway decoded a reading of `slot` (Gateway.onValues): new services, motion, events. */
  onValues(slot: Slot, values: Values): void {
    // On the advertisement path: a failure here is logged, never thrown into the gateway.
    try {
      this.update(slot, values);
    } catch (e) {
      this.ports.log.error(`HomeKit: ${slot.mac}: ${(e as Error).message}`);
    }
  }

  private update(slot: Slot, values: Values): void {
    const known = this.byMac.get(slot.mac);
    // A device left out (over HAP's limit) does not rebuild the database at every reading.
    if ((!known && !this.leftOut.has(slot.mac)) || (known && Object.keys(values).some((k) => this.isNew(known, k)))) this.rebuild();
    const entry = this.byMac.get(slot.mac);
    if (!entry) return; // over HAP's accessory limit
    this.updateMotion(slot.mac, values);
    this.send(this.changes(entry.accessory, values));
  }

  /** Presses now; value changes after EVENT_COALESCE_MS, together. */
  private send(changes: { values: EventItem[]; presses: EventItem[] }): void {
    if (changes.presses.length) this.server.notify(changes.presses);
    for (const item of changes.values) this.pending.set(`${item.aid}.${item.iid}`, item);
    if (this.pending.size === 0 || this.flushTimer !== undefined) return;
    this.flushTimer = this.ports.clock.setTimeout(() => {
      this.flushTimer = undefined;
      const items = [...this.pending.values()];
      this.pending.clear();
      this.server.notify(items);
    }, EVENT_COALESCE_MS);
  }

  private isNew(known: { keys: Set<string>; buttons: Set<number> }, key: string): boolean {
    const hap = valueKeyInfo(key)?.hap;
    if (!hap) return false;
    return hap.map === 'button' ? !known.buttons.has(buttonNumber(key) || 1) : !known.keys.has(key);
  }

  /** The database from the registry's devices now; `c#` moves when its shape changed. */
  rebuild(): void {
    const accessories: Accessory[] = [bridgeAccessory(this.ids, {
      name: homeKitName(this.options.name, 'MI32 Bridge'), manufacturer: 'mi32-xs', model: this.options.model,
      serialNumber: this.server.state.identity.deviceId, firmwareRevision: this.options.firmwareRevision,
    })];
    this.byMac.clear();
    this.leftOut.clear();
    for (const slot of this.registry.slots.values()) {
      if (accessories.length >= MAX_AIDS) {
        this.leftOut.add(slot.mac);
        continue;
      }
      const type = deviceByPid(slot.pid);
      const heard = [...Object.keys(slot.values), ...Object.keys(slot.momentary), ...this.ids.subtypes(slot.mac)];
      const { keys, buttons } = hapKeys(type?.entities ?? [], heard);
      for (let n = 1; n <= (type?.buttons ?? 0); n++) if (!buttons.includes(n)) buttons.push(n);
      buttons.sort((a, b) => a - b);
      const accessory = deviceAccessory(this.ids, {
        mac: slot.mac, name: homeKitName(this.registry.displayName(slot), `Sensor ${slot.mac.slice(6)}`),
        model: type?.model ?? slot.model, manufacturer: type?.vendor ?? 'Unknown', keys, buttons,
        decimals: (key) => valueKeyInfo(key)?.decimals,
      }, this.options.firmwareRevision);
      accessories.push(accessory);
      this.byMac.set(slot.mac, { accessory, keys: new Set(keys), buttons: new Set(buttons) });
    }
    if (this.leftOut.size) this.ports.log.warn(`HomeKit: HAP allows ${MAX_AIDS - 1} bridged accessories; ${this.leftOut.size} device(s) left out`);
    this.database = accessories;
    this.characteristicIndex = indexCharacteristics(accessories);
    const keep = new Set(this.byMac.keys());
    if (this.ids.commit(databaseShape(accessories), keep)) {
      this.ports.log.info(`HomeKit: ${accessories.length - 1} accessories, configuration number ${this.ids.configNumber}`);
      this.server.onAdvertChange?.();
    }
  }

  private updateMotion(mac: string, values: Values): void {
    const started = values.Motion === 1;
    const ended = values.Motion === 0 || (typeof values.NMT === 'number' && values.NMT > 0);
    if (!started && !ended) return;
    const state = this.motion.get(mac) ?? { on: false };
    if (state.timer !== undefined) this.ports.clock.clearTimeout(state.timer);
    delete state.timer;
    state.on = started;
    if (started) {
      state.timer = this.ports.clock.setTimeout(() => {
        state.on = false;
        delete state.timer;
        const entry = this.byMac.get(mac);
        if (entry) this.send(this.changes(entry.accessory, { Motion: 0 }));
      }, this.options.motionClearMs);
    }
    this.motion.set(mac, state);
  }

  /** The characteristics of `accessory` whose value `values` changed, and its button presses. */
  private changes(accessory: Accessory, values: Values): { values: EventItem[]; presses: EventItem[] } {
    const items: EventItem[] = [];
    const presses: EventItem[] = [];
    const keys = Object.keys(values);
    for (const service of accessory.services) {
      for (const c of service.characteristics) {
        if (!c.perms.includes('ev')) continue;
        if (c.source.kind === 'button') {
          const n = c.source.button;
          const press = keys.find((k) => buttonNumber(k) === n || (n === 1 && k === 'Button'));
          const event = press === undefined ? undefined : switchEvent(values[press]);
          if (event !== undefined) presses.push({ aid: c.aid, iid: c.iid, value: event });
          continue;
        }
        if (!this.touches(c, keys)) continue;
        const value = readValue(c, this.reader);
        const id = `${c.aid}.${c.iid}`;
        if (this.lastSent.get(id) === value) continue;
        this.lastSent.set(id, value);
        items.push({ aid: c.aid, iid: c.iid, value });
      }
    }
    return { values: items, presses };
  }

  private touches(c: Characteristic, keys: string[]): boolean {
    const s = c.source;
    if (s.kind === 'key') return keys.includes(s.key);
    if (s.kind === 'low-battery') return keys.includes('Battery');
    if (s.kind === 'motion') return keys.includes('Motion') || keys.includes('NMT');
    return false;
  }
}
