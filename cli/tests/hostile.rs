//! The CLI against hostile input: bounds with clear errors (`--max-steps`, facts size,
//! nesting, list length), invalid UTF-8 located to the byte, and a batch that keeps one output
//! line per input line whatever the lines hold.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

mod common;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_humiao"));
    c.current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."));
    c
}

/// Runs with `stdin` as standard input: (exit code, stdout, stderr).
fn run_with(args: &[&str], stdin: &[u8]) -> (i32, String, String) {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn temp_dir(name: &str) -> common::TempDir {
    common::temp_dir("hostile", name)
}

const GOOD: &str = r#"{"discovered_at":"2026-03-01T10:00:00+08:00","reporter":{"org_type":"school","in_course_of_work":true},"minor":{"age":9,"sex":"female"},"indicators":{"sexual_assault":true}}"#;

const EVAL: [&str; 7] = [
    "eval",
    "rules",
    "--facts",
    "-",
    "--as-of",
    "2026-03-01",
    "--lang=en",
];

fn jsonl(extra: &[&str], input: &[u8]) -> (i32, Vec<serde_json::Value>) {
    let mut args = EVAL.to_vec();
    args.extend(["--format", "jsonl"]);
    args.extend(extra);
    let (code, out, err) = run_with(&args, input);
    assert!(!err.contains("panicked"), "{err}");
    let lines = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    (code, lines)
}

#[test]
fn max_steps_is_a_flag_and_its_error_is_e0901() {
    let mut args = EVAL.to_vec();
    args.extend(["--max-steps", "10"]);
    let (code, out, err) = run_with(&args, GOOD.as_bytes());
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("error[E0901]: evaluation exceeded its budget of 10 steps (--max-steps)"),
        "{err}"
    );
    assert!(out.is_empty());
    // The same case within a budget large enough decides.
    let mut args = EVAL.to_vec();
    args.extend(["--max-steps", "1000000"]);
    let (code, out, _) = run_with(&args, GOOD.as_bytes());
    assert_eq!(code, 0);
    assert!(out.contains("\"reporting.duty\":\"mandatory\""));
    // In a batch: an error record on its line, and the batch goes on.
    let input = format!("{GOOD}\n{GOOD}\n");
    let (code, lines) = jsonl(&["--max-steps", "10"], input.as_bytes());
    assert_eq!(code, 3);
    assert_eq!(lines.len(), 2);
    for (i, l) in lines.iter().enumerate() {
        assert_eq!(l["line"], i + 1);
        assert_eq!(l["error"]["code"], "E0901");
    }
}

#[test]
fn invalid_utf8_names_the_byte_offset() {
    let mut bad = br#"{"minor":{"sex":"fe"#.to_vec();
    let at = bad.len();
    bad.extend(b"\xff\xfemale\"}}\n");
    let (code, _, err) = run_with(&EVAL, &bad);
    assert_eq!(code, 2);
    assert!(
        err.contains(&format!(
            "error[F0109]: -: not UTF-8 text: invalid byte at offset {at}"
        )),
        "{err}"
    );
    // From a file: the file's name and the offset.
    let d = temp_dir("utf8");
    let f = d.join("case.json");
    std::fs::write(&f, &bad).unwrap();
    let out = bin()
        .args([
            "eval",
            "rules",
            "--facts",
            f.to_str().unwrap(),
            "--lang",
            "en",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "case.json: not UTF-8 text: invalid byte at offset {at}"
        )),
        "{err}"
    );
    // In a batch: the line number and the offset inside the line.
    let mut input = format!("{GOOD}\n").into_bytes();
    input.extend(&bad);
    input.extend(format!("{GOOD}\n").as_bytes());
    let (code, lines) = jsonl(&[], &input);
    assert_eq!(code, 3);
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[1]["line"], 2);
    assert_eq!(lines[1]["error"]["code"], "F0109");
    assert_eq!(lines[1]["error"]["byte"], at);
    assert_eq!(lines[2]["status"], "determined");
}

