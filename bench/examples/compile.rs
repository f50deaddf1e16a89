//! Compiles one policy set over and over, for profiling `Policy::from_sources` alone.
//!
//! ```text
//! cargo build --release -p humiao-bench --example compile
//! target/release/examples/compile [--reps N] [--workload | --generated N] [--rules DIR]
//! valgrind --tool=callgrind --collect-atstart=no \
//!     --toggle-collect='humiao_bench::engines::humiao::compile_rules' \
//!     target/release/examples/compile --reps 1
//! ```
//!
//! Prints the rules compiled and the median and fastest wall time of `--reps` runs (after one
//! run outside the timing). Without `--workload` or `--generated`, the whole bundled set
//! (`rules/`: manifest, rules, roster), as the harness's first compile row.

use humiao_bench::engines::humiao::compile_rules;
use humiao_bench::{policy, synth, table};
use std::hint::black_box;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

const USAGE: &str = "usage: compile [--reps N] [--workload | --generated N] [--rules DIR]";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("compile: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let mut reps = 21usize;
    let mut rules = policy::bundled_dir();
    let mut workload = false;
    let mut generated: Option<usize> = None;
    let mut it = std::env::args().skip(1);
    let num = |v: Option<String>| -> Result<usize, String> {
        v.and_then(|s| s.replace('_', "").parse().ok())
            .ok_or_else(|| USAGE.to_string())
    };
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--reps" => reps = num(it.next())?,
            "--workload" => workload = true,
            "--generated" => generated = Some(num(it.next())?),
            "--rules" => rules = it.next().map(PathBuf::from).ok_or(USAGE)?,
            _ => return Err(USAGE.into()),
        }
    }
    let sources = if let Some(n) = generated {
        let base: Vec<(String, String)> = policy::workload_sources(&rules)?
            .into_iter()
            .filter(|(p, _)| synth::BASE_FILES.contains(&p.as_str()))
            .collect();
        synth::policy_set(n, &base)
    } else if workload {
        policy::workload_sources(&rules)?
    } else {
        policy::folder_sources(&rules)?
    };
    let nrules = compile_rules(&sources)?;
    let mut xs = Vec::with_capacity(reps);
    for _ in 0..reps {
        let t = Instant::now();
        black_box(compile_rules(black_box(&sources))?);
        xs.push(t.elapsed().as_nanos() as f64);
    }
    let min = xs.iter().copied().fold(f64::INFINITY, f64::min);
    println!(
        "{} files, {nrules} rules: median {} of {reps} runs, fastest {}",
        sources.len(),
        table::human_ns(table::median(xs)),
        table::human_ns(min)
    );
    Ok(())
}
