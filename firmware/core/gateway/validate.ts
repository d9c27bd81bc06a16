// Checks for the values a user can set and the gateway later puts into MQTT topics and
// JSON keys. They run where a value enters (console, MQTT, CLI) and again when it is read
// back from flash at start, so a bad value can never be saved and then fail every boot.

/** C0 and C1 control characters, DEL, and U+2028/2029: invisible, and NUL ends a C string in brokers. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
/** A lone surrogate cannot be encoded as UTF-8, so no broker accepts it in a topic. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?:^|[^\ud800-\udbff])[\udc00-\udfff]/;

export const TOPIC_MAX = 32;
export const NAME_MAX = 32;

/** Why `topic` cannot be the <topic> of tele/<topic>/..., or undefined when it can. */
export function topicProblem(topic: string): string | undefined {
  if (topic.length === 0 || topic.length > TOPIC_MAX) return `topic must be 1-${TOPIC_MAX} characters, got ${topic.length}`;
  if (CONTROL.test(topic)) return 'topic must not contain control characters (NUL, 0x01-0x1F, DEL)';
  if (LONE_SURROGATE.test(topic)) return 'topic is not valid Unicode (lone surrogate)';
  if (/[\s/+#]/.test(topic)) return 'topic must not contain spaces, "/", "+" or "#"';
  return undefined;
}

export const DEFAULT_TELEPERIOD = 300;

/**
 * Tasmota's TelePeriod rule, for the command, `mi32 run --teleperiod` and settings.json
 * alike: whole seconds 0-3600 (0 = off); 1 means the default 300, 2-9 become 10 (the
 * shortest period). Returns the period, or why `seconds` is not one.
 */
export function telePeriodFrom(seconds: unknown): number | string {
  if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0 || seconds > 3600) {
    return `TelePeriod must be whole seconds from 0 to 3600, got ${String(seconds).slice(0, 40)}`;
  }
  if (seconds === 1) return DEFAULT_TELEPERIOD;
  return seconds > 0 && seconds < 10 ? 10 : seconds;
}

/**
 * Keys Tasmota writes at the top level of tele/<topic>/SENSOR (and STATE) next to the
 * device objects: a device under one of these names would duplicate or shadow a key.
 * Compared case-insensitively, since several JSON consumers fold case.
 */
const RESERVED_NAMES = new Set(['time', 'tempunit', 'humunit', 'pressureunit', 'speedunit', 'mi32', 'uptime', 'uptimesec']);

/** Why `name` cannot be a device's name in the SENSOR JSON, or undefined. */
export function deviceNameProblem(name: string): string | undefined {
  if (name.length === 0 || name.length > NAME_MAX) return `name must be 1-${NAME_MAX} characters, got ${name.length}`;
  if (CONTROL.test(name)) return 'name must not contain control characters';
  if (LONE_SURROGATE.test(name)) return 'name is not valid Unicode (lone surrogate)';
  if (RESERVED_NAMES.has(name.toLowerCase())) return `name "${name}" is a key of Tasmota's SENSOR JSON`;
  return undefined;
}

/** An advertised name the registry may adopt, or undefined when it is not usable as one. */
export function usableName(name: string | undefined): string | undefined {
  return name !== undefined && deviceNameProblem(name) === undefined ? name : undefined;
}

/** Registry size when the build does not say (mcconfig `slots=`). */
export const DEFAULT_SLOTS = 64;
/** The most slots a build may ask for: about 200 KB of XS heap at the per-device figure in README "Performance". */
export const MAX_SLOTS = 512;

/**
 * The registry size from a build setting (`slots=` on the mcconfig line reaches mc/config as
 * a string): a whole number 1-MAX_SLOTS. Anything else gives the default and says why.
 */
export function slotCount(value: unknown): { slots: number; problem?: string } {
  if (value === undefined || value === '') return { slots: DEFAULT_SLOTS };
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  const n = /^[0-9]{1,4}$/.test(text) ? Number(text) : NaN;
  if (n >= 1 && n <= MAX_SLOTS) return { slots: n };
  return { slots: DEFAULT_SLOTS, problem: `slots must be a whole number 1-${MAX_SLOTS}, got ${JSON.stringify(String(value).slice(0, 16))}; using ${DEFAULT_SLOTS}` };
}
