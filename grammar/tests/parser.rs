//! Parser properties: it never panics, it bounds nesting, it recovers per declaration and
//! says what it expected in words.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use humiao_grammar::{parse, ParseOptions, SyntaxErrorKind};
use proptest::prelude::*;

const REPORTING: &str = include_str!("../../rules/reporting.humiao");
const COMMON: &str = include_str!("../../rules/common.humiao");

fn opts() -> ParseOptions {
    ParseOptions::default()
}

#[test]
fn the_bundled_rules_parse_without_errors() {
    for src in [REPORTING, COMMON] {
        let (file, errors) = parse(src, &opts());
        assert!(errors.is_empty(), "{errors:?}");
        assert!(file.decls.len() > 10);
    }
}

#[test]
fn a_byte_order_mark_is_blank_space() {
    // Editors on Windows start UTF-8 files with U+FEFF; before a comment it used to turn the
    // comment into a declaration that failed to parse.
    for src in [REPORTING, COMMON] {
        let plain = parse(src, &opts());
        let (file, errors) = parse(&format!("\u{feff}{src}"), &opts());
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(file.decls.len(), plain.0.decls.len());
        let body = src.find("\npolicy").map_or(src, |i| &src[i + 1..]);
        let (file, errors) = parse(&format!("\u{feff}{body}"), &opts());
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(file.decls.len(), plain.0.decls.len());
    }
}

#[test]
fn a_full_width_mark_is_named_with_its_ascii_twin() {
    // Typed with a Chinese input method on: the error points at the mark and says what to write.
    let cases = [
        ("let x = any {a， b}\n", '，', ','),
        ("facts f { a： Bool }\n", '：', ':'),
        ("let x = （1 + 2)\n", '（', '('),
        (
            "rule r \"标题\"\n  cite \"法\"\n  when a ＝＝ b\n  then conclude c = true\n",
            '＝',
            '=',
        ),
        ("let x = １\n", '１', '1'),
    ];
    for (src, mark, ascii) in cases {
        let (_, errors) = parse(src, &opts());
        let e = errors
            .first()
            .unwrap_or_else(|| panic!("no error for {src:?}"));
        let at = src.find(mark).unwrap();
        let (s, e_) = (e.span.start as usize, e.span.end as usize);
        assert_eq!((s, e_), (at, at + mark.len_utf8()), "{src:?}");
        let (en, zh) = e
            .hint
            .clone()
            .unwrap_or_else(|| panic!("no hint for {src:?}"));
        assert!(
            en.contains(&format!("`{ascii}`")) && zh.contains("全角"),
            "{en} / {zh}"
        );
        assert_eq!(e.code(), "E0001");
    }
    // Chinese punctuation inside quoted text or a comment is not the mistake.
    let src = "rule r \"标题，含逗号\" # 注释，含逗号\n  cite \"法\"\n  when a ==\n";
    let (_, errors) = parse(src, &opts());
    assert!(!errors.is_empty());
    assert!(errors.iter().all(|e| e.hint.is_none()), "{errors:?}");
}

#[test]
fn an_indented_declaration_says_to_start_it_at_the_line_start() {
    let src = "let a = true\n  rule r \"r\"\n  cite \"c\"\n  when a then conclude k = true\n";
    let (_, errors) = parse(src, &opts());
    let e = errors.first().expect("an error");
    let (en, zh) = e.hint.clone().expect("a hint");
    assert!(
        en.contains("`rule`") && en.contains("start of a line"),
        "{en}"
    );
    assert!(zh.contains("行首"), "{zh}");
    // Not said where nothing is indented.
    let (_, errors) = parse(
        "let a = \nrule r \"r\" cite \"c\" when a then conclude k = true\n",
        &opts(),
    );
    assert!(errors.iter().all(|e| e.hint.is_none()), "{errors:?}");
}

#[test]
fn a_long_word_at_an_error_is_shown_cut_with_an_ellipsis() {
    let src = "let x = 1 一二三四五六七八九十甲乙丙丁\n";
    let (_, errors) = parse(src, &opts());
    let e = errors.first().expect("an error");
    assert!(e.message_en().contains("…`"), "{}", e.message_en());
    assert!((e.span.end as usize) <= src.len());
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    for n in [100, 10_000, 100_000] {
        let src = format!("let x = {}1{}\n", "(".repeat(n), ")".repeat(n));
        let (_, errors) = parse(&src, &opts());
        assert_eq!(errors.len(), 1, "{n}");
        assert!(matches!(
            errors[0].kind,
            SyntaxErrorKind::TooDeep { limit: 32 }
        ));
        assert_eq!(errors[0].code(), "E0003");
    }
    // Just under the limit parses.
    let src = format!("let x = {}1{}\n", "(".repeat(31), ")".repeat(31));
    let (file, errors) = parse(&src, &opts());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(file.decls.len(), 1);
}

