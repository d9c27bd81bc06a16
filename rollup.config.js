// Bundle the compiled portable core (dist/firmware/core, built by `npm run build`)
// into one classic script for engines that evaluate scripts, not modules: xsnap's
// worker.evaluate() in `npm run xs-check` and `npm run bench`. The bundle defines a
// single global, MI32Core, holding everything firmware/core/index.ts exports.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * The pure-JS HapCrypto's npm dependencies (@noble/*, pure ES modules): rollup has no node
 * resolution of its own, and these are the only bare imports any bundle may have.
 */
const resolveNoble = {
  name: 'resolve-noble',
  resolveId(source) {
    return source.startsWith('@noble/') ? require.resolve(source) : null;
  },
};

/**
 * XS as built into @agoric/xsnap 0.15 throws "Point: get ?: not initialized yet" when a
 * class with instance fields makes an instance of itself in a static field initializer
 * (`class P { static B = new P(); X; }`), which noble's Edwards point does. Same semantics
 * for noble's code: make BASE and ZERO right after the class body instead. Exact matches,
 * so a noble update that moves these lines fails the bundle instead of passing unpatched.
 * Whether the device's XS (Moddable SDK 8.2.3) needs it too is to be checked with xst.
 */
const EDWARDS_STATICS = [
  '        static BASE = new Point(CURVE.Gx, CURVE.Gy, Fp.ONE, Fp.mul(CURVE.Gx, CURVE.Gy));\n',
  '        static ZERO = new Point(Fp.ZERO, Fp.ONE, Fp.ONE, Fp.ZERO);\n',
];
const EDWARDS_AFTER_CLASS = '    const normalize = (points) => normalizeZ(Point, points);\n';
const xsClassFieldWorkaround = {
  name: 'xs-class-field-workaround',
  transform(code, id) {
    if (!id.endsWith('/@noble/curves/abstract/edwards.js')) return null;
    if (!EDWARDS_STATICS.every((line) => code.includes(line)) || !code.includes(EDWARDS_AFTER_CLASS)) {
      throw new Error('noble edwards.js changed: review xsClassFieldWorkaround in rollup.config.js');
    }
    let out = code;
    for (const line of EDWARDS_STATICS) out = out.replace(line, '');
    const assignments = EDWARDS_STATICS.map((line) => line.replace('        static ', '    Point.').replace(/;\n$/, ';\n')).join('');
    return { code: out.replace(EDWARDS_AFTER_CLASS, assignments + EDWARDS_AFTER_CLASS), map: null };
  },
};

export default [
  {
    input: 'dist/firmware/core/index.js',
    output: {
      file: 'dist/xs/mi32-core.js',
      format: 'iife',
      name: 'MI32Core',
      // XS runs the bundle as a script; keep 'use strict' so semantics match the ESM source.
      strict: true,
    },
    // The core imports only relative modules; an external import would be a portability bug.
    onwarn(warning, warn) {
      if (warning.code === 'UNRESOLVED_IMPORT') throw new Error(`core imports a non-relative module: ${warning.message}`);
      warn(warning);
    },
  },
  {
    // The device's HapCrypto (firmware/crypto-js) with @noble inlined: global MI32HapCrypto.
    // Its size is what noble costs the firmware (README "HomeKit on the device").
    input: 'dist/firmware/crypto-js/hap-crypto.js',
    plugins: [resolveNoble, xsClassFieldWorkaround],
    output: { file: 'dist/xs/mi32-hap-crypto.js', format: 'iife', name: 'MI32HapCrypto', strict: true },
    onwarn(warning, warn) {
      if (warning.code === 'UNRESOLVED_IMPORT') throw new Error(`hap-crypto imports an unbundled module: ${warning.message}`);
      warn(warning);
    },
  },
];
