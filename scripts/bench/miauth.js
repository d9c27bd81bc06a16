// Mi authentication's cost (issue 17): what a registration, a login, one encrypted UART
// exchange and one NMEA line cost in XS (xsnap's deterministic compute meter, the portable
// P-256/SHA-256/AES the device runs), and the same on Node next to node:crypto.
// One JSON line per figure, as every bench.
//
// The meter counts XS bytecode steps, not time: the ESP32 figure it stands for is in the
// README ("Mi authentication"); registration and login happen once per connection, the
// UART exchange once per register read (5 per poll, a poll every 5 s).

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startXsWorker } from '../lib/xsnap-worker.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const core = await import(path.join(root, 'dist/firmware/core/index.js'));
const { createNodeAes, createNodeAuthCrypto } = await import(path.join(root, 'dist/host-sim/crypto.js'));

const emit = (o) => console.log(JSON.stringify(o));

/** The work measured, as source evaluated in both engines: one step of each kind. */
const STEPS = `(core, crypto, aes) => {
  const h = (t) => core.fromHex(t);
  const ascii = (t) => Uint8Array.from(t, (c) => c.charCodeAt(0));
  const priv = h('6b243de1b1cfee581130b070c635c8957ac56f0c2c3d40b1af8732d6cd6ec183');
  const peer = h('2afe2a8c1c56e5e70721665cd20d017273111ecaeceb1e4d641e7b7a122a9c3041e5cbc962eefbdb155ffd95847a0d8762803291fc2866c5672ceee0e77d77fc');
  const token = h('0cf5615003810d89c233a12a');
  const did = h('00626c742e342e31386e35383236366b67673030');
  const session = { appKey: h('9951fb8edf3921d61d15d56b45d38a46'), appIv: h('642b0a93'), devKey: h('9951fb8edf3921d61d15d56b45d38a46'), devIv: h('642b0a93'), counter: 0 };
  const nmea = ascii('$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47\\r\\n');
  const reader = new core.NmeaReader();
  return {
    // Our key pair, the shared secret, the key schedule and the DID: a registration's crypto.
    register: () => {
      crypto.p256PublicKey(priv);
      const keys = core.registrationKeys(crypto.p256SharedSecret(priv, peer), crypto);
      return core.encryptDid(aes, keys.didKey, did);
    },
    // The login key schedule and both proofs.
    login: () => core.loginKeys(token, h('a8699783c1f03c7b73a046cdb613a9bf'), h('90fdec0ece05016d7f116b50fca4b4bf'), crypto),
    // One register read: our request encrypted, a 32-byte reply decrypted.
    uart: () => {
      const request = core.encryptFrame(aes, session, core.readCommand(0x20, 0xb0, 0x20), h('01020304'));
      const reply = core.encryptFrame(aes, { ...session, counter: 1 }, new Uint8Array(35), h('01020304'));
      return core.decryptFrame(aes, session, reply) && request;
    },
    nmea: () => reader.push(nmea),
  };
}`;

// ---- Node: the portable crypto and node:crypto, milliseconds per step ----

function msPer(fn, minMs = 300) {
  fn();
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    fn();
    n++;
    elapsed = performance.now() - start;
  } while (elapsed < minMs);
  return Number((elapsed / n).toFixed(4));
}

const steps = (0, eval)(STEPS);
const portable = steps(core, core.PORTABLE_AUTH_CRYPTO, core.createSoftAes());
const native = steps(core, createNodeAuthCrypto(), createNodeAes());
for (const step of ['register', 'login', 'uart', 'nmea']) {
  emit({ bench: `miauth.${step}.node`, impl: 'mi32-xs portable', runtime: 'node', msPerStep: msPer(portable[step]) });
  // The NMEA reader uses no crypto: one figure is enough.
  if (step !== 'nmea') emit({ bench: `miauth.${step}.node`, impl: 'node:crypto', runtime: 'node', msPerStep: msPer(native[step]) });
}

// ---- XS: compute meter per step, the bundled core ----

const xs = await startXsWorker('mi32-bench-miauth');
try {
  await xs.loadBundle('mi32-core');
  await xs.evaluate(`globalThis.steps = (${STEPS})(MI32Core, MI32Core.PORTABLE_AUTH_CRYPTO, MI32Core.createSoftAes());
    for (const k of Object.keys(steps)) steps[k](); // warm-up: lazily built tables are not a step's cost
    globalThis.nothing = () => {};`);
  const repeat = { register: 2, login: 20, uart: 50, nmea: 200 };
  for (const [step, k] of Object.entries(repeat)) {
    // CPU: the evaluate round trip, less the same round trip doing nothing (its IPC cost).
    let t = performance.now();
    const base = (await xs.evaluate(`for (let i = 0; i < ${k}; i++) nothing();`)).meterUsage.compute;
    const baseMs = performance.now() - t;
    t = performance.now();
    const run = (await xs.evaluate(`for (let i = 0; i < ${k}; i++) steps.${step}();`)).meterUsage.compute;
    const runMs = performance.now() - t;
    emit({
      bench: `miauth.${step}.xs`, impl: 'mi32-xs portable', runtime: 'xs', computePerStep: Math.round((run - base) / k),
      xsCpuMsPerStep: Number(Math.max(0, (runMs - baseMs) / k).toFixed(3)), repeats: k,
    });
  }
} finally {
  await xs.close();
}
