// Tasmota's FullTopic: the pattern every topic is built from, "%prefix%/%topic%/" by
// default, so `tele/<topic>/SENSOR`. Users who moved Tasmota's topics around (for
// example "tasmota/%topic%/%prefix%/") keep their layout. GroupTopic is a second
// <topic> the gateway takes commands on (cmnd/<grouptopic>/#), shared by many devices.

export const DEFAULT_FULLTOPIC = '%prefix%/%topic%/';
export const DEFAULT_GROUPTOPIC = 'tasmotas';
/** Tasmota's FullTopic setting holds 100 characters. */
export const FULLTOPIC_MAX = 100;

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * Why `pattern` cannot be a FullTopic, or undefined. Stricter than Tasmota, which fills in
 * a missing token: here both %prefix% and %topic% must be there, no other %token%, and no
 * level may be empty or hold a space, control character, "+" or "#" (as Topic).
 */
export function fullTopicProblem(pattern: string): string | undefined {
  if (pattern.length === 0 || pattern.length > FULLTOPIC_MAX) return `FullTopic must be 1-${FULLTOPIC_MAX} characters, got ${pattern.length}`;
  if (!pattern.includes('%prefix%') || !pattern.includes('%topic%')) return 'FullTopic must contain %prefix% and %topic% (e.g. %prefix%/%topic%/)';
  const rest = pattern.replace(/%prefix%|%topic%/g, '');
  if (rest.includes('%')) return 'FullTopic knows only the tokens %prefix% and %topic%';
  if (CONTROL.test(pattern)) return 'FullTopic must not contain control characters';
  if (/[\s+#]/.test(pattern)) return 'FullTopic must not contain spaces, "+" or "#"';
  const levels = pattern.replace(/\/$/, '').split('/');
  if (levels.some((l) => l === '')) return 'FullTopic must not have empty levels ("//" or a leading "/")';
  return undefined;
}

/** `<pattern with prefix and topic filled in>/<leaf>`. */
export function buildTopic(pattern: string, prefix: string, topic: string, leaf: string): string {
  const base = pattern.replace(/%prefix%/g, prefix).replace(/%topic%/g, topic);
  return (base.endsWith('/') ? base : base + '/') + leaf;
}
