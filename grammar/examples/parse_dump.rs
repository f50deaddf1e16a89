//! Debug helper: `cargo run -p humiao-grammar --example parse_dump FILE` prints declarations and errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
fn main() {
    let path = std::env::args().nth(1).expect("file");
    let src = std::fs::read_to_string(&path).unwrap();
    let (file, errors) = humiao_grammar::parse(&src, &Default::default());
    let li = humiao_grammar::LineIndex::new(&src);
    for d in &file.decls {
        let s = format!("{d:?}");
        println!("{}", &s[..s.len().min(160)]);
    }
    for e in &errors {
        let (l, c) = li.line_col(&src, e.span.start as usize);
        println!(
            "{path}:{l}:{c}: {} {} / {}",
            e.code(),
            e.message_en(),
            e.message_zh()
        );
    }
}
