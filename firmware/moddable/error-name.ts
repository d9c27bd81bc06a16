// Preloaded before the XS linker freezes the built-ins (manifest "preload"). Frozen
// Error.prototype.name makes `this.name = "MqttError"` in an Error subclass throw
// "set name: not writable" on the device (documentation/xs/preload.md, "Modifying Built-in
// Objects Behavior"); xsnap and Node do not freeze, so the core's tests cannot see it.
// This setter turns the assignment into an own property, as an unfrozen realm would.

Object.defineProperty(Error.prototype, "name", {
  get(): string {
    return "Error";
  },
  set(this: object, value: unknown) {
    Object.defineProperty(this, "name", { value, writable: true, configurable: true, enumerable: false });
  },
  configurable: false,
});

export {};
