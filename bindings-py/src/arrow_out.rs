//! Conclusions as Arrow's buffers, for `outcome_table` of a pyarrow table: a truth value is a
//! bit, an enum value its name's UTF-8 bytes, a set a list of its members' names, each column
//! written into a few byte buffers that `humiao._table` makes into arrays
//! (`pyarrow.Array.from_buffers`) with no Python object per cell. Each column has its
//! conclusion's declared type (`bool`, `string`, `list<string>`), whatever its rows hold: where
//! `pa.table()` of `outcome_columns`' lists would guess `null` (a column null in every row) or
//! `list<null>` (sets empty in every row), the schema stays the same from table to table. The
//! values read the same (`to_pylist()`); a column of other values (integers, dates, …) is such
//! a list.

use crate::batch::{for_each_row, ConcludedBlock, Outcome, RowResult};
use crate::policy::ConclusionCells;
use humiao_core::model::{Schema, Type, Value};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};

/// A validity or truth bitmap, least significant bit first, as Arrow lays it out.
#[derive(Default)]
struct Bits {
    bytes: Vec<u8>,
    len: usize,
}

impl Bits {
    fn push(&mut self, bit: bool) {
        if self.len.is_multiple_of(8) {
            self.bytes.push(0);
        }
        if bit {
            if let Some(b) = self.bytes.last_mut() {
                *b |= 1 << (self.len % 8);
            }
        }
        self.len += 1;
    }
}

/// Texts one after another and where each ends.
#[derive(Default)]
struct Texts {
    data: Vec<u8>,
    /// Each text's start, and the end.
    offsets: Vec<usize>,
}

impl Texts {
    fn new() -> Texts {
        Texts {
            data: Vec::new(),
            offsets: vec![0],
        }
    }

    fn push(&mut self, s: &str) {
        self.data.extend_from_slice(s.as_bytes());
        self.offsets.push(self.data.len());
    }

    fn push_empty(&mut self) {
        self.offsets.push(self.data.len());
    }

    /// `(large, offsets, data)`: `int32` offsets unless the texts pass 2 GiB.
    fn into_py<'py>(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let (large, offsets) = offsets_bytes(&self.offsets)?;
        (
            large,
            PyBytes::new(py, &offsets),
            PyBytes::new(py, &self.data),
        )
            .into_pyobject(py)
            .map(Bound::into_any)
    }
}

/// Offsets as Arrow's `int32` (false) or `int64` (true) little-endian bytes.
fn offsets_bytes(offsets: &[usize]) -> PyResult<(bool, Vec<u8>)> {
    let small = offsets.last().is_none_or(|&l| i32::try_from(l).is_ok());
    let mut out = Vec::with_capacity(offsets.len() * if small { 4 } else { 8 });
    for &o in offsets {
        if small {
            let o = i32::try_from(o).unwrap_or(i32::MAX);
            out.extend_from_slice(&o.to_le_bytes());
        } else {
            let o = i64::try_from(o).map_err(|_| {
                pyo3::exceptions::PyOverflowError::new_err("conclusions too large for a column")
            })?;
            out.extend_from_slice(&o.to_le_bytes());
        }
    }
    Ok((!small, out))
}

/// One column being written.
enum Builder<'p> {
    Bool {
        values: Bits,
        valid: Bits,
    },
    /// An enum's values by name.
    Text {
        names: &'p [String],
        texts: Texts,
        valid: Bits,
    },
    /// A set's members by name, a list per row.
    List {
        names: &'p [String],
        lists: Vec<usize>,
        members: Texts,
        valid: Bits,
        items: usize,
    },
    /// Any other values: Python objects, as `outcome_columns` gives them.
    Objects(usize),
}

