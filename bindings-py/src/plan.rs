//! `Policy.plan`: the monthly supervision rotation, and `humiao.Plan`, the planner's answer.

use crate::convert::{py_to_json, types_class};
use crate::errors::{guard, humiao_error, serde_kwargs};
use humiao_core::plan::{self, Flag, Plan, PlanMonth, Roster};
use humiao_core::planning::RotationError;
use humiao_core::time::{Date, YearMonth};
use humiao_core::Policy;
use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyString};

static JSON_LOADS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// A rotation plan: which streets and communities are supervised in each month, how and why.
///
/// ``to_json()`` is the JSON ``humiao plan --format json`` prints (without the newline);
/// ``to_csv()`` the CSV of ``--format csv``.
#[pyclass(frozen, module = "humiao", name = "Plan")]
pub struct PyPlan {
    inner: Plan,
}

#[pymethods]
impl PyPlan {
    /// The rotation's name.
    #[getter]
    fn rotation(&self) -> String {
        self.inner.rotation.clone()
    }

    /// The first planned month, ``"YYYY-MM"`` (the JSON key ``from``).
    #[getter]
    fn start(&self) -> String {
        self.inner.from.to_string()
    }

    /// The planned months: a list of ``PlanMonth``.
    #[getter]
    fn months<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        guard(py, || {
            let cls = types_class(py, "PlanMonth")?;
            let out = PyList::empty(py);
            for m in &self.inner.months {
                out.append(cls.call_method1("_from_json", (serde_kwargs(py, m)?,))?)?;
            }
            Ok(out)
        })
    }

    /// What the planner did that a reader should know, in English.
    #[getter]
    fn notes(&self) -> Vec<String> {
        self.inner.notes.clone()
    }

    /// The same notes in Chinese, index by index.
    #[getter]
    fn notes_zh(&self) -> Vec<String> {
        self.inner.notes_zh.clone()
    }

    /// The plan as compact JSON, as the CLI prints it.
    fn to_json(&self) -> String {
        plan::to_json(&self.inner)
    }

    /// The plan as Python objects, keys in the JSON's order.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            JSON_LOADS
                .import(py, "json", "loads")?
                .call1((plan::to_json(&self.inner),))
        })
    }

    /// The plan as CSV, one row per visited community.
    fn to_csv(&self) -> String {
        plan::to_csv(&self.inner)
    }

    fn __repr__(&self) -> String {
        format!(
            "<humiao.Plan {} from {}: {} month(s)>",
            self.inner.rotation,
            self.inner.from,
            self.inner.months.len()
        )
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyPlan>()
            .is_ok_and(|o| o.get().inner == self.inner)
    }

    /// Pickles as its JSON.
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        let f = py.import("humiao._humiao")?.getattr("_plan_from_json")?;
        Ok((f, (plan::to_json(&self.inner),)))
    }
}

/// A plan read back from its JSON (for unpickling).
#[pyfunction]
pub(crate) fn _plan_from_json(py: Python<'_>, json: &str) -> PyResult<PyPlan> {
    guard(py, || {
        serde_json::from_str::<Plan>(json)
            .map(|inner| PyPlan { inner })
            .map_err(|e| {
                humiao_error(
                    py,
                    &format!("not a plan's JSON: {e}"),
                    &format!("不是计划的 JSON：{e}"),
                )
            })
    })
}

fn plan_error(py: Python<'_>, en: &str, zh: &str) -> PyErr {
    crate::errors::named_error(py, "PlanError", en, zh)
}

fn rotation_error(py: Python<'_>, e: &RotationError) -> PyErr {
    plan_error(py, &e.to_string(), &e.message_zh())
}

/// The first month: `"2027-01"`, `"2027-01-15"`, a `date` or a `datetime`.
fn start_month(obj: &Bound<'_, PyAny>) -> PyResult<YearMonth> {
    let py = obj.py();
    if let Ok(s) = obj.cast::<PyString>() {
        let text = s.to_cow()?;
        if let Ok(ym) = YearMonth::parse(&text) {
            return Ok(ym);
        }
        return Date::parse(&text).map(YearMonth::of).map_err(|_| {
            humiao_error(
                py,
                &format!("start: `{text}` is not a month: expected YYYY-MM, e.g. 2027-01"),
                &format!("start：`{text}` 不是月份，应为 YYYY-MM 格式，例如 2027-01"),
            )
        });
    }
    if obj.hasattr(intern!(py, "year"))? && obj.hasattr(intern!(py, "month"))? {
        let y: i32 = obj.getattr(intern!(py, "year"))?.extract()?;
        let m: u32 = obj.getattr(intern!(py, "month"))?.extract()?;
        return Date::from_ymd(y, m, 1)
            .map(YearMonth::of)
            .ok_or_else(|| humiao_error(py, "start: month out of range", "start：月份超出范围"));
    }
    Err(PyTypeError::new_err(
        "start must be \"YYYY-MM\", a datetime.date or a datetime.datetime",
    ))
}

