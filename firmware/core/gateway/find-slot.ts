import { normalizeMac } from '../bytes/hex.js';
import type { Registry, Slot } from './registry.js';

/** A slot by number (from 0, Tasmota's MI32 slot numbers), MAC, or current name. */
export function findSlot(registry: Registry, selector: string): Slot | undefined {
  if (/^\d{1,4}$/.test(selector)) return registry.slotAt(Number(selector));
  const mac = normalizeMac(selector);
  const lower = selector.toLowerCase();
  for (const slot of registry.slots.values()) {
    if (slot.mac === mac || registry.displayName(slot).toLowerCase() === lower) return slot;
  }
  return undefined;
}
