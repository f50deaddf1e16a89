//! Facts, every way they go wrong: each problem has its JSON path and what was expected, and
//! every problem of a case is reported at once. Read from text (`Policy::load_facts_text`), so
//! duplicate keys, nesting, size and JSON syntax are covered as well as the schema checks.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use humiao_core::time::Date;
use humiao_core::{
    EvalOptions, EvaluateError, FactError, FactsOptions, LoadOptions, Policy, Source, Strictness,
};
use std::path::Path;

/// The bundled policy set, read straight from `rules/` (the core does no I/O itself).
fn bundled() -> Policy {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules");
    let mut sources = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().to_string();
        if name.ends_with(".humiao") || name.ends_with(".toml") || name.ends_with(".csv") {
            let text = std::fs::read_to_string(dir.join(&name)).unwrap();
            sources.push(Source::new(name, text));
        }
    }
    Policy::from_sources(&sources, &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{:#?}", e.diagnostics))
}

fn errors(p: &Policy, text: &str) -> Vec<FactError> {
    errors_with(p, text, &FactsOptions::default())
}

fn errors_with(p: &Policy, text: &str, opts: &FactsOptions) -> Vec<FactError> {
    match p.load_facts_text(text, opts) {
        Ok(_) => panic!("expected facts errors for {text}"),
        Err(e) => e,
    }
}

fn find<'a>(errs: &'a [FactError], path: &str) -> &'a FactError {
    errs.iter()
        .find(|e| e.path == path)
        .unwrap_or_else(|| panic!("no error at `{path}` in {errs:#?}"))
}

const GOOD: &str = r#"{"discovered_at":"2026-03-01T10:00:00+08:00","reporter":{"org_type":"school","in_course_of_work":true},"minor":{"age":9,"sex":"female"},"indicators":{"sexual_assault":true}}"#;

#[test]
fn a_good_case_reads_from_text_as_from_a_value() {
    let p = bundled();
    let as_of = Date::parse("2026-03-01").unwrap();
    let a = p
        .evaluate_text(
            GOOD,
            as_of,
            &EvalOptions::default(),
            &FactsOptions::default(),
        )
        .unwrap();
    let b = p
        .evaluate_json(
            &serde_json::from_str(GOOD).unwrap(),
            as_of,
            &EvalOptions::default(),
            &FactsOptions::default(),
        )
        .unwrap();
    assert_eq!(a.to_json(), b.to_json());
}

#[test]
fn wrong_json_types_each_get_their_path_and_the_expected_type_all_at_once() {
    let p = bundled();
    let errs = errors(
        &p,
        r#"{"discovered_at": 5, "reporter": {"org_type": ["school"], "in_course_of_work": "yes"},
            "minor": {"age": "nine", "sex": 1}, "indicators": {"pregnancy": null, "abortion": 0},
            "case": 7}"#,
    );
    let expect = [
        ("discovered_at", "F0101", "DateTime (RFC 3339)"),
        ("reporter.org_type", "F0101", "OrgType"),
        ("reporter.in_course_of_work", "F0101", "Bool"),
        ("minor.age", "F0101", "Int"),
        ("minor.sex", "F0101", "Sex"),
        ("indicators.abortion", "F0101", "Bool"),
        ("case", "F0107", "an object"),
    ];
    for (path, code, expected) in expect {
        let e = find(&errs, path);
        assert_eq!((e.code, e.expected.as_str()), (code, expected), "{e:#?}");
        assert!(e.message.starts_with(path) && e.message_zh.starts_with(path));
    }
    assert_eq!(
        errs.len(),
        expect.len(),
        "null is absent, not an error: {errs:#?}"
    );
    assert_eq!(find(&errs, "minor.age").found, "\"nine\"");
}

