// Measures the page's budgets (a report, not a test): the gzip size of each shipped .wasm (already
// through wasm-opt -Oz by build.sh: the evaluation-only engine the intake loads, and the whole
// engine the playground loads), the time from navigation to the first decision in the DOM, to
// its paint (Element Timing) and to the whole intake's (largest contentful paint), and each
// re-evaluation on input, in headless Chromium. Run after build.sh:
//   node tools/measure.mjs [--runs 7] [--site pkg/site] [--json artifacts/budgets.json]
//                          [--baseline OTHER_SITE] [--wait quiet|selector]
// With --baseline, the cold loads alternate between the two sites (same browser, same load on
// the machine) and the report gives both first-decision medians and their ratio: on a shared,
// busy machine only such a same-run comparison says whether a change made the page faster.
import { existsSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { execFileSync } from "node:child_process";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import { serve } from "./serve.mjs";
import { executablePath, launch } from "./browser.mjs";

const here = fileURLToPath(new URL("..", import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const runs = Number(opt("runs", "7"));
const site = opt("site", join(here, "pkg", "site"));
const jsonOut = opt("json", null);
const baselineSite = opt("baseline", null);
// How a cold load waits for the first decision. `quiet` (the default): nothing of Playwright runs
// in the page until the first decision is recorded; the script sleeps on its side, then reads the
// page's own marks. `selector`: Playwright's `waitForSelector`, as until the sixth session; it
// injects Playwright's in-page script (20-26 ms of the page's main thread in Chromium traces)
// while the page loads, which no visitor's browser runs, and that delayed the first decision.
const waitMode = opt("wait", "quiet");
if (!["quiet", "selector"].includes(waitMode)) throw new Error(`--wait: quiet or selector, not ${waitMode}`);

// Figures a load did not record (a site without a mark or without the paint timing) are left
// out: NaN would make every sort and statistic of the list meaningless.
const finite = (xs) => xs.filter((x) => Number.isFinite(x));
const median = (xs) => {
  const s = finite(xs).sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2 : NaN;
};
const pct = (xs, p) => {
  const s = finite(xs).sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const r1 = (x) => Math.round(x * 10) / 10;

// ---------------------------------------------------------------- size
function sizeOf(dir) {
  const file = join(site, "pkg", dir, "humiao_wasm_bg.wasm");
  if (!existsSync(file)) return null;
  const wasm = readFileSync(file);
  return { raw: wasm.length, gzip9: gzipSync(wasm, { level: 9 }).length };
}
// The engine the first decision loads (a site built before there were two loads the whole one).
const sizes = { evaluate: sizeOf("evaluate-web"), whole: sizeOf("web") };

// ---------------------------------------------------------------- first decision
// Each run: a fresh browser profile (empty HTTP and code caches), started and settled on a blank
// page first, so the figure is the page's load in a running browser, not the browser's start.
async function coldLoad(url) {
  const b = await launch();
  try {
    const page = await b.context.newPage();
    await page.goto("about:blank");
    await page.waitForTimeout(1500);
    if (waitMode === "selector") {
      await page.goto(url);
      await page.waitForSelector("html[data-ready=true]", { timeout: 60_000 });
    } else {
      // The marks are the page's own timestamps, so reading them later changes nothing; looking
      // earlier would put Playwright's work on the thread being measured. A load not ready after
      // the sleep is waited for normally (it is slow already; its marks stand as recorded).
      await page.goto(url, { waitUntil: "commit" });
      await page.waitForTimeout(2500);
      await page.waitForSelector("html[data-ready=true]", { timeout: 60_000 });
    }
    // When the decision was painted: the first paint of the decision's status line, which
    // decision.js marks for the Element Timing API (`elementtiming="decision"`); and when the
    // whole intake was, form included: the last largest-contentful-paint entry (the form comes
    // after the decision; a page built before the seventh session drew both in one frame).
    const { painted, decisionPainted } = await page.evaluate(
      () =>
        new Promise((resolve) => {
          const lcp = [];
          const element = [];
          new PerformanceObserver((list) => lcp.push(...list.getEntries())).observe({ type: "largest-contentful-paint", buffered: true });
          new PerformanceObserver((list) => element.push(...list.getEntries())).observe({ type: "element", buffered: true });
          const at = (e) => e.renderTime || e.startTime;
          setTimeout(() => {
            const decision = element.filter((e) => e.identifier === "decision");
            resolve({
              painted: lcp.length ? Math.max(...lcp.map(at)) : NaN,
              decisionPainted: decision.length ? Math.min(...decision.map(at)) : NaN,
            });
          }, 50);
        }),
    );
    return await page.evaluate(({ painted, decisionPainted }) => {
      const m = (n) => performance.getEntriesByName(n)[0]?.startTime ?? NaN;
      return {
        painted,
        decisionPainted,
        loadEvent: performance.getEntriesByType("navigation")[0]?.loadEventStart ?? NaN,
        appStart: m("humiao:app-start"),
        formBuilt: m("humiao:form-built"),
        engineReady: m("humiao:engine-ready"),
        policyBytes: m("humiao:policy-bytes"),
        policyLoaded: m("humiao:policy-loaded"),
        firstDecision: m("humiao:first-decision"),
        firstDecisionFrame: m("humiao:first-decision-frame"),
      };
    }, { painted, decisionPainted });
  } finally {
    await b.close();
  }
}

const server = await serve(site);
const baselineServer = baselineSite ? await serve(baselineSite) : null;
const loads = [];
const baselineLoads = [];
try {
  for (let i = 0; i < runs; i++) {
    // Alternate which goes first, so neither always gets the quieter moment.
    if (baselineServer && i % 2 === 1) baselineLoads.push(await coldLoad(baselineServer.url));
    loads.push(await coldLoad(server.url));
    if (baselineServer && i % 2 === 0) baselineLoads.push(await coldLoad(baselineServer.url));
  }
} finally {
  await baselineServer?.close();
}

// ---------------------------------------------------------------- re-evaluation on input
// Twice, each in a fresh browser: typing from the moment the page is ready ("at once", a robot's
// speed: the page's idle-time warm-up may not have run yet), and typing once the page has
// settled (its warm-up mark, app.js warmUp; a person reads the page before typing). Both are
// reported; the second is what a caseworker meets.
async function typeCase(page) {
  await page.evaluate(() => performance.clearMeasures("humiao:evaluate"));
  // A discovery typed in as a caseworker would: signs, the child, the reporter, the times.
  await page.check('[data-path="indicators.sexual_assault"]');
  await page.locator('[data-path="minor.age"]').pressSequentially("9", { delay: 30 });
  await page.selectOption('[data-path="minor.sex"]', "female");
  await page.selectOption('[data-path="reporter.org_type"]', "school");
  await page.selectOption('[data-path="reporter.in_course_of_work"]', "true");
  await page.fill('[data-path="discovered_at"]', "");
  await page.locator('[data-path="discovered_at"]').pressSequentially("2026-03-01T10:00+08:00", { delay: 30 });
  await page.check('[data-involves="case"]');
  await page.check('[data-path="indicators.pregnancy"]');
  await page.uncheck('[data-path="indicators.pregnancy"]');
  await page.locator('[data-path="case.id"]').isVisible();
  await page.check("#show-all");
  await page.locator('[data-path="case.departments_involved"]').pressSequentially("3", { delay: 30 });
  await page.locator('[data-path="minor.birth_date"]').pressSequentially("2016-07-12", { delay: 30 });
  return page.evaluate(() => performance.getEntriesByName("humiao:evaluate").map((m) => m.duration));
}
const atOnce = await launch();
const firstPage = await atOnce.context.newPage();
await firstPage.goto(server.url);
await firstPage.waitForSelector("html[data-ready=true]", { timeout: 60_000 });
const inputsAtOnce = await typeCase(firstPage);
await atOnce.close();

const b = await launch();
const page = await b.context.newPage();
await page.goto(server.url);
await page.waitForSelector("html[data-ready=true]", { timeout: 60_000 });
// A site without the warm-up (an older build) is typed into after 5 s.
const warmedUp = await page
  .waitForFunction(() => performance.getEntriesByName("humiao:warmed-up").length === 1, null, { timeout: 5_000 })
  .then(() => page.evaluate(() => performance.getEntriesByName("humiao:warmed-up")[0].startTime - performance.getEntriesByName("humiao:first-decision")[0].startTime))
  .catch(() => null);
const inputs = await typeCase(page);
const engineOnly = await page.evaluate(() => {
  const { policy, intake } = window.humiao;
  const out = [];
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    policy.evaluate(intake.facts, "2026-03-01", { explain: true });
    out.push(performance.now() - t0);
  }
  return out;
});
await b.close();
await server.close();

// ---------------------------------------------------------------- report
let chromium = "";
try {
  chromium = execFileSync(executablePath, ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
} catch {
  chromium = executablePath;
}
const first = loads.map((l) => l.firstDecision);
const report = {
  machine: {
    cpu: cpus()[0]?.model ?? "?",
    cores: cpus().length,
    memoryGiB: r1(totalmem() / 2 ** 30),
    loadAverage: loadavg().map(r1),
    chromium,
    node: process.version,
  },
  wasm: { evaluationOnly: sizes.evaluate, whole: sizes.whole, budgetGzip: 400 * 1024 },
  firstDecisionMs: {
    runs,
    median: r1(median(first)),
    // The lower quartile and the minimum say more than the median on a shared machine whose
    // load comes and goes: a load spike only ever makes a cold load slower.
    p25: r1(pct(first, 25)),
    min: r1(Math.min(...first)),
    max: r1(Math.max(...first)),
    appStartMedian: r1(median(loads.map((l) => l.appStart))),
    formBuiltMedian: r1(median(loads.map((l) => l.formBuilt))),
    engineReadyMedian: r1(median(loads.map((l) => l.engineReady))),
    policyLoadMedian: r1(median(loads.map((l) => l.policyLoaded - l.engineReady))),
    // Of the policy load, reading the bytes (Policy.fromEvaluationBytes) once they are there.
    policyReadMedian: r1(median(loads.map((l) => l.policyLoaded - l.policyBytes))),
    // From the set read to the first decision in the DOM (since the seventh session without the
    // form, which is built after the decision is on screen).
    decisionMedian: r1(median(loads.map((l) => l.firstDecision - l.policyLoaded))),
    // The same loads, to the decision's paint and the whole intake's, and the navigation's load
    // event.
    decisionPaintedMedian: r1(median(loads.map((l) => l.decisionPainted))),
    decisionPaintedP25: r1(pct(loads.map((l) => l.decisionPainted), 25)),
    decisionPaintedMax: r1(Math.max(...finite(loads.map((l) => l.decisionPainted)))),
    paintedMedian: r1(median(loads.map((l) => l.painted))),
    loadEventMedian: r1(median(loads.map((l) => l.loadEvent))),
    waitedBy: waitMode,
    budget: 150,
  },
  ...(baselineSite && {
    baseline: {
      site: baselineSite,
      median: r1(median(baselineLoads.map((l) => l.firstDecision))),
      p25: r1(pct(baselineLoads.map((l) => l.firstDecision), 25)),
      min: r1(Math.min(...baselineLoads.map((l) => l.firstDecision))),
      max: r1(Math.max(...baselineLoads.map((l) => l.firstDecision))),
      appStartMedian: r1(median(baselineLoads.map((l) => l.appStart))),
      formBuiltMedian: r1(median(baselineLoads.map((l) => l.formBuilt))),
      engineReadyMedian: r1(median(baselineLoads.map((l) => l.engineReady))),
      policyLoadMedian: r1(median(baselineLoads.map((l) => l.policyLoaded - l.engineReady))),
      decisionMedian: r1(median(baselineLoads.map((l) => l.firstDecision - l.policyLoaded))),
      decisionPaintedMedian: r1(median(baselineLoads.map((l) => l.decisionPainted))),
      paintedMedian: r1(median(baselineLoads.map((l) => l.painted))),
      ratio: Math.round((median(first) / median(baselineLoads.map((l) => l.firstDecision))) * 1000) / 1000,
      paintedRatio: Math.round((median(loads.map((l) => l.decisionPainted)) / median(baselineLoads.map((l) => l.decisionPainted))) * 1000) / 1000,
      ratioP25: Math.round((pct(first, 25) / pct(baselineLoads.map((l) => l.firstDecision), 25)) * 1000) / 1000,
    },
  }),
  reevaluationMs: {
    inputs: inputs.length,
    median: r1(median(inputs)),
    p95: r1(pct(inputs, 95)),
    max: r1(Math.max(...inputs)),
    engineOnlyMedian: r1(median(engineOnly)),
    warmedUpAfterFirstDecisionMs: warmedUp === null ? null : r1(warmedUp),
    atOnce: {
      inputs: inputsAtOnce.length,
      median: r1(median(inputsAtOnce)),
      p95: r1(pct(inputsAtOnce, 95)),
      max: r1(Math.max(...inputsAtOnce)),
    },
    budget: 5,
  },
};

console.log(`machine: ${report.machine.cpu}, ${report.machine.cores} cores, ${report.machine.memoryGiB} GiB, load ${report.machine.loadAverage.join(" ")}; ${chromium}; node ${process.version}`);
for (const [name, size] of [["evaluation-only engine (the intake)", sizes.evaluate], ["whole engine (the playground)", sizes.whole]]) {
  if (size) console.log(`wasm, ${name}: ${size.raw} bytes, ${size.gzip9} bytes gzip -9 (${r1(size.gzip9 / 1024)} KiB; budget 400 KiB)`);
}
const f = report.firstDecisionMs;
console.log(`first decision on screen (its paint, element timing): median ${f.decisionPaintedMedian} ms (lower quartile ${f.decisionPaintedP25}, max ${f.decisionPaintedMax}; budget 150 ms); in the DOM: median ${f.median} ms (lower quartile ${f.p25}, min ${f.min}, max ${f.max}) — ${runs} cold loads, waited for ${waitMode === "quiet" ? "without touching the page" : "by waitForSelector"}; page modules running at ${f.appStartMedian} ms, engine ready at ${f.engineReadyMedian} ms, then the set read in ${f.policyLoadMedian} ms (of it reading the bytes ${f.policyReadMedian} ms), the decision in ${f.decisionMedian} ms; the form laid out at ${f.formBuiltMedian} ms, the whole intake painted at ${f.paintedMedian} ms (largest contentful paint); load event at ${f.loadEventMedian} ms`);
if (report.baseline) {
  const bl = report.baseline;
  console.log(`baseline ${bl.site}, same run: on screen median ${bl.decisionPaintedMedian} ms; in the DOM median ${bl.median} ms (lower quartile ${bl.p25}, min ${bl.min}, max ${bl.max}) — page modules running at ${bl.appStartMedian} ms, engine ready at ${bl.engineReadyMedian} ms, then the set read in ${bl.policyLoadMedian} ms, the decision in ${bl.decisionMedian} ms; the form laid out at ${bl.formBuiltMedian} ms, the whole intake painted at ${bl.paintedMedian} ms; this site / baseline in the DOM = ${bl.ratio} (medians), ${bl.ratioP25} (lower quartiles); on screen = ${bl.paintedRatio}`);
}
const e = report.reevaluationMs;
console.log(`re-evaluation on input, the page settled (warm-up done ${e.warmedUpAfterFirstDecisionMs ?? "—"} ms after the first decision): median ${e.median} ms, p95 ${e.p95} ms, max ${e.max} ms over ${e.inputs} inputs (budget 5 ms); engine alone ${e.engineOnlyMedian} ms`);
console.log(`re-evaluation on input, typed from the moment the page is ready: median ${e.atOnce.median} ms, p95 ${e.atOnce.p95} ms, max ${e.atOnce.max} ms over ${e.atOnce.inputs} inputs`);
if (jsonOut) {
  mkdirSync(dirname(jsonOut), { recursive: true });
  writeFileSync(jsonOut, JSON.stringify(report, null, 2) + "\n");
}
