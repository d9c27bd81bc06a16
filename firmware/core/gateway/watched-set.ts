// A Set that says when its contents change: the gateway keeps one derived flag for the
// advertisement path (Gateway.detour) instead of asking the set's size per advertisement,
// while every command that edits the set (MI32Block, MI32Approve, ...) stays a plain Set call.

export class WatchedSet<T> extends Set<T> {
  /** Called after each change; given by watch() once the owner exists. */
  private changed: (() => void) | undefined;

  watch(changed: () => void): this {
    this.changed = changed;
    return this;
  }

  override add(value: T): this {
    super.add(value);
    this.changed?.();
    return this;
  }

  override delete(value: T): boolean {
    const had = super.delete(value);
    if (had) this.changed?.();
    return had;
  }

  override clear(): void {
    super.clear();
    this.changed?.();
  }
}
