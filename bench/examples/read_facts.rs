//! callgrind driver: reads N workload lines with one reader. `read_facts one|two N`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use humiao_bench::policy;
use humiao_bench::workload::Workload;
use humiao_core::{FactsOptions, LoadOptions, Policy, Source};
use std::hint::black_box;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let which = args.get(1).cloned().unwrap_or_else(|| "one".into());
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(2000);
    let sources = policy::workload_sources(&policy::bundled_dir()).unwrap();
    let sources: Vec<Source> = sources
        .into_iter()
        .map(|(p, t)| Source::new(p, t))
        .collect();
    let p = Policy::from_sources(&sources, &LoadOptions::default()).unwrap();
    let lines: Vec<String> = Workload::cases(n)
        .iter()
        .map(|c| c.to_json_line())
        .collect();
    let o = FactsOptions::default();
    let mut ok = 0;
    for l in &lines {
        let r = match which.as_str() {
            "one" => p.load_facts_text(black_box(l), &o).is_ok(),
            "two" => p.load_facts_text_two_pass(black_box(l), &o).is_ok(),
            "typed" => typed(black_box(l)),
            _ => true,
        };
        ok += usize::from(black_box(r));
    }
    println!("{which}: {ok} of {n}");
}

#[inline(never)]
fn typed(l: &str) -> bool {
    serde_json::from_str::<humiao_bench::workload::Case>(l).is_ok()
}
