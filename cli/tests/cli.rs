//! The `humiao` binary end to end: exit codes, output formats, batch behaviour.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{BufRead, Write};
use std::path::Path;
use std::process::{Command, Stdio};

mod common;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_humiao"));
    c.current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."));
    c
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = bin().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn temp_dir(name: &str) -> common::TempDir {
    common::temp_dir("cli-test", name)
}

/// A copy of the bundled rules in `dir`, to change without touching `rules/`.
fn copy_rules(dir: &std::path::Path) {
    for e in std::fs::read_dir("../rules").unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.join(e.file_name())).unwrap();
    }
}

#[test]
fn check_and_test_the_bundled_rules() {
    let (code, out, err) = run(&["check", "rules", "--deny-warnings"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("reporting.late_after"),
        "unconfirmed params are listed: {out}"
    );
    let (code, out, _) = run(&["test", "rules"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(" 0 failed"));
}

#[test]
fn eval_the_readme_sample() {
    let (code, out, err) = run(&[
        "eval",
        "rules",
        "--facts",
        "examples/case-school-girl.json",
        "--as-of",
        "2026-03-01",
    ]);
    assert_eq!(code, 0, "{err}");
    let d: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(d["status"], "determined");
    assert_eq!(d["conclusions"]["reporting.duty"], "mandatory");
    assert_eq!(d["obligations"][0]["due"], "2026-03-01T10:00:00+08:00");
    let (code, out, _) = run(&[
        "eval",
        "rules",
        "--facts",
        "examples/case-school-girl.json",
        "--as-of",
        "2026-03-01",
        "--format",
        "human",
        "--lang",
        "zh",
    ]);
    assert_eq!(code, 0);
    assert!(
        out.contains("公安机关")
            && out.contains("未成年人保护法 第十一条第二款")
            && out.contains("立即"),
        "{out}"
    );
    // Without --as-of the decision says which date it used.
    let (_, out, _) = run(&["eval", "rules", "--facts", "examples/case-school-girl.json"]);
    assert!(out.contains("as_of not given"), "{out}");
}

#[test]
fn invalid_policy_gets_file_line_column_and_code() {
    let d = temp_dir("broken");
    std::fs::write(d.join("a.humiao"), "policy a \"a\"\nfacts { minor.sex: Bool }\nrule r \"r\"\n  cite \"c\"\n  when minor.sexx\n  then conclude k = true\n").unwrap();
    let (code, _, err) = run(&["check", d.to_str().unwrap(), "--lang", "en"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("error[E0101]")
            && err.contains("a.humiao:5:8")
            && err.contains("did you mean `minor.sex`?"),
        "{err}"
    );
    let (code, _, _) = run(&[
        "eval",
        d.to_str().unwrap(),
        "--facts",
        "examples/case-school-girl.json",
    ]);
    assert_eq!(code, 2);
}

#[test]
fn bad_facts_get_every_path_and_exit_2() {
    let d = temp_dir("facts");
    let f = d.join("f.json");
    std::fs::write(
        &f,
        r#"{"minor": {"age": "twelve", "sex": "femal"}, "reporter": {"org_typ": "school"}}"#,
    )
    .unwrap();
    let (code, _, err) = run(&[
        "eval",
        "rules",
        "--facts",
        f.to_str().unwrap(),
        "--as-of",
        "2026-03-01",
        "--lang",
        "en",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("minor.age: expected Int, found \"twelve\""),
        "{err}"
    );
    assert!(
        err.contains("minor.sex") && err.contains("reporter.org_typ"),
        "{err}"
    );
}

#[test]
fn jsonl_writes_one_line_per_input_line() {
    let input = "{\"discovered_at\":\"2026-03-01T10:00:00+08:00\",\"reporter\":{\"org_type\":\"school\",\"in_course_of_work\":true},\"minor\":{\"age\":9,\"sex\":\"female\"},\"indicators\":{\"sexual_assault\":true}}\nnot json\n{\"minor\":{\"age\":\"x\"}}\n\n{\"discovered_at\":\"2026-03-01T10:00:00+08:00\"}\n";
    let mut child = jsonl_child(&[]);
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "a batch with error records exits 3"
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5);
    assert_eq!(lines[0]["conclusions"]["reporting.duty"], "mandatory");
    assert_eq!(lines[1]["line"], 2);
    assert_eq!(lines[2]["line"], 3);
    assert_eq!(lines[2]["error"]["facts"][0]["path"], "minor.age");
    assert_eq!(lines[3]["line"], 4);
    assert_eq!(
        lines[4]["conclusions"]["reporting.duty"], "none",
        "no sign seen: nothing to report"
    );
    // --on-error stop ends at the first bad line.
    let mut child = bin()
        .args([
            "eval",
            "rules",
            "--facts",
            "-",
            "--format",
            "jsonl",
            "--as-of",
            "2026-03-01",
            "--on-error",
            "stop",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 2);
}

#[test]
fn a_closed_stdout_ends_quietly() {
    let line = "{\"discovered_at\":\"2026-03-01T10:00:00+08:00\",\"reporter\":{\"org_type\":\"school\",\"in_course_of_work\":true},\"minor\":{\"age\":9,\"sex\":\"female\"}}\n";
    let d = temp_dir("pipe");
    let f = d.join("many.jsonl");
    std::fs::write(&f, line.repeat(20_000)).unwrap();
    let mut child = bin()
        .args([
            "eval",
            "rules",
            "--facts",
            f.to_str().unwrap(),
            "--format",
            "jsonl",
            "--as-of",
            "2026-03-01",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

#[test]
fn failing_in_file_tests_exit_1_with_expected_and_actual() {
    let d = temp_dir("failing");
    std::fs::write(
        d.join("a.humiao"),
        "policy a \"a\"\nfacts { discovered_at: DateTime\n x: Bool? }\nconclusion k: Bool\nrule r \"r\" cite \"c\" when x then conclude k = true\ntest \"wrong\" {\n  given { discovered_at: 2026-01-01T10:00+08:00, x: false }\n  expect k == true\n  expect x == true\n}\n",
    )
    .unwrap();
    let (code, out, _) = run(&["test", d.to_str().unwrap(), "--lang", "en"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("FAIL a.humiao:6 wrong")
            && out.contains("expected: true")
            && out.contains("a.humiao:8"),
        "{out}"
    );
    // A comparison that failed says what its operands came to.
    assert!(
        out.contains("a.humiao:9") && out.contains("x = false"),
        "{out}"
    );
}

#[test]
fn plan_formats_and_safe_output() {
    let (code, out, err) = run(&[
        "plan",
        "rules",
        "--rotation",
        "supervision",
        "--from",
        "2027-01",
        "--months",
        "12",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let p: serde_json::Value = serde_json::from_str(&out).unwrap();
    let months = p["months"].as_array().unwrap();
    assert_eq!(months.len(), 12);
    for m in months {
        assert_eq!(m["visits"].as_array().unwrap().len(), 3);
        for v in m["visits"].as_array().unwrap() {
            assert_eq!(v["communities"].as_array().unwrap().len(), 2);
        }
    }
    let (code, out, _) = run(&[
        "plan", "rules", "--from", "2027-01", "--months", "2", "--format", "ics",
    ]);
    assert_eq!(code, 0);
    assert!(out.starts_with("BEGIN:VCALENDAR\r\n") && out.contains("BEGIN:VEVENT"));
    let d = temp_dir("plan");
    let target = d.join("plan.csv");
    std::fs::write(&target, "old").unwrap();
    let (code, _, _) = run(&[
        "plan",
        "rules",
        "--from",
        "2027-01",
        "--months",
        "2",
        "--format",
        "csv",
        "--output",
        target.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    let written = std::fs::read_to_string(&target).unwrap();
    assert!(written.starts_with("month,"), "{written}");
    assert_eq!(
        std::fs::read_dir(&d).unwrap().count(),
        1,
        "no temporary file is left behind"
    );
    // A failing plan leaves the old file as it was.
    let (code, _, _) = run(&[
        "plan",
        "rules",
        "--from",
        "2027-13",
        "--months",
        "2",
        "--format",
        "csv",
        "--output",
        target.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), written);
}

#[test]
fn plan_output_never_replaces_what_it_reads() {
    let d = temp_dir("plan-inputs");
    let set = d.join("rules");
    std::fs::create_dir(&set).unwrap();
    copy_rules(&set);
    let history = d.join("history.csv");
    std::fs::write(&history, "month,street,community\n").unwrap();
    let plan_to = |out: &std::path::Path| {
        run(&[
            "plan",
            set.to_str().unwrap(),
            "--from",
            "2027-01",
            "--months",
            "2",
            "--format",
            "csv",
            "--history",
            history.to_str().unwrap(),
            "--output",
            out.to_str().unwrap(),
        ])
    };
    for (out, says) in [
        (set.join("supervision.humiao"), "policy set"),
        (set.join("humiao.toml"), "policy set"),
        (set.join(".").join("yuexiu-roster.csv"), "policy set"),
        (d.join("rules/../history.csv"), "--history"),
    ] {
        let before = std::fs::read(&out).unwrap();
        let (code, _, err) = plan_to(&out);
        assert_eq!(code, 2, "{}: {err}", out.display());
        assert!(err.contains(says) && err.contains("请写到别处"), "{err}");
        assert_eq!(std::fs::read(&out).unwrap(), before, "{}", out.display());
    }
    // Anywhere else, it is written.
    let (code, _, err) = plan_to(&d.join("plan.csv"));
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::read_to_string(d.join("plan.csv"))
        .unwrap()
        .starts_with("month,"));
}

#[test]
fn an_empty_rule_file_is_a_warning_in_check_and_test() {
    let d = temp_dir("empty-file");
    copy_rules(&d);
    // An editor that crashed mid-save: the file is there, its rules and tests are not.
    std::fs::write(d.join("information.humiao"), "# 信息管理\n\n").unwrap();
    let (code, _, err) = run(&["check", d.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("W0103") && err.contains("information.humiao:1:1"),
        "{err}"
    );
    assert!(err.contains("是否完整保存"), "{err}");
    let (code, out, err) = run(&["check", d.to_str().unwrap(), "--deny-warnings"]);
    assert_ne!(code, 0, "{out}{err}");
    let (code, out, err) = run(&["test", d.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("W0103") && out.contains("passed"),
        "{out}{err}"
    );
    let (_, _, err) = run(&["test", "../rules"]);
    assert!(!err.contains("warning["), "{err}");
}

#[test]
fn a_rule_file_saved_as_gbk_says_where_and_what_to_do() {
    let d = temp_dir("gbk");
    // "policy a" then a comment in GB18030: 中 is D6 D0, not UTF-8.
    let mut bytes = b"policy a \"a\"\n# ".to_vec();
    bytes.extend_from_slice(&[0xD6, 0xD0]);
    bytes.push(b'\n');
    std::fs::write(d.join("a.humiao"), bytes).unwrap();
    let (code, _, err) = run(&["check", d.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("a.humiao:2:3") && err.contains("GBK") && err.contains("另存为 UTF-8"),
        "{err}"
    );
}

#[test]
fn a_misspelt_exclusion_is_found_by_check() {
    let d = temp_dir("exclude");
    copy_rules(&d);
    let path = d.join("supervision.humiao");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("\n  seed "), "{text}");
    let text = text.replacen(
        "\n  seed ",
        "\n  exclude \"文圆巷社区\": \"under renovation\"\n  seed ",
        1,
    );
    std::fs::write(&path, text).unwrap();
    let (code, _, err) = run(&["check", d.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("E0504") && err.contains("supervision.humiao:"),
        "{err}"
    );
    assert!(
        err.contains("did you mean `文园巷社区`") && err.contains("是否想写 `文园巷社区`"),
        "{err}"
    );
    // Spelt right, it loads and plans without the community.
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("文圆巷社区", "文园巷社区");
    std::fs::write(&path, text).unwrap();
    let (code, out, err) = run(&[
        "plan",
        d.to_str().unwrap(),
        "--from",
        "2027-01",
        "--months",
        "6",
        "--format",
        "csv",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("文园巷社区"), "{out}");
}

#[test]
fn policy_folder_confinement() {
    let d = temp_dir("confine");
    std::fs::write(
        d.join("humiao.toml"),
        "name = \"x\"\nversion = \"1\"\ndata = [\"../../etc/passwd\"]\n",
    )
    .unwrap();
    std::fs::write(d.join("a.humiao"), "policy a \"a\"\n").unwrap();
    let (code, _, err) = run(&["check", d.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("leaves the policy folder"), "{err}");
}

#[test]
fn broken_input_never_panics() {
    let d = temp_dir("junk");
    let junk = [
        "rule",
        "政策",
        "((((((((((",
        "facts { a: List<",
        "test \"x\" { given { a: [1, {b: }] } }",
        "\u{0}\u{1}",
        "rule r \"r\" cite \"c\" then x must y within 99999999999999999999 hours",
    ];
    for (i, j) in junk.iter().enumerate() {
        std::fs::write(d.join("a.humiao"), j).unwrap();
        for cmd in ["check", "test"] {
            let (code, _, err) = run(&[cmd, d.to_str().unwrap()]);
            assert!(
                code == 0 || code == 2 || code == 1,
                "{i} {cmd}: {code} {err}"
            );
            assert!(!err.contains("panicked"), "{err}");
        }
    }
}

/// `eval --format jsonl` on standard input with extra arguments: exit code and stdout.
/// `humiao eval rules --facts - --format jsonl --as-of 2026-03-01` and `extra`, started with
/// its standard input and output piped.
fn jsonl_child(extra: &[&str]) -> std::process::Child {
    let mut args = vec![
        "eval",
        "rules",
        "--facts",
        "-",
        "--format",
        "jsonl",
        "--as-of",
        "2026-03-01",
    ];
    args.extend_from_slice(extra);
    bin()
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap()
}

fn jsonl_run(input: &[u8], extra: &[&str]) -> (Option<i32>, Vec<u8>) {
    let mut child = jsonl_child(extra);
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    // Written from a thread: the child's output may fill its pipe before it has read all.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    (out.status.code(), out.stdout)
}

#[test]
fn jsonl_gives_the_bytes_of_json_for_each_case() {
    // A determined case, one waiting for facts, one whose due time is open, with and without
    // --as-of (whose note the decision then carries) and --explain, on one and two threads.
    let cases = [
        r#"{"discovered_at":"2026-03-01T10:00:00+08:00","reporter":{"org_type":"school","in_course_of_work":true},"minor":{"age":9,"sex":"female"},"indicators":{"sexual_assault":true},"case":{"id":"A-1 \"x\""}}"#,
        r#"{"discovered_at":"2026-03-01T10:00:00","minor":{"age":12}}"#,
        r#"{"reporter":{"org_type":"school","in_course_of_work":true},"minor":{"age":9,"sex":"female"},"indicators":{"sexual_assault":true}}"#,
    ];
    let d = temp_dir("jsonl-json");
    let mut batch = String::new();
    for (i, c) in cases.iter().enumerate() {
        std::fs::write(d.join(format!("{i}.json")), c).unwrap();
        batch.push_str(c);
        batch.push('\n');
    }
    std::fs::write(d.join("all.jsonl"), &batch).unwrap();
    for extra in [&["--as-of", "2026-03-01"][..], &[], &["--explain"]] {
        let mut want = String::new();
        for i in 0..cases.len() {
            let f = d.join(format!("{i}.json"));
            let mut args = vec!["eval", "rules", "--facts", f.to_str().unwrap()];
            args.extend_from_slice(&["--format", "json"]);
            args.extend_from_slice(extra);
            let (code, out, err) = run(&args);
            assert_eq!(code, 0, "{err}");
            want.push_str(&out);
        }
        for jobs in ["1", "2"] {
            let f = d.join("all.jsonl");
            let mut args = vec!["eval", "rules", "--facts", f.to_str().unwrap()];
            args.extend_from_slice(&["--format", "jsonl", "--jobs", jobs]);
            args.extend_from_slice(extra);
            let (code, out, err) = run(&args);
            assert_eq!(code, 0, "{err}");
            assert_eq!(out, want, "{extra:?} --jobs {jobs}");
        }
    }
}

#[test]
fn jobs_give_the_same_bytes_in_the_same_order() {
    // 3,000 lines (more than one chunk per thread), every 97th broken in a different way.
    let cases = [
        r#"{"discovered_at":"2026-03-01T10:00:00+08:00","reporter":{"org_type":"school","in_course_of_work":true},"minor":{"age":9,"sex":"female"},"indicators":{"sexual_assault":true}}"#,
        r#"{"discovered_at":"2026-03-01T10:00:00+08:00","reporter":{"org_type":"individual","in_course_of_work":false},"minor":{"age":15,"sex":"male"},"indicators":{"beating":true,"multiple_injuries":true}}"#,
        r#"{"discovered_at":"2026-03-01T10:00:00+08:00","minor":{"age":12}}"#,
    ];
    let broken = ["not json", r#"{"minor":{"age":"x"}}"#, "", "\u{7f}\u{1}"];
    let mut input = Vec::new();
    for i in 0..3000usize {
        if i % 97 == 5 {
            input.extend_from_slice(broken[(i / 97) % broken.len()].as_bytes());
        } else {
            input.extend_from_slice(cases[i % cases.len()].as_bytes());
        }
        input.push(b'\n');
    }
    let (code1, one) = jsonl_run(&input, &[]);
    assert_eq!(code1, Some(3));
    assert_eq!(one.iter().filter(|&&b| b == b'\n').count(), 3000);
    for jobs in ["2", "3", "0"] {
        let (code, many) = jsonl_run(&input, &["--jobs", jobs]);
        assert_eq!(code, code1, "--jobs {jobs}");
        assert!(many == one, "--jobs {jobs} changed the output");
    }
    // --on-error stop ends at the same line whatever the number of threads.
    let (_, stop1) = jsonl_run(&input, &["--on-error", "stop"]);
    let (_, stop3) = jsonl_run(&input, &["--on-error", "stop", "--jobs", "3"]);
    assert_eq!(stop1.iter().filter(|&&b| b == b'\n').count(), 6);
    assert!(stop1 == stop3);
    // Threads past any machine's cores are refused, not started until the process aborts.
    let (code, out) = jsonl_run(&input, &["--jobs", "100000"]);
    assert_eq!(code, Some(2));
    assert!(out.is_empty());
    let (code, many) = jsonl_run(&input, &["--jobs", "256"]);
    assert_eq!(code, code1);
    assert!(many == one, "--jobs 256 changed the output");
}

#[test]
fn jobs_end_when_the_output_is_closed() {
    // A reader that goes away (`humiao eval … | head -1`) ends the batch quietly, as a broken
    // pipe ends other Unix tools, on one thread and on several: the threads stop, nothing
    // waits for them (a hang here would be this test never finishing).
    let line = r#"{"discovered_at":"2026-03-01T10:00:00+08:00","reporter":{"org_type":"school","in_course_of_work":true},"minor":{"age":9,"sex":"female"},"indicators":{"sexual_assault":true}}"#;
    let input: Vec<u8> = std::iter::repeat_n(format!("{line}\n"), 20_000)
        .collect::<String>()
        .into_bytes();
    for jobs in ["1", "2", "4"] {
        let mut child = jsonl_child(&["--jobs", jobs]);
        let mut stdin = child.stdin.take().unwrap();
        let input = input.clone();
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
        let mut stdout = child.stdout.take().unwrap();
        let mut first = [0u8; 64];
        std::io::Read::read_exact(&mut stdout, &mut first).unwrap();
        assert!(first.starts_with(b"{\"policy\""), "--jobs {jobs}");
        drop(stdout);
        let status = child.wait().unwrap();
        writer.join().unwrap();
        assert!(status.success(), "--jobs {jobs}: {status}");
    }
}

/// The records of `humiao eval --format jsonl` with `args` added, over `input` on stdin.
fn jsonl_records(input: &[u8], args: &[&str]) -> (i32, Vec<serde_json::Value>) {
    let (code, out) = jsonl_run(input, args);
    let records = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (code.unwrap_or(-1), records)
}

/// `--outcomes` gives, line for line, each decision's case id and conclusions (`null` for one
/// the decision lacks or lists as undecided), `settled` when no conclusion is undecided and no
/// rules conflict, and the decision's error record for a line that has one; the same on one
/// and two threads, and in blocks of 64 lines or fewer. `--keys` picks and orders them.
#[test]
fn outcomes_are_the_conclusions_of_the_decisions() {
    let mut lines: Vec<String> = Vec::new();
    let mut dir: Vec<_> = std::fs::read_dir("../tests/conformance")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    dir.sort();
    for p in &dir {
        let c: serde_json::Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
        lines.push(serde_json::to_string(&c["facts"]).unwrap());
    }
    assert!(lines.len() > 100, "{} conformance cases", lines.len());
    let broken = [
        "not json",
        r#"{"minor":{"age":"x"}}"#,
        "",
        "\u{7f}\u{1}",
        r#"{"bad":1}"#,
    ];
    for (i, b) in broken.iter().enumerate() {
        lines.insert(7 + 23 * i, (*b).to_string());
    }
    // Twice over, so that blocks of 64 start at other cases the second time.
    let n = lines.len();
    lines.extend_from_within(..n - 3);
    let input = lines.join("\n") + "\n";
    let (code, decisions) = jsonl_records(input.as_bytes(), &[]);
    assert_eq!(code, 3);
    assert_eq!(decisions.len(), lines.len());
    let keys: Vec<String> = {
        let (code, out, err) = run(&[
            "eval",
            "rules",
            "--facts",
            "examples/case-school-girl.json",
            "--as-of",
            "2026-03-01",
            "--outcomes",
        ]);
        assert_eq!(code, 0, "{err}");
        let o: serde_json::Value = serde_json::from_str(&out).unwrap();
        o["conclusions"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    };
    assert_eq!(keys.len(), 17, "{keys:?}");
    let (mut settled, mut open, mut failed) = (0, 0, 0);
    for jobs in ["1", "2"] {
        let (code, outcomes) = jsonl_records(input.as_bytes(), &["--outcomes", "--jobs", jobs]);
        assert_eq!(code, 3);
        assert_eq!(outcomes.len(), decisions.len());
        for (i, (o, d)) in outcomes.iter().zip(&decisions).enumerate() {
            if d.get("error").is_some() {
                assert_eq!(o, d, "line {}", i + 1);
                failed += usize::from(jobs == "1");
                continue;
            }
            assert_eq!(o["case_id"], d["case_id"], "line {}", i + 1);
            let undecided: Vec<&str> = d["undecided"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u.as_str().unwrap())
                .collect();
            let conc = o["conclusions"].as_object().unwrap();
            assert_eq!(conc.keys().cloned().collect::<Vec<_>>(), keys);
            let mut all_settled = d.get("conflicts").is_none();
            for k in &keys {
                let want = if undecided.contains(&k.as_str()) {
                    all_settled = false;
                    serde_json::Value::Null
                } else {
                    d["conclusions"].get(k).cloned().unwrap_or_default()
                };
                assert_eq!(conc[k], want, "line {} {k}: {d}", i + 1);
            }
            assert_eq!(o["settled"], all_settled, "line {}: {d}", i + 1);
            if all_settled {
                settled += 1;
            } else {
                open += 1;
            }
        }
    }
    assert!(
        settled > 100 && open > 20 && failed == 10,
        "{settled} {open} {failed}"
    );
    let (code, picked) = jsonl_records(
        input.as_bytes(),
        &[
            "--outcomes",
            "--keys",
            "consultation.required,reporting.duty",
        ],
    );
    assert_eq!(code, 3);
    for (o, d) in picked.iter().zip(&decisions) {
        if d.get("error").is_some() {
            continue;
        }
        let conc = o["conclusions"].as_object().unwrap();
        assert_eq!(
            conc.keys().collect::<Vec<_>>(),
            ["consultation.required", "reporting.duty"]
        );
    }
}

/// On one thread each line of a stream is answered as it comes, a decision or (`--outcomes`)
/// an outcome: nothing waits for more lines than are there, and what is written is flushed
/// before the reading waits — also when the start of the next line is already there.
#[test]
fn a_stream_is_answered_line_by_line() {
    for mode in [&[][..], &["--outcomes"][..]] {
        let mut c = jsonl_child(mode);
        let mut stdin = c.stdin.take().unwrap();
        let stdout = c.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                if tx.send(line.unwrap()).is_err() {
                    return;
                }
            }
        });
        for (n, age) in [9, 15, 12].into_iter().enumerate() {
            // The first line whole; each next one's start came with the line before.
            let line = format!(r#"{{"case":{{"id":"c{age}"}},"minor":{{"age":{age}}}}}"#);
            let (start, rest) = line.split_at(5);
            if n == 0 {
                stdin.write_all(start.as_bytes()).unwrap();
            }
            stdin.write_all(rest.as_bytes()).unwrap();
            stdin.write_all(b"\n").unwrap();
            if n < 2 {
                stdin.write_all(br#"{"cas"#).unwrap();
            }
            stdin.flush().unwrap();
            let got = rx.recv_timeout(std::time::Duration::from_secs(60));
            let Ok(line) = got else {
                let _ = c.kill();
                panic!("{mode:?}: no answer to the line of age {age} while the input stays open");
            };
            let o: serde_json::Value = serde_json::from_str(&line).unwrap();
            assert_eq!(o["case_id"], format!("c{age}"), "{mode:?}");
        }
        drop(stdin);
        assert!(c.wait().unwrap().success());
        reader.join().unwrap();
    }
}

#[test]
fn outcomes_refuse_what_they_cannot_do() {
    let sample = "examples/case-school-girl.json";
    for (args, says) in [
        (&["--outcomes", "--explain"][..], "--explain"),
        (
            &["--outcomes", "--format", "human"][..],
            "--format json or jsonl",
        ),
        (
            &["--outcomes", "--keys", "reporting.dutty"][..],
            "did you mean `reporting.duty`?",
        ),
        (
            &["--outcomes", "--keys", "reporting.duty, reporting.duty"][..],
            "named twice",
        ),
        (&["--keys", "reporting.duty"][..], "--outcomes"),
    ] {
        let mut a = vec!["eval", "rules", "--facts", sample, "--as-of", "2026-03-01"];
        a.extend_from_slice(args);
        let (code, out, err) = run(&a);
        assert_eq!(code, 2, "{args:?}: {out}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}: {out}");
    }
    // Without --as-of, the date used is said once on standard error (an outcome has no notes).
    let (code, out, err) = run(&["eval", "rules", "--facts", sample, "--outcomes"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("as_of not given"), "{err}");
    assert!(out.starts_with(r#"{"case_id":"YX-2026-0301-001","settled":true,"conclusions":{"#));
}

/// The step budget: an outcome takes no more steps than its decision (it works out no due
/// times), so wherever the decision is within `--max-steps` the outcome is too.
#[test]
fn outcomes_fit_the_step_budget_wherever_decisions_do() {
    let line = br#"{"discovered_at": "2026-03-01T10:00:00+08:00", "reporter": {"org_type": "state_organ", "in_course_of_work": true}, "minor": {"age": 15, "sex": "female"}, "indicators": {"sexual_assault": true}}"#;
    let input: Vec<u8> = line.iter().copied().chain([b'\n']).collect();
    let (mut both, mut neither) = (0, 0);
    for steps in (150..600).step_by(25) {
        let s = steps.to_string();
        let (_, d) = jsonl_records(&input, &["--max-steps", &s]);
        let (_, o) = jsonl_records(&input, &["--max-steps", &s, "--outcomes"]);
        let (d_failed, o_failed) = (d[0].get("error").is_some(), o[0].get("error").is_some());
        assert!(!o_failed || d_failed, "{steps} steps: {o:?} against {d:?}");
        if o_failed {
            assert_eq!(o[0]["error"]["code"], "E0901");
            neither += 1;
        } else if !d_failed {
            both += 1;
        }
    }
    assert!(both > 0 && neither > 0, "{both} {neither}");
}
