//! The one-pass facts reader (`Policy::load_facts_text`) against the two-pass reader it
//! replaced (`Policy::load_facts_text_two_pass`): on valid and invalid texts alike, the same
//! facts (slots, sections, case id, notes in order) or the same errors, byte for byte. The
//! one-pass reader must answer only where the two-pass reader finds no problem, and must
//! answer for every valid case it is given here, so the test cannot pass by always handing
//! the case over.
//!
//! Cases are generated for three schemas — the bundled set, the sample set of `tests/sample`,
//! and one below with every type (lists of records, sets, decimals, durations, dates and times
//! in records and nested objects, a `@sensitive` case id, non-ASCII names) — written with keys
//! in any order, any whitespace and escapes, then broken in the ways a case goes wrong: wrong
//! types, values out of range, unknown, dotted, empty and repeated keys, nesting, long lists,
//! numbers past 64 bits, bytes cut or inserted; and read with strict and lenient options,
//! revealed sensitive values, tight limits.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use humiao_core::facts::{Cell, RowReader, RowsBlock};
use humiao_core::model::{Schema, Type};
use humiao_core::{Facts, FactsOptions, LoadOptions, Policy, Source, Strictness};
use proptest::prelude::*;
use std::path::Path;
use std::sync::OnceLock;

fn from_dir(dir: &Path) -> Policy {
    let mut sources = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().to_string();
        if name.ends_with(".humiao") || name.ends_with(".toml") || name.ends_with(".csv") {
            let text = std::fs::read_to_string(dir.join(&name)).unwrap();
            sources.push(Source::new(name, text));
        }
    }
    Policy::from_sources(&sources, &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{:#?}", e.diagnostics))
}

const ALL_TYPES: &str = r#"
policy t "t"
  source "t" 2024-01-01

enum Color { red, green, blue, 红 }

record Item "item" {
  name: Text
  at: DateTime?
  on: Date?
  n: Int? @range(-5, 5)
  d: Decimal?
  colors: Set<Color>
  dur: Duration?
  secret: Text? @sensitive
}

facts {
  discovered_at: DateTime
  reported_at: DateTime?
  items: List<Item>?
  n: Int?
  d: Decimal default 1.5
  c: Color?
}

facts case optional "case" {
  id: Text? @sensitive
  at: DateTime?
  n: Int? @range(0, 100)
}

facts a "a" {
  b: Bool default false
  s: Set<Color> default {}
  at: DateTime?
  deep.x: Int?
  deep.at: DateTime?
  deep.more.y: Bool?
  名字: Text?
  dur: Duration?
  d: Decimal?
}

facts extra optional {
  on: Date?
  items: List<Item>?
}
"#;

fn policies() -> &'static [Policy; 3] {
    static P: OnceLock<[Policy; 3]> = OnceLock::new();
    P.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let all = Policy::from_sources(
            &[Source::new("t.humiao", ALL_TYPES)],
            &LoadOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{:#?}", e.diagnostics));
        [
            from_dir(&root.join("rules")),
            from_dir(&root.join("tests/sample")),
            all,
        ]
    })
}

fn same_facts(a: &Facts, b: &Facts, text: &str) {
    assert_eq!(a.slots(), b.slots(), "slots of {text}");
    assert_eq!(a.sections, b.sections, "sections of {text}");
    assert_eq!(a.case_id, b.case_id, "case id of {text}");
    assert_eq!(a.notes, b.notes, "notes of {text}");
}

/// Both readers on one text; whether the one-pass reader answered.
fn check(p: &Policy, text: &str, opts: &FactsOptions) -> bool {
    let two = p.load_facts_text_two_pass(text, opts);
    let one = p.load_facts_text_one_pass(text, opts);
    match (&two, &one) {
        (Ok(t), Some(o)) => same_facts(t, o, text),
        (Err(e), Some(_)) => {
            panic!("the one-pass reader accepted what the two-pass reader refuses: {text}\n{e:#?}")
        }
        (_, None) => {}
    }
    match (&two, p.load_facts_text(text, opts)) {
        (Ok(t), Ok(o)) => same_facts(t, &o, text),
        (Err(a), Err(b)) => assert_eq!(a, &b, "errors of {text}"),
        (a, b) => panic!(
            "{text}: two-pass {:?}, load_facts_text {:?}",
            a.is_ok(),
            b.is_ok()
        ),
    }
    one.is_some()
}

// ------------------------------------------------------------------ JSON, written by hand

