//! The fast path of evaluation against the reference evaluator: the same decision, byte for
//! byte, on the conformance corpus and on cases generated from the bundled set's schema —
//! with and without explanations, with tight step budgets, and with params overridden. Each
//! test also counts how many cases the fast path decided on its own, so it cannot pass by
//! always falling back.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use humiao_conformance::{load_cases, rules_dir};
use humiao_core::model::{Schema, Type};
use humiao_core::time::Date;
use humiao_core::{EvalOptions, FactsOptions, LoadOptions, Outcome, Policy, Status};
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use std::sync::OnceLock;

fn policy() -> &'static Policy {
    static P: OnceLock<Policy> = OnceLock::new();
    P.get_or_init(|| {
        let sources = humiao_cli::load::read_policy_dir(&rules_dir()).unwrap();
        Policy::from_sources(&sources, &LoadOptions::default()).unwrap()
    })
}

thread_local! {
    /// One outcome for every case of a thread, so reusing its buffers is tested too.
    static OUTCOME: std::cell::RefCell<Outcome> = std::cell::RefCell::new(Outcome::new());
}

/// `evaluate_outcome` gives the decision's conclusions and fired rules.
fn outcome_agrees(p: &Policy, loaded: &humiao_core::Facts, as_of: Date, opts: &EvalOptions) {
    let reference = p.evaluate_reference(loaded, as_of, opts);
    OUTCOME.with(|o| {
        let mut o = o.borrow_mut();
        let r = p.evaluate_outcome(loaded, as_of, opts, &mut o);
        // The outcome does part of a decision's work (no due times, no explanation): a
        // budget that stops it stops the decision too, not always the other way round.
        let d = match (reference, r) {
            (Ok(d), Ok(())) => d,
            (Err(_), _) => return,
            (Ok(_), Err(e)) => panic!("the outcome stopped ({e}) where the decision did not"),
        };
        if d.status == Status::Determined {
            assert!(o.settled());
        }
        if !o.settled() {
            assert!(d.status != Status::Determined);
            return;
        }
        for (i, c) in p.program.conclusions.iter().enumerate() {
            assert_eq!(p.conclusion_index(&c.key), Some(i));
            let v = o.conclusion(i).expect("settled");
            let want = d
                .conclusions
                .0
                .iter()
                .find(|(k, _)| *k == c.key)
                .map(|x| &x.1);
            if v.is_known() {
                assert_eq!(Some(&p.schema.to_json(&c.ty, v)), want, "{}", c.key);
            } else {
                assert_eq!(want, None, "{}", c.key);
            }
        }
        let fired: Vec<&String> = p
            .program
            .rules
            .iter()
            .enumerate()
            .filter(|(i, _)| o.fired(*i))
            .map(|(_, r)| &r.id)
            .collect();
        assert_eq!(fired, d.fired.iter().collect::<Vec<_>>());
    });
}

/// Both paths, as JSON text (or the error). Returns whether the fast path decided alone.
fn compare(p: &Policy, facts: &Value, as_of: Date, opts: &EvalOptions) -> bool {
    let loaded = match p.load_facts(facts, &FactsOptions::default()) {
        Ok(f) => f,
        Err(_) => return false,
    };
    outcome_agrees(p, &loaded, as_of, opts);
    let reference = p
        .evaluate_reference(&loaded, as_of, opts)
        .map(|d| d.to_json());
    let full = p.evaluate(&loaded, as_of, opts).map(|d| d.to_json());
    assert_eq!(
        full, reference,
        "evaluate differs from the reference: {facts}"
    );
    match p.evaluate_fast(&loaded, as_of, opts) {
        Some(fast) => {
            assert_eq!(
                fast.map(|d| d.to_json()),
                reference,
                "the fast path differs from the reference: {facts}"
            );
            true
        }
        None => false,
    }
}

#[test]
fn the_corpus_gives_the_reference_decisions() {
    let sources = humiao_cli::load::read_policy_dir(&rules_dir()).unwrap();
    let cases = load_cases().unwrap();
    let mut fast = 0;
    for c in &cases {
        let opts = LoadOptions {
            params: c.params.clone(),
            ..LoadOptions::default()
        };
        let p = Policy::from_sources(&sources, &opts).unwrap();
        let as_of = Date::parse(&c.as_of).unwrap();
        for explain in [false, true] {
            let o = EvalOptions {
                explain,
                ..EvalOptions::default()
            };
            if compare(&p, &c.facts, as_of, &o) {
                fast += 1;
            }
        }
    }
    eprintln!(
        "corpus: the fast path decided {fast} of {} evaluations",
        cases.len() * 2
    );
    // Most corpus cases are decided; the fast path must take a good share of them itself.
    assert!(
        fast >= cases.len() / 2,
        "the fast path decided only {fast} of {} evaluations",
        cases.len() * 2
    );
}

