//! Table columns handed over whole: a column of a pandas DataFrame or a pyarrow Table arrives as
//! its values' bytes (truth values, integers, floats) or as codes into its distinct values
//! (text, dates, anything else), made by pandas or pyarrow in C (`humiao._table`), instead of
//! one Python object per cell. Each distinct value is read once; each row is then read straight
//! into the fact slots (`Policy::load_row_into`), with no JSON in between.

use crate::batch::Cell;
use crate::convert::ConvertError;
use humiao_core::facts::Cell as CoreCell;
use humiao_core::FactError;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use serde_json::{Number, Value};
use std::borrow::Cow;

/// What an encoded column holds (see [`_encoded_column`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// One byte per row: 0, 1 (NumPy's `bool`), or 2 or more for a missing value.
    Bool,
    /// Eight bytes per row, a little-endian `int64`.
    Int,
    /// Eight bytes per row, a little-endian `float64`; NaN is a missing value.
    Float,
    /// Eight bytes per row, a little-endian `int64` code into the distinct values; -1 (any
    /// negative code) is a missing value.
    Codes,
    /// Arrow's `string` (`int32` offsets) or `large_string` (`int64`): the texts' UTF-8 bytes
    /// one after another, each row's start and end in the offsets, and a validity bitmap.
    Text,
    /// Arrow's truth values: a bitmap of values and one of validity.
    Bits,
}

/// A column of truth values as Arrow holds them: row `i` is bit `offset + i` of `values`,
/// missing where that bit of `valid` is clear.
#[derive(Debug, Default)]
pub(crate) struct BitData {
    values: Vec<u8>,
    valid: Option<Vec<u8>>,
    offset: usize,
    len: usize,
}

/// The `n` (at most 64) bits of `bits` from bit `at` on, as a word (bits past the bitmap 0).
fn word_at(bits: &[u8], at: usize, n: usize) -> u64 {
    let mut buf = [0u8; 16];
    let from = bits.get(at / 8..).unwrap_or(&[]);
    for (d, s) in buf.iter_mut().zip(from).take(9) {
        *d = *s;
    }
    let w = (u128::from_le_bytes(buf) >> (at % 8)) as u64;
    if n >= 64 {
        w
    } else {
        w & ((1u64 << n) - 1)
    }
}

impl BitData {
    /// Rows `start..start + n` (`n` at most 64): their values and where they are given.
    pub(crate) fn block(&self, start: usize, n: usize) -> (u64, u64) {
        let n = n.min(self.len.saturating_sub(start)).min(64);
        let at = self.offset + start;
        let valid = match &self.valid {
            Some(v) => word_at(v, at, n),
            None if n >= 64 => u64::MAX,
            None => (1u64 << n) - 1,
        };
        (word_at(&self.values, at, n), valid)
    }

    fn get(&self, row: usize) -> Option<bool> {
        if row >= self.len {
            return None;
        }
        let (v, ok) = self.block(row, 1);
        (ok == 1).then_some(v == 1)
    }
}

/// A text column's values as Arrow holds them, made whole (row `i`'s text is
/// `data[offsets[i]..offsets[i + 1]]`, missing where `valid` says so).
#[derive(Debug, Default)]
pub(crate) struct TextData {
    pub data: Vec<u8>,
    pub offsets: Vec<usize>,
    /// `None`: every row has a text.
    pub valid: Option<Vec<bool>>,
}

impl TextData {
    /// Row `row`'s bytes, `None` where it is missing.
    pub(crate) fn raw(&self, row: usize) -> Option<&[u8]> {
        if self
            .valid
            .as_ref()
            .is_some_and(|v| !v.get(row).copied().unwrap_or(false))
        {
            return None;
        }
        let (&a, &b) = (self.offsets.get(row)?, self.offsets.get(row + 1)?);
        self.data.get(a..b)
    }

    fn get(&self, row: usize) -> Option<Result<&str, std::str::Utf8Error>> {
        if self
            .valid
            .as_ref()
            .is_some_and(|v| !v.get(row).copied().unwrap_or(false))
        {
            return None;
        }
        let (&a, &b) = (self.offsets.get(row)?, self.offsets.get(row + 1)?);
        Some(std::str::from_utf8(self.data.get(a..b)?))
    }