#[test]
fn facts_size_is_bounded_in_files_and_in_batch_lines() {
    let (code, _, err) = run_with(
        &[
            "eval",
            "rules",
            "--facts",
            "-",
            "--lang",
            "en",
            "--max-facts-bytes",
            "100",
        ],
        GOOD.as_bytes(),
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("error[F0111]: -: the facts are more than 100 bytes"),
        "{err}"
    );
    // A long line is an error record on its own line; the lines around it are decided.
    let huge = format!("{{\"x\":\"{}\"}}", "a".repeat(300_000));
    let input = format!("{GOOD}\n{huge}\n{GOOD}\n");
    let (code, lines) = jsonl(&["--max-facts-bytes", "100000"], input.as_bytes());
    assert_eq!(code, 3);
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[1]["line"], 2);
    assert_eq!(lines[1]["error"]["code"], "F0111");
    assert!(lines[1]["error"]["message"]
        .as_str()
        .unwrap()
        .contains("300008 bytes"));
    assert_eq!(lines[0]["status"], "determined");
    assert_eq!(lines[2]["status"], "determined");
}

#[test]
fn nesting_duplicates_and_list_length_in_a_batch() {
    let deep = format!("{{\"minor\":{}{}}}", "[".repeat(50), "]".repeat(50));
    let parents = [r#"{"role":"father"}"#; 3].join(",");
    let long = format!(r#"{{"parents":[{parents}]}}"#);
    let input = format!(
        "{deep}\n{{\"minor\":{{\"age\":9,\"age\":10}}}}\n{long}\n{{\"minor\":{{\"age\":1e400}}}}\n"
    );
    let (code, lines) = jsonl(&["--max-list-len", "2"], input.as_bytes());
    assert_eq!(code, 3);
    assert_eq!(lines.len(), 4, "{lines:#?}");
    assert_eq!(lines[0]["error"]["code"], "F0112");
    assert_eq!(lines[0]["error"]["facts"][0]["path"], "minor[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]");
    assert_eq!(lines[1]["error"]["facts"][0]["code"], "F0113");
    assert_eq!(lines[1]["error"]["facts"][0]["path"], "minor.age");
    assert_eq!(lines[2]["error"]["facts"][0]["code"], "F0108");
    assert_eq!(lines[3]["error"]["facts"][0]["code"], "F0103");
    assert_eq!(lines[3]["error"]["facts"][0]["path"], "minor.age");
    // --max-json-depth is configurable.
    let (_, lines) = jsonl(&["--max-json-depth", "1"], b"{\"minor\":{\"age\":9}}\n");
    assert_eq!(lines[0]["error"]["code"], "F0112");
    assert_eq!(lines[0]["error"]["facts"][0]["path"], "minor");
}

#[test]
fn a_batch_of_junk_keeps_one_line_per_input_line() {
    // Every kind of broken line, with a good one between each.
    let junk: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"   ".to_vec(),
        b"\r".to_vec(),
        b"null".to_vec(),
        b"[]".to_vec(),
        b"{".to_vec(),
        b"\xc3\x28".to_vec(),
        b"{\"discovered_at\":\"2026-02-30T10:00\"}".to_vec(),
        b"{\"a\":1}{\"b\":2}".to_vec(),
        b"\"\\ud800\"".to_vec(),
        vec![b'['; 10_000],
    ];
    let mut input = Vec::new();
    for j in &junk {
        input.extend(GOOD.as_bytes());
        input.push(b'\n');
        input.extend(j);
        input.push(b'\n');
    }
    // The last line has no newline at its end: still a line.
    input.extend(GOOD.as_bytes());
    let (code, lines) = jsonl(&[], &input);
    assert_eq!(code, 3);
    assert_eq!(lines.len(), junk.len() * 2 + 1);
    for (i, l) in lines.iter().enumerate() {
        if i % 2 == 0 {
            assert_eq!(l["status"], "determined", "line {}", i + 1);
        } else {
            assert_eq!(l["line"], i + 1, "{l}");
            assert!(l["error"]["code"].as_str().unwrap().starts_with('F'), "{l}");
        }
    }
}

#[cfg(unix)]
#[test]
fn nothing_outside_the_policy_folder_is_read() {
    let outside = temp_dir("outside");
    std::fs::write(outside.join("secret.humiao"), "policy secret \"s\"\n").unwrap();
    std::fs::write(outside.join("secret.csv"), "street,community\n").unwrap();
    let check = |d: &Path| {
        let out = bin()
            .args(["check", d.to_str().unwrap(), "--lang", "en"])
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    // A policy file that is a link out of the folder.
    let d = temp_dir("link-humiao");
    std::fs::write(d.join("a.humiao"), "policy a \"a\"\n").unwrap();
    std::os::unix::fs::symlink(outside.join("secret.humiao"), d.join("b.humiao")).unwrap();
    let (code, err) = check(&d);
    assert_eq!(code, 2);
    assert!(
        err.contains("`b.humiao` is a link that leads out of the policy folder"),
        "{err}"
    );
    // A data file that is a link out, and one named by an absolute path.
    for (name, data) in [("link-data", "r.csv"), ("abs-data", "/etc/passwd")] {
        let d = temp_dir(name);
        std::fs::write(d.join("a.humiao"), "policy a \"a\"\n").unwrap();
        std::fs::write(
            d.join("humiao.toml"),
            format!("name = \"x\"\nversion = \"1\"\ndata = [\"{data}\"]\n"),
        )
        .unwrap();
        if data == "r.csv" {
            std::os::unix::fs::symlink(outside.join("secret.csv"), d.join("r.csv")).unwrap();
        }
        let (code, err) = check(&d);
        assert_eq!(code, 2, "{name}");
        assert!(
            err.contains("leads out of the policy folder")
                || err.contains("leaves the policy folder"),
            "{name}: {err}"
        );
    }
    // Imports name files of the set; absolute, parent and drive paths are E0105.
    let d = temp_dir("imports");
    std::fs::write(
        d.join("a.humiao"),
        "policy a \"a\"\nimport \"/etc/passwd\"\nimport \"../outside/secret.humiao\"\nimport \"C:\\\\x.humiao\"\n",
    )
    .unwrap();
    let (code, err) = check(&d);
    assert_eq!(code, 2);
    assert_eq!(err.matches("error[E0105]").count(), 3, "{err}");
}

#[test]
fn safe_writes_replace_whole_or_leave_the_old_file() {
    use humiao_cli::load::write_atomically;
    let d = temp_dir("writes");
    let f = d.join("plan.csv");
    std::fs::write(&f, "old").unwrap();
    write_atomically(&f, b"new").unwrap();
    assert_eq!(std::fs::read_to_string(&f).unwrap(), "new");
    // A write that cannot finish (the target is a folder) fails, leaves what was there and
    // no temporary file behind.
    let target = d.join("taken");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("inside"), "kept").unwrap();
    assert!(write_atomically(&target, b"x").is_err());
    assert_eq!(
        std::fs::read_to_string(target.join("inside")).unwrap(),
        "kept"
    );
    // Into a folder that does not exist: an error, nothing created.
    assert!(write_atomically(&d.join("no/such/dir/plan.csv"), b"x").is_err());
    let mut names: Vec<String> = std::fs::read_dir(&d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["plan.csv", "taken"]);
}

#[test]
fn a_case_cannot_drive_the_terminal() {
    // Escape sequences in values, keys and the case id come out escaped on stderr and in the
    // human format (JSON output escapes them anyway).
    let bad = r#"{"discovered_at":"\u001b[31mred","minor":{"x\u001b]0;t\u0007":1},"case":{"id":"\u001b[2J"}}"#;
    let (code, out, err) = run_with(&EVAL, bad.as_bytes());
    assert_eq!(code, 2);
    assert!(!err.contains('\u{1b}') && !out.contains('\u{1b}'), "{err}");
    assert!(err.contains("\\u{1b}[31mred"), "{err}");
    let good = r#"{"discovered_at":"2026-03-01T10:00:00+08:00","case":{"id":"\u001b[2J"}}"#;
    let mut args = EVAL.to_vec();
    args.extend(["--format", "human"]);
    let (code, out, _) = run_with(&args, good.as_bytes());
    assert_eq!(code, 0);
    assert!(out.contains("Case: \\u{1b}[2J"), "{out}");
    assert!(!out.contains('\u{1b}'));
}
