// The Store port on Moddable's `file` module: littlefs on the ESP32 `storage` partition
// (lfs_rename replaces the target atomically, so core/store/atomic.ts gets its guarantee),
// POSIX files under /tmp on the lin simulator (rename(2), also atomic).

import { Directory, File } from "file";
import type { Store } from "core/host";

export class FileStore implements Store {
  /** `dir` is an absolute folder path ending in "/", e.g. config.file.root + "mi32/". */
  constructor(readonly dir: string) {
    Directory.create(dir.endsWith("/") ? dir.slice(0, -1) : dir);
  }

  private path(name: string): string {
    if (!/^[\w.-]+$/.test(name)) throw new Error(`invalid store file name "${name}"`);
    return this.dir + name;
  }

  read(name: string): Uint8Array | undefined {
    const path = this.path(name);
    if (!File.exists(path)) return undefined;
    const file = new File(path);
    try {
      // read() throws "read past end of file" on an empty file.
      return file.length === 0 ? new Uint8Array(0) : new Uint8Array(file.read(ArrayBuffer));
    } finally {
      file.close();
    }
  }

  write(name: string, data: Uint8Array): void {
    const path = this.path(name);
    // new File(path, true) opens without truncating: start from an empty file.
    File.delete(path);
    const file = new File(path, true);
    try {
      file.write(data.slice().buffer as ArrayBuffer);
    } finally {
      file.close();
    }
  }

  rename(from: string, to: string): void {
    if (!File.rename(this.path(from), this.path(to))) throw new Error(`rename ${from} -> ${to} failed`);
  }

  remove(name: string): void {
    File.delete(this.path(name));
  }

  exists(name: string): boolean {
    return File.exists(this.path(name));
  }
}
