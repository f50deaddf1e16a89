//! Human-readable output: decisions with Chinese titles, deadlines and citations; test reports.

use humiao_core::decision::Decision;
use humiao_core::model::Type;
use humiao_core::{Lang, Policy, Status, TestReport};
use std::io::Write;

fn pick<'a>(lang: Lang, en: &'a str, zh: &'a str) -> String {
    match lang {
        Lang::En => en.to_string(),
        Lang::Zh => zh.to_string(),
        Lang::Both => format!("{zh} / {en}"),
    }
}

/// The Chinese label of an enum value, when one is declared in an enum of that name.
fn label(policy: &Policy, enum_name: &str, value: &str) -> String {
    policy
        .schema
        .enum_by_name(enum_name)
        .and_then(|id| policy.schema.enum_def(id))
        .and_then(|e| e.index(value).and_then(|i| e.label_of(i)))
        .map_or_else(|| value.to_string(), |l| format!("{l}（{value}）"))
}

fn deadline_zh(d: &str) -> String {
    if d == "immediately" {
        return "立即".into();
    }
    humiao_core::time::Duration::parse(d)
        .map_or_else(|_| d.to_string(), |x| format!("{}内", x.to_zh()))
}

/// Text from a case, made safe for a terminal: control characters (escape sequences
/// included) are shown escaped, everything else as it is.
pub fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    if s.chars().any(char::is_control) {
        s.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect::<String>()
            .into()
    } else {
        s.into()
    }
}

pub fn decision(
    out: &mut impl Write,
    policy: &Policy,
    d: &Decision,
    lang: Lang,
) -> std::io::Result<()> {
    let status = match d.status {
        Status::Determined => pick(lang, "determined", "已确定"),
        Status::Undetermined => pick(
            lang,
            "undetermined: facts are missing",
            "尚不能确定：缺少事实",
        ),
        Status::Conflict => pick(lang, "conflict between rules", "规则之间存在冲突"),
    };
    writeln!(
        out,
        "{} {} ({})",
        pick(lang, "Policy", "政策集"),
        d.policy.name,
        d.policy.version
    )?;
    writeln!(
        out,
        "{}: {}    {}: {status}",
        pick(lang, "As of", "基准日"),
        d.as_of,
        pick(lang, "Status", "状态")
    )?;
    if let Some(id) = &d.case_id {
        writeln!(out, "{}: {}", pick(lang, "Case", "案件"), printable(id))?;
    }
    writeln!(out)?;
    writeln!(out, "{}", pick(lang, "Obligations", "义务"))?;
    if d.obligations.is_empty() {
        writeln!(out, "  {}", pick(lang, "(none)", "（无）"))?;
    }
    for o in &d.obligations {
        let who = label(policy, "Actor", &o.actor);
        let what = label(policy, "Action", &o.action);
        let to = o.party.as_deref().map(|p| label(policy, "Party", p));
        let deadline = match lang {
            Lang::En => o.deadline.clone(),
            _ => deadline_zh(&o.deadline),
        };
        match &to {
            Some(t) => writeln!(out, "  • {who} {} {what} → {t}", pick(lang, "must", "须"))?,
            None => writeln!(out, "  • {who} {} {what}", pick(lang, "must", "须"))?,
        }
        writeln!(
            out,
            "    {}: {deadline}    {}: {}",
            pick(lang, "Deadline", "期限"),
            pick(lang, "Due", "截止"),
            o.due.as_deref().unwrap_or("?")
        )?;
        if !o.with.is_empty() {
            let w: Vec<String> = o.with.iter().map(|x| label(policy, "Party", x)).collect();
            writeln!(out, "    {}: {}", pick(lang, "With", "会同"), w.join("、"))?;
        }
        if let Some(t) = &o.title {
            writeln!(out, "    {}: {t}", pick(lang, "Rule", "规则"))?;
        }
        writeln!(
            out,
            "    {}: {}",
            pick(lang, "Cites", "依据"),
            o.cite.join("；")
        )?;
    }
    writeln!(out)?;
    writeln!(out, "{}", pick(lang, "Conclusions", "结论"))?;
    for (k, v) in &d.conclusions.0 {
        let conc = policy.program.conclusions.iter().find(|c| &c.key == k);
        let name = conc
            .and_then(|c| c.label.clone())
            .map_or_else(|| k.clone(), |l| format!("{l}（{k}）"));
        let enum_name = conc.and_then(|c| match c.ty {
            Type::Enum(id) | Type::Set(id) => policy.schema.enum_def(id).map(|e| e.name.clone()),
            _ => None,
        });
        let shown = match (v, &enum_name) {
            (serde_json::Value::String(s), Some(e)) => label(policy, e, s),
            (serde_json::Value::Array(items), Some(e)) => {
                let parts: Vec<String> = items
                    .iter()
                    .filter_map(|i| i.as_str())
                    .map(|s| label(policy, e, s))
                    .collect();
                if parts.is_empty() {
                    pick(lang, "(none)", "（无）")
                } else {
                    parts.join("；")
                }
            }
            (serde_json::Value::Bool(b), _) => pick(
                lang,
                if *b { "yes" } else { "no" },
                if *b { "是" } else { "否" },
            ),
            (other, _) => other.to_string().trim_matches('"').to_string(),
        };
        writeln!(out, "  • {name}: {shown}")?;
    }
    if !d.undecided.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "{}: {}",
            pick(lang, "Not yet decided", "尚未确定"),
            d.undecided.join(", ")
        )?;
    }
    if !d.missing.is_empty() {
        writeln!(
            out,
            "{}",
            pick(
                lang,
                "Ask next (most decisive first)",
                "需补充的事实（按重要性排序）"
            )
        )?;
        for m in &d.missing {
            let label = policy
                .schema
                .facts
                .iter()
                .find(|f| f.path == m.fact)
                .and_then(|f| f.label.clone());
            let name = label.map_or_else(|| m.fact.clone(), |l| format!("{l}（{}）", m.fact));
            writeln!(out, "  ? {name} → {}", m.decides.join(", "))?;
        }
    }
    for c in &d.conflicts {
        writeln!(
            out,
            "{}: {} ← {}",
            pick(lang, "Conflict", "冲突"),
            c.conclusion,
            c.rules.join(", ")
        )?;
    }
    if !d.assumptions.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "{}",
            pick(
                lang,
                "Assumptions (unconfirmed params used)",
                "所用待核实参数"
            )
        )?;
        for a in &d.assumptions {
            writeln!(out, "  ! {} = {} — {}", a.param, a.value, a.why)?;
        }
    }
    if !d.notes.is_empty() {
        writeln!(out)?;
        for n in &d.notes {
            writeln!(out, "  note: {n}")?;
        }
    }
    if let Some(trace) = &d.trace {
        writeln!(out)?;
        writeln!(out, "{}", pick(lang, "Explanation", "推理过程"))?;
        for r in trace.rules() {
            writeln!(
                out,
                "  [{}] {} {}",
                r.result().as_str(),
                r.rule(),
                r.title().unwrap_or("")
            )?;
            for c in r.conditions() {
                let facts: Vec<String> = c
                    .facts()
                    .map(|f| format!("{}={}", f.fact, f.value))
                    .collect();
                writeln!(
                    out,
                    "      {} → {}   {}",
                    c.condition(),
                    c.value(),
                    facts.join(" ")
                )?;
            }
        }
    }
    Ok(())
}

