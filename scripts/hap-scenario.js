// HomeKit pairing as source text, run by `npm run xs-check` in Node (core + node:crypto's
// HapCrypto) and in XS (the bundled core + the pure-JS HapCrypto of firmware/crypto-js):
// the core's HomeKitState, PairSetup and PairVerify (the accessory) against a scripted
// controller written here from the HapCrypto primitives (SRP-6a client, Ed25519, X25519).
// Both engines draw every random byte from the same seeded generator, so every request,
// answer and log line must be byte-equal: the transcript is the comparison.
//
// (core, makeHapCrypto(random), seed) => string[] (one line per message, key or log line)
export const HAP_SCENARIO = `(function (core, makeHapCrypto, seed) {
  let state = seed >>> 0 || 1;
  const random = { bytes(n) { const out = new Uint8Array(n); for (let i = 0; i < n; i++) { state ^= state << 13; state ^= state >>> 17; state ^= state << 5; out[i] = state & 255; } return out; } };
  const hc = makeHapCrypto(random);
  const lines = [];
  const hex = (b) => core.toHex(b);
  const enc = (s) => core.utf8Encode(s);
  const concat = (...parts) => { let n = 0; for (const p of parts) n += p.length; const out = new Uint8Array(n); let at = 0; for (const p of parts) { out.set(p, at); at += p.length; } return out; };
  const files = new Map();
  const store = {
    read: (n) => files.get(n), write: (n, d) => { files.set(n, d.slice()); },
    rename: (a, b) => { files.set(b, files.get(a)); files.delete(a); }, remove: (n) => { files.delete(n); }, exists: (n) => files.has(n),
  };
  const log = { debug() {}, info: (m) => lines.push('log info ' + m), warn: (m) => lines.push('log warn ' + m), error: (m) => lines.push('log error ' + m) };
  const clock = { now: () => 1767225600000, setTimeout: () => 1, clearTimeout() {} };
  const ports = { clock, crypto: hc, random, log, store };
  const { TLV, encodeTlv, decodeTlv, SRP_N: N, SRP_G: g, SRP_BYTES: LEN, bigIntToBytes: toBytes, bytesToBigInt: toBig } = core;
  const H = (...parts) => hc.sha512(concat(...parts));
  const nonce = (label) => concat(new Uint8Array(4), enc(label));
  const code = '031-45-154';

  const accessory = new core.HomeKitState(ports, '024D49333200', code);
  accessory.load();
  lines.push('accessory id ' + accessory.identity.deviceId + ' ltpk ' + hex(accessory.identity.ltpk) + ' code ' + accessory.setupCode);
  const setup = new core.PairSetup(ports, accessory, (id) => lines.push('paired ' + id));
  const verify = new core.PairVerify(ports, accessory);
  const exchange = (label, handler, request) => {
    const reply = handler(request);
    lines.push(label + ' > ' + hex(request));
    lines.push(label + ' < ' + hex(reply));
    return decodeTlv(reply);
  };

  // The controller's SRP-6a (RFC 5054): A = g^a; S = (B - k g^x)^(a + u x); proofs M1, M2.
  function controllerSrp(m2, password) {
    const salt = m2.get(TLV.Salt);
    const B = toBig(m2.get(TLV.PublicKey));
    const a = toBig(random.bytes(32));
    const A = hc.modPow(g, a, N);
    const k = toBig(H(toBytes(N, LEN), toBytes(g, LEN)));
    const x = toBig(H(salt, H(enc('Pair-Setup:' + password))));
    const u = toBig(H(toBytes(A, LEN), toBytes(B, LEN)));
    const base = ((B - k * hc.modPow(g, x, N)) % N + N) % N;
    const K = H(toBytes(hc.modPow(base, a + u * x, N), LEN));
    const hN = H(toBytes(N, LEN)); const hg = H(toBytes(g));
    for (let i = 0; i < hN.length; i++) hN[i] ^= hg[i];
    const M1 = H(hN, H(enc('Pair-Setup')), salt, toBytes(A, LEN), toBytes(B, LEN), K);
    return { A: toBytes(A, LEN), M1, K, M2: H(toBytes(A, LEN), M1, K) };
  }

  // 1. A wrong code: refused at M4 with Authentication.
  let m2 = exchange('wrong M1', (b) => setup.handle(b, 1), encodeTlv([[TLV.State, 1], [TLV.Method, 0]]));
  let srp = controllerSrp(m2, '111-22-333');
  let m4 = exchange('wrong M3', (b) => setup.handle(b, 1), encodeTlv([[TLV.State, 3], [TLV.PublicKey, srp.A], [TLV.Proof, srp.M1]]));
  lines.push('wrong code error ' + (m4.get(TLV.Error) ? m4.get(TLV.Error)[0] : 'none'));

  // 2. The right code: M1..M6.
  m2 = exchange('M1', (b) => setup.handle(b, 2), encodeTlv([[TLV.State, 1], [TLV.Method, 0]]));
  srp = controllerSrp(m2, code);
  m4 = exchange('M3', (b) => setup.handle(b, 2), encodeTlv([[TLV.State, 3], [TLV.PublicKey, srp.A], [TLV.Proof, srp.M1]]));
  lines.push('accessory proof ' + (hex(m4.get(TLV.Proof) || new Uint8Array(0)) === hex(srp.M2) ? 'verifies' : 'WRONG'));
  const controllerLt = hc.ed25519KeyPair();
  const controllerId = enc('5E1A7C3D-0B9F-4E2A-8C6D-1F2E3D4C5B6A');
  const key = hc.hkdfSha512(srp.K, enc('Pair-Setup-Encrypt-Salt'), enc('Pair-Setup-Encrypt-Info'), 32);
  const cx = hc.hkdfSha512(srp.K, enc('Pair-Setup-Controller-Sign-Salt'), enc('Pair-Setup-Controller-Sign-Info'), 32);
  const m5 = encodeTlv([[TLV.Identifier, controllerId], [TLV.PublicKey, controllerLt.publicKey], [TLV.Signature, hc.ed25519Sign(controllerLt.privateKey, concat(cx, controllerId, controllerLt.publicKey))]]);
  const m6 = exchange('M5', (b) => setup.handle(b, 2), encodeTlv([[TLV.State, 5], [TLV.EncryptedData, hc.chacha20Poly1305Seal(key, nonce('PS-Msg05'), m5)]]));
  const m6plain = hc.chacha20Poly1305Open(key, nonce('PS-Msg06'), m6.get(TLV.EncryptedData) || new Uint8Array(0));
  const m6sub = m6plain ? decodeTlv(m6plain) : new Map();
  const ax = hc.hkdfSha512(srp.K, enc('Pair-Setup-Accessory-Sign-Salt'), enc('Pair-Setup-Accessory-Sign-Info'), 32);
  const accessoryLtpk = m6sub.get(TLV.PublicKey) || new Uint8Array(32);
  const signed = hc.ed25519Verify(accessoryLtpk, concat(ax, m6sub.get(TLV.Identifier) || new Uint8Array(0), accessoryLtpk), m6sub.get(TLV.Signature) || new Uint8Array(64));
  lines.push('M6 ' + (m6plain ? 'opens' : 'DOES NOT OPEN') + ', accessory signature ' + (signed ? 'verifies' : 'WRONG'));

  // 3. Pair-verify M1..M4, then one session frame each way.
  const eph = hc.x25519KeyPair();
  const v2 = exchange('PV M1', (b) => { const r = verify.handle(b, undefined); globalThis.__pending = r.pending; return r.reply; }, encodeTlv([[TLV.State, 1], [TLV.PublicKey, eph.publicKey]]));
  const pending = globalThis.__pending;
  delete globalThis.__pending;
  const accessoryEph = v2.get(TLV.PublicKey);
  const shared = hc.x25519(eph.privateKey, accessoryEph);
  const vkey = hc.hkdfSha512(shared, enc('Pair-Verify-Encrypt-Salt'), enc('Pair-Verify-Encrypt-Info'), 32);
  const v2plain = hc.chacha20Poly1305Open(vkey, nonce('PV-Msg02'), v2.get(TLV.EncryptedData));
  const v2sub = decodeTlv(v2plain);
  lines.push('PV M2 accessory signature ' + (hc.ed25519Verify(accessoryLtpk, concat(accessoryEph, v2sub.get(TLV.Identifier), eph.publicKey), v2sub.get(TLV.Signature)) ? 'verifies' : 'WRONG'));
  const v3 = encodeTlv([[TLV.Identifier, controllerId], [TLV.Signature, hc.ed25519Sign(controllerLt.privateKey, concat(eph.publicKey, controllerId, accessoryEph))]]);
  let verified;
  exchange('PV M3', (b) => { const r = verify.handle(b, pending); verified = r.verified; return r.reply; }, encodeTlv([[TLV.State, 3], [TLV.EncryptedData, hc.chacha20Poly1305Seal(vkey, nonce('PV-Msg03'), v3)]]));
  lines.push('verified ' + (verified ? verified.controllerId + ' encrypt ' + hex(verified.keys.encrypt) + ' decrypt ' + hex(verified.keys.decrypt) : 'NO'));
  return lines;
})`;
