// Case intake: a form built from the policy set's declared facts. It shows the questions that
// can still change the decision (the decision's `missing`), the signs-seen checklist and the
// sections the case involves; every input is checked by the engine as it is typed, and the
// decision is re-evaluated on each keystroke.
import { HumiaoError } from "./js/evaluate-web.js";
import { getLang, humanize, msg, t } from "./i18n.js";
import { esc } from "./html.js";

// DOM writes only where something changed: a keystroke re-evaluates the whole case, and most of
// the form stays as it was.
const shown = new WeakMap();
function setText(el, text) {
  if (shown.get(el) !== text) {
    shown.set(el, text);
    el.textContent = text;
  }
}
function setHidden(el, hidden) {
  if (el.hidden !== hidden) el.hidden = hidden;
}
function setClass(el, name, on) {
  if (el.classList.contains(name) !== on) el.classList.toggle(name, on);
}

const idOf = (path) => "f-" + path.replace(/[^\w]/g, "-");

/** Today in +08:00, as the CLI's default as-of date. */
export function todayInChina(now = Date.now()) {
  return new Date(now + 8 * 3600 * 1000).toISOString().slice(0, 10);
}

/** Now in +08:00, to the minute, written with its offset. */
function nowInChina(now = Date.now()) {
  return new Date(now + 8 * 3600 * 1000).toISOString().slice(0, 16) + "+08:00";
}

// A discovery is usually recorded when it happens: the form starts from `now`, editable.
const startsFromNow = (schema) => schema.facts.some((f) => f.path === "discovered_at" && f.type.kind === "datetime");

/**
 * The facts and as-of date of a form just built at `now`, before anyone types: what the intake's
 * first evaluation reads. The page decides this case while the form is still being built, so the
 * first decision does not wait for the form (app.js); the intake then evaluates the same case.
 */
export function initialCase(schema, now = Date.now()) {
  if (!startsFromNow(schema)) return { facts: {}, asOf: todayInChina(now) };
  const at = nowInChina(now);
  return { facts: { discovered_at: at }, asOf: at.slice(0, 10) };
}

/** Whether the facts tick any of the bundled set's signs (`indicators.*`). */
export function ticksASign(facts) {
  const signs = facts?.indicators;
  return typeof signs === "object" && signs !== null && Object.values(signs).some((v) => v === true);
}

// An instant in ms for comparing times; a time without offset is read as +08:00 (as the engine).
function instant(s) {
  if (typeof s !== "string") return NaN;
  const withOffset = /(?:[Zz]|[+-]\d{2}:\d{2})$/.test(s) ? s : s + "+08:00";
  return Date.parse(withOffset);
}

// `parents[0].since` → ["parents", 0, "since"].
function segments(path) {
  const out = [];
  for (const part of path.split(".")) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) return [path];
    if (m[1]) out.push(m[1]);
    for (const idx of m[2].matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  return out;
}

function setPath(obj, path, value) {
  const segs = path.split(".");
  let o = obj;
  for (const s of segs.slice(0, -1)) {
    if (typeof o[s] !== "object" || o[s] === null) o[s] = {};
    o = o[s];
  }
  o[segs[segs.length - 1]] = value;
}

function deletePath(obj, path) {
  const segs = segments(path);
  if (segs.length === 0 || (segs.length === 1 && segs[0] === "")) return false;
  let o = obj;
  for (const s of segs.slice(0, -1)) {
    if (o === null || typeof o !== "object" || !(s in o)) return false;
    o = o[s];
  }
  const last = segs[segs.length - 1];
  if (o === null || typeof o !== "object" || !(last in o)) return false;
  if (Array.isArray(o) && typeof last === "number") o.splice(last, 1, {});
  else delete o[last];
  return true;
}

// The form's text for a value of the case's JSON (for filling the form from a case).
function rawOf(type, v) {
  if (v === null || v === undefined) return "";
  if (type.kind === "bool") return String(v);
  return typeof v === "string" ? v : JSON.stringify(v);
}

