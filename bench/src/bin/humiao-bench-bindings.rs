//! The Rust side of the bindings' benchmark (`scripts/bench-bindings`): the workload's cases
//! and policy for Python and JavaScript to read, the native figures the wasm ones are held
//! against, and the one table of the run.
//!
//! ```text
//! humiao-bench-bindings cases N FILE        the first N cases of the workload, one JSON line each
//! humiao-bench-bindings policy DIR          the workload's policy files (bench/src/policy.rs)
//! humiao-bench-bindings native N REPS       evaluate only, native: the typed baseline and
//!                                           humiao's evaluate_batch and evaluate_outcome over the same cases (rows)
//! humiao-bench-bindings table               rows on standard input → the table
//! ```
//!
//! A row is one tab-separated line: `group`, `engine`, `mode`, `ns per case`, `baseline` (the
//! engine of the same group each ratio is taken against; empty for none), `note`.

use humiao_bench::baseline::typed;
use humiao_bench::cli::{write_cases_file, write_policy_dir};
use humiao_bench::engines::humiao::{Humiao, Prepared};
use humiao_bench::table::{human_ns, machine, median};
use humiao_bench::timing;
use humiao_bench::workload::{Case, Workload, AS_OF};
use humiao_bench::{agreement, policy};
use std::error::Error;
use std::fmt::Write as _;
use std::hint::black_box;
use std::io::Read;
use std::ops::Range;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

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

/// This thread's time on a CPU so far, in nanoseconds (`CLOCK_THREAD_CPUTIME_ID`, to the
/// nanosecond; `/proc/thread-self/schedstat`, read before, moved in 4 ms ticks here, as long as a
/// chunk of 10,000 cases 64 at a time): unlike the wall clock, it does not grow while other work
/// holds the cores. `None` where the clock is missing.
fn thread_cpu_ns() -> Option<u64> {
    let t = cpu_time::ThreadTime::try_now().ok()?;
    u64::try_from(t.as_duration().as_nanos()).ok()
}

/// Evaluate only, native, in turn on the same chunks of 10,000 cases (inputs prepared outside
/// the timing): the typed baseline, humiao's `evaluate_outcome` into a reused `Outcome` one
/// case at a time, the whole `Decision`, and `evaluate_batch` into a reused `BatchOutcome` (what
/// the wasm build's `evaluateOutcomes` runs). Each figure is the
/// median pass of the thread's CPU time per case (the wall clock in the note). Prints rows,
/// and `settled N` (the cases whose conclusions all settled: the wasm runs must count the
/// same).
fn native(n: usize, reps: usize) -> Result<(), Box<dyn Error>> {
    let sources = policy::workload_sources(&policy::bundled_dir())?;
    let humiao = Humiao::new(&sources, AS_OF)?;
    let cases: Vec<Case> = Workload::cases(n);
    agreement::check_answers(&humiao, &cases)?;
    let lines: Vec<String> = cases.iter().map(Case::to_json_line).collect();
    let facts = |r: Range<usize>| -> Vec<Prepared> {
        slice(&lines, r)
            .iter()
            .filter_map(|l| humiao.prepare(l).ok())
            .collect()
    };
    let mut outcome = humiao_core::Outcome::new();
    let (mut settled, mut failed) = (0usize, 0usize);
    // [job][pass] = (cpu ns, wall ns)
    let mut batch = humiao_core::BatchOutcome::new();
    let mut passes = vec![Vec::new(); 4];
    for _ in 0..reps.max(1) {
        let mut totals = [(0u64, 0u128); 4];
        settled = 0;
        let mut start = 0;
        while start < n {
            let r = start..(start + timing::CHUNK).min(n);
            for (job, total) in totals.iter_mut().enumerate() {
                let typed_in: Vec<&Case> = slice(&cases, r.clone()).iter().collect();
                let facts_in = if job == 0 {
                    Vec::new()
                } else {
                    facts(r.clone())
                };
                let (c0, t0) = (thread_cpu_ns(), Instant::now());
                match job {
                    0 => typed_in.iter().for_each(|c| {
                        black_box(typed::decide(black_box(c)));
                    }),
                    1 => {
                        for x in &facts_in {
                            match humiao.evaluate_outcome(black_box(x), &mut outcome) {
                                Ok(()) => settled += usize::from(outcome.settled()),
                                Err(_) => failed += 1,
                            }
                        }
                    }
                    2 => facts_in.iter().for_each(|x| {
                        failed += usize::from(black_box(humiao.evaluate(black_box(x))).is_err());
                    }),
                    _ => {
                        humiao.evaluate_batch(black_box(&facts_in), &mut batch);
                        black_box(&batch);
                    }
                }
                let wall = t0.elapsed().as_nanos();
                let cpu = match (c0, thread_cpu_ns()) {
                    (Some(a), Some(b)) => b.saturating_sub(a),
                    _ => u64::try_from(wall).unwrap_or(u64::MAX),
                };
                total.0 += cpu;
                total.1 += wall;
            }
            start = r.end;
        }
        for (p, t) in passes.iter_mut().zip(totals) {
            p.push((t.0 as f64 / n as f64, t.1 as f64 / n as f64));
        }
    }
    if failed > 0 {
        return Err(format!("{failed} evaluations failed").into());
    }
    let med = |p: &Vec<(f64, f64)>| -> (f64, f64) {
        (
            median(p.iter().map(|x| x.0).collect()),
            median(p.iter().map(|x| x.1).collect()),
        )
    };
    let [typed_ns, outcome_ns, decision_ns, batch_ns] =
        [0, 1, 2, 3].map(|i| passes.get(i).map_or((f64::NAN, f64::NAN), med));
    let group = "wasm";
    let native = "native (release, opt-level 3)";
    let wall = |w: f64| format!("wall clock {}", human_ns(w));
    // A chunk of the typed baseline takes less than the scheduler's tick, which its CPU
    // account lags by: the wall clock, which load barely moves at this size.
    println!(
        "{group}\t{}\t{EVALUATE}\t{:.1}\t{native}\tthe same chunks as the next row; wall clock",
        humiao_bench::table::TYPED_BASELINE,
        typed_ns.1,
    );
    // The wasm rows' `evaluateOutcomes` is `Policy::evaluate_batch`: this row is what they
    // are held to.
    println!(
        "{group}\t{native}\t{EVALUATE}\t{:.1}\t{native}\tevaluate_batch into a reused BatchOutcome (64 cases at a time where the lanes decide them; what evaluateOutcomes runs), facts loaded ahead; CPU time, median of {reps} passes; {}",
        batch_ns.0,
        wall(batch_ns.1)
    );
    println!(
        "{group}\t{native}\t{EVALUATE}, one case at a time\t{:.1}\t{native}\tevaluate_outcome into a reused Outcome, facts loaded ahead; CPU time, median of {reps} passes; {}",
        outcome_ns.0,
        wall(outcome_ns.1)
    );
    println!(
        "{group}\t{native}\t{EVALUATE}, whole Decision\t{:.1}\t\tevaluate: the Decision with obligations, citations, notes; {}",
        decision_ns.0,
        wall(decision_ns.1)
    );
    println!("settled\t{settled}");
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