/// JSON with numbers as their text and keys in a given order (repeats allowed), so the
/// generator can write what serde_json's own types cannot.
#[derive(Clone, Debug)]
enum J {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

/// SplitMix64: the generator's only source of choices, seeded by proptest.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % (n.max(1) as u64)) as usize
    }
    fn chance(&mut self, num: usize, den: usize) -> bool {
        self.below(den) < num
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

fn ws(r: &mut Rng, out: &mut String) {
    if r.chance(1, 4) {
        out.push_str(r.pick::<&str>(&[" ", "\n", "\t", "\r\n  ", "  "]));
    }
}

/// A string literal, some characters escaped (`\u` escapes, surrogate pairs included).
fn write_str(s: &str, r: &mut Rng, out: &mut String) {
    out.push('"');
    let escape = r.chance(1, 5);
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if escape && r.chance(1, 3) => {
                let mut buf = [0u16; 2];
                for u in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{u:04X}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn write(j: &J, r: &mut Rng, out: &mut String) {
    ws(r, out);
    match j {
        J::Null => out.push_str("null"),
        J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        J::Num(n) => out.push_str(n),
        J::Str(s) => write_str(s, r, out),
        J::Arr(items) => {
            out.push('[');
            for (i, it) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(it, r, out);
            }
            ws(r, out);
            out.push(']');
        }
        J::Obj(pairs) => {
            out.push('{');
            for (i, (k, v)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                ws(r, out);
                write_str(k, r, out);
                ws(r, out);
                out.push(':');
                write(v, r, out);
            }
            ws(r, out);
            out.push('}');
        }
    }
    ws(r, out);
}

// ------------------------------------------------------------------ valid cases

fn datetime(r: &mut Rng) -> String {
    let zone = *r.pick(&["+08:00", "Z", "-05:30", "", ""]);
    let secs = if r.chance(1, 2) { ":00" } else { "" };
    format!(
        "202{}-{:02}-{:02}T{:02}:{:02}{secs}{zone}",
        r.below(7),
        1 + r.below(12),
        1 + r.below(28),
        r.below(24),
        r.below(60)
    )
}

fn decimal(r: &mut Rng) -> String {
    r.pick(&[
        "0",
        "1",
        "-2",
        "1.5",
        "0.25",
        "-0.125",
        "12.000001",
        "100000",
        "2.50",
        "1e2",
        "1.5E1",
        "3e-2",
        "9007199254740993",
        "-9223372036854",
        "0.0",
    ])
    .to_string()
}

fn value(schema: &Schema, ty: &Type, range: Option<(i64, i64)>, r: &mut Rng) -> J {
    match ty {
        Type::Bool => J::Bool(r.chance(1, 2)),
        Type::Int => J::Num(match range {
            Some((lo, hi)) if r.chance(1, 3) => r.pick(&[lo, hi]).to_string(),
            Some((lo, hi)) => (lo + r.below((hi - lo + 1).min(40) as usize) as i64).to_string(),
            None => r
                .pick(&[
                    "0",
                    "7",
                    "-3",
                    "150",
                    "9223372036854775807",
                    "-9223372036854775808",
                ])
                .to_string(),
        }),
        Type::Decimal => J::Num(decimal(r)),
        Type::Text => J::Str(
            r.pick(&[
                "t1",
                "",
                "a \"quoted\" name",
                "中文",
                "line\nbreak",
                "😀",
                "\u{1}",
            ])
            .to_string(),
        ),
        Type::Date => J::Str(format!(
            "{}-{:02}-{:02}",
            2004 + r.below(23),
            1 + r.below(12),
            1 + r.below(28)
        )),
        Type::DateTime => J::Str(datetime(r)),
        Type::Duration => {
            let unit = r.pick(&["hours", "days", "working days", "months", "years"]);
            J::Str(format!("{} {unit}", 1 + r.below(48)))
        }
        Type::Enum(id) => {
            let e = schema.enum_def(*id).unwrap();
            J::Str(r.pick(&e.variants).clone())
        }
        Type::Set(id) => {
            let e = schema.enum_def(*id).unwrap();
            let mut picked: Vec<J> = e
                .variants
                .iter()
                .filter(|_| r.chance(1, 3))
                .map(|v| J::Str(v.clone()))
                .collect();
            if r.chance(1, 6) {
                if let Some(first) = picked.first().cloned() {
                    picked.push(first);
                }
            }
            J::Arr(picked)
        }
        Type::List(rid) | Type::Record(rid) => {
            let rec = schema.record_def(*rid).unwrap();
            let item = |r: &mut Rng| {
                let mut pairs = Vec::new();
                for f in &rec.fields {
                    if r.chance(5, 6) {
                        let v = if r.chance(1, 12) {
                            J::Null
                        } else {
                            value(schema, &f.ty, f.range, r)
                        };
                        pairs.push((f.name.clone(), v));
                    }
                }
                shuffle(&mut pairs, r);
                J::Obj(pairs)
            };
            if matches!(ty, Type::Record(_)) {
                item(r)
            } else {
                let n = r.below(4);
                J::Arr((0..n).map(|_| item(r)).collect())
            }
        }
        Type::ValueSet(_) => J::Null,
    }
}

fn shuffle<T>(xs: &mut [T], r: &mut Rng) {
    for i in (1..xs.len()).rev() {
        let j = r.below(i + 1);
        xs.swap(i, j);
    }
}

fn obj_entry<'a>(pairs: &'a mut Vec<(String, J)>, key: &str) -> &'a mut J {
    let at = match pairs.iter().position(|(k, _)| k == key) {
        Some(i) => i,
        None => {
            pairs.push((key.to_string(), J::Obj(Vec::new())));
            pairs.len() - 1
        }
    };
    &mut pairs[at].1
}

fn insert(root: &mut Vec<(String, J)>, path: &str, v: J) {
    let mut segs: Vec<&str> = path.split('.').collect();
    let last = segs.pop().unwrap();
    let mut cur = root;
    for s in segs {
        match obj_entry(cur, s) {
            J::Obj(pairs) => cur = pairs,
            _ => return,
        }
    }
    cur.push((last.to_string(), v));
}

