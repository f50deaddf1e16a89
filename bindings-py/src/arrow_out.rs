//! Conclusions as Arrow's buffers, for `outcome_table` of a pyarrow table: a truth value is a
//! bit, an enum value its name's UTF-8 bytes, a set a list of its members' names, each column
//! written into a few byte buffers that `humiao._table` makes into arrays
//! (`pyarrow.Array.from_buffers`) with no Python object per cell. Each column has its
//! conclusion's declared type (`bool`, `string`, `list<string>`), whatever its rows hold: where
//! `pa.table()` of `outcome_columns`' lists would guess `null` (a column null in every row) or
//! `list<null>` (sets empty in every row), the schema stays the same from table to table. The
//! values read the same (`to_pylist()`); a column of other values (integers, dates, …) is such
//! a list.
//!
//! The buffers are written in two steps. Each worker thread writes its block's part of every
//! column ([`ArrowPlan::block`]: bitmaps as words, texts and their ends relative to the block)
//! as soon as the block is evaluated; the calling thread then only lays the blocks' parts end to
//! end ([`arrow_columns`]), shifting the text ends by what came before, straight into the
//! Python `bytes` objects.

use crate::batch::{for_each_row, ConcludedBlock, Outcome, RowResult};
use crate::policy::ConclusionCells;
use humiao_core::model::{Type, Value};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};

/// How a column's values are laid out.
#[derive(Clone, Copy)]
enum Layout<'p> {
    Bool,
    /// An enum's values by name.
    Text(&'p [String]),
    /// A set's members by name, a list per row.
    List(&'p [String]),
    /// A set's members as a Python list per row (a pandas result's cells, as
    /// `outcome_columns` gives them): written by the workers as [`Layout::List`] is, with each
    /// member's place in the enum (one byte) for its name, and made into lists of shared
    /// Python strings on the thread holding the GIL.
    PyLists(&'p [String]),
    /// Python objects, as `outcome_columns` gives them.
    Objects,
}

/// The layouts of the asked conclusions' columns, worked out once per table.
pub(crate) struct ArrowPlan<'p> {
    cols: Vec<Layout<'p>>,
}

/// One column's part of a block. Text ends (`ends`) index [`ArrowBlock::ends`] and count from
/// the column's first byte in [`ArrowBlock::data`] (`data`).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Part {
    /// A value of another kind than the layout's: the whole column is Python objects.
    Objects,
    Bool {
        values: u64,
        valid: u64,
    },
    Text {
        valid: u64,
        ends: usize,
        data: (usize, usize),
    },
    /// Per row the members so far (`lists`), then per member its text's end (`members`).
    List {
        valid: u64,
        lists: usize,
        members: usize,
        items: usize,
        data: (usize, usize),
    },
}

/// A block's part of every column, written on a worker thread.
#[derive(Debug, Default)]
pub(crate) struct ArrowBlock {
    rows: usize,
    settled: (u64, u64),
    parts: Vec<Part>,
    data: Vec<u8>,
    ends: Vec<u32>,
}

