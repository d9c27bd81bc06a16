// The Node ScriptHost (a SES-locked worker per script): isolation, errors with the script's
// line, loops cut off, calls back into the script while it waits for the API.
import { describe, expect, it } from 'vitest';
import { createNodeScriptHost } from '../../host-sim/script-host.js';

const host = createNodeScriptHost({ budgetMs: 200 });

describe('Node script host', () => {
  it('runs the script with only the given globals', () => {
    const seen: unknown[] = [];
    const out = host.load('globals.js', 'report(typeof process, typeof require, typeof setTimeout, typeof MI32, [1,2].map((x) => x * 2));',
      { report: (...a: unknown[]) => seen.push(...a), MI32: {} });
    expect(out.ok).toBe(true);
    expect(seen.slice(0, 4)).toEqual(['undefined', 'undefined', 'undefined', 'object']);
    expect(seen[4]).toEqual([2, 4]);
  });

  it('reports a syntax error with the line', () => {
    const out = host.load('broken.js', 'let a = 1;\nlet b = ;\n', {});
    expect(out.ok).toBe(false);
    if (!out.ok) {
      expect(out.error.line).toBe(2);
      expect(out.error.message).toMatch(/SyntaxError/);
    }
  });

  it('reports a throw at top level with the line', () => {
    const out = host.load('top.js', '\n\nnull.x;\n', {});
    expect(out.ok).toBe(false);
    if (!out.ok) {
      expect(out.error.line).toBe(3);
      expect(out.error.message).toMatch(/TypeError/);
    }
  });

  it('a callback that throws reports its line, and the next call still works', () => {
    let cb: ((n: number) => number) | undefined;
    const out = host.load('cb.js', 'register((n) => {\n  if (n < 0) throw new Error("negative");\n  return n * 2;\n});', { register: (f: typeof cb) => { cb = f; } });
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    const bad = out.value.call(cb! as never, [-1]);
    expect(bad).toEqual({ ok: false, error: { message: 'Error: negative', line: 2 } });
    expect(out.value.call(cb! as never, [21])).toEqual({ ok: true, value: 42 });
  });

  it('cuts off a loop at top level and in a callback', () => {
    const top = host.load('loop.js', 'for (;;) {}', {});
    expect(top.ok).toBe(false);
    if (!top.ok) expect(top.error.timedOut).toBe(true);
    let cb: (() => void) | undefined;
    const out = host.load('loop-cb.js', 'register(() => { while (true) {} });', { register: (f: typeof cb) => { cb = f; } });
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    const r = out.value.call(cb! as never, []);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.timedOut).toBe(true);
  });

  it('the API may call back into the script while the script waits for it (nested entry)', () => {
    const seen: unknown[] = [];
    const out = host.load('nested.js', 'report(callNow((x) => x * 2, 21), callNow((x) => { throw new Error("inner " + x); }, 1));',
      { report: (...a: unknown[]) => seen.push(...a), callNow: (fn: (v: number) => unknown, v: number) => { try { return fn(v); } catch (e) { return (e as Error).message; } } });
    expect(out.ok).toBe(true);
    expect(seen).toEqual([42, 'Error: inner 1']);
  });

  it('a buffer handed in is the same object for the API on each call, and written back into the script', () => {
    let kept: Uint8Array | undefined;
    let cb: (() => void) | undefined;
    const seen: unknown[] = [];
    const out = host.load('buf.js', 'const b = new Uint8Array(4);\nkeep(b, () => report([...b]));\nb[0] = 7;\nkeep(b, () => report([...b]));',
      { keep: (b: Uint8Array, f: () => void) => { seen.push(kept === undefined || kept === b, b[0]); kept = b; cb = f; }, report: (a: unknown) => { seen.push(a); } });
    expect(out.ok).toBe(true);
    kept![1] = 9; // the runtime fills the buffer before the callback, as adv_cb does
    if (out.ok) expect(out.value.call(cb! as never, [])).toEqual({ ok: true, value: undefined });
    expect(seen).toEqual([true, 0, true, 7, [7, 9, 0, 0]]);
  });

  it('a throw of a non-Error value is still reported', () => {
    const out = host.load('odd.js', 'throw 42;', {});
    expect(out.ok).toBe(false);
    if (!out.ok) expect(out.error.message).toBe('threw 42');
  });
});