fn shuffle_all(j: &mut J, r: &mut Rng) {
    match j {
        J::Obj(pairs) => {
            shuffle(pairs, r);
            for (_, v) in pairs {
                shuffle_all(v, r);
            }
        }
        J::Arr(items) => items.iter_mut().for_each(|v| shuffle_all(v, r)),
        _ => {}
    }
}

/// A case every fact of which is valid: each optional section present or `null` or absent,
/// each fact given (or `null`) by chance.
fn generate(schema: &Schema, r: &mut Rng) -> J {
    let present: Vec<usize> = schema.sections.iter().map(|_| r.below(3)).collect();
    let mut root = Vec::new();
    for f in &schema.facts {
        if f.section.is_some_and(|s| present[s] != 0) {
            continue;
        }
        if f.path == "discovered_at" || r.chance(3, 4) {
            let v = if r.chance(1, 16) {
                J::Null
            } else {
                value(schema, &f.ty, f.range, r)
            };
            insert(&mut root, &f.path, v);
        }
    }
    for (s, how) in schema.sections.iter().zip(&present) {
        match how {
            1 => insert(&mut root, &s.name, J::Null),
            _ if !root.iter().any(|(k, _)| *k == s.name) && r.chance(1, 2) => {
                insert(&mut root, &s.name, J::Obj(Vec::new()))
            }
            _ => {}
        }
    }
    let mut j = J::Obj(root);
    shuffle_all(&mut j, r);
    j
}

// ------------------------------------------------------------------ broken cases

fn junk(r: &mut Rng) -> J {
    let deep = (0..r.below(40)).fold(J::Num("1".into()), |j, _| J::Arr(vec![j]));
    let choices = [
        J::Null,
        J::Bool(true),
        J::Num("1".into()),
        J::Num("-1".into()),
        J::Num("1.5".into()),
        J::Num("-0".into()),
        J::Num("1e400".into()),
        J::Num("18446744073709551616".into()),
        J::Num("18446744073709551615".into()),
        J::Num("200".into()),
        // Just past the ranges of the three schemas: 0–150, 0–100, -5–5, 1–4.
        J::Num(
            r.pick(&["151", "101", "-6", "6", "5", "0", "-1", "150"])
                .to_string(),
        ),
        J::Str("x".into()),
        J::Str("2026-02-30".into()),
        J::Str("2026-03-01T10:00".into()),
        J::Str("red".into()),
        J::Str("\u{7f}".into()),
        J::Arr(Vec::new()),
        J::Arr(vec![J::Str("red".into()), J::Num("1".into())]),
        J::Arr(vec![J::Obj(Vec::new()), J::Null]),
        J::Obj(Vec::new()),
        J::Obj(vec![("x".into(), J::Num("1".into()))]),
        deep,
    ];
    r.pick(&choices).clone()
}

/// Every node of a value, as a path of child positions.
fn nodes(j: &J, at: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
    out.push(at.clone());
    let kids: Vec<&J> = match j {
        J::Obj(pairs) => pairs.iter().map(|(_, v)| v).collect(),
        J::Arr(items) => items.iter().collect(),
        _ => Vec::new(),
    };
    for (i, k) in kids.into_iter().enumerate() {
        at.push(i);
        nodes(k, at, out);
        at.pop();
    }
}

fn node_mut<'a>(j: &'a mut J, at: &[usize]) -> &'a mut J {
    match at.split_first() {
        None => j,
        Some((i, rest)) => match j {
            J::Obj(pairs) => node_mut(&mut pairs[*i].1, rest),
            J::Arr(items) => node_mut(&mut items[*i], rest),
            _ => j,
        },
    }
}

/// Whole numbers one up or down (past the end of a range, or not).
fn nudge(j: &mut J, r: &mut Rng) {
    match j {
        J::Num(n) => {
            if let (Ok(i), true) = (n.parse::<i64>(), r.chance(1, 2)) {
                *n = i.saturating_add(*r.pick(&[1, -1])).to_string();
            }
        }
        J::Arr(items) => items.iter_mut().for_each(|v| nudge(v, r)),
        J::Obj(pairs) => pairs.iter_mut().for_each(|(_, v)| nudge(v, r)),
        _ => {}
    }
}

fn break_case(j: &mut J, r: &mut Rng) {
    if r.chance(1, 5) {
        return nudge(j, r);
    }
    let mut all = Vec::new();
    nodes(j, &mut Vec::new(), &mut all);
    let at = r.pick(&all).clone();
    let node = node_mut(j, &at);
    match r.below(6) {
        // Another value where this one was.
        0 | 1 => *node = junk(r),
        // A key given twice, or a key the schema does not have.
        2 | 3 => {
            if let J::Obj(pairs) = node {
                if !pairs.is_empty() && r.chance(1, 2) {
                    let (k, _) = pairs[r.below(pairs.len())].clone();
                    let v = junk(r);
                    pairs.insert(r.below(pairs.len() + 1), (k, v));
                } else {
                    let k = r.pick(&["agee", "", "a b", "a.b", "x\u{1b}", "名", "Age", "idd"]);
                    pairs.insert(r.below(pairs.len() + 1), (k.to_string(), junk(r)));
                }
            } else {
                *node = junk(r);
            }
        }
        // Renamed keys: a typo of each.
        4 => {
            if let J::Obj(pairs) = node {
                for (k, _) in pairs.iter_mut() {
                    if r.chance(1, 2) {
                        k.push('s');
                    }
                }
            }
        }
        // Wrapped in lists.
        _ => {
            let v = std::mem::replace(node, J::Null);
            *node = (0..1 + r.below(4)).fold(v, |j, _| J::Arr(vec![j]));
        }
    }
}