fn end_of(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl<'p> ArrowPlan<'p> {
    /// Without `sets`, a set's column is a list of Python lists (for a pandas result, whose
    /// cells are lists), made from the same parts.
    pub(crate) fn new(policy: &'p humiao_core::Policy, indexes: &[usize], sets: bool) -> Self {
        let names = |id| policy.schema.enum_def(id).map(|e| e.variants.as_slice());
        let cols = indexes
            .iter()
            .map(
                |&i| match policy.program.conclusions.get(i).map(|c| &c.ty) {
                    Some(Type::Bool) => Layout::Bool,
                    Some(Type::Enum(id)) => names(*id).map_or(Layout::Objects, Layout::Text),
                    Some(Type::Set(id)) if sets => names(*id).map_or(Layout::Objects, Layout::List),
                    Some(Type::Set(id)) => names(*id)
                        .filter(|n| n.len() <= 128)
                        .map_or(Layout::Objects, Layout::PyLists),
                    _ => Layout::Objects,
                },
            )
            .collect();
        ArrowPlan { cols }
    }

    /// A block's part of every column (a block holds at most 64 rows).
    pub(crate) fn block(&self, b: &ConcludedBlock) -> ArrowBlock {
        let k = self.cols.len();
        let rows = b.len().min(64);
        let mut out = ArrowBlock {
            rows,
            parts: Vec::with_capacity(k),
            ..ArrowBlock::default()
        };
        let (mut settled, mut known) = (0u64, 0u64);
        for (i, &s) in b.settled.iter().enumerate().take(rows) {
            settled |= u64::from(s) << i;
            known |= 1 << i;
        }
        for &(i, _) in &b.failed {
            if i < 64 {
                known &= !(1 << i);
            }
        }
        out.settled = (settled, known);
        for (kk, layout) in self.cols.iter().enumerate() {
            let cell = |i: usize| b.values.get(i * k + kk).unwrap_or(&Value::Unknown);
            let part = match *layout {
                Layout::Objects => Part::Objects,
                Layout::Bool => {
                    let (mut values, mut valid, mut fits) = (0u64, 0u64, true);
                    for i in 0..rows {
                        match cell(i) {
                            Value::Bool(x) => {
                                values |= u64::from(*x) << i;
                                valid |= 1 << i;
                            }
                            Value::Unknown => {}
                            _ => fits = false,
                        }
                    }
                    if fits {
                        Part::Bool { values, valid }
                    } else {
                        Part::Objects
                    }
                }
                Layout::Text(names) => {
                    let (ends, data) = (out.ends.len(), out.data.len());
                    let (mut valid, mut fits) = (0u64, true);
                    for i in 0..rows {
                        match cell(i) {
                            Value::Enum(e) => {
                                out.data.extend_from_slice(name(names, *e));
                                valid |= 1 << i;
                            }
                            Value::Unknown => {}
                            _ => fits = false,
                        }
                        out.ends.push(end_of(out.data.len() - data));
                    }
                    if fits {
                        Part::Text {
                            valid,
                            ends,
                            data: (data, out.data.len()),
                        }
                    } else {
                        out.data.truncate(data);
                        out.ends.truncate(ends);
                        Part::Objects
                    }
                }
                Layout::List(names) | Layout::PyLists(names) => {
                    let by_index = matches!(layout, Layout::PyLists(_));
                    let (lists, data) = (out.ends.len(), out.data.len());
                    let (mut valid, mut fits, mut items) = (0u64, true, 0usize);
                    let mut member_ends: Vec<u32> = Vec::new();
                    for i in 0..rows {
                        match cell(i) {
                            Value::Set { bits, .. } => {
                                let mut rest = *bits;
                                while rest != 0 {
                                    let m = rest.trailing_zeros();
                                    rest &= rest - 1;
                                    let m = u16::try_from(m).unwrap_or(u16::MAX);
                                    put_member(&mut out.data, names, m, by_index);
                                    member_ends.push(end_of(out.data.len() - data));
                                    items += 1;
                                }
                                valid |= 1 << i;
                            }
                            Value::Unknown => {}
                            _ => fits = false,
                        }
                        out.ends.push(end_of(items));
                    }
                    let members = out.ends.len();
                    out.ends.extend_from_slice(&member_ends);
                    if fits {
                        Part::List {
                            valid,
                            lists,
                            members,
                            items,
                            data: (data, out.data.len()),
                        }
                    } else {
                        out.data.truncate(data);
                        out.ends.truncate(lists);
                        Part::Objects
                    }
                }
            };
            out.parts.push(part);
        }
        out
    }
}

impl ArrowPlan<'_> {
    /// A block's part of every column straight from the lanes' masks
    /// ([`humiao_core::BatchOutcome::block_conclusion`]), with no `Value` per row: for a block
    /// whose `rows` rows were all decided together (the first block of `batch`), conclusions
    /// `indexes`. `None` when a column is not laid out this way (Python objects, a value of
    /// another kind than its layout's), for [`ArrowPlan::block`] to write from the values.
    pub(crate) fn block_of_batch(
        &self,
        batch: &humiao_core::BatchOutcome,
        indexes: &[usize],
        rows: usize,
        out: &mut ArrowBlock,
    ) -> Option<()> {
        use humiao_core::BlockConclusion;
        let rows = rows.min(64);
        let all = if rows == 64 {
            u64::MAX
        } else {
            (1u64 << rows) - 1
        };
        let decided = batch.decided_in_block(0);
        if decided & all != all {
            return None;
        }
        out.rows = rows;
        out.settled = (all, all);
        out.parts.clear();
        out.data.clear();
        out.ends.clear();
        // Room for each row's end in every text and list column (a block's parts are kept to
        // the end of the call: no more than that, the members' ends and the texts grow).
        let texts = self
            .cols
            .iter()
            .filter(|l| matches!(l, Layout::Text(_) | Layout::List(_) | Layout::PyLists(_)))
            .count();
        out.parts.reserve(self.cols.len());
        out.ends.reserve(rows * texts);
        // Per row, its value's place in the domain (one-valued) or its members (sets).
        let mut codes = [0u128; 64];
        for (&ci, layout) in indexes.iter().zip(&self.cols) {
            let c = batch.block_conclusion(0, ci)?;
            let part = match (*layout, c) {
                (Layout::Bool, BlockConclusion::One { domain, masks }) => {
                    let (mut values, mut valid) = (0u64, 0u64);
                    for (v, &m) in domain.iter().zip(masks) {
                        match v {
                            Value::Bool(x) => {
                                values |= if *x { m } else { 0 };
                                valid |= m;
                            }
                            Value::Unknown => {}
                            _ if m & all == 0 => {}
                            _ => return None,
                        }
                    }
                    Part::Bool {
                        values: values & all,
                        valid: valid & all,
                    }
                }
                (Layout::Text(names), BlockConclusion::One { domain, masks }) => {
                    let mut valid = 0u64;
                    for (d, (v, &m)) in domain.iter().zip(masks).enumerate() {
                        let m = m & all;
                        match v {
                            Value::Enum(_) => {
                                valid |= m;
                                let mut rest = m;
                                while rest != 0 {
                                    let i = rest.trailing_zeros() as usize;
                                    rest &= rest - 1;
                                    if let Some(c) = codes.get_mut(i) {
                                        *c = d as u128;
                                    }
                                }
                            }
                            Value::Unknown => {}
                            _ if m == 0 => {}
                            _ => return None,
                        }
                    }
                    let (ends, data) = (out.ends.len(), out.data.len());
                    for (i, &code) in codes.iter().enumerate().take(rows) {
                        if valid >> i & 1 == 1 {
                            if let Some(Value::Enum(e)) = domain.get(code as usize) {
                                out.data.extend_from_slice(name(names, *e));
                            }
                        }
                        out.ends.push(end_of(out.data.len() - data));
                    }
                    Part::Text {
                        valid,
                        ends,
                        data: (data, out.data.len()),
                    }
                }
                (
                    layout @ (Layout::List(names) | Layout::PyLists(names)),
                    BlockConclusion::Set { members, masks },
                ) => {
                    let by_index = matches!(layout, Layout::PyLists(_));
                    codes.iter_mut().for_each(|c| *c = 0);
                    for (&e, &m) in members.iter().zip(masks) {
                        let mut rest = m & all;
                        while rest != 0 {
                            let i = rest.trailing_zeros() as usize;
                            rest &= rest - 1;
                            if let Some(c) = codes.get_mut(i) {
                                *c |= 1u128 << e;
                            }
                        }
                    }
                    let (lists, data) = (out.ends.len(), out.data.len());
                    let mut items = 0usize;
                    // Lists' ends first, then the members' ends (as `ArrowPlan::block`).
                    for &bits in codes.iter().take(rows) {
                        items += bits.count_ones() as usize;
                        out.ends.push(end_of(items));
                    }
                    let members_at = out.ends.len();
                    for &bits in codes.iter().take(rows) {
                        let mut rest = bits;
                        while rest != 0 {
                            let m = rest.trailing_zeros();
                            rest &= rest - 1;
                            let m = u16::try_from(m).unwrap_or(u16::MAX);
                            put_member(&mut out.data, names, m, by_index);
                            out.ends.push(end_of(out.data.len() - data));
                        }
                    }
                    Part::List {
                        valid: all,
                        lists,
                        members: members_at,
                        items,
                        data: (data, out.data.len()),
                    }
                }
                _ => return None,
            };
            out.parts.push(part);
        }
        Some(())
    }
}

