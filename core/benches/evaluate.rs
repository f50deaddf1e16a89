//! Evaluating the mandatory-reporting rules over generated cases, next to a hand-written
//! Rust function of the same rules over typed structs, in the same run.
//!
//! `cargo bench -p humiao-core --bench evaluate`. Before timing, every generated case is
//! checked: the hand-written function and humiao must agree on the duty and the situations.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use humiao_core::time::Date;
use humiao_core::{EvalOptions, FactsOptions, LoadOptions, Policy, Source};
use serde_json::{json, Value};
use std::hint::black_box;

const ORG: [&str; 12] = [
    "school",
    "kindergarten",
    "hospital",
    "clinic",
    "hotel",
    "residents_committee",
    "training_institution",
    "childcare",
    "social_work_org",
    "state_organ",
    "individual",
    "other",
];
const INDICATORS: [&str; 23] = [
    "genital_private_injury",
    "sexual_assault",
    "sexual_harassment",
    "pregnancy",
    "abortion",
    "pregnancy_assault_suspected",
    "multiple_injuries",
    "severe_malnutrition",
    "impaired_consciousness",
    "domestic_violence",
    "bullying",
    "maltreatment",
    "beating",
    "drugged",
    "abnormal_disability_or_death",
    "abandoned",
    "unattended",
    "unknown_origin",
    "missing",
    "trafficked",
    "organised_begging",
    "other_serious_harm",
    "imminent_danger",
];

/// SplitMix64: a fixed, documented generator, so the workload never changes.
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
        self.next() % n
    }
}

/// A case as typed structs, for the hand-written function.
#[derive(Clone)]
struct Case {
    org: usize,
    at_work: bool,
    age: i64,
    female: bool,
    self_supporting: bool,
    ind: [bool; 23],
}

fn generate(n: usize) -> Vec<Case> {
    let mut r = Rng(2026);
    (0..n)
        .map(|_| {
            let mut ind = [false; 23];
            if r.below(5) == 0 {
                for _ in 0..=r.below(2) {
                    ind[r.below(23) as usize] = true;
                }
            }
            Case {
                org: r.below(12) as usize,
                at_work: r.below(4) != 0,
                age: r.below(20) as i64,
                female: r.below(2) == 0,
                self_supporting: r.below(10) == 0,
                ind,
            }
        })
        .collect()
}

fn to_json(c: &Case) -> Value {
    let mut ind = serde_json::Map::new();
    for (i, name) in INDICATORS.iter().enumerate() {
        if c.ind[i] {
            ind.insert((*name).to_string(), json!(true));
        }
    }
    json!({
        "discovered_at": "2026-03-01T10:00:00+08:00",
        "reporter": {"org_type": ORG[c.org], "in_course_of_work": c.at_work},
        "minor": {"age": c.age, "sex": if c.female { "female" } else { "male" }, "self_supporting": c.self_supporting},
        "indicators": ind,
    })
}

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum Duty {
    Mandatory,
    Voluntary,
    Review,
    None,
}

/// The same rules as rules/reporting.humiao, written by hand: situations as a bitset.
#[inline(never)]
fn hand_written(c: &Case) -> (Duty, u16, bool) {
    let i = &c.ind;
    let minor = c.age < 18;
    let mut s = 0u16;
    if !minor {
        return (Duty::None, 0, false);
    }
    let preg = i[3] || i[4];
    let assault = i[1] || i[5];
    if i[0] {
        s |= 1 << 0;
    }
    if c.female && c.age < 14 && (i[1] || i[3] || i[4]) {
        s |= 1 << 1;
    }
    if c.female && c.age >= 14 && preg && assault {
        s |= 1 << 2;
    }
    if (i[6] || i[7] || i[8]) && (i[9] || i[10] || i[11] || i[12] || i[13]) {
        s |= 1 << 3;
    }
    if i[14] {
        s |= 1 << 4;
    }
    if i[15] || i[16] {
        s |= 1 << 5;
    }
    if i[17] || i[18] || i[19] {
        s |= 1 << 6;
    }
    if i[20] {
        s |= 1 << 7;
    }
    if i[21] || i[22] {
        s |= 1 << 8;
    }
    let assault_in_items_2_3 = c.female && i[1] && (c.age < 14 || preg);
    if i[2] || (i[1] && !assault_in_items_2_3) {
        s |= 1 << 8;
    }
    if i[9] && !(c.age >= 16 && c.self_supporting) {
        s |= 1 << 9;
    }
    let at_work = c.org < 10 && c.at_work;
    let duty = if s != 0 && at_work {
        Duty::Mandatory
    } else if s == 0 && c.female && c.age >= 14 && preg {
        Duty::Review
    } else if s != 0 {
        Duty::Voluntary
    } else {
        Duty::None
    };
    let to_education = at_work && (c.org == 0 || c.org == 1) && (i[1] || i[2]);
    (duty, s, to_education)
}

