// Bundle the compiled portable core (dist/firmware/core, built by `npm run build`)
// into one classic script for engines that evaluate scripts, not modules: xsnap's
// worker.evaluate() in `npm run xs-check` and `npm run bench`. The bundle defines a
// single global, MI32Core, holding everything firmware/core/index.ts exports.
export default {
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
};
