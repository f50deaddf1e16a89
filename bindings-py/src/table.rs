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
use pyo3::pybacked::PyBackedBytes;
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

/// Bytes of a Python `bytes` object, read where they are (no copy): shared between the
/// column object and the worker threads, readable without the GIL.
#[derive(Clone, Default)]
pub(crate) struct Bytes(Option<std::sync::Arc<PyBackedBytes>>);

impl std::fmt::Debug for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Bytes({})", self.len())
    }
}

impl Bytes {
    fn of(b: PyBackedBytes) -> Bytes {
        Bytes(Some(std::sync::Arc::new(b)))
    }
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.0.as_deref().map_or(&[], |b| b)
    }
}

/// Little-endian `int64` values one after another.
#[derive(Clone, Debug, Default)]
pub(crate) struct I64s(Bytes);

impl I64s {
    pub(crate) fn len(&self) -> usize {
        self.0.len() / 8
    }

    pub(crate) fn get(&self, i: usize) -> Option<i64> {
        let at = i.checked_mul(8)?;
        Some(le_i64(self.0.get(at..at.checked_add(8)?)?))
    }

    /// Values `start..start + n` (fewer past the end).
    pub(crate) fn range(&self, start: usize, n: usize) -> impl Iterator<Item = i64> + '_ {
        let from = start.saturating_mul(8).min(self.0.len());
        let to = start.saturating_add(n).saturating_mul(8).min(self.0.len());
        self.0
            .get(from..to)
            .unwrap_or(&[])
            .chunks_exact(8)
            .map(le_i64)
    }
}

/// Bit `at` of a bitmap (least significant first).
fn bit(bits: &[u8], at: usize) -> Option<bool> {
    Some(bits.get(at / 8)? >> (at % 8) & 1 == 1)
}

/// A column of truth values as Arrow holds them: row `i` is bit `offset + i` of `values`,
/// missing where that bit of `valid` is clear.
#[derive(Debug, Default)]
pub(crate) struct BitData {
    values: Bytes,
    valid: Option<Bytes>,
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

/// Rows `start..start + n` (`n` at most 64) of a column of truth values as bytes (0 false, 1
/// true, any other byte missing) as two words like [`BitData::block`]'s: bit `i` of the first
/// is row `start + i`'s value, of the second whether it is given. Eight bytes at a time: each
/// byte's low bit gathered into one byte by a multiplication (0x0102…80 moves byte `j`'s bit
/// 0 to bit 56 + `j`), and a byte above 1 found by its bits 1–7.
pub(crate) fn bytes_block(bytes: &[u8], start: usize, n: usize) -> (u64, u64) {
    const GATHER: u64 = 0x0102_0408_1020_4080;
    const LOW: u64 = 0x0101_0101_0101_0101;
    const HIGH7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let rows = bytes.get(start..).unwrap_or(&[]);
    let n = n.min(rows.len()).min(64);
    let (mut values, mut valid) = (0u64, 0u64);
    for (k, chunk) in rows.get(..n).unwrap_or(&[]).chunks(8).enumerate() {
        let mut buf = [2u8; 8];
        for (d, s) in buf.iter_mut().zip(chunk) {
            *d = *s;
        }
        let x = u64::from_le_bytes(buf);
        let rest = x & !LOW;
        // Bit 7 of each byte set where the byte has any of bits 1–7: missing.
        let other = ((rest >> 1) & HIGH7).wrapping_add(HIGH7) | rest;
        let missing = ((other >> 7) & LOW).wrapping_mul(GATHER) >> 56;
        let ones = (x & LOW).wrapping_mul(GATHER) >> 56;
        valid |= (!missing & 0xff) << (8 * k);
        values |= (ones & !missing & 0xff) << (8 * k);
    }
    (values, valid)
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

/// [`TextData`]'s buffers borrowed.
pub(crate) struct TextSlices<'a> {
    data: &'a [u8],
    offsets: &'a [u8],
    valid: Option<&'a [u8]>,
    wide: bool,
    offset: usize,
    len: usize,
}

impl<'a> TextSlices<'a> {
    /// Row `row`'s bytes, `None` where it is missing.
    #[inline]
    pub(crate) fn raw(&self, row: usize) -> Option<&'a [u8]> {
        if row >= self.len {
            return None;
        }
        // Within the buffers: `from_arrow` checked every offset up to `len`.
        let i = self.offset + row;
        if let Some(v) = self.valid {
            if !bit(v, i)? {
                return None;
            }
        }
        let (a, b) = if self.wide {
            let o = self.offsets.get(i * 8..i * 8 + 16)?;
            let (a, b) = o.split_at(8);
            (
                i64::from_le_bytes(a.try_into().ok()?),
                i64::from_le_bytes(b.try_into().ok()?),
            )
        } else {
            let o = self.offsets.get(i * 4..i * 4 + 8)?;
            let (a, b) = o.split_at(4);
            (
                i64::from(i32::from_le_bytes(a.try_into().ok()?)),
                i64::from(i32::from_le_bytes(b.try_into().ok()?)),
            )
        };
        self.data
            .get(usize::try_from(a).ok()?..usize::try_from(b).ok()?)
    }
}

