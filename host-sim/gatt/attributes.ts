// A model's attribute table: handles assigned the way a GATT server lays out its database.
// Per service: the service declaration, then per characteristic its declaration, its value,
// a user description when the model has one, and a CCCD when it can notify or indicate.
// Handles a public dump shows are pinned in the model; the rest follow in order.

import { GATT_PROPERTY } from '../../firmware/core/host.js';
import type { CharacteristicModel, PeripheralModel, ServiceModel } from './models.js';

export interface CharacteristicEntry {
  model: CharacteristicModel;
  service: ServiceEntry;
  declaration: number;
  /** The value handle. */
  handle: number;
  /** Client Characteristic Configuration descriptor, for notifying characteristics. */
  cccd?: number;
}

export interface ServiceEntry {
  model: ServiceModel;
  uuid: string;
  start: number;
  end: number;
  characteristics: CharacteristicEntry[];
}

export interface AttributeTable {
  services: ServiceEntry[];
  byHandle: ReadonlyMap<number, CharacteristicEntry>;
}

const CAN_NOTIFY = GATT_PROPERTY.notify | GATT_PROPERTY.indicate;

function layOut(model: PeripheralModel): AttributeTable {
  const services: ServiceEntry[] = [];
  const byHandle = new Map<number, CharacteristicEntry>();
  let next = 1;
  const place = (pinned: number | undefined, what: string): number => {
    if (pinned !== undefined && pinned < next) throw new Error(`${model.name}: ${what} pinned at 0x${pinned.toString(16)}, but 0x${(next - 1).toString(16)} is taken`);
    return pinned ?? next;
  };
  for (const s of model.services) {
    const service: ServiceEntry = { model: s, uuid: s.uuid, start: place(s.start, `service ${s.uuid}`), end: 0, characteristics: [] };
    next = service.start + 1;
    for (const c of s.characteristics) {
      const declaration = place(c.handle === undefined ? undefined : c.handle - 1, `characteristic ${c.uuid}`);
      const entry: CharacteristicEntry = { model: c, service, declaration, handle: declaration + 1 };
      next = entry.handle + 1;
      if (c.userDescription) next++;
      if (c.properties & CAN_NOTIFY) entry.cccd = next++;
      service.characteristics.push(entry);
      byHandle.set(entry.handle, entry);
    }
    if (s.end !== undefined && s.end < next - 1) throw new Error(`${model.name}: service ${s.uuid} ends at 0x${s.end.toString(16)}, before its last attribute`);
    service.end = s.end ?? next - 1;
    next = service.end + 1;
    services.push(service);
  }
  return { services, byHandle };
}

const tables = new WeakMap<PeripheralModel, AttributeTable>();

/** The model's table, laid out once. Throws when pinned handles overlap. */
export function attributeTable(model: PeripheralModel): AttributeTable {
  let table = tables.get(model);
  if (!table) tables.set(model, table = layOut(model));
  return table;
}
