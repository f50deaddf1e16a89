//! Privacy: `@sensitive` values (the bundled set marks `minor.id` and `minor.birth_date`) go
//! through every output path — decision JSON with and without `--explain`, the human format,
//! JSON Lines decisions and error records, facts error messages, the in-file test runner's
//! failures (human and JSON), diagnostics — and never come out unless the caller opts in with
//! `--reveal-sensitive` / `reveal_sensitive`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use humiao_core::time::Date;
use humiao_core::{EvalOptions, EvaluateError, FactsOptions, LoadOptions, Policy};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// The values fed in, and the bits of them that must not come out (digits of the ID, the birth
/// date in the forms a renderer might use).
const ID: &str = "440104201607120029";
const BIRTH: &str = "2016-07-12";
const BAD_BIRTH: &str = "2016-07-32";
const SECRETS: [&str; 6] = [
    ID,
    "201607120029",
    BIRTH,
    "2016年7月12日",
    BAD_BIRTH,
    "07-32",
];

fn leaks(text: &str) -> Vec<&'static str> {
    SECRETS
        .iter()
        .copied()
        .filter(|s| text.contains(s))
        .collect()
}

fn assert_clean(what: &str, text: &str) {
    let l = leaks(text);
    assert!(l.is_empty(), "{what} leaks {l:?}:\n{text}");
}

mod common;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_humiao"));
    c.current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."));
    c
}