    /// From Arrow's buffers: `offsets` of `width` bytes each, the array starting at element
    /// `offset` of them and bit `offset` of `valid`.
    fn from_arrow(
        data: &[u8],
        offsets: &[u8],
        width: usize,
        valid: Option<&[u8]>,
        offset: usize,
        length: usize,
    ) -> Result<TextData, String> {
        let read = |i: usize| -> Option<usize> {
            let at = offset.checked_add(i)?.checked_mul(width)?;
            let b = offsets.get(at..at.checked_add(width)?)?;
            let v = match width {
                4 => i64::from(i32::from_le_bytes(b.try_into().ok()?)),
                _ => i64::from_le_bytes(b.try_into().ok()?),
            };
            usize::try_from(v).ok()
        };
        // `length + 1` offsets from element `offset` on must be in the buffer (checked before
        // anything is allocated for them).
        let end = offset
            .checked_add(length)
            .and_then(|e| e.checked_add(1))
            .and_then(|e| e.checked_mul(width))
            .ok_or("a text column's offset and length overflow")?;
        if end > offsets.len() {
            return Err("a text column's offsets are short or negative".into());
        }
        let mut offs = Vec::with_capacity(length + 1);
        for i in 0..=length {
            let o = read(i).ok_or("a text column's offsets are short or negative")?;
            if o > data.len() || offs.last().is_some_and(|&l| o < l) {
                return Err("a text column's offsets point outside its data".into());
            }
            offs.push(o);
        }
        let valid = match valid {
            None => None,
            Some(bits) => {
                let mut v = Vec::with_capacity(length);
                for i in 0..length {
                    let at = offset
                        .checked_add(i)
                        .ok_or("a text column's offset and length overflow")?;
                    let byte = bits
                        .get(at / 8)
                        .ok_or("a text column's validity bitmap is short")?;
                    v.push(byte >> (at % 8) & 1 == 1);
                }
                Some(v)
            }
        };
        Ok(TextData {
            data: data.to_vec(),
            offsets: offs,
            valid,
        })
    }
}

/// A column as bytes, made by `humiao._table` from a DataFrame's or Table's column.
#[pyclass(frozen, module = "humiao._humiao", name = "_EncodedColumn")]
pub struct EncodedColumn {
    pub(crate) kind: Kind,
    pub(crate) bytes: Vec<u8>,
    /// The distinct values, for `Codes`.
    pub(crate) values: Vec<Py<PyAny>>,
    /// For `Text`.
    pub(crate) text: std::sync::Arc<TextData>,
    /// For `Bits`.
    pub(crate) bits: std::sync::Arc<BitData>,
}

