// XS conformance check: the bundled core (dist/xs/mi32-core.js) runs inside the real XS
// engine (an @agoric/xsnap worker) on every fixture line and on frames derived from them
// (every truncation, a few single-bit flips), and must give exactly what the compiled core
// gives on Node. XS decrypts with the portable soft AES, Node with OpenSSL, so this also
// cross-checks createSoftAes. Prints one line per difference and ends with
// "N passed, M failed"; exits non-zero when M > 0 or when there are no fixtures.
//
// Run with `npm run xs-check` (bundles first).

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startXsWorker } from './lib/xsnap-worker.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fixturesDir = path.join(root, 'test/fixtures');
const BIT_FLIPS_PER_FIXTURE = 6;

// The Node side is computed before SES lockdown (startXsWorker loads it for xsnap), so it runs
// the core exactly as host-sim does.
const core = await import(path.join(root, 'dist/firmware/core/index.js'));
const { createNodeAes } = await import(path.join(root, 'dist/host-sim/crypto.js'));

/** Recursively key-sorted JSON, so key order alone never counts as a difference. */
function canonical(value) {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]]))
      : v);
}

/** The outcome of one decode as comparable text: the result JSON, or what was thrown. */
function runNode(req, aes) {
  try {
    return { json: JSON.stringify(core.decodeRequest(req, aes)) };
  } catch (e) {
    return { thrown: `${e?.name}: ${e?.message}` };
  }
}

// ---- cases: fixture lines, then their truncations and bit flips ----

const fixtureFiles = fs.existsSync(fixturesDir)
  ? fs.readdirSync(fixturesDir).filter((f) => f.endsWith('.jsonl')).sort()
  : [];
const cases = []; // { label, req }
let fixtureCount = 0;
let badLines = 0;
for (const file of fixtureFiles) {
  const lines = fs.readFileSync(path.join(fixturesDir, file), 'utf8').split('\n');
  lines.forEach((line, n) => {
    if (line.trim() === '') return;
    let fx;
    try {
      fx = JSON.parse(line);
    } catch (e) {
      badLines++;
      console.log(`FAIL ${file}:${n + 1}: fixture line is not JSON (${e.message})`);
      return;
    }
    fixtureCount++;
    const id = fx.id ?? `${file}:${n + 1}`;
    cases.push({ label: id, req: fx });
    const field = typeof fx.ad === 'string' ? 'ad' : typeof fx.data === 'string' ? 'data' : undefined;
    if (!field || !/^([0-9a-fA-F]{2})*$/.test(fx[field])) return;
    const hex = fx[field].toLowerCase();
    const bytes = hex.length / 2;
    for (let len = 0; len < bytes; len++) {
      cases.push({ label: `${id} ${field}[0..${len})`, req: { ...fx, [field]: hex.slice(0, len * 2) } });
    }
    // Spread the flips over the frame (header, payload, tag) with varying bits.
    const flips = Math.min(BIT_FLIPS_PER_FIXTURE, bytes * 8);
    for (let k = 0; k < flips; k++) {
      const at = Math.min(bytes - 1, Math.floor((k * bytes) / flips) + (k % 2));
      const bit = (k * 3 + at) % 8;
      const b = (parseInt(hex.slice(at * 2, at * 2 + 2), 16) ^ (1 << bit)).toString(16).padStart(2, '0');
      cases.push({ label: `${id} ${field} byte ${at} bit ${bit} flipped`, req: { ...fx, [field]: hex.slice(0, at * 2) + b + hex.slice(at * 2 + 2) } });
    }
  });
}

if (fixtureCount === 0) {
  console.log(`no fixtures found in ${path.relative(root, fixturesDir)}/*.jsonl`);
  console.log(`0 passed, ${badLines} failed`);
  process.exit(1);
}

const nodeAes = createNodeAes();
const nodeOutcomes = cases.map((c) => runNode(c.req, nodeAes));

// ---- the gateway on the demo home capture: same scenario source in both engines ----

const { GATEWAY_SCENARIO, SCENARIO_COMMANDS, SCENARIO_SCRIPTS } = await import('./gateway-scenario.js');
const { createNodeScriptHost } = await import(path.join(root, 'dist/host-sim/script-host.js'));
const scenarioScripts = SCENARIO_SCRIPTS(fs, root);
const demoDir = path.join(root, 'examples/demo');
const demoAdvs = fs.readFileSync(path.join(demoDir, 'home.jsonl'), 'utf8').split('\n')
  .filter((l) => l.trim() && !l.startsWith('#')).map((l) => JSON.parse(l))
  .map((a) => ({ t: a.t, mac: core.normalizeMac(a.mac), rssi: a.rssi, ad: a.ad }));