/// Cuts, inserts or replaces a few bytes of the text (at character boundaries).
fn break_text(text: &str, r: &mut Rng) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..1 + r.below(3) {
        let at = r.below(chars.len() + 1);
        let c = *r.pick(&[
            '{', '}', '[', ']', '"', ',', ':', '\\', '1', '.', 'e', '-', ' ', 'n', '\u{0}', '中',
        ]);
        match r.below(3) {
            0 if at < chars.len() => {
                chars.remove(at);
            }
            1 if at < chars.len() => chars[at] = c,
            _ => chars.insert(at, c),
        }
    }
    if r.chance(1, 8) {
        chars.truncate(r.below(chars.len() + 1));
    }
    chars.into_iter().collect()
}

fn options(r: &mut Rng) -> FactsOptions {
    FactsOptions {
        strictness: if r.chance(1, 3) {
            Strictness::Lenient
        } else {
            Strictness::Strict
        },
        max_list_len: *r.pick(&[10_000, 0, 1, 2]),
        max_bytes: *r.pick(&[4 * 1024 * 1024, 4 * 1024 * 1024, 200, 0, 120, 300, 500, 800]),
        max_json_depth: *r.pick(&[32, 32, 0, 1, 2, 3, 4, 1000]),
        reveal_sensitive: r.chance(1, 3),
    }
}

/// One generated case of one schema: valid, broken as JSON, broken as text; with the default
/// options (where the one-pass reader must answer every valid case) and with others.
fn round(seed: u64) {
    let mut r = Rng(seed);
    let p = &policies()[r.below(3)];
    let mut j = generate(&p.schema, &mut r);
    let mut text = String::new();
    write(&j, &mut r, &mut text);
    let defaults = FactsOptions::default();
    let answered = check(p, &text, &defaults);
    if p.load_facts_text_two_pass(&text, &defaults).is_ok() {
        assert!(
            answered,
            "the one-pass reader handed over a valid case: {text}"
        );
    }
    check(p, &text, &options(&mut r));
    for _ in 0..1 + r.below(3) {
        break_case(&mut j, &mut r);
    }
    let mut broken = String::new();
    write(&j, &mut r, &mut broken);
    check(p, &broken, &defaults);
    check(p, &broken, &options(&mut r));
    let cut = break_text(&text, &mut r);
    check(p, &cut, &defaults);
    check(p, &cut, &options(&mut r));
}

#[test]
fn generated_cases_read_alike() {
    for seed in 0..1500 {
        round(seed);
    }
}

// ------------------------------------------------------------------ rows of a table

/// The value at a fact's path in a generated case, as a table's cell holds it.
fn cell_of<'a>(j: &'a J, path: &str) -> Cell<'a> {
    let mut cur = j;
    for seg in path.split('.') {
        let J::Obj(pairs) = cur else {
            return Cell::Absent;
        };
        // The reader refuses repeated keys; a row cannot repeat a column.
        match pairs.iter().rev().find(|(k, _)| k == seg) {
            Some((_, v)) => cur = v,
            None => return Cell::Absent,
        }
    }
    match cur {
        J::Null => Cell::Absent,
        J::Bool(b) => Cell::Bool(*b),
        J::Num(t) => t.parse::<i64>().map_or(Cell::Other, Cell::Int),
        J::Str(s) => Cell::Text(s),
        J::Arr(_) | J::Obj(_) => Cell::Other,
    }
}

/// A row's case as JSON text, as a table's row is written: an object only for a value inside
/// it.
fn row_text(paths: &[&str], cells: &[Cell]) -> String {
    let mut root = serde_json::Map::new();
    for (path, c) in paths.iter().zip(cells) {
        let v = match c {
            Cell::Bool(b) => serde_json::Value::from(*b),
            Cell::Int(i) => serde_json::Value::from(*i),
            Cell::Text(s) => serde_json::Value::from(*s),
            Cell::Absent | Cell::Other => continue,
        };
        let mut segs: Vec<&str> = path.split('.').collect();
        let last = segs.pop().unwrap();
        let mut cur = &mut root;
        for s in segs {
            cur = cur
                .entry(s)
                .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()))
                .as_object_mut()
                .unwrap();
        }
        cur.insert(last.to_string(), v);
    }
    serde_json::Value::Object(root).to_string()
}

/// The columns a table of a schema may have: every fact a cell can hold.
fn row_columns(schema: &Schema) -> Vec<&str> {
    schema
        .facts
        .iter()
        .filter(|f| RowReader::holds(&f.ty))
        .map(|f| f.path.as_str())
        .collect()
}

