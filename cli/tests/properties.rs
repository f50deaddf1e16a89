//! Properties over generated cases against the bundled set: the Decision JSON round-trips
//! through serde, decisions are deterministic, and the CLI (`eval --format jsonl`, spawned once
//! per batch) gives the very bytes the core gives. Cases are generated from the set's own facts
//! schema, so every fact (lists of records, sets, optional sections) is exercised; a few are
//! spoilt on purpose so error records are compared too. (Kleene's laws: core/tests/kleene.rs;
//! Python and wasm equality: their own suites.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use humiao_core::model::{Schema, Type};
use humiao_core::time::Date;
use humiao_core::{Decision, EvalOptions, EvaluateError, FactsOptions, LoadOptions, Policy};
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

fn sources() -> Vec<humiao_core::Source> {
    humiao_cli::load::read_policy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules"))
        .unwrap()
}

fn policy() -> &'static Policy {
    static P: OnceLock<Policy> = OnceLock::new();
    P.get_or_init(|| Policy::from_sources(&sources(), &LoadOptions::default()).unwrap())
}

/// SplitMix64: the case generator's only source of choices, seeded by proptest.
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
        Type::Bool => json!(r.chance(1, 2)),
        Type::Int => match range {
            Some((lo, hi)) => {
                let top = hi.min(lo + 24);
                json!(lo + r.below((top - lo + 1) as u64) as i64)
            }
            None => json!(r.below(1000)),
        },
        Type::Decimal => json!(r.below(100_000) as f64 / 100.0),
        Type::Text => json!(format!("t{}", r.below(100))),
        Type::Date => json!(format!(
            "{}-{:02}-{:02}",
            2004 + r.below(23),
            1 + r.below(12),
            1 + r.below(28)
        )),
        Type::DateTime => {
            let zone = if r.chance(1, 4) { "Z" } else { "+08:00" };
            json!(format!(
                "{}-{:02}-{:02}T{:02}:{:02}:00{zone}",
                2025 + r.below(2),
                1 + r.below(12),
                1 + r.below(28),
                r.below(24),
                r.below(60)
            ))
        }
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
                    if r.chance(3, 4) {
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

/// A case for the bundled set: each optional section present or not, each fact given or not;
/// with `spoil`, one fact of the wrong type or one unknown field.
fn generate(seed: u64, spoil: bool) -> Value {
    let schema = &policy().schema;
    let mut r = Rng(seed);
    let present: Vec<bool> = schema.sections.iter().map(|_| r.chance(2, 3)).collect();
    let mut root = Map::new();
    for f in &schema.facts {
        if f.section.is_some_and(|s| !present[s]) {
            continue;
        }
        let always = f.path == "discovered_at";
        if always || r.chance(2, 3) {
            insert(&mut root, &f.path, value(schema, &f.ty, f.range, &mut r));
        }
    }
    for (s, on) in schema.sections.iter().zip(&present) {
        if *on && !root.contains_key(&s.name) {
            insert(&mut root, &s.name, json!({}));
        }
    }
    if spoil {
        let f = &schema.facts[r.below(schema.facts.len() as u64) as usize];
        if r.chance(1, 2) {
            insert(&mut root, &f.path, json!([{"wrong": true}]));
        } else {
            insert(&mut root, &format!("{}x", f.path), json!(1));
        }
    }
    Value::Object(root)
}

const AS_OF: &str = "2026-03-01";

fn decide(case: &str, explain: bool) -> Result<Decision, EvaluateError> {
    policy().evaluate_text(
        case,
        Date::parse(AS_OF).unwrap(),
        &EvalOptions {
            explain,
            ..EvalOptions::default()
        },
        &FactsOptions::default(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    #[test]
    fn decision_json_round_trips_through_serde(seed in any::<u64>(), explain in any::<bool>()) {
        let case = generate(seed, false).to_string();
        let d = decide(&case, explain).unwrap();
        let text = d.to_json();
        let back: Decision = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(&back, &d);
        prop_assert_eq!(back.to_json(), text.clone());
        // Through serde_json::Value: equal as JSON (a Value's objects sort their keys, so the
        // declaration order of conclusions is a property of the text, not of a Value).
        let value = serde_json::to_value(&d).unwrap();
        let via_value: Decision = serde_json::from_value(value.clone()).unwrap();
        prop_assert_eq!(serde_json::to_value(&via_value).unwrap(), value);
    }

    #[test]
    fn decisions_are_deterministic(seed in any::<u64>(), spoil in any::<bool>()) {
        let value = generate(seed, spoil);
        let case = value.to_string();
        let a = decide(&case, true);
        let b = decide(&case, true);
        // From the value instead of the text, and from a second load of the same sources.
        let again = Policy::from_sources(&sources(), &LoadOptions::default()).unwrap();
        let c = again.evaluate_json(
            &value,
            Date::parse(AS_OF).unwrap(),
            &EvalOptions { explain: true, ..EvalOptions::default() },
            &FactsOptions::default(),
        );
        match (a, b, c) {
            (Ok(a), Ok(b), Ok(c)) => {
                prop_assert_eq!(a.to_json(), b.to_json());
                prop_assert_eq!(a.to_json(), c.to_json());
            }
            (Err(EvaluateError::Facts(a)), Err(EvaluateError::Facts(b)), Err(EvaluateError::Facts(c))) => {
                prop_assert!(spoil);
                prop_assert_eq!(&a, &b);
                prop_assert_eq!(&a, &c);
            }
            (a, b, c) => prop_assert!(false, "outcomes differ: {:?} {:?} {:?}", a.is_ok(), b.is_ok(), c.is_ok()),
        }
    }
}

/// Runs the CLI once over the cases as JSON Lines; its output lines as written.
fn cli_jsonl(lines: &[String]) -> Vec<String> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_humiao"))
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .args([
            "eval",
            "rules",
            "--facts",
            "-",
            "--format",
            "jsonl",
            "--as-of",
            AS_OF,
            "--explain",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let text = lines.join("\n") + "\n";
    let writer = std::thread::spawn(move || input.write_all(text.as_bytes()).unwrap());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2))]

    #[test]
    fn the_cli_gives_the_core_s_bytes(seeds in proptest::collection::vec((any::<u64>(), 0u8..8), 150)) {
        let cases: Vec<String> = seeds
            .iter()
            .map(|(s, k)| generate(*s, *k == 0).to_string())
            .collect();
        let out = cli_jsonl(&cases);
        prop_assert_eq!(out.len(), cases.len());
        for (i, (case, line)) in cases.iter().zip(&out).enumerate() {
            match decide(case, true) {
                Ok(d) => prop_assert_eq!(line, &d.to_json(), "line {}: the same bytes", i + 1),
                Err(EvaluateError::Facts(errs)) => {
                    let got: Value = serde_json::from_str(line).unwrap();
                    prop_assert_eq!(&got["line"], &json!(i + 1));
                    prop_assert_eq!(&got["error"]["facts"], &serde_json::to_value(&errs).unwrap());
                }
                Err(e) => prop_assert!(false, "{e}"),
            }
        }
    }
}