/// A text column's values as Arrow holds them, its buffers as Python handed them over: row
/// `i`'s text is `data[o(i)..o(i + 1)]`, `o(i)` the `offset + i`th offset of `width` bytes,
/// missing where bit `offset + i` of `valid` is clear. The offsets are checked once, when it
/// is made.
#[derive(Debug, Default)]
pub(crate) struct TextData {
    data: Bytes,
    offsets: Bytes,
    width: usize,
    offset: usize,
    len: usize,
    /// `None`: every row has a text.
    valid: Option<Bytes>,
}

impl TextData {
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The `i`th offset from the array's first (`i` at most `len`: `from_arrow` checked that
    /// they are in the buffer, so the position cannot overflow).
    fn offset_at(&self, i: usize) -> Option<usize> {
        let at = (self.offset + i) * self.width;
        let v = if self.width == 4 {
            let b: [u8; 4] = self.offsets.get(at..at + 4)?.try_into().ok()?;
            i64::from(i32::from_le_bytes(b))
        } else {
            let b: [u8; 8] = self.offsets.get(at..at + 8)?.try_into().ok()?;
            i64::from_le_bytes(b)
        };
        usize::try_from(v).ok()
    }

    /// Its buffers as slices, for reading many rows.
    pub(crate) fn slices(&self) -> TextSlices<'_> {
        TextSlices {
            data: &self.data,
            offsets: &self.offsets,
            valid: self.valid.as_deref(),
            wide: self.width == 8,
            offset: self.offset,
            len: self.len,
        }
    }

    fn get(&self, row: usize) -> Option<Result<&str, std::str::Utf8Error>> {
        self.slices().raw(row).map(std::str::from_utf8)
    }

    /// From Arrow's buffers: `offsets` of `width` bytes each, the array starting at element
    /// `offset` of them and bit `offset` of `valid`.
    fn from_arrow(
        data: Bytes,
        offsets: Bytes,
        width: usize,
        valid: Option<Bytes>,
        offset: usize,
        length: usize,
    ) -> Result<TextData, String> {
        // `length + 1` offsets from element `offset` on must be in the buffer.
        let end = offset
            .checked_add(length)
            .and_then(|e| e.checked_add(1))
            .and_then(|e| e.checked_mul(width))
            .ok_or("a text column's offset and length overflow")?;
        if end > offsets.len() {
            return Err("a text column's offsets are short or negative".into());
        }
        let t = TextData {
            data,
            offsets,
            width,
            offset,
            len: length,
            valid,
        };
        let mut last = 0;
        // Every offset read later is one of these (`raw` reads rows below `length`).
        for i in 0..=length {
            let o = t
                .offset_at(i)
                .ok_or("a text column's offsets are short or negative")?;
            if o > t.data.len() || (i > 0 && o < last) {
                return Err("a text column's offsets point outside its data".into());
            }
            last = o;
        }
        if let Some(v) = &t.valid {
            let need = offset
                .checked_add(length)
                .ok_or("a text column's offset and length overflow")?
                .div_ceil(8);
            if v.len() < need {
                return Err("a text column's validity bitmap is short".into());
            }
        }
        Ok(t)
    }
}

