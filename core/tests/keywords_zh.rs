//! English and Chinese keyword spellings of the same policy give identical decisions: the
//! sample set (tests/sample, written in a mix of both) is translated wholly into Chinese
//! keywords through the grammar's keyword table, and both versions evaluate random cases.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use humiao_core::time::Date;
use humiao_core::{EvalOptions, FactsOptions, LoadOptions, Policy, Source};
use humiao_grammar::keywords::{BUILTINS, KEYWORDS};
use proptest::prelude::*;
use serde_json::{json, Value};

fn sample_sources() -> Vec<Source> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/sample");
    let mut out = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        out.push(Source::new(name, std::fs::read_to_string(&p).unwrap()));
    }
    out
}

/// Translates English keywords to Chinese outside strings and comments. A word right after
/// `.` or `@` is a name, not a keyword; `months`/`month` after a number is a duration unit.
fn to_chinese(src: &str) -> String {
    let mut out = String::new();
    for line in src.lines() {
        let mut rest = line;
        let mut code = String::new();
        let mut in_str = false;
        let mut comment = "";
        let mut cut = rest.len();
        for (i, c) in rest.char_indices() {
            if c == '"' {
                in_str = !in_str;
            } else if c == '#' && !in_str {
                cut = i;
                break;
            }
        }
        if cut < rest.len() {
            comment = &rest[cut..];
            rest = &rest[..cut];
        }
        // Split into string literals and code.
        let mut parts: Vec<(bool, String)> = Vec::new();
        let mut cur = String::new();
        let mut s = false;
        for c in rest.chars() {
            if c == '"' {
                if s {
                    cur.push(c);
                    parts.push((true, std::mem::take(&mut cur)));
                } else {
                    parts.push((false, std::mem::take(&mut cur)));
                    cur.push(c);
                }
                s = !s;
            } else {
                cur.push(c);
            }
        }
        parts.push((s, cur));
        for (is_str, text) in parts {
            if is_str {
                code.push_str(&text);
            } else {
                code.push_str(&translate_code(&text));
            }
        }
        out.push_str(&code);
        out.push_str(comment);
        out.push('\n');
    }
    out
}

fn translate_code(text: &str) -> String {
    // Multi-word keywords first.
    let mut t = format!(" {text} ");
    for (en, zh, _) in KEYWORDS.iter().filter(|k| k.0.contains(' ')) {
        t = t.replace(&format!(" {en} "), &format!(" {zh} "));
    }
    let t = &t[1..t.len() - 1];
    let mut out = String::new();
    let mut word = String::new();
    let mut prev_tok = String::new();
    let flush = |word: &mut String,
                 out: &mut String,
                 prev_tok: &mut String,
                 rest_starts_with_digit: bool| {
        if word.is_empty() {
            return;
        }
        let before = out.chars().last();
        let is_name = matches!(before, Some('.') | Some('@'));
        let after_number = prev_tok.chars().all(|c| c.is_ascii_digit())
            && !prev_tok.is_empty()
            && !rest_starts_with_digit;
        let unit = match word.as_str() {
            "months" | "month" => Some("个月"),
            "hours" | "hour" => Some("小时"),
            "days" | "day" => Some("天"),
            "years" | "year" => Some("年"),
            _ => None,
        };
        let translated = if is_name {
            None
        } else if after_number && unit.is_some() {
            unit
        } else if word == "months" {
            Some("月数")
        } else if word == "status" && prev_tok != "expect" {
            None
        } else {
            KEYWORDS
                .iter()
                .find(|k| k.0 == word.as_str())
                .map(|k| k.1)
                .or_else(|| BUILTINS.iter().find(|b| b.0 == word.as_str()).map(|b| b.1))
        };
        out.push_str(translated.unwrap_or(word));
        *prev_tok = std::mem::take(word);
    };
    let chars: Vec<char> = t.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            let next = chars[i..].iter().find(|c| !c.is_whitespace());
            flush(
                &mut word,
                &mut out,
                &mut prev_tok,
                next.is_some_and(|c| c.is_ascii_digit()),
            );
            if !c.is_whitespace() {
                prev_tok = c.to_string();
            }
            out.push(c);
        }
    }
    flush(&mut word, &mut out, &mut prev_tok, false);
    out
}

#[test]
fn translator_examples() {
    assert_eq!(
        translate_code("p.grade is known and p.grade <= 2"),
        "p.grade 是 已知 且 p.grade <= 2"
    );
    assert_eq!(
        translate_code("test plan m from 2027-01 months 2 {"),
        "测试 计划 m 自 2027-01 月数 2 {"
    );
    assert_eq!(
        translate_code("p.since + 6 months <= as_of"),
        "p.since + 6 个月 <= 基准日"
    );
    assert_eq!(
        translate_code("count(x) == 2 and all p in x: g(p)"),
        "计数(x) == 2 且 所有 p 属于 x: g(p)"
    );
}

