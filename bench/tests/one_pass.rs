//! The one-pass facts reader against the two-pass reader on the benchmark's workload: every
//! line is read by the one-pass reader itself, to the same facts; and the same lines broken
//! (a byte cut or changed, a value of another type, a key repeated or misspelt) give the same
//! errors through `load_facts_text` as through the two-pass reader. The broader differential
//! test, over three schemas, is `core/tests/one_pass.rs`.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use humiao_bench::policy;
use humiao_bench::workload::{SplitMix64, Workload};
use humiao_core::{Facts, FactsOptions, LoadOptions, Policy, Source, Strictness};

fn same_facts(a: &Facts, b: &Facts, text: &str) {
    assert_eq!(a.slots(), b.slots(), "slots of {text}");
    assert_eq!(a.sections, b.sections, "sections of {text}");
    assert_eq!(a.case_id, b.case_id, "case id of {text}");
    assert_eq!(a.notes, b.notes, "notes of {text}");
}

#[test]
fn the_workload_reads_alike_in_one_pass_and_in_two() {
    let sources: Vec<Source> = policy::workload_sources(&policy::bundled_dir())
        .unwrap()
        .into_iter()
        .map(|(p, t)| Source::new(p, t))
        .collect();
    let p = Policy::from_sources(&sources, &LoadOptions::default()).unwrap();
    let strict = FactsOptions::default();
    let lenient = FactsOptions {
        strictness: Strictness::Lenient,
        ..FactsOptions::default()
    };
    let mut r = SplitMix64::new(7);
    let mut broken_read = 0;
    for case in Workload::cases(2_000) {
        let line = case.to_json_line();
        let two = p.load_facts_text_two_pass(&line, &strict).unwrap();
        let one = p
            .load_facts_text_one_pass(&line, &strict)
            .unwrap_or_else(|| panic!("the one-pass reader handed over {line}"));
        same_facts(&two, &one, &line);

        let edits: [(&str, &str); 6] = [
            ("true", "1"),
            ("false", "\"no\""),
            ("\"age\":", "\"age\":200,\"age\":"),
            ("\"sex\":", "\"sexx\":"),
            ("+08:00", ""),
            ("\"minor\":{", "\"minor\":[{"),
        ];
        let (from, to) = edits[r.below(edits.len() as u64) as usize];
        let mut broken = line.replacen(from, to, 1);
        if r.chance(500) {
            let mut at = r.below(broken.len() as u64) as usize;
            while !broken.is_char_boundary(at) {
                at -= 1;
            }
            broken.remove(at);
        }
        for opts in [&strict, &lenient] {
            let two = p.load_facts_text_two_pass(&broken, opts);
            if let Some(one) = p.load_facts_text_one_pass(&broken, opts) {
                same_facts(two.as_ref().unwrap(), &one, &broken);
                broken_read += 1;
            }
            match (two, p.load_facts_text(&broken, opts)) {
                (Ok(a), Ok(b)) => same_facts(&a, &b, &broken),
                (Err(a), Err(b)) => assert_eq!(a, b, "errors of {broken}"),
                (a, b) => panic!("{broken}: {:?} vs {:?}", a.is_ok(), b.is_ok()),
            }
        }
    }
    // Times without an offset are read in one pass (with their note), the rest handed over.
    assert!(broken_read > 100, "{broken_read}");
}
