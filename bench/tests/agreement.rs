//! The baselines and humiao keep answering alike, and the generated policies keep compiling:
//! a small slice of what the benchmark checks before it times anything.
#![allow(clippy::unwrap_used, clippy::panic)]

use humiao_bench::engines::humiao::{compile_rules, Humiao};
use humiao_bench::workload::{Workload, AS_OF};
use humiao_bench::{agreement, policy, synth};

#[test]
fn every_baseline_agrees_with_humiao_on_2000_cases() {
    // The benchmark checks every case, and humiao's JSON-line path too; this keeps the test
    // under two seconds in a debug build.
    let sources = policy::workload_sources(&policy::bundled_dir()).unwrap();
    let humiao = Humiao::new(&sources, AS_OF).unwrap();
    let cases = Workload::cases(2_000);
    let checked = agreement::check_answers(&humiao, &cases).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(checked, 2_000);
}

#[test]
fn a_generated_policy_compiles_with_all_its_rules() {
    let dir = policy::bundled_dir();
    let base: Vec<(String, String)> = synth::BASE_FILES
        .iter()
        .map(|f| (f.to_string(), std::fs::read_to_string(dir.join(f)).unwrap()))
        .collect();
    let set = synth::policy_set(250, &base);
    let with_base = compile_rules(&set).unwrap();
    let mut only_base = base.clone();
    only_base.push((
        "humiao.toml".into(),
        "name = \"b\"\nversion = \"1\"\n".into(),
    ));
    assert_eq!(with_base - compile_rules(&only_base).unwrap(), 250);
}