const demoCfg = fs.readFileSync(path.join(demoDir, 'mi32cfg'), 'utf8');
let nodeScenario;
try {
  nodeScenario = (0, eval)(GATEWAY_SCENARIO)(core, demoCfg, demoAdvs, SCENARIO_COMMANDS, scenarioScripts, createNodeScriptHost());
} catch (e) {
  nodeScenario = [`threw ${e?.name}: ${e?.message}`];
}

// ---- Mi authentication: vectors, and register/login/UART gateway against device ----

const { MIAUTH_CHECK } = await import('./miauth-check.js');
const MIAUTH_SEED = 0x5eed17;
let nodeMiauth;
try {
  nodeMiauth = await (0, eval)(MIAUTH_CHECK)(core, MIAUTH_SEED);
} catch (e) {
  nodeMiauth = [`threw ${e?.name}: ${e?.message}`];
}
let xsMiauth;
// ---- the web page's core on the same capture (one device's key taken away) ----

const { WEB_SCENARIO, WEB_SCENARIO_KEYS } = await import('./web-scenario.js');
const webCfg = demoCfg.replace(`"MAC":"${WEB_SCENARIO_KEYS.mac}","PID":"055b","key":"${WEB_SCENARIO_KEYS.right}"`, `"MAC":"${WEB_SCENARIO_KEYS.mac}","PID":"055b","key":""`);
const webArgs = [webCfg, demoAdvs, WEB_SCENARIO_KEYS.mac, WEB_SCENARIO_KEYS.wrong, WEB_SCENARIO_KEYS.right];
let nodeWeb;
try {
  nodeWeb = (0, eval)(WEB_SCENARIO)(core, ...webArgs);
} catch (e) {
  nodeWeb = [`threw ${e?.name}: ${e?.message}`];
}
let xsWeb;
// ---- HomeKit pairing: the same scenario with node:crypto here and the pure-JS HapCrypto in XS ----

const { HAP_SCENARIO } = await import('./hap-scenario.js');
const HAP_SEED = 0x4b485032;
const { createNodeHapCrypto } = await import(path.join(root, 'dist/host-sim/hap-crypto.js'));
const nodeCrypto = await import('node:crypto');
/** Node's HapCrypto with key pairs made from the scenario's random bytes (node:crypto makes its own otherwise). */
function seededNodeHapCrypto(random) {
  const PKCS8 = { ed25519: '302e020100300506032b657004220420', x25519: '302e020100300506032b656e04220420' };
  const publicOf = (curve, seed) => {
    const key = nodeCrypto.createPrivateKey({ key: Buffer.concat([Buffer.from(PKCS8[curve], 'hex'), seed]), format: 'der', type: 'pkcs8' });
    const der = nodeCrypto.createPublicKey(key).export({ format: 'der', type: 'spki' });
    return new Uint8Array(der.subarray(der.length - 32));
  };
  const pair = (curve) => { const privateKey = random.bytes(32); return { privateKey, publicKey: publicOf(curve, privateKey) }; };
  return { ...createNodeHapCrypto(), x25519KeyPair: () => pair('x25519'), ed25519KeyPair: () => pair('ed25519') };
}
let nodeHap;
try {
  nodeHap = (0, eval)(HAP_SCENARIO)(core, seededNodeHapCrypto, HAP_SEED);
} catch (e) {
  nodeHap = [`threw ${e?.name}: ${e?.message}`];
}

// ---- XS side ----

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const xsOutcomes = new Array(cases.length);
let next = 0;

/** XS pulls the next request and hands back the previous outcome: one command per case. */
function handleCommand(bytes) {
  const msg = JSON.parse(decoder.decode(bytes));
  if (msg.scenario !== undefined) {
    xsScenario = msg.scenario;
    return encoder.encode('{}');
  }
  if (msg.miauth !== undefined) {
    xsMiauth = msg.miauth;
    return encoder.encode('{}');
  }
  if (msg.web !== undefined) {
    xsWeb = msg.web;
    return encoder.encode('{}');
  }
  if (msg.hap !== undefined) {
    xsHap = msg.hap;
    return encoder.encode('{}');
  }
  if (msg.i !== undefined) xsOutcomes[msg.i] = msg.json !== undefined ? { json: msg.json } : { thrown: msg.thrown };
  const reply = next < cases.length ? { i: next, req: cases[next].req } : { done: true };
  next++;
  return encoder.encode(JSON.stringify(reply));
}

