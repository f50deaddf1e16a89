//! Decisions as columns, for building a result table without a Python loop per row.

use crate::batch::{par_map, thread_count};
use crate::convert::json_to_py;
use crate::decision::PyDecision;
use crate::errors::{guard, internal_error};
use crate::policy::without_gc;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};

/// `{column: [value per decision]}` for `evaluate_table`: `case_id`, `status`, one column per
/// conclusion key (first-seen order; `None` where a decision lacks it), `obligations` (ids),
/// `undecided`, `missing` (fact paths), `fired`, `decision` (JSON) and, when `with_errors`,
/// `error` (the message of a failed case, whose other cells are `None`). The decisions' JSON is
/// written on `threads` threads (default: every core) with the GIL released; then the columns
/// are built with Python's collector paused ([`without_gc`]). For a pandas result (and
/// a mapping of columns); a pyarrow result's columns are written as Arrow's buffers
/// ([`decision_arrow`]).
#[pyfunction]
#[pyo3(signature = (decisions, with_errors, threads=None))]
pub(crate) fn _decision_columns<'py>(
    py: Python<'py>,
    decisions: &Bound<'py, PyAny>,
    with_errors: bool,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyDict>> {
    guard(py, || decision_columns(py, decisions, with_errors, threads))
}

fn decision_columns<'py>(
    py: Python<'py>,
    decisions: &Bound<'py, PyAny>,
    with_errors: bool,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyDict>> {
    let mut rows: Vec<Result<Bound<'py, PyDecision>, String>> = Vec::new();
    for item in decisions.try_iter()? {
        let item = item?;
        match item.cast_into::<PyDecision>() {
            Ok(d) => rows.push(Ok(d)),
            Err(e) => rows.push(Err(e.into_inner().str()?.to_cow()?.into_owned())),
        }
    }
    let mut keys: Vec<&str> = Vec::new();
    for d in rows.iter().flatten() {
        for (k, _) in &d.get().inner.conclusions.0 {
            if !keys.contains(&k.as_str()) {
                keys.push(k.as_str());
            }
        }
    }
    // The borrow of `rows` for `keys` ends before the lists are filled.
    let keys: Vec<String> = keys.into_iter().map(str::to_string).collect();
    let decided: Vec<&humiao_core::Decision> =
        rows.iter().flatten().map(|d| &d.get().inner).collect();
    let n = thread_count(threads, decided.len());
    let texts = py
        .detach(|| par_map(&decided, n, |_, d| d.to_json()))
        .ok_or_else(|| internal_error(py, "a worker thread was lost", None))?;
    let mut texts = texts.into_iter();
    // The columns, with Python's collector paused while they are built (see `without_gc`).
    without_gc(py, || {
        let case_id = PyList::empty(py);
        let status = PyList::empty(py);
        let conclusions: Vec<Bound<'py, PyList>> = keys.iter().map(|_| PyList::empty(py)).collect();
        let obligations = PyList::empty(py);
        let undecided = PyList::empty(py);
        let missing = PyList::empty(py);
        let fired = PyList::empty(py);
        let json = PyList::empty(py);
        let error = PyList::empty(py);
        for row in &rows {
            match row {
                Ok(d) => {
                    let d = &d.get().inner;
                    case_id.append(&d.case_id)?;
                    status.append(crate::decision::status_text(d.status))?;
                    for (k, col) in keys.iter().zip(&conclusions) {
                        match d.conclusions.get(k) {
                            Some(v) => col.append(json_to_py(py, v)?)?,
                            None => col.append(py.None())?,
                        }
                    }
                    let ids: Vec<&str> = d.obligations.iter().map(|o| o.id.as_str()).collect();
                    obligations.append(ids)?;
                    undecided.append(&d.undecided)?;
                    let facts: Vec<&str> = d.missing.iter().map(|m| m.fact.as_str()).collect();
                    missing.append(facts)?;
                    fired.append(&d.fired)?;
                    let text = texts.next().unwrap_or_else(|| d.to_json());
                    json.append(text)?;
                    error.append(py.None())?;
                }
                Err(message) => {
                    for col in [
                        &case_id,
                        &status,
                        &obligations,
                        &undecided,
                        &missing,
                        &fired,
                        &json,
                    ]
                    .into_iter()
                    .chain(conclusions.iter())
                    {
                        col.append(py.None())?;
                    }
                    error.append(message)?;
                }
            }
        }
        let out = PyDict::new(py);
        out.set_item("case_id", case_id)?;
        out.set_item("status", status)?;
        for (k, col) in keys.iter().zip(conclusions) {
            out.set_item(k, col)?;
        }
        out.set_item("obligations", obligations)?;
        out.set_item("undecided", undecided)?;
        out.set_item("missing", missing)?;
        out.set_item("fired", fired)?;
        out.set_item("decision", json)?;
        if with_errors {
            out.set_item("error", error)?;
        }
        Ok(out)
    })
}

