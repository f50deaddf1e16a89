//! `humiao.Decision`: the engine's answer, held as the core's own value so `to_json()` is the
//! CLI's bytes, with attributes turned into Python values only when they are read.

use crate::convert::{date_to_py, json_to_py, types_class};
use crate::errors::{guard, humiao_error, serde_kwargs};
use humiao_core::time::Date;
use humiao_core::{Decision, Status};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList};
use serde::Serialize;

static JSON_LOADS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// The decision for one case, as every surface gives it.
///
/// Attributes mirror the JSON keys of the contract. ``to_json()`` returns exactly the line the
/// CLI prints for the same facts, ``as_of`` and params (without the newline); ``to_dict()`` is
/// that JSON as Python objects, keys in the same order.
#[pyclass(frozen, module = "humiao", name = "Decision")]
pub struct PyDecision {
    pub(crate) inner: Decision,
}

pub(crate) fn status_text(s: Status) -> &'static str {
    match s {
        Status::Determined => "determined",
        Status::Undetermined => "undetermined",
        Status::Conflict => "conflict",
    }
}

/// Each item through a dataclass's `_from_json(dict)`, or its constructor when `from_json` is
/// false.
fn dataclasses<'py, T: Serialize>(
    py: Python<'py>,
    class: &str,
    items: &[T],
    from_json: bool,
) -> PyResult<Bound<'py, PyList>> {
    let cls = types_class(py, class)?;
    let out = PyList::empty(py);
    for item in items {
        let d = serde_kwargs(py, item)?;
        let obj = if from_json {
            cls.call_method1("_from_json", (d,))?
        } else {
            cls.call((), Some(&d))?
        };
        out.append(obj)?;
    }
    Ok(out)
}

#[pymethods]
impl PyDecision {
    /// The policy set that decided: ``PolicyRef(name, version, digest)``.
    #[getter]
    fn policy<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let kwargs = serde_kwargs(py, &self.inner.policy)?;
            types_class(py, "PolicyRef")?.call((), Some(&kwargs))
        })
    }

    /// ``case.id`` echoed from the facts, or ``None``.
    #[getter]
    fn case_id(&self) -> Option<String> {
        self.inner.case_id.clone()
    }

    /// The date the decision was made for.
    #[getter]
    fn as_of<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || match Date::parse(&self.inner.as_of) {
            Ok(d) => date_to_py(py, d),
            Err(e) => Err(humiao_error(py, &e.to_string(), &e.message_zh())),
        })
    }

    /// ``"determined"``, ``"undetermined"`` or ``"conflict"``.
    #[getter]
    fn status(&self) -> &'static str {
        status_text(self.inner.status)
    }

    /// What must be done, by whom, for whom and by when: a list of ``Obligation``.
    #[getter]
    fn obligations<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        guard(py, || {
            dataclasses(py, "Obligation", &self.inner.obligations, true)
        })
    }

    /// Settled conclusions by key, in declaration order (``{"reporting.duty": "mandatory"}``).
    /// Values are as in the JSON: text, bool, number, or a list for a set.
    #[getter]
    fn conclusions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        guard(py, || {
            let out = PyDict::new(py);
            for (k, v) in &self.inner.conclusions.0 {
                out.set_item(k, json_to_py(py, v)?)?;
            }
            Ok(out)
        })
    }

    /// Conclusion keys and obligation ids that the known facts do not decide.
    #[getter]
    fn undecided(&self) -> Vec<String> {
        self.inner.undecided.clone()
    }

    /// Single-valued conclusions that rules set differently (status ``"conflict"``).
    #[getter]
    fn conflicts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        guard(py, || {
            dataclasses(py, "Conflict", &self.inner.conflicts, false)
        })
    }

    /// Unknown facts that would decide something, most useful first: a list of ``Missing``.
    #[getter]
    fn missing<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        guard(py, || {
            dataclasses(py, "Missing", &self.inner.missing, false)
        })
    }

    /// ``@unconfirmed`` params that influenced this decision: a list of ``Assumption``.
    #[getter]
    fn assumptions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        guard(py, || {
            dataclasses(py, "Assumption", &self.inner.assumptions, false)
        })
    }

    /// Notes on how the input was read (e.g. a time without an offset).
    #[getter]
    fn notes(&self) -> Vec<String> {
        self.inner.notes.clone()
    }

    /// Ids of the rules that fired, in order.
    #[getter]
    fn fired(&self) -> Vec<String> {
        self.inner.fired.clone()
    }

    /// With ``explain=True``, why each rule did or did not fire (a list of ``TraceRule``);
    /// otherwise ``None``.
    #[getter]
    fn trace<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyList>>> {
        guard(py, || match &self.inner.trace {
            Some(t) => dataclasses(py, "TraceRule", &t.rules().collect::<Vec<_>>(), true).map(Some),
            None => Ok(None),
        })
    }

    /// The decision as compact JSON, byte for byte what ``humiao eval --format json`` prints
    /// (without the trailing newline).
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// The decision as Python objects: ``json.loads(self.to_json())``, keys in the CLI's order.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let loads = JSON_LOADS.import(py, "json", "loads")?;
            loads.call1((self.inner.to_json(),))
        })
    }

    fn __repr__(&self) -> String {
        let d = &self.inner;
        let mut s = format!("<humiao.Decision {}", status_text(d.status));
        if let Some(id) = &d.case_id {
            s.push_str(&format!(" case {id}"));
        }
        s.push_str(&format!(
            " as of {}: {} obligation(s), {} conclusion(s)",
            d.as_of,
            d.obligations.len(),
            d.conclusions.0.len()
        ));
        if !d.undecided.is_empty() {
            s.push_str(&format!(", {} undecided", d.undecided.len()));
        }
        s.push('>');
        s
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyDecision>()
            .is_ok_and(|o| o.get().inner == self.inner)
    }

    /// Pickles as its JSON, which reads back into an equal decision.
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        let f = py
            .import("humiao._humiao")?
            .getattr("_decision_from_json")?;
        Ok((f, (self.inner.to_json(),)))
    }
}

/// A decision read back from its JSON (for unpickling).
#[pyfunction]
pub(crate) fn _decision_from_json(py: Python<'_>, json: &str) -> PyResult<PyDecision> {
    guard(py, || {
        serde_json::from_str::<Decision>(json)
            .map(|inner| PyDecision { inner })
            .map_err(|e| {
                humiao_error(
                    py,
                    &format!("not a decision's JSON: {e}"),
                    &format!("不是决定的 JSON：{e}"),
                )
            })
    })
}