const driver = `(() => {
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const aes = MI32Core.createSoftAes();
  const ask = (msg) => JSON.parse(decoder.decode(issueCommand(encoder.encode(JSON.stringify(msg)).buffer)));
  let msg = ask({});
  while (!msg.done) {
    let out;
    try {
      out = { i: msg.i, json: JSON.stringify(MI32Core.decodeRequest(msg.req, aes)) };
    } catch (e) {
      out = { i: msg.i, thrown: String(e && e.name) + ': ' + String(e && e.message) };
    }
    msg = ask(out);
  }
})();`;

const xs = await startXsWorker('mi32-xs-check', { onCommand: handleCommand });
const worker = xs.worker;

let passed = 0;
let failed = badLines;
// A crash of the bundle or the driver is reported, and every case XS did not answer fails.
try {
  await xs.loadBundle('mi32-core');
  await worker.evaluate(driver);
} catch (e) {
  failed++;
  console.log(`FAIL XS worker: ${e?.message ?? e}`);
}
let xsScenario;
try {
  const input = JSON.stringify([demoCfg, demoAdvs, SCENARIO_COMMANDS, scenarioScripts]);
  await worker.evaluate(`(() => {
    const [cfg, advs, commands, scripts] = ${input};
    let result;
    try { result = (${GATEWAY_SCENARIO})(MI32Core, cfg, advs, commands, scripts, MI32Core.createCompartmentScriptHost()); }
    catch (e) { result = ['threw ' + String(e && e.name) + ': ' + String(e && e.message)]; }
    issueCommand(new TextEncoder().encode(JSON.stringify({ scenario: result })).buffer);
  })();`);
} catch (e) {
  console.log(`FAIL XS gateway scenario: ${e?.message ?? e}`);
}
try {
  await worker.evaluate(`(${MIAUTH_CHECK})(MI32Core, ${MIAUTH_SEED}).then(
    (lines) => issueCommand(new TextEncoder().encode(JSON.stringify({ miauth: lines })).buffer),
    (e) => issueCommand(new TextEncoder().encode(JSON.stringify({ miauth: ['threw ' + String(e && e.name) + ': ' + String(e && e.message)] })).buffer));`);
} catch (e) {
  console.log(`FAIL XS Mi-auth check: ${e?.message ?? e}`);
}
try {
  await worker.evaluate(`(() => {
    let result;
    try { result = (${WEB_SCENARIO})(MI32Core, ...${JSON.stringify(webArgs)}); }
    catch (e) { result = ['threw ' + String(e && e.name) + ': ' + String(e && e.message)]; }
    issueCommand(new TextEncoder().encode(JSON.stringify({ web: result })).buffer);
  })();`);
} catch (e) {
  console.log(`FAIL XS web scenario: ${e?.message ?? e}`);
}
let xsHap;
try {
  await xs.loadBundle('mi32-hap-crypto');
  await worker.evaluate(`(() => {
    let result;
    try { result = (${HAP_SCENARIO})(MI32Core, (r) => MI32HapCrypto.createPureHapCrypto(r), ${HAP_SEED}); }
    catch (e) { result = ['threw ' + String(e && e.name) + ': ' + String(e && e.message)]; }
    issueCommand(new TextEncoder().encode(JSON.stringify({ hap: result })).buffer);
  })();`);
} catch (e) {
  console.log(`FAIL XS HomeKit pairing: ${e?.message ?? e}`);
}
await worker.close().catch(() => {});

const describe = (o) => (o === undefined ? '(no result from XS)' : o.thrown !== undefined ? `threw ${o.thrown}` : o.json);
cases.forEach((c, i) => {
  const n = nodeOutcomes[i];
  const x = xsOutcomes[i];
  let problem;
  if (x === undefined) problem = 'XS gave no result';
  else if (n.thrown !== undefined || x.thrown !== undefined) problem = 'decodeRequest threw (it must return an error object)';
  else if (canonical(JSON.parse(n.json)) !== canonical(JSON.parse(x.json))) problem = 'XS and Node differ';
  if (!problem) {
    passed++;
    return;
  }
  failed++;
  console.log(`FAIL ${c.label}: ${problem}\n  req:  ${JSON.stringify(c.req.ad ?? c.req.data)}${c.req.key ? ` key ${c.req.key}` : ''}\n  node: ${describe(n)}\n  xs:   ${describe(x)}`);
});

