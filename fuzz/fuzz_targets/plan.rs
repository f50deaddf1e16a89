//! Stage 4: an arbitrary history (plan JSON or CSV) and flags against the bundled supervision
//! rotation. Never a panic; a plan made is deterministic, keeps every guarantee `check_plan`
//! checks, renders in every format, and reads back as a history.
//!
//! Input: an optional header, then `---` on a line of its own, then the history text. The
//! header's first line is `<months> <from YYYY-MM> <json|csv>`; each further line
//! `flag <street>=<reason>`. Without a `---` line the whole input is a JSON history.
#![no_main]

use humiao_core::plan::{self, Flag, MAX_MONTHS};
use humiao_core::time::YearMonth;
use libfuzzer_sys::fuzz_target;

struct Input<'a> {
    months: u32,
    from: Option<YearMonth>,
    csv: bool,
    flags: Vec<Flag>,
    history: &'a str,
}

fn split(text: &str) -> Input<'_> {
    let mut input = Input {
        months: 12,
        from: YearMonth::parse("2027-01").ok(),
        csv: false,
        flags: Vec::new(),
        history: text,
    };
    let Some((header, history)) = text.split_once("\n---\n") else {
        return input;
    };
    input.history = history;
    let mut lines = header.lines();
    if let Some(first) = lines.next() {
        let mut words = first.split_whitespace();
        if let Some(m) = words.next().and_then(|w| w.parse::<u32>().ok()) {
            // Long plans are slow to fuzz; past the limit they are an error, which is kept.
            input.months = if m > MAX_MONTHS { m } else { m.min(48) };
        }
        if let Some(f) = words.next() {
            input.from = YearMonth::parse(f).ok();
        }
        input.csv = words.next() == Some("csv");
    }
    for l in lines {
        if let Some((street, reason)) = l.strip_prefix("flag ").and_then(|f| f.split_once('=')) {
            input.flags.push(Flag {
                street: street.trim().to_string(),
                reason: reason.trim().to_string(),
            });
        }
    }
    input
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let input = split(text);
    let Some(from) = input.from else {
        return;
    };
    let policy = humiao_fuzz::bundled_policy();
    let Ok((spec, roster)) = policy.rotation("supervision") else {
        panic!("the bundled set declares the supervision rotation");
    };
    let history = if input.csv {
        plan::parse_history_csv(input.history, &roster)
    } else {
        plan::parse_history_json(input.history, &roster)
    };
    let history = match history {
        Ok(h) => h,
        Err(e) => {
            assert!(!e.to_string().is_empty() && !e.message_zh().is_empty());
            return;
        }
    };
    let made = plan::plan(&spec, &roster, from, input.months, &history, &input.flags);
    let made = match made {
        Ok(p) => p,
        Err(e) => {
            assert!(!e.to_string().is_empty() && !e.message_zh().is_empty());
            return;
        }
    };
    let json = plan::to_json(&made);
    let again = plan::plan(&spec, &roster, from, input.months, &history, &input.flags)
        .map(|p| plan::to_json(&p));
    assert_eq!(
        again.as_deref(),
        Ok(json.as_str()),
        "same inputs, same plan"
    );
    let violations = plan::check_plan(&spec, &roster, &history, &made);
    assert!(
        violations.is_empty(),
        "guarantees violated: {violations:#?}"
    );
    let _ = plan::to_csv(&made);
    let _ = plan::to_ics(&made, &spec);
    let _ = plan::to_human(&made, &roster, true);
    let _ = plan::to_human(&made, &roster, false);
    if let Err(e) = plan::parse_history_json(&json, &roster) {
        panic!("a plan reads back as a history: {e}");
    }
});
