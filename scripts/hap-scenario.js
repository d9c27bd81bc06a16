// HomeKit pairing as source text, run in Node (core + node:crypto's HapCrypto) and in XS
// (the bundled core + the pure-JS HapCrypto of firmware/crypto-js): the core's
// HomeKitState, PairSetup and PairVerify (the accessory) against a scripted controller
// written here from the HapCrypto primitives (SRP-6a client, Ed25519, X25519).
//
// HAP_PAIRING is the list of steps: request() makes the controller's message, answer()
// is the accessory's work (what `npm run bench` measures, hap.js), check() reads the
// answer as the controller would. HAP_SCENARIO (`npm run xs-check`) runs them all with every
// random byte drawn from one seeded generator, so every request, answer and log line
// must be byte-equal in both engines: the transcript is the comparison.
//
// HAP_PAIRING: (core, hapCrypto, random, lines) => { steps: [{name, request, answer, check}], accessory }
// HAP_SCENARIO: (core, makeHapCrypto(random), seed) => string[]
export const HAP_PAIRING = `(function (core, hc, random, lines) {
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

  const c = { controllerId: enc('5E1A7C3D-0B9F-4E2A-8C6D-1F2E3D4C5B6A') };
  const M1 = () => encodeTlv([[TLV.State, 1], [TLV.Method, 0]]);
  const steps = [
    // 1. A wrong code: refused at M4 with Authentication.
    { name: 'wrong M1', request: M1, answer: (r) => setup.handle(r, 1), check: (a) => { c.m2 = decodeTlv(a); } },
    { name: 'wrong M3', request: () => { c.srp = controllerSrp(c.m2, '111-22-333'); return encodeTlv([[TLV.State, 3], [TLV.PublicKey, c.srp.A], [TLV.Proof, c.srp.M1]]); },
      answer: (r) => setup.handle(r, 1), check: (a) => { const e = decodeTlv(a).get(TLV.Error); lines.push('wrong code error ' + (e ? e[0] : 'none')); } },
    // 2. The right code: M1..M6.
    { name: 'M1', request: M1, answer: (r) => setup.handle(r, 2), check: (a) => { c.m2 = decodeTlv(a); } },
    { name: 'M3', request: () => { c.srp = controllerSrp(c.m2, code); return encodeTlv([[TLV.State, 3], [TLV.PublicKey, c.srp.A], [TLV.Proof, c.srp.M1]]); },
      answer: (r) => setup.handle(r, 2),
      check: (a) => { lines.push('accessory proof ' + (hex(decodeTlv(a).get(TLV.Proof) || new Uint8Array(0)) === hex(c.srp.M2) ? 'verifies' : 'WRONG')); } },
    { name: 'M5', request: () => {
        c.lt = hc.ed25519KeyPair();
        c.key = hc.hkdfSha512(c.srp.K, enc('Pair-Setup-Encrypt-Salt'), enc('Pair-Setup-Encrypt-Info'), 32);
        const cx = hc.hkdfSha512(c.srp.K, enc('Pair-Setup-Controller-Sign-Salt'), enc('Pair-Setup-Controller-Sign-Info'), 32);
        const m5 = encodeTlv([[TLV.Identifier, c.controllerId], [TLV.PublicKey, c.lt.publicKey], [TLV.Signature, hc.ed25519Sign(c.lt.privateKey, concat(cx, c.controllerId, c.lt.publicKey))]]);
        return encodeTlv([[TLV.State, 5], [TLV.EncryptedData, hc.chacha20Poly1305Seal(c.key, nonce('PS-Msg05'), m5)]]);
      },
      answer: (r) => setup.handle(r, 2),
      check: (a) => {
        const plain = hc.chacha20Poly1305Open(c.key, nonce('PS-Msg06'), decodeTlv(a).get(TLV.EncryptedData) || new Uint8Array(0));
        const sub = plain ? decodeTlv(plain) : new Map();
        const ax = hc.hkdfSha512(c.srp.K, enc('Pair-Setup-Accessory-Sign-Salt'), enc('Pair-Setup-Accessory-Sign-Info'), 32);
        c.accessoryLtpk = sub.get(TLV.PublicKey) || new Uint8Array(32);
        const signed = hc.ed25519Verify(c.accessoryLtpk, concat(ax, sub.get(TLV.Identifier) || new Uint8Array(0), c.accessoryLtpk), sub.get(TLV.Signature) || new Uint8Array(64));
        lines.push('M6 ' + (plain ? 'opens' : 'DOES NOT OPEN') + ', accessory signature ' + (signed ? 'verifies' : 'WRONG'));
      } },
    // 3. Pair-verify M1..M4.
    { name: 'PV M1', request: () => { c.eph = hc.x25519KeyPair(); return encodeTlv([[TLV.State, 1], [TLV.PublicKey, c.eph.publicKey]]); },
      answer: (r) => { const v = verify.handle(r, undefined); c.pending = v.pending; return v.reply; },
      check: (a) => {
        const v2 = decodeTlv(a);
        c.accessoryEph = v2.get(TLV.PublicKey);
        const shared = hc.x25519(c.eph.privateKey, c.accessoryEph);
        c.vkey = hc.hkdfSha512(shared, enc('Pair-Verify-Encrypt-Salt'), enc('Pair-Verify-Encrypt-Info'), 32);
        const sub = decodeTlv(hc.chacha20Poly1305Open(c.vkey, nonce('PV-Msg02'), v2.get(TLV.EncryptedData)));
        lines.push('PV M2 accessory signature ' + (hc.ed25519Verify(c.accessoryLtpk, concat(c.accessoryEph, sub.get(TLV.Identifier), c.eph.publicKey), sub.get(TLV.Signature)) ? 'verifies' : 'WRONG'));
      } },
    { name: 'PV M3', request: () => {
        const v3 = encodeTlv([[TLV.Identifier, c.controllerId], [TLV.Signature, hc.ed25519Sign(c.lt.privateKey, concat(c.eph.publicKey, c.controllerId, c.accessoryEph))]]);
        return encodeTlv([[TLV.State, 3], [TLV.EncryptedData, hc.chacha20Poly1305Seal(c.vkey, nonce('PV-Msg03'), v3)]]);
      },
      answer: (r) => { const v = verify.handle(r, c.pending); c.verified = v.verified; return v.reply; },
      check: () => { lines.push('verified ' + (c.verified ? c.verified.controllerId + ' encrypt ' + hex(c.verified.keys.encrypt) + ' decrypt ' + hex(c.verified.keys.decrypt) : 'NO')); } },
  ];
  return { steps, accessory };
})`;

export const HAP_SCENARIO = `(function (core, makeHapCrypto, seed) {
  let state = seed >>> 0 || 1;
  const random = { bytes(n) { const out = new Uint8Array(n); for (let i = 0; i < n; i++) { state ^= state << 13; state ^= state >>> 17; state ^= state << 5; out[i] = state & 255; } return out; } };
  const lines = [];
  const pairing = (${HAP_PAIRING})(core, makeHapCrypto(random), random, lines);
  for (const step of pairing.steps) {
    const request = step.request();
    const answer = step.answer(request);
    lines.push(step.name + ' > ' + core.toHex(request));
    lines.push(step.name + ' < ' + core.toHex(answer));
    step.check(answer);
  }
  return lines;
})`;
