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
/// are built with Python's collector paused ([`without_gc`]).
///
/// With `json_buffers`, the `decision` column is instead `(data, offsets, valid)`: the texts'
/// UTF-8 bytes one after another, each row's start and the end as little-endian `int32` (`int64`
/// when the texts pass 2 GiB, as Arrow's `string` and `large_string` want them), and Arrow's
/// validity bitmap (`None` when every row has a decision). pyarrow makes its column of them without a Python `str`
/// per row (a decision is ~3.5 KB of mostly Chinese text: making each `str` and encoding it
/// back to UTF-8 was most of `evaluate_table`'s time).
#[pyfunction]
#[pyo3(signature = (decisions, with_errors, threads=None, json_buffers=false))]
pub(crate) fn _decision_columns<'py>(
    py: Python<'py>,
    decisions: &Bound<'py, PyAny>,
    with_errors: bool,
    threads: Option<usize>,
    json_buffers: bool,
) -> PyResult<Bound<'py, PyDict>> {
    guard(py, || {
        decision_columns(py, decisions, with_errors, threads, json_buffers)
    })
}

/// The `decision` column as UTF-8 buffers (see [`_decision_columns`]).
#[derive(Default)]
struct JsonBuffers {
    data: Vec<u8>,
    starts: Vec<usize>,
    /// Arrow's validity bitmap: bit `i` (least significant first) set where row `i` has text.
    valid: Vec<u8>,
    rows: usize,
    nulls: usize,
}

impl JsonBuffers {
    fn push(&mut self, text: Option<&str>) {
        self.starts.push(self.data.len());
        if self.rows.is_multiple_of(8) {
            self.valid.push(0);
        }
        match text {
            Some(t) => {
                self.data.extend_from_slice(t.as_bytes());
                if let Some(b) = self.valid.last_mut() {
                    *b |= 1 << (self.rows % 8);
                }
            }
            None => self.nulls += 1,
        }
        self.rows += 1;
    }

    /// `(data, offsets, bitmap or None)`.
    fn into_py<'py>(mut self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.starts.push(self.data.len());
        let mut offsets = Vec::with_capacity(self.starts.len() * 8);
        if let Ok(ends) = self
            .starts
            .iter()
            .map(|&o| i32::try_from(o))
            .collect::<Result<Vec<i32>, _>>()
        {
            ends.iter()
                .for_each(|o| offsets.extend_from_slice(&o.to_le_bytes()));
        } else {
            for &o in &self.starts {
                let o = i64::try_from(o).map_err(|_| {
                    pyo3::exceptions::PyOverflowError::new_err("decisions too large for a column")
                })?;
                offsets.extend_from_slice(&o.to_le_bytes());
            }
        }
        let valid = (self.nulls > 0).then(|| PyBytes::new(py, &self.valid));
        let t = (
            PyBytes::new(py, &self.data),
            PyBytes::new(py, &offsets),
            valid,
        );
        Ok(t.into_pyobject(py)?.into_any())
    }
}

fn decision_columns<'py>(
    py: Python<'py>,
    decisions: &Bound<'py, PyAny>,
    with_errors: bool,
    threads: Option<usize>,
    json_buffers: bool,
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
    // The buffers' final sizes, reserved once: growing a buffer of hundreds of MB by doubling
    // copies it each time.
    let total: usize = texts.iter().map(String::len).sum();
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
        let mut buffers = JsonBuffers::default();
        if json_buffers {
            buffers.data.reserve_exact(total);
            buffers.starts.reserve_exact(rows.len() + 1);
            buffers.valid.reserve_exact(rows.len().div_ceil(8));
        }
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
                    if json_buffers {
                        buffers.push(Some(&text));
                    } else {
                        json.append(text)?;
                    }
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
                    if json_buffers {
                        buffers.push(None);
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
        if json_buffers {
            out.set_item("decision", buffers.into_py(py)?)?;
        } else {
            out.set_item("decision", json)?;
        }
        if with_errors {
            out.set_item("error", error)?;
        }
        Ok(out)
    })
}
