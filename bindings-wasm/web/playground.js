// Rule playground: edit one file of the bundled set in an editor with line numbers; the whole
// set is checked as you type and each diagnostic is marked at its line and column, in Chinese or
// English; the set's tests run on demand.
import { Policy, HumiaoError } from "./js/web.js";
import { getLang, msg, t } from "./i18n.js";
import { esc } from "./html.js";

// Start of each line (UTF-16 index) and the index of a 1-based (line, column in code points).
function lineStarts(text) {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

function indexOf(text, starts, line, column) {
  const start = starts[Math.max(0, Math.min(line, starts.length) - 1)] ?? 0;
  let i = start;
  for (let c = 1; c < column && i < text.length && text[i] !== "\n"; c++) {
    const code = text.codePointAt(i);
    i += code > 0xffff ? 2 : 1;
  }
  return i;
}

const CHECK_DELAY_MS = 60;

export function createPlayground({ root, sources }) {
  const files = Object.keys(sources).filter((p) => p.endsWith(".humiao"));
  const edited = { ...sources };
  let current = files.includes("reporting.humiao") ? "reporting.humiao" : files[0];
  let diags = [];
  let timer = null;

  root.innerHTML = `
    <p class="help" data-i18n="playgroundHelp">${esc(t("playgroundHelp"))}</p>
    <div class="pg-toolbar">
      <label><span data-i18n="file">${esc(t("file"))}</span>
        <select id="pg-file">${files.map((f) => `<option value="${esc(f)}">${esc(f)}</option>`).join("")}</select></label>
      <button type="button" id="pg-reset" data-i18n="reset">${esc(t("reset"))}</button>
      <button type="button" id="pg-run" data-i18n="runTests">${esc(t("runTests"))}</button>
      <span class="pg-summary" id="pg-summary"></span>
    </div>
    <div class="editor">
      <div class="gutter" id="pg-gutter" aria-hidden="true"></div>
      <div class="code">
        <pre class="hl" id="pg-hl" aria-hidden="true"></pre>
        <textarea id="pg-text" spellcheck="false" wrap="off" autocapitalize="off" autocomplete="off" aria-label="rules"></textarea>
      </div>
    </div>
    <section class="pg-diags"><h3 data-i18n="diagnostics">${esc(t("diagnostics"))}</h3><ol id="pg-diags"></ol></section>
    <section class="pg-tests" id="pg-tests"></section>`;

  const fileSel = root.querySelector("#pg-file");
  const text = root.querySelector("#pg-text");
  const gutter = root.querySelector("#pg-gutter");
  const hl = root.querySelector("#pg-hl");
  const list = root.querySelector("#pg-diags");
  const summary = root.querySelector("#pg-summary");
  const tests = root.querySelector("#pg-tests");

  function sev(d) {
    return t(d.severity);
  }

  // The gutter's numbers and marks, and the underlines behind the text.
  function paint() {
    const src = text.value;
    const starts = lineStarts(src);
    const mine = diags.filter((d) => d.file === current && d.line > 0);
    const byLine = new Map();
    for (const d of mine) {
      const worst = byLine.get(d.line);
      if (!worst || d.severity === "error") byLine.set(d.line, d);
    }
    let g = "";
    for (let i = 1; i <= starts.length; i++) {
      const d = byLine.get(i);
      g += d
        ? `<div class="ln mark-${esc(d.severity)}" data-line="${i}" title="${esc(`${d.code} ${msg(d)}`)}">${i}</div>`
        : `<div class="ln" data-line="${i}">${i}</div>`;
    }
    gutter.innerHTML = g;
    // Underline ranges, without overlaps, in text order.
    const ranges = mine
      .map((d) => {
        const a = indexOf(src, starts, d.line, d.column);
        let b = indexOf(src, starts, d.end_line || d.line, d.end_column || d.column + 1);
        if (b <= a) b = Math.min(src.length, a + 1);
        return { a, b, d };
      })
      .sort((x, y) => x.a - y.a);
    let out = "";
    let pos = 0;
    for (const r of ranges) {
      if (r.a < pos) continue;
      out += esc(src.slice(pos, r.a));
      const piece = src.slice(r.a, r.b) || " ";
      out += `<mark class="sq sq-${esc(r.d.severity)}" data-code="${esc(r.d.code)}">${esc(piece.endsWith("\n") ? piece.slice(0, -1) + " " : piece)}</mark>`;
      pos = r.b;
    }
    out += esc(src.slice(pos)) + "\n";
    hl.innerHTML = out;
    syncScroll();
  }

  function renderDiags() {
    const mine = diags.filter((d) => d.file === current);
    const others = diags.filter((d) => d.file !== current);
    const items = mine.map(
      (d, i) => `<li class="diag diag-${esc(d.severity)}" data-i="${i}" data-line="${d.line}" data-column="${d.column}" data-code="${esc(d.code)}">
        <button type="button" class="goto">${esc(t("line", { line: d.line, col: d.column }))}</button>
        <span class="sev">${esc(sev(d))}[${esc(d.code)}]</span> <span class="dmsg">${esc(msg(d))}</span>
        ${d.help ? `<div class="dhelp">${esc(t("help"))}: ${esc(getLang() === "zh" ? (d.help_zh ?? d.help) : d.help)}</div>` : ""}</li>`,
    );
    if (others.length) {
      items.push(
        `<li class="diag-other">${esc(t("otherFiles", { n: others.length }))}: ${others
          .slice(0, 5)
          .map((d) => `<code>${esc(d.file || "—")}:${d.line}</code> ${esc(msg(d))}`)
          .join("；")}</li>`,
      );
    }
    list.innerHTML = items.length ? items.join("") : `<li class="diag-none">${esc(t("noDiagnostics"))}</li>`;
    const errors = diags.filter((d) => d.severity === "error").length;
    const warnings = diags.filter((d) => d.severity === "warning").length;
    summary.textContent =
      getLang() === "zh" ? `${errors} 个错误，${warnings} 个警告` : `${errors} error(s), ${warnings} warning(s)`;
    summary.dataset.errors = String(errors);
  }

  function check() {
    timer = null;
    const t0 = performance.now();
    edited[current] = text.value;
    try {
      diags = Policy.check(edited).diagnostics;
    } catch (e) {
      diags = [
        {
          code: "E0000",
          severity: "error",
          file: "",
          line: 0,
          column: 0,
          end_line: 0,
          end_column: 0,
          message: String(e.message ?? e),
          message_zh: e instanceof HumiaoError ? e.messageZh : String(e.message ?? e),
        },
      ];
    }
    paint();
    renderDiags();
    performance.measure("humiao:check", { start: t0, end: performance.now() });
  }

  function schedule() {
    edited[current] = text.value;
    paint(); // keep the gutter in step with the lines while the check waits
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(check, CHECK_DELAY_MS);
  }

  function syncScroll() {
    gutter.scrollTop = text.scrollTop;
    hl.scrollTop = text.scrollTop;
    hl.scrollLeft = text.scrollLeft;
  }

  function open(path) {
    current = path;
    fileSel.value = path;
    text.value = edited[path];
    text.scrollTop = 0;
    tests.innerHTML = "";
    check();
  }

  function goTo(line, column) {
    const src = text.value;
    const starts = lineStarts(src);
    const a = indexOf(src, starts, line, column);
    text.focus();
    text.setSelectionRange(a, a);
    const lineHeight = parseFloat(getComputedStyle(text).lineHeight) || 20;
    text.scrollTop = Math.max(0, (line - 5) * lineHeight);
    syncScroll();
  }

  function runTests() {
    edited[current] = text.value;
    let report;
    try {
      const p = Policy.fromSources(edited);
      report = p.runTests();
      p.free();
    } catch (e) {
      const n = e instanceof HumiaoError ? e.diagnostics.filter((d) => d.severity === "error").length : 0;
      tests.innerHTML = `<h3>${esc(t("testsThisFile"))}</h3><p class="tests-error" data-errors="${n}">${esc(t("testsCannotRun"))}</p>`;
      return null;
    }
    const mine = report.results.filter((r) => r.file === current);
    const passed = mine.filter((r) => r.passed).length;
    const items = mine
      .map((r) => {
        const fails = r.failures
          .map(
            (f) =>
              `<li><button type="button" class="goto-line" data-line="${f.line}">${esc(t("line", { line: f.line, col: 1 }))}</button> <code>${esc(f.expectation)}</code><div>${esc(t("expected"))}: ${esc(f.expected)}</div><div>${esc(t("actual"))}: ${esc(f.actual)}</div></li>`,
          )
          .join("");
        return `<li class="test ${r.passed ? "pass" : "fail"}" data-line="${r.line}"><span class="mark">${r.passed ? "✓" : "✗"}</span> <button type="button" class="goto-line" data-line="${r.line}">${r.line}</button> ${esc(r.title)}${r.error ? `<div class="terr">${esc(r.error)}</div>` : ""}${fails ? `<ul>${fails}</ul>` : ""}</li>`;
      })
      .join("");
    tests.innerHTML = `<h3>${esc(t("testsThisFile"))}: <span class="tests-summary" data-passed="${passed}" data-failed="${mine.length - passed}">${esc(
      t("testsSummary", { passed, failed: mine.length - passed }),
    )}</span> <small>(${esc(t("policy"))}: ${esc(t("testsSummary", { passed: report.passed, failed: report.failed }))})</small></h3><ul class="tests">${items}</ul>`;
    return report;
  }

  fileSel.addEventListener("change", () => open(fileSel.value));
  text.addEventListener("input", schedule);
  text.addEventListener("scroll", syncScroll);
  root.querySelector("#pg-reset").addEventListener("click", () => {
    edited[current] = sources[current];
    open(current);
  });
  root.querySelector("#pg-run").addEventListener("click", runTests);
  list.addEventListener("click", (e) => {
    const li = e.target.closest("[data-line]");
    if (li) goTo(Number(li.dataset.line), Number(li.dataset.column || 1));
  });
  tests.addEventListener("click", (e) => {
    const b = e.target.closest(".goto-line");
    if (b) goTo(Number(b.dataset.line), 1);
  });
  // Tab inserts two spaces instead of leaving the editor.
  text.addEventListener("keydown", (e) => {
    if (e.key === "Tab" && !e.shiftKey && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      text.setRangeText("  ", text.selectionStart, text.selectionEnd, "end");
      schedule();
    }
  });

  open(current);

  return {
    relabel() {
      renderDiags();
      paint();
    },
    checkNow: check,
    runTests,
    get diagnostics() {
      return diags;
    },
  };
}
