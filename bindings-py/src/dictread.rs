//! Case dicts read straight into fact slots: a batch's dict is walked once under the GIL, its
//! truth values, integers and strings put in the cells of the core's row reader (one per fact a
//! cell can hold), and read into the slots there and then — no JSON text written for the worker
//! threads to parse back. A dict the walk or the row reader cannot take exactly as its JSON would
//! read (an unknown key, a list, a float, a date object, an empty section, a value the schema
//! refuses, a time without an offset) goes the JSON way as before, with the same errors.

use humiao_core::facts::{Cell, RowReader};
use humiao_core::{Facts, FactsOptions, Policy};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyInt, PyString};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicU32, Ordering};

/// A small fast hash for the schema's keys (short ASCII, fixed per policy; no untrusted input
/// picks them, so SipHash's resistance to collisions is not needed): FNV-1a.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type Keys<V> = HashMap<String, V, BuildHasherDefault<KeyHasher>>;

/// The schema's facts a cell can hold, as a tree of keys, with the core's row reader over them.
pub(crate) struct DictReader {
    reader: RowReader,
    root: Level,
    columns: usize,
}

#[derive(Default)]
struct Level {
    /// Each key's index in `entries`.
    keys: Keys<u32>,
    entries: Vec<(Box<str>, Entry)>,
    /// The entry whose key the last dict walked here held at each position (`u32::MAX`: none
    /// yet): dicts of one batch mostly list their keys in one order, so a key is first
    /// compared with that one entry's name, and hashed and looked up only when it differs.
    /// A hint only (relaxed atomics, so that the reader stays `Sync`): a wrong one costs a
    /// lookup, never a wrong match, since a match is byte for byte.
    expect: Vec<AtomicU32>,
}

impl Level {
    /// The entry for `key`, the `pos`-th key of its dict.
    fn entry(&self, pos: usize, key: &str) -> Option<&Entry> {
        let slot = self.expect.get(pos);
        if let Some(slot) = slot {
            let at = slot.load(Ordering::Relaxed);
            if let Some((name, entry)) = self.entries.get(at as usize) {
                if name.as_bytes() == key.as_bytes() {
                    return Some(entry);
                }
            }
        }
        let at = *self.keys.get(key)?;
        if let Some(slot) = slot {
            slot.store(at, Ordering::Relaxed);
        }
        self.entries.get(at as usize).map(|(_, e)| e)
    }

    /// The sub-level for `seg`, made when new; `None` where `seg` is a leaf.
    fn branch(&mut self, seg: &str) -> Option<&mut Level> {
        let at = match self.keys.get(seg) {
            Some(&at) => at,
            None => self.insert(seg, Entry::Branch(Level::default()))?,
        };
        match self.entries.get_mut(at as usize) {
            Some((_, Entry::Branch(l))) => Some(l),
            _ => None,
        }
    }

    /// Adds a key (`None` if it is there already).
    fn insert(&mut self, key: &str, entry: Entry) -> Option<u32> {
        if self.keys.contains_key(key) {
            return None;
        }
        let at = u32::try_from(self.entries.len()).ok()?;
        self.keys.insert(key.to_string(), at);
        self.entries.push((key.into(), entry));
        self.expect.push(AtomicU32::new(u32::MAX));
        Some(at)
    }
}

enum Entry {
    Leaf(usize),
    Branch(Level),
}

/// A cell as the walk finds it; text is kept in a buffer beside the cells (start, end).
#[derive(Clone, Copy, Debug)]
enum Found {
    Absent,
    Bool(bool),
    Int(i64),
    Text(u32, u32),
}

/// A case dict's cells, read and checked on the calling thread, for a worker thread to read
/// into its facts ([`DictReader::load`]).
#[derive(Debug)]
pub(crate) struct RowCells {
    cells: Vec<Found>,
    text: String,
}

/// Objects nested deeper than the schema's sections are not the schema's (the walk stops).
const MAX_WALK_DEPTH: usize = 16;

