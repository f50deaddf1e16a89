//! Stage 3: arbitrary bytes as a case's JSON facts against the bundled policy set (`rules/`,
//! loaded once). Never a panic; a decision is deterministic, its JSON round-trips through
//! serde, the explained decision agrees with the plain one, the fast path agrees with the
//! reference evaluator (decision bytes, and the conclusions of `evaluate_outcome`), the
//! one-pass facts reader agrees with the two-pass reader (facts, notes, errors), and the
//! direct writer (`evaluate_json_into`) gives `to_json`'s bytes, plain and explained, as does
//! `evaluate_text_into` with buffers kept from the inputs before; `evaluate_batch` gives the
//! case, alone and beside copies of itself, `evaluate_outcome`'s outcome.
#![no_main]

use humiao_core::time::Date;
use humiao_core::{
    BatchOutcome, Decision, DecisionBuffers, EvalOptions, EvaluateError, Facts, FactsOptions, Outcome, Strictness,
};
use libfuzzer_sys::fuzz_target;

thread_local! {
    /// Buffers kept from one input to the next, as a batch keeps them from line to line.
    static REUSED: std::cell::RefCell<DecisionBuffers> = std::cell::RefCell::new(DecisionBuffers::new());
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let policy = humiao_fuzz::bundled_policy();
    let Some(as_of) = Date::from_ymd(2026, 3, 1) else {
        return;
    };
    // The one-pass facts reader against the two-pass reader: it answers only where the
    // two-pass reader finds no problem, with the same facts; `load_facts_text` gives the
    // two-pass reader's facts or errors, byte for byte.
    for strictness in [Strictness::Strict, Strictness::Lenient] {
        let o = FactsOptions {
            strictness,
            ..FactsOptions::default()
        };
        let two = policy.load_facts_text_two_pass(text, &o);
        let same = |a: &Facts, b: &Facts| {
            assert_eq!(a.slots(), b.slots(), "one pass vs two: slots");
            assert_eq!(a.sections, b.sections, "one pass vs two: sections");
            assert_eq!(a.case_id, b.case_id, "one pass vs two: case id");
            assert_eq!(a.notes, b.notes, "one pass vs two: notes");
        };
        if let Some(one) = policy.load_facts_text_one_pass(text, &o) {
            same(
                two.as_ref()
                    .expect("one pass accepts only what two passes accept"),
                &one,
            );
        }
        match (two, policy.load_facts_text(text, &o)) {
            (Ok(a), Ok(b)) => same(&a, &b),
            (Err(a), Err(b)) => assert_eq!(a, b, "one pass vs two: errors"),
            (a, b) => panic!("one pass vs two: {:?} vs {:?}", a.is_ok(), b.is_ok()),
        }
    }
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
            // A trace read back owns its texts; it is equal to the one that shares the policy's.
            assert_eq!(back, b, "explained decision read back equal");
            assert_eq!(back.trace.as_ref().map(|t| t.len()), b.trace.as_ref().map(|t| t.len()));
            assert_eq!(a.status, b.status);
            assert_eq!(a.fired, b.fired);
            assert_eq!(a.conclusions, b.conclusions);
            // The fast path against the reference evaluator.
            if let Ok(facts) = policy.load_facts_text(text, &fopts) {
                let opts = EvalOptions::default();
                let reference = policy
                    .evaluate_reference(&facts, as_of, &opts)
                    .map(|d| d.to_json());
                assert_eq!(reference.as_deref(), Ok(json.as_str()), "fast vs reference");
                // Explained too: after a fast run the trace reads the conditions through the
                // fast program.
                let reference = policy
                    .evaluate_reference(
                        &facts,
                        as_of,
                        &EvalOptions {
                            explain: true,
                            ..EvalOptions::default()
                        },
                    )
                    .map(|d| d.to_json());
                assert_eq!(
                    reference.as_deref(),
                    Ok(b.to_json().as_str()),
                    "explained, fast vs reference"
                );
                // Reading into buffers kept from earlier inputs gives the same bytes.
                REUSED.with(|bufs| {
                    let mut out = Vec::new();
                    policy
                        .evaluate_text_into(
                            text,
                            as_of,
                            &opts,
                            &fopts,
                            &mut bufs.borrow_mut(),
                            &mut out,
                        )
                        .expect("evaluate_text_into reads what load_facts_text reads");
                    assert_eq!(out, json.as_bytes(), "evaluate_text_into vs to_json");
                });
                // The direct writer against to_json, plain and explained.
                let mut bufs = DecisionBuffers::new();
                for (explain, want) in [(false, &json), (true, &bj)] {
                    let mut text = Vec::new();
                    let o = EvalOptions {
                        explain,
                        ..EvalOptions::default()
                    };
                    policy
                        .evaluate_json_into(&facts, as_of, &o, &mut bufs, &mut text)
                        .expect("evaluate_json_into stops where evaluate does not");
                    assert_eq!(text, want.as_bytes(), "evaluate_json_into vs to_json");
                }
                let mut out = Outcome::new();
                let outcome = policy.evaluate_outcome(&facts, as_of, &opts, &mut out);
                // In a block, alone and beside copies of itself: the same outcome.
                for n in [1, 3] {
                    let block = vec![facts.clone(); n];
                    let mut b = BatchOutcome::new();
                    policy.evaluate_batch(&block, as_of, &opts, &mut b);
                    for i in 0..n {
                        assert_eq!(b.error(i), outcome.as_ref().err(), "batch error");
                        assert_eq!(b.settled(i), out.settled(), "batch settled");
                        for ci in 0..policy.program.conclusions.len() {
                            assert_eq!(b.conclusion(i, ci), out.conclusion(ci).cloned());
                        }
                        for ri in 0..policy.program.rules.len() {
                            assert_eq!(b.rule_state_name(i, ri), out.rule_state_name(ri));
                        }
                    }
                }
                if outcome.is_ok() && out.settled() {
                    for (i, c) in policy.program.conclusions.iter().enumerate() {
                        let v = out.conclusion(i).expect("settled");
                        let want = a.conclusions.0.iter().find(|(k, _)| *k == c.key);
                        if v.is_known() {
                            assert_eq!(want.map(|x| &x.1), Some(&policy.schema.to_json(&c.ty, v)));
                        } else {
                            assert!(want.is_none(), "{}", c.key);
                        }
                    }
                }
            }
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
