// A script's call into the API, as a sandbox forwards it: `[global]` or `[global, method]`
// and copied arguments. Shared by the sandboxed hosts (the Node worker host in host-sim and
// the device Worker host): only the runtime's own globals and their own methods are callable,
// never anything reached through a prototype.

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
