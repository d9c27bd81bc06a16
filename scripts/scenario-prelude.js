// The fake host the XS scenarios (gateway-scenario.js, web-scenario.js) share, as source
// text placed at the top of each scenario's function body, so that it too runs the same in
// Node and in XS. It defines: out (the observed lines), now and a clock whose timers fire
// only through advanceTo(ms), files (a Map) behind an in-memory store, and a log whose
// warnings and errors become lines.
export const SCENARIO_PRELUDE = `
  const out = [];
  let now = 1767225600000; // 2026-01-01T00:00:00Z
  let nextId = 1;
  const timers = [];
  const clock = {
    now: () => now,
    setTimeout(fn, ms) { const id = nextId++; timers.push({ at: now + ms, fn, id }); return id; },
    clearTimeout(id) { const i = timers.findIndex((t) => t.id === id); if (i >= 0) timers.splice(i, 1); },
  };
  function advanceTo(to) {
    for (;;) {
      timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const t = timers[0];
      if (!t || t.at > to) break;
      timers.shift();
      now = t.at;
      t.fn();
    }
    now = to;
  }
  const files = new Map();
  const store = {
    read: (n) => files.get(n),
    write: (n, d) => { files.set(n, d.slice()); },
    rename: (a, b) => { files.set(b, files.get(a)); files.delete(a); },
    remove: (n) => { files.delete(n); },
    exists: (n) => files.has(n),
  };
  files.set('mi32cfg', core.utf8Encode(cfgText));
  const log = { debug() {}, info() {}, warn(m) { out.push('warn ' + m); }, error(m) { out.push('error ' + m); } };
`;
