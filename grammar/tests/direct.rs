//! The direct parser (src/direct.rs) and pest read every text alike: the same declarations
//! with the same spans, the same syntax errors. `parse` uses the direct parser first and pest
//! for what it does not accept; `parse_file_with_pest` is pest alone. Compared on the bundled
//! set, the samples, the fuzz corpora, those files with their keywords in Chinese, and random
//! mutations of them.
#![cfg(feature = "direct")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use humiao_grammar::keywords::KEYWORDS;
use humiao_grammar::{direct_coverage, parse, parse_file_with_pest, ParseOptions};
use proptest::prelude::*;
use std::path::Path;
use std::sync::OnceLock;

fn files_in(dir: &str) -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut out = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if let Ok(text) = std::fs::read_to_string(&p) {
            out.push((p.display().to_string(), text));
        }
    }
    out.sort();
    out
}

/// Every text the comparison starts from.
fn corpus() -> &'static [(String, String)] {
    static CORPUS: OnceLock<Vec<(String, String)>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let mut all = Vec::new();
        for dir in [
            "../rules",
            "../tests/sample",
            "../fuzz/corpus/parse",
            "../fuzz/corpus/check",
        ] {
            all.extend(
                files_in(dir)
                    .into_iter()
                    .filter(|(p, _)| !p.ends_with(".csv")),
            );
        }
        let translated: Vec<(String, String)> = all
            .iter()
            .map(|(p, t)| (format!("{p} (Chinese keywords)"), to_chinese(t)))
            .collect();
        all.extend(translated);
        all
    })
}

/// English keywords replaced by their Chinese spelling, word by word, strings and comments
/// included (the result need not be a valid policy: both parsers must only agree on it).
fn to_chinese(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let zh = KEYWORDS
            .iter()
            .find(|(en, _, _)| *en == word.as_str())
            .map(|(_, zh, _)| *zh);
        out.push_str(zh.unwrap_or(word));
        word.clear();
    };
    for c in src.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

fn same(what: &str, src: &str) {
    let opts = ParseOptions::default();
    let direct = parse(src, &opts);
    let pest = parse_file_with_pest(src, &opts);
    assert!(
        direct == pest,
        "{what}: the direct parser and pest differ\n--- text\n{src}\n--- direct\n{direct:#?}\n--- pest\n{pest:#?}"
    );
}

#[test]
fn the_corpus_parses_alike() {
    assert!(corpus().len() > 100);
    for (path, text) in corpus() {
        same(path, text);
    }
}

/// The direct parser reads the bundled set (all but the rotation and its plan tests), so its
/// speed does not quietly go when the grammar changes.
#[test]
fn the_direct_parser_reads_the_bundled_set() {
    let (mut direct, mut pest) = (0, 0);
    for (path, text) in files_in("../rules") {
        if path.ends_with(".humiao") {
            let (d, p) = direct_coverage(text.as_str(), &ParseOptions::default());
            direct += d;
            pest += p;
        }
    }
    assert!(direct > 250, "{direct}");
    assert!(pest <= 4, "{pest} declarations went to pest");
}

