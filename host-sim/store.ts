// The Store port on a folder: the simulator's stand-in for the device's flash.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../firmware/core/host.js';

export class DirStore implements Store {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  private path(name: string): string {
    if (!/^[\w.-]+$/.test(name)) throw new Error(`invalid store file name "${name}"`);
    return join(this.dir, name);
  }

  read(name: string): Uint8Array | undefined {
    const p = this.path(name);
    return existsSync(p) ? new Uint8Array(readFileSync(p)) : undefined;
  }

  /** Written and flushed to disk before returning, so a following rename publishes whole data. */
  write(name: string, data: Uint8Array): void {
    const fd = openSync(this.path(name), 'w');
    try {
      writeSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  rename(from: string, to: string): void {
    renameSync(this.path(from), this.path(to));
  }

  remove(name: string): void {
    rmSync(this.path(name), { force: true });
  }

  exists(name: string): boolean {
    return existsSync(this.path(name));
  }
}
