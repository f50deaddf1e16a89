//! A policy set read back from `Policy::to_bytes` behaves byte for byte as the one compiled
//! from its sources: every conformance case (with its params, with and without explanations),
//! the in-file tests, plans, diagnostics and params, and random cases over the bundled set's
//! schema. The same for evaluation of a set read back from `Policy::to_evaluation_bytes` (what
//! the page's first decision reads).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use humiao_conformance::{load_cases, rules_dir};
use humiao_core::model::{Schema, Type};
use humiao_core::time::Date;
use humiao_core::{EvalOptions, FactsOptions, LoadOptions, Policy, Source};
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use std::sync::OnceLock;

fn sources() -> &'static [Source] {
    static S: OnceLock<Vec<Source>> = OnceLock::new();
    S.get_or_init(|| humiao_cli::load::read_policy_dir(&rules_dir()).expect("rules/ loads"))
}

/// The bundled set compiled from its sources, the same set read back from its bytes, and read
/// back from its evaluation bytes.
struct Three {
    compiled: Policy,
    read: Policy,
    evaluation: Policy,
}

fn three(params: &[(String, Value)]) -> Three {
    let (compiled, read) = pair(params);
    let bytes = compiled
        .to_evaluation_bytes()
        .expect("writes for evaluation");
    let evaluation = Policy::from_evaluation_bytes(&bytes).expect("reads evaluation bytes back");
    assert_eq!(
        evaluation.to_evaluation_bytes().expect("writes again"),
        bytes,
        "evaluation bytes differ"
    );
    Three {
        compiled,
        read,
        evaluation,
    }
}

/// The bundled set compiled from its sources, and the same set read back from its bytes.
fn pair(params: &[(String, Value)]) -> (Policy, Policy) {
    let opts = LoadOptions {
        params: params.to_vec(),
        ..LoadOptions::default()
    };
    let compiled = Policy::from_sources(sources(), &opts).expect("policy loads");
    let bytes = compiled.to_bytes().expect("writes");
    let read = Policy::from_bytes(&bytes).expect("reads back");
    // Nothing is lost: writing what was read gives the same bytes.
    assert_eq!(
        read.to_bytes().expect("writes again"),
        bytes,
        "bytes differ"
    );
    (compiled, read)
}

fn bundled_three() -> &'static Three {
    static P: OnceLock<Three> = OnceLock::new();
    P.get_or_init(|| three(&[]))
}

fn bundled() -> (&'static Policy, &'static Policy) {
    let t = bundled_three();
    (&t.compiled, &t.read)
}

/// The decision's JSON text, or the error's debug text.
fn outcome(p: &Policy, facts: &Value, as_of: Date, explain: bool) -> String {
    let opts = EvalOptions {
        explain,
        ..EvalOptions::default()
    };
    match p.evaluate_json(facts, as_of, &opts, &FactsOptions::default()) {
        Ok(d) => d.to_json(),
        Err(e) => format!("error: {e:?}"),
    }
}

#[test]
fn every_conformance_case_decides_the_same_from_bytes() {
    let cases = load_cases().expect("corpus loads");
    assert!(!cases.is_empty(), "the conformance corpus is empty");
    for c in &cases {
        let owned;
        let t = if c.params.is_empty() {
            bundled_three()
        } else {
            owned = three(&c.params);
            &owned
        };
        let a = &t.compiled;
        let as_of = Date::parse(&c.as_of).expect("as_of");
        for (b, what) in [(&t.read, "bytes"), (&t.evaluation, "evaluation bytes")] {
            for explain in [false, true] {
                assert_eq!(
                    outcome(a, &c.facts, as_of, explain),
                    outcome(b, &c.facts, as_of, explain),
                    "{} (from {what}, explain: {explain})",
                    c.file.display()
                );
            }
            let text = c.facts.to_string();
            let fopts = FactsOptions::default();
            let eopts = EvalOptions::default();
            assert_eq!(
                a.evaluate_text(&text, as_of, &eopts, &fopts)
                    .map(|d| d.to_json())
                    .map_err(|e| format!("{e:?}")),
                b.evaluate_text(&text, as_of, &eopts, &fopts)
                    .map(|d| d.to_json())
                    .map_err(|e| format!("{e:?}")),
                "{} (from {what}, from text)",
                c.file.display()
            );
        }
    }
}