// Gateway scenario: every observed line must be the same, in the same order.
const scenarioLines = Math.max(nodeScenario.length, xsScenario?.length ?? 0);
let scenarioFailed = 0;
for (let i = 0; i < scenarioLines; i++) {
  const n = nodeScenario[i];
  const x = xsScenario?.[i];
  if (n !== undefined && n === x && !n.startsWith('threw')) continue;
  scenarioFailed++;
  if (scenarioFailed <= 5) console.log(`FAIL gateway scenario line ${i + 1}:\n  node: ${n}\n  xs:   ${x ?? '(none)'}`);
}
if (nodeScenario.length < 10) {
  scenarioFailed++;
  console.log(`FAIL gateway scenario produced only ${nodeScenario.length} lines`);
}
// Escapes from a script (issue 10): every attempt must come back refused in XS, and all were tried.
const escapes = (xsScenario ?? []).filter((l) => l.startsWith('console escape.js: escape '));
const reached = escapes.filter((l) => !l.endsWith(' refused'));
for (const l of reached) console.log(`FAIL script escape in XS: ${l}`);
if (escapes.length < 11) console.log(`FAIL script escapes: only ${escapes.length} of 11 attempts reported in XS`);
scenarioFailed += reached.length + (escapes.length < 11 ? 1 : 0);
console.log(`script escapes in XS: ${escapes.length - reached.length} of ${escapes.length} refused`);
passed += scenarioLines - Math.min(scenarioFailed, scenarioLines);
failed += scenarioFailed;
// HomeKit pairing: every request, answer, key and log line equal; and the Node run itself paired.
const hapLines = Math.max(nodeHap.length, xsHap?.length ?? 0);
let hapFailed = 0;
for (let i = 0; i < hapLines; i++) {
  if (nodeHap[i] !== undefined && nodeHap[i] === xsHap?.[i]) continue;
  hapFailed++;
  if (hapFailed <= 5) console.log(`FAIL HomeKit pairing line ${i + 1}:\n  node: ${nodeHap[i]}\n  xs:   ${xsHap?.[i] ?? '(none)'}`);
}
const nodeHapProblems = nodeHap.filter((l) => /WRONG|NOT OPEN|^verified NO|^threw/.test(l));
for (const l of nodeHapProblems) console.log(`FAIL HomeKit pairing in Node: ${l}`);
if (!nodeHap.some((l) => l.startsWith('verified ') && !l.startsWith('verified NO'))) { hapFailed++; console.log('FAIL HomeKit pairing: no verified session in Node'); }
hapFailed += nodeHapProblems.length;
passed += hapLines - Math.min(hapFailed, hapLines);
failed += hapFailed;
console.log(`HomeKit pair-setup + pair-verify (core + pure-JS HapCrypto in XS vs node:crypto): ${hapLines} transcript lines compared`);
console.log(`gateway scenario (demo home, ${demoAdvs.length} advertisements): ${scenarioLines} published/console lines compared`);

// Mi authentication: every line ok in XS, and XS prints exactly what Node prints.
const miauthLines = Math.max(nodeMiauth.length, xsMiauth?.length ?? 0);
let miauthFailed = 0;
for (let i = 0; i < miauthLines; i++) {
  const n = nodeMiauth[i];
  const x = xsMiauth?.[i];
  if (x !== undefined && x === n && !x.startsWith('FAIL') && !x.startsWith('threw')) continue;
  miauthFailed++;
  console.log(`FAIL Mi-auth check line ${i + 1}:\n  node: ${n ?? '(none)'}\n  xs:   ${x ?? '(none)'}`);
}
if (miauthLines < 27) {
  miauthFailed++;
  console.log(`FAIL Mi-auth check produced only ${miauthLines} lines`);
}
passed += miauthLines - Math.min(miauthFailed, miauthLines);
failed += miauthFailed;
console.log(`Mi auth in XS: ${miauthLines - miauthFailed} of ${miauthLines} vector and register/login/UART lines as on Node`);
// Web scenario: every HTTP answer the same in both engines, and the key check did its job.
let webFailed = 0;
const webLines = Math.max(nodeWeb.length, xsWeb?.length ?? 0);
for (let i = 0; i < webLines; i++) {
  const n = nodeWeb[i];
  const x = xsWeb?.[i];
  if (n !== undefined && n === x && !n.startsWith('threw')) continue;
  webFailed++;
  if (webFailed <= 5) console.log(`FAIL web scenario line ${i + 1}:\n  node: ${n}\n  xs:   ${x ?? '(none)'}`);
}
const webExpect = [/^HTTP\/1.1 422 .*wrong key/, /^HTTP\/1.1 200 OK \{"MAC":"A4C1381A2B01","Key":"...0001","checked":true\}/, /^HTTP\/1.1 400 /];
for (const re of webExpect) if (!nodeWeb.some((l) => re.test(l))) { webFailed++; console.log(`FAIL web scenario: no answer like ${re}`); }
passed += webLines - Math.min(webFailed, webLines);
failed += webFailed;
console.log(`web scenario: ${webLines} HTTP answers compared`);
console.log(`${fixtureCount} fixture lines from ${fixtureFiles.length} files; ${cases.length - fixtureCount} derived frames (truncations, bit flips)`);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
