// `mi32 decode`: one advertisement from the command line, or a JSONL batch on stdin.
// The decoding itself is the portable core's decodeRequest; this file only moves text.

import { createInterface } from 'node:readline';
import { decodeRequest, type DecodeRequest } from '../firmware/core/decode.js';
import { deviceName } from '../firmware/core/devices/table.js';
import { isError, NO_MAC, type DecodeResult } from '../firmware/core/decoders/types.js';
import type { AesEncryptBlock } from '../firmware/core/host.js';

/** The CLI's JSON shape: contract fields first (DESIGN §3), then extras. */
export function formatResult(r: DecodeResult): Record<string, unknown> {
  if (isError(r)) return { ...r };
  const known = r.mac !== NO_MAC;
  const out: Record<string, unknown> = {
    mac: known ? r.mac : null,
    model: r.model,
    pid: r.pid,
    format: r.format,
    encrypted: r.encrypted,
    counter: r.counter,
    values: r.values,
    type: r.type,
    name: r.localName ?? (known ? deviceName(r.type, r.mac) : null),
  };
  if (r.unknown) out.unknown = r.unknown;
  return out;
}

export function decodeOne(req: DecodeRequest, aes: AesEncryptBlock): string {
  return JSON.stringify(formatResult(decodeRequest(req, aes)));
}

/** Decode one JSON line; anything wrong with the line becomes an error line, never a throw. */
export function decodeJsonLine(line: string, lineNumber: number, aes: AesEncryptBlock): string {
  let req: unknown;
  try {
    req = JSON.parse(line);
  } catch (e) {
    return JSON.stringify({ error: `line ${lineNumber}: invalid JSON: ${(e as Error).message}`, code: 'bad-input' });
  }
  if (req === null || typeof req !== 'object' || Array.isArray(req)) {
    return JSON.stringify({ error: `line ${lineNumber}: expected a JSON object`, code: 'bad-input' });
  }
  return decodeOne(req as DecodeRequest, aes);
}

export async function decodeJsonlStream(input: NodeJS.ReadableStream, output: NodeJS.WritableStream, aes: AesEncryptBlock): Promise<number> {
  const rl = createInterface({ input, crlfDelay: Infinity });
  let n = 0;
  let lineNumber = 0;
  for await (const line of rl) {
    lineNumber++;
    if (line.trim() === '') continue;
    output.write(decodeJsonLine(line, lineNumber, aes) + '\n');
    n++;
  }
  return n;
}
