// The live decision: status, the duty to report, each obligation with who, what, to whom, by
// when and under which article, what is still needed, and the explanation (the engine's trace).
import { getLang, t } from "./i18n.js";
import { deadlineText, timeText } from "./labels.js";
import { esc } from "./html.js";

const statusWord = { determined: "statusDetermined", undetermined: "statusUndetermined", conflict: "statusConflict" };
const resultWord = {
  fired: "fired",
  not_fired: "notFired",
  undecided: "undecidedRule",
  overridden: "overridden",
  not_applicable: "notApplicable",
  not_in_force: "notInForce",
};
const condWord = { true: "condTrue", false: "condFalse", unknown: "condUnknown" };

// The conclusion shown first, as "the duty": the contract's `reporting.duty`.
const DUTY = "reporting.duty";

export function createDecisionView(root, labels, { onAsk } = {}) {
  let last = null;
  let lastExtra = {};

  function obligationHtml(o) {
    const who = labels.obligationWord("Actor", o.actor);
    const what = labels.obligationWord("Action", o.action);
    const whom = o.party ? labels.obligationWord("Party", o.party) : "—";
    const due = o.due ? timeText(o.due) : t("dueUnknown");
    const withWho = (o.with ?? []).map((w) => labels.obligationWord("Party", w)).join(getLang() === "zh" ? "、" : ", ");
    return `<li class="obligation" data-action="${esc(o.action)}" data-party="${esc(o.party ?? "")}" data-actor="${esc(o.actor)}" data-rule="${esc(o.rule)}">
      <div class="ob-title">${esc(o.title ?? o.rule)}</div>
      <div class="ob-line"><span class="ob-actor" title="${esc(o.actor)}">${esc(who)}</span>
        <span class="arrow">→</span> <span class="ob-action" title="${esc(o.action)}">${esc(what)}</span>
        <span class="arrow">→</span> <span class="ob-party" title="${esc(o.party ?? "")}">${esc(whom)}</span></div>
      <dl class="ob-when"><dt>${esc(t("deadline"))}</dt><dd class="ob-deadline">${esc(deadlineText(o.deadline))}</dd>
        <dt>${esc(t("due"))}</dt><dd class="ob-due" data-due="${esc(o.due ?? "")}">${esc(due)}</dd>
        ${withWho ? `<dt>${esc(t("with"))}</dt><dd class="ob-with">${esc(withWho)}</dd>` : ""}</dl>
      <div class="ob-cite"><span class="k">${esc(t("cite"))}</span> ${o.cite.map((c) => `<cite class="cite">${esc(c)}</cite>`).join("")}</div>
      <div class="ob-rule"><span class="k">${esc(t("rule"))}</span> <code>${esc(o.rule)}</code></div>
    </li>`;
  }

  // A trace rule: its summary (result, title, rule id, citations) is always shown; its conditions,
  // with the values seen, are drawn when it is opened and kept current while it stays open, so a
  // keystroke redraws only what someone is reading.
  function traceSummaryHtml(r) {
    const rule = labels.rule(r.rule);
    const cites = (rule?.cite ?? []).map((c) => `<cite class="cite">${esc(c)}</cite>`).join("");
    return `<summary><span class="tr-result">${esc(t(resultWord[r.result] ?? r.result))}</span> ${esc(r.title ?? r.rule)} <code>${esc(r.rule)}</code>${cites ? `<div class="tr-cite"><span class="k">${esc(t("cite"))}</span> ${cites}</div>` : ""}</summary>`;
  }
  function traceBodyHtml(r) {
    const conds = r.conditions
      .map((c) => {
        const facts = c.facts.map((f) => `<code>${esc(f.fact)}</code> = <code>${esc(JSON.stringify(f.value))}</code>`).join("，");
        return `<li class="cond cond-${esc(c.value)}"><span class="cv">${esc(t(condWord[c.value] ?? c.value))}</span> <code>${esc(c.condition)}</code>${facts ? `<div class="cf">${facts}</div>` : ""}</li>`;
      })
      .join("");
    return `<ul class="conds">${conds}</ul>`;
  }
  function drawBody(entry) {
    const html = traceBodyHtml(entry.rule);
    if (entry.bodyHtml !== html) {
      entry.bodyHtml = html;
      entry.body.innerHTML = html;
    }
  }

  // The panel is a fixed list of parts; each keystroke rewrites only the parts whose HTML changed.
  const partNames = ["status", "partial", "duty", "obligations", "missing", "conclusions", "undecided", "conflicts", "assumptions", "notes", "explanation", "ref"];
  const parts = new Map();
  const partHtml = new Map();
  function ensureParts() {
    if (parts.size) return;
    root.innerHTML = "";
    for (const name of partNames) {
      const el = document.createElement(name === "explanation" ? "section" : "div");
      el.className = `part part-${name}${name === "explanation" ? " explanation" : ""}`;
      root.append(el);
      parts.set(name, el);
    }
    parts.get("explanation").innerHTML = `<h3></h3><div class="trace-rules"></div>`;
  }
  function setPart(name, html) {
    if (partHtml.get(name) === html) return;
    partHtml.set(name, html);
    parts.get(name).innerHTML = html;
  }
  const traceEls = new Map();
  function setTrace(trace) {
    const box = parts.get("explanation").querySelector(".trace-rules");
    const shown = (trace ?? []).filter((r) => r.result === "fired" || r.result === "undecided");
    parts.get("explanation").hidden = shown.length === 0;
    parts.get("explanation").querySelector("h3").textContent = t("explanation");
    const keep = new Set();
    let prev = null;
    for (const r of shown) {
      keep.add(r.rule);
      let entry = traceEls.get(r.rule);
      if (!entry) {
        const el = document.createElement("details");
        el.innerHTML = `<summary></summary><div class="tr-body"></div>`;
        entry = { el, summary: el.firstChild, body: el.lastChild, summaryHtml: null, bodyHtml: null, rule: r };
        el.addEventListener("toggle", () => {
          if (el.open) drawBody(entry);
        });
        traceEls.set(r.rule, entry);
      }
      entry.rule = r;
      const summary = traceSummaryHtml(r);
      if (entry.summaryHtml !== summary) {
        entry.summaryHtml = summary;
        entry.summary.outerHTML = summary;
        entry.summary = entry.el.firstChild;
        entry.el.className = `trace-rule trace-${r.result}`;
      }
      if (entry.el.open) drawBody(entry);
      // In trace order.
      const want = prev ? prev.nextSibling : box.firstChild;
      if (want !== entry.el) box.insertBefore(entry.el, want);
      prev = entry.el;
    }
    for (const [id, entry] of traceEls) {
      if (!keep.has(id)) {
        entry.el.remove();
        traceEls.delete(id);
      }
    }
  }

  function render(d, extra = {}) {
    last = d;
    lastExtra = extra;
    ensureParts();
    if (!d) {
      root.dataset.status = "error";
      for (const name of partNames) setPart(name, "");
      setPart("status", `<div class="status status-error">${esc(t("evalFailed"))}</div>`);
      setTrace(null);
      return;
    }
    root.dataset.status = d.status;
    setPart("status", `<div class="status status-${esc(d.status)}" data-testid="status" elementtiming="decision">${esc(t(statusWord[d.status] ?? d.status))}</div>`);
    setPart("partial", extra.problems?.length ? `<div class="partial">${esc(t("factsInvalid"))} ${extra.problems.map((p) => `<code>${esc(p.path)}</code>`).join(" ")}</div>` : "");
    if (labels.conclusions.has(DUTY)) {
      const v = d.conclusions[DUTY];
      const text = v === undefined ? t("statusUndetermined") : labels.conclusionValue(DUTY, v);
      // The bundled set's signs default to false (the contract): a form with none ticked is
      // decided "no duty", which must not read as a finding about the child.
      const noSigns = extra.noSigns && v === "none" ? `<div class="no-signs" data-testid="no-signs">${esc(t("noSigns"))}</div>` : "";
      setPart("duty", `<div class="duty duty-${esc(v ?? "undecided")}" data-testid="duty" data-value="${esc(v ?? "")}"><span class="k">${esc(t("duty"))}</span> <strong>${esc(text)}</strong></div>${noSigns}`);
    }
    setPart(
      "obligations",
      `<h3>${esc(t("obligations"))}</h3>` +
        (d.obligations.length ? `<ol class="obligations">${d.obligations.map(obligationHtml).join("")}</ol>` : `<p class="none">${esc(t("noObligations"))}</p>`),
    );
    setPart(
      "missing",
      d.missing.length
        ? `<section class="missing"><h3>${esc(t("missing"))}</h3><ul>${d.missing
            .map((m) => `<li><button type="button" class="ask" data-ask="${esc(m.fact)}">${esc(labels.fact(m.fact))}</button> <code>${esc(m.fact)}</code></li>`)
            .join("")}</ul></section>`
        : "",
    );
    const others = Object.entries(d.conclusions).filter(([k]) => k !== DUTY);
    setPart(
      "conclusions",
      others.length
        ? `<section class="conclusions"><h3>${esc(t("conclusions"))}</h3><table>${others
            .map(([k, v]) => `<tr data-conclusion="${esc(k)}"><th title="${esc(k)}">${esc(labels.conclusion(k))}</th><td>${esc(labels.conclusionValue(k, v))}</td></tr>`)
            .join("")}</table></section>`
        : "",
    );
    setPart("undecided", d.undecided.length ? `<section class="undecided"><h3>${esc(t("undecided"))}</h3><p>${d.undecided.map((u) => `<code>${esc(u)}</code>`).join(" ")}</p></section>` : "");
    setPart(
      "conflicts",
      d.conflicts?.length
        ? `<section class="conflicts"><h3>${esc(t("statusConflict"))}</h3><ul>${d.conflicts.map((c) => `<li><code>${esc(c.conclusion)}</code>: ${c.rules.map((r) => `<code>${esc(r)}</code>`).join(" / ")}</li>`).join("")}</ul></section>`
        : "",
    );
    setPart(
      "assumptions",
      d.assumptions.length
        ? `<details class="assumptions"><summary>${esc(t("assumptions"))} (${d.assumptions.length})</summary><ul>${d.assumptions
            .map((a) => {
              const [zh, en] = a.why.split(" / ");
              const why = getLang() === "zh" ? zh : (en ?? zh);
              return `<li><code>${esc(a.param)}</code> = <strong>${esc(a.value)}</strong><div class="why">${esc(why)}</div></li>`;
            })
            .join("")}</ul></details>`
        : "",
    );
    setPart("notes", d.notes.length ? `<section class="notes"><h3>${esc(t("notes"))}</h3><ul>${d.notes.map((n) => `<li>${esc(n)}</li>`).join("")}</ul></section>` : "");
    setTrace(d.trace);
    setPart(
      "ref",
      `<p class="policy-ref">${esc(t("policy"))}: ${esc(d.policy.name)} ${esc(d.policy.version)} · <code title="${esc(d.policy.digest)}">${esc(d.policy.digest.slice(0, 19))}…</code> · ${esc(t("asOf"))} ${esc(d.as_of)}</p>`,
    );
  }

  root.addEventListener("click", (e) => {
    const b = e.target.closest("[data-ask]");
    if (b && onAsk) onAsk(b.dataset.ask);
  });

  return {
    labels,
    render,
    rerender() {
      render(last, lastExtra);
    },
  };
}

