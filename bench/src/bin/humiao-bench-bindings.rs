//! The Rust side of the bindings' benchmark (`scripts/bench-bindings`): the workload's cases
//! and policy for Python and JavaScript to read, the native figures the wasm ones are held
//! against, and the one table of the run.
//!
//! ```text
//! humiao-bench-bindings cases N FILE        the first N cases of the workload, one JSON line each
//! humiao-bench-bindings policy DIR          the workload's policy files (bench/src/policy.rs)
//! humiao-bench-bindings native N REPS       evaluate only, native: the typed baseline and
//!                                           humiao's evaluate_outcome over the same cases (rows)
//! humiao-bench-bindings table               rows on standard input → the table
//! ```
//!
//! A row is one tab-separated line: `group`, `engine`, `mode`, `ns per case`, `baseline` (the
//! engine of the same group each ratio is taken against; empty for none), `note`.

use humiao_bench::baseline::typed;
use humiao_bench::cli::{write_cases_file, write_policy_dir};
use humiao_bench::engines::humiao::{Humiao, Prepared};
use humiao_bench::table::{human_ns, machine};
use humiao_bench::timing::{self, Job};
use humiao_bench::workload::{Case, Workload, AS_OF};
use humiao_bench::{agreement, policy};
use std::error::Error;
use std::fmt::Write as _;
use std::hint::black_box;
use std::io::Read;
use std::ops::Range;
use std::path::Path;
use std::process::ExitCode;

const USAGE: &str =
    "usage: humiao-bench-bindings cases N FILE | policy DIR | native N REPS | table";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("humiao-bench-bindings: {e}");
            ExitCode::FAILURE
        }
    }
}

fn num(v: Option<String>) -> Result<usize, String> {
    v.and_then(|s| s.replace('_', "").parse().ok())
        .filter(|n| *n > 0)
        .ok_or_else(|| USAGE.to_string())
}

fn run() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("cases") => {
            let n = num(args.next())?;
            let file = args.next().ok_or(USAGE)?;
            write_cases_file(Path::new(&file), n)?;
        }
        Some("policy") => {
            let dir = args.next().ok_or(USAGE)?;
            let sources = policy::workload_sources(&policy::bundled_dir())?;
            write_policy_dir(Path::new(&dir), &sources)?;
        }
        Some("native") => native(num(args.next())?, num(args.next())?)?,
        Some("table") => {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text)?;
            print!("{}", table(&text));
        }
        _ => return Err(USAGE.into()),
    }
    Ok(())
}

fn slice<T>(v: &[T], r: Range<usize>) -> &[T] {
    v.get(r).unwrap_or(&[])
}

/// Evaluate only, native, in turn on the same chunks: the typed baseline, humiao's
/// `evaluate_outcome` into a reused `Outcome` (what the wasm build's `evaluateOutcomes` runs),
/// and the whole `Decision`. Prints rows, and `settled N` (the cases whose conclusions all
/// settled: the wasm runner must count the same).
fn native(n: usize, reps: usize) -> Result<(), Box<dyn Error>> {
    let sources = policy::workload_sources(&policy::bundled_dir())?;
    let humiao = Humiao::new(&sources, AS_OF)?;
    let cases: Vec<Case> = Workload::cases(n);
    agreement::check_answers(&humiao, &cases)?;
    let lines: Vec<String> = cases.iter().map(Case::to_json_line).collect();
    let prepare_facts = |r: Range<usize>| -> Vec<Prepared> {
        slice(&lines, r)
            .iter()
            .filter_map(|l| humiao.prepare(l).ok())
            .collect()
    };
    let mut settled = 0usize;
    let mut failed = 0usize;
    let ns = {
        let mut typed_job = Job::new(
            |r| slice(&cases, r).iter().collect(),
            |c: &&Case| {
                black_box(typed::decide(black_box(c)));
            },
        );
        let mut outcome = humiao_core::Outcome::new();
        let (s, f) = (&mut settled, &mut failed);
        let mut outcome_job = Job::new(prepare_facts, |x: &Prepared| {
            match humiao.evaluate_outcome(black_box(x), &mut outcome) {
                Ok(()) => *s += usize::from(outcome.settled()),
                Err(_) => *f += 1,
            }
        });
        let mut decision_job = Job::new(prepare_facts, |x: &Prepared| {
            black_box(humiao.evaluate(black_box(x)).is_err());
        });
        timing::measure(
            n,
            reps,
            &mut [&mut typed_job, &mut outcome_job, &mut decision_job],
        )
    };
    if failed > 0 {
        return Err(format!("{failed} evaluations failed").into());
    }
    let [typed_ns, outcome_ns, decision_ns] = ns[..] else {
        return Err("measure".into());
    };
    let group = "wasm";
    let native = "native (release, opt-level 3)";
    println!(
        "{group}\t{}\t{EVALUATE}\t{typed_ns:.1}\t{native}\tthe same chunks as the next row",
        humiao_bench::table::TYPED_BASELINE
    );
    println!(
        "{group}\t{native}\t{EVALUATE}\t{outcome_ns:.1}\t{native}\tevaluate_outcome into a reused Outcome, facts loaded ahead; median of {reps} passes"
    );
    println!(
        "{group}\t{native}\t{EVALUATE}, whole Decision\t{decision_ns:.1}\t\tevaluate: the Decision with obligations, citations, notes"
    );
    println!("settled\t{}", settled / reps.max(1));
    Ok(())
}

