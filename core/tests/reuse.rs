//! `Policy::evaluate` keeps the evaluator's buffers on the thread between calls. Those buffers
//! are sized for whichever policy used them last: evaluating two policies of different sizes
//! in turn on one thread, and cases that end determined, undetermined and in error in turn,
//! must give exactly what a fresh evaluator (`evaluate_reference`) gives.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use humiao_core::time::Date;
use humiao_core::{EvalOptions, FactsOptions, LoadOptions, Policy, Source};
use std::path::Path;

fn from_dir(dir: &Path) -> Policy {
    let mut sources = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().to_string();
        if name.ends_with(".humiao") || name.ends_with(".toml") || name.ends_with(".csv") {
            let text = std::fs::read_to_string(dir.join(&name)).unwrap();
            sources.push(Source::new(name, text));
        }
    }
    Policy::from_sources(&sources, &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{:#?}", e.diagnostics))
}

#[test]
fn buffers_kept_between_calls_change_no_decision() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let bundled = from_dir(&root.join("rules"));
    let sample = from_dir(&root.join("tests/sample"));
    assert_ne!(
        bundled.program.rules.len(),
        sample.program.rules.len(),
        "the two policies should differ in size"
    );
    let mut cases = Vec::new();
    for e in std::fs::read_dir(root.join("tests/conformance")).unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_some_and(|x| x == "json") {
            let case: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            cases.push((
                case["facts"].clone(),
                Date::parse(case["as_of"].as_str().unwrap()).unwrap(),
            ));
        }
    }
    assert!(cases.len() >= 100, "{}", cases.len());
    let sample_facts = serde_json::json!({"discovered_at": "2026-03-01T10:00+08:00"});
    let explain = EvalOptions {
        explain: true,
        ..EvalOptions::default()
    };
    let tight = EvalOptions {
        max_steps: 3,
        ..EvalOptions::default()
    };
    let mut statuses = std::collections::BTreeSet::new();
    for (facts, as_of) in &cases {
        for opts in [&EvalOptions::default(), &explain, &tight] {
            let f = bundled.load_facts(facts, &FactsOptions::default()).unwrap();
            let got = bundled.evaluate(&f, *as_of, opts);
            let want = bundled.evaluate_reference(&f, *as_of, opts);
            match (&got, &want) {
                (Ok(g), Ok(w)) => {
                    assert_eq!(g, w, "{facts}");
                    statuses.insert(format!("{:?}", g.status));
                }
                (Err(g), Err(w)) => {
                    assert_eq!(g.to_string(), w.to_string());
                    statuses.insert("error".to_string());
                }
                _ => panic!("{facts}: {got:?} against {want:?}"),
            }
            // The other policy in between, with its own sizes.
            let sf = sample
                .load_facts(&sample_facts, &FactsOptions::default())
                .unwrap();
            let as_of = Date::parse("2026-03-02").unwrap();
            assert_eq!(
                sample.evaluate(&sf, as_of, opts).map_err(|e| e.to_string()),
                sample
                    .evaluate_reference(&sf, as_of, opts)
                    .map_err(|e| e.to_string())
            );
        }
    }
    // Determined, undetermined and stopped by the step budget all came through.
    assert!(statuses.len() >= 3, "{statuses:?}");
}