/// (exit code, stdout, stderr)
fn run(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn good_case() -> String {
    format!(
        r#"{{"discovered_at":"2026-03-01T10:00:00+08:00","reporter":{{"org_type":"school","in_course_of_work":true}},"minor":{{"id":"{ID}","birth_date":"{BIRTH}","sex":"female","age":8}},"indicators":{{"sexual_assault":true}},"case":{{"id":"YX-1"}}}}"#
    )
}

/// Wrong in both sensitive fields: the ID as a number, an impossible birth date.
fn bad_case() -> String {
    format!(
        r#"{{"discovered_at":"2026-03-01T10:00:00+08:00","minor":{{"id":{ID},"birth_date":"{BAD_BIRTH}","sex":"female"}}}}"#
    )
}

fn temp_dir(name: &str) -> common::TempDir {
    common::temp_dir("privacy", name)
}

const EVAL: [&str; 6] = ["eval", "rules", "--facts", "-", "--as-of", "2026-03-01"];

fn eval(extra: &[&str], stdin: &str) -> (i32, String, String) {
    let mut args = EVAL.to_vec();
    args.extend(extra);
    run(&args, stdin)
}

#[test]
fn decisions_in_every_format_keep_sensitive_values_out() {
    for extra in [
        &[][..],
        &["--explain"][..],
        &["--format", "human"][..],
        &["--format", "human", "--explain", "--lang", "zh"][..],
        &["--format", "human", "--explain", "--lang", "en"][..],
        &["--format", "jsonl", "--explain"][..],
    ] {
        let (code, out, err) = eval(extra, &good_case());
        assert_eq!(code, 0, "{extra:?}: {err}");
        assert_clean(&format!("eval {extra:?} stdout"), &out);
        assert_clean(&format!("eval {extra:?} stderr"), &err);
    }
    // The explanation does read the birth date: it is there, as <redacted>.
    let (_, out, _) = eval(&["--explain"], &good_case());
    let d: serde_json::Value = serde_json::from_str(&out).unwrap();
    let shown: Vec<&serde_json::Value> = d["trace"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["conditions"].as_array().unwrap())
        .flat_map(|c| c["facts"].as_array().unwrap())
        .filter(|f| f["fact"] == "minor.birth_date")
        .map(|f| &f["value"])
        .collect();
    assert!(!shown.is_empty(), "the trace names minor.birth_date");
    assert!(shown.iter().all(|v| *v == "<redacted>"), "{shown:?}");
    // Opting in shows it.
    let (_, out, _) = eval(&["--explain", "--reveal-sensitive"], &good_case());
    assert!(out.contains(BIRTH), "--reveal-sensitive shows the value");
    // A birth date after the discovery: the note says so without quoting it.
    let future = good_case().replace(BIRTH, "2027-05-06");
    for extra in [&[][..], &["--format", "human", "--explain"][..]] {
        let (code, out, _) = eval(extra, &future);
        assert_eq!(code, 0);
        assert!(
            out.contains("age unknown") || out.contains("年龄无法确定"),
            "{out}"
        );
        assert!(
            !out.contains("2027-05-06"),
            "the note leaks the birth date: {out}"
        );
    }
}

#[test]
fn facts_errors_keep_sensitive_values_out() {
    for lang in ["en", "zh", "both"] {
        let (code, out, err) = eval(&["--lang", lang], &bad_case());
        assert_eq!(code, 2);
        assert!(
            err.contains("minor.birth_date") && err.contains("minor.id"),
            "{err}"
        );
        assert_clean(&format!("facts errors ({lang})"), &format!("{out}{err}"));
    }
    // JSON Lines error records: the problems are listed with their paths, not their values.
    let input = format!("{}\n{}\n", bad_case(), good_case());
    let (code, out, err) = eval(&["--format", "jsonl", "--explain"], &input);
    assert_eq!(code, 3);
    assert_eq!(out.lines().count(), 2);
    assert!(out.contains("\"path\":\"minor.birth_date\""), "{out}");
    assert_clean("jsonl records", &format!("{out}{err}"));
    // Opting in quotes them.
    let (_, _, err) = eval(&["--reveal-sensitive", "--lang", "en"], &bad_case());
    assert!(err.contains(BAD_BIRTH) && err.contains(ID), "{err}");
}

#[test]
fn the_core_api_keeps_sensitive_values_out() {
    let sources =
        humiao_cli::load::read_policy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules"))
            .unwrap();
    let p = Policy::from_sources(&sources, &LoadOptions::default()).unwrap();
    let as_of = Date::parse("2026-03-01").unwrap();
    for explain in [false, true] {
        let opts = EvalOptions {
            explain,
            ..EvalOptions::default()
        };
        let d = p
            .evaluate_text(&good_case(), as_of, &opts, &FactsOptions::default())
            .unwrap();
        assert_clean("Decision::to_json", &d.to_json());
        assert_clean("Decision Debug", &format!("{d:?}"));
        match p.evaluate_text(&bad_case(), as_of, &opts, &FactsOptions::default()) {
            Err(EvaluateError::Facts(errs)) => {
                assert_clean("FactError JSON", &serde_json::to_string(&errs).unwrap());
                assert_clean("FactError Debug", &format!("{errs:?}"));
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn test_runner_failures_and_diagnostics_keep_sensitive_values_out() {
    // The bundled set plus a file of tests that give sensitive values and fail.
    let d = temp_dir("tests");
    for e in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), d.join(e.file_name())).unwrap();
    }
    let probe = format!(
        r#"policy privacy "privacy probe"
import "common.humiao"

test "a failing test that gives sensitive values" {{
  given {{
    discovered_at: 2026-03-01T10:00+08:00
    reporter: {{ org_type: school, in_course_of_work: true }}
    minor: {{ id: "{ID}", birth_date: {BIRTH}, sex: female }}
    indicators: {{ sexual_assault: true }}
  }}
  expect reporting.duty == none
  expect status == undetermined
  expect missing minor.id
  expect not fired reporting.female_under_14
}}

test "a test whose sensitive values are wrong" {{
  given {{
    discovered_at: 2026-03-01T10:00+08:00
    reporter: {{ org_type: school, in_course_of_work: true }}
    minor: {{ id: {ID}, birth_date: "{BAD_BIRTH}", sex: female }}
  }}
  expect reporting.duty == none
}}
"#
    );
    std::fs::write(d.join("privacy.humiao"), probe).unwrap();
    let dir = d.to_str().unwrap();
    for lang in ["en", "zh", "both"] {
        let (code, out, err) = run(&["test", dir, "--lang", lang], "");
        assert_eq!(code, 1, "{out}{err}");
        assert!(out.contains("FAIL privacy.humiao:4") && out.contains("FAIL privacy.humiao:17"));
        assert_clean(&format!("test report ({lang})"), &format!("{out}{err}"));
    }
    let (_, out, err) = run(&["test", dir, "--format", "json"], "");
    assert!(out.contains("not shown"), "{out}");
    assert_clean("test report JSON", &format!("{out}{err}"));
    // Diagnostics of the set (human and JSON): the given values are not quoted.
    for args in [&["check", dir][..], &["check", dir, "--format", "json"][..]] {
        let (_, out, err) = run(args, "");
        assert!(err.contains("W0102") || out.contains("W0102"), "{out}{err}");
        assert_clean(&format!("{args:?}"), &format!("{out}{err}"));
    }
}

#[test]
fn a_sensitive_case_id_is_redacted_in_the_decision() {
    let d = temp_dir("case-id");
    std::fs::write(
        d.join("a.humiao"),
        "policy a \"a\"\nfacts { discovered_at: DateTime }\nfacts case { id: Text? @sensitive }\n",
    )
    .unwrap();
    let case = format!(r#"{{"discovered_at":"2026-03-01T10:00:00+08:00","case":{{"id":"{ID}"}}}}"#);
    let (code, out, err) = run(
        &[
            "eval",
            d.to_str().unwrap(),
            "--facts",
            "-",
            "--as-of",
            "2026-03-01",
        ],
        &case,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"case_id\":\"<redacted>\""), "{out}");
    assert_clean("case_id", &out);
}

#[test]
fn sensitive_fields_of_list_items_are_redacted_too() {
    let d = temp_dir("records");
    std::fs::write(
        d.join("a.humiao"),
        "policy a \"a\"\nfacts { discovered_at: DateTime }\nrecord P { id: Text? @sensitive\n age: Int? }\nfacts { ps: List<P> }\nconclusion k: Bool\nrule r \"r\" cite \"c\" when any p in ps: p.age > 3 then conclude k = true\n",
    )
    .unwrap();
    let dir = d.to_str().unwrap();
    let case = format!(
        r#"{{"discovered_at":"2026-03-01T10:00:00+08:00","ps":[{{"id":"{ID}","age":5}},{{"age":1}}]}}"#
    );
    let args = [
        "eval",
        dir,
        "--facts",
        "-",
        "--as-of",
        "2026-03-01",
        "--explain",
    ];
    let (code, out, err) = run(&args, &case);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(r#"{"age":5,"id":"<redacted>"}"#), "{out}");
    assert_clean("trace of a list", &out);
    let mut reveal = args.to_vec();
    reveal.push("--reveal-sensitive");
    let (_, out, _) = run(&reveal, &case);
    assert!(out.contains(ID));
    // A wrong value in a sensitive field of an item: the path, not the value.
    let bad = format!(r#"{{"discovered_at":"2026-03-01T10:00:00+08:00","ps":[{{"id":{ID}}}]}}"#);
    let (code, out, err) = run(&args, &bad);
    assert_eq!(code, 2);
    assert!(err.contains("ps[0].id"), "{err}");
    assert_clean("facts error in a list item", &format!("{out}{err}"));
}
