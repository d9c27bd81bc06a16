// TextEncoder as a global, as noble (the pure-JS HapCrypto's curves, firmware/crypto-js)
// expects: its ed25519 module calls it while it loads. Moddable has TextEncoder as the
// "text/encoder" module, not as a global. Preloaded before noble (manifest.json), and
// imported first by hap-crypto.ts for builds that load modules at run time.
import TextEncoderModule from "text/encoder";

const globals = globalThis as { TextEncoder?: unknown };
if (globals.TextEncoder === undefined) globals.TextEncoder = TextEncoderModule;

export {};
