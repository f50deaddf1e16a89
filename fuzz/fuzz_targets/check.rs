//! Stage 2: an arbitrary policy file beside the bundled `rules/common.humiao` →
//! `Policy::check_sources`. Never a panic; every diagnostic renders (English, Chinese, both);
//! a set that checks runs its in-file tests.
#![no_main]

use humiao_core::{render, Lang, LoadOptions, Policy, Source};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let sources = [
        humiao_fuzz::common_source(),
        Source::new("fuzz.humiao", text),
    ];
    let (policy, diags) = Policy::check_sources(&sources, &LoadOptions::default());
    for d in &diags {
        let src = sources
            .iter()
            .find(|s| s.path == d.file)
            .map(|s| s.text.as_str());
        for lang in [Lang::En, Lang::Zh, Lang::Both] {
            let _ = render(d, src, lang);
        }
    }
    if let Some(p) = policy {
        let report = p.run_tests();
        assert_eq!(report.passed + report.failed, report.results.len());
    }
});
