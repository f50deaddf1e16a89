//! Criterion benches of the workload: the baselines and humiao in every mode, and compile
//! (the bundled set; generated sets of 100 / 1,000 / 10,000 rules).
//!
//! `cargo bench -p humiao-bench --bench workload [-- FILTER]`. Each iteration runs over 2,000
//! cases, checked for agreement first; throughput is in cases. The table of
//! `humiao-bench` (scripts/bench) is the figure of record; these are for profiling and for
//! criterion's change detection between runs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use humiao_bench::baseline::{typed, value};
use humiao_bench::engines::humiao::{compile_rules, Humiao};
use humiao_bench::workload::{Case, Workload, AS_OF};
use humiao_bench::{agreement, policy, synth};
use std::hint::black_box;
use std::time::Duration;

const CASES: usize = 2_000;

fn workload(c: &mut Criterion) {
    let sources = policy::workload_sources(&policy::bundled_dir()).unwrap();
    let humiao = Humiao::new(&sources, AS_OF).unwrap();
    let cases = Workload::cases(CASES);
    agreement::check(&humiao, &cases).unwrap_or_else(|e| panic!("{e}"));
    let lines: Vec<String> = cases.iter().map(Case::to_json_line).collect();
    let values: Vec<serde_json::Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let facts: Vec<_> = lines.iter().map(|l| humiao.prepare(l).unwrap()).collect();

    let mut g = c.benchmark_group("evaluate_only");
    g.throughput(Throughput::Elements(CASES as u64));
    g.bench_function("typed", |b| {
        b.iter(|| {
            for case in &cases {
                black_box(typed::decide(black_box(case)));
            }
        })
    });
    g.bench_function("value", |b| {
        b.iter(|| {
            for v in &values {
                black_box(value::decide(black_box(v)));
            }
        })
    });
    g.bench_function("humiao", |b| {
        b.iter(|| {
            for f in &facts {
                black_box(humiao.evaluate(black_box(f)).unwrap());
            }
        })
    });
    g.finish();

    let mut g = c.benchmark_group("json_line_to_decision");
    g.throughput(Throughput::Elements(CASES as u64));
    g.bench_function("typed", |b| {
        b.iter(|| {
            for l in &lines {
                black_box(typed::json_line_to_decision(black_box(l)).unwrap());
            }
        })
    });
    g.bench_function("value", |b| {
        b.iter(|| {
            for l in &lines {
                black_box(value::json_line_to_decision(black_box(l)).unwrap());
            }
        })
    });
    let mut buffers = humiao_bench::engines::humiao::JsonBuffers::default();
    g.bench_function("humiao", |b| {
        b.iter(|| {
            for l in &lines {
                black_box(
                    humiao
                        .json_line_to_decision(black_box(l), &mut buffers)
                        .unwrap(),
                );
            }
        })
    });
    g.bench_function("humiao through the Decision", |b| {
        b.iter(|| {
            for l in &lines {
                black_box(humiao.json_line_via_decision(black_box(l)).unwrap());
            }
        })
    });
    g.finish();

    let mut g = c.benchmark_group("explain");
    g.throughput(Throughput::Elements(CASES as u64));
    g.sample_size(10);
    g.bench_function("humiao", |b| {
        b.iter(|| {
            for f in &facts {
                black_box(humiao.explain(black_box(f)).unwrap());
            }
        })
    });
    g.finish();
}

fn compile(c: &mut Criterion) {
    let dir = policy::bundled_dir();
    let mut g = c.benchmark_group("compile");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(5));
    let bundled = policy::folder_sources(&dir).unwrap();
    g.bench_function("bundled_set", |b| {
        b.iter(|| black_box(compile_rules(black_box(&bundled)).unwrap()))
    });
    let base: Vec<(String, String)> = synth::BASE_FILES
        .iter()
        .map(|f| (f.to_string(), std::fs::read_to_string(dir.join(f)).unwrap()))
        .collect();
    for size in [100usize, 1_000, 10_000] {
        let set = synth::policy_set(size, &base);
        g.throughput(Throughput::Elements(size as u64));
        g.bench_with_input(BenchmarkId::new("generated", size), &set, |b, set| {
            b.iter(|| black_box(compile_rules(black_box(set)).unwrap()))
        });
    }
    g.finish();
}

criterion_group!(benches, workload, compile);
criterion_main!(benches);