/// A text column being built as Arrow's buffers: the texts end to end, each row's end, the
/// validity bitmap.
#[derive(Default)]
struct TextColumn {
    data: Vec<u8>,
    ends: Vec<usize>,
    valid: Vec<u8>,
    nulls: usize,
}

impl TextColumn {
    fn push(&mut self, text: Option<&str>) {
        let row = self.ends.len();
        if row.is_multiple_of(8) {
            self.valid.push(0);
        }
        match text {
            Some(t) => {
                self.data.extend_from_slice(t.as_bytes());
                if let Some(b) = self.valid.last_mut() {
                    *b |= 1 << (row % 8);
                }
            }
            None => self.nulls += 1,
        }
        self.ends.push(self.data.len());
    }

    /// `(large, offsets, data)` and the validity bitmap (`None` with no null).
    #[allow(clippy::type_complexity)]
    fn into_parts<'py>(
        self,
        py: Python<'py>,
    ) -> PyResult<(
        (bool, Bound<'py, PyBytes>, Bound<'py, PyBytes>),
        Option<Bound<'py, PyBytes>>,
    )> {
        let (large, offsets) = offsets_bytes(&self.ends)?;
        let valid = (self.nulls > 0).then(|| PyBytes::new(py, &self.valid));
        Ok((
            (
                large,
                PyBytes::new(py, &offsets),
                PyBytes::new(py, &self.data),
            ),
            valid,
        ))
    }

    /// `("text", (large, offsets, data), valid)`, as `humiao._table._arrow_array` reads it.
    fn into_py<'py>(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let (texts, valid) = self.into_parts(py)?;
        Ok(("text", texts, valid).into_pyobject(py)?.into_any())
    }
}

/// Arrow's offsets (`0`, then each end) as little-endian `int32`, or `int64` (`true`) past
/// 2 GiB.
fn offsets_bytes(ends: &[usize]) -> PyResult<(bool, Vec<u8>)> {
    let large = ends.last().is_some_and(|&e| i32::try_from(e).is_err());
    let mut out = Vec::with_capacity((ends.len() + 1) * if large { 8 } else { 4 });
    for &e in std::iter::once(&0).chain(ends) {
        if large {
            let e = i64::try_from(e).map_err(|_| {
                pyo3::exceptions::PyOverflowError::new_err("decisions too large for a column")
            })?;
            out.extend_from_slice(&e.to_le_bytes());
        } else {
            out.extend_from_slice(&u32::try_from(e).unwrap_or(u32::MAX).to_le_bytes());
        }
    }
    Ok((large, out))
}

/// A column of lists of texts being built: per row its items' end, the validity bitmap, and
/// the items as a [`TextColumn`] with no null.
#[derive(Default)]
struct ListColumn {
    ends: Vec<usize>,
    valid: Vec<u8>,
    nulls: usize,
    items: TextColumn,
}

impl ListColumn {
    fn push<'a>(&mut self, list: Option<impl Iterator<Item = &'a str>>) {
        let row = self.ends.len();
        if row.is_multiple_of(8) {
            self.valid.push(0);
        }
        match list {
            Some(items) => {
                items.for_each(|t| self.items.push(Some(t)));
                if let Some(b) = self.valid.last_mut() {
                    *b |= 1 << (row % 8);
                }
            }
            None => self.nulls += 1,
        }
        self.ends.push(self.items.ends.len());
    }

    /// `("list", large, offsets, valid, items, (large, offsets, data))`.
    fn into_py<'py>(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let (large, offsets) = offsets_bytes(&self.ends)?;
        let valid = (self.nulls > 0).then(|| PyBytes::new(py, &self.valid));
        let items = self.items.ends.len();
        let (texts, _) = self.items.into_parts(py)?;
        Ok((
            "list",
            large,
            PyBytes::new(py, &offsets),
            valid,
            items,
            texts,
        )
            .into_pyobject(py)?
            .into_any())
    }
}