/// `_encoded_column(kind, data, values=None, offsets=None, valid=None, offset=0, length=0)`:
/// `kind` is ``"bool"``, ``"int"``, ``"float"``, ``"codes"``, ``"bits"``, ``"text32"`` or
/// ``"text64"``;
/// `data` the values' bytes (``numpy.ndarray.tobytes()`` of ``uint8`` — 0, 1, or 2 for a
/// missing value —, ``<i8``, ``<f8``, ``<i8``; the texts' UTF-8 bytes); `values` the distinct
/// values the codes point into; for texts, Arrow's `offsets` (`int32` or `int64`) and `valid`
/// bitmap (`None`: no missing value), and the array's `offset` into them and `length`; for
/// ``"bits"``, Arrow's truth values: `data` and `valid` are bitmaps.
#[pyfunction]
#[pyo3(signature = (kind, data, values=None, offsets=None, valid=None, offset=0, length=0))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn _encoded_column(
    kind: &str,
    data: &[u8],
    values: Option<Vec<Py<PyAny>>>,
    offsets: Option<&[u8]>,
    valid: Option<&[u8]>,
    offset: usize,
    length: usize,
) -> PyResult<EncodedColumn> {
    if let Some(width) = match kind {
        "text32" => Some(4),
        "text64" => Some(8),
        _ => None,
    } {
        let text = TextData::from_arrow(data, offsets.unwrap_or(&[]), width, valid, offset, length)
            .map_err(PyValueError::new_err)?;
        return Ok(EncodedColumn {
            kind: Kind::Text,
            bytes: Vec::new(),
            values: Vec::new(),
            text: std::sync::Arc::new(text),
            bits: Default::default(),
        });
    }
    if kind == "bits" {
        // Arrow's truth values: bit `offset + i` of `data` and of `valid`; a byte a row, 0 or
        // 1, or 2 and 3 where the row is missing (any byte past 1 is).
        let (first, skip) = (offset / 8, offset % 8);
        let need = offset
            .checked_add(length)
            .ok_or_else(|| PyValueError::new_err("a column's offset and length overflow"))?
            .div_ceil(8);
        let short =
            |what: &str| PyValueError::new_err(format!("{what} is shorter than its length"));
        let data = data
            .get(first..need)
            .ok_or_else(|| short("a column of truth values"))?;
        let valid = match valid {
            Some(v) => Some(
                v.get(first..need)
                    .ok_or_else(|| short("a column's validity bitmap"))?,
            ),
            None => None,
        };
        // Kept as bitmaps: a block of rows is read as two words.
        return Ok(EncodedColumn {
            kind: Kind::Bits,
            bytes: Vec::new(),
            values: Vec::new(),
            text: Default::default(),
            bits: std::sync::Arc::new(BitData {
                values: data.to_vec(),
                valid: valid.map(<[u8]>::to_vec),
                offset: skip,
                len: length,
            }),
        });
    }
    let kind = match kind {
        "bool" => Kind::Bool,
        "int" => Kind::Int,
        "float" => Kind::Float,
        "codes" => Kind::Codes,
        _ => {
            return Err(PyValueError::new_err(format!(
                "unknown column kind {kind:?}"
            )))
        }
    };
    if kind != Kind::Bool && !data.len().is_multiple_of(8) {
        return Err(PyValueError::new_err(
            "column data is not a whole number of 8-byte values",
        ));
    }
    let values = values.unwrap_or_default();
    if kind == Kind::Codes {
        let n = values.len();
        let bad = data.chunks_exact(8).any(|c| {
            let code = i64::from_le_bytes(c.try_into().unwrap_or([0; 8]));
            usize::try_from(code).is_ok_and(|c| c >= n)
        });
        if bad {
            return Err(PyValueError::new_err(
                "a column code points past its values",
            ));
        }
    }
    Ok(EncodedColumn {
        kind,
        bytes: data.to_vec(),
        values,
        text: Default::default(),
        bits: Default::default(),
    })
}

/// A column's values, as read for the fact its name is.
pub(crate) enum ColData {
    /// One cell per row, read from Python objects one by one.
    Cells(Vec<Cell>),
    Bools(Vec<u8>),
    /// Arrow's truth values, as bitmaps.
    Bits(std::sync::Arc<BitData>),
    Ints(Vec<i64>),
    /// `int_fact`: the column's fact is an integer, so a whole float (pandas' `12.0` in a
    /// column with gaps) reads as that integer.
    Floats {
        values: Vec<f64>,
        int_fact: bool,
    },
    /// Codes into the distinct values, each read once.
    Codes {
        codes: Vec<i64>,
        values: Vec<Cell>,
    },
    /// Texts, each read where it is used.
    Text(std::sync::Arc<TextData>),
}