/// An enum value's name as UTF-8 (`?` past the enum's end: the checker rules that out).
fn name(names: &[String], i: u16) -> &[u8] {
    names.get(usize::from(i)).map_or(b"?", |n| n.as_bytes())
}

/// Writes a set's member as a part holds it: its name, or (`by_index`) its place in the enum
/// as one byte (a set has at most 128 members).
fn put_member(out: &mut Vec<u8>, names: &[String], i: u16, by_index: bool) {
    if by_index {
        out.push(u8::try_from(i).unwrap_or(u8::MAX));
    } else {
        out.extend_from_slice(name(names, i));
    }
}

impl ArrowBlock {
    /// Whether a column takes its values as Python objects (from the block's values).
    pub(crate) fn needs_values(&self) -> bool {
        self.parts.contains(&Part::Objects)
    }
}

/// Writes the `n` low bits of `bits` into the bitmap `out` from bit `at` on (least significant
/// first; `out` zeroed).
fn put_bits(out: &mut [u8], at: usize, bits: u64, n: usize) {
    let bits = if n >= 64 {
        bits
    } else {
        bits & ((1u64 << n) - 1)
    };
    if at.is_multiple_of(8) {
        let bytes = bits.to_le_bytes();
        let len = n.div_ceil(8).min(8);
        if let (Some(dst), Some(src)) = (out.get_mut(at / 8..at / 8 + len), bytes.get(..len)) {
            dst.copy_from_slice(src);
        }
        return;
    }
    let mut rest = bits;
    while rest != 0 {
        let i = rest.trailing_zeros() as usize;
        rest &= rest - 1;
        if let Some(b) = out.get_mut((at + i) / 8) {
            *b |= 1 << ((at + i) % 8);
        }
    }
}