#[test]
fn tests_plans_diagnostics_and_params_are_the_same_from_bytes() {
    let (a, b) = bundled();
    assert_eq!(a.reference(), b.reference());
    assert_eq!(a.diagnostics, b.diagnostics);
    let params = |p: &Policy| {
        p.params()
            .iter()
            .map(|x| format!("{x:?}"))
            .collect::<Vec<_>>()
    };
    assert_eq!(params(a), params(b));
    let report = |p: &Policy| serde_json::to_string(&p.run_tests()).unwrap();
    assert_eq!(report(a), report(b));
    assert!(a.run_tests().failed == 0, "the bundled set's tests pass");
    assert_eq!(a.rotation_names(), b.rotation_names());
    for name in a.rotation_names() {
        let plan = |p: &Policy| {
            let (spec, roster) = p.rotation(&name).expect("rotation");
            let start = humiao_core::time::YearMonth::parse("2027-01").unwrap();
            humiao_core::plan::plan(&spec, &roster, start, 3, &[], &[])
                .map(|m| humiao_core::plan::to_json(&m))
                .map_err(|e| e.to_string())
        };
        assert_eq!(plan(a), plan(b), "{name}");
    }
    assert_eq!(
        a.data_file("yuexiu-roster.csv"),
        b.data_file("yuexiu-roster.csv")
    );
}

#[test]
fn the_sample_set_using_every_construct_round_trips() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample");
    let sources = humiao_cli::load::read_policy_dir(&dir).expect("sample loads");
    let a = Policy::from_sources(&sources, &LoadOptions::default()).expect("sample compiles");
    let bytes = a.to_bytes().expect("writes");
    let b = Policy::from_bytes(&bytes).expect("reads");
    assert_eq!(b.to_bytes().expect("writes again"), bytes);
    let report = |p: &Policy| serde_json::to_string(&p.run_tests()).unwrap();
    assert_eq!(report(&a), report(&b));
}

// ---------------------------------------------------------------- random cases

/// A JSON value for a fact of type `ty`: usually well typed, sometimes not (so facts errors
/// must match too), sometimes null.
fn value_of(schema: &Schema, ty: &Type, depth: u32) -> BoxedStrategy<Value> {
    let wrong = prop_oneof![
        Just(Value::Null),
        Just(json!("?")),
        Just(json!(-1)),
        Just(json!(true))
    ];
    let right: BoxedStrategy<Value> = match ty {
        Type::Bool => any::<bool>().prop_map(Value::from).boxed(),
        Type::Int => prop_oneof![0i64..20, -5i64..200, Just(i64::MAX)]
            .prop_map(Value::from)
            .boxed(),
        Type::Decimal => (0i64..1000, 0u32..100)
            .prop_map(|(i, f)| serde_json::from_str(&format!("{i}.{f:02}")).unwrap())
            .boxed(),
        Type::Text => "[a-z0-9 ]{0,6}".prop_map(Value::from).boxed(),
        Type::Date => (2000i32..2030, 1u32..13, 1u32..29)
            .prop_map(|(y, m, d)| json!(format!("{y:04}-{m:02}-{d:02}")))
            .boxed(),
        Type::DateTime => (2020i32..2028, 1u32..13, 1u32..29, 0u32..24, prop::bool::ANY)
            .prop_map(|(y, m, d, h, z)| {
                let off = if z { "+08:00" } else { "Z" };
                json!(format!("{y:04}-{m:02}-{d:02}T{h:02}:00:00{off}"))
            })
            .boxed(),
        Type::Duration => (
            1i64..30,
            prop::sample::select(vec!["days", "hours", "months"]),
        )
            .prop_map(|(n, u)| json!(format!("{n} {u}")))
            .boxed(),
        Type::Enum(id) => {
            let names = schema.enums[usize::from(*id)].variants.clone();
            prop::sample::select(names).prop_map(Value::from).boxed()
        }
        Type::Set(id) => {
            let names = schema.enums[usize::from(*id)].variants.clone();
            prop::sample::subsequence(names.clone(), 0..=names.len().min(4))
                .prop_map(|v| json!(v))
                .boxed()
        }
        Type::List(id) | Type::Record(id) if depth < 2 => {
            let rec = &schema.records[usize::from(*id)];
            let fields: Vec<(String, BoxedStrategy<Value>)> = rec
                .fields
                .iter()
                .map(|f| (f.name.clone(), value_of(schema, &f.ty, depth + 1)))
                .collect();
            let item = fields
                .into_iter()
                .map(|(n, s)| prop::option::of(s).prop_map(move |v| (n.clone(), v)))
                .collect::<Vec<_>>()
                .prop_map(|kvs| {
                    Value::Object(kvs.into_iter().filter_map(|(k, v)| Some((k, v?))).collect())
                });
            if matches!(ty, Type::List(_)) {
                prop::collection::vec(item, 0..3)
                    .prop_map(Value::Array)
                    .boxed()
            } else {
                item.boxed()
            }
        }
        _ => Just(Value::Null).boxed(),
    };
    prop_oneof![12 => right, 1 => wrong].boxed()
}

