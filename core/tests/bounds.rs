//! Every bound is configurable and has a clear error: source size, bracket nesting, expression
//! depth, number of rules and files, list lengths, evaluation steps. And evaluation stays
//! linear: doubling a list or the rules doubles the steps (steps are counted, never timed).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use humiao_core::time::Date;
use humiao_core::{
    Diagnostic, EvalError, EvalOptions, EvaluateError, FactsOptions, LoadOptions, Policy, Severity,
    Source,
};
use humiao_grammar::ParseOptions;
use serde_json::{json, Value};

const HEAD: &str =
    "policy a \"a\"\nenum Actor { a }\nenum Action { b }\nfacts { discovered_at: DateTime }\n";

fn check(src: &str, opts: &LoadOptions) -> Vec<Diagnostic> {
    let (_, diags) = Policy::check_sources(&[Source::new("a.humiao", src)], opts);
    diags
        .into_iter()
        .filter(|d| d.severity == Severity::Error)
        .collect()
}

fn codes(diags: &[Diagnostic]) -> Vec<&'static str> {
    diags.iter().map(|d| d.code).collect()
}

fn policy(src: &str) -> Policy {
    Policy::from_sources(
        &[Source::new("a.humiao", format!("{HEAD}{src}"))],
        &LoadOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{:#?}", e.diagnostics))
}

fn as_of() -> Date {
    Date::parse("2026-03-01").unwrap()
}

fn with_time(mut facts: Value) -> Value {
    facts["discovered_at"] = json!("2026-03-01T10:00:00+08:00");
    facts
}

/// The exact number of steps a case takes: the least budget it decides within (a decision
/// succeeds exactly when its steps are at most `max_steps`).
fn steps(p: &Policy, facts: &Value) -> u64 {
    let fopts = FactsOptions::default();
    let ok = |budget: u64| {
        p.evaluate_json(
            facts,
            as_of(),
            &EvalOptions {
                max_steps: budget,
                ..EvalOptions::default()
            },
            &fopts,
        )
        .is_ok()
    };
    let (mut lo, mut hi) = (0u64, EvalOptions::default().max_steps);
    assert!(ok(hi), "the case decides within the default budget");
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if ok(mid) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    lo
}

#[test]
fn source_size_is_bounded() {
    let opts = LoadOptions {
        parse: ParseOptions {
            max_source_bytes: 100,
            ..ParseOptions::default()
        },
        ..LoadOptions::default()
    };
    let src = format!("{HEAD}# {}\n", "x".repeat(200));
    let d = check(&src, &opts);
    assert_eq!(codes(&d), ["E0002"], "{d:#?}");
    assert!(d[0].message.contains("100"), "{}", d[0].message);
    assert!(check(&src, &LoadOptions::default()).is_empty());
    assert_eq!(ParseOptions::default().max_source_bytes, 4 * 1024 * 1024);
}

#[test]
fn bracket_nesting_is_bounded() {
    let deep = |n: usize| {
        format!(
            "{HEAD}facts {{ x: Int? }}\nconclusion k: Bool\nrule r \"r\" cite \"c\" when {}x{} > 1 then conclude k = true\n",
            "(".repeat(n),
            ")".repeat(n)
        )
    };
    assert!(check(&deep(20), &LoadOptions::default()).is_empty());
    assert_eq!(codes(&check(&deep(40), &LoadOptions::default())), ["E0003"]);
    // Far past the limit: still one clear error, never a stack overflow.
    assert_eq!(
        codes(&check(&deep(1_000_000), &LoadOptions::default())),
        ["E0003"]
    );
    let tight = LoadOptions {
        parse: ParseOptions {
            max_nesting: 4,
            ..ParseOptions::default()
        },
        ..LoadOptions::default()
    };
    assert_eq!(codes(&check(&deep(5), &tight)), ["E0003"]);
    assert_eq!(ParseOptions::default().max_nesting, 32);
}

#[test]
fn expression_depth_is_bounded() {
    let chain = |n: usize| {
        format!(
            "{HEAD}facts {{ x: Bool? }}\nconclusion k: Bool\nrule r \"r\" cite \"c\" when {}x then conclude k = true\n",
            "not ".repeat(n)
        )
    };
    assert!(check(&chain(10), &LoadOptions::default()).is_empty());
    assert_eq!(
        codes(&check(&chain(200), &LoadOptions::default())),
        ["E0004"]
    );
    let tight = LoadOptions {
        parse: ParseOptions {
            max_expr_depth: 5,
            ..ParseOptions::default()
        },
        ..LoadOptions::default()
    };
    assert_eq!(codes(&check(&chain(10), &tight)), ["E0004"]);
    // Long `and` chains are flat lists: thousands of conditions stay shallow.
    let long_and: Vec<String> = (0..5000).map(|_| "x".to_string()).collect();
    let src = format!(
        "{HEAD}facts {{ x: Bool? }}\nconclusion k: Bool\nrule r \"r\" cite \"c\" when {} then conclude k = true\n",
        long_and.join(" and ")
    );
    assert!(check(&src, &LoadOptions::default()).is_empty());
    assert_eq!(ParseOptions::default().max_expr_depth, 128);
}

#[test]
fn number_of_rules_and_files_is_bounded() {
    let rules: String = (0..5)
        .map(|i| format!("rule r{i} \"r\" cite \"c\" priority {i} when x then conclude k = true\n"))
        .collect();
    let src = format!("{HEAD}facts {{ x: Bool? }}\nconclusion k: Bool\n{rules}");
    let opts = LoadOptions {
        max_rules: 4,
        ..LoadOptions::default()
    };
    let d = check(&src, &opts);
    assert_eq!(codes(&d), ["E0002"], "{d:#?}");
    assert!(d[0].message.contains("5 rules, more than the limit of 4"));
    assert!(check(&src, &LoadOptions::default()).is_empty());
    let files: Vec<Source> = (0..3)
        .map(|i| Source::new(format!("f{i}.humiao"), format!("policy f{i} \"f\"\n")))
        .collect();
    let opts = LoadOptions {
        max_files: 2,
        ..LoadOptions::default()
    };
    let (p, d) = Policy::check_sources(&files, &opts);
    assert!(p.is_none());
    assert_eq!(d[0].code, "E0002");
    assert!(d[0].message.contains("3 files, more than the limit of 2"));
    let defaults = LoadOptions::default();
    assert_eq!((defaults.max_rules, defaults.max_files), (100_000, 1_000));
}

#[test]
fn evaluation_steps_are_bounded_with_e0901() {
    let p = policy("facts { x: Bool? }\nconclusion k: Bool\nrule r \"r\" cite \"c\" when x then conclude k = true\n");
    let facts = with_time(json!({"x": true}));
    let n = steps(&p, &facts);
    assert!(n > 0);
    let r = p.evaluate_json(
        &facts,
        as_of(),
        &EvalOptions {
            max_steps: n - 1,
            ..EvalOptions::default()
        },
        &FactsOptions::default(),
    );
    match r {
        Err(EvaluateError::Eval(e @ EvalError::StepLimit(_))) => {
            assert_eq!(
                e.to_string(),
                format!("evaluation exceeded its budget of {} steps", n - 1)
            );
            assert!(e.message_zh().contains("上限"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(EvalOptions::default().max_steps, 10_000_000);
}

const LIST_POLICY: &str = "record P { x: Int?\n tag: Text? }\nfacts { ps: List<P> }\n\
conclusion k: Bool\nconclusion many: Bool\n\
rule r \"r\" cite \"c\" when any p in ps: p.x > 100 then conclude k = true\n\
rule s \"s\" cite \"c\" when (count p in ps where p.x > 1) > 3 and (all p in ps: p.x < 100) \
and (sum p in ps: p.x) > 5 then conclude many = true\n";

fn list_case(n: usize) -> Value {
    let items: Vec<Value> = (0..n)
        .map(|i| json!({"x": (i % 50) + 2, "tag": "t"}))
        .collect();
    with_time(json!({ "ps": items }))
}

#[test]
fn doubling_a_list_doubles_the_steps() {
    let p = policy(LIST_POLICY);
    let s: Vec<u64> = [0, 100, 200, 400, 800]
        .iter()
        .map(|&n| steps(&p, &list_case(n)))
        .collect();
    // Affine in the number of items, a + b·n: each doubling doubles the increment.
    let b = s[2] - s[1];
    assert!(b >= 100, "each item costs steps: {s:?}");
    assert_eq!(s[3] - s[2], 2 * b, "{s:?}");
    assert_eq!(s[4] - s[3], 4 * b, "{s:?}");
    assert!(s[1] <= 2 * b && s[0] < s[1], "{s:?}");
}

#[test]
fn doubling_the_rules_doubles_the_steps() {
    let rules = |n: usize| -> String {
        let mut src = String::from("facts { x: Int?\n y: Bool? }\n");
        for i in 0..n {
            src.push_str(&format!(
                "conclusion k{i}: Bool\nrule r{i} \"r\" cite \"c\" when x > 1 and (y or x < {i}) then conclude k{i} = true\n"
            ));
        }
        src
    };
    let facts = with_time(json!({"x": 7, "y": false}));
    let s: Vec<u64> = [10, 20, 40, 80]
        .iter()
        .map(|&n| steps(&policy(&rules(n)), &facts))
        .collect();
    // Affine in the number of rules, a + b·n: each doubling doubles the increment.
    let b = s[1] - s[0];
    assert!(b >= 10, "{s:?}");
    assert_eq!(s[2] - s[1], 2 * b, "{s:?}");
    assert_eq!(s[3] - s[2], 4 * b, "{s:?}");
}

#[test]
fn a_long_list_against_the_budget_ends_with_e0901_not_a_hang() {
    // Nested aggregates multiply: the budget, not the clock, ends them.
    let p = policy(
        "record P { x: Int? }\nfacts { ps: List<P> }\nconclusion k: Bool\n\
         rule r \"r\" cite \"c\" when any p in ps: (count q in ps where q.x == p.x) > 1 then conclude k = true\n",
    );
    let items: Vec<Value> = (0..10_000).map(|i| json!({ "x": i })).collect();
    let facts = with_time(json!({ "ps": items }));
    let r = p.evaluate_json(
        &facts,
        as_of(),
        &EvalOptions::default(),
        &FactsOptions::default(),
    );
    assert!(
        matches!(
            r,
            Err(EvaluateError::Eval(EvalError::StepLimit(10_000_000)))
        ),
        "{r:?}"
    );
}

#[test]
fn checking_many_rules_for_one_conclusion_stays_linear() {
    // Every rule sets `k` to its own value at one priority: each may conflict with the others.
    // One W0302 per rule, naming the first, not one per pair (which was n²/2 warnings).
    let n = 300;
    let rules: String = (0..n)
        .map(|i| format!("rule r{i} \"r\" cite \"c\" when x > {i} then conclude k = {i}\n"))
        .collect();
    let src = format!("{HEAD}facts {{ x: Int? }}\nconclusion k: Int\n{rules}");
    let (p, diags) =
        Policy::check_sources(&[Source::new("a.humiao", src)], &LoadOptions::default());
    assert!(p.is_some());
    let w: Vec<&Diagnostic> = diags.iter().filter(|d| d.code == "W0302").collect();
    assert_eq!(w.len(), n - 1);
    assert!(
        w[0].message.contains("rules `a.r0` and `a.r1`"),
        "{}",
        w[0].message
    );
    assert!(w[n - 2]
        .message
        .contains(&format!("rules `a.r0` and `a.r{}`", n - 1)));
}

#[test]
fn thousands_of_items_waiting_on_one_fact_are_listed_once_each() {
    // Building `missing` and the notes indexes instead of scanning (it was quadratic in the
    // items waiting on one fact and in the notes of fired rules).
    let n = 3000;
    let mut src = String::from("facts { x: Int?\n y: Bool? }\n");
    for i in 0..n {
        src.push_str(&format!(
            "conclusion k{i}: Bool\nrule r{i} \"r\" cite \"c\" when x > {i} then conclude k{i} = true\n\
             rule s{i} \"s\" cite \"c\" when y then note \"same note\"\n  note \"note {}\"\n",
            i % 10
        ));
    }
    let p = policy(&src);
    let d = p
        .evaluate_json(
            &with_time(json!({"y": true})),
            as_of(),
            &EvalOptions::default(),
            &FactsOptions::default(),
        )
        .unwrap();
    assert_eq!(d.missing.len(), 1);
    assert_eq!(d.missing[0].fact, "x");
    assert_eq!(d.missing[0].decides.len(), n);
    assert_eq!(d.undecided.len(), n);
    assert_eq!(d.notes.len(), 11, "{:?}", &d.notes[..3]);
}
