//! Runs the whole conformance corpus through the Rust core and checks every expectation.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use humiao_conformance::{assertion_count, check, load_cases, rules_dir};
use humiao_core::time::Date;
use humiao_core::{EvalOptions, FactsOptions, LoadOptions, Policy};

#[test]
fn corpus_passes_on_the_core() {
    let sources = humiao_cli::load::read_policy_dir(&rules_dir()).expect("rules/ loads");
    let cases = load_cases().expect("corpus loads");
    assert!(!cases.is_empty(), "the conformance corpus is empty");
    let mut failures = Vec::new();
    for c in &cases {
        assert!(
            assertion_count(&c.expect) > 0,
            "{} asserts nothing",
            c.file.display()
        );
        let opts = LoadOptions {
            params: c.params.clone(),
            ..LoadOptions::default()
        };
        let policy = Policy::from_sources(&sources, &opts).expect("policy loads");
        let as_of = Date::parse(&c.as_of).expect("as_of");
        match policy.evaluate_json(
            &c.facts,
            as_of,
            &EvalOptions::default(),
            &FactsOptions::default(),
        ) {
            Ok(d) => {
                for m in check(&d, &c.expect) {
                    failures.push(format!(
                        "{} ({}): {m}",
                        c.file.file_name().unwrap().to_string_lossy(),
                        c.name
                    ));
                }
            }
            Err(e) => failures.push(format!("{}: evaluation failed: {e:?}", c.file.display())),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn decisions_are_deterministic_and_round_trip() {
    let sources = humiao_cli::load::read_policy_dir(&rules_dir()).expect("rules/ loads");
    let policy = Policy::from_sources(&sources, &LoadOptions::default()).expect("policy loads");
    for c in load_cases().expect("corpus") {
        let as_of = Date::parse(&c.as_of).expect("as_of");
        let Ok(a) = policy.evaluate_json(
            &c.facts,
            as_of,
            &EvalOptions {
                explain: true,
                ..Default::default()
            },
            &FactsOptions::default(),
        ) else {
            continue;
        };
        let b = policy
            .evaluate_json(
                &c.facts,
                as_of,
                &EvalOptions {
                    explain: true,
                    ..Default::default()
                },
                &FactsOptions::default(),
            )
            .expect("again");
        assert_eq!(a.to_json(), b.to_json(), "{}", c.file.display());
        let back: humiao_core::Decision =
            serde_json::from_str(&a.to_json()).expect("decision JSON parses back");
        assert_eq!(
            back.to_json(),
            a.to_json(),
            "{}: JSON round trip",
            c.file.display()
        );
    }
}
