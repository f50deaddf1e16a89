//! Stage 3: arbitrary bytes as a case's JSON facts against the bundled policy set (`rules/`,
//! loaded once). Never a panic; a decision is deterministic, its JSON round-trips through
//! serde, and the explained decision agrees with the plain one.
#![no_main]

use humiao_core::time::Date;
use humiao_core::{Decision, EvalOptions, EvaluateError, FactsOptions, Strictness};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let policy = humiao_fuzz::bundled_policy();
    let Some(as_of) = Date::from_ymd(2026, 3, 1) else {
        return;
    };
    let mut fopts = FactsOptions::default();
    // Unknown fields only: read again leniently (they become notes).
    if let Err(EvaluateError::Facts(e)) =
        policy.evaluate_text(text, as_of, &EvalOptions::default(), &fopts)
    {
        if e.iter().all(|x| x.code == "F0102") {
            fopts.strictness = Strictness::Lenient;
        }
    }
    let plain = policy.evaluate_text(text, as_of, &EvalOptions::default(), &fopts);
    let explained = policy.evaluate_text(
        text,
        as_of,
        &EvalOptions {
            explain: true,
            ..EvalOptions::default()
        },
        &fopts,
    );
    match (plain, explained) {
        (Ok(a), Ok(b)) => {
            let json = a.to_json();
            let again = policy
                .evaluate_text(text, as_of, &EvalOptions::default(), &fopts)
                .map(|d| d.to_json())
                .ok();
            assert_eq!(
                again.as_deref(),
                Some(json.as_str()),
                "same facts, same bytes"
            );
            let back: Decision = serde_json::from_str(&json).expect("decision JSON parses back");
            assert_eq!(back.to_json(), json, "decision JSON round trip");
            let bj = b.to_json();
            let back: Decision = serde_json::from_str(&bj).expect("explained JSON parses back");
            assert_eq!(back.to_json(), bj, "explained decision JSON round trip");
            assert_eq!(a.status, b.status);
            assert_eq!(a.fired, b.fired);
            assert_eq!(a.conclusions, b.conclusions);
        }
        (Err(EvaluateError::Facts(e)), Err(EvaluateError::Facts(f))) => {
            assert!(!e.is_empty(), "a facts failure names at least one problem");
            assert_eq!(e, f, "facts errors do not depend on explain");
            for x in &e {
                assert!(!x.path.is_empty() && !x.message.is_empty() && !x.message_zh.is_empty());
            }
        }
        (Err(EvaluateError::Eval(_)), _) | (_, Err(EvaluateError::Eval(_))) => {}
        (a, b) => panic!(
            "explain changed the outcome: {:?} vs {:?}",
            a.is_ok(),
            b.is_ok()
        ),
    }
});
