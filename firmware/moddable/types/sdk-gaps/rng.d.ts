// The `rng` module (modules/crypt/etc/rng.js, included by $(MODULES)/crypt/tls.json): no
// typings in @moddable/typings 5.6.0 nor in Moddable SDK 8.2.3. Written against SDK 8.2.3
// (commit 48ee02d8): `RNG.get(n)` returns n pseudo-random bytes (RC4 generator seeded from
// the platform's c_rand, i.e. esp_random() on ESP32).

declare module "rng" {
  const RNG: {
    get(count: number): ArrayBuffer;
    init(seed: ArrayBuffer): void;
  };
  export default RNG;
}
