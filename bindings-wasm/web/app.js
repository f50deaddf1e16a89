// The page: load the evaluation-only engine and the bundled policy set compiled for evaluation,
// show the first decision, then wire the language switch and the tabs; the whole engine (parser,
// checker, tests) loads when the rule playground first opens. Marks for the budgets:
// `humiao:first-decision` (ms since the navigation started) and one `humiao:evaluate` measure
// per re-evaluation.
import { init, Policy } from "./js/evaluate-web.js";
import { schema } from "./bundled-schema.js";
import { getLang, setLang, t, translateStatic } from "./i18n.js";
import { makeLabels } from "./labels.js";
import { createDecisionView } from "./decision.js";
import { createIntake, initialCase, ticksASign } from "./intake.js";

performance.mark("humiao:app-start");
const query = new URLSearchParams(location.search);
setLang(query.get("lang") ?? localStorage.getItem("humiao.lang") ?? "zh");
translateStatic();

const boot = document.getElementById("boot");
// index.html started the engine's download and compilation (off the main thread) and the
// compiled set's download before any module loaded. Without that head script, both are
// fetched from here.
const started = window.humiaoBoot ?? {};
const engine = Promise.resolve(started.engine).then((m) => init(m ?? new URL("pkg/evaluate-web/humiao_wasm_bg.wasm", document.baseURI)));
const compiled = started.policy ?? fetchCompiled();
function fetchCompiled() {
  return fetch("bundled-evaluation.bin").then((r) => (r.ok ? r.arrayBuffer() : Promise.reject(new Error(`bundled-evaluation.bin: ${r.status}`))));
}
const labels = makeLabels(schema);
let intake = null;
let decisionView = null;
let policy;
try {
  await engine;
  performance.mark("humiao:engine-ready");
  const bytes = await compiled;
  performance.mark("humiao:policy-bytes");
  // What evaluation needs of the set, compiled at build time: no parsing or checking here (the
  // playground compiles the texts it edits, with the whole engine).
  policy = Policy.fromEvaluationBytes(bytes);
  performance.mark("humiao:policy-loaded");
} catch (e) {
  boot.textContent = `${t("loadFailed")}: ${e.message ?? e}`;
  boot.classList.add("boot-error");
  document.documentElement.classList.remove("starting");
  throw e;
}
// The first decision before the form: the case a form just built holds (initialCase: nothing
// typed, the discovery time now) is decided and drawn on its own, and the form is built and laid
// out once that decision is on screen. Laying the form out first put its build (8-14 ms of
// script) and its layout (16-18 ms, the page's largest) between the engine and the decision
// being on screen. The form's own first evaluation then reads the same case and finds the same
// decision, so it redraws nothing (decision.js compares each part's HTML).
decisionView = createDecisionView(document.getElementById("decision"), labels, {
  onAsk: (path) => intake?.focus(path),
});
const now = Date.now();
const first = initialCase(schema, now);
let drawn = false;
let firstDecision = null;
try {
  firstDecision = JSON.parse(policy.evaluateJson(first.facts, first.asOf, { explain: true, fastPath: false }));
  decisionView.render(firstDecision, { problems: [], noSigns: !ticksASign(first.facts) });
  drawn = true;
} catch {
  // A set this case does not fit: the form's evaluation below reports why, at its fields.
}
const intakeBox = document.getElementById("intake");
const formBox = document.getElementById("case-form");
// The decision goes on screen ahead of the form only where it keeps its place when the form
// comes: in the two-column layout (style.css: one column up to 900 px, the form above the
// decision), and when the page opens on the intake, not the playground.
const playgroundFirst = location.hash === "#playground";
const ahead = drawn && !playgroundFirst && !matchMedia("(max-width: 900px)").matches;
boot.hidden = true;
intakeBox.hidden = playgroundFirst;
document.documentElement.classList.remove("starting");
if (drawn) markFirstDecision();
if (ahead) await decisionOnScreen();
intake = createIntake({ schema, root: formBox, decisionRoot: decisionView, now });
performance.mark("humiao:form-built");
intake.attach(policy);
intake.evaluate();
if (!drawn) markFirstDecision();
// After the first decision is drawn, in idle time: the fast path for the keystrokes to come, then
// a warm-up. Chromium compiles the engine's WebAssembly one function at its first call, and V8
// the page's own functions likewise: the first keystrokes that decide a case (obligations, due
// times, the explanation) would pay for compiling that code (10-17 ms where later ones take 2).
// So a made-up case that decides much is evaluated and drawn off-screen before anyone types;
// nothing of it is kept or shown.
const idle = window.requestIdleCallback ?? ((f) => setTimeout(f, 50));
// Several rounds, one per idle period: V8 moves a function to faster code only after it has run
// a number of times, so one pass compiles but does not warm; each round also re-evaluates the
// form as it stands (the same decision, so nothing is redrawn), which runs the intake's own code.
// It stops as soon as someone types: from then on their own inputs do the warming.
const WARM_UP_ROUNDS = 6;
let typing = false;
document.getElementById("case-form").addEventListener("input", () => (typing = true), { once: true });
idle(() => {
  intake.prepare();
  let round = 0;
  const next = () => {
    if (typing || !warmUp(round === 0)) return;
    intake.evaluateQuietly();
    if (++round < WARM_UP_ROUNDS) idle(next);
    else performance.mark("humiao:warmed-up");
  };
  idle(next);
});