impl DictReader {
    /// `None` when the schema has no fact a cell can hold.
    pub(crate) fn new(policy: &Policy) -> Option<DictReader> {
        let facts = policy.cell_fact_paths();
        if facts.is_empty() {
            return None;
        }
        let reader = policy.row_reader(&facts)?;
        let mut root = Level::default();
        for (col, path) in facts.iter().enumerate() {
            let segs: Vec<&str> = path.split('.').collect();
            let (last, parents) = segs.split_last()?;
            let mut level = &mut root;
            for seg in parents {
                level = level.branch(seg)?;
            }
            level.insert(last, Entry::Leaf(col))?;
        }
        Some(DictReader {
            reader,
            root,
            columns: facts.len(),
        })
    }

    /// A case dict's cells, or `None` when it is to be read as JSON. The row is checked here
    /// (`Policy::check_row`), so that only a dict that reads exactly as its JSON goes this way.
    pub(crate) fn read(
        &self,
        policy: &Policy,
        dict: &Bound<'_, PyDict>,
        opts: &FactsOptions,
    ) -> Option<RowCells> {
        let mut row = RowCells {
            cells: vec![Found::Absent; self.columns],
            text: String::new(),
        };
        walk(&self.root, dict, 0, &mut row)?;
        policy
            .check_row(&self.reader, |i| row.cell(i), opts)
            .then_some(row)
    }

    /// Reads a row's cells into `facts` (buffers reused): what [`DictReader::read`] checked.
    pub(crate) fn load(
        &self,
        policy: &Policy,
        row: &RowCells,
        opts: &FactsOptions,
        facts: &mut Facts,
    ) -> bool {
        policy.load_row_into(&self.reader, |i| row.cell(i), opts, facts)
    }
}

impl RowCells {
    fn cell(&self, i: usize) -> Cell<'_> {
        match self.cells.get(i) {
            Some(Found::Bool(b)) => Cell::Bool(*b),
            Some(Found::Int(n)) => Cell::Int(*n),
            Some(Found::Text(a, b)) => self
                .text
                .get(*a as usize..*b as usize)
                .map_or(Cell::Other, Cell::Text),
            Some(Found::Absent) | None => Cell::Absent,
        }
    }
}

/// Puts a dict's values in their cells: `Some(true)` when it gave a value (an object holding
/// none, `{}`, marks its section given in JSON, which the row reader cannot say), `None` when the
/// dict is not for this reader.
fn walk(level: &Level, dict: &Bound<'_, PyDict>, depth: usize, row: &mut RowCells) -> Option<bool> {
    if depth > MAX_WALK_DEPTH {
        return None;
    }
    let mut any = false;
    for (pos, (k, v)) in dict.iter().enumerate() {
        let k = k.cast_exact::<PyString>().ok()?;
        let key = k.to_str().ok()?;
        match level.entry(pos, key)? {
            Entry::Leaf(col) => {
                if v.is_none() {
                    continue;
                }
                let found = if let Ok(b) = v.cast_exact::<PyBool>() {
                    Found::Bool(b.is_true())
                } else if let Ok(s) = v.cast_exact::<PyString>() {
                    let s = s.to_str().ok()?;
                    let at = u32::try_from(row.text.len()).ok()?;
                    row.text.push_str(s);
                    Found::Text(at, u32::try_from(row.text.len()).ok()?)
                } else if let Ok(i) = v.cast_exact::<PyInt>() {
                    Found::Int(i.extract::<i64>().ok()?)
                } else {
                    return None;
                };
                *row.cells.get_mut(*col)? = found;
                any = true;
            }
            Entry::Branch(sub) => {
                if v.is_none() {
                    continue;
                }
                let d = v.cast_exact::<PyDict>().ok()?;
                if !walk(sub, d, depth + 1, row)? {
                    return None;
                }
                any = true;
            }
        }
    }
    Some(any)
}
