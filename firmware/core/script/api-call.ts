// The API as a sandboxed script sees it, for the sandboxed hosts (the Node worker host in
// host-sim and the device Worker host): its shape (names only) goes into the sandbox, and a
// call comes back as `[global]` or `[global, method]` with copied arguments. Only the
// runtime's own globals and their own methods are callable, never anything reached through
// a prototype.

import type { Shape } from './worker-protocol.js';

type Callback = (...args: unknown[]) => unknown;

export function callApi(globals: Record<string, unknown>, path: string[], args: unknown[]): unknown {
  const [global, method] = path as [string, string | undefined];
  const target = Object.hasOwn(globals, global) ? globals[global] : undefined;
  if (method === undefined && typeof target === 'function') return (target as Callback)(...args);
  if (method !== undefined && target && typeof target === 'object' && Object.hasOwn(target, method)) {
    const fn = (target as Record<string, unknown>)[method];
    if (typeof fn === 'function') return (fn as Callback).apply(target, args);
  }
  throw new TypeError(`${path.join('.')} is not a function`);
}

/** The script's view of the API: names only; the objects stay here. */
export function shapeOf(globals: Record<string, unknown>): Shape {
  const shape: Shape = {};
  for (const [name, value] of Object.entries(globals)) {
    if (typeof value === 'function') shape[name] = null;
    else if (value && typeof value === 'object') shape[name] = Object.keys(value).filter((k) => typeof (value as Record<string, unknown>)[k] === 'function');
  }
  return shape;
}
