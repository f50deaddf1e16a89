//! Snapshot tests of diagnostics: code, place, English and Chinese message, "did you mean".
//! Review changes with `cargo insta review` (or INSTA_UPDATE=always) and commit the .snap files.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use humiao_core::{render, Lang, LoadOptions, Policy, Source};

const HEADER: &str = "policy p \"测试\"\nenum Sex { female \"女\", male \"男\" }\nenum Actor { reporter }\nenum Action { report }\nenum Party { public_security }\nfacts { discovered_at: DateTime }\nfacts minor { age: Int? @range(0, 150)\n sex: Sex }\nconclusion p.k: Bool\nconclusion p.s: Set<Sex> collect\n";

fn diagnose(body: &str) -> String {
    let src = format!("{HEADER}{body}");
    let (_, diags) = Policy::check_sources(
        &[Source::new("p.humiao", src.clone())],
        &LoadOptions::default(),
    );
    let mut out = String::new();
    for lang in [Lang::En, Lang::Zh] {
        for d in diags.iter().filter(|d| d.code != "I0401") {
            out.push_str(&render(d, Some(&src), lang));
        }
    }
    out
}

#[test]
fn misspelt_fact_name() {
    insta::assert_snapshot!(diagnose(
        "rule r \"r\" cite \"c\" when minor.sexx == female then conclude p.k = true\n"
    ));
}

#[test]
fn wrong_enum_value() {
    insta::assert_snapshot!(diagnose(
        "rule r \"r\" cite \"c\" when minor.sex == femal then conclude p.k = true\n"
    ));
}

#[test]
fn missing_then() {
    insta::assert_snapshot!(diagnose(
        "rule r \"r\" cite \"c\" when minor.age < 14\n  conclude p.k = true\n"
    ));
}

#[test]
fn truncated_last_line() {
    insta::assert_snapshot!(diagnose("rule r \"r\" cite \"c\" when minor.age <"));
}

#[test]
fn full_width_punctuation_blank_cite_and_a_long_value_list() {
    insta::assert_snapshot!(diagnose(
        "rule r \"r\" cite \"c\" when any {indicators.beating， indicators.bullying} then conclude p.k = true\nrule q \"q\" cite \"\" when minor.age < 14 then conclude p.k = true\nenum Big { v01, v02, v03, v04, v05, v06, v07, v08, v09, v10, v11, v12, v13, v14 }\nfacts big optional { kind: Big? }\nrule o \"o\" cite \"c\" when big.kind == zzz then conclude p.k = true\n"
    ));
}

#[test]
fn a_test_whose_facts_do_not_fit() {
    insta::assert_snapshot!(diagnose(
        "rule r \"r\" cite \"c\" when minor.age < 14 then conclude p.k = true\ntest \"t\" {\n  given { discovered_at: 2026-02-30T10:00+08:00, minor: { age: 9, sexx: femal } }\n  expect p.k == true\n}\n"
    ));
}

#[test]
fn a_param_with_a_bad_value_is_one_error_not_one_per_use() {
    let out = diagnose(
        "param p.n: Int = \"2\"\nrule r \"r\" cite \"c\" when minor.age < p.n then conclude p.k = true\nrule q \"q\" cite \"c\" priority 1 when minor.age > p.n then conclude p.k = false\n",
    );
    assert_eq!(out.matches("error[").count(), 1, "{out}");
    assert!(
        out.contains("E0201") && !out.contains("unknown name"),
        "{out}"
    );
}

#[test]
fn type_mismatch_and_bad_date() {
    insta::assert_snapshot!(diagnose(
        "rule r \"r\" cite \"c\" when minor.age == \"twelve\" then conclude p.k = true\nrule q \"q\" cite \"c\" when as_of > 2026-02-30 then conclude p.k = true\n"
    ));
}

#[test]
fn rule_structure_errors() {
    insta::assert_snapshot!(diagnose(
        "rule r \"r\" when minor.age < 3 then conclude p.k = true\nrule r \"dup\" cite \"c\" then conclude p.k = true\nrule x \"x\" cite \"c\" exception to rr then conclude p.s = female\nrule y \"y\" cite \"c\" then add female to p.k\n"
    ));
}

#[test]
fn cycles_unknown_types_and_obligation_words() {
    insta::assert_snapshot!(diagnose(
        "let a = b\nlet b = a\nfacts { x: Intt }\nrule r \"r\" cite \"c\" when a then reporter must reprot to public_securty immediately\n"
    ));
}

#[test]
fn imports_cannot_leave_the_set() {
    insta::assert_snapshot!(diagnose(
        "import \"../secrets.humiao\"\nimport \"commn.humiao\"\n"
    ));
}

#[test]
fn the_bundled_rules_have_no_errors_or_warnings() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules");
    let mut sources = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        sources.push(Source::new(name, std::fs::read_to_string(&p).unwrap()));
    }
    let (policy, diags) = Policy::check_sources(&sources, &LoadOptions::default());
    let bad: Vec<String> = diags
        .iter()
        .filter(|d| d.severity != humiao_core::Severity::Info)
        .map(|d| format!("{d:?}"))
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
    let p = policy.unwrap();
    assert_eq!(p.run_tests().failed, 0);
}

#[test]
fn a_decision_that_would_show_a_sensitive_fact() {
    insta::assert_snapshot!(diagnose(
        "facts child { birth: Date? @sensitive }\nconclusion p.born: Date\nlet born = child.birth\nrule r \"r\" cite \"c\" when born is known then conclude p.born = born + 1 day\n  conclude p.k = born < 2020-01-01\nrule s \"s\" cite \"c\" then reporter must report to public_security by born + 18 years\n"
    ));
}
