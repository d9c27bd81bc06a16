// What a capture holds: advertisements as the Scanner port delivers them, stamped with
// the time they were seen. Readers never throw on bad input; they return what they could
// read plus one CaptureError per problem, so a replay can go on and the CLI can report.

export interface CapturedAdvertisement {
  /** Milliseconds since the start of the capture (may be fractional). */
  t: number;
  /** Sender address, 12 uppercase hex digits in display order ("A4C138AABBCC"). */
  mac: string;
  addrType: 'public' | 'random';
  /** Signal strength in dBm (negative; 127 = "not available" as HCI reports it). */
  rssi: number;
  /** Raw advertising payload (AD structures), exactly as on air. */
  ad: Uint8Array;
}

/** The address type as the gateway and scripts number it (Tasmota's, NimBLE's): 0 public, 1 random. */
export function addrTypeCode(type: CapturedAdvertisement['addrType']): number {
  return type === 'random' ? 1 : 0;
}

/** One problem in a capture. Where it was: `line` (JSONL, 1-based) or `record`/`offset` (btsnoop). */
export interface CaptureError {
  error: string;
  /** JSONL: 1-based line number. */
  line?: number;
  /** btsnoop: 1-based record number. */
  record?: number;
  /** btsnoop: byte offset of the record (or header) in the file. */
  offset?: number;
}

export interface CaptureResult {
  advertisements: CapturedAdvertisement[];
  errors: CaptureError[];
}

/** Human-readable "where: what" for logs and the CLI. */
export function formatCaptureError(e: CaptureError): string {
  const where: string[] = [];
  if (e.line !== undefined) where.push(`line ${e.line}`);
  if (e.record !== undefined) where.push(`record ${e.record}`);
  if (e.offset !== undefined) where.push(`offset ${e.offset}`);
  return where.length ? `${where.join(', ')}: ${e.error}` : e.error;
}