#[test]
fn long_chains_stay_shallow_and_long_arithmetic_is_bounded() {
    let conj = vec!["a"; 5_000].join(" and ");
    let (_, errors) = parse(&format!("let x = {conj}\n"), &opts());
    assert!(
        errors.is_empty(),
        "a 5,000-term `and` chain is one flat node"
    );
    let sum = vec!["1"; 5_000].join(" + ");
    let (_, errors) = parse(&format!("let x = {sum}\n"), &opts());
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].code(), "E0004");
}

#[test]
fn oversized_input_is_refused() {
    let o = ParseOptions {
        max_source_bytes: 10,
        ..opts()
    };
    let (_, errors) = parse("let x = 1 + 2 + 3\n", &o);
    assert_eq!(errors[0].code(), "E0002");
}

#[test]
fn one_broken_rule_does_not_hide_the_others() {
    let src = "policy p \"t\"\nrule a \"x\"\n  cite \"c\"\n  when x ==\n  then conclude k = 1\nrule b \"y\"\n  cite \"c\"\n  when x\n  report to y immediately\nrule c \"z\"\n  cite \"c\"\n  when x\n  then conclude k = 2\n";
    let (file, errors) = parse(src, &opts());
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(file.decls.len(), 2, "the policy header and rule c survive");
    let msg = errors[1].message_en();
    assert!(msg.contains("`then` (则)"), "{msg}");
    assert!(msg.contains("found `report`"), "{msg}");
    assert!(
        errors[1].message_zh().contains("`则`"),
        "{}",
        errors[1].message_zh()
    );
}

#[test]
fn truncated_last_line_reports_end_of_file() {
    let src = "policy p \"t\"\nrule a \"x\"\n  cite \"c\"\n  when minor.age < ";
    let (_, errors) = parse(src, &opts());
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].message_en().contains("found the end of the file"),
        "{}",
        errors[0].message_en()
    );
    assert!(errors[0].message_zh().contains("文件结尾"));
}

#[test]
fn users_never_see_pest_rule_names() {
    let broken = [
        "rule",
        "rule x \"t\" when",
        "facts { a: }",
        "enum E { a \"x\" b",
        "test \"t\" { given { a: } }",
        "let = 3",
        "param p: Int = ",
    ];
    for src in broken {
        let (_, errors) = parse(src, &opts());
        assert!(!errors.is_empty(), "{src}");
        for e in errors {
            let m = e.message_en();
            for internal in [
                "kw_",
                "_decl",
                "binary_chain",
                "postfixed",
                "EOI",
                "primary",
            ] {
                assert!(!m.contains(internal), "{src}: {m}");
            }
        }
    }
}

#[test]
fn chinese_and_english_keywords_mix() {
    let src = "规则 r \"标题\"\n  cite \"依据\"\n  当 a 且 b or not c\n  then 认定 k = 真\n";
    let (file, errors) = parse(src, &opts());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(file.decls.len(), 1);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_on_any_string(s in "\\PC{0,200}") {
        let _ = parse(&s, &opts());
    }

    #[test]
    fn never_panics_on_policy_like_text(s in "(rule|规则|when|当|then|则|and|且|\\(|\\)|\\{|\\}|\"|[a-z_.]{1,8}|[0-9]{1,4}|==|<|-|:|,|\n| ){0,60}") {
        let _ = parse(&s, &opts());
    }

    #[test]
    fn never_panics_on_mutated_rules(cut in 0usize..4000, len in 0usize..40, insert in "\\PC{0,5}") {
        let src = REPORTING;
        let mut bytes: Vec<char> = src.chars().collect();
        let start = cut.min(bytes.len());
        let end = (start + len).min(bytes.len());
        bytes.splice(start..end, insert.chars());
        let s: String = bytes.into_iter().collect();
        let _ = parse(&s, &opts());
    }
}

#[test]
fn a_label_after_sensitive_stays_the_label() {
    let (file, errors) = parse("facts minor {\n  birth_date: Date? @sensitive \"出生日期\"\n}\nparam p.x: Int = 1 @unconfirmed \"why\"\n", &opts());
    assert!(errors.is_empty(), "{errors:?}");
    let humiao_grammar::ast::Decl::Facts(f) = &file.decls[0] else {
        panic!()
    };
    assert_eq!(
        f.fields[0].label.as_ref().map(|l| l.value.as_str()),
        Some("出生日期")
    );
    assert_eq!(f.fields[0].annotations[0].name.text, "sensitive");
    assert!(f.fields[0].annotations[0].args.is_empty());
    let humiao_grammar::ast::Decl::Param(p) = &file.decls[1] else {
        panic!()
    };
    assert_eq!(p.annotations[0].args.len(), 1);
}