/// A bitmap of `rows` bits from each block's word.
fn bitmap<'py>(
    py: Python<'py>,
    blocks: &[ArrowBlock],
    rows: usize,
    word: impl Fn(&ArrowBlock) -> u64,
) -> PyResult<Bound<'py, PyBytes>> {
    PyBytes::new_with(py, rows.div_ceil(8), |out| {
        out.fill(0);
        let mut at = 0;
        for b in blocks {
            put_bits(out, at, word(b), b.rows);
            at += b.rows;
        }
        Ok(())
    })
}

/// The validity bitmap, or `None` when no row is null.
fn validity<'py>(
    py: Python<'py>,
    blocks: &[ArrowBlock],
    rows: usize,
    word: impl Fn(&ArrowBlock) -> u64,
) -> PyResult<Option<Bound<'py, PyBytes>>> {
    let set: usize = blocks.iter().map(|b| word(b).count_ones() as usize).sum();
    if set == rows {
        return Ok(None);
    }
    bitmap(py, blocks, rows, word).map(Some)
}

/// Offsets as Arrow's `int32` (`large` false) or `int64` little-endian bytes: `0`, then each
/// block's `ends` shifted by what the blocks before it hold (`len` of each block).
fn offsets<'py, 'a>(
    py: Python<'py>,
    large: bool,
    count: usize,
    parts: impl Iterator<Item = (&'a [u32], usize)> + Clone,
) -> PyResult<Bound<'py, PyBytes>> {
    let width = if large { 8 } else { 4 };
    PyBytes::new_with(py, (count + 1) * width, |out| {
        let mut chunks = out.chunks_exact_mut(width);
        let mut put = |v: usize| {
            if let Some(c) = chunks.next() {
                if large {
                    c.copy_from_slice(&u64::try_from(v).unwrap_or(u64::MAX).to_le_bytes());
                } else {
                    c.copy_from_slice(&u32::try_from(v).unwrap_or(u32::MAX).to_le_bytes());
                }
            }
        };
        put(0);
        let mut base = 0usize;
        for (ends, len) in parts.clone() {
            for &e in ends {
                put(base + e as usize);
            }
            base += len;
        }
        Ok(())
    })
}

/// Texts' bytes end to end.
fn concat<'py, 'a>(
    py: Python<'py>,
    total: usize,
    parts: impl Iterator<Item = &'a [u8]>,
) -> PyResult<Bound<'py, PyBytes>> {
    PyBytes::new_with(py, total, |out| {
        let mut at = 0;
        for p in parts {
            if let Some(dst) = out.get_mut(at..at + p.len()) {
                dst.copy_from_slice(p);
            }
            at += p.len();
        }
        Ok(())
    })
}

/// Whether offsets up to `n` need Arrow's 64-bit kind.
fn large(n: usize) -> bool {
    i32::try_from(n).is_err()
}

