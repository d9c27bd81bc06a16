// Mi authentication in XS (run by scripts/xs-check.js, and by the bench for its cost): the
// reference's test vectors (xiaomi-auth-scooter.md §9) on the portable crypto, then a whole
// register, login and encrypted UART exchange between the gateway's side (miRegister,
// miLogin) and the device's side (MiAuthDevice), both in the same engine, with a seeded
// random so that Node and XS must print the very same lines. The source is a string,
// evaluated as it is in both engines (as gateway-scenario.js).

export const MIAUTH_CHECK = `async (core, seed) => {
  const out = [];
  const hex = (b) => core.toHex(b);
  const h = (t) => core.fromHex(t);
  const ascii = (t) => Uint8Array.from(t, (c) => c.charCodeAt(0));
  const crypto = core.PORTABLE_AUTH_CRYPTO;
  const aes = core.createSoftAes();
  const check = (name, got, want) => out.push(got === want ? 'ok ' + name : 'FAIL ' + name + ': got ' + got + ', want ' + want);

  // V1, V2
  const d1 = h('555610d6677f6309a23af6188ca933a36e8cc7cf28791afa3cd809adfc75584e');
  const pub1 = crypto.p256PublicKey(d1);
  check('V1 P-256 public key', hex(pub1), 'b5dca0aec31a8932d0f53cbcbcf0cfdd833c355cada1025cc076e013439ddec2b4017b546a11d79a758db9d015a2ed8926cf82179b593679187d623b5e430fca');
  check('V2 ECDH', hex(crypto.p256SharedSecret(d1, pub1)), '70b646a735a72e56845aaf83777463fac250b6da0e864526b312a7e56b5c0f36');
  // V3, V4
  const ikm = h('5a3d987d45f6484aff82ffde1e9105b7f6cc79fa7467f12c5855ad9e3f1d8f2f');
  check('V3 HKDF salt', hex(core.hkdfSha256(ikm, h('01020304'), ascii('mible-login-info'), 64)), '40ccc0ee058c3a1d37c08e6f72bc2c57c0a406aaa801a0b1b72f22c8c3ec930d3f151e2eb38a2303d8625a18084daa15667496dcfbc53ba3074ce35d6c90d987');
  check('V3 HKDF no salt', hex(core.hkdfSha256(ikm, new Uint8Array(0), ascii('mible-setup-info'), 64)), '104ec0eda032b6d213c245359e585d3bfd4b7c5d683c99f49fd86aaf0de0f6b0bfafb897e3b3727aaa8f8ad6b21a737c1d85c3aae340969f268d2d95ca8848c1');
  check('V4 HMAC', hex(core.hmacSha256(h('E2B274F08128A62A9575288BED169B3E'), h('01020304'))), '235d7f910974acb594d76a1652a856ce4f269e3060d7c8512e94b2da345d3083');
  // V5 (the DID key of V5 through encryptDid's fixed nonce and AAD)
  check('V5 DID encryption', hex(core.encryptDid(aes, h('4FEB7165982BF1C6183A51B8CADD0EEC'), h('01020304'))), 'aeebd70f8c2bdf8c');
  // V6
  const d6 = h('6b243de1b1cfee581130b070c635c8957ac56f0c2c3d40b1af8732d6cd6ec183');
  const secret = crypto.p256SharedSecret(d6, h('2afe2a8c1c56e5e70721665cd20d017273111ecaeceb1e4d641e7b7a122a9c3041e5cbc962eefbdb155ffd95847a0d8762803291fc2866c5672ceee0e77d77fc'));
  check('V6 shared secret', hex(secret), 'fac3a6fd591dcea21f9f4fefe297804f49291527ae818b285f4a75a6fab72af8');
  const reg = core.registrationKeys(secret, crypto);
  check('V6 token', hex(reg.token), '0cf5615003810d89c233a12a');
  check('V6 bind key', hex(reg.bindKey), '8fc5100e31299d80c4c290dc7d33f19e');
  check('V6 DID', hex(core.encryptDid(aes, reg.didKey, h('00626c742e342e31386e35383236366b67673030'))), '646735cc7a96373aabbd93afa089bb6cd2d080302101007a');
  // V7
  const lk = core.loginKeys(h('0cf5615003810d89c233a12a'), h('a8699783c1f03c7b73a046cdb613a9bf'), h('90fdec0ece05016d7f116b50fca4b4bf'), crypto);
  check('V7 keys', hex(lk.devKey) + hex(lk.appKey) + hex(lk.devIv) + hex(lk.appIv), '3c2fdae69f8746663a7d91029724b07212a4122dbe3cf60f3bdcb37139c34611cd016050c87de6f1');
  check('V7 device proof', hex(lk.expectedDeviceInfo), '471467ea7ed6064f8dd72f416c079dcb3bb78e3c94a51e97b98ef7623a7798e5');
  check('V7 app proof', hex(lk.appInfo), 'bbb99b6a6f1ae419e3b13db93514f3e12a1843033f276392eea99068affca753');
  // V8..V12
  const s8 = { appKey: h('9951fb8edf3921d61d15d56b45d38a46'), appIv: h('642b0a93'), counter: 0 };
  check('V8 UART encrypt', hex(core.encryptFrame(aes, s8, h('2001100e'), h('01020304'))), '55ab03000003dbfd07465635dcbd3b2d7acefa');
  const p9 = core.decryptFrame(aes, { devKey: h('887ed6ae8ea3189546a55f0d0a6216ce'), devIv: h('659b7362') }, h('55ab1001004c4e49c65c208435f7e050e56904adb8fe6e2eb1297cf9e0afbaf2'));
  check('V9 UART decrypt', p9 ? hex(p9) : 'none', '23011032353730302f3030303031333337');
  check('V10 UART encrypt', hex(core.encryptFrame(aes, { appKey: h('5066d82368375a1f6a0a3eba1317b525'), appIv: h('28cee53e'), counter: 0 }, h('2001100e'), h('897045e7'))), '55ab03000016b2eddb0b680532a988c4f2dbf9');
  const p11 = core.decryptFrame(aes, { devKey: h('462f3fcc74200ca5f77ee2a581c42af0'), devIv: h('f8901a05') }, h('55ab1001009a70888f3a27d8378bb07f7d8ce4cce88ab54a50595ad6c019c7f2'));
  check('V11 UART decrypt', p11 ? hex(p11) : 'none', '23011032363335342f3030343637333533');
  check('V12 checksum', hex(core.plainFrame(h('2001100e'))), '55aa032001100ebdff');
  // V13: the live block and the BMS block through the poll table
  const v = {};
  core.SCOOTER_POLL[0].decode(h('0000000000080000400000000000e3ed130000005800fa0000000000000000'), v);
  core.SCOOTER_POLL[1].decode(h('f91c3f0001005c0e2d2d'), v);
  check('V13 registers', JSON.stringify(v), JSON.stringify({ Error: 0, Warning: 0, Locked: 0, Battery: 64, Speed: 0, AverageSpeed: 0, Odometer: 1306.083, Trip: 0, Uptime: 88, Temperature: 25, Capacity: 7417, BatteryLevel: 63, Current: 0.01, Voltage: 36.76, BatteryTemperature: [25, 25] }));
  // V16: NMEA
  const gps = new core.NmeaReader();
  gps.push(ascii('$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47\\r\\n$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6B\\r\\n'));
  check('V16 NMEA (the RMC line, its checksum wrong, is dropped)', JSON.stringify(core.gpsJson(gps.fix)), JSON.stringify({ Latitude: 48.1173, Longitude: 11.516667, Altitude: 545.4, Satellites: 8 }));

  // A whole exchange, gateway against device, on a seeded xorshift random.
  let state = seed >>> 0 || 1;
  const random = (n) => {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) { state ^= state << 13; state >>>= 0; state ^= state >>> 17; state ^= state << 5; state >>>= 0; b[i] = state & 0xff; }
    return b;
  };
  const queues = { upnp: [], avdtp: [] };
  const waiting = {};
  const deliver = (channel, bytes) => {
    const w = waiting[channel];
    if (w) { delete waiting[channel]; w(bytes); } else queues[channel].push(bytes);
  };
  const UPNP = '00000010-0000-1000-8000-00805f9b34fb';
  const AVDTP = '00000019-0000-1000-8000-00805f9b34fb';
  const device = new core.MiAuthDevice({ crypto, aes, random, notify: (uuid, bytes) => deliver(uuid === UPNP ? 'upnp' : 'avdtp', bytes.slice()), fault: () => false },
    ascii('\\u0000blt.4.18n58266kgg00'));
  const transport = {
    write: async (channel, bytes) => { device.onWrite(channel === 'upnp' ? UPNP : AVDTP, bytes.slice()); },
    next: (channel) => queues[channel].length ? Promise.resolve(queues[channel].shift()) : new Promise((resolve) => { waiting[channel] = resolve; }),
  };
  const ctx = { transport, crypto, aes, random };
  const registered = await core.miRegister(ctx);
  check('loopback register: both sides hold the token', hex(registered.token), hex(device.token));
  check('loopback register: both sides hold the bind key', hex(registered.bindKey), hex(device.bindKey));
  out.push('token ' + hex(registered.token) + ' bind key ' + hex(registered.bindKey));
  const session = await core.miLogin(ctx, registered.token);
  check('loopback login: session keys agree', hex(session.appKey) + hex(session.devKey), hex(device.session.appKey) + hex(device.session.devKey));
  const request = core.encryptFrame(aes, session, core.readCommand(0x20, 0x10, 0x0e), random(4));
  const seen = core.decryptFrame(aes, { devKey: device.session.appKey, devIv: device.session.appIv }, request);
  check('loopback UART request', seen ? hex(seen) : 'none', '2001100e');
  const reply = core.encryptFrame(aes, { appKey: device.session.devKey, appIv: device.session.devIv, counter: 7 }, Uint8Array.from([0x23, 0x01, 0x10, ...ascii('26354/00467353')]), random(4));
  const answer = core.decryptFrame(aes, session, reply);
  check('loopback UART reply', answer ? hex(answer.slice(3)) : 'none', hex(ascii('26354/00467353')));
  let refused = 'logged in';
  try { await core.miLogin(ctx, random(12)); } catch (e) { refused = e.code; }
  check('loopback login with a wrong token is refused', refused, 'wrong-token');
  return out;
}`;
