// The Random port: Moddable's `rng` (RC4 generator seeded from esp_random() on ESP32),
// falling back to Math.random if the native generator fails.

import RNG from "rng";
import type { Random } from "core/host";

export const moddableRandom: Random = {
  bytes(count: number): Uint8Array {
    try {
      return new Uint8Array(RNG.get(count));
    } catch {
      const out = new Uint8Array(count);
      for (let i = 0; i < count; i++) out[i] = Math.floor(Math.random() * 256);
      return out;
    }
  },
};