/// A column as bytes, made by `humiao._table` from a DataFrame's or Table's column.
#[pyclass(frozen, module = "humiao._humiao", name = "_EncodedColumn")]
pub struct EncodedColumn {
    pub(crate) kind: Kind,
    pub(crate) bytes: Bytes,
    /// The distinct values, for `Codes`.
    pub(crate) values: Vec<Py<PyAny>>,
    /// For `Text`.
    pub(crate) text: std::sync::Arc<TextData>,
    /// For `Bits`.
    pub(crate) bits: std::sync::Arc<BitData>,
}

/// `_truth_bits(refs, trues, falses, missing)`: a pandas object column of truth values with
/// gaps read by the identity of its cells, for [`_encoded_column`]'s ``"bits"``. `refs` is the
/// column's NumPy object array as its raw words (``numpy.frombuffer(array, numpy.uintp)``):
/// each cell's address, which in CPython is ``id(cell)``. A cell is true, false or missing when
/// it is one of the objects whose ids are in `trues` (``True``, ``numpy.True_``), `falses`, or
/// `missing` (``None``, ``pandas.NA``): the same test as ``cell is True``, made on the
/// addresses alone (nothing is read through them, and these objects live as long as the
/// interpreter). Returns the values' and validity bitmaps (Arrow's layout), or ``None`` when a
/// cell is any other object (a ``NaN``, a number, a text) or no cell is a truth value: such a
/// column is read the general way.
#[pyfunction]
pub(crate) fn _truth_bits(
    py: Python<'_>,
    refs: PyBackedBytes,
    trues: [u64; 2],
    falses: [u64; 2],
    missing: [u64; 2],
) -> Option<(
    Bound<'_, pyo3::types::PyBytes>,
    Bound<'_, pyo3::types::PyBytes>,
)> {
    let (values, valid) = truth_bits(&refs, trues, falses, missing)?;
    Some((
        pyo3::types::PyBytes::new(py, &values),
        pyo3::types::PyBytes::new(py, &valid),
    ))
}