const SITUATIONS: [&str; 10] = [
    "genital_injury",
    "female_under_14_sexual",
    "female_14_plus_assault_pregnancy",
    "injury_with_abuse",
    "abnormal_disability_or_death",
    "abandoned_or_unattended",
    "missing_or_trafficked",
    "organised_begging",
    "other_serious_harm",
    "domestic_violence",
];

fn reporting_policy() -> Policy {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules");
    let files = ["common.humiao", "calendar.humiao", "reporting.humiao"];
    let sources: Vec<Source> = files
        .iter()
        .map(|f| Source::new(*f, std::fs::read_to_string(dir.join(f)).unwrap()))
        .collect();
    Policy::from_sources(&sources, &LoadOptions::default()).unwrap()
}

fn bench(c: &mut Criterion) {
    let policy = reporting_policy();
    let as_of = Date::parse("2026-03-01").unwrap();
    let cases = generate(10_000);
    let jsons: Vec<Value> = cases.iter().map(to_json).collect();
    let texts: Vec<String> = jsons.iter().map(|j| j.to_string()).collect();
    let fopts = FactsOptions::default();
    let eopts = EvalOptions::default();
    let loaded: Vec<_> = jsons
        .iter()
        .map(|j| policy.load_facts(j, &fopts).unwrap())
        .collect();
    // Agreement: humiao and the hand-written function give the same answers on every case.
    for (case, facts) in cases.iter().zip(&loaded) {
        let d = policy.evaluate(facts, as_of, &eopts).unwrap();
        let (duty, sit, edu) = hand_written(case);
        let want_duty = match duty {
            Duty::Mandatory => "mandatory",
            Duty::Voluntary => "voluntary",
            Duty::Review => "review",
            Duty::None => "none",
        };
        assert_eq!(
            d.conclusions.get("reporting.duty"),
            Some(&json!(want_duty)),
            "{}",
            to_json(case)
        );
        let want: Vec<Value> = (0..10)
            .filter(|b| sit & (1 << b) != 0)
            .map(|b| json!(SITUATIONS[b]))
            .collect();
        assert_eq!(
            d.conclusions.get("reporting.situations"),
            Some(&Value::Array(want)),
            "{}",
            to_json(case)
        );
        assert_eq!(
            d.obligations
                .iter()
                .any(|o| o.party.as_deref() == Some("education_authority")),
            edu
        );
    }
    let mut g = c.benchmark_group("reporting");
    g.throughput(Throughput::Elements(cases.len() as u64));
    g.bench_function("hand_written_typed", |b| {
        b.iter(|| {
            for case in &cases {
                black_box(hand_written(black_box(case)));
            }
        })
    });
    g.bench_function("humiao_evaluate", |b| {
        b.iter(|| {
            for f in &loaded {
                black_box(policy.evaluate(black_box(f), as_of, &eopts).unwrap());
            }
        })
    });
    g.bench_function("humiao_evaluate_outcome", |b| {
        let mut out = humiao_core::Outcome::new();
        b.iter(|| {
            for f in &loaded {
                policy
                    .evaluate_outcome(black_box(f), as_of, &eopts, &mut out)
                    .unwrap();
                black_box(out.conclusion(0));
            }
        })
    });
    g.bench_function("humiao_evaluate_reference", |b| {
        b.iter(|| {
            for f in &loaded {
                black_box(
                    policy
                        .evaluate_reference(black_box(f), as_of, &eopts)
                        .unwrap(),
                );
            }
        })
    });
    g.bench_function("humiao_evaluate_to_json", |b| {
        b.iter(|| {
            for f in &loaded {
                black_box(
                    policy
                        .evaluate(black_box(f), as_of, &eopts)
                        .unwrap()
                        .to_json(),
                );
            }
        })
    });
    g.bench_function("humiao_json_line_to_decision", |b| {
        b.iter(|| {
            for t in &texts {
                let v: Value = serde_json::from_str(black_box(t)).unwrap();
                black_box(
                    policy
                        .evaluate_json(&v, as_of, &eopts, &fopts)
                        .unwrap()
                        .to_json(),
                );
            }
        })
    });
    g.sample_size(10);
    g.bench_function("humiao_explain", |b| {
        let ex = EvalOptions {
            explain: true,
            ..EvalOptions::default()
        };
        b.iter(|| {
            for f in &loaded {
                black_box(policy.evaluate(black_box(f), as_of, &ex).unwrap());
            }
        })
    });
    g.finish();
    let mut g = c.benchmark_group("compile");
    g.sample_size(20);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules");
    let mut all = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        all.push(Source::new(
            p.file_name().unwrap().to_string_lossy().to_string(),
            std::fs::read_to_string(&p).unwrap(),
        ));
    }
    g.bench_function("bundled_rules", |b| {
        b.iter(|| {
            black_box(Policy::from_sources(black_box(&all), &LoadOptions::default()).unwrap())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
