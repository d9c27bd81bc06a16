// A fake of Moddable's `file` module (modules/files/file) over node:fs in a folder the test
// owns, with the SDK's behaviours the Store adapter relies on: `new File(path)` opens for
// reading and throws if missing, `new File(path, true)` opens for writing without
// truncating (creating it), `read(ArrayBuffer)` reads from the position to the end and
// throws "read past end of file" at the end, `rename` returns false on failure.
import fs from 'node:fs';

export class File {
  private readonly fd: number;
  private position = 0;
  constructor(readonly path: string, write = false) {
    this.fd = fs.openSync(path, write ? (fs.existsSync(path) ? 'r+' : 'w+') : 'r');
  }
  get length(): number {
    return fs.fstatSync(this.fd).size;
  }
  read(type: typeof ArrayBuffer, count?: number): ArrayBuffer {
    if (type !== ArrayBuffer) throw new Error('fake file: only ArrayBuffer reads');
    const left = this.length - this.position;
    if (left <= 0) throw new Error('read past end of file');
    const n = Math.min(count ?? left, left);
    const out = new Uint8Array(n);
    fs.readSync(this.fd, out, 0, n, this.position);
    this.position += n;
    return out.buffer;
  }
  write(data: ArrayBuffer | string): void {
    const bytes = typeof data === 'string' ? Buffer.from(data) : new Uint8Array(data);
    fs.writeSync(this.fd, bytes, 0, bytes.length, this.position);
    this.position += bytes.length;
  }
  close(): void {
    fs.closeSync(this.fd);
  }
  static exists(path: string): boolean {
    return fs.existsSync(path);
  }
  static delete(path: string): boolean {
    try {
      fs.unlinkSync(path);
      return true;
    } catch {
      return false;
    }
  }
  static rename(from: string, to: string): boolean {
    // The SDK's second argument is a full path on littlefs and POSIX alike.
    try {
      fs.renameSync(from, to);
      return true;
    } catch {
      return false;
    }
  }
}

export class Directory {
  static create(path: string): void {
    fs.mkdirSync(path, { recursive: true });
  }
}
