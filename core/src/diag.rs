//! Diagnostics: a stable code, a place, and a message in English and Chinese.
//! Rendered like rustc in the terminal by [`render`].

use humiao_grammar::ast::Span;
use humiao_grammar::{LineIndex, SyntaxError};
use serde::Serialize;
use unicode_width::UnicodeWidthStr;

#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

/// One finding about a policy set. `file` is the path inside the set (`reporting.humiao`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub code: &'static str,
    pub severity: Severity,
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub message: String,
    pub message_zh: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help_zh: Option<String>,
    #[serde(skip)]
    pub span: Span,
}

/// A diagnostic before its place is resolved to lines and columns.
#[derive(Clone, Debug)]
pub struct Finding {
    pub code: &'static str,
    pub severity: Severity,
    pub file: usize,
    pub span: Span,
    pub en: String,
    pub zh: String,
    pub help: Option<(String, String)>,
}

impl Finding {
    pub fn error(
        code: &'static str,
        file: usize,
        span: Span,
        en: impl Into<String>,
        zh: impl Into<String>,
    ) -> Finding {
        Finding {
            code,
            severity: Severity::Error,
            file,
            span,
            en: en.into(),
            zh: zh.into(),
            help: None,
        }
    }
    pub fn warning(
        code: &'static str,
        file: usize,
        span: Span,
        en: impl Into<String>,
        zh: impl Into<String>,
    ) -> Finding {
        Finding {
            severity: Severity::Warning,
            ..Finding::error(code, file, span, en, zh)
        }
    }
    pub fn info(
        code: &'static str,
        file: usize,
        span: Span,
        en: impl Into<String>,
        zh: impl Into<String>,
    ) -> Finding {
        Finding {
            severity: Severity::Info,
            ..Finding::error(code, file, span, en, zh)
        }
    }
    pub fn with_help(mut self, en: impl Into<String>, zh: impl Into<String>) -> Finding {
        self.help = Some((en.into(), zh.into()));
        self
    }
    pub fn from_syntax(file: usize, e: &SyntaxError) -> Finding {
        let f = Finding::error(e.code(), file, e.span, e.message_en(), e.message_zh());
        match &e.hint {
            Some((en, zh)) => f.with_help(en.clone(), zh.clone()),
            None => f,
        }
    }
}

/// A source file of the set, as the caller passed it in.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub path: String,
    pub text: String,
    pub lines: LineIndex,
}

impl SourceFile {
    pub fn new(path: &str, text: &str) -> SourceFile {
        SourceFile {
            path: path.to_string(),
            text: text.to_string(),
            lines: LineIndex::new(text),
        }
    }
}

pub fn resolve(f: &Finding, files: &[SourceFile]) -> Diagnostic {
    let (path, (line, column), (end_line, end_column)) = match files.get(f.file) {
        Some(src) => (
            src.path.clone(),
            src.lines.line_col(&src.text, f.span.start as usize),
            src.lines.line_col(&src.text, f.span.end as usize),
        ),
        None => (String::new(), (0, 0), (0, 0)),
    };
    Diagnostic {
        code: f.code,
        severity: f.severity,
        file: path,
        line,
        column,
        end_line,
        end_column,
        message: f.en.clone(),
        message_zh: f.zh.clone(),
        help: f.help.as_ref().map(|h| h.0.clone()),
        help_zh: f.help.as_ref().map(|h| h.1.clone()),
        span: f.span,
    }
}

/// Which language(s) a rendering shows.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
    Both,
}

/// Renders a diagnostic like rustc: header, location, the source line with a caret, help.
pub fn render(d: &Diagnostic, src: Option<&str>, lang: Lang) -> String {
    let sev = match (d.severity, lang) {
        (Severity::Error, Lang::Zh) => "错误",
        (Severity::Warning, Lang::Zh) => "警告",
        (Severity::Info, Lang::Zh) => "提示",
        (Severity::Error, _) => "error",
        (Severity::Warning, _) => "warning",
        (Severity::Info, _) => "info",
    };
    let msg = match lang {
        Lang::Zh => d.message_zh.clone(),
        Lang::En => d.message.clone(),
        Lang::Both => format!(
            "{}\n{:w$}  {}",
            d.message,
            "",
            d.message_zh,
            w = sev.len() + d.code.len() + 2
        ),
    };
    let mut out = format!("{sev}[{}]: {msg}\n", d.code);
    let gutter = d.line.to_string().len().max(1);
    out.push_str(&format!(
        "{:gutter$}--> {}:{}:{}\n",
        "", d.file, d.line, d.column
    ));
    if let Some(src) = src {
        let li = LineIndex::new(src);
        let text = li.line_text(src, d.line);
        if d.line > 0 {
            let before: String = text.chars().take(d.column.saturating_sub(1)).collect();
            let pad = UnicodeWidthStr::width(before.as_str());
            let len = if d.end_line == d.line && d.end_column > d.column {
                let under: String = text
                    .chars()
                    .skip(d.column - 1)
                    .take(d.end_column - d.column)
                    .collect();
                UnicodeWidthStr::width(under.as_str()).max(1)
            } else {
                1
            };
            out.push_str(&format!("{:gutter$} |\n", ""));
            out.push_str(&format!(
                "{:>gutter$} | {}\n",
                d.line,
                text.replace('\t', " ")
            ));
            out.push_str(&format!(
                "{:gutter$} | {:pad$}{}\n",
                "",
                "",
                "^".repeat(len)
            ));
        }
    }
    if let (Some(h), Some(hz)) = (&d.help, &d.help_zh) {
        match lang {
            Lang::Zh => out.push_str(&format!("{:gutter$} = 帮助: {hz}\n", "")),
            Lang::En => out.push_str(&format!("{:gutter$} = help: {h}\n", "")),
            Lang::Both => out.push_str(&format!(
                "{:gutter$} = help: {h}\n{:gutter$}   帮助: {hz}\n",
                "", ""
            )),
        }
    }
    out
}

/// "Did you mean": the closest candidate by edit distance, if close enough to be a typo.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let mut best: Option<(usize, &str)> = None;
    let n = name.chars().count();
    for c in candidates {
        let m = c.chars().count();
        let limit = (n.max(m) / 3).max(1);
        // The distance is at least the difference in length: skip the quadratic comparison
        // when that alone is too far (a megabyte-long key costs nothing then).
        if n.abs_diff(m) > limit {
            continue;
        }
        let d = edit_distance(name, c);
        if d <= limit && best.is_none_or(|(bd, bc)| d < bd || (d == bd && c < bc)) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        if let Some(c0) = cur.first_mut() {
            *c0 = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            if let Some(slot) = cur.get_mut(j + 1) {
                *slot = sub.min(del).min(ins);
            }
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let c = ["minor.sex", "minor.age", "minor.birth_date"];
        assert_eq!(did_you_mean("minor.sexx", c), Some("minor.sex"));
        assert_eq!(
            did_you_mean("minor.brith_date", c),
            Some("minor.birth_date")
        );
        assert_eq!(did_you_mean("hotel.alone", c), None);
    }
}
