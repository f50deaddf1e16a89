//! The decision JSON written directly (`Policy::evaluate_json_into`) against the reference,
//! `Decision::to_json` of `Policy::evaluate`: the same bytes, or the same error, on the
//! conformance corpus, on cases generated from the schemas of the bundled set, the sample set
//! using every construct and a set with a conclusion of every type — with and without
//! explanations, with tight step budgets, case ids and notes that need escaping, notes added
//! by the caller, and one set of buffers reused for every case. Each test counts the decisions
//! written directly (every determined one is: see `eval/write.rs`), so none passes by always
//! going through the `Decision`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use humiao_conformance::{generate, load_cases, rules_dir};
use humiao_core::time::Date;
use humiao_core::{
    DecisionBuffers, EvalOptions, Facts, FactsOptions, LoadOptions, Policy, Source, Status,
    Strictness,
};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::cell::RefCell;
use std::sync::OnceLock;

fn load(dir: &std::path::Path) -> Policy {
    let sources = humiao_cli::load::read_policy_dir(dir).unwrap();
    Policy::from_sources(&sources, &LoadOptions::default()).unwrap()
}

fn bundled() -> &'static Policy {
    static P: OnceLock<Policy> = OnceLock::new();
    P.get_or_init(|| load(&rules_dir()))
}

fn sample() -> &'static Policy {
    static P: OnceLock<Policy> = OnceLock::new();
    P.get_or_init(|| load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample")))
}

/// Every type a conclusion can have, texts that need escaping in titles, citations, notes,
/// `with` and assumptions, and every kind of deadline.
const KINDS: &str = r#"
policy kinds "种类 \"quoted\" \\ back"
  source "测试" 2024-01-01

enum Actor { office "办公室", school "学校" }
enum Action { visit "走访", report "报告" }
enum Party { police "公安", guardian "监护人" }
enum Colour { red "红", green "绿", blue "蓝" }

facts {
  discovered_at: DateTime
}
facts x "x" {
  n: Int? @range(-50, 50)
  d: Decimal?
  t: Text?
  day: Date?
  at: DateTime?
  span: Duration?
  colour: Colour?
  colours: Set<Colour> default {}
  flag: Bool?
}

conclusion k.n: Int
conclusion k.d: Decimal
conclusion k.t: Text
conclusion k.day: Date
conclusion k.at: DateTime
conclusion k.span: Duration
conclusion k.colour: Colour
conclusion k.colours: Set<Colour> collect
conclusion k.flag: Bool default false

param k.visit_in: Duration = 2 working days @unconfirmed "a \"guess\" \\ 猜测\n second line"
param k.limit: Int = 10 @unconfirmed "tab\there"

rule numbers "数 \"title\"\t tab"
  cite "第一条 \"quoted\"", "第二条 \\ back"
  when x.n is known
  then conclude k.n = x.n * 2
       note "a note with \"quotes\" \\ and\nnewline / 备注"
       office must visit to guardian within k.visit_in with police, guardian

rule decimals "小数"
  cite "第三条"
  when x.d is known and x.n is known and x.n < k.limit
  then conclude k.d = x.d * 2
       school must report to police immediately

rule texts
  cite "第四条"
  when x.t is known
  then conclude k.t = x.t
       office must report to police by x.day

rule dates "日期"
  cite "第五条"
  when x.day is known
  then conclude k.day = x.day + 1 month
       office must visit to guardian within 3 days from x.day

rule times "时间"
  cite "第六条"
  when x.at is known
  then conclude k.at = x.at + 5 hours
       office must visit within 2 working days from x.at
       note "second note"

rule spans "期间"
  cite "第七条"
  when x.span is known
  then conclude k.span = x.span

rule colours "颜色"
  cite "第八条"
  when x.colour is known
  then conclude k.colour = x.colour
       add x.colour to k.colours
       add blue to k.colours

rule flag "真假"
  cite "第九条"
  when x.flag == true
  then conclude k.flag = true
       note "a note with \"quotes\" \\ and\nnewline / 备注"
"#;

fn kinds() -> &'static Policy {
    static P: OnceLock<Policy> = OnceLock::new();
    P.get_or_init(|| {
        let sources = [
            Source::new("kinds.humiao", KINDS),
            Source::new(
                "humiao.toml",
                "name = \"kinds \\\"q\\\"\"\nversion = \"1\"\n",
            ),
        ];
        Policy::from_sources(&sources, &LoadOptions::default())
            .map_err(|e| format!("{:?}", e.diagnostics))
            .unwrap()
    })
}

thread_local! {
    /// One set of buffers for every case of a thread (and every policy), so reusing them is
    /// tested too.
    static BUFFERS: RefCell<DecisionBuffers> = RefCell::new(DecisionBuffers::new());
}