fn load(sources: &[Source]) -> Policy {
    Policy::from_sources(sources, &LoadOptions::default()).unwrap_or_else(|e| {
        for d in &e.diagnostics {
            let src = sources
                .iter()
                .find(|s| s.path == d.file)
                .map(|s| s.text.as_str());
            eprintln!("{}", humiao_core::render(d, src, humiao_core::Lang::En));
        }
        panic!("policy does not load")
    })
}

fn translated() -> Vec<Source> {
    sample_sources()
        .into_iter()
        .map(|s| {
            if s.path.ends_with(".humiao") {
                Source::new(s.path.clone(), to_chinese(&s.text))
            } else {
                s
            }
        })
        .collect()
}

#[test]
fn the_translation_uses_no_english_keyword_and_its_tests_pass() {
    let zh = translated();
    let main = zh.iter().find(|s| s.path == "sample.humiao").unwrap();
    for kw in [
        "rule ",
        "when ",
        "then ",
        " and ",
        "conclude ",
        "must ",
        "expect ",
    ] {
        assert!(!main.text.contains(kw), "`{kw}` left in:\n{}", main.text);
    }
    let en = load(&sample_sources());
    let zh = load(&zh);
    assert_eq!(en.run_tests().failed, 0);
    let report = zh.run_tests();
    assert_eq!(
        report.failed,
        0,
        "{:#?}",
        report
            .results
            .iter()
            .filter(|r| !r.passed)
            .collect::<Vec<_>>()
    );
    assert_eq!(report.passed, en.run_tests().passed);
}

fn opt<T: std::fmt::Debug + Clone + 'static>(
    s: impl Strategy<Value = T>,
) -> impl Strategy<Value = Option<T>> {
    proptest::option::of(s)
}

fn case() -> impl Strategy<Value = Value> {
    (
        opt(0i64..20),
        opt(prop_oneof![Just("female"), Just("male")]),
        proptest::collection::vec(
            prop_oneof![Just("bruise"), Just("burn"), Just("hunger")],
            0..3,
        ),
        opt(prop_oneof![Just("home"), Just("school"), Just("outdoors")]),
        opt(proptest::collection::vec(
            (
                prop_oneof![Just("dead"), Just("alive_ok"), Just("imprisoned")],
                opt(0u32..40),
                opt(1i64..5),
            ),
            0..3,
        )),
        opt(0u32..3000),
        0u32..400,
    )
        .prop_map(|(age, sex, signs, place, parents, income, day)| {
            let mut child = json!({"signs": signs});
            if let Some(a) = age {
                child["age"] = json!(a);
            }
            if let Some(s) = sex {
                child["sex"] = json!(s);
            }
            if let Some(p) = place {
                child["place"] = json!(p);
            }
            let found = Date::parse("2025-06-01")
                .unwrap()
                .add_days(i64::from(day))
                .unwrap();
            let mut facts =
                json!({"discovered_at": format!("{found}T10:00:00+08:00"), "child": child});
            if let Some(ps) = parents {
                let list: Vec<Value> = ps
                    .into_iter()
                    .map(|(st, months_ago, grade)| {
                        let mut p = json!({"role": "parent", "status": [st]});
                        if let Some(m) = months_ago {
                            p["since"] =
                                json!(found.add_months(-i64::from(m)).unwrap().to_string());
                        }
                        if let Some(g) = grade {
                            p["grade"] = json!(g);
                        }
                        p
                    })
                    .collect();
                let mut fam = json!({"parents": list});
                if let Some(i) = income {
                    fam["income"] = json!(i);
                }
                facts["family"] = fam;
            }
            facts
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn english_and_chinese_keywords_decide_alike(facts in case(), explain in any::<bool>()) {
        thread_local! {
            static BOTH: (Policy, Policy) = (load(&sample_sources()), load(&translated()));
        }
        BOTH.with(|(en, zh)| {
            let as_of = Date::parse(facts["discovered_at"].as_str().unwrap().get(..10).unwrap()).unwrap();
            let opts = EvalOptions { explain, ..EvalOptions::default() };
            let a = en.evaluate_json(&facts, as_of, &opts, &FactsOptions::default()).unwrap();
            let b = zh.evaluate_json(&facts, as_of, &opts, &FactsOptions::default()).unwrap();
            let strip = |d: &humiao_core::Decision| {
                let mut v = serde_json::to_value(d).unwrap();
                v["policy"]["digest"] = Value::Null;
                // Condition texts quote the source, which differs by spelling; their values must not.
                if let Some(Value::Array(rules)) = v.get_mut("trace") {
                    for r in rules {
                        if let Some(Value::Array(cs)) = r.get_mut("conditions") {
                            for c in cs {
                                c["condition"] = Value::Null;
                            }
                        }
                    }
                }
                v
            };
            prop_assert_eq!(strip(&a), strip(&b));
            Ok(())
        })?;
    }
}
