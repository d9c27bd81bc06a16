// A capture read as it is replayed, never whole: a 1,000,000-advertisement JSONL file
// held as objects took about 1 GB. JSONL is read line by line from a file stream;
// btsnoop (binary, ~60 bytes an advertisement) is read into one buffer and walked one
// record at a time. Problems are reported through `onError` as they are met.

import { closeSync, createReadStream, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { btsnoopAdvertisements, BTSNOOP_MAGIC } from './btsnoop.js';
import { parseJsonlLine } from './jsonl.js';
import type { CaptureError, CapturedAdvertisement } from './types.js';

export interface CaptureStream {
  format: 'jsonl' | 'btsnoop';
  advertisements: AsyncIterable<CapturedAdvertisement>;
  /** How far the reading is, 0..1 (bytes read / file size). */
  progress(): number;
}

function startsWithBtsnoop(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = new Uint8Array(BTSNOOP_MAGIC.length);
    const n = readSync(fd, head, 0, head.length, 0);
    return n === head.length && head.every((b, i) => b === BTSNOOP_MAGIC[i]);
  } finally {
    closeSync(fd);
  }
}

/** Open a capture for replay. Throws only when the file cannot be read. */
export function openCapture(path: string, onError: (e: CaptureError) => void): CaptureStream {
  const size = statSync(path).size;
  if (startsWithBtsnoop(path)) {
    const bytes = new Uint8Array(readFileSync(path));
    let count = 0;
    const records = btsnoopAdvertisements(bytes, { push: onError });
    return {
      format: 'btsnoop',
      progress: () => (size === 0 ? 1 : Math.min(1, (count * 60) / size)),
      advertisements: (async function* () {
        for (const adv of records) {
          count++;
          yield adv;
        }
        count = Infinity;
      })(),
    };
  }
  const stream = createReadStream(path);
  return {
    format: 'jsonl',
    progress: () => (size === 0 ? 1 : stream.bytesRead / size),
    advertisements: (async function* () {
      const lines = createInterface({ input: stream, crlfDelay: Infinity });
      let number = 0;
      for await (let line of lines) {
        number++;
        if (number === 1 && line.charCodeAt(0) === 0xfeff) line = line.slice(1); // editors on Windows add a BOM
        const item = parseJsonlLine(line, number);
        if (item === undefined) continue;
        if ('error' in item) onError(item);
        else yield item;
      }
    })(),
  };
}
