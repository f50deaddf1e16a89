//! Stage 3, as a table: a case's JSON facts (arbitrary bytes) against the bundled policy set
//! (`rules/`) as the rows of a table. 1 to 64 rows, the first the case itself, each other the
//! case with some of its cells left out or changed (drawn from a hash of the input), written column by
//! column (`rows_writer`) and evaluated straight from the columns (`evaluate_rows`). A row is
//! read exactly when `load_row_into` reads it; a row not read has nothing in the batch; each
//! row read gives `evaluate_outcome`'s outcome of the facts `load_row_into` gives it (error,
//! settled, every conclusion and rule state), its conclusions in `conclusion_column`, and, where
//! its block decided it, in the block's masks (`block_conclusion`). The same rows' facts as a
//! batch of distinct cases (`evaluate_batch`) give the same.
#![no_main]

use humiao_core::facts::{Cell, RowsBlock};
use humiao_core::model::Value;
use humiao_core::time::Date;
use humiao_core::{BatchOutcome, BlockConclusion, EvalOptions, Facts, FactsOptions, Outcome, Policy};
use libfuzzer_sys::fuzz_target;

/// What a case came to, to hold another evaluation of it to.
#[derive(Debug, PartialEq)]
struct Came {
    error: Option<String>,
    settled: bool,
    conclusions: Vec<Option<Value>>,
    rules: Vec<Option<String>>,
}

fn came_alone(p: &Policy, o: &Outcome, error: Option<String>) -> Came {
    Came {
        error,
        settled: o.settled(),
        conclusions: (0..p.program.conclusions.len()).map(|c| o.conclusion(c).cloned()).collect(),
        rules: (0..p.program.rules.len()).map(|r| o.rule_state_name(r)).collect(),
    }
}

fn came_in_batch(p: &Policy, b: &BatchOutcome, i: usize) -> Came {
    Came {
        error: b.error(i).map(|e| format!("{e:?}")),
        settled: b.settled(i),
        conclusions: (0..p.program.conclusions.len()).map(|c| b.conclusion(i, c)).collect(),
        rules: (0..p.program.rules.len()).map(|r| b.rule_state_name(i, r)).collect(),
    }
}

/// Each case of the batch's first block decided together has in the masks what
/// `conclusion` gives it; `conclusion_column` gives every case's.
fn columns_and_masks_agree(p: &Policy, b: &BatchOutcome) {
    let mut column = Vec::new();
    for ci in 0..p.program.conclusions.len() {
        b.conclusion_column(ci, &mut column);
        for (i, v) in column.iter().enumerate() {
            assert_eq!(Some(v.clone()), Some(b.conclusion(i, ci).unwrap_or(Value::Unknown)), "column, case {i}");
        }
    }
    let decided = b.decided_in_block(0);
    for i in 0..b.len().min(64) {
        assert_eq!(decided >> i & 1 == 1, b.was_decided_together(i), "decided together, case {i}");
    }
    if decided == 0 {
        return;
    }
    for ci in 0..p.program.conclusions.len() {
        let c = b.block_conclusion(0, ci).expect("a block decided has its conclusions");
        for i in (0..64).filter(|i| decided >> i & 1 == 1) {
            let got = match c {
                BlockConclusion::One { domain, masks } => {
                    let held: Vec<usize> = (0..masks.len()).filter(|&d| masks[d] >> i & 1 == 1).collect();
                    assert!(held.len() <= 1, "case {i}: values {held:?}");
                    held.first().map(|&d| domain[d].clone())
                }
                BlockConclusion::Set { members, masks } => {
                    let bits = members
                        .iter()
                        .zip(masks)
                        .filter(|(_, m)| *m >> i & 1 == 1)
                        .fold(0u128, |v, (&e, _)| v | 1u128 << e);
                    Some(Value::Set { bits, complete: true })
                }
            };
            assert_eq!(got, b.conclusion(i, ci), "masks, case {i}, conclusion {ci}");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(case) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let policy = humiao_fuzz::bundled_policy();
    let Some(as_of) = Date::from_ymd(2026, 3, 1) else {
        return;
    };
    let paths = policy.cell_fact_paths();
    let reader = policy.row_reader(&paths).expect("every column is a fact a cell holds");
    let fopts = FactsOptions::default();
    let opts = EvalOptions::default();
    // A stream of bits from the input: FNV-1a of its bytes, then SplitMix64.
    let mut state = data
        .iter()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    let mut next = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let n = 1 + (next() % 64) as usize;
    // Row 0 is the case; in each other row a cell is left out one time in six and, one time in
    // six, changed (a truth value flipped, an integer moved by -2..=2), so a block's lanes hold
    // different values, not only different gaps.
    let rows: Vec<Vec<Cell>> = (0..n)
        .map(|i| {
            paths
                .iter()
                .map(|p| {
                    let cell = Cell::of_json(&case, p);
                    if i == 0 {
                        return cell;
                    }
                    match (next() % 6, cell) {
                        (0, _) => Cell::Absent,
                        (1, Cell::Bool(b)) => Cell::Bool(!b),
                        (1, Cell::Int(x)) => Cell::Int(x.saturating_add((next() % 5) as i64 - 2)),
                        (_, c) => c,
                    }
                })
                .collect()
        })
        .collect();
    let mut block = RowsBlock::new();
    let mut w = policy.rows_writer(&reader, &fopts, &mut block, n);
    for col in 0..paths.len() {
        let cells: Vec<_> = rows.iter().map(|r| policy.resolve_cell(&reader, col, r[col], &fopts)).collect();
        w.put_column(col, &cells);
    }
    let read = w.finish();
    let mut b = BatchOutcome::new();
    policy.evaluate_rows(&block, as_of, &opts, &mut b);
    assert_eq!(b.len(), n);
    let mut o = Outcome::new();
    let mut loaded: Vec<(usize, Facts, Came)> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let mut facts = Facts::default();
        let ok = policy.load_row_into(&reader, |c| row[c], &fopts, &mut facts);
        assert_eq!(read >> i & 1 == 1, ok, "row {i}: read by the writer vs load_row_into");
        if !ok {
            assert!(!b.settled(i) && !b.was_decided_together(i) && b.error(i).is_none(), "row {i} not read");
            assert_eq!(b.conclusion(i, 0), None, "row {i} not read");
            continue;
        }
        let r = policy.evaluate_outcome(&facts, as_of, &opts, &mut o);
        let want = came_alone(policy, &o, r.err().map(|e| format!("{e:?}")));
        assert_eq!(came_in_batch(policy, &b, i), want, "row {i}: evaluate_rows vs evaluate_outcome");
        loaded.push((i, facts, want));
    }
    columns_and_masks_agree(policy, &b);
    // The rows read, as loaded facts: a batch of distinct cases.
    let facts: Vec<Facts> = loaded.iter().map(|(_, f, _)| f.clone()).collect();
    policy.evaluate_batch(&facts, as_of, &opts, &mut b);
    for (k, (i, _, want)) in loaded.iter().enumerate() {
        assert_eq!(&came_in_batch(policy, &b, k), want, "row {i}: evaluate_batch vs evaluate_outcome");
    }
    columns_and_masks_agree(policy, &b);
});
