//! A profiling aid for the evaluator: how many workload cases the fast path decides alone, and
//! `evaluate_outcome` over them in a loop (nothing else), for `perf` or callgrind:
//!
//! ```text
//! cargo build --release -p humiao-bench --example probe
//! PROBE_SKIP_CHECK=1 valgrind --tool=callgrind target/release/examples/probe 2000 2
//! ```
//!
//! Arguments: cases (20,000), passes (5). `PROBE_SKIP_CHECK` skips the fast-path count (so a
//! profile holds only `evaluate_outcome`); `PROBE_EXPLAIN` times `evaluate` (a whole Decision)
//! without and with `explain` instead (`=plain` or `=explain`: only one of them);
//! `PROBE_JSON` the CLI's path per line (`evaluate_text_into`); `PROBE_BATCH` `evaluate_batch`;
//! `PROBE_ROWS` `evaluate_rows` over the cases loaded as columns. Times printed are wall clock,
//! for orientation only:
//! `humiao-bench` is the figure of record.
#![allow(clippy::expect_used)]

use humiao_bench::policy;
use humiao_bench::workload::{Case, Workload, AS_OF};
use humiao_core::time::Date;
use humiao_core::{EvalOptions, FactsOptions, LoadOptions, Outcome, Policy, Source};
use std::time::Instant;

fn main() {
    let sources = policy::workload_sources(&policy::bundled_dir()).expect("sources");
    let srcs: Vec<Source> = sources
        .iter()
        .map(|(p, t)| Source::new(p.clone(), t.clone()))
        .collect();
    let pol = Policy::from_sources(&srcs, &LoadOptions::default()).expect("policy");
    let as_of = Date::parse(AS_OF).expect("date");
    let arg = |i: usize, d: usize| {
        std::env::args()
            .nth(i)
            .and_then(|s| s.parse().ok())
            .unwrap_or(d)
    };
    let n = arg(1, 20_000);
    let passes = arg(2, 5);
    let opts = EvalOptions::default();
    let facts: Vec<_> = Workload::cases(n)
        .iter()
        .map(|c| {
            pol.load_facts_text(&Case::to_json_line(c), &FactsOptions::default())
                .expect("facts")
        })
        .collect();
    if std::env::var_os("PROBE_SKIP_CHECK").is_none() {
        let fast = facts
            .iter()
            .filter(|f| pol.evaluate_fast(f, as_of, &opts).is_some())
            .count();
        println!("the fast path decides {fast} of {n} cases alone");
    }
    if let Some(which) = std::env::var_os("PROBE_EXPLAIN") {
        let explain = EvalOptions {
            explain: true,
            ..EvalOptions::default()
        };
        let modes = [("evaluate", &opts), ("evaluate, explain", &explain)];
        // `PROBE_EXPLAIN=plain` or `=explain` runs one of the two (for a profile of it).
        for (label, o) in modes.into_iter().filter(|(l, _)| match which.to_str() {
            Some("plain") => *l == "evaluate",
            Some("explain") => *l != "evaluate",
            _ => true,
        }) {
            for _ in 0..passes {
                let t = Instant::now();
                for f in &facts {
                    std::hint::black_box(pol.evaluate(f, as_of, o).expect("evaluate"));
                }
                let ns = t.elapsed().as_nanos() as f64 / n.max(1) as f64;
                println!("{label}: {ns:.1} ns per case");
            }
        }
        return;
    }
    if std::env::var_os("PROBE_JSON").is_some() {
        // The CLI's path per line: read the facts, evaluate and write the decision's JSON.
        let lines: Vec<String> = Workload::cases(n).iter().map(Case::to_json_line).collect();
        let mut bufs = humiao_core::DecisionBuffers::default();
        let mut text = Vec::new();
        for _ in 0..passes {
            let t = Instant::now();
            for l in &lines {
                text.clear();
                pol.evaluate_text_into(
                    l,
                    as_of,
                    &opts,
                    &FactsOptions::default(),
                    &mut bufs,
                    &mut text,
                )
                .expect("evaluate");
            }
            let ns = t.elapsed().as_nanos() as f64 / n.max(1) as f64;
            println!("JSON line -> decision: {ns:.1} ns per case");
        }
        return;
    }
    if std::env::var_os("PROBE_ROWS").is_some() {
        // `evaluate_rows` over the cases loaded as columns, 64 rows a block.
        let h = humiao_bench::engines::humiao::Humiao::new(&sources, AS_OF).expect("policy");
        let lines: Vec<String> = Workload::cases(n).iter().map(Case::to_json_line).collect();
        let refs: Vec<&String> = lines.iter().collect();
        let blocks = h.prepare_rows(&refs).expect("rows");
        let mut b = humiao_core::BatchOutcome::new();
        for _ in 0..passes {
            let t = Instant::now();
            for block in &blocks {
                h.evaluate_rows(block, &mut b);
                std::hint::black_box(&b);
            }
            let ns = t.elapsed().as_nanos() as f64 / n.max(1) as f64;
            println!("evaluate_rows: {ns:.1} ns per case");
        }
        return;
    }
    if std::env::var_os("PROBE_BATCH").is_some() {
        // `evaluate_batch` over the cases in batches of 10,000 (the harness's chunk).
        let mut b = humiao_core::BatchOutcome::new();
        for _ in 0..passes {
            let t = Instant::now();
            for chunk in facts.chunks(10_000) {
                pol.evaluate_batch(chunk, as_of, &opts, &mut b);
                std::hint::black_box(&b);
            }
            let ns = t.elapsed().as_nanos() as f64 / n.max(1) as f64;
            println!(
                "evaluate_batch: {ns:.1} ns per case ({} together)",
                b.decided_together()
            );
        }
        return;
    }
    let mut out = Outcome::new();
    for _ in 0..passes {
        let t = Instant::now();
        for f in &facts {
            pol.evaluate_outcome(f, as_of, &opts, &mut out)
                .expect("evaluate");
        }
        let ns = t.elapsed().as_nanos() as f64 / n.max(1) as f64;
        println!("evaluate_outcome: {ns:.1} ns per case");
    }
}