#[test]
fn corner_cases_parse_alike() {
    for src in [
        "let x = 非空 非空\n",
        "let 非空 = 1\n",
        "let x = a not  in b and not c is not known\n",
        "let x = a not\tin b\n",
        "let x = a notin b\n",
        "let x = -1 - -2 * (3 + 4) / 5\n",
        "let x = if a then if b then 1 else 2 else 3\n",
        "let x = any p in ps where p.a: p.b\n",
        "let x = any {a, b,}\n",
        "let x = count(a.b)\n",
        "let x = f(a, b) + g()\n",
        "let x = 5 working  days + 3 days + 2 个工作日 + 1 daysx\n",
        "let x = 2026-01-01T10:00+08:00 + 2026-01-01 + 1.5\n",
        "let x = 99999999999999999999\n",
        "let x = a.b.c is empty or a 为空 or b 非空 and c is unknown\n",
        "let f(a: Int, b: Set<T>?) = a in b\n",
        "rule r \"t\" cite \"x\", \"y\" effective 2021-06-01 until 2025-01-01 exception to a.b, c priority 3\n  when x\n  then conclude a.b = 1, add c to d; note \"n\"\n  school must report to police within 24 hours from t with a, b\n",
        "rule r then a must b immediately from x\n",
        "rule r then a must b by x + 1 days\n",
        "rule r then a must b within p.x\n",
        "test \"t\" {\n  given { a: { b: 1, c: [1, -2, 3.5, \"s\", true, x, 2026-01-01], }, }\n  as_of 2026-01-01\n  param p.x = 3\n  expect status == determined\n  expect missing first a.b[0].c\n  expect fired r\n  expect not fired r\n  expect undecided c\n  expect no report to police\n  expect school must report to police due 2026-01-02T10:00\n  expect school to police\n  expect every street visited once\n  expect no community repeated\n  expect 洪桥 in month 2026-01\n  expect a.b == 1\n}\n",
        "test plan r from 2026-01 months 3 { }\n",
        "enum E \"e\" { a \"A\", b, c \"C\" }\n",
        "record R { a: Int, b.c: Set<E>? default {x, y} @sensitive \"l\", }\n",
        "facts minor optional \"m\" { age: Int @range(0, 120) @unconfirmed \"why\" \"label\" }\n",
        "param a.b: Duration = 24 hours @source \"x\"\n",
        "conclusion a.b: Set<E> collect \"x\"\nconclusion c: Bool default false\n",
        "policy p \"t\" source \"s\" 2021-01-01 effective 2021-06-01\nimport \"common.humiao\"\n",
        "calendar c \"t\" covers 2025..2026 {\n  holiday 2025-01-01 \"New year\"\n  workday 2025-01-26..2025-01-27\n}\n",
        "roster r \"t\" from \"r.csv\"\n",
        "rule r\n  when x # a comment\n  # another\n  then conclude a = 1 # trailing\n\n# end\n",
        "let x = (((((((((((1)))))))))))\n",
        "let x = not not not - - a\n",
        "let x = a <= b >= c != d == e < f > g\n",
    ] {
        same(src, src);
        same(src, &to_chinese(src));
    }
}

/// One edit of a corpus text: cut a range, insert a snippet, or copy a range elsewhere.
fn mutate(text: &str, at: usize, len: usize, kind: u8, snippet: &str, from: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    let at = at % (chars.len() + 1);
    let end = (at + len).min(chars.len());
    let mut out: Vec<char> = chars[..at].to_vec();
    match kind % 3 {
        0 => out.extend(&chars[end..]),
        1 => {
            out.extend(snippet.chars());
            out.extend(&chars[at..]);
        }
        _ => {
            let from = from % (chars.len() + 1);
            let to = (from + len).min(chars.len());
            out.extend(&chars[from..to]);
            out.extend(&chars[at..]);
        }
    }
    out.into_iter().collect()
}

const SNIPPETS: &[&str] = &[
    "and",
    "or",
    "not",
    "not in",
    "in",
    "is",
    "known",
    "非空",
    "非",
    "属于",
    "且",
    " ",
    "\n",
    "#",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    "\"",
    "\\",
    ",",
    ":",
    ";",
    ".",
    "==",
    "<",
    "-",
    "1",
    "2026-01-01",
    "2026-01",
    "T10:00",
    "5 days",
    "working days",
    "if",
    "then",
    "else",
    "any",
    "count",
    "rule",
    "test",
    "given",
    "expect",
    "must",
    "to",
    "within",
    "\u{3000}",
    "\t",
    "é",
    "_x",
    "x1",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn mutated_texts_parse_alike(
        file in any::<prop::sample::Index>(),
        edits in prop::collection::vec(
            (any::<usize>(), 0usize..24, any::<u8>(), prop::sample::select(SNIPPETS), any::<usize>()),
            1..5,
        ),
    ) {
        let (path, text) = &corpus()[file.index(corpus().len())];
        let mut text = text.clone();
        for (at, len, kind, snippet, from) in edits {
            text = mutate(&text, at, len, kind, snippet, from);
        }
        same(path, &text);
    }
}

/// Deep chains without brackets (`if`, quantifiers) recurse in both parsers: within a 1 MB
/// stack (wasm32's default) the direct parser reads what it can and gives the rest to pest.
#[test]
fn deep_chains_without_brackets_parse_alike_on_a_small_stack() {
    std::thread::Builder::new()
        .stack_size(1024 * 1024)
        .spawn(|| {
            for n in [10, 60, 95, 96, 97, 150] {
                let ifs = format!(
                    "let x = {}1{}\n",
                    "if a then ".repeat(n),
                    " else 2".repeat(n)
                );
                same("if chain", &ifs);
                let quants = format!("let x = {}a\n", "any p in ps where ".repeat(n));
                same("quantifier chain", &quants);
            }
        })
        .unwrap()
        .join()
        .unwrap();
}