/// [`_truth_bits`]'s bitmaps, or `None`.
fn truth_bits(
    refs: &[u8],
    [t0, t1]: [u64; 2],
    [f0, f1]: [u64; 2],
    [m0, m1]: [u64; 2],
) -> Option<(Vec<u8>, Vec<u8>)> {
    if !refs.len().is_multiple_of(8) {
        return None;
    }
    let n = refs.len() / 8;
    let mut values = vec![0u8; n.div_ceil(8)];
    let mut valid = vec![0u8; n.div_ceil(8)];
    let (mut any, mut other) = (false, false);
    // Eight cells a byte, without a branch per cell (the cells' kinds come in no order a
    // predictor could learn).
    for (cells, (v, ok)) in refs.chunks(64).zip(values.iter_mut().zip(valid.iter_mut())) {
        let (mut vb, mut okb, mut bad) = (0u8, 0u8, false);
        for (bit, cell) in cells.chunks_exact(8).enumerate() {
            let mut w = [0u8; 8];
            w.copy_from_slice(cell);
            let id = u64::from_ne_bytes(w);
            let t = (id == t0) | (id == t1);
            let f = (id == f0) | (id == f1);
            let m = (id == m0) | (id == m1);
            vb |= u8::from(t) << (bit & 7);
            okb |= u8::from(t | f) << (bit & 7);
            bad |= !(t | f | m);
        }
        *v = vb;
        *ok = okb;
        any |= okb != 0;
        other |= bad;
        if other {
            return None;
        }
    }
    any.then_some((values, valid))
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
    data: PyBackedBytes,
    values: Option<Vec<Py<PyAny>>>,
    offsets: Option<PyBackedBytes>,
    valid: Option<PyBackedBytes>,
    offset: usize,
    length: usize,
) -> PyResult<EncodedColumn> {
    let data = Bytes::of(data);
    let offsets = offsets.map(Bytes::of);
    let valid = valid.map(Bytes::of);
    if let Some(width) = match kind {
        "text32" => Some(4),
        "text64" => Some(8),
        _ => None,
    } {
        let text = TextData::from_arrow(
            data,
            offsets.unwrap_or_default(),
            width,
            valid,
            offset,
            length,
        )
        .map_err(PyValueError::new_err)?;
        return Ok(EncodedColumn {
            kind: Kind::Text,
            bytes: Bytes::default(),
            values: Vec::new(),
            text: std::sync::Arc::new(text),
            bits: Default::default(),
        });
    }
    if kind == "bits" {
        // Arrow's truth values: bit `offset + i` of `data` and of `valid`, kept as bitmaps (a
        // block of rows is read as two words).
        let need = offset
            .checked_add(length)
            .ok_or_else(|| PyValueError::new_err("a column's offset and length overflow"))?
            .div_ceil(8);
        let short =
            |what: &str| PyValueError::new_err(format!("{what} is shorter than its length"));
        if data.len() < need {
            return Err(short("a column of truth values"));
        }
        if valid.as_ref().is_some_and(|v| v.len() < need) {
            return Err(short("a column's validity bitmap"));
        }
        return Ok(EncodedColumn {
            kind: Kind::Bits,
            bytes: Bytes::default(),
            values: Vec::new(),
            text: Default::default(),
            bits: std::sync::Arc::new(BitData {
                values: data,
                valid,
                offset,
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
        bytes: data,
        values,
        text: Default::default(),
        bits: Default::default(),
    })
}

/// A column's values, as read for the fact its name is.
pub(crate) enum ColData {
    /// One cell per row, read from Python objects one by one.
    Cells(Vec<Cell>),
    /// A byte per row: 0, 1, or a missing value.
    Bools(Bytes),
    /// Arrow's truth values, as bitmaps.
    Bits(std::sync::Arc<BitData>),
    Ints(I64s),
    /// `int_fact`: the column's fact is an integer, so a whole float (pandas' `12.0` in a
    /// column with gaps) reads as that integer.
    Floats {
        values: Vec<f64>,
        int_fact: bool,
    },
    /// Codes into the distinct values, each read once.
    Codes {
        codes: I64s,
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
            Kind::Int => ColData::Ints(I64s(e.bytes.clone())),
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
                codes: I64s(e.bytes.clone()),
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
            ColData::Text(t) => t.len(),
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
            ColData::Ints(v) => v.get(row).map_or(View::Absent, View::Int),
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
                    ConvertError::coded("F0101", format!("{x}"), "a finite number", "有限的数")
                        .to_fact_error(),
                )),
            },
            ColData::Text(t) => match t.get(row) {
                None => View::Absent,
                Some(Ok(s)) => View::Text(s),
                Some(Err(_)) => View::Bad(Cow::Owned(
                    ConvertError::coded(
                        "F0109",
                        "bytes that are not UTF-8".into(),
                        "a text",
                        "UTF-8 文本",
                    )
                    .to_fact_error(),
                )),
            },
            ColData::Codes { codes, values } => match codes.get(row) {
                Some(c) if c >= 0 => of(usize::try_from(c).ok().and_then(|c| values.get(c))),
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
