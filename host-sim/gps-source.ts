// `mi32 run --gps FILE|PIPE`: the GPS's serial port as a ByteSource. A FIFO, a pty or a
// serial device is streamed as it comes (the core's NMEA reader copes with any chunking);
// a regular file is a recorded track, replayed a line every `lineMs` and looped, so its
// fix stays fresh for as long as the gateway runs.

import { createReadStream, readFileSync, statSync, type ReadStream } from 'node:fs';
import type { ByteSource } from '../firmware/core/host.js';

export function createGpsSource(path: string, lineMs = 250): ByteSource {
  let stream: ReadStream | undefined;
  let timer: NodeJS.Timeout | undefined;
  return {
    start(onBytes, onEnd) {
      if (statSync(path).isFile()) {
        const lines = readFileSync(path).toString('latin1').split(/(?<=\n)/).filter((l) => l.trim() !== '');
        if (lines.length === 0) return onEnd?.(new Error(`${path} has no lines`));
        let next = 0;
        timer = setInterval(() => {
          onBytes(Buffer.from(lines[next]!, 'latin1'));
          next = (next + 1) % lines.length;
        }, lineMs);
        timer.unref();
        return;
      }
      stream = createReadStream(path);
      stream.on('data', (chunk) => onBytes(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk));
      stream.on('error', (e) => onEnd?.(e));
      stream.on('end', () => onEnd?.());
    },
    stop() {
      if (timer) clearInterval(timer);
      stream?.destroy();
      timer = stream = undefined;
    },
  };
}
