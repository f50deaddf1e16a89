//! Decisions as columns, for building a result table without a Python loop per row.

use crate::batch::{par_map, thread_count};
use crate::convert::json_to_py;
use crate::decision::PyDecision;
use crate::errors::{guard, internal_error};
use crate::policy::without_gc;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

/// `{column: [value per decision]}` for `evaluate_table`: `case_id`, `status`, one column per
/// conclusion key (first-seen order; `None` where a decision lacks it), `obligations` (ids),
/// `undecided`, `missing` (fact paths), `fired`, `decision` (JSON) and, when `with_errors`,
/// `error` (the message of a failed case, whose other cells are `None`). The decisions' JSON is
/// written on `threads` threads (default: every core) with the GIL released; then the columns
/// are built with Python's collector paused ([`without_gc`]).
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
    let mut texts = py
        .detach(|| par_map(&decided, n, |_, d| d.to_json()))
        .ok_or_else(|| internal_error(py, "a worker thread was lost", None))?
        .into_iter();
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
                    json.append(texts.next().unwrap_or_else(|| d.to_json()))?;
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
