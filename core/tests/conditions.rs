//! Rule conditions on the fast path (its flat code and rule guards) against the reference
//! evaluator: random `when` conditions over every kind of leaf the flat code reads in place —
//! truth-valued facts that may be absent, enum facts against values and a set-valued param,
//! enum constants in that param and truth-valued params (operands whose value is fixed, folded
//! when the code is compiled, their params still marked used where they are read),
//! integer facts against constants and an integer param (in and out of the range the facts'
//! one-byte tags hold), truth-valued params, conclusions read as truth values, `is known`, a
//! set-valued conclusion's members and emptiness — nested in `and`, `or`, `any`, `not`. Every
//! case must give the reference evaluator's decision byte for byte (fired rules, conclusions,
//! `missing`, the params used), through `evaluate`, `evaluate_outcome` and
//! `evaluate_json_into`; and the fast path must decide alone every case with all its facts
//! given, so the test cannot pass by always falling back.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use humiao_core::time::Date;
use humiao_core::{
    DecisionBuffers, EvalOptions, FactsOptions, LoadOptions, Outcome, Policy, Source,
};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

#[derive(Clone, Debug)]
enum C {
    Leaf(&'static str),
    Not(Box<C>),
    And(Vec<C>),
    Or(Vec<C>),
    Any(Vec<C>),
}

/// Leaves over facts and params only (the rules that write the conclusions use these).
const BASE: &[&str] = &[
    "x.a",
    "x.b",
    "x.c",
    "x.a == true",
    "x.b != false",
    "x.k == red",
    "x.k != blue",
    "x.k in {red, green}",
    "x.k not in {blue}",
    "x.k in t.colors",
    "x.n < 3",
    "x.n >= t.limit",
    "x.n == 0",
    "x.n > 150",
    "x.a is known",
    "x.n is known",
    "x.k is known",
    "t.on",
    "t.off",
    "red in t.colors",
    "green in t.colors",
    "not (blue in t.colors)",
    "true",
    "false",
];

/// Leaves that read conclusions (settled before the rules that read them).
const TOP: &[&str] = &[
    "red in t.s",
    "green in t.s",
    "t.s is empty",
    "t.s is not empty",
    "t.f",
    "t.f is known",
    "not t.f",
];

fn text(c: &C) -> String {
    match c {
        C::Leaf(s) => format!("({s})"),
        C::Not(x) => format!("not {}", text(x)),
        C::And(v) => format!("({})", v.iter().map(text).collect::<Vec<_>>().join(" and ")),
        C::Or(v) => format!("({})", v.iter().map(text).collect::<Vec<_>>().join(" or ")),
        C::Any(v) => format!(
            "any {{{}}}",
            v.iter().map(text).collect::<Vec<_>>().join(", ")
        ),
    }
}

fn cond(leaves: &'static [&'static str]) -> impl Strategy<Value = C> {
    let leaf = proptest::sample::select(leaves).prop_map(C::Leaf);
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|x| C::Not(Box::new(x))),
            proptest::collection::vec(inner.clone(), 2..4).prop_map(C::And),
            proptest::collection::vec(inner.clone(), 2..4).prop_map(C::Or),
            proptest::collection::vec(inner, 2..4).prop_map(C::Any),
        ]
    })
}

