// The timing loop of the wasm rows of the bindings' benchmark (scripts/bench-bindings), the
// same in Node and in the browser: the workload's cases (JSON Lines written by
// `humiao-bench-bindings cases`) loaded into wasm memory ahead, in chunks of 10,000, then
// `policy.evaluateOutcomes(chunk, asOf)` timed chunk by chunk, `reps` passes, the median pass.
// Before timing, the first `check` cases' outcomes are held against their whole decisions.
// The wall clock of each chunk, and the CPU time of each pass where it can be read.

export const AS_OF = "2026-11-29";
const CHUNK = 10_000;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/**
 * `{Policy}` of the package, `{path: text}`, the cases as JSON Lines text. `cpu()` (optional)
 * gives the CPU time in nanoseconds of whatever runs the loop (Node: `process.cpuUsage`); in the
 * browser the runner reads the renderer's CPU time from outside, pass by pass (`prepare` and
 * `pass` below).
 */
export function benchOutcomes(api, sources, text, { reps = 5, check = 2_000, cpu } = {}) {
  const run = prepare(api, sources, text, check);
  // Each pass as many rounds over the cases as take ~400 ms, as in the browser (bench.mjs).
  const probe = run.pass(1);
  const rounds = Math.max(1, Math.ceil(4e8 / (probe.nsPerCase * run.cases)));
  const passes = [];
  const cpuPasses = [];
  let settled = 0;
  for (let r = 0; r < reps; r++) {
    const c0 = cpu?.();
    const p = run.pass(rounds);
    if (cpu) cpuPasses.push((cpu() - c0) / (run.cases * rounds));
    passes.push(p.nsPerCase);
    settled = p.settled;
  }
  run.free();
  return {
    cases: run.cases,
    checked: run.checked,
    settled,
    rounds,
    nsPerCase: median(passes),
    cpuNsPerCase: cpu ? median(cpuPasses) : null,
    passes,
  };
}

/** Loads the policy and the cases (checked first); `pass(rounds)` times a pass over them. */
export function prepare({ Policy }, sources, text, check = 2_000) {
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
  return {
    cases: n,
    checked: head.length,
    // `rounds` times over every chunk (a pass long enough for a coarse CPU clock); `settled`
    // counts one round.
    pass(rounds = 1) {
      let total = 0;
      let settled = 0;
      for (let r = 0; r < rounds; r++) {
        settled = 0;
        for (const c of chunks) {
          const t0 = performance.now();
          const o = policy.evaluateOutcomes(c, AS_OF);
          total += performance.now() - t0;
          settled += o.settled;
        }
      }
      return { nsPerCase: (total * 1e6) / (n * rounds), settled };
    },
    free() {
      for (const c of chunks) c.free();
      policy.free();
    },
  };
}