// A typed value from the form's text; text the engine should judge is passed through as is,
// so its message (expected Int, no such day…) is what the person sees.
function convert(type, raw) {
  if (raw === undefined || raw === null) return undefined;
  if (Array.isArray(raw)) return raw.length ? raw : undefined;
  if (typeof raw === "boolean") return raw;
  const s = String(raw).trim();
  if (s === "") return undefined;
  switch (type.kind) {
    case "bool":
      return s === "true" ? true : s === "false" ? false : s;
    case "int":
      return /^[+-]?\d{1,15}$/.test(s) ? Number(s) : s;
    case "decimal":
      return /^[+-]?\d{1,15}(\.\d{1,6})?$/.test(s) ? Number(s) : s;
    default:
      return s;
  }
}

function groupKey(f) {
  const dot = f.path.indexOf(".");
  if (dot >= 0) return f.path.slice(0, dot);
  return f.type.kind === "list" ? f.path : "";
}

const groupWords = { "": "groupRoot", reporter: "groupReporter", minor: "groupMinor", indicators: "groupIndicators", parents: "groupParents" };

// `schema` is the set's schema view (baked in at build time by tools/bundle-rules.mjs: laying the
// form out needs no engine); `now` is the time the form starts from (the page decides the same
// case before building the form: initialCase); `attach(policy)` gives the compiled set that
// evaluates.
export function createIntake({ schema, root, decisionRoot, now = Date.now() }) {
  let policy = null;
  const labels = decisionRoot.labels;
  const sectionLabels = new Map(schema.sections.map((s) => [s.name, s.label]));
  const records = new Map(schema.records.map((r) => [r.name, r]));
  const enums = new Map(schema.enums.map((e) => [e.name, e]));

  // Groups in declaration order: required ones always, optional sections and optional top-level
  // lists behind an "involves" switch (absent = not applicable, as the engine reads them).
  const groups = [];
  const byKey = new Map();
  for (const f of schema.facts) {
    const key = groupKey(f);
    let g = byKey.get(key);
    if (!g) {
      const optional = f.section !== null || (key === f.path && f.optional);
      g = { key, optional, facts: [] };
      byKey.set(key, g);
      groups.push(g);
    }
    g.facts.push(f);
  }

  let formErrors = null;
  // Whether the engine's fast path has been built (prepare()); until then, the reference only.
  let prepared = false;
  const state = {
    enabled: new Set(),
    showAll: false,
    asOf: "",
    fields: new Map(), // path → {fact, wrap, input, error, asked}
    lists: new Map(), // path → {fact, record, wrap, rowsEl, rows: [{el, inputs: Map}]}
    decision: null,
    decisionText: null,
    errors: [],
    noSigns: null, // whether no sign is ticked, as last drawn
  };

  const groupLabel = (g) => {
    if (sectionLabels.has(g.key)) {
      const l = sectionLabels.get(g.key);
      return getLang() === "zh" && l ? l : humanize(g.key);
    }
    if (groupWords[g.key]) return t(groupWords[g.key]);
    const f = g.facts[0];
    if (f && f.path === g.key) return labels.fieldLabel(f.label, g.key);
    return humanize(g.key);
  };

  const isChecklist = (f) => f.type.kind === "bool" && f.default === false;

  function hint(type, range) {
    const parts = [];
    if (type.kind === "date") parts.push(t("formatDate"));
    if (type.kind === "datetime") parts.push(t("formatDateTime"));
    if (type.kind === "int") parts.push(t("formatInt"));
    if (range) parts.push(t("range", { lo: range[0], hi: range[1] }));
    return parts.join("，");
  }

  function optionsHtml(enumName) {
    const e = enums.get(enumName);
    const opts = (e?.values ?? [])
      .map((v) => `<option value="${esc(v.name)}">${esc(labels.valueOf(enumName, v.name))}</option>`)
      .join("");
    return `<option value="">${esc(t("choose"))}</option>${opts}`;
  }

  // One input for a value of `type`; `path` names it for the engine's messages and for tests.
  function inputHtml(path, type, range) {
    const id = idOf(path);
    const attrs = `id="${id}" data-path="${esc(path)}"`;
    switch (type.kind) {
      case "bool":
        return `<select ${attrs} data-kind="bool"><option value="">${esc(t("unknown"))}</option><option value="true">${esc(t("yes"))}</option><option value="false">${esc(t("no"))}</option></select>`;
      case "enum":
        return `<select ${attrs} data-kind="enum" data-enum="${esc(type.enum)}">${optionsHtml(type.enum)}</select>`;
      case "set": {
        const e = enums.get(type.enum);
        const boxes = (e?.values ?? [])
          .map(
            (v) =>
              `<label class="set-item"><input type="checkbox" value="${esc(v.name)}" data-set-of="${esc(path)}"> <span data-enum="${esc(type.enum)}" data-value="${esc(v.name)}">${esc(labels.valueOf(type.enum, v.name))}</span></label>`,
          )
          .join("");
        return `<div class="set" ${attrs} data-kind="set">${boxes}</div>`;
      }
      default: {
        const mode = type.kind === "int" || type.kind === "decimal" ? ' inputmode="decimal"' : "";
        const ph =
          type.kind === "date" ? "YYYY-MM-DD" : type.kind === "datetime" ? "2026-03-01T10:00+08:00" : "";
        return `<input type="text" ${attrs} data-kind="${type.kind}"${mode} placeholder="${esc(ph)}" autocomplete="off" spellcheck="false">`;
      }
    }
  }

  function readRaw(el) {
    if (!el) return undefined;
    if (el.dataset.kind === "set") {
      return [...el.querySelectorAll("input[type=checkbox]:checked")].map((b) => b.value);
    }
    if (el.type === "checkbox") return el.checked ? true : undefined;
    return el.value;
  }

  function writeRaw(el, type, value) {
    if (el.dataset.kind === "set") {
      const want = new Set(Array.isArray(value) ? value : []);
      for (const b of el.querySelectorAll("input[type=checkbox]")) b.checked = want.has(b.value);
    } else if (el.type === "checkbox") {
      el.checked = value === true;
    } else {
      el.value = rawOf(type, value);
    }
  }

  // ------------------------------------------------------------------ building the form

  // The whole form as one HTML text with its labels in the page's language, parsed once (one
  // `innerHTML`; a parse per field took most of the first decision's form time), then each
  // field's elements looked up. `relabel()` rewrites the same texts when the language changes.
  function build() {
    const involves = groups.filter((g) => g.optional);
    const parts = [];
    parts.push(`<div class="intake-top">
      <label class="as-of"><span data-i18n="asOf">${esc(t("asOf"))}</span>
        <input type="text" id="as-of" data-as-of placeholder="${esc(todayInChina())}" autocomplete="off">
        <small data-i18n="asOfHelp">${esc(t("asOfHelp"))}</small></label>
      <label class="show-all"><input type="checkbox" id="show-all"> <span data-i18n="showAll">${esc(t("showAll"))}</span></label>
    </div>`);
    if (involves.length) {
      const toggles = involves
        .map(
          (g) =>
            `<label class="involve"><input type="checkbox" data-involves="${esc(g.key)}"> <span class="group-label" data-group="${esc(g.key)}">${esc(groupLabel(g))}</span></label>`,
        )
        .join("");
      parts.push(`<fieldset class="involves"><legend data-i18n="involves">${esc(t("involves"))}</legend>${toggles}</fieldset>`);
    }
    for (const g of groups) {
      const checklist = [];
      const fields = [];
      for (const f of g.facts) {
        if (f.type.kind === "list") fields.push(listHtml(f));
        else if (isChecklist(f)) checklist.push(checkHtml(f));
        else fields.push(fieldHtml(f));
      }
      parts.push(`<fieldset class="group${g.optional ? " optional" : ""}" data-group-box="${esc(g.key)}">
        <legend class="group-label" data-group="${esc(g.key)}">${esc(groupLabel(g))}</legend>
        <div class="checklist">${checklist.join("")}</div><div class="fields">${fields.join("")}</div></fieldset>`);
    }
    parts.push(`<div class="form-errors" role="alert"></div>`);
    root.innerHTML = parts.join("");

    formErrors = root.querySelector(".form-errors");
    const wraps = new Map();
    for (const el of root.querySelectorAll("[data-field]")) wraps.set(el.dataset.field, el);
    for (const g of groups) {
      g.box = root.querySelector(`[data-group-box="${CSS.escape(g.key)}"]`);
      for (const f of g.facts) {
        const wrap = wraps.get(f.path);
        if (f.type.kind === "list") {
          state.lists.set(f.path, {
            fact: f,
            record: records.get(f.type.record),
            wrap,
            rowsEl: wrap.querySelector(".rows"),
            rows: [],
            error: wrap.querySelector(".field-error"),
            asked: wrap.querySelector(".asked"),
          });
          continue;
        }
        state.fields.set(f.path, {
          fact: f,
          wrap,
          input: wrap.querySelector(`[data-path="${CSS.escape(f.path)}"]`),
          error: wrap.querySelector(".field-error"),
          asked: wrap.querySelector(".asked"),
        });
      }
    }
  }

  function labelHtml(path) {
    return `<span class="label" title="${esc(path)}">${esc(labels.fact(path))}</span>`;
  }

  function checkHtml(f) {
    return `<div class="field check" data-field="${esc(f.path)}"><label><input type="checkbox" id="${idOf(f.path)}" data-path="${esc(f.path)}"> ${labelHtml(f.path)}</label><div class="field-error" role="alert"></div></div>`;
  }

  function fieldHtml(f) {
    return `<div class="field" data-field="${esc(f.path)}"><label for="${idOf(f.path)}">${labelHtml(f.path)} <small class="hint">${esc(hint(f.type, f.range))}</small></label>
            ${inputHtml(f.path, f.type, f.range)}
            <div class="asked"></div><div class="field-error" role="alert"></div></div>`;
  }

  function listHtml(f) {
    return `<div class="field list" data-field="${esc(f.path)}"><div class="list-head"><span class="label">${esc(labels.fact(f.path))}</span> <button type="button" class="add-row" data-add-row="${esc(f.path)}">${esc(t("addRow"))}</button></div>
      <div class="rows"></div><div class="asked"></div><div class="field-error" role="alert"></div></div>`;
  }

  function addRow(path, values = {}) {
    const list = state.lists.get(path);
    if (!list?.record) return;
    const i = list.rows.length;
    const el = document.createElement("div");
    el.className = "row";
    const cells = list.record.fields
      .map((fd) => {
        const p = `${path}[${i}].${fd.name}`;
        return `<div class="field" data-field="${esc(p)}"><label for="${idOf(p)}"><span class="label" data-record-field="${esc(fd.name)}"></span> <small class="hint"></small></label>${inputHtml(p, fd.type, fd.range)}<div class="asked"></div><div class="field-error" role="alert"></div></div>`;
      })
      .join("");
    el.innerHTML = `<div class="row-head"><span class="row-title"></span> <button type="button" class="remove-row" data-remove-row="${esc(path)}" data-index="${i}"></button></div><div class="row-fields">${cells}</div>`;
    list.rowsEl.append(el);
    const inputs = new Map();
    for (const fd of list.record.fields) {
      const p = `${path}[${i}].${fd.name}`;
      const input = el.querySelector(`[data-path="${CSS.escape(p)}"]`);
      const wrap = input.closest(".field");
      inputs.set(fd.name, { fd, input, wrap, path: p, error: wrap.querySelector(".field-error"), asked: wrap.querySelector(".asked") });
      if (values[fd.name] !== undefined) writeRaw(input, fd.type, values[fd.name]);
    }
    list.rows.push({ el, inputs });
    relabel();
  }

  function removeRow(path, index) {
    const list = state.lists.get(path);
    if (!list) return;
    const kept = list.rows.map((r) => Object.fromEntries([...r.inputs].map(([k, v]) => [k, readRaw(v.input)])));
    kept.splice(index, 1);
    list.rowsEl.innerHTML = "";
    list.rows = [];
    for (const values of kept) addRow(path, values);
  }

  // Every text that depends on the language.
  function relabel() {
    for (const el of root.querySelectorAll(".group-label")) {
      const g = byKey.get(el.dataset.group);
      if (g) el.textContent = groupLabel(g);
    }
    for (const [path, fe] of state.fields) {
      fe.wrap.querySelector(".label").textContent = labels.fact(path);
      fe.wrap.querySelector(".label").title = path;
      const h = fe.wrap.querySelector(".hint");
      if (h) h.textContent = hint(fe.fact.type, fe.fact.range);
    }
    for (const [path, list] of state.lists) {
      list.wrap.querySelector(".list-head .label").textContent = labels.fact(path);
      list.wrap.querySelector(".add-row").textContent = t("addRow");
      list.rows.forEach((row, i) => {
        row.el.querySelector(".row-title").textContent = t("row", { n: i + 1 });
        row.el.querySelector(".remove-row").textContent = t("removeRow");
        for (const [, cell] of row.inputs) {
          cell.wrap.querySelector(".label").textContent = labels.fieldLabel(cell.fd.label, cell.fd.name);
          cell.wrap.querySelector(".hint").textContent = hint(cell.fd.type, cell.fd.range);
        }
      });
    }
    for (const sel of root.querySelectorAll("select[data-kind=bool]")) {
      const [u, y, n] = sel.options;
      u.textContent = t("unknown");
      y.textContent = t("yes");
      n.textContent = t("no");
    }
    for (const sel of root.querySelectorAll("select[data-kind=enum]")) {
      for (const o of sel.options) {
        o.textContent = o.value === "" ? t("choose") : labels.valueOf(sel.dataset.enum, o.value);
      }
    }
    for (const span of root.querySelectorAll("span[data-enum][data-value]")) {
      span.textContent = labels.valueOf(span.dataset.enum, span.dataset.value);
    }
  }

  // ------------------------------------------------------------------ facts from the form

  function buildFacts() {
    const facts = {};
    for (const [path, fe] of state.fields) {
      const f = fe.fact;
      if (f.section !== null && !state.enabled.has(f.section)) continue;
      const v = convert(f.type, readRaw(fe.input));
      if (v !== undefined) setPath(facts, path, v);
    }
    for (const s of state.enabled) {
      if (sectionLabels.has(s) && facts[s] === undefined) facts[s] = {};
    }
    for (const [path, list] of state.lists) {
      const f = list.fact;
      const g = byKey.get(groupKey(f));
      if (f.section !== null && !state.enabled.has(f.section)) continue;
      if (g.optional && f.section === null && !state.enabled.has(g.key)) continue;
      if (list.rows.length === 0) continue;
      const items = list.rows.map((row) => {
        const o = {};
        for (const [name, cell] of row.inputs) {
          const v = convert(cell.fd.type, readRaw(cell.input));
          if (v !== undefined) o[name] = v;
        }
        return o;
      });
      setPath(facts, path, items);
    }
    return facts;
  }

  // Checks across fields that no single field's type can express.
  function crossCheck(facts) {
    const errs = [];
    const disc = facts.discovered_at;
    const birth = facts.minor?.birth_date;
    if (typeof disc === "string" && typeof birth === "string" && /^\d{4}-\d{2}-\d{2}$/.test(birth)) {
      if (birth > disc.slice(0, 10)) errs.push({ path: "minor.birth_date", key: "dateAfterDiscovery" });
    }
    const rep = facts.reported_at;
    if (typeof disc === "string" && typeof rep === "string" && instant(rep) < instant(disc)) {
      errs.push({ path: "reported_at", key: "reportedBeforeDiscovery" });
    }
    if (Array.isArray(facts.parents)) {
      facts.parents.forEach((p, i) => {
        if (typeof p.since === "string" && typeof p.until === "string" && p.until < p.since) {
          errs.push({ path: `parents[${i}].until`, key: "untilBeforeSince" });
        }
      });
    }
    return errs;
  }

  function asOfDate(facts) {
    const typed = state.asOf.trim();
    if (typed) return typed;
    const d = typeof facts.discovered_at === "string" ? facts.discovered_at.slice(0, 10) : "";
    return /^\d{4}-\d{2}-\d{2}$/.test(d) ? d : todayInChina();
  }

  // ------------------------------------------------------------------ evaluation

  /** Evaluates the form as it stands; `measured: false` leaves out the budget's measure (the warm-up). */
  function evaluate(measured = true) {
    if (policy === null) return null;
    const t0 = performance.now();
    const facts = buildFacts();
    const problems = [];
    for (const c of crossCheck(facts)) {
      problems.push({ path: c.path, text: t(c.key) });
      deletePath(facts, c.path);
    }
    const asOf = asOfDate(facts);
    let text = null;
    let fatal = null;
    // Invalid fields are reported at their place and left out, so the decision stays live.
    for (let attempt = 0; attempt < 4 && text === null && fatal === null; attempt++) {
      try {
        // The first decision (a nearly empty case, undecided) on the reference evaluator alone:
        // the fast path's program is built in idle time after it (see attach).
        text = policy.evaluateJson(facts, asOf, { explain: true, fastPath: prepared });
      } catch (e) {
        if (e instanceof HumiaoError && e.kind === "facts" && e.facts.length) {
          let removed = false;
          for (const fe of e.facts) {
            problems.push({ path: fe.path, text: msg(fe) });
            removed = deletePath(facts, fe.path) || removed;
          }
          if (!removed) fatal = e;
        } else {
          fatal = e;
        }
      }
    }
    // The same decision text as last time (most keystrokes): nothing to redraw on the right.
    const noSigns = !ticksASign(facts);
    const changed = text !== state.decisionText || problems.length > 0 || state.errors.length > 0 || fatal !== null || noSigns !== state.noSigns;
    const decision = text === null ? null : text === state.decisionText ? state.decision : JSON.parse(text);
    state.decisionText = text;
    state.decision = decision;
    state.errors = problems;
    state.facts = facts;
    state.noSigns = noSigns;
    showProblems(problems, fatal);
    updateVisibility();
    if (changed) decisionRoot.render(decision, { problems, fatal, noSigns });
    const t1 = performance.now();
    if (measured) performance.measure("humiao:evaluate", { start: t0, end: t1 });
    return decision;
  }

  function showProblems(problems, fatal) {
    const want = new Map();
    const general = [];
    for (const p of problems) {
      const el = errorSlot(p.path);
      if (el) want.set(el, want.has(el) ? `${want.get(el)}；${p.text}` : p.text);
      else general.push(p.text);
    }
    const slots = [];
    for (const fe of state.fields.values()) slots.push(fe.error);
    for (const list of state.lists.values()) {
      slots.push(list.error);
      for (const row of list.rows) for (const cell of row.inputs.values()) slots.push(cell.error);
    }
    for (const el of slots) setText(el, want.get(el) ?? "");
    if (fatal) general.push(`${t("evalFailed")}: ${fatal instanceof HumiaoError ? msg({ message: fatal.message, message_zh: fatal.messageZh }) : String(fatal.message ?? fatal)}`);
    setText(formErrors, general.join("\n"));
  }

  function errorSlot(path) {
    const fe = state.fields.get(path);
    if (fe) return fe.error;
    const m = /^(.*?)\[(\d+)\](?:\.(\w+))?/.exec(path);
    if (m) {
      const list = state.lists.get(m[1]);
      const row = list?.rows[Number(m[2])];
      const cell = m[3] ? row?.inputs.get(m[3]) : undefined;
      if (cell) return cell.error;
      if (list) return list.error;
    }
    const list = state.lists.get(path);
    return list ? list.error : null;
  }

  function hasValue(v) {
    return v !== undefined && v !== "" && !(Array.isArray(v) && v.length === 0);
  }

  function askedText(decides) {
    const words = decides.map((d) => {
      const c = labels.conclusions.get(d);
      if (c) return labels.conclusion(d);
      const rule = labels.rule(d.replace(/#\d+$/, ""));
      return getLang() === "zh" && rule?.title ? rule.title : d;
    });
    return `${t("askedNext")}：${t("decides")} ${words.join(getLang() === "zh" ? "、" : ", ")}`;
  }

  function updateVisibility() {
    const missing = new Map((state.decision?.missing ?? []).map((m) => [m.fact, m.decides]));
    const errorPaths = new Set(state.errors.map((p) => p.path));
    const groupVisible = new Map();
    for (const [path, fe] of state.fields) {
      const f = fe.fact;
      const g = byKey.get(groupKey(f));
      const inScope = f.section === null || state.enabled.has(f.section);
      const asked = missing.get(path);
      const visible =
        inScope &&
        (state.showAll || isChecklist(f) || asked !== undefined || hasValue(readRaw(fe.input)) || errorPaths.has(path));
      setHidden(fe.wrap, !visible);
      setClass(fe.wrap, "is-asked", asked !== undefined);
      if (fe.asked) setText(fe.asked, asked ? askedText(asked) : "");
      if (visible) groupVisible.set(g.key, true);
    }
    for (const [path, list] of state.lists) {
      const f = list.fact;
      const g = byKey.get(groupKey(f));
      const inScope =
        (f.section === null || state.enabled.has(f.section)) &&
        (!(g.optional && f.section === null) || state.enabled.has(g.key));
      const askedHere = [...missing.keys()].filter((k) => k === path || k.startsWith(path + "["));
      const visible = inScope && (state.showAll || list.rows.length > 0 || askedHere.length > 0 || g.key === path);
      setHidden(list.wrap, !visible);
      setClass(list.wrap, "is-asked", askedHere.length > 0);
      setText(list.asked, askedHere.includes(path) ? askedText(missing.get(path)) : "");
      for (const row of list.rows) {
        for (const cell of row.inputs.values()) {
          const a = missing.get(cell.path);
          setClass(cell.wrap, "is-asked", a !== undefined);
          setText(cell.asked, a ? askedText(a) : "");
        }
      }
      if (visible) groupVisible.set(g.key, true);
    }
    for (const g of groups) {
      const box = g.box;
      // An optional section the case involves stays in view even before anything is asked in it.
      setHidden(box, g.optional ? !state.enabled.has(g.key) : !groupVisible.get(g.key));
    }
  }

  // ------------------------------------------------------------------ events

  function onInput(e) {
    const el = e.target;
    if (el.id === "show-all") state.showAll = el.checked;
    else if (el.dataset.asOf !== undefined) state.asOf = el.value;
    else if (el.dataset.involves !== undefined) {
      if (el.checked) state.enabled.add(el.dataset.involves);
      else state.enabled.delete(el.dataset.involves);
    }
    evaluate();
  }

  function onClick(e) {
    const add = e.target.closest("[data-add-row]");
    if (add) {
      addRow(add.dataset.addRow);
      evaluate();
      return;
    }
    const rm = e.target.closest("[data-remove-row]");
    if (rm) {
      removeRow(rm.dataset.removeRow, Number(rm.dataset.index));
      evaluate();
    }
  }

  build();
  root.addEventListener("input", onInput);
  root.addEventListener("click", onClick);
  // A discovery is usually recorded when it happens: start from now, editable (initialCase).
  if (startsFromNow(schema)) state.fields.get("discovered_at").input.value = nowInChina(now);

  return {
    evaluate: () => evaluate(),
    /** The warm-up's re-evaluation of the form as it stands: not an input, not measured. */
    evaluateQuietly: () => evaluate(false),
    attach(p) {
      policy = p;
      prepared = false;
    },
    /** Builds the engine's fast path (its first fast evaluation does) off the first decision's path. */
    prepare() {
      if (policy === null || prepared) return;
      prepared = true;
      try {
        policy.evaluateJson(state.facts ?? {}, asOfDate(state.facts ?? {}), { explain: true });
      } catch {
        // Invalid facts: the next keystroke's evaluation builds it instead.
      }
    },
    relabel() {
      relabel();
      // Field messages come from the engine in both languages: evaluate again to show the other.
      evaluate();
    },
    get decision() {
      return state.decision;
    },
    get facts() {
      return state.facts;
    },
    /** Focuses a field the decision asks for. */
    focus(path) {
      const fe = state.fields.get(path);
      fe?.input?.focus();
    },
    /** Fills the form from a case's facts (for examples and links). */
    load(facts, asOf) {
      for (const fe of state.fields.values()) writeRaw(fe.input, fe.fact.type, undefined);
      for (const list of state.lists.values()) {
        list.rowsEl.innerHTML = "";
        list.rows = [];
      }
      state.enabled.clear();
      for (const [key] of byKey) {
        if (byKey.get(key).optional && facts[key] !== undefined) state.enabled.add(key);
      }
      for (const box of root.querySelectorAll("[data-involves]")) box.checked = state.enabled.has(box.dataset.involves);
      for (const [path, fe] of state.fields) {
        const v = path.split(".").reduce((o, k) => (o && typeof o === "object" ? o[k] : undefined), facts);
        if (v !== undefined) writeRaw(fe.input, fe.fact.type, v);
      }
      for (const [path] of state.lists) {
        const items = path.split(".").reduce((o, k) => (o && typeof o === "object" ? o[k] : undefined), facts);
        if (Array.isArray(items)) for (const it of items) addRow(path, it);
      }
      state.asOf = asOf ?? "";
      root.querySelector("[data-as-of]").value = state.asOf;
      return evaluate();
    },
  };
}
