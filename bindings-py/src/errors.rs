//! Errors raised into Python, and the guard that keeps a Rust panic from ever reaching it.
//!
//! The exception classes are defined in Python (`humiao/_errors.py`) so they carry typed
//! attributes, docstrings and pickle support; this module only builds instances of them.

use crate::convert::{json_to_py, types_class};
use humiao_core::{Diagnostic, EvalError, FactError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyType};
use std::panic::{catch_unwind, AssertUnwindSafe};

static ERRORS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

fn error_class<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyType>> {
    let module = ERRORS.get_or_try_init(py, || py.import("humiao._errors").map(Bound::unbind))?;
    Ok(module.bind(py).getattr(name)?.cast_into::<PyType>()?)
}

/// An instance of one of humiao's exception classes, with keyword attributes.
fn raise(
    py: Python<'_>,
    class: &str,
    en: &str,
    zh: &str,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyErr {
    let built = error_class(py, class).and_then(|cls| cls.call((en, zh), kwargs));
    match built {
        Ok(instance) => PyErr::from_value(instance),
        Err(e) => e,
    }
}

/// `HumiaoError`: bad input that is neither a policy nor a case's facts (an `as_of` string,
/// an option value).
pub(crate) fn humiao_error(py: Python<'_>, en: &str, zh: &str) -> PyErr {
    raise(py, "HumiaoError", en, zh, None)
}

/// An exception of class `class` (a subclass of `HumiaoError`) with its two messages.
pub(crate) fn named_error(py: Python<'_>, class: &str, en: &str, zh: &str) -> PyErr {
    raise(py, class, en, zh, None)
}

/// `PolicyError` with its diagnostics.
pub(crate) fn policy_error(
    py: Python<'_>,
    en: &str,
    zh: &str,
    diagnostics: &[Diagnostic],
) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let kwargs = PyDict::new(py);
        kwargs.set_item("diagnostics", diagnostics_list(py, diagnostics)?)?;
        Ok(raise(py, "PolicyError", en, zh, Some(&kwargs)))
    };
    build().unwrap_or_else(|e| e)
}

/// `PolicyError` for a folder that could not be read. The loader's messages are written
/// "english / 中文"; they are split so both attributes are filled.
pub(crate) fn policy_read_error(py: Python<'_>, message: &str) -> PyErr {
    let (en, zh) = message.rsplit_once(" / ").unwrap_or((message, ""));
    policy_error(py, en, zh, &[])
}

/// `FactsError` with every problem, and the case's position in a batch.
pub(crate) fn facts_error(py: Python<'_>, errs: &[FactError], index: Option<usize>) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let (en, zh) = match errs {
            [one] => (
                format!("invalid facts: {}", one.message),
                format!("案件事实有误：{}", one.message_zh),
            ),
            _ => (
                format!("the facts have {} problems; see `errors`", errs.len()),
                format!("案件事实有 {} 处错误，见 `errors`", errs.len()),
            ),
        };
        let (en, zh) = with_index(en, zh, index);
        let kwargs = PyDict::new(py);
        kwargs.set_item("errors", fact_problems(py, errs)?)?;
        kwargs.set_item("index", index)?;
        Ok(raise(py, "FactsError", &en, &zh, Some(&kwargs)))
    };
    build().unwrap_or_else(|e| e)
}

/// `EvaluationError`: a case exceeded its step budget.
pub(crate) fn evaluation_error(py: Python<'_>, e: &EvalError, index: Option<usize>) -> PyErr {
    let (en, zh) = with_index(e.to_string(), e.message_zh(), index);
    with_index_kwarg(py, "EvaluationError", &en, &zh, index)
}

/// `InternalError`: a panic caught at the boundary. It is a bug; the message asks for a report.
pub(crate) fn internal_error(py: Python<'_>, detail: &str, index: Option<usize>) -> PyErr {
    let (en, zh) = with_index(
        format!("internal error in humiao (a bug; please report it with the input): {detail}"),
        "humiao 内部错误（程序缺陷，请连同输入一并报告）".to_string(),
        index,
    );
    with_index_kwarg(py, "InternalError", &en, &zh, index)
}

fn with_index_kwarg(
    py: Python<'_>,
    class: &str,
    en: &str,
    zh: &str,
    index: Option<usize>,
) -> PyErr {
    let kwargs = PyDict::new(py);
    match kwargs.set_item("index", index) {
        Ok(()) => raise(py, class, en, zh, Some(&kwargs)),
        Err(e) => e,
    }
}

fn with_index(en: String, zh: String, index: Option<usize>) -> (String, String) {
    match index {
        Some(i) => (format!("case {i}: {en}"), format!("第 {i} 件：{zh}")),
        None => (en, zh),
    }
}

pub(crate) fn diagnostics_list<'py>(
    py: Python<'py>,
    diagnostics: &[Diagnostic],
) -> PyResult<Bound<'py, PyList>> {
    let cls = types_class(py, "Diagnostic")?;
    let out = PyList::empty(py);
    for d in diagnostics {
        let kwargs = serde_kwargs(py, d)?;
        out.append(cls.call((), Some(&kwargs))?)?;
    }
    Ok(out)
}

fn fact_problems<'py>(py: Python<'py>, errs: &[FactError]) -> PyResult<Bound<'py, PyList>> {
    let cls = types_class(py, "FactProblem")?;
    let out = PyList::empty(py);
    for e in errs {
        let kwargs = serde_kwargs(py, e)?;
        out.append(cls.call((), Some(&kwargs))?)?;
    }
    Ok(out)
}

/// A serde struct as a Python dict of its JSON fields, for a dataclass's keyword arguments.
pub(crate) fn serde_kwargs<'py, T: serde::Serialize>(
    py: Python<'py>,
    value: &T,
) -> PyResult<Bound<'py, PyDict>> {
    let json = serde_json::to_value(value)
        .map_err(|e| internal_error(py, &format!("cannot serialise a value: {e}"), None))?;
    Ok(json_to_py(py, &json)?.cast_into::<PyDict>()?)
}

/// Runs `f`, turning a Rust panic into `humiao.InternalError` so Python never sees a
/// `PanicException` (a `BaseException` that would slip past `except Exception`).
pub(crate) fn guard<T>(py: Python<'_>, f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => Err(internal_error(py, &panic_message(payload.as_ref()), None)),
    }
}

pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_string()
    }
}
