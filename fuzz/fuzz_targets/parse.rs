//! Stage 1: arbitrary bytes → `humiao_grammar::parse`. Never a panic; every error's span lies
//! inside the source.
#![no_main]

use humiao_grammar::ParseOptions;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (_file, errors) = humiao_grammar::parse(&text, &ParseOptions::default());
    for e in &errors {
        assert!(
            e.span.start <= e.span.end && e.span.end as usize <= text.len(),
            "span {:?} outside a source of {} bytes",
            e.span,
            text.len()
        );
    }
});