/// One case as a table's row: read into the slots directly, it must give what its JSON text
/// gives (or hand the row over); a valid row must be read unless the text takes a note.
/// Whether the row was read with the default options.
fn row_round(seed: u64) -> bool {
    let mut r = Rng(seed);
    let p = &policies()[r.below(3)];
    let mut j = generate(&p.schema, &mut r);
    if r.chance(1, 2) {
        for _ in 0..1 + r.below(3) {
            break_case(&mut j, &mut r);
        }
    }
    let mut paths = row_columns(&p.schema);
    shuffle(&mut paths, &mut r);
    let reader = p
        .row_reader(&paths)
        .expect("every column is a fact a cell holds");
    assert_eq!(reader.len(), paths.len());
    let cells: Vec<Cell> = paths.iter().map(|c| cell_of(&j, c)).collect();
    let text = row_text(&paths, &cells);
    let mut read_default = false;
    for (k, opts) in [FactsOptions::default(), options(&mut r)]
        .into_iter()
        .enumerate()
    {
        // Buffers left over from another case must not show through.
        let mut facts = p
            .load_facts_text(r#"{"discovered_at": "2026-01-01T08:00+08:00"}"#, &opts)
            .unwrap_or_default();
        let read = p.load_row_into(&reader, |i| cells[i], &opts, &mut facts);
        assert_eq!(
            p.check_row(&reader, |i| cells[i], &opts),
            read,
            "check_row and load_row_into disagree on {text}"
        );
        read_default |= read && k == 0;
        let want = p.load_facts_text_two_pass(&text, &opts);
        match &want {
            Ok(w) if read => same_facts(w, &facts, &text),
            Err(e) if read => {
                panic!("the row reader accepted what the JSON reader refuses: {text}\n{e:#?}")
            }
            Ok(w) => {
                let other = cells.iter().any(|c| matches!(c, Cell::Other));
                assert!(
                    other || !w.notes.is_empty() || k > 0,
                    "the row reader handed over a valid row: {text}"
                );
            }
            Err(_) => {}
        }
    }
    read_default
}

/// A block of generated rows of one table, written column by column (`rows_writer`): each row
/// reads as `load_row_into` reads it alone — read or handed over alike, the same facts — over
/// buffers left by an earlier block. Returns the rows read.
fn block_round(seed: u64) -> (usize, usize) {
    let mut r = Rng(seed);
    let p = &policies()[r.below(3)];
    let mut paths = row_columns(&p.schema);
    shuffle(&mut paths, &mut r);
    // Some tables have only some of the facts as columns.
    if r.chance(1, 3) {
        let keep = 1 + r.below(paths.len());
        paths.truncate(keep);
    }
    let reader = p
        .row_reader(&paths)
        .expect("every column is a fact a cell holds");
    let opts = if r.chance(1, 2) {
        FactsOptions::default()
    } else {
        options(&mut r)
    };
    let mut block = RowsBlock::new();
    let mut read = 0;
    let mut times = 0usize;
    for _block in 0..2 {
        let n = 1 + r.below(64);
        let cases: Vec<J> = (0..n)
            .map(|_| {
                let mut j = generate(&p.schema, &mut r);
                if r.chance(1, 3) {
                    break_case(&mut j, &mut r);
                }
                j
            })
            .collect();
        let rows: Vec<Vec<Cell>> = cases
            .iter()
            .map(|j| paths.iter().map(|c| cell_of(j, c)).collect())
            .collect();
        let mut w = p.rows_writer(&reader, &opts, &mut block, n);
        assert_eq!(w.len(), n);
        // Column by column, as a table is read: a column's cells resolved one by one, or
        // its distinct cells once and the rows as codes into them (a code past them for a
        // missing value).
        let absent = p.resolve_cell(&reader, 0, Cell::Absent, &opts);
        for (col, _) in paths.iter().enumerate() {
            let cells: Vec<_> = rows
                .iter()
                .map(|row| p.resolve_cell(&reader, col, row[col], &opts))
                .collect();
            let truth = |c: &Cell| match c {
                Cell::Bool(b) => Some(Some(*b)),
                Cell::Absent => Some(None),
                _ => None,
            };
            let bits: Option<Vec<Option<bool>>> = rows.iter().map(|row| truth(&row[col])).collect();
            match r.below(5) {
                // Cell by cell, a time's text put as its bytes where the writer reads the
                // common shape itself (`put_datetime`), the rest resolved.
                4 => {
                    for (i, (row, cell)) in rows.iter().zip(&cells).enumerate() {
                        if let Cell::Text(s) = row[col] {
                            if w.put_datetime(col, i, s.as_bytes()) {
                                times += 1;
                                continue;
                            }
                        }
                        w.put(col, i, cell);
                    }
                }
                // A column of truth values as bitmaps (Arrow's), when it is one.
                3 if bits.is_some() => {
                    let (mut values, mut valid) = (0u64, 0u64);
                    for (i, b) in bits.iter().flatten().enumerate() {
                        if let Some(b) = b {
                            valid |= 1 << i;
                            values |= u64::from(*b) << i;
                        }
                    }
                    // Bits past the block's rows are noise the writer must not read.
                    let live = if n == 64 { u64::MAX } else { (1u64 << n) - 1 };
                    values |= r.next() & !live;
                    valid |= r.next() & !live;
                    let resolve = |c| p.resolve_cell(&reader, col, c, &opts);
                    let table = p.code_table(
                        &reader,
                        col,
                        vec![resolve(Cell::Bool(false)), resolve(Cell::Bool(true))],
                        resolve(Cell::Absent),
                    );
                    w.put_bits(col, values, valid, &table);
                }
                0 => {
                    for (i, cell) in cells.iter().enumerate() {
                        w.put(col, i, cell);
                    }
                }
                1 => w.put_column(col, &cells),
                _ => {
                    let mut distinct: Vec<_> = Vec::new();
                    let codes: Vec<usize> = cells
                        .iter()
                        .map(|c| {
                            if *c == absent && r.chance(1, 2) {
                                return usize::MAX;
                            }
                            distinct.iter().position(|d| d == c).unwrap_or_else(|| {
                                distinct.push(c.clone());
                                distinct.len() - 1
                            })
                        })
                        .collect();
                    w.put_coded(col, codes, &distinct, &absent);
                }
            }
        }
        let done = w.finish();
        assert_eq!(block.read(), done);
        let mut facts = Facts::default();
        for (i, row) in rows.iter().enumerate() {
            let text = row_text(&paths, row);
            let mut alone = Facts::default();
            let want = p.load_row_into(&reader, |c| row[c], &opts, &mut alone);
            assert_eq!(
                done >> i & 1 == 1,
                want,
                "block and row readers disagree on {text}"
            );
            if want {
                block.facts_into(i, &mut facts);
                same_facts(&alone, &facts, &text);
                assert!(facts.tags_agree(), "tags of {text}");
                read += 1;
            }
        }
        assert_eq!(
            done.checked_shr(n as u32).unwrap_or(0),
            0,
            "rows past the block"
        );
    }
    (read, times)
}

#[test]
fn generated_blocks_read_as_their_rows() {
    let (read, times) = (0..300)
        .map(block_round)
        .fold((0, 0), |(a, b), (r, t)| (a + r, b + t));
    assert!(read > 2000, "only {read} rows of the blocks read");
    assert!(times > 200, "only {times} times put as bytes");
}

#[test]
fn a_row_with_a_cell_not_put_is_not_read() {
    let p = &policies()[0];
    let paths = row_columns(&p.schema);
    let reader = p.row_reader(&paths).unwrap();
    let opts = FactsOptions::default();
    let mut block = RowsBlock::new();
    let mut w = p.rows_writer(&reader, &opts, &mut block, 2);
    let absent = p.resolve_cell(&reader, 0, Cell::Absent, &opts);
    assert!(!absent.is_refused());
    for col in 0..paths.len() {
        w.put(col, 0, &absent);
        if col > 0 {
            w.put(col, 1, &absent);
        }
    }
    assert_eq!(w.finish(), 0b01);
}

#[test]
fn generated_rows_read_as_their_json() {
    let read = (0..1500).filter(|&seed| row_round(seed)).count();
    // Half the rows are broken, and two in five times are written without an offset (a note:
    // handed over); 489 were read when this was written.
    assert!(read > 400, "only {read} of 1500 rows read directly");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn rows_read_as_their_json(seed in any::<u64>()) {
        row_round(seed);
    }
}

/// Columns that are not facts a cell holds (a section, a list, a set, an unknown path, the
/// same fact twice) leave the table to the JSON way.
#[test]
fn only_columns_of_single_facts_are_read_directly() {
    let p = &policies()[0];
    assert!(p.row_reader(&["minor.age", "reporter.org_type"]).is_some());
    for bad in [
        &["minor"][..],
        &["minor.age", "minor.age"],
        &["minor.agee"],
        &["minor.age.x"],
        &[""],
        &["indicators"],
    ] {
        assert!(p.row_reader(bad).is_none(), "{bad:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn both_readers_agree(seed in any::<u64>()) {
        round(seed);
    }
}

/// The conformance corpus, each case's facts as compact and as pretty text.
#[test]
fn the_corpus_reads_alike() {
    let p = &policies()[0];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/conformance");
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_none_or(|x| x != "json") {
            continue;
        }
        let case: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let facts = &case["facts"];
        for text in [
            serde_json::to_string(facts).unwrap(),
            serde_json::to_string_pretty(facts).unwrap(),
        ] {
            assert!(
                check(p, &text, &FactsOptions::default()),
                "{}: the one-pass reader handed over a corpus case",
                path.display()
            );
            n += 1;
        }
    }
    assert!(n >= 200, "{n}");
}

/// Notes come in the two-pass reader's order (by path), whatever order the keys are in.
#[test]
fn notes_are_in_path_order() {
    let p = &policies()[2];
    let text = r#"{"reported_at": "2026-03-01T10:00", "a": {"deep": {"at": "2026-03-01T10:00"},
        "at": "2026-03-01T11:00"}, "items": [{"name": "x", "colors": [], "at": "2026-03-01T09:00"},
        {"at": "2026-03-01T08:00", "name": "y", "colors": ["红"]}],
        "discovered_at": "2026-03-01T10:00", "case": {"at": "2026-03-01T10:00", "id": "c-1"}}"#;
    assert!(check(p, text, &FactsOptions::default()));
    let facts = p.load_facts_text(text, &FactsOptions::default()).unwrap();
    let paths: Vec<&str> = facts
        .notes
        .iter()
        .map(|n| n.split(' ').next().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "a.at",
            "a.deep.at",
            "case.at",
            "discovered_at",
            "items[0].at",
            "items[1].at",
            "reported_at"
        ]
    );
    assert_eq!(facts.case_id.as_deref(), Some("<redacted>"));
    let reveal = FactsOptions {
        reveal_sensitive: true,
        ..FactsOptions::default()
    };
    assert!(check(p, text, &reveal));
    let facts = p.load_facts_text(text, &reveal).unwrap();
    assert_eq!(facts.case_id.as_deref(), Some("c-1"));
}