/// Column `k` from the blocks' parts, every one of them of the column's layout:
/// `("bool", values, valid)`, `("text", (large, offsets, data), valid)`, or
/// `("list", large, offsets, valid, items, (large, offsets, data))`; `valid` is `None` when no
/// row is null.
fn column<'py, 'a>(
    py: Python<'py>,
    layout: Layout<'_>,
    blocks: &'a [ArrowBlock],
    k: usize,
    rows: usize,
) -> PyResult<Bound<'py, PyAny>> {
    let part = |b: &ArrowBlock| b.parts.get(k).copied().unwrap_or(Part::Objects);
    let valid_of = |b: &ArrowBlock| match part(b) {
        Part::Bool { valid, .. } | Part::Text { valid, .. } | Part::List { valid, .. } => valid,
        Part::Objects => 0,
    };
    let valid = validity(py, blocks, rows, valid_of)?;
    // Per block: its text ends and bytes for this column.
    let texts = |b: &'a ArrowBlock, ends: usize, n: usize, (from, to): (usize, usize)| {
        (
            b.ends.get(ends..ends + n).unwrap_or(&[]),
            b.data.get(from..to).unwrap_or(&[]),
        )
    };
    Ok(match layout {
        Layout::Bool => (
            "bool",
            bitmap(py, blocks, rows, |b| match part(b) {
                Part::Bool { values, .. } => values,
                _ => 0,
            })?,
            valid,
        )
            .into_pyobject(py)?
            .into_any(),
        Layout::Text(_) => {
            let pieces = blocks.iter().map(|b| match part(b) {
                Part::Text { ends, data, .. } => texts(b, ends, b.rows, data),
                _ => (&[][..], &[][..]),
            });
            let total: usize = pieces.clone().map(|(_, d)| d.len()).sum();
            let big = large(total);
            let offs = offsets(py, big, rows, pieces.clone().map(|(e, d)| (e, d.len())))?;
            let data = concat(py, total, pieces.map(|(_, d)| d))?;
            ("text", (big, offs, data), valid)
                .into_pyobject(py)?
                .into_any()
        }
        Layout::List(_) => {
            let lists = blocks.iter().map(|b| match part(b) {
                Part::List { lists, items, .. } => {
                    (b.ends.get(lists..lists + b.rows).unwrap_or(&[]), items)
                }
                _ => (&[][..], 0),
            });
            let items: usize = lists.clone().map(|(_, n)| n).sum();
            let list_large = large(items);
            let list_offs = offsets(py, list_large, rows, lists)?;
            let members = blocks.iter().map(|b| match part(b) {
                Part::List {
                    members,
                    items,
                    data,
                    ..
                } => texts(b, members, items, data),
                _ => (&[][..], &[][..]),
            });
            let total: usize = members.clone().map(|(_, d)| d.len()).sum();
            let big = large(total);
            let offs = offsets(py, big, items, members.clone().map(|(e, d)| (e, d.len())))?;
            let data = concat(py, total, members.map(|(_, d)| d))?;
            (
                "list",
                list_large,
                list_offs,
                valid,
                items,
                (big, offs, data),
            )
                .into_pyobject(py)?
                .into_any()
        }
        Layout::PyLists(names) => {
            let strs: Vec<Bound<'py, PyAny>> = names
                .iter()
                .map(|n| PyString::new(py, n).into_any())
                .collect();
            let mut cells: Vec<Bound<'py, PyAny>> = Vec::with_capacity(rows);
            for b in blocks {
                let Part::List {
                    valid,
                    lists,
                    data: (from, to),
                    ..
                } = part(b)
                else {
                    cells.extend((0..b.rows).map(|_| py.None().into_bound(py)));
                    continue;
                };
                let ends = b.ends.get(lists..lists + b.rows).unwrap_or(&[]);
                let bytes = b.data.get(from..to).unwrap_or(&[]);
                let mut at = 0usize;
                for (i, &end) in ends.iter().enumerate() {
                    let end = end as usize;
                    let members = bytes.get(at..end).unwrap_or(&[]);
                    at = end;
                    cells.push(if valid >> i & 1 == 1 {
                        // A place past the enum's end (which the checker rules out) is None.
                        PyList::new(py, members.iter().map(|&m| strs.get(usize::from(m))))?
                            .into_any()
                    } else {
                        py.None().into_bound(py)
                    });
                }
            }
            PyList::new(py, cells)?.into_any()
        }
        Layout::Objects => PyList::empty(py).into_any(),
    })
}