pub fn params(out: &mut impl Write, policy: &Policy, lang: Lang) -> std::io::Result<()> {
    let unconfirmed: Vec<_> = policy
        .params()
        .iter()
        .filter(|p| p.unconfirmed.is_some())
        .collect();
    if unconfirmed.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "{}",
        pick(
            lang,
            "Unconfirmed params (assumptions to verify against official texts):",
            "待核实参数（需对照官方文本核实）："
        )
    )?;
    for p in unconfirmed {
        let changed = if p.overridden {
            pick(lang, " (set by caller)", "（调用方已设置）")
        } else {
            String::new()
        };
        writeln!(
            out,
            "  {} = {}{changed}\n      {}",
            p.key,
            p.text,
            p.unconfirmed.as_deref().unwrap_or("")
        )?;
    }
    Ok(())
}

pub fn test_report(out: &mut impl Write, r: &TestReport, lang: Lang) -> std::io::Result<()> {
    for t in &r.results {
        let mark = if t.passed { "ok  " } else { "FAIL" };
        writeln!(out, "{mark} {}:{} {}", t.file, t.line, t.title)?;
        if let Some(e) = &t.error {
            writeln!(out, "       {}: {e}", pick(lang, "error", "错误"))?;
        }
        for f in &t.failures {
            writeln!(out, "       {}:{} expect {}", t.file, f.line, f.expectation)?;
            writeln!(
                out,
                "         {}: {}",
                pick(lang, "expected", "预期"),
                f.expected
            )?;
            writeln!(
                out,
                "         {}: {}",
                pick(lang, "actual", "实际"),
                f.actual
            )?;
        }
    }
    writeln!(out, "tests: {} passed, {} failed", r.passed, r.failed)?;
    Ok(())
}