#[test]
fn integers_out_of_range() {
    let p = bundled();
    let errs = errors(
        &p,
        r#"{"minor": {"age": 151}, "case": {"departments_involved": -1, "prior_reports_12m": 18446744073709551615}}"#,
    );
    assert_eq!(find(&errs, "minor.age").code, "F0103");
    assert_eq!(find(&errs, "minor.age").expected, "a number from 0 to 150");
    assert_eq!(find(&errs, "case.departments_involved").code, "F0103");
    let big = find(&errs, "case.prior_reports_12m");
    assert_eq!(
        (big.code, big.expected.as_str()),
        ("F0103", "a whole number")
    );
    // Past what a JSON number can hold at all: still F0103, with the path it was found at.
    let errs = errors(&p, r#"{"minor": {"sex": "female", "age": 1e400}}"#);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!(
        (errs[0].code, errs[0].path.as_str()),
        ("F0103", "minor.age")
    );
    // A fraction where a whole number is needed.
    let errs = errors(&p, r#"{"minor": {"age": 9.5}}"#);
    assert_eq!(
        (errs[0].code, errs[0].path.as_str()),
        ("F0103", "minor.age")
    );
}

#[test]
fn impossible_dates_and_times() {
    let p = bundled();
    let errs = errors(
        &p,
        r#"{"discovered_at": "2026-02-30T10:00:00+08:00", "reported_at": "2026-03-01T24:00:00+08:00",
            "minor": {"last_guardianship_assessment": "2026-13-01"}}"#,
    );
    let d = find(&errs, "discovered_at");
    assert_eq!(d.code, "F0104");
    assert!(d.message.contains("February 2026 has 28 days"), "{d:#?}");
    assert!(d.message_zh.contains("2026年2月只有28天"), "{d:#?}");
    assert_eq!(find(&errs, "reported_at").code, "F0104");
    assert_eq!(
        find(&errs, "minor.last_guardianship_assessment").code,
        "F0104"
    );
}

#[test]
fn a_time_without_zone_is_read_as_beijing_time_with_a_note() {
    let p = bundled();
    let text = GOOD.replace("2026-03-01T10:00:00+08:00", "2026-03-01T10:00");
    let d = p
        .evaluate_text(
            &text,
            Date::parse("2026-03-01").unwrap(),
            &EvalOptions::default(),
            &FactsOptions::default(),
        )
        .unwrap();
    assert!(
        d.notes
            .iter()
            .any(|n| n.contains("discovered_at had no offset; read as +08:00")),
        "{:?}",
        d.notes
    );
    // The same instant as with the offset written out.
    let with = p
        .evaluate_text(
            GOOD,
            Date::parse("2026-03-01").unwrap(),
            &EvalOptions::default(),
            &FactsOptions::default(),
        )
        .unwrap();
    assert_eq!(d.obligations, with.obligations);
}

#[test]
fn duplicate_keys_are_errors_with_their_paths_beside_the_other_problems() {
    let p = bundled();
    let errs = errors(
        &p,
        r#"{"minor": {"age": 9, "sex": "female", "age": 10},
            "parents": [{"role": "father"}, {"role": "mother", "role": "father"}],
            "reporter": {"org_type": "schoool"},
            "minor": {"sex": "male"}}"#,
    );
    let dup = find(&errs, "minor.age");
    assert_eq!(dup.code, "F0113");
    assert!(dup.message.contains("more than once"), "{dup:#?}");
    assert_eq!(find(&errs, "parents[1].role").code, "F0113");
    assert_eq!(find(&errs, "minor").code, "F0113");
    // The schema's checks still run: a misspelt enum value is reported in the same go.
    assert_eq!(find(&errs, "reporter.org_type").code, "F0105");
}