/// One cell of a column, borrowed or small.
pub(crate) enum View<'a> {
    Absent,
    Bool(bool),
    Int(i64),
    /// A float that is not read as an integer (finite).
    Float(f64),
    Json(&'a Value),
    /// A text, as a Python `str` would be read.
    Text(&'a str),
    Bad(Cow<'a, FactError>),
}

fn le_i64(c: &[u8]) -> i64 {
    i64::from_le_bytes(c.try_into().unwrap_or([0; 8]))
}

impl ColData {
    /// The data of an encoded column; `cell` reads a distinct value as a column's cell is read.
    pub(crate) fn from_encoded(
        e: &EncodedColumn,
        int_fact: bool,
        mut cell: impl FnMut(&Py<PyAny>) -> PyResult<Cell>,
    ) -> PyResult<ColData> {
        Ok(match e.kind {
            Kind::Bool => ColData::Bools(e.bytes.clone()),
            Kind::Int => ColData::Ints(e.bytes.chunks_exact(8).map(le_i64).collect()),
            Kind::Float => ColData::Floats {
                values: e
                    .bytes
                    .chunks_exact(8)
                    .map(|c| f64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
                    .collect(),
                int_fact,
            },
            Kind::Text => ColData::Text(e.text.clone()),
            Kind::Bits => ColData::Bits(e.bits.clone()),
            Kind::Codes => ColData::Codes {
                codes: e.bytes.chunks_exact(8).map(le_i64).collect(),
                values: e.values.iter().map(&mut cell).collect::<PyResult<_>>()?,
            },
        })
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            ColData::Cells(c) => c.len(),
            ColData::Bools(v) => v.len(),
            ColData::Bits(b) => b.len,
            ColData::Ints(v) => v.len(),
            ColData::Floats { values, .. } => values.len(),
            ColData::Codes { codes, .. } => codes.len(),
            ColData::Text(t) => t.offsets.len().saturating_sub(1),
        }
    }

    /// Row `row`'s cell, as the cell read from its Python object would be.
    pub(crate) fn view(&self, row: usize) -> View<'_> {
        fn of(c: Option<&Cell>) -> View<'_> {
            match c {
                Some(Cell::Value(v)) => View::Json(v),
                Some(Cell::Bad(e)) => View::Bad(Cow::Borrowed(e)),
                Some(Cell::Absent) | None => View::Absent,
            }
        }
        match self {
            ColData::Cells(c) => of(c.get(row)),
            ColData::Bools(v) => match v.get(row) {
                Some(0) => View::Bool(false),
                Some(1) => View::Bool(true),
                _ => View::Absent,
            },
            ColData::Bits(b) => b.get(row).map_or(View::Absent, View::Bool),
            ColData::Ints(v) => v.get(row).map_or(View::Absent, |&i| View::Int(i)),
            ColData::Floats { values, int_fact } => match values.get(row) {
                None => View::Absent,
                Some(x) if x.is_nan() => View::Absent,
                // As `cell` reads a float: exact below 2^53, so the conversion is lossless.
                #[allow(clippy::cast_possible_truncation)]
                Some(&x) if *int_fact && x.fract() == 0.0 && x.abs() < 9.0e15 => {
                    View::Int(x as i64)
                }
                Some(&x) if x.is_finite() => View::Float(x),
                Some(&x) => View::Bad(Cow::Owned(
                    ConvertError::new(format!("{x}"), "a finite number").to_fact_error(),
                )),
            },
            ColData::Text(t) => match t.get(row) {
                None => View::Absent,
                Some(Ok(s)) => View::Text(s),
                Some(Err(_)) => View::Bad(Cow::Owned(
                    ConvertError::new("bytes that are not UTF-8".into(), "a text").to_fact_error(),
                )),
            },
            ColData::Codes { codes, values } => match codes.get(row) {
                Some(&c) if c >= 0 => of(usize::try_from(c).ok().and_then(|c| values.get(c))),
                _ => View::Absent,
            },
        }
    }
}

impl<'a> View<'a> {
    /// The cell's JSON value (`None` when absent); a cell that could not become JSON is `Err`
    /// (as `row_facts` returns it).
    #[allow(clippy::result_large_err)]
    pub(crate) fn json(&self) -> Result<Option<Value>, FactError> {
        Ok(Some(match self {
            View::Absent => return Ok(None),
            View::Bool(b) => Value::Bool(*b),
            View::Int(i) => Value::from(*i),
            View::Float(x) => Number::from_f64(*x).map_or(Value::Null, Value::Number),
            View::Json(v) => (*v).clone(),
            View::Text(s) => Value::String((*s).to_string()),
            View::Bad(e) => return Err(e.clone().into_owned()),
        }))
    }

    /// The cell as the core's row reader takes it.
    pub(crate) fn core(self) -> CoreCell<'a> {
        match self {
            View::Absent => CoreCell::Absent,
            View::Bool(b) => CoreCell::Bool(b),
            View::Int(i) => CoreCell::Int(i),
            View::Json(Value::Bool(b)) => CoreCell::Bool(*b),
            View::Json(Value::Number(n)) => n.as_i64().map_or(CoreCell::Other, CoreCell::Int),
            View::Json(Value::String(s)) => CoreCell::Text(s),
            View::Text(s) => CoreCell::Text(s),
            View::Float(_) | View::Json(_) | View::Bad(_) => CoreCell::Other,
        }
    }
}