/// A column of truth values being built as Arrow's bitmaps.
#[derive(Default)]
struct BoolColumn {
    values: Vec<u8>,
    valid: Vec<u8>,
    rows: usize,
    nulls: usize,
}

impl BoolColumn {
    fn push(&mut self, v: Option<bool>) {
        if self.rows.is_multiple_of(8) {
            self.values.push(0);
            self.valid.push(0);
        }
        let bit = 1u8 << (self.rows % 8);
        match v {
            Some(x) => {
                if let Some(b) = self.valid.last_mut() {
                    *b |= bit;
                }
                if let (true, Some(b)) = (x, self.values.last_mut()) {
                    *b |= bit;
                }
            }
            None => self.nulls += 1,
        }
        self.rows += 1;
    }

    /// `("bool", values, valid)`.
    fn into_py<'py>(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let valid = (self.nulls > 0).then(|| PyBytes::new(py, &self.valid));
        Ok(("bool", PyBytes::new(py, &self.values), valid)
            .into_pyobject(py)?
            .into_any())
    }
}

/// What kind of Arrow column a conclusion's values across the rows make, as `pyarrow.table`
/// infers it from their Python values: `null` where no row has one, `bool`, `string` or a list
/// of strings where every value is of that kind, and otherwise none (the values go as Python
/// objects, for pyarrow to infer).
#[derive(Clone, Copy, PartialEq)]
enum Inferred {
    Null,
    Bool,
    Text,
    List,
    Objects,
}

fn inferred<'a>(values: impl Iterator<Item = Option<&'a serde_json::Value>>) -> Inferred {
    use serde_json::Value as J;
    let mut kind = Inferred::Null;
    for v in values.flatten() {
        let k = match v {
            J::Null => continue,
            J::Bool(_) => Inferred::Bool,
            J::String(_) => Inferred::Text,
            J::Array(items) if items.iter().all(J::is_string) => Inferred::List,
            _ => return Inferred::Objects,
        };
        if kind != Inferred::Null && kind != k {
            return Inferred::Objects;
        }
        kind = k;
    }
    kind
}

/// What `evaluate_table`'s columns need of a decision, taken from it on the worker thread
/// that made it (the rest is dropped there, in parallel, not on the thread holding the GIL):
/// its JSON and the small values of the other columns.
pub(crate) struct RowParts {
    case_id: Option<String>,
    status: &'static str,
    conclusions: Vec<(String, serde_json::Value)>,
    obligations: Vec<String>,
    undecided: Vec<String>,
    missing: Vec<String>,
    fired: Vec<String>,
    json: String,
}

impl RowParts {
    pub(crate) fn of(d: humiao_core::Decision) -> RowParts {
        RowParts {
            json: d.to_json(),
            case_id: d.case_id,
            status: crate::decision::status_text(d.status),
            conclusions: d.conclusions.0,
            obligations: d.obligations.into_iter().map(|o| o.id).collect(),
            undecided: d.undecided,
            missing: d.missing.into_iter().map(|m| m.fact).collect(),
            fired: d.fired,
        }
    }

    fn conclusion(&self, key: &str) -> Option<&serde_json::Value> {
        self.conclusions
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }
}

