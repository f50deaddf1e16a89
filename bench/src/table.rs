//! The one table every runner prints, the machine line above it, and the row format the peers'
//! runner hands to the main one.

use std::fmt::Write;

/// The modes of the table, as printed.
pub const EVALUATE: &str = "evaluate only";
pub const JSON_LINE: &str = "JSON line → decision";
pub const EXPLAIN: &str = "explain";
pub const COMPILE: &str = "compile";
pub const CLI_BATCH: &str = "CLI batch (jsonl)";

/// One row: an engine in a mode.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub engine: String,
    pub mode: String,
    /// Nanoseconds per case; `None` where the row measures something else (compile).
    pub ns_per_case: Option<f64>,
    /// This row's time over the hand-written typed baseline's in the same mode.
    pub ratio: Option<f64>,
    pub note: String,
}

impl Row {
    pub fn timed(engine: &str, mode: &str, ns_per_case: f64) -> Row {
        Row {
            engine: engine.into(),
            mode: mode.into(),
            ns_per_case: Some(ns_per_case),
            ratio: None,
            note: String::new(),
        }
    }

    /// A row without a time per case (compile, or a row that could not be measured).
    pub fn untimed(engine: &str, mode: &str, note: impl Into<String>) -> Row {
        Row {
            engine: engine.into(),
            mode: mode.into(),
            ns_per_case: None,
            ratio: None,
            note: note.into(),
        }
    }

    pub fn note(mut self, note: impl Into<String>) -> Row {
        self.note = note.into();
        self
    }

    /// The tab-separated form the peers' runner prints with `--rows`: engine, mode, ns/case,
    /// note.
    pub fn to_tsv(&self) -> String {
        format!(
            "{}\t{}\t{}\t{}",
            self.engine,
            self.mode,
            self.ns_per_case
                .map_or(String::new(), |n| format!("{n:.1}")),
            self.note
        )
    }

    pub fn from_tsv(line: &str) -> Option<Row> {
        let mut f = line.split('\t');
        let engine = f.next()?;
        let mode = f.next()?;
        let ns = f.next()?.parse::<f64>().ok();
        let note = f.next().unwrap_or_default();
        Some(Row {
            engine: engine.into(),
            mode: mode.into(),
            ns_per_case: ns,
            ratio: None,
            note: note.into(),
        })
    }
}

/// The name of the baseline every ratio is taken against.
pub const TYPED_BASELINE: &str = "hand-written Rust, typed structs";

/// Sets each timed row's ratio to the typed baseline's row of the same mode, where it has none
/// yet (the peers' rows come with the ratio to the baseline timed alongside them). The CLI
/// batch is held against the typed baseline's JSON line → decision.
pub fn set_ratios(rows: &mut [Row]) {
    let base = |mode: &str, rows: &[Row]| {
        rows.iter()
            .find(|r| r.engine == TYPED_BASELINE && r.mode == mode)
            .and_then(|r| r.ns_per_case)
    };
    let bases: Vec<Option<f64>> = rows
        .iter()
        .map(|r| {
            let mode = if r.mode.starts_with(CLI_BATCH) {
                JSON_LINE
            } else {
                r.mode.as_str()
            };
            base(mode, rows)
        })
        .collect();
    for (r, b) in rows.iter_mut().zip(bases) {
        if r.ratio.is_some() {
            continue;
        }
        r.ratio = match (r.ns_per_case, b) {
            (Some(n), Some(b)) if b > 0.0 => Some(n / b),
            _ => None,
        };
    }
}

/// Nanoseconds in a readable unit.
pub fn human_ns(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.1} ns")
    }
}

fn human_rate(per_s: f64) -> String {
    if per_s >= 1e6 {
        format!("{:.2} M", per_s / 1e6)
    } else if per_s >= 1e3 {
        format!("{:.1} k", per_s / 1e3)
    } else {
        format!("{per_s:.0}")
    }
}

/// The table as Markdown (it reads as a table in a terminal too).
pub fn render(rows: &[Row]) -> String {
    let cells: Vec<[String; 6]> = rows
        .iter()
        .map(|r| {
            [
                r.engine.clone(),
                r.mode.clone(),
                r.ns_per_case.map_or("—".into(), human_ns),
                r.ns_per_case
                    .filter(|n| *n > 0.0)
                    .map_or("—".into(), |n| human_rate(1e9 / n)),
                r.ratio.map_or("—".into(), |x| format!("{x:.2}×")),
                r.note.clone(),
            ]
        })
        .collect();
    let head = [
        "engine",
        "mode",
        "per case",
        "cases/s",
        "× typed Rust",
        "note",
    ];
    let mut width = head.map(|h| h.chars().count());
    for c in &cells {
        for (w, s) in width.iter_mut().zip(c) {
            *w = (*w).max(s.chars().count());
        }
    }
    let line = |c: &[String]| {
        let mut s = String::from("|");
        for (x, w) in c.iter().zip(width) {
            let pad = w.saturating_sub(x.chars().count());
            let _ = write!(s, " {x}{} |", " ".repeat(pad));
        }
        s
    };
    let mut out = String::new();
    let _ = writeln!(out, "{}", line(&head.map(String::from)));
    let rule: Vec<String> = width.iter().map(|w| "-".repeat(*w)).collect();
    let _ = writeln!(out, "{}", line(&rule).replace(' ', "-"));
    for c in &cells {
        let _ = writeln!(out, "{}", line(c));
    }
    out
}

/// The machine a run is on: CPU model, cores, rustc, load.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let rustc = std::process::Command::new("rustc")
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "rustc unknown".into());
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    format!("machine: {cpu}, {cores} cores; {rustc}; load average {load}")
}

/// The median of some measurements.
pub fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs.get(xs.len() / 2).copied().unwrap_or(f64::NAN)
}
