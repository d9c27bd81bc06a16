// The HomeKit pairing benchmark's driver, as source text, so the same code runs in Node and
// in xsnap: the accessory's side of each pair-setup and pair-verify step, written out from
// the HapCrypto primitives (SRP-6a over RFC 5054's 3072-bit group with SHA-512, Ed25519,
// X25519, HKDF-SHA-512, ChaCha20-Poly1305), with the controller's side computed up front
// so that only the accessory's work is in the measured step. The message formats (TLV8)
// are left out: they cost next to nothing beside the crypto.
//
// (HapCrypto factory, {bytesToBigInt, bigIntToBytes}, seed) => { setup(), steps: {name: () => void}, between, check() }
export const HAP_DRIVER = `(function (createHapCrypto, convert, seed) {
  // A deterministic Random port (xorshift32): the figures must not depend on the run.
  let state = seed >>> 0 || 1;
  const random = { bytes(n) { const out = new Uint8Array(n); for (let i = 0; i < n; i++) { state ^= state << 13; state ^= state >>> 17; state ^= state << 5; out[i] = state & 255; } return out; } };
  const hc = createHapCrypto(random);
  const enc = (s) => new TextEncoder().encode(s);
  const concat = (...parts) => { let n = 0; for (const p of parts) n += p.length; const out = new Uint8Array(n); let at = 0; for (const p of parts) { out.set(p, at); at += p.length; } return out; };
  const toBig = convert.bytesToBigInt;
  const toBytes = convert.bigIntToBytes;
  const H = (...parts) => hc.sha512(concat(...parts));

  const N = BigInt('0x' +
    'FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD' +
    'EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED' +
    'EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F' +
    '83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B' +
    'E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510' +
    '15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7' +
    'ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C' +
    'BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF');
  const g = 5n;
  const LEN = 384;
  const I = enc('Pair-Setup');
  const code = '031-45-154';
  const k = toBig(H(toBytes(N, LEN), toBytes(g, LEN)));
  const hkdf = (ikm, salt, info) => hc.hkdfSha512(ikm, enc(salt), enc(info), 32);
  const nonce = (label) => concat(new Uint8Array(4), enc(label));
  const accessoryId = enc('1A:2B:3C:4D:5E:6F');
  const controllerId = enc('0C8FA3E1-5C1B-4D2A-9E6F-7A8B9C0D1E2F');

  // What the steps share: filled by setup() and by the steps themselves, in order.
  const s = {};
  function verifier() {
    s.x = toBig(H(s.salt, H(enc('Pair-Setup:' + code))));
    s.v = hc.modPow(g, s.x, N);
  }
  function ephemeral() {
    s.b = toBig(random.bytes(32));
    s.gb = hc.modPow(g, s.b, N);
  }
  function publicB() {
    s.B = (k * s.v + s.gb) % N;
  }

  function setup() {
    // H(N) xor H(g): a constant of the group, made once.
    s.groupHash = H(toBytes(N));
    const hg = H(toBytes(g));
    for (let i = 0; i < s.groupHash.length; i++) s.groupHash[i] ^= hg[i];
    s.salt = random.bytes(16);
    verifier();
    // The controller's long-term Ed25519 key and its ephemeral SRP key (not measured).
    s.controllerLt = hc.ed25519KeyPair();
    s.accessoryLt = hc.ed25519KeyPair();
    s.a = toBig(random.bytes(32));
    s.A = hc.modPow(g, s.a, N);
  }

  const steps = {
    // First boot (or a new setup code): the verifier, kept in the Store with the salt.
    'verifier v = g^x (first boot)': () => verifier(),
    // Pair-setup M1 -> M2 as an implementation that keeps nothing would do it.
    'pair-setup M2 (v computed)': () => { verifier(); ephemeral(); publicB(); },
    // ... with (salt, v) from the Store.
    'pair-setup M2 (v stored)': () => { ephemeral(); publicB(); },
    // ... with the next b and g^b made in idle time after boot (used once, then replaced).
    'pair-setup M2 (v stored, g^b ready)': () => publicB(),
    // M3 -> M4: the session key and both proofs; then the controller's M1 proof is checked.
    'pair-setup M4': () => {
      const Ab = toBytes(s.A, LEN);
      const Bb = toBytes(s.B, LEN);
      const u = toBig(H(Ab, Bb));
      const S = hc.modPow((s.A * hc.modPow(s.v, u, N)) % N, s.b, N);
      s.K = H(toBytes(S));
      s.M1 = H(s.groupHash, H(I), s.salt, toBytes(s.A), toBytes(s.B), s.K);
      s.M2 = H(toBytes(s.A), s.M1, s.K);
      s.S = S;
      s.encryptKey = hkdf(s.K, 'Pair-Setup-Encrypt-Salt', 'Pair-Setup-Encrypt-Info');
    },
    // M5 -> M6: open the controller's sub-TLV, check its signature, sign ours, seal it.
    'pair-setup M6': () => {
      const sub = hc.chacha20Poly1305Open(s.encryptKey, nonce('PS-Msg05'), s.m5);
      if (!sub) throw new Error('M5 does not open');
      const controllerX = hkdf(s.K, 'Pair-Setup-Controller-Sign-Salt', 'Pair-Setup-Controller-Sign-Info');
      if (!hc.ed25519Verify(s.controllerLt.publicKey, concat(controllerX, controllerId, s.controllerLt.publicKey), s.m5Signature)) throw new Error('M5 signature');
      const accessoryX = hkdf(s.K, 'Pair-Setup-Accessory-Sign-Salt', 'Pair-Setup-Accessory-Sign-Info');
      const signature = hc.ed25519Sign(s.accessoryLt.privateKey, concat(accessoryX, accessoryId, s.accessoryLt.publicKey));
      s.m6 = hc.chacha20Poly1305Seal(s.encryptKey, nonce('PS-Msg06'), concat(accessoryId, s.accessoryLt.publicKey, signature, new Uint8Array(8)));
    },
    // Pair-verify M1 -> M2: our ephemeral key, the shared secret, our signature, sealed.
    'pair-verify M2': () => {
      s.pvOurs = hc.x25519KeyPair();
      s.shared = hc.x25519(s.pvOurs.privateKey, s.pvTheirs.publicKey);
      const signature = hc.ed25519Sign(s.accessoryLt.privateKey, concat(s.pvOurs.publicKey, accessoryId, s.pvTheirs.publicKey));
      s.pvKey = hkdf(s.shared, 'Pair-Verify-Encrypt-Salt', 'Pair-Verify-Encrypt-Info');
      s.pv2 = hc.chacha20Poly1305Seal(s.pvKey, nonce('PV-Msg02'), concat(accessoryId, signature, new Uint8Array(6)));
    },
    // M3 -> M4: open, check the controller's signature, derive the session keys.
    'pair-verify M4': () => {
      const sub = hc.chacha20Poly1305Open(s.pvKey, nonce('PV-Msg03'), s.pv3);
      if (!sub) throw new Error('PV M3 does not open');
      if (!hc.ed25519Verify(s.controllerLt.publicKey, concat(s.pvTheirs.publicKey, controllerId, s.pvOurs.publicKey), s.pv3Signature)) throw new Error('PV M3 signature');
      s.readKey = hc.hkdfSha512(s.shared, enc('Control-Salt'), enc('Control-Read-Encryption-Key'), 32);
      s.writeKey = hc.hkdfSha512(s.shared, enc('Control-Salt'), enc('Control-Write-Encryption-Key'), 32);
    },
    // One full session frame each way (1024 bytes, the 2-byte length as AAD).
    'session frame 1024 B (seal + open)': () => {
      const frameNonce = new Uint8Array(12); frameNonce[4] = 7;
      const sealed = hc.chacha20Poly1305Seal(s.readKey, frameNonce, s.frame, Uint8Array.of(0, 4));
      if (!hc.chacha20Poly1305Open(s.readKey, frameNonce, sealed, Uint8Array.of(0, 4))) throw new Error('frame');
    },
  };

  /** The controller's messages between steps (not measured): what it would send next. */
  const between = {
    'pair-setup M4': () => {
      // M5: the controller proves the session key: its signature sealed under encryptKey.
      const controllerX = hkdf(s.K, 'Pair-Setup-Controller-Sign-Salt', 'Pair-Setup-Controller-Sign-Info');
      s.m5Signature = hc.ed25519Sign(s.controllerLt.privateKey, concat(controllerX, controllerId, s.controllerLt.publicKey));
      s.m5 = hc.chacha20Poly1305Seal(s.encryptKey, nonce('PS-Msg05'), concat(controllerId, s.controllerLt.publicKey, s.m5Signature, new Uint8Array(9)));
    },
    'pair-setup M6': () => { s.pvTheirs = hc.x25519KeyPair(); },
    'pair-verify M2': () => {
      s.pv3Signature = hc.ed25519Sign(s.controllerLt.privateKey, concat(s.pvTheirs.publicKey, controllerId, s.pvOurs.publicKey));
      s.pv3 = hc.chacha20Poly1305Seal(s.pvKey, nonce('PV-Msg03'), concat(controllerId, s.pv3Signature, new Uint8Array(5)));
    },
    'pair-verify M4': () => { s.frame = random.bytes(1024); },
  };

  /** The controller's view agrees with the accessory's: S = (B - k g^x)^(a + u x). */
  function check() {
    const u = toBig(H(toBytes(s.A, LEN), toBytes(s.B, LEN)));
    const base = ((s.B - k * hc.modPow(g, s.x, N)) % N + N) % N;
    const clientS = hc.modPow(base, s.a + u * s.x, N);
    const shared = hc.x25519(s.pvTheirs.privateKey, s.pvOurs.publicKey);
    let same = shared.length === s.shared.length;
    for (let i = 0; i < shared.length; i++) same = same && shared[i] === s.shared[i];
    return { srpAgrees: clientS === s.S, x25519Agrees: same, m6Bytes: s.m6.length, pv2Bytes: s.pv2.length };
  }

  return { setup, steps, between, check };
})`;