/// `evaluate_table`'s columns for a pyarrow result straight from the decisions' parts, as
/// [`_decision_columns`] gives them (names, order, values) but written as Arrow's buffers,
/// with no Python object per row: `case_id` and `status` as texts, each conclusion as
/// `pyarrow.table` infers its lists (see [`Inferred`]; a column of other values as its Python
/// values), `obligations`, `undecided`, `missing` and `fired` as lists of texts, `decision` the
/// JSON, `error` (with `errors`) the failures' messages. A column with no case id is
/// `("null",)`. `rows[i]` is `None` for a failed row, whose message is `errors[i]`.
pub(crate) fn decision_arrow<'py>(
    py: Python<'py>,
    rows: Vec<Option<RowParts>>,
    errors: Option<Vec<Option<String>>>,
) -> PyResult<Bound<'py, PyDict>> {
    let mut keys: Vec<&str> = Vec::new();
    for d in rows.iter().flatten() {
        for (k, _) in &d.conclusions {
            if !keys.contains(&k.as_str()) {
                keys.push(k.as_str());
            }
        }
    }
    let out = PyDict::new(py);
    let null = || -> PyResult<Bound<'py, PyAny>> { Ok(("null",).into_pyobject(py)?.into_any()) };
    // case_id: null in every row unless some case has one.
    if rows.iter().flatten().any(|d| d.case_id.is_some()) {
        let mut c = TextColumn::default();
        rows.iter()
            .for_each(|d| c.push(d.as_ref().and_then(|d| d.case_id.as_deref())));
        out.set_item("case_id", c.into_py(py)?)?;
    } else {
        out.set_item("case_id", null()?)?;
    }
    let mut status = TextColumn::default();
    rows.iter()
        .for_each(|d| status.push(d.as_ref().map(|d| d.status)));
    out.set_item("status", status.into_py(py)?)?;
    for k in &keys {
        let values = || {
            rows.iter()
                .map(|d| d.as_ref().and_then(|d| d.conclusion(k)))
        };
        let col = match inferred(values()) {
            Inferred::Null => null()?,
            Inferred::Bool => {
                let mut c = BoolColumn::default();
                values().for_each(|v| c.push(v.and_then(serde_json::Value::as_bool)));
                c.into_py(py)?
            }
            Inferred::Text => {
                let mut c = TextColumn::default();
                values().for_each(|v| c.push(v.and_then(serde_json::Value::as_str)));
                c.into_py(py)?
            }
            Inferred::List => {
                let mut c = ListColumn::default();
                values().for_each(|v| {
                    c.push(
                        v.and_then(serde_json::Value::as_array)
                            .map(|a| a.iter().filter_map(serde_json::Value::as_str)),
                    )
                });
                c.into_py(py)?
            }
            Inferred::Objects => {
                let list = PyList::empty(py);
                for v in values() {
                    match v {
                        Some(v) => list.append(json_to_py(py, v)?)?,
                        None => list.append(py.None())?,
                    }
                }
                list.into_any()
            }
        };
        out.set_item(*k, col)?;
    }
    type Items = fn(&RowParts) -> &[String];
    let lists: [(&str, Items); 4] = [
        ("obligations", |d| &d.obligations),
        ("undecided", |d| &d.undecided),
        ("missing", |d| &d.missing),
        ("fired", |d| &d.fired),
    ];
    for (name, items) in lists {
        let mut c = ListColumn::default();
        rows.iter()
            .for_each(|d| c.push(d.as_ref().map(|d| items(d).iter().map(String::as_str))));
        out.set_item(name, c.into_py(py)?)?;
    }
    // The JSON texts straight into the Python `bytes` (hundreds of MB for a large table: one
    // copy, not two); the ends and the validity as a text column's.
    let mut json = TextColumn::default();
    let mut end = 0usize;
    for (row, d) in rows.iter().enumerate() {
        if row.is_multiple_of(8) {
            json.valid.push(0);
        }
        match d {
            Some(d) => {
                end += d.json.len();
                if let Some(b) = json.valid.last_mut() {
                    *b |= 1 << (row % 8);
                }
            }
            None => json.nulls += 1,
        }
        json.ends.push(end);
    }
    let (large, offsets) = offsets_bytes(&json.ends)?;
    let valid = (json.nulls > 0).then(|| PyBytes::new(py, &json.valid));
    let data = PyBytes::new_with(py, end, |buf| {
        let mut at = 0;
        for t in rows.iter().flatten().map(|d| &d.json) {
            if let Some(dst) = buf.get_mut(at..at + t.len()) {
                dst.copy_from_slice(t.as_bytes());
            }
            at += t.len();
        }
        Ok(())
    })?;
    let spec = ("text", (large, PyBytes::new(py, &offsets), data), valid);
    out.set_item("decision", spec.into_pyobject(py)?)?;
    if let Some(errors) = errors {
        out.set_item("error", errors)?;
    }
    Ok(out)
}