/** Every fact of the schema given: yes/no facts yes, the first value of each enum, the lowest number. */
function warmUpCase(asOf) {
  const facts = {};
  for (const f of schema.facts) {
    const ty = f.type;
    let v;
    if (ty.kind === "bool") v = true;
    else if (ty.kind === "int") v = f.range?.[0] ?? 9;
    else if (ty.kind === "enum") v = labels.enums.get(ty.enum)?.values[0]?.name;
    else if (ty.kind === "date") v = asOf;
    else if (ty.kind === "datetime") v = `${asOf}T09:00:00+08:00`;
    if (v === undefined) continue;
    const parts = f.path.split(".");
    let at = facts;
    for (const p of parts.slice(0, -1)) at = at[p] ??= {};
    at[parts[parts.length - 1]] = v;
  }
  return facts;
}

let warmView = null;
/** One round of the warm-up; `false` when the made-up case does not fit the set (then no more). */
function warmUp(first) {
  try {
    const asOf = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);
    const text = policy.evaluateJson(warmUpCase(asOf), asOf, { explain: true });
    if (first) warmView = createDecisionView(document.createElement("aside"), labels);
    warmView.render(JSON.parse(text), { problems: [] });
    return true;
  } catch {
    // A set whose facts this made-up case does not fit: the first keystrokes compile it instead.
    return false;
  }
}

/** The budget's marks: the first decision in the DOM, and the frame after it. */
function markFirstDecision() {
  performance.mark("humiao:first-decision");
  requestAnimationFrame(() => performance.mark("humiao:first-decision-frame"));
}

/**
 * Resolves once the decision drawn before the form is on screen, so that building the form
 * does not take the two cores from the frame that paints it: where the browser reports when an
 * element was painted (Element Timing; the decision's status line is marked
 * `elementtiming="decision"`), from that report; elsewhere after the frame (a task queued from
 * its callback runs after it).
 */
function decisionOnScreen() {
  return new Promise((ok) => {
    // Never for long: a page opened in a background tab paints no frame and reports nothing.
    setTimeout(ok, 200);
    if (!PerformanceObserver.supportedEntryTypes?.includes("element")) {
      requestAnimationFrame(() => setTimeout(ok, 0));
      return;
    }
    const seen = new PerformanceObserver((list) => {
      if (list.getEntries().some((e) => e.identifier === "decision")) {
        seen.disconnect();
        ok();
      }
    });
    seen.observe({ type: "element", buffered: true });
    setTimeout(() => seen.disconnect(), 200);
  });
}

/** The bundled set's texts, which only the playground needs (it compiles what it edits). */
function bundledSources() {
  return fetch("bundled-rules.json").then((r) => (r.ok ? r.json() : Promise.reject(new Error(`bundled-rules.json: ${r.status}`))));
}

/** The whole engine (parser, checker, tests), which only the playground needs, loaded once. */
let whole = null;
function wholeEngine() {
  whole ??= import("./js/web.js").then((m) => m.init(new URL("pkg/web/humiao_wasm_bg.wasm", document.baseURI)).then(() => m));
  return whole;
}

let playground = null;
async function showTab(name) {
  for (const b of document.querySelectorAll("[data-tab]")) b.setAttribute("aria-selected", String(b.dataset.tab === name));
  document.getElementById("intake").hidden = name !== "intake";
  document.getElementById("playground").hidden = name !== "playground";
  // The playground (and its code) loads on first use, so it costs the first decision nothing.
  if (name === "playground" && playground === null) {
    const [{ createPlayground }, sources] = await Promise.all([import("./playground.js"), bundledSources(), wholeEngine()]);
    playground ??= createPlayground({ root: document.getElementById("playground"), sources });
  }
  if (location.hash !== `#${name}`) history.replaceState(null, "", `#${name}`);
}

for (const b of document.querySelectorAll("[data-tab]")) b.addEventListener("click", () => showTab(b.dataset.tab));
document.getElementById("lang").addEventListener("click", () => {
  setLang(getLang() === "zh" ? "en" : "zh");
  localStorage.setItem("humiao.lang", getLang());
  document.title = t("title");
  translateStatic();
  decisionView.rerender();
  intake.relabel();
  playground?.relabel();
});
document.title = t("title");
if (location.hash === "#playground") await showTab("playground");

// For the end-to-end tests and the budget script (read-only use).
window.humiao = {
  policy,
  schema,
  intake,
  get playground() {
    return playground;
  },
  showTab,
  wholeEngine,
  // The case and decision drawn before the form existed (its first evaluation must agree).
  firstCase: first,
  firstDecision,
  ready: true,
};
document.documentElement.dataset.ready = "true";
