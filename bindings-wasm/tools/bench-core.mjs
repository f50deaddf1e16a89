// The timing loop of the wasm rows of the bindings' benchmark (scripts/bench-bindings), the
// same in Node and in the browser: the workload's cases (JSON Lines written by
// `humiao-bench-bindings cases`) loaded into wasm memory ahead, in chunks of 10,000, then
// `policy.evaluateOutcomes(chunk, asOf)` timed chunk by chunk, `reps` passes, the median pass.
// Before timing, the first `check` cases' outcomes are held against their whole decisions.

export const AS_OF = "2026-11-29";
const CHUNK = 10_000;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** `{Policy}` of the package, `{path: text}`, the cases as JSON Lines text. */
export function benchOutcomes({ Policy }, sources, text, { reps = 5, check = 2_000 } = {}) {
  const policy = Policy.fromSources(sources);
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  const n = lines.length;

  // Agreement: evaluate-only gives each case's decision's conclusions (and every case settles).
  const keys = policy.schema().conclusions.map((c) => c.key);
  const head = lines.slice(0, Math.min(check, n));
  const probe = policy.loadCases(head.join("\n"));
  const out = policy.evaluateOutcomes(probe, AS_OF, keys);
  probe.free();
  head.forEach((line, i) => {
    const d = policy.evaluate(line, AS_OF);
    for (const k of keys) {
      const want = JSON.stringify(d.conclusions[k] ?? null);
      const got = JSON.stringify(out.conclusions[k][i]);
      if (want !== got) throw new Error(`case ${i}: ${k} is ${got} evaluate-only, ${want} in the decision`);
    }
  });

  const chunks = [];
  for (let i = 0; i < n; i += CHUNK) chunks.push(policy.loadCases(lines.slice(i, i + CHUNK).join("\n")));
  const passes = [];
  let settled = 0;
  for (let r = 0; r < reps; r++) {
    let total = 0;
    settled = 0;
    for (const c of chunks) {
      const t0 = performance.now();
      const o = policy.evaluateOutcomes(c, AS_OF);
      total += performance.now() - t0;
      settled += o.settled;
    }
    passes.push((total * 1e6) / n);
  }
  for (const c of chunks) c.free();
  policy.free();
  return { cases: n, checked: head.length, settled, nsPerCase: median(passes), passes };
}
