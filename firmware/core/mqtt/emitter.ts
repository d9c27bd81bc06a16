// A minimal typed event emitter: the core cannot use Node's EventEmitter, and unlike it
// an 'error' with no listener does not throw (the client logs it instead).

export type Listener<A extends unknown[]> = (...args: A) => void;

export class Emitter<Events extends { [name: string]: unknown[] }> {
  private listeners: { [K in keyof Events]?: Listener<Events[K]>[] } = {};

  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): this {
    (this.listeners[event] ??= []).push(listener);
    return this;
  }

  off<K extends keyof Events>(event: K, listener: Listener<Events[K]>): this {
    const list = this.listeners[event];
    if (list) this.listeners[event] = list.filter((l) => l !== listener);
    return this;
  }

  /** Calls each listener; one that throws is reported to `onListenerError` and the rest still run. */
  protected emit<K extends keyof Events>(event: K, ...args: Events[K]): boolean {
    const list = this.listeners[event];
    if (!list || list.length === 0) return false;
    for (const listener of [...list]) {
      try {
        listener(...args);
      } catch (error) {
        this.onListenerError(String(event), error);
      }
    }
    return true;
  }

  protected onListenerError(_event: string, _error: unknown): void {}
}