/// The reference and the direct writer on one case; whether it was written directly.
fn compare(p: &Policy, facts: &Facts, as_of: Date, opts: &EvalOptions, what: &str) -> bool {
    let reference = p.evaluate(facts, as_of, opts);
    let want = reference.as_ref().map(|d| d.to_json());
    // Written after text already in the buffer, which must be kept.
    let mut out = b"previous line\n".to_vec();
    let got =
        BUFFERS.with(|b| p.evaluate_json_into(facts, as_of, opts, &mut b.borrow_mut(), &mut out));
    let (prefix, text) = out.split_at(14);
    assert_eq!(prefix, b"previous line\n", "{what}");
    match (&want, got) {
        (Ok(want), Ok(())) => assert_eq!(
            std::str::from_utf8(text).unwrap(),
            want,
            "{what}: different bytes"
        ),
        (Err(a), Err(b)) => {
            assert_eq!(*a, &b, "{what}");
            assert!(text.is_empty(), "{what}: an error left text behind");
        }
        (a, b) => panic!("{what}: reference {a:?}, writer {b:?}"),
    }
    matches!(reference, Ok(d) if d.status == Status::Determined)
}

fn loaded(p: &Policy, facts: &Value, fopts: &FactsOptions) -> Option<Facts> {
    p.load_facts(facts, fopts).ok()
}

#[test]
fn the_corpus_gives_the_reference_bytes() {
    let sources = humiao_cli::load::read_policy_dir(&rules_dir()).unwrap();
    let cases = load_cases().unwrap();
    let (mut direct, mut all) = (0, 0);
    for c in &cases {
        let opts = LoadOptions {
            params: c.params.clone(),
            ..LoadOptions::default()
        };
        let p = Policy::from_sources(&sources, &opts).unwrap();
        let as_of = Date::parse(&c.as_of).unwrap();
        let facts = loaded(&p, &c.facts, &FactsOptions::default()).unwrap();
        for explain in [false, true] {
            let o = EvalOptions {
                explain,
                ..EvalOptions::default()
            };
            all += 1;
            if compare(&p, &facts, as_of, &o, &c.name) {
                direct += 1;
            }
        }
    }
    eprintln!("corpus: {direct} of {all} decisions written directly");
    assert!(direct >= all / 3, "only {direct} of {all} written directly");
}

/// Cases generated from a policy's schema, plain and explained; how many were written
/// directly.
fn generated(p: &Policy, n: u64, as_of: &str) -> (usize, usize) {
    let as_of = Date::parse(as_of).unwrap();
    let mut direct = 0;
    let mut all = 0;
    for seed in 0..n {
        let case = generate::case(&p.schema, seed, 10 + seed % 7);
        let Some(facts) = loaded(p, &case, &FactsOptions::default()) else {
            continue;
        };
        for explain in [false, true] {
            let o = EvalOptions {
                explain,
                ..EvalOptions::default()
            };
            all += 1;
            if compare(p, &facts, as_of, &o, &case.to_string()) {
                direct += 1;
            }
        }
    }
    (direct, all)
}

#[test]
fn generated_cases_of_the_bundled_set_give_the_reference_bytes() {
    let (direct, all) = generated(bundled(), 600, "2026-03-01");
    eprintln!("bundled: {direct} of {all} written directly");
    assert!(direct >= all / 5, "only {direct} of {all} written directly");
}

#[test]
fn generated_cases_of_the_sample_set_give_the_reference_bytes() {
    // 2026 is inside the sample calendar's years, 2031 outside (its note), 2023 before the
    // rules take effect.
    for as_of in ["2026-03-01", "2031-05-05", "2023-01-01"] {
        let (direct, all) = generated(sample(), 300, as_of);
        eprintln!("sample as of {as_of}: {direct} of {all} written directly");
        assert!(direct >= all / 5, "only {direct} of {all} written directly");
    }
}