#[test]
fn deep_nesting_is_refused_with_its_path_and_the_limit_is_configurable() {
    let p = bundled();
    let deep = format!("{{\"minor\": {}1{}}}", "[".repeat(40), "]".repeat(40));
    let errs = errors(&p, &deep);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!(errs[0].code, "F0112");
    assert!(errs[0].path.starts_with("minor[0][0]"), "{}", errs[0].path);
    assert!(errs[0].message.contains("more than 32 levels"));
    // Deeper than serde_json itself would go: the same error, never a stack overflow.
    let deeper = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(errors(&p, &deeper)[0].code, "F0112");
    let tight = FactsOptions {
        max_json_depth: 2,
        ..FactsOptions::default()
    };
    let errs = errors_with(&p, r#"{"minor": {"sex": {"x": 1}}}"#, &tight);
    assert_eq!(
        (errs[0].code, errs[0].path.as_str()),
        ("F0112", "minor.sex")
    );
    // Asking for more than the ceiling gets the ceiling.
    let loose = FactsOptions {
        max_json_depth: 10_000,
        ..FactsOptions::default()
    };
    let errs = errors_with(&p, &deeper, &loose);
    assert!(
        errs[0].message.contains("more than 100 levels"),
        "{errs:#?}"
    );
}

#[test]
fn the_size_of_a_facts_document_is_bounded_and_configurable() {
    let p = bundled();
    let small = FactsOptions {
        max_bytes: 64,
        ..FactsOptions::default()
    };
    let errs = errors_with(&p, GOOD, &small);
    assert_eq!(errs.len(), 1);
    assert_eq!((errs[0].code, errs[0].path.as_str()), ("F0111", "$"));
    assert_eq!(errs[0].expected, "at most 64 bytes");
    assert!(FactsOptions::default().max_bytes >= 1024 * 1024);
    assert!(p.load_facts_text(GOOD, &FactsOptions::default()).is_ok());
}

#[test]
fn list_lengths_are_bounded_and_configurable() {
    let p = bundled();
    let parents: Vec<String> = (0..5).map(|_| r#"{"role":"father"}"#.to_string()).collect();
    let text = format!(r#"{{"parents": [{}]}}"#, parents.join(","));
    let opts = FactsOptions {
        max_list_len: 4,
        ..FactsOptions::default()
    };
    let errs = errors_with(&p, &text, &opts);
    let e = find(&errs, "parents");
    assert_eq!(
        (e.code, e.expected.as_str(), e.found.as_str()),
        ("F0108", "at most 4 items", "5 items")
    );
    assert_eq!(FactsOptions::default().max_list_len, 10_000);
}

#[test]
fn not_json_says_where_reading_stopped() {
    let p = bundled();
    let errs = errors(&p, r#"{"minor": {"age": tru}}"#);
    assert_eq!(errs.len(), 1);
    assert_eq!(
        (errs[0].code, errs[0].path.as_str()),
        ("F0100", "minor.age")
    );
    assert!(
        errs[0].message.contains("line 1 column"),
        "{}",
        errs[0].message
    );
    let errs = errors(&p, r#"{"minor": {"age": 9}} trailing"#);
    assert_eq!((errs[0].code, errs[0].path.as_str()), ("F0100", "$"));
    let errs = errors(&p, "");
    assert_eq!(errs[0].code, "F0100");
    let errs = errors(&p, "[1, 2]");
    assert_eq!((errs[0].code, errs[0].path.as_str()), ("F0107", "$"));
    // Lone surrogates and control characters in strings are not JSON.
    assert_eq!(
        errors(&p, r#"{"minor": {"id": "\ud800"}}"#)[0].code,
        "F0100"
    );
    assert_eq!(
        errors(&p, "{\"minor\": {\"id\": \"a\u{1}b\"}}")[0].code,
        "F0100"
    );
}

#[test]
fn unknown_and_dotted_fields() {
    let p = bundled();
    let errs = errors(
        &p,
        r#"{"minor.age": 9, "minorr": {}, "minor": {"agee": 9}}"#,
    );
    assert_eq!(find(&errs, "minor.age").code, "F0106");
    assert_eq!(find(&errs, "minorr").code, "F0102");
    let agee = find(&errs, "minor.agee");
    assert!(agee.message.contains("did you mean `age`?"), "{agee:#?}");
    // Lenient: unknown fields become notes; dotted keys stay errors.
    let lenient = FactsOptions {
        strictness: Strictness::Lenient,
        ..FactsOptions::default()
    };
    let facts = p
        .load_facts_text(r#"{"minor": {"agee": 9}}"#, &lenient)
        .unwrap();
    assert!(facts.notes.iter().any(|n| n.contains("minor.agee")));
}

#[test]
fn every_facts_error_is_an_evaluate_error_too() {
    let p = bundled();
    match p.evaluate_text(
        r#"{"minor": {"age": "x", "age": 1}}"#,
        Date::parse("2026-03-01").unwrap(),
        &EvalOptions::default(),
        &FactsOptions::default(),
    ) {
        Err(EvaluateError::Facts(errs)) => {
            let codes: Vec<&str> = errs.iter().map(|e| e.code).collect();
            assert_eq!(
                codes,
                ["F0113"],
                "the last value wins, then the key is reported"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn errors_in_sensitive_fields_never_quote_the_value_unless_asked() {
    let p = bundled();
    let text =
        r#"{"minor": {"id": 440104201603010000, "birth_date": "2016-02-30", "sex": "female"}}"#;
    let errs = errors(&p, text);
    let id = find(&errs, "minor.id");
    let birth = find(&errs, "minor.birth_date");
    for e in [id, birth] {
        let all = serde_json::to_string(e).unwrap();
        assert!(
            !all.contains("440104201603010000")
                && !all.contains("2016-02-30")
                && !all.contains("2016"),
            "{all}"
        );
        assert_eq!(e.found, "<redacted>");
        assert!(e.message.contains("not shown") && e.message_zh.contains("不显示"));
    }
    assert_eq!(birth.expected, "Date (YYYY-MM-DD)");
    let reveal = FactsOptions {
        reveal_sensitive: true,
        ..FactsOptions::default()
    };
    let errs = errors_with(&p, text, &reveal);
    assert!(find(&errs, "minor.birth_date")
        .message
        .contains("2016-02-30"));
    assert!(find(&errs, "minor.id").found.contains("440104201603010000"));
}

/// Found by the evaluate fuzz target (fuzz/artifacts/evaluate/crash-1ae448d9…): an empty key
/// gave an error with an empty path. Keys that are not plain names are quoted in brackets.
#[test]
fn regression_fuzz_empty_key_has_a_path() {
    let p = bundled();
    let crash = "{\n  \"case\": {\n    \"id\": \"YX-2026-0301-001\",\n    \"departments_inrgency\": false\n  },\n  \"discovered_at\": \"2026-03-01T10:00:00+08:00\", \"reporter\": {\"org_type\": \"social_work_org\", \"in_course_of_work\": true}, \"miindicatorse\": 15, \"\": \"2026-03-01T10:00:00+08:00\", \"reporter\": {\"org_type\": \"school\", \"in_coursexual_assault\": true}\n}\n";
    let errs = errors(&p, crash);
    for e in &errs {
        assert!(
            !e.path.is_empty() && !e.message.is_empty() && !e.message_zh.is_empty(),
            "{e:#?}"
        );
    }
    assert_eq!(find(&errs, "[\"\"]").code, "F0102");
    let errs = errors(
        &p,
        r#"{"minor": {"": 1, "a b": 2, "x\u001b[31m": 3, "a.b": 4, "sex": "female", "sex": "male"}}"#,
    );
    assert_eq!(find(&errs, "minor[\"\"]").code, "F0102");
    assert_eq!(find(&errs, "minor[\"a b\"]").code, "F0102");
    let esc = find(&errs, "minor[\"x\\u001b[31m\"]");
    assert!(
        !esc.message.contains('\u{1b}'),
        "control characters are escaped: {esc:#?}"
    );
    assert_eq!(find(&errs, "minor.a.b").code, "F0106");
    assert_eq!(find(&errs, "minor.sex").code, "F0113");
}
