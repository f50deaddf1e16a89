//! Stage 1: arbitrary bytes → `humiao_grammar::parse`. Never a panic; every error's span lies
//! inside the source; the direct parser and pest read it alike (the same declarations and
//! errors as `parse_file_with_pest`, pest alone).
#![no_main]

use humiao_grammar::ParseOptions;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (file, errors) = humiao_grammar::parse(&text, &ParseOptions::default());
    let (pest_file, pest_errors) =
        humiao_grammar::parse_file_with_pest(&text, &ParseOptions::default());
    assert!(
        file == pest_file && errors == pest_errors,
        "the direct parser and pest differ"
    );
    for e in &errors {
        assert!(
            e.span.start <= e.span.end && e.span.end as usize <= text.len(),
            "span {:?} outside a source of {} bytes",
            e.span,
            text.len()
        );
    }
});
