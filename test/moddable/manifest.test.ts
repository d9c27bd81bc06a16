// The device build (manifest.json) must list every core module the device entry reaches:
// mcconfig resolves "core/gateway/registry" importing "../values/keys.js" as the specifier
// "core/values/keys", which exists only if a "modules" pattern names it; a preloaded module's
// imports are preloaded too, so "preload" must name them as well. This machine cannot run
// mcconfig, so the imports are followed here from firmware/moddable/main.ts.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CORE = join(ROOT, 'firmware/core');
const manifest = JSON.parse(readFileSync(join(ROOT, 'manifest.json'), 'utf8')) as { modules: Record<string, string>; preload: string[] };

/** Runtime imports and re-exports of a TypeScript file (`import type` is erased by tsc). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s+(?!type\b)(?:[^'"]*?\sfrom\s+)?["']([^"']+)["']/gm)) out.push(m[1]!);
  return out;
}

/** Every core module (as its device specifier, "core/values/keys") the device entry reaches. */
function reachedCoreSpecifiers(): Set<string> {
  const seen = new Set<string>();
  const queue = [join(ROOT, 'firmware/moddable/main.ts')];
  while (queue.length) {
    const file = queue.pop()!;
    for (const spec of importsOf(file)) {
      let target: string | undefined;
      if (spec.startsWith('core/')) target = join(CORE, spec.slice(5) + '.ts');
      else if (spec.startsWith('.') && file.startsWith(CORE)) target = join(dirname(file), spec.replace(/\.js$/, '.ts'));
      if (!target || !existsSync(target)) continue;
      const specifier = 'core/' + relative(CORE, target).replace(/\.ts$/, '');
      if (seen.has(specifier)) continue;
      seen.add(specifier);
      queue.push(target);
    }
  }
  return seen;
}

/** The pattern ("core/values/*") that names a specifier in a manifest list, if any. */
function named(patterns: string[], specifier: string): boolean {
  return patterns.some((p) => (p.endsWith('/*') ? specifier.startsWith(p.slice(0, -1)) && !specifier.slice(p.length - 1).includes('/') : p === specifier));
}

describe('manifest.json names every core module the device reaches', () => {
  const reached = [...reachedCoreSpecifiers()];

  it('follows the imports into the core', () => {
    expect(reached).toContain('core/gateway/registry');
    expect(reached).toContain('core/values/keys');
  });

  it('in "modules" and in "preload"', () => {
    expect(reached.filter((s) => !named(Object.keys(manifest.modules), s))).toEqual([]);
    expect(reached.filter((s) => !named(manifest.preload, s))).toEqual([]);
  });
});
