// Tasmota's Timezone command and the local time Tasmota writes in the top-level "Time" of
// SENSOR and STATE. The gateway's clock is UTC; the offset is a setting (minutes east of
// UTC), persisted like TelePeriod.
//
// Tasmota forms: `Timezone -13..+14` (hours), `Timezone +HH:MM` / `-HH:MM` (minutes
// 0-59), and `Timezone 99`: the offset follows the daylight saving rules `TimeStd` and
// `TimeDst` (`TimeDst 0,0,3,1,2,120` = northern hemisphere, last week, March, Sunday,
// 02:00, +120 min). The rules and the switch are computed as Tasmota's RuleToTime and
// its hemisphere test do (tasmota/tasmota_support/support_rtc.ino).

/** Tasmota's range of whole hours. */
const MIN_HOURS = -13;
const MAX_HOURS = 14;

/** The Timezone setting that means "follow TimeStd/TimeDst" (Tasmota's 99). */
export const TIMEZONE_RULES = 99;

/** One of TimeStd / TimeDst: when it starts and the offset from then on. */
export interface TimeRule {
  /** 0 northern, 1 southern hemisphere (only TimeDst's counts, as in Tasmota). */
  hemisphere: 0 | 1;
  /** 0 = last, 1..4 = first..fourth week of the month. */
  week: number;
  /** 1..12. */
  month: number;
  /** 1 = Sunday .. 7 = Saturday. */
  dow: number;
  /** Local hour 0..23 at which it takes effect. */
  hour: number;
  /** Minutes east of UTC while it holds. */
  offset: number;
}

/** Tasmota's defaults: Central European Time and Summer Time. */
export const DEFAULT_TIME_STD: TimeRule = { hemisphere: 0, week: 0, month: 10, dow: 1, hour: 3, offset: 60 };
export const DEFAULT_TIME_DST: TimeRule = { hemisphere: 0, week: 0, month: 3, dow: 1, hour: 2, offset: 120 };

/** Why `minutes` is not a Timezone setting (an offset, or TIMEZONE_RULES), or undefined. */
export function timezoneProblem(minutes: unknown): string | undefined {
  if (minutes === TIMEZONE_RULES) return undefined;
  if (typeof minutes !== 'number' || !Number.isInteger(minutes)) return 'timezone must be whole minutes';
  if (minutes < MIN_HOURS * 60 - 59 || minutes > MAX_HOURS * 60 + 59) return `timezone must be from -13:59 to +14:59, got ${formatTimezone(minutes)}`;
  return undefined;
}

/** The argument of `Timezone`: minutes east of UTC, TIMEZONE_RULES for 99, or a message saying what is wrong. */
export function parseTimezone(arg: string): number | string {
  const m = /^([+-]?)(\d{1,2})(?::(\d{1,2}))?$/.exec(arg);
  if (!m) return `expected -13..+14, +HH:MM (e.g. +05:30) or 99 (TimeStd/TimeDst rules), got "${arg.slice(0, 40)}"`;
  const sign = m[1] === '-' ? -1 : 1;
  const hours = Number(m[2]);
  const minutes = m[3] === undefined ? 0 : Number(m[3]);
  if (hours === 99 && m[3] === undefined && sign > 0) return TIMEZONE_RULES;
  if (sign * hours < MIN_HOURS || sign * hours > MAX_HOURS) return `hours must be from ${MIN_HOURS} to +${MAX_HOURS} (or 99), got ${m[1]}${hours}`;
  if (minutes > 59) return `minutes must be 0-59, got ${minutes}`;
  return sign * (hours * 60 + minutes);
}

/** "+01:00", "-03:30": Tasmota's reply form; 99 for the rules. */
export function formatTimezone(minutes: number): string | number {
  if (minutes === TIMEZONE_RULES) return TIMEZONE_RULES;
  const abs = Math.abs(minutes);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${minutes < 0 ? '-' : '+'}${two(Math.floor(abs / 60))}:${two(abs % 60)}`;
}

/** `TimeStd`/`TimeDst` argument: "hemisphere,week,month,day,hour,offset" (Tasmota's six numbers). */
export function parseTimeRule(arg: string): TimeRule | string {
  const parts = arg.split(',').map((p) => p.trim());
  if (parts.length !== 6 || parts.some((p) => !/^-?\d{1,4}$/.test(p))) return `expected six numbers hemisphere,week,month,day,hour,offset (e.g. 0,0,3,1,2,120), got "${arg.slice(0, 40)}"`;
  const [hemisphere, week, month, dow, hour, offset] = parts.map(Number) as [number, number, number, number, number, number];
  const rule = { hemisphere, week, month, dow, hour, offset };
  const problem = timeRuleProblem(rule);
  return problem ?? (rule as TimeRule);
}

/** Why `rule` is not a TimeStd/TimeDst rule (read back from settings too), or undefined. */
export function timeRuleProblem(rule: unknown): string | undefined {
  const r = rule as Partial<Record<keyof TimeRule, unknown>> | null;
  if (r === null || typeof r !== 'object') return 'rule is not an object';
  const whole = (v: unknown, lo: number, hi: number) => typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
  if (!whole(r.hemisphere, 0, 1)) return 'hemisphere must be 0 (north) or 1 (south)';
  if (!whole(r.week, 0, 4)) return 'week must be 0 (last) to 4';
  if (!whole(r.month, 1, 12)) return 'month must be 1-12';
  if (!whole(r.dow, 1, 7)) return 'day must be 1 (Sunday) to 7 (Saturday)';
  if (!whole(r.hour, 0, 23)) return 'hour must be 0-23';
  if (!whole(r.offset, -780, 840)) return 'offset must be -780..840 minutes';
  return undefined;
}

/** Tasmota's reply form of a rule. */
export function formatTimeRule(r: TimeRule): Record<string, number> {
  return { Hemisphere: r.hemisphere, Week: r.week, Month: r.month, Day: r.dow, Hour: r.hour, Offset: r.offset };
}

const DAY_MS = 86_400_000;

/** UTC ms at which `rule` takes effect in `year`, computed from its local hour as Tasmota's RuleToTime does. */
function ruleToTime(rule: TimeRule, year: number): number {
  let month = rule.month;
  let week = rule.week;
  let y = year;
  if (week === 0) {
    // "last": the first such day of the next month, a week back
    if (++month > 12) {
      month = 1;
      y++;
    }
    week = 1;
  }
  const first = Date.UTC(y, month - 1, 1, rule.hour);
  const firstDow = new Date(first).getUTCDay() + 1; // 1 = Sunday
  let t = first + (7 * (week - 1) + ((rule.dow - firstDow + 7) % 7)) * DAY_MS;
  if (rule.week === 0) t -= 7 * DAY_MS;
  return t;
}

/** Minutes east of UTC at the UTC instant `ms` under the two rules (Tasmota's hemisphere test). */
export function ruleOffsetAt(ms: number, std: TimeRule, dst: TimeRule): number {
  const year = new Date(ms).getUTCFullYear();
  const dstStart = ruleToTime(dst, year) - std.offset * 60_000;
  const stdStart = ruleToTime(std, year) - dst.offset * 60_000;
  const inDst = dst.hemisphere === 1 ? !(ms >= stdStart && ms < dstStart) : ms >= dstStart && ms < stdStart;
  return inDst ? dst.offset : std.offset;
}

/** "2026-11-21T09:00:00": Tasmota's Time form, in local time (UTC `ms` + offset). */
export function localTimeText(ms: number, offsetMinutes: number): string {
  return new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 19);
}