#[test]
fn a_budget_too_small_for_the_reference_is_too_small_for_both() {
    let p = policy();
    let facts = json!({
        "discovered_at": "2026-03-01T10:00:00+08:00",
        "reporter": {"org_type": "school", "in_course_of_work": true},
        "minor": {"age": 9, "sex": "female"},
        "indicators": {"sexual_assault": true}
    });
    let loaded = p.load_facts(&facts, &FactsOptions::default()).unwrap();
    let as_of = Date::parse("2026-03-01").unwrap();
    // The least budget the reference evaluator decides within, found by bisection.
    let decides = |n: u64| {
        let o = EvalOptions {
            max_steps: n,
            ..EvalOptions::default()
        };
        p.evaluate_reference(&loaded, as_of, &o).is_ok()
    };
    let (mut lo, mut hi) = (0u64, 1_000_000u64);
    assert!(decides(hi));
    while lo + 1 < hi {
        let mid = (lo + hi) / 2;
        if decides(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    for n in [lo.saturating_sub(10), lo, hi, hi + 10, 10_000_000] {
        let o = EvalOptions {
            max_steps: n,
            ..EvalOptions::default()
        };
        let a = p.evaluate(&loaded, as_of, &o).map(|d| d.to_json());
        let b = p
            .evaluate_reference(&loaded, as_of, &o)
            .map(|d| d.to_json());
        assert_eq!(a, b, "budget {n}");
    }
    assert!(p
        .evaluate(
            &loaded,
            as_of,
            &EvalOptions {
                max_steps: lo,
                ..EvalOptions::default()
            }
        )
        .is_err());
}

// ------------------------------------------------------------------ generated cases

/// SplitMix64: the generator's only source of choices, seeded by proptest.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }
}

fn value(schema: &Schema, ty: &Type, range: Option<(i64, i64)>, r: &mut Rng) -> Value {
    match ty {
        Type::Bool => json!(r.chance(1, 3)),
        Type::Int => match range {
            Some((lo, hi)) => {
                let top = hi.min(lo + 24);
                json!(lo + r.below((top - lo + 1) as u64) as i64)
            }
            None => json!(r.below(30)),
        },
        Type::Decimal => json!(r.below(100_000) as f64 / 100.0),
        Type::Text => json!(format!("t{}", r.below(100))),
        Type::Date => json!(format!(
            "{}-{:02}-{:02}",
            2004 + r.below(23),
            1 + r.below(12),
            1 + r.below(28)
        )),
        Type::DateTime => json!(format!(
            "2026-0{}-{:02}T{:02}:{:02}:00+08:00",
            1 + r.below(3),
            1 + r.below(28),
            r.below(24),
            r.below(60)
        )),
        Type::Duration => {
            let unit = ["hours", "days", "working days", "months", "years"][r.below(5) as usize];
            json!(format!("{} {unit}", 1 + r.below(48)))
        }
        Type::Enum(id) => {
            let e = schema.enum_def(*id).unwrap();
            json!(e.variants[r.below(e.variants.len() as u64) as usize])
        }
        Type::Set(id) => {
            let e = schema.enum_def(*id).unwrap();
            let picked: Vec<&String> = e.variants.iter().filter(|_| r.chance(1, 4)).collect();
            json!(picked)
        }
        Type::List(rid) | Type::Record(rid) => {
            let rec = schema.record_def(*rid).unwrap();
            let item = |r: &mut Rng| {
                let mut m = Map::new();
                for f in &rec.fields {
                    if r.chance(7, 8) {
                        m.insert(f.name.clone(), value(schema, &f.ty, f.range, r));
                    }
                }
                Value::Object(m)
            };
            if matches!(ty, Type::Record(_)) {
                item(r)
            } else {
                let n = r.below(4);
                Value::Array((0..n).map(|_| item(r)).collect())
            }
        }
        Type::ValueSet(_) => Value::Null,
    }
}

fn insert(root: &mut Map<String, Value>, path: &str, v: Value) {
    let mut segs: Vec<&str> = path.split('.').collect();
    let last = segs.pop().unwrap();
    let mut cur = root;
    for s in segs {
        cur = cur
            .entry(s.to_string())
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
            .unwrap();
    }
    cur.insert(last.to_string(), v);
}

/// A case: each optional section present or not, each fact given with the given chance (in
/// 16ths), so some cases are fully decided and some are not.
fn generate(seed: u64, given: u64) -> Value {
    let schema = &policy().schema;
    let mut r = Rng(seed);
    let present: Vec<bool> = schema.sections.iter().map(|_| r.chance(1, 2)).collect();
    let mut root = Map::new();
    for f in &schema.facts {
        if f.section.is_some_and(|s| !present[s]) {
            continue;
        }
        if f.path == "discovered_at" || r.chance(given, 16) {
            insert(&mut root, &f.path, value(schema, &f.ty, f.range, &mut r));
        }
    }
    for (s, on) in schema.sections.iter().zip(&present) {
        if *on && !root.contains_key(&s.name) {
            insert(&mut root, &s.name, json!({}));
        }
    }
    Value::Object(root)
}

#[test]
fn generated_cases_give_the_reference_decisions() {
    let p = policy();
    let as_of = Date::parse("2026-03-01").unwrap();
    let mut fast = 0;
    let n = 600u64;
    for seed in 0..n {
        let facts = generate(seed, 12 + seed % 5);
        if compare(p, &facts, as_of, &EvalOptions::default()) {
            fast += 1;
        }
    }
    eprintln!("generated: the fast path decided {fast} of {n} cases");
    assert!(fast >= n / 5, "the fast path decided {fast} of {n} cases");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn fast_and_reference_agree(
        seed in any::<u64>(),
        given in 8u64..=16,
        explain in any::<bool>(),
        budget in prop_oneof![Just(10_000_000u64), 0u64..400],
    ) {
        let p = policy();
        let facts = generate(seed, given);
        let opts = EvalOptions { explain, max_steps: budget, ..EvalOptions::default() };
        compare(p, &facts, Date::parse("2026-03-01").unwrap(), &opts);
    }
}