/// `{"settled": column, key: column, …, "error": [exception or None]}` (the last with
/// `with_errors`): the columns of [`crate::policy`]'s `outcome_columns` as Arrow's buffers
/// where their values allow (see [`column`]); `arrows` are the blocks' parts
/// ([`ArrowPlan::block`]), one per block of `results`. `error` makes a failed row's
/// exception, or raises it.
#[allow(clippy::too_many_arguments)]
pub(crate) fn arrow_columns<'py>(
    py: Python<'py>,
    policy: &humiao_core::Policy,
    plan: &ArrowPlan<'_>,
    names: &[String],
    indexes: &[usize],
    results: Vec<ConcludedBlock>,
    arrows: &[ArrowBlock],
    with_errors: bool,
    mut error: impl FnMut(Python<'py>, usize, Outcome) -> PyResult<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let k = plan.cols.len();
    let rows: usize = results.iter().map(ConcludedBlock::len).sum();
    // A column is written from the blocks' parts if every block's values fit its layout.
    let buffered: Vec<bool> = (0..k)
        .map(|kk| {
            !matches!(plan.cols.get(kk), Some(Layout::Objects) | None)
                && arrows.len() == results.len()
                && arrows
                    .iter()
                    .all(|a| !matches!(a.parts.get(kk), Some(Part::Objects) | None))
        })
        .collect();
    // A column of Python objects is filled from every block's values; a block keeps them only
    // where it needs them itself (`ArrowBlock::needs_values`). A column that fits its layout
    // in one block and not in another would need values a block dropped: that would be a
    // conclusion holding a value of another type than its declared one, which the checker
    // rules out (E0201), so it is reported as the bug it would be.
    let kept = |b: &ConcludedBlock| b.values.len() == b.len() * k;
    if buffered
        .iter()
        .zip(&plan.cols)
        .any(|(&b, l)| !b && !matches!(l, Layout::Objects))
        && !results.iter().all(kept)
    {
        return Err(crate::errors::internal_error(
            py,
            "a conclusion's value is not of its declared type",
            None,
        ));
    }
    let any_failed = results.iter().any(|b| !b.failed.is_empty());
    let mut objects: Vec<Option<Bound<'py, PyList>>> = buffered
        .iter()
        .map(|&b| (!b).then(|| PyList::empty(py)))
        .collect();
    let mut cells = ConclusionCells::new(policy, indexes);
    let errors = PyList::empty(py);
    crate::policy::without_gc(py, || {
        if buffered.iter().all(|&b| b) && !any_failed {
            // Nothing to do row by row.
            if with_errors {
                for _ in 0..rows {
                    errors.append(py.None())?;
                }
            }
        } else {
            for_each_row(results, k, |i, r| -> PyResult<()> {
                match r {
                    RowResult::Done(_, values) => {
                        for (kk, v) in values.iter().enumerate() {
                            if let Some(Some(list)) = objects.get(kk) {
                                list.append(cells.cell(py, kk, v)?)?;
                            }
                        }
                        if with_errors {
                            errors.append(py.None())?;
                        }
                    }
                    RowResult::Failed(o) => {
                        let err = error(py, i, *o)?;
                        for list in objects.iter().flatten() {
                            list.append(py.None())?;
                        }
                        errors.append(err)?;
                    }
                }
                Ok(())
            })?;
        }
        let out = PyDict::new(py);
        let settled_valid = validity(py, arrows, rows, |b| b.settled.1)?;
        let settled = bitmap(py, arrows, rows, |b| b.settled.0 & b.settled.1)?;
        out.set_item("settled", ("bool", settled, settled_valid))?;
        for (kk, name) in names.iter().enumerate() {
            match objects.get_mut(kk).and_then(Option::take) {
                Some(list) => out.set_item(name, list)?,
                None => {
                    let layout = plan.cols.get(kk).copied().unwrap_or(Layout::Objects);
                    out.set_item(name, column(py, layout, arrows, kk, rows)?)?;
                }
            }
        }
        if with_errors {
            out.set_item("error", errors)?;
        }
        Ok(out)
    })
}
