// NMEA 0183 from a serial GPS: lines in any chunking, checksums checked, GGA (altitude,
// satellites, fix quality) and RMC (date, speed, course) merged into one fix (reference §8).
// Every byte is hostile: a line without a valid checksum, too long, or with fields that do
// not parse is counted and dropped; memory is one line (82 characters per NMEA, some
// receivers send a little more, so up to MAX_LINE).

export interface GpsFix {
  /** Degrees, + north / east. */
  latitude: number;
  longitude: number;
  /** Metres above mean sea level (GGA), when known. */
  altitude?: number;
  /** km/h over ground (RMC, from knots). */
  speed?: number;
  /** Degrees true (RMC). */
  course?: number;
  satellites?: number;
  /** ISO 8601 UTC time of the fix (RMC's date and time; GGA's time on the last known date). */
  time?: string;
}

export interface NmeaStats {
  sentences: number;
  badChecksum: number;
  malformed: number;
  /** Lines cut off (longer than MAX_LINE) or starting mid-line. */
  dropped: number;
}

const MAX_LINE = 120;

/** ddmm.mmmm + hemisphere → degrees; undefined when it does not parse or is out of range. */
function degrees(value: string, hemisphere: string, degreeDigits: number, max: number): number | undefined {
  if (!/^\d+(\.\d+)?$/.test(value) || value.indexOf('.') !== degreeDigits + 2 && value.length !== degreeDigits + 2) return undefined;
  const d = Number(value.slice(0, degreeDigits));
  const m = Number(value.slice(degreeDigits));
  if (m >= 60) return undefined;
  const deg = d + m / 60;
  if (deg > max) return undefined;
  if (hemisphere === 'S' || hemisphere === 'W') return -deg;
  return hemisphere === 'N' || hemisphere === 'E' ? deg : undefined;
}

function hexByte(text: string): number {
  return /^[0-9A-Fa-f]{2}$/.test(text) ? parseInt(text, 16) : -1;
}

function timeOf(hhmmss: string): string | undefined {
  const m = /^(\d{2})(\d{2})(\d{2})(\.\d+)?$/.exec(hhmmss);
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59 || Number(m[3]) > 60) return undefined;
  return `${m[1]}:${m[2]}:${m[3]}`;
}

export class NmeaReader {
  readonly stats: NmeaStats = { sentences: 0, badChecksum: 0, malformed: 0, dropped: 0 };
  /** The latest fix; undefined until a valid one (RMC status A, or GGA quality > 0). */
  fix: GpsFix | undefined;
  /** Clock time of the latest fix (set by the caller's `now`). */
  fixAt = 0;
  private line = '';
  private overflow = false;
  private date: string | undefined;

  constructor(private readonly now: () => number = () => 0) {}

  /** Bytes as they come from the port. Returns true when the fix changed. */
  push(bytes: Uint8Array): boolean {
    let changed = false;
    for (let i = 0; i < bytes.length; i++) {
      const c = bytes[i]!;
      if (c === 0x0a || c === 0x0d) {
        if (this.overflow) this.stats.dropped++;
        else if (this.line.length > 0) changed = this.sentence(this.line) || changed;
        this.line = '';
        this.overflow = false;
      } else if (c === 0x24) {
        // '$' starts a sentence: a line cut short before it is dropped.
        if (this.line.length > 0 || this.overflow) this.stats.dropped++;
        this.line = '$';
        this.overflow = false;
      } else if (!this.overflow) {
        if (this.line.length >= MAX_LINE || c < 0x20 || c > 0x7e) {
          this.overflow = true;
          this.line = '';
        } else this.line += String.fromCharCode(c);
      }
    }
    return changed;
  }

  /** One line, without CR/LF. */
  private sentence(line: string): boolean {
    if (line[0] !== '$') {
      this.stats.dropped++;
      return false;
    }
    const star = line.lastIndexOf('*');
    if (star < 0 || star !== line.length - 3) {
      this.stats.badChecksum++;
      return false;
    }
    let sum = 0;
    for (let i = 1; i < star; i++) sum ^= line.charCodeAt(i);
    if (hexByte(line.slice(star + 1)) !== sum) {
      this.stats.badChecksum++;
      return false;
    }
    this.stats.sentences++;
    const fields = line.slice(1, star).split(',');
    const type = fields[0]!.slice(-3);
    if (fields[0]!.length !== 5) return false;
    if (type === 'RMC') return this.rmc(fields);
    if (type === 'GGA') return this.gga(fields);
    return false;
  }

  private rmc(f: string[]): boolean {
    if (f.length < 10) return this.malformed();
    if (f[2] !== 'A') return false; // void: no fix
    const latitude = degrees(f[3]!, f[4]!, 2, 90);
    const longitude = degrees(f[5]!, f[6]!, 3, 180);
    if (latitude === undefined || longitude === undefined) return this.malformed();
    const knots = f[7] === '' ? undefined : Number(f[7]);
    const course = f[8] === '' ? undefined : Number(f[8]);
    const date = /^(\d{2})(\d{2})(\d{2})$/.exec(f[9]!);
    // Two-digit years: 80-99 are 1980-1999 (GPS began in 1980), the rest 2000-2079.
    if (date) this.date = `${Number(date[3]) >= 80 ? '19' : '20'}${date[3]}-${date[2]}-${date[1]}`;
    const time = timeOf(f[1]!);
    return this.update({
      latitude, longitude,
      ...(knots !== undefined && Number.isFinite(knots) ? { speed: Math.round(knots * 1.852 * 10) / 10 } : {}),
      ...(course !== undefined && Number.isFinite(course) ? { course } : {}),
      ...(time && this.date ? { time: `${this.date}T${time}Z` } : {}),
    });
  }

  private gga(f: string[]): boolean {
    if (f.length < 10) return this.malformed();
    const quality = Number(f[6]);
    if (!Number.isInteger(quality) || quality === 0) return false; // no fix
    const latitude = degrees(f[2]!, f[3]!, 2, 90);
    const longitude = degrees(f[4]!, f[5]!, 3, 180);
    if (latitude === undefined || longitude === undefined) return this.malformed();
    const satellites = Number(f[7]);
    const altitude = f[9] === '' ? NaN : Number(f[9]);
    const time = timeOf(f[1]!);
    return this.update({
      latitude, longitude,
      ...(Number.isInteger(satellites) ? { satellites } : {}),
      ...(Number.isFinite(altitude) ? { altitude } : {}),
      ...(time && this.date ? { time: `${this.date}T${time}Z` } : {}),
    });
  }

  private malformed(): boolean {
    this.stats.malformed++;
    return false;
  }

  /** RMC and GGA of the same moment complete each other; a new position keeps the other's fields until they come again. */
  private update(next: GpsFix): boolean {
    this.fix = { ...this.fix, ...next };
    this.fixAt = this.now();
    return true;
  }
}

/** A fix as Tasmota-style JSON values (rounded at output, as the rest of the telemetry). */
export function gpsJson(fix: GpsFix): Record<string, number | string> {
  const out: Record<string, number | string> = {
    Latitude: Math.round(fix.latitude * 1e6) / 1e6,
    Longitude: Math.round(fix.longitude * 1e6) / 1e6,
  };
  if (fix.altitude !== undefined) out.Altitude = fix.altitude;
  if (fix.speed !== undefined) out.Speed = fix.speed;
  if (fix.course !== undefined) out.Course = fix.course;
  if (fix.satellites !== undefined) out.Satellites = fix.satellites;
  if (fix.time !== undefined) out.Time = fix.time;
  return out;
}