impl<'p> Builder<'p> {
    /// The builder for values of type `ty`, if every row's value `fits`.
    fn new(schema: &'p Schema, ty: &Type, fits: bool, k: usize, sets: bool) -> Builder<'p> {
        let names = |id| schema.enum_def(id).map(|e| e.variants.as_slice());
        match (ty, fits) {
            (Type::Bool, true) => Builder::Bool {
                values: Bits::default(),
                valid: Bits::default(),
            },
            (Type::Enum(id), true) => match names(*id) {
                Some(names) => Builder::Text {
                    names,
                    texts: Texts::new(),
                    valid: Bits::default(),
                },
                None => Builder::Objects(k),
            },
            (Type::Set(id), true) if sets => match names(*id) {
                Some(names) => Builder::List {
                    names,
                    lists: vec![0],
                    members: Texts::new(),
                    valid: Bits::default(),
                    items: 0,
                },
                None => Builder::Objects(k),
            },
            _ => Builder::Objects(k),
        }
    }

    /// Whether this builder takes `v` (an unknown value is a null).
    fn takes(ty: &Type, v: &Value) -> bool {
        matches!(
            (ty, v),
            (_, Value::Unknown)
                | (Type::Bool, Value::Bool(_))
                | (Type::Enum(_), Value::Enum(_))
                | (Type::Set(_), Value::Set { .. })
        )
    }

    fn push(&mut self, v: Option<&Value>) {
        match self {
            Builder::Bool { values, valid } => {
                values.push(matches!(v, Some(Value::Bool(true))));
                valid.push(matches!(v, Some(Value::Bool(_))));
            }
            Builder::Text {
                names,
                texts,
                valid,
            } => match v {
                Some(Value::Enum(i)) => {
                    texts.push(names.get(usize::from(*i)).map_or("?", String::as_str));
                    valid.push(true);
                }
                _ => {
                    texts.push_empty();
                    valid.push(false);
                }
            },
            Builder::List {
                names,
                lists,
                members,
                valid,
                items,
            } => {
                if let Some(Value::Set { bits, .. }) = v {
                    let mut rest = *bits;
                    while rest != 0 {
                        let i = rest.trailing_zeros() as usize;
                        rest &= rest - 1;
                        members.push(names.get(i).map_or("?", String::as_str));
                        *items += 1;
                    }
                    valid.push(true);
                } else {
                    valid.push(false);
                }
                lists.push(*items);
            }
            Builder::Objects(_) => {}
        }
    }

    /// The column for Python: `("bool", values, valid)`, `("text", (large, offsets, data),
    /// valid)`, `("list", large, offsets, valid, items, (large, offsets, data))`, or the list of
    /// objects; `valid` is `None` when no row is null.
    fn into_py<'py>(
        self,
        py: Python<'py>,
        objects: &mut Vec<Option<Bound<'py, PyList>>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let valid_of = |b: Bits, rows: usize| {
            let full = b
                .bytes
                .iter()
                .map(|x| x.count_ones() as usize)
                .sum::<usize>()
                == rows;
            (!full).then(|| PyBytes::new(py, &b.bytes))
        };
        Ok(match self {
            Builder::Bool { values, valid } => {
                let rows = valid.len;
                (
                    "bool",
                    PyBytes::new(py, &values.bytes),
                    valid_of(valid, rows),
                )
                    .into_pyobject(py)?
                    .into_any()
            }
            Builder::Text { texts, valid, .. } => {
                let rows = valid.len;
                ("text", texts.into_py(py)?, valid_of(valid, rows))
                    .into_pyobject(py)?
                    .into_any()
            }
            Builder::List {
                lists,
                members,
                valid,
                items,
                ..
            } => {
                let rows = valid.len;
                let (large, offsets) = offsets_bytes(&lists)?;
                (
                    "list",
                    large,
                    PyBytes::new(py, &offsets),
                    valid_of(valid, rows),
                    items,
                    members.into_py(py)?,
                )
                    .into_pyobject(py)?
                    .into_any()
            }
            Builder::Objects(k) => objects
                .get_mut(k)
                .and_then(Option::take)
                .unwrap_or_else(|| PyList::empty(py))
                .into_any(),
        })
    }
}

/// `{"settled": column, key: column, …, "error": [exception or None]}` (the last with
/// `with_errors`): the columns of [`crate::policy`]'s `outcome_columns` as Arrow's buffers
/// where their values allow (see [`Builder::into_py`]). `error` makes a failed row's
/// exception, or raises it. Without `sets`, a set's column is a list of Python lists (for a
/// pandas result, whose cells are lists).
#[allow(clippy::too_many_arguments)]
pub(crate) fn arrow_columns<'py>(
    py: Python<'py>,
    policy: &humiao_core::Policy,
    names: &[String],
    indexes: &[usize],
    results: Vec<ConcludedBlock>,
    with_errors: bool,
    sets: bool,
    mut error: impl FnMut(Python<'py>, usize, Outcome) -> PyResult<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let conclusions = &policy.program.conclusions;
    let types: Vec<Type> = indexes
        .iter()
        .map(|&i| conclusions.get(i).map_or(Type::Text, |c| c.ty.clone()))
        .collect();
    // Which columns' values all fit their type's buffers.
    let mut fits = vec![true; types.len()];
    let k = types.len();
    for b in &results {
        for (i, _) in b.settled.iter().enumerate() {
            let values = b.values.get(i * k..(i + 1) * k).unwrap_or(&[]);
            for ((f, ty), v) in fits.iter_mut().zip(&types).zip(values) {
                *f &= Builder::takes(ty, v);
            }
        }
    }
    let mut builders: Vec<Builder> = types
        .iter()
        .zip(&fits)
        .enumerate()
        .map(|(k, (ty, &f))| Builder::new(&policy.schema, ty, f, k, sets))
        .collect();
    let mut objects: Vec<Option<Bound<'py, PyList>>> = builders
        .iter()
        .map(|b| matches!(b, Builder::Objects(_)).then(|| PyList::empty(py)))
        .collect();
    let mut cells = ConclusionCells::new(policy, indexes);
    let mut settled = Builder::Bool {
        values: Bits::default(),
        valid: Bits::default(),
    };
    let errors = PyList::empty(py);
    crate::policy::without_gc(py, || {
        for_each_row(results, k, |i, r| -> PyResult<()> {
            match r {
                RowResult::Done(s, values) => {
                    settled.push(Some(&Value::Bool(s)));
                    for (k, (b, v)) in builders.iter_mut().zip(values).enumerate() {
                        if let Some(Some(list)) = objects.get(k) {
                            list.append(cells.cell(py, k, v)?)?;
                        } else {
                            b.push(Some(v));
                        }
                    }
                    if with_errors {
                        errors.append(py.None())?;
                    }
                }
                RowResult::Failed(o) => {
                    let err = error(py, i, *o)?;
                    settled.push(None);
                    for (k, b) in builders.iter_mut().enumerate() {
                        if let Some(Some(list)) = objects.get(k) {
                            list.append(py.None())?;
                        } else {
                            b.push(None);
                        }
                    }
                    errors.append(err)?;
                }
            }
            Ok(())
        })?;
        let out = PyDict::new(py);
        out.set_item("settled", settled.into_py(py, &mut objects)?)?;
        for (k, b) in names.iter().zip(builders) {
            out.set_item(k, b.into_py(py, &mut objects)?)?;
        }
        if with_errors {
            out.set_item("error", errors)?;
        }
        Ok(out)
    })
}