/// Past rounds: a `Plan`, JSON-shaped Python data, JSON or CSV text, or a path to a file
/// (`.csv` is read as CSV, anything else as JSON, as the CLI does).
fn history_of(
    py: Python<'_>,
    obj: Option<&Bound<'_, PyAny>>,
    roster: &Roster,
) -> PyResult<Vec<PlanMonth>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(Vec::new());
    };
    let (text, csv) = if let Ok(p) = obj.cast::<PyPlan>() {
        (plan::to_json(&p.get().inner), false)
    } else if let Ok(s) = obj.cast::<PyString>() {
        let t = s.to_cow()?.into_owned();
        let csv = !t.trim_start().starts_with(['[', '{']);
        (t, csv)
    } else if obj.hasattr(intern!(py, "__fspath__"))? {
        let path = crate::convert::fspath(obj)?;
        let t = std::fs::read_to_string(&path).map_err(|e| {
            plan_error(
                py,
                &format!("{}: {e}", path.display()),
                &format!("{}：无法读取", path.display()),
            )
        })?;
        let csv = path
            .extension()
            .is_some_and(|x| x.eq_ignore_ascii_case("csv"));
        (t, csv)
    } else {
        let v = py_to_json(obj).map_err(|e| {
            PyTypeError::new_err(format!(
                "history must be a Plan, a list of months, JSON or CSV text, or a path; at `{}` found {}",
                e.path(),
                e.found
            ))
        })?;
        (v.to_string(), false)
    };
    let parsed = if csv {
        plan::parse_history_csv(&text, roster)
    } else {
        plan::parse_history_json(&text, roster)
    };
    parsed.map_err(|e| {
        plan_error(
            py,
            &format!("history: {e}"),
            &format!("历史记录：{}", e.message_zh()),
        )
    })
}

/// Flags: `{street: reason}`, or street names (no reason), or `(street, reason)` pairs.
fn flags_of(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<Flag>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(Vec::new());
    };
    let bad = || {
        PyTypeError::new_err(
            "flags must be a mapping of street to reason, or a list of streets or (street, reason) pairs",
        )
    };
    let mut out = Vec::new();
    if let Ok(d) = obj.cast::<PyDict>() {
        for (k, v) in d.iter() {
            out.push(Flag {
                street: k.extract().map_err(|_| bad())?,
                reason: v.extract().map_err(|_| bad())?,
            });
        }
        return Ok(out);
    }
    if obj.is_instance_of::<PyString>() {
        return Err(bad());
    }
    for item in obj.try_iter().map_err(|_| bad())? {
        let item = item?;
        if let Ok(street) = item.extract::<String>() {
            out.push(Flag {
                street,
                reason: String::new(),
            });
        } else {
            let (street, reason): (String, String) = item.extract().map_err(|_| bad())?;
            out.push(Flag { street, reason });
        }
    }
    Ok(out)
}

/// `Policy.plan`, called from `policy.rs`.
pub(crate) fn make_plan(
    py: Python<'_>,
    policy: &Policy,
    rotation: &str,
    start: &Bound<'_, PyAny>,
    months: u32,
    history: Option<&Bound<'_, PyAny>>,
    flags: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyPlan> {
    let from = start_month(start)?;
    let (_, roster) = policy
        .rotation(rotation)
        .map_err(|e| rotation_error(py, &e))?;
    let history = history_of(py, history, &roster)?;
    let flags = flags_of(flags)?;
    let made = py.detach(|| policy.plan(rotation, from, months, &history, &flags));
    match made {
        Ok(inner) => Ok(PyPlan { inner }),
        Err(e) => Err(rotation_error(py, &e)),
    }
}
