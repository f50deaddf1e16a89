//! Three-valued logic: random boolean expressions over facts that may be absent are written
//! in the policy language, evaluated by the engine, and compared with a reference Kleene
//! evaluator. Also checks the laws (De Morgan, double negation, absorption…) on all inputs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use humiao_core::time::Date;
use humiao_core::{EvalOptions, FactsOptions, LoadOptions, Policy, Source};
use proptest::prelude::*;
use serde_json::json;

#[derive(Clone, Debug)]
enum B {
    Var(usize),
    Not(Box<B>),
    And(Box<B>, Box<B>),
    Or(Box<B>, Box<B>),
}

const VARS: [&str; 3] = ["x.a", "x.b", "x.c"];

fn text(e: &B) -> String {
    match e {
        B::Var(i) => VARS[*i].to_string(),
        B::Not(x) => format!("not ({})", text(x)),
        B::And(a, b) => format!("({}) and ({})", text(a), text(b)),
        B::Or(a, b) => format!("({}) or ({})", text(a), text(b)),
    }
}

/// Reference Kleene logic: None is unknown.
fn kleene(e: &B, env: &[Option<bool>; 3]) -> Option<bool> {
    match e {
        B::Var(i) => env[*i],
        B::Not(x) => kleene(x, env).map(|v| !v),
        B::And(a, b) => match (kleene(a, env), kleene(b, env)) {
            (Some(false), _) | (_, Some(false)) => Some(false),
            (Some(true), Some(true)) => Some(true),
            _ => None,
        },
        B::Or(a, b) => match (kleene(a, env), kleene(b, env)) {
            (Some(true), _) | (_, Some(true)) => Some(true),
            (Some(false), Some(false)) => Some(false),
            _ => None,
        },
    }
}

fn expr() -> impl Strategy<Value = B> {
    let leaf = (0usize..3).prop_map(B::Var);
    leaf.prop_recursive(5, 24, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|x| B::Not(Box::new(x))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| B::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner).prop_map(|(a, b)| B::Or(Box::new(a), Box::new(b))),
        ]
    })
}

fn policy_for(exprs: &[String]) -> Policy {
    let mut src =
        String::from("policy k \"kleene\"\nfacts x { a: Bool? \n b: Bool? \n c: Bool? }\n");
    for (i, e) in exprs.iter().enumerate() {
        src.push_str(&format!(
            "conclusion k.e{i}: Bool\nrule r{i} \"r\" cite \"test\" then conclude k.e{i} = {e}\n"
        ));
    }
    Policy::from_sources(&[Source::new("k.humiao", src)], &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{:?}", e.diagnostics))
}

fn eval(p: &Policy, env: &[Option<bool>; 3], n: usize) -> Vec<Option<bool>> {
    let mut x = serde_json::Map::new();
    for (i, v) in env.iter().enumerate() {
        if let Some(b) = v {
            x.insert(["a", "b", "c"][i].to_string(), json!(b));
        }
    }
    let d = p
        .evaluate_json(
            &json!({"x": x}),
            Date::parse("2026-01-01").unwrap(),
            &EvalOptions::default(),
            &FactsOptions::default(),
        )
        .unwrap();
    (0..n)
        .map(|i| {
            let key = format!("k.e{i}");
            match d.conclusions.get(&key) {
                Some(serde_json::Value::Bool(b)) => Some(*b),
                None => {
                    assert!(
                        d.undecided.contains(&key),
                        "{key} neither decided nor undecided"
                    );
                    None
                }
                Some(other) => panic!("{other}"),
            }
        })
        .collect()
}

fn envs() -> Vec<[Option<bool>; 3]> {
    let vals = [Some(true), Some(false), None];
    let mut out = Vec::new();
    for a in vals {
        for b in vals {
            for c in vals {
                out.push([a, b, c]);
            }
        }
    }
    out
}

#[test]
fn truth_tables_and_laws_on_all_27_inputs() {
    let laws = [
        ("x.a and x.b", "x.b and x.a"),
        ("x.a or x.b", "x.b or x.a"),
        ("not (x.a and x.b)", "not x.a or not x.b"),
        ("not (x.a or x.b)", "not x.a and not x.b"),
        ("not not x.a", "x.a"),
        ("x.a and (x.a or x.b)", "x.a"),
        ("x.a or (x.a and x.b)", "x.a"),
        ("x.a and (x.b or x.c)", "(x.a and x.b) or (x.a and x.c)"),
        ("x.a or (x.b and x.c)", "(x.a or x.b) and (x.a or x.c)"),
        ("x.a and true", "x.a"),
        ("x.a or false", "x.a"),
        ("x.a and false", "false"),
        ("x.a or true", "true"),
    ];
    let exprs: Vec<String> = laws
        .iter()
        .flat_map(|(l, r)| [l.to_string(), r.to_string()])
        .collect();
    let p = policy_for(&exprs);
    for env in envs() {
        let got = eval(&p, &env, exprs.len());
        for (i, (l, r)) in laws.iter().enumerate() {
            assert_eq!(got[2 * i], got[2 * i + 1], "{l}  vs  {r}  at {env:?}");
        }
    }
    // The tables themselves: `and` is false if either side is false, `or` true if either is true.
    let p = policy_for(&["x.a and x.b".into(), "x.a or x.b".into(), "not x.a".into()]);
    for env in envs() {
        let got = eval(&p, &env, 3);
        let (a, b) = (env[0], env[1]);
        let and = match (a, b) {
            (Some(false), _) | (_, Some(false)) => Some(false),
            (Some(true), Some(true)) => Some(true),
            _ => None,
        };
        let or = match (a, b) {
            (Some(true), _) | (_, Some(true)) => Some(true),
            (Some(false), Some(false)) => Some(false),
            _ => None,
        };
        assert_eq!(got, vec![and, or, a.map(|v| !v)], "{env:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Any expression the language can write evaluates as Kleene's logic says, on every input.
    #[test]
    fn random_expressions_follow_kleene(es in proptest::collection::vec(expr(), 1..6)) {
        let texts: Vec<String> = es.iter().map(text).collect();
        let p = policy_for(&texts);
        for env in envs() {
            let got = eval(&p, &env, es.len());
            for (i, e) in es.iter().enumerate() {
                prop_assert_eq!(got[i], kleene(e, &env), "{} at {:?}", texts[i], env);
            }
        }
    }
}