#[test]
fn every_conclusion_type_gives_the_reference_bytes() {
    let (direct, all) = generated(kinds(), 600, "2026-03-01");
    eprintln!("kinds: {direct} of {all} written directly");
    assert!(direct >= all / 3, "only {direct} of {all} written directly");
    // Every kind of value, every deadline, notes and assumptions in one decision.
    let p = kinds();
    let case = json!({
        "discovered_at": "2026-03-01T10:00:00+08:00",
        "x": {"n": -7, "d": 12.25, "t": "引号 \" 反斜杠 \\ 控制 \u{1} 换行 \n", "day": "2026-01-31",
              "at": "2026-02-13T18:30:00+08:00", "span": "3 working days", "colour": "green",
              "flag": true}
    });
    let facts = loaded(p, &case, &FactsOptions::default()).unwrap();
    let d = p
        .evaluate(
            &facts,
            Date::parse("2026-03-01").unwrap(),
            &EvalOptions::default(),
        )
        .unwrap();
    assert_eq!(d.status, Status::Determined);
    assert_eq!(d.conclusions.0.len(), 9, "{:?}", d.conclusions);
    assert_eq!(d.obligations.len(), 5);
    assert_eq!(d.assumptions.len(), 2);
    for explain in [false, true] {
        let o = EvalOptions {
            explain,
            ..EvalOptions::default()
        };
        assert!(compare(
            p,
            &facts,
            Date::parse("2026-03-01").unwrap(),
            &o,
            "all kinds"
        ));
    }
}

#[test]
fn notes_added_by_the_caller_come_last() {
    let p = bundled();
    let as_of = Date::parse("2026-03-01").unwrap();
    let notes = vec![
        "as_of not given / 未指定基准日".to_string(),
        "\"quoted\" \\ \u{7}".to_string(),
    ];
    let mut bufs = DecisionBuffers::with_notes(notes.clone());
    let mut direct = 0;
    for seed in 0..200 {
        let case = generate::case(&p.schema, seed, 10 + seed % 7);
        let Some(facts) = loaded(p, &case, &FactsOptions::default()) else {
            continue;
        };
        let mut d = p.evaluate(&facts, as_of, &EvalOptions::default()).unwrap();
        direct += usize::from(d.status == Status::Determined);
        d.notes.extend(notes.iter().cloned());
        let mut out = Vec::new();
        p.evaluate_json_into(&facts, as_of, &EvalOptions::default(), &mut bufs, &mut out)
            .unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), d.to_json(), "{case}");
    }
    assert!(direct >= 40, "only {direct} written directly");
}

#[test]
fn a_policy_loaded_from_bytes_writes_the_same_bytes() {
    let p = bundled();
    let q = Policy::from_bytes(&p.to_bytes().unwrap()).unwrap();
    let as_of = Date::parse("2026-03-01").unwrap();
    let mut bufs = DecisionBuffers::new();
    for seed in 0..100 {
        let case = generate::case(&p.schema, seed, 14);
        let Some(facts) = loaded(p, &case, &FactsOptions::default()) else {
            continue;
        };
        let (mut a, mut b) = (Vec::new(), Vec::new());
        p.evaluate_json_into(&facts, as_of, &EvalOptions::default(), &mut bufs, &mut a)
            .unwrap();
        q.evaluate_json_into(&facts, as_of, &EvalOptions::default(), &mut bufs, &mut b)
            .unwrap();
        assert!(a == b, "{case}");
    }
}

/// A text that needs every kind of JSON escape.
fn awkward_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("\"".to_string()),
            Just("\\".to_string()),
            Just("\n".to_string()),
            Just("\u{0}".to_string()),
            Just("\u{1f}".to_string()),
            Just("\u{7f}".to_string()),
            Just("护苗".to_string()),
            Just("😀".to_string()),
            "[a-z ]{0,4}",
        ],
        0..6,
    )
    .prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn the_writer_gives_the_reference_bytes(
        which in 0usize..3,
        seed in any::<u64>(),
        given in 6u64..=16,
        explain in any::<bool>(),
        reveal_sensitive in any::<bool>(),
        budget in prop_oneof![Just(10_000_000u64), 0u64..600],
        case_id in prop::option::of(awkward_text()),
        unknown_field in prop::option::of(awkward_text()),
        offsetless in any::<bool>(),
    ) {
        let p = [bundled(), sample(), kinds()][which];
        let mut case = generate::case(&p.schema, seed, given);
        let obj = case.as_object_mut().unwrap();
        if let Some(id) = case_id {
            // `case.id` in the bundled set (its case id); elsewhere an unknown field.
            generate::insert(obj, "case.id", json!(id));
        }
        if let Some(k) = unknown_field {
            // Lenient reading turns it into a note that quotes it.
            obj.insert(format!("x{k}"), json!(1));
        }
        if offsetless {
            obj.insert("discovered_at".into(), json!("2026-02-27T08:00:00"));
        }
        let fopts = FactsOptions { strictness: Strictness::Lenient, reveal_sensitive, ..FactsOptions::default() };
        let Some(facts) = loaded(p, &case, &fopts) else {
            return Ok(());
        };
        let opts = EvalOptions { explain, reveal_sensitive, max_steps: budget };
        compare(p, &facts, Date::parse("2026-03-01").unwrap(), &opts, &case.to_string());
    }
}