/// The corners of JSON's grammar where a hand-written scanner could part from serde_json: each
/// token in each place (an `Int`, a `Decimal`, a `Text`, a key, a list item), both readers alike.
#[test]
fn corners_of_json_read_alike() {
    let p = &policies()[2];
    let numbers = [
        "0",
        "-0",
        "01",
        "-01",
        "1.",
        "1.e5",
        ".5",
        "1e",
        "1e+",
        "1E+2",
        "1e-2",
        "-",
        "+1",
        "1.5e308",
        "1e400",
        "-1e400",
        "1e-400",
        "0.0000001",
        "1.000000",
        "-9223372036854775808",
        "-9223372036854775809",
        "9223372036854775807",
        "9223372036854775808",
        "18446744073709551615",
        "18446744073709551616",
        "123456789012345678901234567890",
        "0x10",
        "1_000",
        "NaN",
        "Infinity",
        "-Infinity",
        "1 2",
        "2 ",
        " 3",
        "4\u{0c}",
        "5\u{a0}",
    ];
    let strings = [
        r#""plain""#,
        r#""\ud83d\ude00""#,
        r#""\uD83D\uDE00""#,
        r#""\ud83d""#,
        r#""\ude00""#,
        r#""\ud83d\u0041""#,
        r#""\ud83dx""#,
        r#""\x""#,
        r#""\u00e9\u4E2D""#,
        r#""\/\b\f\n\r\t\"\\""#,
        r#""\u12""#,
        r#""\u12g4""#,
        "\"raw\u{1}control\"",
        "\"raw\u{7f}del\"",
        "\"tab\there\"",
        r#""unterminated"#,
        r#"'single'"#,
        r#""red""#,
        r#""r\u0065d""#,
        r#""2026-03-01T10:00""#,
        r#""2026-03-01T10:00+08:00""#,
        "null",
        "nul",
        "nulls",
        "true",
        "tru",
        "True",
        "[]",
        "{}",
    ];
    let keys = [
        r#""n""#,
        r#""\u006e""#,
        r#""n ""#,
        r#""N""#,
        r#""""#,
        r#""n\u0000""#,
        r#""名字""#,
        r#""\u540d\u5b57""#,
    ];
    let mut texts = Vec::new();
    for t in numbers.iter().chain(strings.iter()) {
        texts.push(format!(
            r#"{{"discovered_at": "2026-03-01T10:00+08:00", "n": {t}}}"#
        ));
        texts.push(format!(
            r#"{{"discovered_at": "2026-03-01T10:00+08:00", "d": {t}}}"#
        ));
        texts.push(format!(
            r#"{{"discovered_at": "2026-03-01T10:00+08:00", "a": {{"d": {t}, "名字": {t}}}}}"#
        ));
        texts.push(format!(r#"{{"discovered_at": {t}, "c": {t}}}"#));
        texts.push(format!(
            r#"{{"discovered_at": "2026-03-01T10:00", "items": [{{"name": {t}, "colors": [{t}], "n": {t}, "d": {t}}}]}}"#
        ));
        texts.push(format!(
            r#"{{"discovered_at": "2026-03-01T10:00", "a": {{"s": [{t}, "red"]}}}}"#
        ));
    }
    for k in keys {
        texts.push(format!(
            r#"{{"discovered_at": "2026-03-01T10:00+08:00", {k}: 1}}"#
        ));
        texts.push(format!(
            r#"{{"discovered_at": "2026-03-01T10:00+08:00", "a": {{{k}: "x"}}}}"#
        ));
    }
    for shape in [
        "",
        " ",
        "{",
        "}",
        "{}",
        " {} ",
        "{} {}",
        "{},",
        "[{}]",
        "null",
        "\u{feff}{}",
        r#"{"discovered_at": "2026-03-01T10:00",}"#,
        r#"{"discovered_at": "2026-03-01T10:00" "n": 1}"#,
        r#"{"discovered_at": "2026-03-01T10:00", "items": [{"name": "x", "colors": []},]}"#,
        r#"{"discovered_at": "2026-03-01T10:00", "items": [{"name": "x", "colors": [,]}]}"#,
        r#"{"discovered_at": "2026-03-01T10:00", "a": {"s": ["red",]}}"#,
        r#"{"discovered_at": "2026-03-01T10:00", "a": {"deep": {"more": {"y": true}}}}"#,
        r#"{"discovered_at": "2026-03-01T10:00", "a": {"deep": {"more": {"y": true}}}, "case": null}"#,
        r#"{"discovered_at": "2026-03-01T10:00", "case": {}, "extra": {}}"#,
        r#"{"discovered_at": "2026-03-01T10:00", "case": {"id": 7}}"#,
        r#"{"discovered_at": "2026-03-01T10:00", "case": {"id": "a\"b"}}"#,
        "{\"discovered_at\"\r\n:\t\"2026-03-01T10:00\"\n}\n",
        "{\"discovered_at\":\u{0c}\"2026-03-01T10:00\"}",
    ] {
        texts.push(shape.to_string());
    }
    let tight = FactsOptions {
        max_json_depth: 3,
        max_list_len: 1,
        ..FactsOptions::default()
    };
    let mut answered = 0;
    for t in &texts {
        answered += usize::from(check(p, t, &FactsOptions::default()));
        check(p, t, &tight);
    }
    assert!(answered >= 25, "{answered} of {}", texts.len());
}

/// `load_facts_text_into` and `evaluate_text_into` reuse one set of buffers across lines —
/// valid, broken, of different schemas' cases and options — and give, line after line, what
/// a fresh `load_facts_text` and `evaluate_json_into` give (facts, decision bytes, errors).
#[test]
fn reused_buffers_give_what_fresh_ones_give() {
    use humiao_core::time::Date;
    use humiao_core::{DecisionBuffers, EvalOptions};
    let as_of = Date::parse("2026-11-29").unwrap();
    let eval = EvalOptions::default();
    let mut r = Rng(7);
    // One buffer per policy (a buffer belongs to one policy's schema), used for every line.
    let mut facts: Vec<Facts> = (0..3).map(|_| Facts::default()).collect();
    let mut bufs: Vec<DecisionBuffers> = (0..3).map(|_| DecisionBuffers::new()).collect();
    let mut fresh_bufs = DecisionBuffers::new();
    let (mut read, mut refused, mut rows_loaded) = (0, 0, 0usize);
    for _ in 0..600 {
        let which = r.below(3);
        let p = &policies()[which];
        let mut j = generate(&p.schema, &mut r);
        if r.chance(1, 3) {
            break_case(&mut j, &mut r);
        }
        let mut text = String::new();
        write(&j, &mut r, &mut text);
        let opts = if r.chance(1, 2) {
            FactsOptions::default()
        } else {
            options(&mut r)
        };
        // Now and then another case goes into the buffer as a table's row first: the one-pass
        // reader must not take the row's slots for those it wrote itself (it resets only the
        // slots it wrote into its own last line).
        if r.chance(1, 5) {
            let other = generate(&p.schema, &mut r);
            let paths = row_columns(&p.schema);
            let reader = p.row_reader(&paths).expect("row reader");
            let cells: Vec<Cell> = paths.iter().map(|c| cell_of(&other, c)).collect();
            rows_loaded += usize::from(p.load_row_into(
                &reader,
                |i| cells[i],
                &FactsOptions::default(),
                &mut facts[which],
            ));
        }
        let fresh = p.load_facts_text(&text, &opts);
        let reused = p.load_facts_text_into(&text, &opts, &mut facts[which]);
        match (&fresh, &reused) {
            (Ok(f), Ok(())) => {
                same_facts(f, &facts[which], &text);
                assert!(facts[which].tags_agree(), "tags of {text}");
                read += 1;
            }
            (Err(a), Err(b)) => {
                assert_eq!(a, b, "errors of {text}");
                refused += 1;
            }
            _ => panic!("one read, the other refused: {text}"),
        }
        let mut want = Vec::new();
        let want_r = match &fresh {
            Ok(f) => p
                .evaluate_json_into(f, as_of, &eval, &mut fresh_bufs, &mut want)
                .map_err(|e| e.to_string()),
            Err(e) => Err(format!("{} problem(s)", e.len())),
        };
        let mut got = Vec::new();
        let got_r = p
            .evaluate_text_into(&text, as_of, &eval, &opts, &mut bufs[which], &mut got)
            .map_err(|e| match e {
                humiao_core::EvaluateError::Facts(e) => format!("{} problem(s)", e.len()),
                humiao_core::EvaluateError::Eval(e) => e.to_string(),
            });
        assert_eq!(got_r, want_r, "result of {text}");
        assert_eq!(got, want, "decision of {text}");
    }
    assert!(read > 100 && refused > 50, "{read} read, {refused} refused");
    assert!(rows_loaded > 30, "{rows_loaded} rows read in between");
}

/// A number in a `Decimal` fact is the decimal written (at most six places), whichever reader
/// reads it, also where serde_json's default float parser would miss the nearest double by one
/// unit in the last place (16 and more significant digits): the workspace builds serde_json
/// with `float_roundtrip`. Without it, `9018444419271.025` was read as `9018444419271.023`.
#[test]
fn decimals_are_read_as_written() {
    use humiao_core::model::{parse_decimal, Value};
    let p = &policies()[2];
    let top = p.schema.fact("d").unwrap();
    let inner = p.schema.fact("a.d").unwrap();
    for x in [
        "9018444419271.025",
        "33714475990.651894",
        "100409689225.60979",
        "4503599627370.497",
        "1500.75",
        "0.1",
        "-87654321.123456",
        "12",
    ] {
        let text =
            format!(r#"{{"discovered_at":"2026-03-01T10:00:00+08:00","d":{x},"a":{{"d":{x}}}}}"#);
        let want = Value::Decimal(parse_decimal(x).unwrap());
        let one_pass = p.load_facts_text(&text, &FactsOptions::default()).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let two_pass = p.load_facts(&json, &FactsOptions::default()).unwrap();
        for facts in [&one_pass, &two_pass] {
            assert_eq!(facts.slots()[top], want, "{x}");
            assert_eq!(facts.slots()[inner], want, "{x}");
        }
    }
}
