//! Profiling helper: evaluates the README sample case N times (`cargo run --release
//! --example eval_loop -- 100000`), for perf or callgrind.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use humiao_core::time::Date;
use humiao_core::{EvalOptions, FactsOptions, LoadOptions, Policy, Source};

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules");
    let mut sources = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        sources.push(Source::new(
            p.file_name().unwrap().to_string_lossy().to_string(),
            std::fs::read_to_string(&p).unwrap(),
        ));
    }
    let policy = Policy::from_sources(&sources, &LoadOptions::default()).unwrap();
    let text = std::fs::read_to_string(dir.join("../examples/case-school-girl.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let facts = policy.load_facts(&json, &FactsOptions::default()).unwrap();
    let as_of = Date::parse("2026-03-01").unwrap();
    let start = std::time::Instant::now();
    let mut bytes = 0;
    for _ in 0..n {
        bytes += policy
            .evaluate(&facts, as_of, &EvalOptions::default())
            .unwrap()
            .to_json()
            .len();
    }
    let el = start.elapsed();
    println!(
        "{n} decisions, {bytes} bytes, {:.2} µs/decision",
        el.as_secs_f64() * 1e6 / n as f64
    );
}