const EVALUATE: &str = "evaluate only";

/// One row of the table.
struct Row {
    group: String,
    engine: String,
    mode: String,
    ns: Option<f64>,
    baseline: String,
    note: String,
}

fn parse_rows(text: &str) -> Vec<Row> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let mut f = l.split('\t');
            Some(Row {
                group: f.next()?.to_string(),
                engine: f.next()?.to_string(),
                mode: f.next()?.to_string(),
                ns: f.next()?.parse::<f64>().ok().filter(|n| n.is_finite()),
                baseline: f.next().unwrap_or_default().to_string(),
                note: f.next().unwrap_or_default().to_string(),
            })
        })
        .collect()
}

fn rate(ns: f64) -> String {
    let per_s = 1e9 / ns;
    if per_s >= 1e6 {
        format!("{:.2} M", per_s / 1e6)
    } else if per_s >= 1e3 {
        format!("{:.1} k", per_s / 1e3)
    } else {
        format!("{per_s:.0}")
    }
}

/// The rows as one Markdown table, each ratio against its baseline's row in its group (the
/// first row of that engine and mode `evaluate only`, or else of that engine).
fn table(text: &str) -> String {
    let rows = parse_rows(text);
    let base_of = |r: &Row| -> Option<f64> {
        if r.baseline.is_empty() {
            return None;
        }
        let same = |b: &&Row| b.group == r.group && b.engine == r.baseline;
        rows.iter()
            .filter(same)
            .find(|b| b.mode == r.mode)
            .or_else(|| rows.iter().find(same))
            .and_then(|b| b.ns)
    };
    let cells: Vec<[String; 6]> = rows
        .iter()
        .map(|r| {
            let ratio = match (r.ns, base_of(r)) {
                (Some(n), Some(b)) if b > 0.0 => format!("{:.2}× {}", n / b, r.baseline),
                _ => "—".into(),
            };
            [
                r.engine.clone(),
                r.mode.clone(),
                r.ns.map_or("—".into(), human_ns),
                r.ns.filter(|n| *n > 0.0).map_or("—".into(), rate),
                ratio,
                r.note.clone(),
            ]
        })
        .collect();
    let head = ["engine", "mode", "per case", "cases/s", "ratio", "note"];
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
    let _ = writeln!(out, "{}", machine());
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", line(&head.map(String::from)));
    let rule: Vec<String> = width.iter().map(|w| "-".repeat(*w)).collect();
    let _ = writeln!(out, "{}", line(&rule).replace(' ', "-"));
    for c in &cells {
        let _ = writeln!(out, "{}", line(c));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_are_taken_against_the_named_baseline_of_the_same_group() {
        let text = "py\tplain Python\tevaluate only\t1000\tplain Python\t\n\
                    py\thumiao\tevaluate only\t250\tplain Python\tnote\n\
                    wasm\tplain Python\tevaluate only\t10\t\t\n\
                    # a comment\n";
        let t = table(text);
        assert!(t.contains("| 0.25× plain Python |"), "{t}");
        assert!(t.contains("| 1.00× plain Python |"), "{t}");
        assert!(t.contains("4.00 M"), "{t}");
    }
}