/// A policy: the params are `@unconfirmed`, so a decision lists those its evaluation read
/// (`assumptions`), and a param read or not read shows in the bytes; three rules writing the conclusions from base conditions, then one rule per
/// top condition (each concluding its own `t.eI`), some of them exceptions to others.
fn policy(base: &[C], top: &[C]) -> Policy {
    let mut src = String::from(
        "policy t \"t\"\n\
         enum Color \"颜色\" {\n  red \"红\"\n  green \"绿\"\n  blue \"蓝\"\n}\n\
         facts x {\n  a: Bool?\n  b: Bool?\n  c: Bool?\n  n: Int?\n  k: Color?\n}\n\
         param t.limit: Int = 3\n  @unconfirmed \"l\"\n\
         param t.on: Bool = true\n  @unconfirmed \"on\"\n\
         param t.off: Bool = false\n  @unconfirmed \"off\"\n\
         param t.colors: Set<Color> = {red, blue}\n  @unconfirmed \"c\"\n\
         conclusion t.s: Set<Color> collect \"s\"\n\
         conclusion t.f: Bool \"f\"\n",
    );
    let writers = ["add red to t.s", "add green to t.s", "conclude t.f = true"];
    for (i, (c, w)) in base.iter().zip(writers).enumerate() {
        src.push_str(&format!(
            "rule w{i} \"w\"\n  cite \"t\"\n  when {}\n  then {w}\n",
            text(c)
        ));
    }
    for (i, c) in top.iter().enumerate() {
        src.push_str(&format!(
            "conclusion t.e{i}: Bool default false \"e\"\n\
             rule r{i} \"r\"\n  cite \"t\"\n  when {}\n  then conclude t.e{i} = true\n",
            text(c)
        ));
    }
    Policy::from_sources(
        &[Source::new("t.humiao", src.clone())],
        &LoadOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{src}\n{:?}", e.diagnostics))
}

/// Every combination of the facts is too many; a spread of them, including absent ones and
/// integers outside the range of the facts' tags.
fn cases() -> Vec<Value> {
    let bools = [Some(true), Some(false), None];
    let ks = [Some("red"), Some("green"), Some("blue"), None];
    let ns = [
        None,
        Some(0),
        Some(2),
        Some(3),
        Some(7),
        Some(-4),
        Some(200),
    ];
    let mut out = Vec::new();
    let mut i = 0usize;
    for a in bools {
        for b in bools {
            for c in bools {
                for k in ks {
                    // One integer per combination, turning through them all.
                    let n = ns[i % ns.len()];
                    i += 1;
                    let mut x = Map::new();
                    for (name, v) in [("a", a), ("b", b), ("c", c)] {
                        if let Some(v) = v {
                            x.insert(name.into(), json!(v));
                        }
                    }
                    if let Some(k) = k {
                        x.insert("k".into(), json!(k));
                    }
                    if let Some(n) = n {
                        x.insert("n".into(), json!(n));
                    }
                    out.push(json!({ "x": x }));
                }
            }
        }
    }
    out
}

fn check(p: &Policy) -> usize {
    let as_of = Date::parse("2026-01-01").unwrap();
    let opts = EvalOptions::default();
    let mut bufs = DecisionBuffers::default();
    let mut outcome = Outcome::new();
    let mut complete_cases = 0;
    let all = cases();
    for case in &all {
        let facts = p.load_facts(case, &FactsOptions::default()).unwrap();
        let reference = p
            .evaluate_reference(&facts, as_of, &opts)
            .unwrap()
            .to_json();
        let d = p.evaluate(&facts, as_of, &opts).unwrap().to_json();
        assert_eq!(d, reference, "evaluate, case {case}");
        let mut out = Vec::new();
        p.evaluate_json_into(&facts, as_of, &opts, &mut bufs, &mut out)
            .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            reference,
            "evaluate_json_into, case {case}"
        );
        // The text reader gives the same facts (tags included) as the tree reader.
        let text = p
            .load_facts_text(&case.to_string(), &FactsOptions::default())
            .unwrap();
        assert_eq!(
            p.evaluate(&text, as_of, &opts).unwrap().to_json(),
            reference,
            "text, case {case}"
        );
        p.evaluate_outcome(&facts, as_of, &opts, &mut outcome)
            .unwrap();
        let want: Value = serde_json::from_str(&reference).unwrap();
        if outcome.settled() {
            for (i, c) in p.program.conclusions.iter().enumerate() {
                let got = outcome
                    .conclusion(i)
                    .filter(|v| v.is_known())
                    .map(|v| p.schema.to_json(&c.ty, v));
                let expected = want["conclusions"].get(&c.key).filter(|v| !v.is_null());
                assert_eq!(got.as_ref(), expected, "{}, case {case}", c.key);
            }
        }
        // With every fact given, nothing is unknown: the fast path decides alone.
        let complete = case["x"].as_object().map_or(0, Map::len) == 5;
        if complete {
            complete_cases += 1;
            assert!(
                p.evaluate_fast(&facts, as_of, &opts).is_some(),
                "the fast path fell back on {case}"
            );
        }
    }
    complete_cases
}

#[test]
fn the_leaves_of_the_flat_code_agree_with_the_reference() {
    // Each leaf alone as a top condition, and as the guard of a conjunction after a pure
    // operand, so every instruction and every guard shape runs.
    let mut top: Vec<C> = BASE.iter().chain(TOP).map(|s| C::Leaf(s)).collect();
    top.push(C::And(vec![
        C::Leaf("x.n < 3"),
        C::Any(vec![C::Leaf("x.a"), C::Leaf("x.b")]),
        C::Leaf("t.on"),
    ]));
    top.push(C::And(vec![
        C::Leaf("t.on"),
        C::Leaf("x.a"),
        C::Leaf("x.k in t.colors"),
    ]));
    // Fixed operands around one that is not: folded away, deciding, or marking a param after
    // it (which only a case that gets that far may mark).
    for fixed in ["red in t.colors", "green in t.colors", "t.on", "t.off"] {
        for (a, b) in [(fixed, "x.a"), ("x.a", fixed)] {
            top.push(C::And(vec![C::Leaf(a), C::Leaf(b)]));
            top.push(C::Or(vec![C::Leaf(a), C::Leaf(b)]));
            top.push(C::Or(vec![
                C::And(vec![C::Leaf(a), C::Leaf("x.b")]),
                C::Leaf(b),
                C::Leaf("t.s is not empty"),
            ]));
        }
    }
    let base = [
        C::Or(vec![C::Leaf("x.a"), C::Leaf("x.k == red")]),
        C::And(vec![C::Leaf("x.b"), C::Leaf("x.n >= t.limit")]),
        C::Leaf("x.c"),
    ];
    let p = policy(&base, &top);
    assert!(check(&p) >= 20);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn random_conditions_give_the_reference_decisions(
        base in proptest::collection::vec(cond(BASE), 3),
        top in proptest::collection::vec(cond(&[
            "x.a", "x.b", "x.c", "x.k == red", "x.k in t.colors", "x.n < 3", "x.n >= t.limit",
            "x.n > 150", "x.a is known", "t.on", "t.off", "red in t.colors",
            "green in t.colors", "red in t.s", "t.s is empty",
            "t.s is not empty", "t.f", "t.f is known", "false",
        ]), 1..5),
    ) {
        let p = policy(&base, &top);
        check(&p);
    }
}
