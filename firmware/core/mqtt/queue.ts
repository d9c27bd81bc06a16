// A FIFO bounded by item count and by bytes. When a push goes past either bound the
// oldest items leave first; the caller gets them back to report them as dropped.
// This is what keeps a gateway that is offline for hours at a fixed memory footprint.

export class BoundedQueue<T> {
  private items: T[] = [];
  private head = 0;
  private totalBytes = 0;

  constructor(
    readonly maxItems: number,
    readonly maxBytes: number,
    private readonly sizeOf: (item: T) => number,
  ) {
    if (!(maxItems >= 1) || !(maxBytes >= 1)) throw new RangeError('queue limits must be at least 1');
  }

  get length(): number { return this.items.length - this.head; }
  get bytes(): number { return this.totalBytes; }

  /** Appends `item`; returns the older items evicted to make room (oldest first). */
  push(item: T): T[] {
    const size = this.sizeOf(item);
    if (size > this.maxBytes) throw new RangeError(`item of ${size} bytes is larger than the whole queue (${this.maxBytes})`);
    this.items.push(item);
    this.totalBytes += size;
    const dropped: T[] = [];
    while (this.length > this.maxItems || this.totalBytes > this.maxBytes) {
      dropped.push(this.shift() as T);
    }
    return dropped;
  }

  peek(): T | undefined {
    return this.length > 0 ? this.items[this.head] : undefined;
  }

  shift(): T | undefined {
    if (this.length === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined as T; // let the payload be collected
    this.totalBytes -= this.sizeOf(item);
    // Compact now and then so the backing array does not keep growing.
    if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Removes and returns everything, oldest first. */
  drain(): T[] {
    const all = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    this.totalBytes = 0;
    return all;
  }
}