/// Random facts for the bundled set: each declared fact absent or given.
fn facts() -> BoxedStrategy<Value> {
    let schema = bundled().0.schema.clone();
    let leaves: Vec<BoxedStrategy<Option<(String, Value)>>> = schema
        .facts
        .iter()
        .map(|f| {
            let path = f.path.clone();
            prop::option::weighted(0.6, value_of(&schema, &f.ty, 0))
                .prop_map(move |v| v.map(|v| (path.clone(), v)))
                .boxed()
        })
        .collect();
    leaves
        .prop_map(|kvs| {
            let mut root = Map::new();
            for (path, v) in kvs.into_iter().flatten() {
                let segs: Vec<&str> = path.split('.').collect();
                let (last, dirs) = segs.split_last().unwrap();
                let mut m = &mut root;
                for s in dirs {
                    let e = m
                        .entry(s.to_string())
                        .or_insert_with(|| Value::Object(Map::new()));
                    if !e.is_object() {
                        *e = Value::Object(Map::new());
                    }
                    m = e.as_object_mut().unwrap();
                }
                m.insert(last.to_string(), v);
            }
            Value::Object(root)
        })
        .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn random_cases_decide_the_same_from_bytes(
        facts in facts(),
        day in 19_000i32..21_000,
        explain in any::<bool>(),
    ) {
        let t = bundled_three();
        let as_of = Date::from_days(day);
        let want = outcome(&t.compiled, &facts, as_of, explain);
        prop_assert_eq!(&want, &outcome(&t.read, &facts, as_of, explain));
        prop_assert_eq!(&want, &outcome(&t.evaluation, &facts, as_of, explain));
    }
}

/// FNV-1a, 64 bits: enough to notice a change.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A tripwire for the compiled form: bytes are read only by the engine and format version that
/// wrote them, so a type written into them must not change shape without a new format version.
#[test]
fn the_format_is_pinned() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample");
    let sources = humiao_cli::load::read_policy_dir(&dir).expect("sample loads");
    let p = Policy::from_sources(&sources, &LoadOptions::default()).expect("sample compiles");
    let bytes = p.to_bytes().expect("writes");
    let eval = p.to_evaluation_bytes().expect("writes for evaluation");
    let got = format!(
        "{} bytes, fnv {:016x}; evaluation: {} bytes, fnv {:016x}",
        bytes.len(),
        fnv(&bytes),
        eval.len(),
        fnv(&eval)
    );
    assert_eq!(
        got,
        "17071 bytes, fnv 4919e15b03edd12f; evaluation: 4417 bytes, fnv e4902bfb34b57552",
        "the compiled form of tests/sample changed. If a type that core/src/compiled.rs writes \
         changed shape (ir.rs, model.rs, the payload), bump FORMAT_VERSION there; then pin the new value here"
    );
}
