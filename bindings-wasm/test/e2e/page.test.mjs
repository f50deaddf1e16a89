// End to end in real headless Chromium (Debian's, driven by playwright-core): the built page in
// pkg/site, served from a local static server. Screenshots go to bindings-wasm/artifacts/.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { serve } from "../../tools/serve.mjs";
import { launch } from "../../tools/browser.mjs";
import { cli, corpusDir, paramArgs } from "../helpers/cli.mjs";

const here = fileURLToPath(new URL("../..", import.meta.url));
const site = join(here, "pkg", "site");
const artifacts = join(here, "artifacts");
mkdirSync(artifacts, { recursive: true });

let server;
let browser;

before(async () => {
  server = await serve(site);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function openPage(hash = "", lang = "zh") {
  const page = await browser.context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${server.url}?lang=${lang}${hash}`);
  await page.waitForSelector("html[data-ready=true]", { timeout: 30_000 });
  return { page, errors };
}

// ---------------------------------------------------------------- the first decision

// The page decides the case a new form holds before it builds the form (app.js), then the form
// evaluates what it holds: both must be the same case and the same decision, and the page must
// be on screen.
test("first decision: drawn before the form, it is the form's own first decision", async () => {
  const { page, errors } = await openPage();
  const got = await page.evaluate(() => {
    const { firstCase, firstDecision, intake } = window.humiao;
    return {
      firstCase,
      firstDecision,
      formFacts: intake.facts,
      formDecision: intake.decision,
      formAsOf: document.querySelector("[data-as-of]").value,
      starting: document.documentElement.classList.contains("starting"),
      decidedAt: performance.getEntriesByName("humiao:first-decision")[0]?.startTime,
      formAt: performance.getEntriesByName("humiao:form-built")[0]?.startTime,
      status: document.querySelector("#decision [data-testid=status]")?.getAttribute("elementtiming"),
    };
  });
  assert.deepEqual(errors, []);
  assert.equal(got.starting, false, "the page is shown");
  assert.notEqual(got.firstDecision, null, "a decision was drawn before the form");
  assert.ok(got.decidedAt < got.formAt, `decided at ${got.decidedAt} ms, the form built at ${got.formAt} ms`);
  assert.match(got.firstCase.facts.discovered_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}\+08:00$/);
  assert.equal(got.firstCase.asOf, got.firstCase.facts.discovered_at.slice(0, 10));
  assert.deepEqual(got.formFacts, got.firstCase.facts);
  assert.deepEqual(got.formDecision, got.firstDecision);
  assert.equal(got.formAsOf, "", "no as-of date typed: the discovery's date is used");
  assert.equal(got.status, "decision", "the status line is marked for the paint timing");
  await page.close();
});

// ---------------------------------------------------------------- three corpus cases by hand

// Cases of the corpus (no params: the page runs the bundled set as is) whose decision has
// obligations; three with different first actions, so the form's sections all get used.
function pickCases() {
  const files = readdirSync(corpusDir).filter((f) => f.endsWith(".json")).sort();
  const picked = [];
  const actions = new Set();
  const fallback = [];
  for (const f of files) {
    const c = JSON.parse(readFileSync(join(corpusDir, f), "utf8"));
    if (c.params && Object.keys(c.params).length) continue;
    const ref = cli(["eval", "rules", "--facts", "-", "--as-of", c.as_of, "--format", "json", ...paramArgs(c.params)], JSON.stringify(c.facts));
    if (ref.code !== 0) continue;
    const d = JSON.parse(ref.stdout);
    if (!d.obligations.length) continue;
    const action = d.obligations[0].action;
    const entry = { file: f, case: c, decision: d };
    if (!actions.has(action) && picked.length < 3) {
      actions.add(action);
      picked.push(entry);
    } else {
      fallback.push(entry);
    }
  }
  while (picked.length < 3 && fallback.length) picked.push(fallback.shift());
  return picked;
}

// Leaves of the facts as [path, value]; lists stay whole.
function leaves(obj, prefix = "") {
  const out = [];
  for (const [k, v] of Object.entries(obj)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === "object" && !Array.isArray(v)) out.push(...leaves(v, path));
    else out.push([path, v]);
  }
  return out;
}

async function fillValue(page, path, value) {
  const el = page.locator(`[data-path="${path}"]`);
  const tag = await el.evaluate((e) => (e.tagName === "INPUT" && e.type === "checkbox" ? "checkbox" : e.dataset.kind === "set" ? "set" : e.tagName));
  if (tag === "SELECT") await el.selectOption(String(value));
  else if (tag === "checkbox") await el.setChecked(value === true);
  else if (tag === "set") {
    for (const v of value) await el.locator(`input[value="${v}"]`).check();
  } else await el.fill(typeof value === "string" ? value : JSON.stringify(value));
}

// Fills the form as a person would: each value once its question is shown; what the decision
// never asks for is entered after turning on "show all questions". Returns the paths that
// needed it.
async function fillCase(page, c) {
  await page.fill('[data-path="discovered_at"]', "");
  await page.fill("[data-as-of]", c.as_of);
  for (const key of Object.keys(c.facts)) {
    const toggle = page.locator(`[data-involves="${key}"]`);
    if (await toggle.count()) await toggle.check();
  }
  let pending = leaves(c.facts).filter(([, v]) => v !== null);
  const fill = async (path, value) => {
    if (Array.isArray(value) && (await page.locator(`[data-add-row="${path}"]`).count())) {
      if (!(await page.locator(`[data-add-row="${path}"]`).isVisible())) return false;
      for (const [i, item] of value.entries()) {
        await page.click(`[data-add-row="${path}"]`);
        for (const [k, v] of Object.entries(item)) if (v !== null) await fillValue(page, `${path}[${i}].${k}`, v);
      }
      return true;
    }
    const el = page.locator(`[data-path="${path}"]`);
    if (!(await el.count()) || !(await el.isVisible())) return false;
    await fillValue(page, path, value);
    return true;
  };
  for (let round = 0; round < 20 && pending.length; round++) {
    const next = [];
    for (const [path, value] of pending) if (!(await fill(path, value))) next.push([path, value]);
    if (next.length === pending.length) break;
    pending = next;
  }
  const unasked = pending.map(([p]) => p);
  if (pending.length) {
    await page.check("#show-all");
    for (const [path, value] of pending) assert.ok(await fill(path, value), `no field for ${path}`);
    await page.uncheck("#show-all");
  }
  return unasked;
}

const cases = pickCases();

test("three corpus cases are picked for the form", () => {
  assert.equal(cases.length, 3, "the corpus has fewer than three cases with obligations");
});

for (const [n, { file, case: c, decision: ref }] of cases.entries()) {
  test(`form: ${file} shows the duty, each obligation and its citation`, async () => {
    const { page, errors } = await openPage();
    const unasked = await fillCase(page, c);
    // The form built exactly the case's decision (the page evaluates with explain; the CLI not).
    const shown = await page.evaluate(() => ({ ...window.humiao.intake.decision, trace: null }));
    assert.deepStrictEqual(shown, ref, `facts the decision never asked for: ${unasked.join(", ")}`);
    const decision = page.locator("#decision");
    if (ref.conclusions["reporting.duty"] !== undefined) {
      assert.equal(await decision.locator("[data-testid=duty]").getAttribute("data-value"), ref.conclusions["reporting.duty"]);
    }
    assert.equal(await decision.locator("[data-testid=status]").count(), 1);
    for (const o of ref.obligations) {
      const card = decision.locator(`.obligation[data-rule="${o.rule}"][data-action="${o.action}"][data-party="${o.party ?? ""}"]`);
      assert.ok((await card.count()) >= 1, `obligation ${o.id} shown`);
      const first = card.first();
      const cites = await first.locator(".cite").allTextContents();
      assert.deepEqual(cites, o.cite);
      assert.equal(await first.locator(".ob-due").getAttribute("data-due"), o.due ?? "");
      assert.ok((await first.locator(".ob-party").textContent()).trim().length > 0);
    }
    await page.screenshot({ path: join(artifacts, `intake-${n + 1}-${file.replace(/\.json$/, "")}.png`), fullPage: true });
    assert.deepEqual(errors, []);
    await page.close();
  });
}

// ---------------------------------------------------------------- validation and language

test("form: each field is validated as it is typed, and the decision stays live", async () => {
  const { page, errors } = await openPage();
  // The intake runs on the evaluation-only engine: the whole engine is not even downloaded.
  const wasm = await page.evaluate(() => performance.getEntriesByType("resource").map((r) => new URL(r.name).pathname).filter((p) => p.endsWith(".wasm")));
  assert.deepEqual(wasm, ["/pkg/evaluate-web/humiao_wasm_bg.wasm"]);
  // In idle time after the first decision the page warms its code up with a made-up case built
  // from the schema (app.js, warmUp): it must fit the bundled set, or the warm-up does nothing.
  await page.waitForFunction(() => performance.getEntriesByName("humiao:warmed-up").length === 1, null, { timeout: 10_000 });
  // No sign ticked yet: the duty reads "none" (the signs default to false), and the page says so.
  assert.equal(await page.locator("[data-testid=duty]").getAttribute("data-value"), "none");
  assert.match(await page.locator("[data-testid=no-signs]").textContent(), /尚未勾选任何发现的迹象/);
  await page.check('[data-path="indicators.sexual_assault"]');
  assert.equal(await page.locator("[data-testid=no-signs]").count(), 0);
  const age = page.locator('[data-path="minor.age"]');
  await age.waitFor({ state: "visible" });
  const error = page.locator('[data-field="minor.age"] .field-error');
  await age.fill("九");
  assert.match(await error.textContent(), /整数/);
  await age.fill("200");
  assert.match(await error.textContent(), /150|范围/);
  await age.fill("9");
  assert.equal(await error.textContent(), "");
  await page.selectOption('[data-path="minor.sex"]', "female");
  await page.selectOption('[data-path="reporter.org_type"]', "school");
  await page.selectOption('[data-path="reporter.in_course_of_work"]', "true");
  await page.fill('[data-path="discovered_at"]', "2026-03-01T10:00+08:00");
  assert.equal(await page.locator("[data-testid=duty]").getAttribute("data-value"), "mandatory");
  // The explanation: each applied rule with its citation; opened, its conditions and the values seen.
  const fired = page.locator("#decision details.trace-fired", { hasText: "reporting.duty_mandatory" });
  assert.match(await fired.locator(".tr-cite").textContent(), /未成年人保护法/);
  await fired.locator("summary").click();
  await fired.locator(".cond").first().waitFor(); // drawn on the (asynchronous) toggle event
  assert.match(await fired.locator(".conds").textContent(), /reporter\.in_course_of_work/);
  // A birth date after the discovery is refused at its field; the rest still decides.
  await page.check("#show-all");
  await page.fill('[data-path="minor.birth_date"]', "2027-01-01");
  assert.match(await page.locator('[data-field="minor.birth_date"] .field-error').textContent(), /晚于/);
  assert.equal(await page.locator("[data-testid=duty]").getAttribute("data-value"), "mandatory");
  await page.fill('[data-path="minor.birth_date"]', "2026-02-30");
  assert.notEqual(await page.locator('[data-field="minor.birth_date"] .field-error').textContent(), "");
  // A list (parents): rows are added and removed, and the facts follow.
  await page.check('[data-involves="parents"]');
  await page.click('[data-add-row="parents"]');
  await page.click('[data-add-row="parents"]');
  await page.selectOption('[data-path="parents[1].role"]', "mother");
  await page.click('[data-remove-row="parents"][data-index="0"]');
  assert.equal(await page.locator('[data-path="parents[0].role"]').inputValue(), "mother");
  assert.deepEqual(await page.evaluate(() => window.humiao.intake.facts.parents), [{ role: "mother" }]);
  await page.uncheck('[data-involves="parents"]');
  // English.
  await page.click("#lang");
  assert.equal(await page.locator("#lang").textContent(), "中文");
  const englishError = await page.locator('[data-field="minor.birth_date"] .field-error').textContent();
  assert.match(englishError, /minor\.birth_date/);
  assert.doesNotMatch(englishError, /[\u4e00-\u9fff]/);
  assert.match(await page.locator("#decision .obligation .ob-party").first().textContent(), /public security/);
  await page.screenshot({ path: join(artifacts, "intake-validation-en.png"), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

// ---------------------------------------------------------------- playground

test("playground: a misspelt fact is reported at its line and column, in Chinese and English", async () => {
  const { page, errors } = await openPage("#playground");
  const editor = page.locator("#pg-text");
  await editor.waitFor({ state: "visible" });
  // The playground loaded the whole engine. The bundled set it compiles from its texts is the
  // one the intake read from its evaluation bytes, and the form was laid out from its schema.
  assert.ok(
    await page.evaluate(async () => {
      const { Policy } = await window.humiao.wholeEngine();
      const sources = await (await fetch("bundled-rules.json")).json();
      const compiled = Policy.fromSources(sources);
      return compiled.digest === window.humiao.policy.digest && JSON.stringify(compiled.schema()) === JSON.stringify(window.humiao.schema);
    }),
  );
  // The web build of the whole engine compiles from sources only: the compiled-bytes functions
  // and the batch ones are left out for its size, and asking for them says so (kind `input`).
  assert.deepEqual(
    await page.evaluate(async () => {
      const { Policy } = await window.humiao.wholeEngine();
      const compiled = Policy.fromSources(await (await fetch("bundled-rules.json")).json());
      const kinds = [];
      for (const call of [() => compiled.toBytes(), () => compiled.toEvaluationBytes(), () => Policy.fromBytes(new Uint8Array(8)), () => compiled.loadCases([])]) {
        try {
          call();
          kinds.push("returned");
        } catch (e) {
          kinds.push(`${e.name}:${e.kind}:${/Node/.test(e.message) && /Node/.test(e.messageZh)}`);
        }
      }
      return kinds;
    }),
    Array(4).fill("HumiaoError:input:true"),
  );
  assert.equal(await page.locator("#pg-file").inputValue(), "reporting.humiao");
  const text = await editor.inputValue();
  const word = "indicators.genital_private_injury";
  const at = text.indexOf(`and ${word}`) + 4;
  assert.ok(at > 4, "the rule file reads the fact");
  const line = text.slice(0, at).split("\n").length;
  const column = at - text.lastIndexOf("\n", at - 1);
  // Select the fact's name and type the misspelling over it.
  await editor.evaluate((el, [a, b]) => {
    el.focus();
    el.setSelectionRange(a, b);
  }, [at, at + word.length]);
  await page.keyboard.type("indicators.genital_privte_injury");
  const diag = page.locator(`#pg-diags li.diag-error[data-line="${line}"]`);
  await diag.waitFor({ timeout: 10_000 });
  assert.equal(await diag.getAttribute("data-column"), String(column));
  assert.match(await diag.textContent(), new RegExp(`第 ${line} 行第 ${column} 列`));
  assert.match(await diag.textContent(), /未知名称/);
  assert.match(await diag.textContent(), /indicators\.genital_private_injury/);
  assert.equal(await page.locator(`#pg-gutter .ln.mark-error[data-line="${line}"]`).count(), 1);
  assert.equal(await page.locator("#pg-hl mark.sq-error").first().textContent(), "indicators.genital_privte_injury");
  await page.screenshot({ path: join(artifacts, "playground-diagnostic-zh.png"), fullPage: true });
  await page.click("#lang");
  assert.match(await diag.textContent(), new RegExp(`line ${line}, column ${column}`));
  assert.match(await diag.textContent(), /unknown name/);
  assert.match(await diag.textContent(), /did you mean `indicators\.genital_private_injury`/);
  await page.screenshot({ path: join(artifacts, "playground-diagnostic-en.png"), fullPage: true });
  // With errors the tests cannot run; after a reset they all pass.
  await page.click("#pg-run");
  assert.equal(await page.locator(".tests-error").count(), 1);
  await page.click("#pg-reset");
  await page.locator("#pg-diags li.diag-error").waitFor({ state: "detached" });
  await page.click("#pg-run");
  const summary = page.locator(".tests-summary");
  assert.equal(await summary.getAttribute("data-failed"), "0");
  assert.ok(Number(await summary.getAttribute("data-passed")) > 0);
  await page.screenshot({ path: join(artifacts, "playground-tests.png"), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});
