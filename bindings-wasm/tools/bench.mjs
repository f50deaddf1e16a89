// The wasm rows of the bindings' benchmark (scripts/bench-bindings; docs/performance.md):
// evaluate only (`evaluateOutcomes`) over the workload's cases, in Node or in headless Chromium,
// with a given wasm-bindgen build. Prints tab-separated rows for `humiao-bench-bindings table`
// and `settled N` for the script to hold against the native run.
//
//   node tools/bench.mjs --cases FILE --policy DIR --where node|chromium --pkg DIR --label TEXT
//                        [--reps 5] [--check 2000]
//
// --pkg is a wasm-bindgen output folder: --target nodejs for node (pkg/node), --target web
// for chromium (pkg/web).
import { createRequire } from "node:module";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { readPolicyDir } from "./rules.mjs";
import { benchOutcomes } from "./bench-core.mjs";

const here = fileURLToPath(new URL("..", import.meta.url));

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
  return benchOutcomes(core, sources, text, a);
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
    return await page.evaluate(async ({ reps, check }) => {
      const humiao = await import("./js/web.js");
      await humiao.init();
      const sources = await (await fetch("./sources.json")).json();
      const text = await (await fetch("./cases.jsonl")).text();
      const { benchOutcomes } = await import("./bench-core.mjs");
      return benchOutcomes(humiao, sources, text, { reps, check });
    }, { reps: a.reps, check: a.check });
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
const note = `evaluateOutcomes over ${r.cases} cases loaded ahead (loadCases), chunks of 10,000; ${r.checked} checked against their decisions; median of ${r.passes.length} passes`;
process.stdout.write(`wasm\twasm in ${where}, ${a.label}\tevaluate only\t${r.nsPerCase.toFixed(1)}\tnative (release, opt-level 3)\t${note}\n`);
process.stdout.write(`settled\t${r.settled}\n`);
