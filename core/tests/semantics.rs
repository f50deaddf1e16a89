//! Evaluation semantics pinned by small policies: exceptions, list-item facts in `missing`,
//! conclusions settled without a value, priorities, conflicts, effective dates.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use humiao_core::time::Date;
use humiao_core::{Decision, EvalOptions, FactsOptions, LoadOptions, Policy, Source, Status};
use serde_json::{json, Value};

fn policy(src: &str) -> Policy {
    let full = format!("policy a \"a\"\nenum Actor {{ a }}\nenum Action {{ b }}\nfacts {{ discovered_at: DateTime }}\n{src}");
    Policy::from_sources(&[Source::new("a.humiao", full)], &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{:#?}", e.diagnostics))
}

fn eval(p: &Policy, facts: Value, as_of: &str) -> Decision {
    let mut f = facts;
    f["discovered_at"] = json!("2026-01-05T09:00:00+08:00");
    p.evaluate_json(
        &f,
        Date::parse(as_of).unwrap(),
        &EvalOptions::default(),
        &FactsOptions::default(),
    )
    .unwrap()
}

#[test]
fn an_exception_disables_the_rule_it_overrides_in_any_declaration_order() {
    for order in [0, 1] {
        let general = "rule general \"g\" cite \"A\" when x then conclude k = false\n";
        let special =
            "rule special \"s\" cite \"A\" exception to general when x then conclude k = true\n";
        let body = if order == 0 {
            format!("{general}{special}")
        } else {
            format!("{special}{general}")
        };
        let p = policy(&format!("facts {{ x: Bool? }}\nconclusion k: Bool\n{body}"));
        let d = eval(&p, json!({"x": true}), "2026-01-05");
        assert_eq!(d.fired, vec!["a.special".to_string()], "order {order}");
        assert_eq!(d.conclusions.get("k"), Some(&json!(true)));
        // When the exception is undecided, so is the rule it overrides.
        let p2 = policy(&format!(
            "facts {{ x: Bool?\n y: Bool? }}\nconclusion k: Bool\n{}",
            body.replace("exception to general when x", "exception to general when y")
        ));
        let d = eval(&p2, json!({"x": true}), "2026-01-05");
        assert_eq!(d.status, Status::Undetermined);
        assert_eq!(d.missing[0].fact, "y");
    }
}

#[test]
fn unknown_fields_of_list_items_are_named_in_missing() {
    let p = policy("record P { since: Date? }\nfacts { ps: List<P> }\nconclusion k: Bool\nrule r \"r\" cite \"A\" when any p in ps: p.since < as_of then conclude k = true\n");
    let d = eval(
        &p,
        json!({"ps": [{"since": "2030-01-01"}, {}]}),
        "2026-01-05",
    );
    assert_eq!(d.status, Status::Undetermined);
    assert_eq!(d.missing.len(), 1);
    assert_eq!(d.missing[0].fact, "ps[1].since");
    assert_eq!(d.missing[0].decides, vec!["k".to_string()]);
}

#[test]
fn reading_a_conclusion_settled_without_value_is_not_applicable() {
    let p = policy("facts s optional { x: Bool }\nconclusion k: Bool\nrule set_k \"r\" cite \"A\" when s.x then conclude k = true\nrule use_k \"r\" cite \"A\" when k then a must b immediately\n");
    let d = eval(&p, json!({}), "2026-01-05");
    assert_eq!(d.status, Status::Determined);
    assert!(d.obligations.is_empty());
    let d = eval(&p, json!({"s": {"x": true}}), "2026-01-05");
    assert_eq!(d.obligations.len(), 1);
    let d = eval(&p, json!({"s": {}}), "2026-01-05");
    assert_eq!(d.status, Status::Undetermined);
    assert_eq!(d.missing[0].fact, "s.x");
}

#[test]
fn priorities_settle_and_equal_priorities_conflict() {
    let src = "facts { x: Bool?\n y: Bool? }\nenum L { lo, hi }\nconclusion k: L default lo\nrule r1 \"1\" cite \"A\" priority 2 when x then conclude k = hi\nrule r2 \"2\" cite \"A\" priority 1 when y then conclude k = lo\n";
    let p = policy(src);
    assert_eq!(
        eval(&p, json!({"x": true, "y": true}), "2026-01-05")
            .conclusions
            .get("k"),
        Some(&json!("hi"))
    );
    // The higher-priority rule is unknown: the answer waits for it.
    let d = eval(&p, json!({"y": true}), "2026-01-05");
    assert_eq!(d.status, Status::Undetermined);
    assert_eq!(d.missing[0].fact, "x");
    // Equal priorities disagreeing: a conflict, listed.
    let p = policy(&src.replace("priority 1", "priority 2"));
    let d = eval(&p, json!({"x": true, "y": true}), "2026-01-05");
    assert_eq!(d.status, Status::Conflict);
    assert_eq!(
        d.conflicts[0].rules,
        vec!["a.r1".to_string(), "a.r2".to_string()]
    );
}

#[test]
fn rules_outside_their_dates_do_not_apply() {
    let p = policy("facts { x: Bool? }\nconclusion k: Bool\nrule r \"r\" cite \"A\" effective 2026-01-01 until 2026-12-31 when x then conclude k = true\n");
    assert!(eval(&p, json!({"x": true}), "2025-12-31").fired.is_empty());
    assert_eq!(eval(&p, json!({"x": true}), "2026-01-01").fired.len(), 1);
    assert_eq!(eval(&p, json!({"x": true}), "2026-12-31").fired.len(), 1);
    assert!(eval(&p, json!({"x": true}), "2027-01-01").fired.is_empty());
    // A rule not in force is not undecided either.
    assert_eq!(eval(&p, json!({}), "2027-01-01").status, Status::Determined);
}

#[test]
fn working_day_deadlines_follow_the_calendar_and_say_when_they_leave_it() {
    let p = policy("calendar cn covers 2026..2026 { holiday 2026-02-15..2026-02-23 \"春节\" workday 2026-02-14 \"调休\" }\nrule r \"r\" cite \"A\" then a must b within 2 working days\n");
    let mut f = json!({});
    f["discovered_at"] = json!("2026-02-13T16:00:00+08:00");
    let d = p
        .evaluate_json(
            &f,
            Date::parse("2026-02-13").unwrap(),
            &EvalOptions::default(),
            &FactsOptions::default(),
        )
        .unwrap();
    assert_eq!(
        d.obligations[0].due.as_deref(),
        Some("2026-02-24T23:59:59+08:00")
    );
    assert_eq!(d.obligations[0].deadline, "2 working days");
    f["discovered_at"] = json!("2027-02-12T16:00:00+08:00");
    let d = p
        .evaluate_json(
            &f,
            Date::parse("2027-02-12").unwrap(),
            &EvalOptions::default(),
            &FactsOptions::default(),
        )
        .unwrap();
    assert_eq!(
        d.obligations[0].due.as_deref(),
        Some("2027-02-16T23:59:59+08:00")
    );
    assert!(
        d.notes.iter().any(|n| n.contains("weekends only")),
        "{:?}",
        d.notes
    );
}

#[test]
fn facts_errors_are_all_reported_with_paths() {
    let p = policy("enum S { f, m }\nrecord P { since: Date? }\nfacts { n: Int @range(0, 150)\n s: S\n ps: List<P>\n t: DateTime? }\n");
    let bad = json!({"n": "twelve", "s": "femal", "ps": [{"since": "2026-02-30"}, {"sinse": "2026-01-01"}], "t": "2026-01-01T25:00", "zz": 1, "a.b": 2});
    let errs = p.load_facts(&bad, &FactsOptions::default()).unwrap_err();
    let paths: Vec<&str> = errs.iter().map(|e| e.path.as_str()).collect();
    for want in ["n", "s", "ps[0].since", "ps[1].sinse", "t", "zz", "a.b"] {
        assert!(paths.contains(&want), "{want} not in {paths:?}");
    }
    let n = errs.iter().find(|e| e.path == "n").unwrap();
    assert_eq!(n.message, "n: expected Int, found \"twelve\"");
    let s = errs.iter().find(|e| e.path == "s").unwrap();
    assert!(
        s.message.contains("did you mean \"f\"") || s.message.contains("one of f, m"),
        "{}",
        s.message
    );
    let range = p
        .load_facts(&json!({"n": 151}), &FactsOptions::default())
        .unwrap_err();
    assert_eq!(range[0].expected, "a number from 0 to 150");
}

#[test]
fn the_digest_covers_sources_and_params_but_not_line_endings_or_order() {
    let a = "policy a \"a\"\nfacts { discovered_at: DateTime }\nparam a.n: Int = 3\n";
    let load = |srcs: Vec<Source>, params: Vec<(String, Value)>| {
        Policy::from_sources(
            &srcs,
            &LoadOptions {
                params,
                ..LoadOptions::default()
            },
        )
        .unwrap()
        .digest
    };
    let base = load(
        vec![
            Source::new("a.humiao", a),
            Source::new("b.humiao", "policy b \"b\"\n"),
        ],
        vec![],
    );
    assert!(base.starts_with("sha256:") && base.len() == 7 + 64);
    assert_eq!(
        base,
        load(
            vec![
                Source::new("b.humiao", "policy b \"b\"\r\n"),
                Source::new("a.humiao", a.replace('\n', "\r\n"))
            ],
            vec![]
        )
    );
    assert_ne!(
        base,
        load(
            vec![
                Source::new("a.humiao", a),
                Source::new("b.humiao", "policy b \"c\"\n")
            ],
            vec![]
        )
    );
    assert_ne!(
        base,
        load(
            vec![
                Source::new("a.humiao", a),
                Source::new("b.humiao", "policy b \"b\"\n")
            ],
            vec![("a.n".into(), json!(4))]
        )
    );
    assert_eq!(
        base,
        load(
            vec![
                Source::new("a.humiao", a),
                Source::new("b.humiao", "policy b \"b\"\n")
            ],
            vec![("a.n".into(), json!("3"))]
        )
    );
}
