// The wasm rows of the bindings' benchmark (scripts/bench-bindings; docs/performance.md):
// evaluate only (`evaluateOutcomes`) over the workload's cases, in Node or in headless Chromium,
// with a given wasm-bindgen build. The figure is CPU time per case (Node's process, or
// Chromium's renderers read from /proc), which other work on the machine does not inflate; the
// wall clock is in the note. Prints tab-separated rows for `humiao-bench-bindings table`
// and `settled N` for the script to hold against the native run.
//
//   node tools/bench.mjs --cases FILE --policy DIR --where node|chromium --pkg DIR --label TEXT
//                        [--reps 5] [--check 2000]
//
// --pkg is a wasm-bindgen output folder: --target nodejs for node (pkg/node), --target web
// for chromium (pkg/web).
import { createRequire } from "node:module";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { readPolicyDir } from "./rules.mjs";
import { benchOutcomes } from "./bench-core.mjs";

const here = fileURLToPath(new URL("..", import.meta.url));

function median(xs) {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)];
}

function args() {
  const a = { reps: 5, check: 2000 };
  const v = process.argv.slice(2);
  for (let i = 0; i < v.length; i += 2) {
    const k = v[i].replace(/^--/, "");
    a[k] = ["reps", "check"].includes(k) ? Number(v[i + 1]) : v[i + 1];
  }
  for (const k of ["cases", "policy", "where", "pkg", "label"]) {
    if (a[k] === undefined) throw new Error(`--${k} is required`);
  }
  return a;
}

async function inNode(a, sources, text) {
  const core = await import("../js/core.js");
  const require = createRequire(import.meta.url);
  core.setBackend(require(join(resolve(a.pkg), "humiao_wasm.js")));
  // The process's CPU time (getrusage: every thread, to the nanosecond the kernel keeps).
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) * 1000;
  };
  return benchOutcomes(core, sources, text, { ...a, cpu });
}

// The CPU time (user + system, every thread) of the Chromium renderers this process started,
// in nanoseconds, from /proc (clock ticks of 10 ms: over a pass of a few hundred ms, a few per
// cent). Renderers are found as descendants of this process with --type=renderer.
function rendererCpuNs() {
  const parent = new Map();
  const renderer = new Set();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parent.set(Number(d), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
      if (readFileSync(`/proc/${d}/cmdline`, "utf8").includes("--type=renderer")) renderer.add(Number(d));
    } catch {
      // the process ended meanwhile
    }
  }
  const mine = (pid) => {
    for (let p = pid, i = 0; p > 1 && i < 64; p = parent.get(p)?.ppid ?? 0, i++) if (p === process.pid) return true;
    return false;
  };
  let ticks = 0;
  for (const pid of renderer) if (mine(pid)) ticks += parent.get(pid).ticks;
  return (ticks * 1e9) / 100;
}

async function inChromium(a, sources, text) {
  const { serve } = await import("./serve.mjs");
  const { launch } = await import("./browser.mjs");
  // A page of its own: the package's js/, the chosen web build, the loop, the data.
  const site = mkdtempSync(join(tmpdir(), "humiao-bench-"));
  cpSync(join(here, "js"), join(site, "js"), { recursive: true });
  cpSync(resolve(a.pkg), join(site, "pkg", "web"), { recursive: true });
  cpSync(join(here, "tools", "bench-core.mjs"), join(site, "bench-core.mjs"));
  writeFileSync(join(site, "sources.json"), JSON.stringify(sources));
  writeFileSync(join(site, "cases.jsonl"), text);
  writeFileSync(join(site, "index.html"), "<!doctype html><meta charset=utf-8><title>bench</title>");
  const server = await serve(site);
  const browser = await launch();
  try {
    const page = await browser.context.newPage();
    await page.goto(server.url);
    const head = await page.evaluate(async ({ check }) => {
      const humiao = await import("./js/web.js");
      await humiao.init();
      const sources = await (await fetch("./sources.json")).json();
      const text = await (await fetch("./cases.jsonl")).text();
      const { prepare } = await import("./bench-core.mjs");
      window.run = prepare(humiao, sources, text, check);
      return { cases: window.run.cases, checked: window.run.checked };
    }, { check: a.check });
    // The renderer's CPU time comes in ticks of 10 ms: each pass goes over the cases as many
    // times as take ~400 ms (a tick is then ~2.5% of it; one round over 50,000 cases 64 at a time
    // is ~25 ms, where a tick was 40%).
    const probe = await page.evaluate(() => window.run.pass(1));
    const rounds = Math.max(1, Math.ceil(4e8 / (probe.nsPerCase * head.cases)));
    const passes = [];
    const cpuPasses = [];
    let settled = 0;
    for (let r = 0; r < a.reps; r++) {
      const c0 = rendererCpuNs();
      const p = await page.evaluate((k) => window.run.pass(k), rounds);
      cpuPasses.push((rendererCpuNs() - c0) / (head.cases * rounds));
      passes.push(p.nsPerCase);
      settled = p.settled;
    }
    await page.evaluate(() => window.run.free());
    return { ...head, settled, rounds, nsPerCase: median(passes), cpuNsPerCase: median(cpuPasses), passes };
  } finally {
    await browser.close();
    await server.close();
    rmSync(site, { recursive: true, force: true });
  }
}

const a = args();
const sources = readPolicyDir(a.policy);
const text = readFileSync(a.cases, "utf8");
const r = a.where === "chromium" ? await inChromium(a, sources, text) : await inNode(a, sources, text);
const where = a.where === "chromium" ? "headless Chromium" : `Node ${process.version}`;
const wall = (r.nsPerCase / 1000).toFixed(2);
const what = a.where === "chromium" ? "the renderer's CPU time" : "the process's CPU time";
const over = r.rounds > 1 ? `, ${r.rounds} times over them a pass` : "";
const note = `evaluateOutcomes over ${r.cases} cases loaded ahead (loadCases), chunks of 10,000${over}; ${r.checked} checked against their decisions; ${what}, median of ${r.passes.length} passes; wall clock ${wall} µs`;
process.stdout.write(`wasm\twasm in ${where}, ${a.label}\tevaluate only\t${r.cpuNsPerCase.toFixed(1)}\tnative (release, opt-level 3)\t${note}\n`);
process.stdout.write(`settled\t${r.settled}\n`);
