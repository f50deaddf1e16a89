// Names as a person reads them, from the policy set's own schema: Chinese labels where the set
// gives them, the identifier (spaced) in English or where it gives none.
import { getLang, humanize } from "./i18n.js";

export function makeLabels(schema) {
  const enums = new Map(schema.enums.map((e) => [e.name, e]));
  const facts = new Map(schema.facts.map((f) => [f.path, f]));
  const records = new Map(schema.records.map((r) => [r.name, r]));
  const conclusions = new Map(schema.conclusions.map((c) => [c.key, c]));
  const rules = new Map(schema.rules.map((r) => [r.id, r]));
  const zh = () => getLang() === "zh";

  function valueOf(enumName, value) {
    if (!zh()) return humanize(value);
    const e = enums.get(enumName);
    const v = e?.values.find((x) => x.name === value);
    return v?.label ?? humanize(value);
  }

  // An obligation's actor, action or party: its own enum first, then any enum with that value.
  function obligationWord(enumName, value) {
    if (value === null || value === undefined) return "—";
    if (!zh()) return humanize(value);
    const own = enums.get(enumName)?.values.find((x) => x.name === value);
    if (own?.label) return own.label;
    for (const e of schema.enums) {
      const v = e.values.find((x) => x.name === value);
      if (v?.label) return v.label;
    }
    return humanize(value);
  }

  function fieldLabel(label, name) {
    return zh() && label ? label : humanize(name);
  }

  return {
    enums,
    facts,
    records,
    conclusions,
    rules,
    valueOf,
    obligationWord,
    fieldLabel,
    /** The label of a fact path, including list items (`parents[0].since`). */
    fact(path) {
      const f = facts.get(path);
      if (f) return fieldLabel(f.label, path.split(".").pop());
      const m = /^(.*)\[(\d+)\]\.(\w+)$/.exec(path);
      if (m) {
        const list = facts.get(m[1]);
        const rec = list && list.type.kind === "list" ? records.get(list.type.record) : undefined;
        const field = rec?.fields.find((x) => x.name === m[3]);
        const n = Number(m[2]) + 1;
        const head = fieldLabel(list?.label ?? null, m[1].split(".").pop());
        return `${head} #${n} · ${fieldLabel(field?.label ?? null, m[3])}`;
      }
      return path;
    },
    conclusion(key) {
      const c = conclusions.get(key);
      return zh() && c?.label ? c.label : humanize(key);
    },
    /** A conclusion's value in words: enum labels, sets joined, yes/no. */
    conclusionValue(key, value) {
      const c = conclusions.get(key);
      const ty = c?.type;
      if (Array.isArray(value)) {
        if (value.length === 0) return zh() ? "无" : "none";
        return value.map((v) => (ty?.enum ? valueOf(ty.enum, v) : String(v))).join(zh() ? "；" : "; ");
      }
      if (typeof value === "boolean") return zh() ? (value ? "是" : "否") : value ? "yes" : "no";
      if (ty?.kind === "enum" && typeof value === "string") return valueOf(ty.enum, value);
      return value === null ? "—" : String(value);
    },
    rule(id) {
      return rules.get(id);
    },
  };
}

/** `immediately`, `24 hours`, `5 working days` in the page's language. */
export function deadlineText(d) {
  if (getLang() !== "zh") return d;
  if (d === "immediately") return "立即";
  const m = /^(\d+) (hours?|days?|working days?|months?|years?|weeks?|minutes?)$/.exec(d);
  if (!m) return d;
  const unit = {
    hour: "小时",
    hours: "小时",
    day: "日",
    days: "日",
    "working day": "个工作日",
    "working days": "个工作日",
    month: "个月",
    months: "个月",
    year: "年",
    years: "年",
    week: "周",
    weeks: "周",
    minute: "分钟",
    minutes: "分钟",
  }[m[2]];
  return `${m[1]} ${unit}`;
}

/** `2026-03-01T10:00:00+08:00` → `2026-03-01 10:00（+08:00）`. */
export function timeText(s) {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::(\d{2}))?(.*)$/.exec(s);
  if (!m) return s;
  const secs = m[3] && m[3] !== "00" ? `:${m[3]}` : "";
  const off = m[4] === "Z" ? "UTC" : m[4];
  return `${m[1]} ${m[2]}${secs}${off ? (getLang() === "zh" ? `（${off}）` : ` (${off})`) : ""}`;
}
