// Tasmota's Timezone command with fixed offsets, and the local time Tasmota writes in
// the top-level "Time" of SENSOR and STATE. The gateway's clock is UTC; the offset is a
// setting (minutes east of UTC), persisted like TelePeriod.
//
// Tasmota forms: `Timezone -13..+14` (hours), `Timezone +HH:MM` / `-HH:MM` (minutes
// 0-59), and `Timezone 99` (use the TimeStd/TimeDst daylight saving rules). The rules are
// not implemented here: 99 is refused with a message (README, "Differences from Tasmota").

/** Tasmota's range of whole hours. */
const MIN_HOURS = -13;
const MAX_HOURS = 14;

/** Why `minutes` is not an offset Timezone can set, or undefined. */
export function timezoneProblem(minutes: unknown): string | undefined {
  if (typeof minutes !== 'number' || !Number.isInteger(minutes)) return 'timezone must be whole minutes';
  if (minutes < MIN_HOURS * 60 - 59 || minutes > MAX_HOURS * 60 + 59) return `timezone must be from -13:59 to +14:59, got ${formatTimezone(minutes)}`;
  return undefined;
}

/** The argument of `Timezone`: minutes east of UTC, or a message saying what is wrong. */
export function parseTimezone(arg: string): number | string {
  const m = /^([+-]?)(\d{1,2})(?::(\d{1,2}))?$/.exec(arg);
  if (!m) return `expected -13..+14 or +HH:MM (e.g. +05:30), got "${arg.slice(0, 40)}"`;
  const sign = m[1] === '-' ? -1 : 1;
  const hours = Number(m[2]);
  const minutes = m[3] === undefined ? 0 : Number(m[3]);
  if (hours === 99 && m[3] === undefined && sign > 0) {
    return 'Timezone 99 (daylight saving rules TimeStd/TimeDst) is not supported here; give a fixed offset such as +01:00';
  }
  if (sign * hours < MIN_HOURS || sign * hours > MAX_HOURS) return `hours must be from ${MIN_HOURS} to +${MAX_HOURS}, got ${m[1]}${hours}`;
  if (minutes > 59) return `minutes must be 0-59, got ${minutes}`;
  return sign * (hours * 60 + minutes);
}

/** "+01:00", "-03:30": Tasmota's reply form. */
export function formatTimezone(minutes: number): string {
  const abs = Math.abs(minutes);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${minutes < 0 ? '-' : '+'}${two(Math.floor(abs / 60))}:${two(abs % 60)}`;
}

/** "2026-11-21T09:00:00": Tasmota's Time form, in local time (UTC `ms` + offset). */
export function localTimeText(ms: number, offsetMinutes: number): string {
  return new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 19);
}
