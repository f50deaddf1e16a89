//! `humiao.Policy`: a checked and compiled policy set, loaded from a folder or from texts, that
//! evaluates cases one at a time, in batches on all cores, or as columns of a table.

use crate::arrow_out::{ArrowBlock, ArrowPlan};
use crate::batch::{
    case_input, for_each_row, par_blocks, par_map_blocks, par_map_stream_blocks, par_map_with,
    row_facts, thread_count, BlockBuffers, CaseInput, Cell, Column, Concluded, ConcludedBlock,
    Outcome, RowResult, RowText, Run,
};
use crate::convert::{as_of_date, fspath, json_to_py, params_of, py_to_json, types_class};
use crate::decision::PyDecision;
use crate::dictread::DictReader;
use crate::errors::{
    diagnostics_list, evaluation_error, facts_error, guard, humiao_error, internal_error,
    policy_error, policy_read_error, serde_kwargs,
};
use crate::table::{ColData, EncodedColumn};
use humiao_core::model::Type;
use humiao_core::{EvalOptions, FactsOptions, LoadOptions, Policy, Severity, Source, Strictness};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::Value;
use std::sync::Arc;

/// A checked and compiled policy set.
///
/// Load one with :meth:`Policy.load` (a folder with ``humiao.toml`` and ``*.humiao`` files) or
/// :meth:`Policy.from_sources` (texts in memory). A policy is immutable and safe to share
/// between threads; it pickles by its sources and params, so it can be sent to worker
/// processes (``multiprocessing``, Dask, Spark).
#[pyclass(frozen, module = "humiao", name = "Policy")]
pub struct PyPolicy {
    inner: Arc<Policy>,
    /// How a batch reads case dicts straight into facts, made at the first batch of dicts.
    dicts: std::sync::OnceLock<Option<DictReader>>,
    /// The params as the caller gave them, for pickling; `None` for a set read from its
    /// compiled bytes, which pickles as those bytes.
    params: Option<Vec<(String, Value)>>,
}

/// How failures of single cases are handled in a batch.
#[derive(Copy, Clone, PartialEq, Eq)]
enum OnError {
    Raise,
    Return,
}

fn on_error_of(py: Python<'_>, s: &str) -> PyResult<OnError> {
    match s {
        "raise" => Ok(OnError::Raise),
        "return" => Ok(OnError::Return),
        other => Err(humiao_error(
            py,
            &format!("on_error must be \"raise\" or \"return\", not {other:?}"),
            &format!("on_error 只能是 \"raise\" 或 \"return\"，而不是 {other:?}"),
        )),
    }
}

fn build(py: Python<'_>, sources: Vec<Source>, params: Vec<(String, Value)>) -> PyResult<PyPolicy> {
    let opts = LoadOptions {
        params: params.clone(),
        ..LoadOptions::default()
    };
    // Checking is pure computation: other Python threads run meanwhile.
    let result = py.detach(|| Policy::from_sources(&sources, &opts));
    match result {
        Ok(p) => Ok(PyPolicy {
            inner: Arc::new(p),
            dicts: std::sync::OnceLock::new(),
            params: Some(params),
        }),
        Err(e) => {
            let errors: Vec<_> = e
                .diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .collect();
            let (en, zh) = match errors.first() {
                Some(first) => (
                    format!(
                        "the policy set has {} error(s); the first: {}:{}:{}: [{}] {}",
                        errors.len(),
                        first.file,
                        first.line,
                        first.column,
                        first.code,
                        first.message
                    ),
                    format!(
                        "政策集有 {} 个错误；第一个：{}:{}:{}: [{}] {}",
                        errors.len(),
                        first.file,
                        first.line,
                        first.column,
                        first.code,
                        first.message_zh
                    ),
                ),
                None => ("the policy set has errors".into(), "政策集有错误".into()),
            };
            Err(policy_error(py, &en, &zh, &e.diagnostics))
        }
    }
}

/// `{path: text}` as sources; `bytes` values must be UTF-8.
fn sources_of(obj: &Bound<'_, PyAny>) -> PyResult<Vec<Source>> {
    let py = obj.py();
    let items = obj.call_method0(intern!(py, "items")).map_err(|_| {
        PyTypeError::new_err(
            "sources must be a mapping of file name to text, e.g. {\"humiao.toml\": \"...\"}",
        )
    })?;
    let mut out = Vec::new();
    for item in items.try_iter()? {
        let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item?.extract()?;
        let path: String = k
            .extract()
            .map_err(|_| PyTypeError::new_err("source file names must be strings"))?;
        let text: String = if let Ok(b) = v.cast::<PyBytes>() {
            String::from_utf8(b.as_bytes().to_vec()).map_err(|e| {
                policy_error(
                    py,
                    &format!(
                        "{path}: not UTF-8 text (byte {})",
                        e.utf8_error().valid_up_to()
                    ),
                    &format!("{path}：不是 UTF-8 文本"),
                    &[],
                )
            })?
        } else {
            v.extract().map_err(|_| {
                PyTypeError::new_err(format!("the text of `{path}` must be str or bytes"))
            })?
        };
        out.push(Source::new(path, text));
    }
    Ok(out)
}

/// The facts argument of `evaluate`: a mapping, or JSON text (`str` or `bytes`). Anything
/// else is a `TypeError`; values inside a mapping that cannot be JSON are facts problems.
fn facts_input(py: Python<'_>, facts: &Bound<'_, PyAny>) -> PyResult<CaseInput> {
    let text = facts.is_instance_of::<PyString>() || facts.is_instance_of::<PyBytes>();
    if !text && !facts.is_instance_of::<PyDict>() && !facts.hasattr(intern!(py, "keys"))? {
        return Err(PyTypeError::new_err(format!(
            "facts must be a dict (or JSON text), not {}",
            facts.get_type().name()?
        )));
    }
    case_input(facts)
}

/// A Python list of results: decisions, or for failed cases the exception (`on_error="return"`)
/// or the first failure raised (`on_error="raise"`).
fn results_list<'py>(
    py: Python<'py>,
    outcomes: Vec<Outcome>,
    on_error: OnError,
) -> PyResult<Bound<'py, PyList>> {
    without_gc(py, || results_list_now(py, outcomes, on_error))
}

fn results_list_now<'py>(
    py: Python<'py>,
    outcomes: Vec<Outcome>,
    on_error: OnError,
) -> PyResult<Bound<'py, PyList>> {
    let out = PyList::empty(py);
    for (i, o) in outcomes.into_iter().enumerate() {
        let item = match decided(py, o, i) {
            Ok(d) => Bound::new(py, PyDecision { inner: d })?.into_any(),
            Err(err) => failure(py, err, on_error)?,
        };
        out.append(item)?;
    }
    Ok(out)
}

/// Case `i`'s decision, or the exception of its failure.
fn decided(py: Python<'_>, o: Outcome, i: usize) -> Result<humiao_core::Decision, PyErr> {
    match o {
        Outcome::Decided(d) => Ok(d),
        Outcome::Facts(errs) => Err(facts_error(py, &errs, Some(i))),
        Outcome::Eval(e) => Err(evaluation_error(py, &e, Some(i))),
        Outcome::Internal(m) => Err(internal_error(py, &m, Some(i))),
    }
}

fn failure<'py>(py: Python<'py>, err: PyErr, on_error: OnError) -> PyResult<Bound<'py, PyAny>> {
    match on_error {
        OnError::Raise => Err(err),
        OnError::Return => Ok(err.into_value(py).into_bound(py).into_any()),
    }
}

/// One cell of a column, read with the fact's declared type in mind, so what pandas does to
/// dates and integers (midnight `Timestamp`s, `12.0` in a column with gaps) reads as meant.
fn cell(py: Python<'_>, v: &Bound<'_, PyAny>, ty: Option<&Type>) -> PyResult<Cell> {
    if v.is_none() {
        return Ok(Cell::Absent);
    }
    if let Ok(f) = v.cast::<PyFloat>() {
        let x = f.value();
        if x.is_nan() {
            return Ok(Cell::Absent);
        }
        if matches!(ty, Some(Type::Int)) && x.fract() == 0.0 && x.abs() < 9.0e15 {
            // Exact: |x| < 2^53, so the conversion is lossless.
            #[allow(clippy::cast_possible_truncation)]
            let i = x as i64;
            return Ok(Cell::Value(Value::from(i)));
        }
    }
    // The common cells first, read as `py_to_json` reads them: exactly `bool`, `str` or an `int`
    // within 64 bits (subclasses, e.g. NumPy's or enums, and everything else take the general way).
    if let Ok(b) = v.cast_exact::<PyBool>() {
        return Ok(Cell::Value(Value::Bool(b.is_true())));
    }
    if let Ok(text) = v.cast_exact::<PyString>().map(|s| s.to_cow()) {
        if let Ok(text) = text {
            return Ok(Cell::Value(Value::String(text.into_owned())));
        }
    } else if let Ok(Ok(i)) = v.cast_exact::<PyInt>().map(|i| i.extract::<i64>()) {
        return Ok(Cell::Value(Value::from(i)));
    }
    if matches!(ty, Some(Type::Date))
        && v.hasattr(intern!(py, "hour"))?
        && v.hasattr(intern!(py, "date"))?
    {
        // A datetime (pandas Timestamp) in a Date column: its date.
        let midnight = v.getattr(intern!(py, "hour"))?.extract::<u32>()? == 0
            && v.getattr(intern!(py, "minute"))?.extract::<u32>()? == 0
            && v.getattr(intern!(py, "second"))?.extract::<u32>()? == 0;
        if midnight {
            let d = v.call_method0(intern!(py, "date"))?;
            return Ok(match py_to_json(&d) {
                Ok(j) => Cell::Value(j),
                Err(e) => Cell::Bad(e.to_fact_error()),
            });
        }
    }
    Ok(match py_to_json(v) {
        Ok(j) => Cell::Value(j),
        Err(e) => Cell::Bad(e.to_fact_error()),
    })
}

impl PyPolicy {
    /// A table's rows (columns as :meth:`evaluate_columns` takes them) evaluated on `threads`
    /// worker threads, one outcome per row.
    fn outcomes_of_columns(
        &self,
        py: Python<'_>,
        columns: &Bound<'_, PyAny>,
        run: &Run<'_>,
        threads: Option<usize>,
    ) -> PyResult<Vec<Outcome>> {
        self.rows_of_columns(py, columns, run, threads, |o| o)
    }

    /// [`PyPolicy::outcomes_of_columns`], each outcome passed through `then` on the worker that
    /// made it.
    fn rows_of_columns<R: Send>(
        &self,
        py: Python<'_>,
        columns: &Bound<'_, PyAny>,
        run: &Run<'_>,
        threads: Option<usize>,
        then: impl Fn(Outcome) -> R + Sync,
    ) -> PyResult<Vec<R>> {
        let (cols, rows) = self.read_columns(py, columns)?;
        let row_text = RowText::new(&cols);
        let reader = self.row_reader(&cols);
        let indexes: Vec<usize> = (0..rows).collect();
        let n = thread_count(threads, rows);
        // Each row straight into the fact slots; a row the row reader hands over as JSON text
        // through the one-pass reader; a row that finds a problem in, or a table whose columns
        // overlap, through `row_facts`.
        let evaluate = |facts: &mut humiao_core::Facts, text: &mut Vec<u8>, r: usize| {
            if let Some(rr) = &reader {
                if run.read_row(rr, &cols, r, facts) {
                    return run.evaluate_facts(facts);
                }
            }
            if let Some(done) = row_text
                .as_ref()
                .and_then(|w| w.write(r, text))
                .and_then(|t| run.evaluate_row_text(t, facts))
            {
                return done;
            }
            match row_facts(&cols, r) {
                Ok(json) => run.evaluate_json(&json),
                Err(e) => Outcome::Facts(vec![e]),
            }
        };
        let outcomes = py.detach(|| {
            par_map_with(
                &indexes,
                n,
                || (humiao_core::Facts::default(), Vec::new()),
                |(facts, text), _, &r| then(evaluate(facts, text, r)),
            )
        });
        outcomes.ok_or_else(|| internal_error(py, "a worker thread was lost", None))
    }

    /// The columns of a table as fact paths and cells, and the number of rows.
    fn read_columns(
        &self,
        py: Python<'_>,
        columns: &Bound<'_, PyAny>,
    ) -> PyResult<(Vec<Column>, usize)> {
        let items = columns.call_method0(intern!(py, "items")).map_err(|_| {
            PyTypeError::new_err("columns must be a mapping of fact path to a sequence of values")
        })?;
        let mut cols: Vec<Column> = Vec::new();
        let mut rows: Option<usize> = None;
        for item in items.try_iter()? {
            let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item?.extract()?;
            let name: String = k
                .extract()
                .map_err(|_| PyTypeError::new_err("column names must be strings (fact paths)"))?;
            let ty = self
                .inner
                .schema
                .fact(&name)
                .and_then(|i| self.inner.schema.facts.get(i))
                .map(|f| f.ty.clone());
            if v.is_instance_of::<PyString>() || v.is_instance_of::<PyBytes>() {
                // A text is iterable, but a column of its characters is never what was meant.
                return Err(PyTypeError::new_err(format!(
                    "column `{name}` must be a sequence of values (one per case), not {}",
                    v.get_type().name()?
                )));
            }
            let data = if let Ok(e) = v.cast::<EncodedColumn>() {
                // Handed over whole by `humiao._table`: each distinct value read once.
                let int_fact = matches!(ty, Some(Type::Int));
                ColData::from_encoded(e.get(), int_fact, |x| cell(py, x.bind(py), ty.as_ref()))?
            } else {
                let mut cells = Vec::new();
                for x in v.try_iter()? {
                    cells.push(cell(py, &x?, ty.as_ref())?);
                }
                ColData::Cells(cells)
            };
            match rows {
                None => rows = Some(data.len()),
                Some(n) if n != data.len() => {
                    return Err(PyValueError::new_err(format!(
                        "column `{name}` has {} values, the others {n}",
                        data.len()
                    )))
                }
                Some(_) => {}
            }
            let segments = name.split('.').map(str::to_string).collect();
            cols.push(Column {
                name,
                segments,
                data,
            });
        }
        Ok((cols, rows.unwrap_or(0)))
    }

    /// `f` over the cases of a batch (an iterable), in input order. On more than one thread the
    /// cases are read (the GIL held) while the ones read are evaluated ([`par_map_stream_blocks`]); on
    /// one, all are read, then evaluated. `None` when a worker thread was lost.
    fn map_cases<R: Send, S>(
        &self,
        py: Python<'_>,
        cases: &Bound<'_, PyAny>,
        run: &Run<'_>,
        threads: Option<usize>,
        init: impl Fn() -> S + Sync,
        f: impl Fn(&mut S, &CaseInput) -> R + Sync,
    ) -> PyResult<Option<Vec<R>>> {
        self.map_case_blocks(py, cases, run, threads, init, |s, block| {
            block.iter().map(|c| f(s, c)).collect()
        })
    }

    /// [`Self::map_cases`] a block of up to 64 cases at a time (one result per case, in
    /// order), for cases evaluated together.
    fn map_case_blocks<R: Send, S>(
        &self,
        py: Python<'_>,
        cases: &Bound<'_, PyAny>,
        run: &Run<'_>,
        threads: Option<usize>,
        init: impl Fn() -> S + Sync,
        f: impl Fn(&mut S, &[CaseInput]) -> Vec<R> + Sync,
    ) -> PyResult<Option<Vec<R>>> {
        let mut iter = cases.try_iter()?;
        let n = thread_count(threads, usize::MAX);
        if n > 1 {
            let next = || {
                iter.next()
                    .map(|item| self.batch_input(&item?, run))
                    .transpose()
            };
            return par_map_stream_blocks(py, next, n, init, f);
        }
        let mut inputs: Vec<CaseInput> = Vec::new();
        for item in iter {
            inputs.push(self.batch_input(&item?, run)?);
        }
        // By reference: what the closure given to `detach` holds must be `Send`.
        let init = &init;
        Ok(py.detach(|| par_map_blocks(&inputs, 1, init, |s, _, block| f(s, block))))
    }

    /// A case of a batch: a dict read straight into its facts where it can be
    /// ([`DictReader`]), anything else as [`case_input`] reads it.
    fn batch_input(&self, item: &Bound<'_, PyAny>, run: &Run<'_>) -> PyResult<CaseInput> {
        if let (Ok(d), Some(reader)) = (item.cast_exact::<PyDict>(), run.dicts) {
            if let Some(row) = reader.read(&self.inner, d, &run.facts) {
                return Ok(CaseInput::Row(row));
            }
        }
        case_input(item)
    }

    /// The core's row reader for these columns: `None` unless every column is a fact a cell
    /// holds (then rows go as JSON text).
    fn row_reader(&self, cols: &[Column]) -> Option<humiao_core::facts::RowReader> {
        let paths: Vec<&str> = cols.iter().map(|c| c.name.as_str()).collect();
        self.inner.row_reader(&paths)
    }

    /// Conclusion keys by name (default: every conclusion, in declaration order) and index.
    fn conclusion_indexes(
        &self,
        py: Python<'_>,
        keys: Option<Vec<String>>,
    ) -> PyResult<(Vec<String>, Vec<usize>)> {
        let all = &self.inner.program.conclusions;
        let names = keys.unwrap_or_else(|| all.iter().map(|c| c.key.clone()).collect());
        let mut indexes = Vec::with_capacity(names.len());
        for k in &names {
            let i = self.inner.conclusion_index(k).ok_or_else(|| {
                humiao_error(
                    py,
                    &format!("the policy set has no conclusion `{k}`"),
                    &format!("政策集没有结论 `{k}`"),
                )
            })?;
            indexes.push(i);
        }
        Ok((names, indexes))
    }

    pub(crate) fn run(
        &self,
        py: Python<'_>,
        as_of: &Bound<'_, PyAny>,
        explain: bool,
        reveal_sensitive: bool,
        lenient: bool,
    ) -> PyResult<Run<'_>> {
        let _ = py;
        Ok(Run {
            policy: &self.inner,
            dicts: self
                .dicts
                .get_or_init(|| DictReader::new(&self.inner))
                .as_ref(),
            as_of: as_of_date(as_of)?,
            eval: EvalOptions {
                explain,
                reveal_sensitive,
                ..EvalOptions::default()
            },
            facts: FactsOptions {
                strictness: if lenient {
                    Strictness::Lenient
                } else {
                    Strictness::Strict
                },
                ..FactsOptions::default()
            },
        })
    }
}

#[pymethods]
impl PyPolicy {
    /// Loads the policy set in folder ``path``: ``humiao.toml``, every ``*.humiao`` file and the
    /// data files the manifest names, exactly as ``humiao eval DIR`` does.
    ///
    /// ``params`` overrides public params by name, like ``--param``:
    /// ``{"reporting.late_after": "48 hours"}``. Raises :class:`PolicyError` with every
    /// diagnostic when the set has errors or the folder cannot be read.
    #[staticmethod]
    #[pyo3(signature = (path, params=None))]
    fn load(
        py: Python<'_>,
        path: &Bound<'_, PyAny>,
        params: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyPolicy> {
        guard(py, || {
            let dir = fspath(path)?;
            let params = params_of(params)?;
            let sources = py
                .detach(|| humiao_cli::load::read_policy_dir(&dir))
                .map_err(|m| policy_read_error(py, &m))?;
            build(py, sources, params)
        })
    }

    /// Builds a policy set from texts in memory: ``{"humiao.toml": "...", "reporting.humiao":
    /// "...", "yuexiu-roster.csv": "..."}``. Gives the same digest as loading a folder with the
    /// same files. ``params`` as in :meth:`load`.
    #[staticmethod]
    #[pyo3(signature = (sources, params=None))]
    fn from_sources(
        py: Python<'_>,
        sources: &Bound<'_, PyAny>,
        params: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyPolicy> {
        guard(py, || {
            let sources = sources_of(sources)?;
            let params = params_of(params)?;
            build(py, sources, params)
        })
    }

    /// Reads a set compiled by :meth:`to_bytes`, without parsing or checking it again. The
    /// bytes are read only by the humiao version that wrote them; bytes of another version, or
    /// damaged ones, raise :class:`HumiaoError` saying so.
    #[staticmethod]
    fn from_bytes(py: Python<'_>, data: &[u8]) -> PyResult<PyPolicy> {
        guard(py, || {
            let p = py
                .detach(|| Policy::from_bytes(data))
                .map_err(|e| humiao_error(py, &e.to_string(), &e.message_zh()))?;
            Ok(PyPolicy {
                inner: Arc::new(p),
                dicts: std::sync::OnceLock::new(),
                params: None,
            })
        })
    }

    /// The checked and compiled set as bytes, for :meth:`from_bytes`: compile once, load many
    /// times (same humiao version).
    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        guard(py, || {
            let bytes = py
                .detach(|| self.inner.to_bytes())
                .map_err(|e| internal_error(py, &e.to_string(), None))?;
            Ok(PyBytes::new(py, &bytes))
        })
    }

    /// The manifest's ``name`` (``yuexiu``).
    #[getter]
    fn name(&self) -> String {
        self.inner.name.clone()
    }

    /// The manifest's ``version`` (``2026.1``).
    #[getter]
    fn version(&self) -> String {
        self.inner.version.clone()
    }

    /// ``sha256:…`` over the manifest, every file of the set and the effective params.
    #[getter]
    fn digest(&self) -> String {
        self.inner.digest.clone()
    }

    /// The public params with their effective values and provenance: a list of ``Param``.
    #[getter]
    fn params<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        guard(py, || {
            let cls = types_class(py, "Param")?;
            let out = PyList::empty(py);
            for p in self.inner.params() {
                let kwargs = PyDict::new(py);
                kwargs.set_item("key", &p.key)?;
                kwargs.set_item("value", &p.text)?;
                kwargs.set_item("unconfirmed", &p.unconfirmed)?;
                kwargs.set_item("source", &p.source)?;
                kwargs.set_item("overridden", p.overridden)?;
                out.append(cls.call((), Some(&kwargs))?)?;
            }
            Ok(out)
        })
    }

    /// The files of the set as given, ``{path: text}``.
    #[getter]
    fn sources<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let out = PyDict::new(py);
        for s in &self.inner.sources {
            out.set_item(&s.path, &s.text)?;
        }
        Ok(out)
    }

    /// The warnings and notes found when the set was checked (a set with errors does not load:
    /// those come with :class:`PolicyError`). A list of ``Diagnostic``.
    fn check<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        guard(py, || diagnostics_list(py, &self.inner.diagnostics))
    }

    /// Runs the tests written inside the policy files, decision and plan tests alike, as
    /// ``humiao test`` does.
    fn run_tests<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let policy = Arc::clone(&self.inner);
            let report = py.detach(move || policy.run_tests());
            let d = serde_kwargs(py, &report)?;
            types_class(py, "TestReport")?.call_method1("_from_json", (d,))
        })
    }

    /// Evaluates one case.
    ///
    /// ``facts`` is a dict of nested objects shaped as the contract says (or the same as JSON
    /// text); ``date`` and ``datetime`` values are accepted and written as ISO text.
    /// ``as_of`` is the date the decision is made for: a ``date``, a ``datetime`` (an aware
    /// one is taken in +08:00) or ``"YYYY-MM-DD"``. ``explain`` adds the trace;
    /// ``reveal_sensitive`` shows ``@sensitive`` values in it; ``lenient`` makes unknown fields
    /// warnings (notes) instead of errors.
    ///
    /// Raises :class:`FactsError` listing every problem with the facts, :class:`HumiaoError`
    /// for a malformed ``as_of`` and :class:`TypeError` for arguments of the wrong type.
    #[pyo3(signature = (facts, as_of, explain=false, *, reveal_sensitive=false, lenient=false))]
    fn evaluate(
        &self,
        py: Python<'_>,
        facts: &Bound<'_, PyAny>,
        as_of: &Bound<'_, PyAny>,
        explain: bool,
        reveal_sensitive: bool,
        lenient: bool,
    ) -> PyResult<PyDecision> {
        guard(py, || {
            let run = self.run(py, as_of, explain, reveal_sensitive, lenient)?;
            // A dict is read straight into facts as a batch reads it (the JSON way only for what
            // that cannot take exactly), not written out as JSON text first.
            let input = if facts.is_exact_instance_of::<PyDict>() {
                self.batch_input(facts, &run)?
            } else {
                facts_input(py, facts)?
            };
            match py.detach(|| run.evaluate_input(&input)) {
                Outcome::Decided(d) => Ok(PyDecision { inner: d }),
                Outcome::Facts(errs) => Err(facts_error(py, &errs, None)),
                Outcome::Eval(e) => Err(evaluation_error(py, &e, None)),
                Outcome::Internal(m) => Err(internal_error(py, &m, None)),
            }
        })
    }

    /// Evaluates many cases on ``threads`` threads (default: one per core), with the GIL
    /// released, and returns the decisions in input order.
    ///
    /// Each case is a dict or JSON text (``str`` or ``bytes``, e.g. lines of a JSON Lines
    /// file; text is parsed on the worker threads). With ``on_error="raise"`` (the default) the
    /// first failing case raises its :class:`FactsError` (its ``index`` says which case); with
    /// ``on_error="return"`` the exception takes the case's place in the list and the rest go on.
    #[pyo3(signature = (cases, as_of, threads=None, *, explain=false, reveal_sensitive=false, lenient=false, on_error="raise"))]
    #[allow(clippy::too_many_arguments)]
    fn evaluate_many<'py>(
        &self,
        py: Python<'py>,
        cases: &Bound<'py, PyAny>,
        as_of: &Bound<'py, PyAny>,
        threads: Option<usize>,
        explain: bool,
        reveal_sensitive: bool,
        lenient: bool,
        on_error: &str,
    ) -> PyResult<Bound<'py, PyList>> {
        guard(py, || {
            let on_error = on_error_of(py, on_error)?;
            let run = self.run(py, as_of, explain, reveal_sensitive, lenient)?;
            check_threads(py, threads)?;
            if cases.is_instance_of::<PyDict>() || cases.is_instance_of::<PyString>() {
                return Err(PyTypeError::new_err(
                    "evaluate_many takes an iterable of cases (dicts or JSON texts); for one case use evaluate",
                ));
            }
            let outcomes = self.map_cases(
                py,
                cases,
                &run,
                threads,
                humiao_core::Facts::default,
                |f, c| run.evaluate_input_with(c, f),
            )?;
            let outcomes =
                outcomes.ok_or_else(|| internal_error(py, "a worker thread was lost", None))?;
            results_list(py, outcomes, on_error)
        })
    }

    /// Evaluates a table given as columns: ``{"discovered_at": [...], "minor.birth_date":
    /// [...], ...}``, each column a fact path and a sequence of values of equal length.
    ///
    /// ``None`` and ``NaN`` mean the fact is absent in that row (so a row with no value in any
    /// column of an optional section has no such section). A column may also hold whole
    /// sections or lists (``parents``). Rows are assembled and evaluated in Rust, in parallel;
    /// options as in :meth:`evaluate_many`.
    #[pyo3(signature = (columns, as_of, threads=None, *, explain=false, reveal_sensitive=false, lenient=false, on_error="raise"))]
    #[allow(clippy::too_many_arguments)]
    fn evaluate_columns<'py>(
        &self,
        py: Python<'py>,
        columns: &Bound<'py, PyAny>,
        as_of: &Bound<'py, PyAny>,
        threads: Option<usize>,
        explain: bool,
        reveal_sensitive: bool,
        lenient: bool,
        on_error: &str,
    ) -> PyResult<Bound<'py, PyList>> {
        guard(py, || {
            let on_error = on_error_of(py, on_error)?;
            let run = self.run(py, as_of, explain, reveal_sensitive, lenient)?;
            check_threads(py, threads)?;
            let outcomes = self.outcomes_of_columns(py, columns, &run, threads)?;
            results_list(py, outcomes, on_error)
        })
    }

    /// :meth:`evaluate_table`'s columns for a pyarrow result, from the decisions without a
    /// Python object per row (see ``columns.rs``, `decision_arrow`): ``humiao._table`` makes
    /// them into arrays.
    #[pyo3(signature = (columns, as_of, threads=None, *, explain=false, reveal_sensitive=false, lenient=false, on_error="raise"))]
    #[allow(clippy::too_many_arguments)]
    fn _decision_arrow<'py>(
        &self,
        py: Python<'py>,
        columns: &Bound<'py, PyAny>,
        as_of: &Bound<'py, PyAny>,
        threads: Option<usize>,
        explain: bool,
        reveal_sensitive: bool,
        lenient: bool,
        on_error: &str,
    ) -> PyResult<Bound<'py, PyDict>> {
        guard(py, || {
            let on_error = on_error_of(py, on_error)?;
            let run = self.run(py, as_of, explain, reveal_sensitive, lenient)?;
            check_threads(py, threads)?;
            // Each decision taken apart on the worker that made it (its JSON written there).
            let outcomes = self.rows_of_columns(py, columns, &run, threads, |o| match o {
                Outcome::Decided(d) => Ok(crate::columns::RowParts::of(d)),
                other => Err(Box::new(other)),
            })?;
            // A failure raises (the first), or is its exception's message in `error`, as
            // evaluate_columns and `_decision_columns` give them.
            let mut errors = Vec::with_capacity(outcomes.len());
            let mut rows = Vec::with_capacity(outcomes.len());
            for (i, o) in outcomes.into_iter().enumerate() {
                let failed = match o {
                    Ok(parts) => {
                        rows.push(Some(parts));
                        errors.push(None);
                        continue;
                    }
                    Err(failed) => *failed,
                };
                let err = match decided(py, failed, i) {
                    Ok(_) => internal_error(py, "a decision not taken apart", Some(i)),
                    Err(e) => e,
                };
                let value = failure(py, err, on_error)?;
                errors.push(Some(value.str()?.to_cow()?.into_owned()));
                rows.push(None);
            }
            let with_errors = matches!(on_error, OnError::Return);
            crate::columns::decision_arrow(py, rows, with_errors.then_some(errors))
        })
    }
    /// Evaluates a pandas ``DataFrame`` or a pyarrow ``Table`` whose columns are fact paths
    /// (see :meth:`evaluate_columns`) and returns a table of the same kind, one row per case:
    /// ``case_id``, ``status``, one column per conclusion (named by its key), ``obligations``
    /// (ids), ``undecided``, ``missing`` (fact paths), ``fired``, ``decision`` (the JSON, as
    /// the CLI prints it) and, with ``on_error="return"``, ``error``. A pandas result keeps
    /// the input's index.
    #[pyo3(signature = (table, as_of, threads=None, *, explain=false, reveal_sensitive=false, lenient=false, on_error="raise"))]
    #[allow(clippy::too_many_arguments)]
    fn evaluate_table<'py>(
        slf: &Bound<'py, Self>,
        table: &Bound<'py, PyAny>,
        as_of: &Bound<'py, PyAny>,
        threads: Option<usize>,
        explain: bool,
        reveal_sensitive: bool,
        lenient: bool,
        on_error: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        guard(py, || {
            let kwargs = PyDict::new(py);
            kwargs.set_item("threads", threads)?;
            kwargs.set_item("explain", explain)?;
            kwargs.set_item("reveal_sensitive", reveal_sensitive)?;
            kwargs.set_item("lenient", lenient)?;
            kwargs.set_item("on_error", on_error)?;
            py.import("humiao._table")?
                .getattr("evaluate_table")?
                .call((slf, table, as_of), Some(&kwargs))
        })
    }

    /// Evaluate only: the conclusions of many cases, without building their decisions.
    ///
    /// ``cases`` as in :meth:`evaluate_many` (dicts or JSON text). Returns columns, one list
    /// per name, in input order: ``settled`` (every conclusion settled: no fact it needs is
    /// missing and no rules conflict) and one per conclusion key in ``keys`` (default: every
    /// conclusion of the set), with the value the decision's ``conclusions`` would give
    /// (``None`` where it has none or is undecided); with ``on_error="return"`` also ``error`` (the exception
    /// of a failed case, whose other cells are ``None``). Obligations, due times, citations,
    /// assumptions and the decision's JSON are not made: for reading a few conclusions of
    /// many cases, this is the fast path.
    #[pyo3(signature = (cases, as_of, keys=None, threads=None, *, lenient=false, on_error="raise"))]
    #[allow(clippy::too_many_arguments)]
    fn evaluate_outcomes<'py>(
        &self,
        py: Python<'py>,
        cases: &Bound<'py, PyAny>,
        as_of: &Bound<'py, PyAny>,
        keys: Option<Vec<String>>,
        threads: Option<usize>,
        lenient: bool,
        on_error: &str,
    ) -> PyResult<Bound<'py, PyDict>> {
        guard(py, || {
            let on_error = on_error_of(py, on_error)?;
            let run = self.run(py, as_of, false, false, lenient)?;
            check_threads(py, threads)?;
            let (names, indexes) = self.conclusion_indexes(py, keys)?;
            if cases.is_instance_of::<PyDict>() || cases.is_instance_of::<PyString>() {
                return Err(PyTypeError::new_err(
                    "evaluate_outcomes takes an iterable of cases (dicts or JSON texts); for a table use outcome_table",
                ));
            }
            let results = self.map_case_blocks(
                py,
                cases,
                &run,
                threads,
                BlockBuffers::default,
                |st, block| run.conclude_inputs(block, &indexes, st),
            )?;
            let results =
                results.ok_or_else(|| internal_error(py, "a worker thread was lost", None))?;
            let blocks = ConcludedBlock::of_rows(results, indexes.len());
            concluded_columns(py, &self.inner, &names, &indexes, blocks, on_error)
        })
    }

    /// :meth:`evaluate_outcomes` over a table given as columns (``{fact path: sequence}``,
    /// read as in :meth:`evaluate_columns`): the conclusions as columns, without decisions.
    #[pyo3(signature = (columns, as_of, keys=None, threads=None, *, lenient=false, on_error="raise"))]
    #[allow(clippy::too_many_arguments)]
    fn outcome_columns<'py>(
        &self,
        py: Python<'py>,
        columns: &Bound<'py, PyAny>,
        as_of: &Bound<'py, PyAny>,
        keys: Option<Vec<String>>,
        threads: Option<usize>,
        lenient: bool,
        on_error: &str,
    ) -> PyResult<Bound<'py, PyDict>> {
        guard(py, || {
            let on_error = on_error_of(py, on_error)?;
            let (names, indexes, results, _) =
                self.outcome_results(py, columns, as_of, keys, threads, lenient, None)?;
            concluded_columns(py, &self.inner, &names, &indexes, results, on_error)
        })
    }

    /// :meth:`outcome_columns` for `outcome_table` of a pyarrow table: each column as
    /// Arrow's buffers where its values allow (``crate::arrow_out``), made into arrays by
    /// ``humiao._table`` without a Python object per cell.
    #[pyo3(signature = (columns, as_of, keys=None, threads=None, *, lenient=false, on_error="raise", sets=true))]
    #[allow(clippy::too_many_arguments)]
    fn _outcome_arrow<'py>(
        &self,
        py: Python<'py>,
        columns: &Bound<'py, PyAny>,
        as_of: &Bound<'py, PyAny>,
        keys: Option<Vec<String>>,
        threads: Option<usize>,
        lenient: bool,
        on_error: &str,
        sets: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        guard(py, || {
            let on_error = on_error_of(py, on_error)?;
            let (names, indexes, results, arrow) =
                self.outcome_results(py, columns, as_of, keys, threads, lenient, Some(sets))?;
            let (plan, arrows) = arrow.ok_or_else(|| internal_error(py, "no Arrow plan", None))?;
            crate::arrow_out::arrow_columns(
                py,
                &self.inner,
                &plan,
                &names,
                &indexes,
                results,
                &arrows,
                on_error == OnError::Return,
                |py, i, o| failure(py, concluded_error(py, i, o), on_error),
            )
        })
    }
    /// Evaluate only over a pandas ``DataFrame`` or a pyarrow ``Table`` (columns are fact
    /// paths, as in :meth:`evaluate_table`): a table of the same kind, one row per case, with
    /// the columns of :meth:`evaluate_outcomes` (``settled``, one per conclusion in ``keys``,
    /// and ``error`` with ``on_error="return"``). A pandas result keeps the input's index.
    /// A pandas result's sets are Python lists (``sets="lists"``, the default) or a
    /// ``list<string>[pyarrow]`` column (``sets="arrow"``: no Python object per row, a missing
    /// set is ``<NA>``); a pyarrow result's are Arrow lists.
    #[pyo3(signature = (table, as_of, keys=None, threads=None, *, lenient=false, on_error="raise", sets=None))]
    #[allow(clippy::too_many_arguments)]
    fn outcome_table<'py>(
        slf: &Bound<'py, Self>,
        table: &Bound<'py, PyAny>,
        as_of: &Bound<'py, PyAny>,
        keys: Option<Vec<String>>,
        threads: Option<usize>,
        lenient: bool,
        on_error: &str,
        sets: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        guard(py, || {
            let kwargs = PyDict::new(py);
            kwargs.set_item("keys", keys)?;
            kwargs.set_item("threads", threads)?;
            kwargs.set_item("lenient", lenient)?;
            kwargs.set_item("on_error", on_error)?;
            kwargs.set_item("sets", sets)?;
            py.import("humiao._table")?
                .getattr("outcome_table")?
                .call((slf, table, as_of), Some(&kwargs))
        })
    }

    /// Plans ``months`` months of the supervision rotation ``rotation`` from ``start``
    /// (``"2027-01"``, or a ``date``/``datetime`` in that month), continuing ``history``.
    ///
    /// ``history`` is past rounds: a :class:`Plan`, the plan JSON as Python data or text, a
    /// CSV text ``month,street,community``, or a path to such a file (``.csv`` read as CSV).
    /// ``flags`` puts streets into the first month: ``{"流花街道": "红色风险儿童"}``, or a
    /// list of streets or ``(street, reason)`` pairs. Raises :class:`PlanError`.
    #[pyo3(signature = (rotation, start, months=1, history=None, flags=None))]
    fn plan(
        &self,
        py: Python<'_>,
        rotation: &str,
        start: &Bound<'_, PyAny>,
        months: u32,
        history: Option<&Bound<'_, PyAny>>,
        flags: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<crate::plan::PyPlan> {
        guard(py, || {
            crate::plan::make_plan(py, &self.inner, rotation, start, months, history, flags)
        })
    }

    /// The names of the rotations the set declares.
    #[getter]
    fn rotations(&self) -> Vec<String> {
        self.inner.rotation_names()
    }

    /// The conclusion keys of the set, in declaration order.
    #[getter]
    fn conclusion_keys(&self) -> Vec<String> {
        self.inner
            .program
            .conclusions
            .iter()
            .map(|c| c.key.clone())
            .collect()
    }

    fn __repr__(&self) -> String {
        format!(
            "<humiao.Policy {} {} {}>",
            self.inner.name, self.inner.version, self.inner.digest
        )
    }

    /// Pickles by sources and params: unpickling checks and compiles the set again, so the
    /// copy is equal, with the same digest. A set read with :meth:`from_bytes` pickles as its
    /// bytes.
    fn __reduce__<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let Some(params) = &self.params else {
            let f = py.import("humiao._humiao")?.getattr("_policy_from_bytes")?;
            let bytes = self
                .inner
                .to_bytes()
                .map_err(|e| internal_error(py, &e.to_string(), None))?;
            let args = PyTuple::new(py, [PyBytes::new(py, &bytes).into_any()])?;
            return Ok((f, args));
        };
        let f = py.import("humiao._humiao")?.getattr("_policy_from_state")?;
        let sources = PyList::empty(py);
        for s in &self.inner.sources {
            sources.append((s.path.as_str(), s.text.as_str()))?;
        }
        let params = serde_json::to_string(params)
            .map_err(|e| internal_error(py, &format!("cannot serialise params: {e}"), None))?;
        let args = PyTuple::new(
            py,
            [sources.into_any(), PyString::new(py, &params).into_any()],
        )?;
        Ok((f, args))
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyPolicy>()
            .is_ok_and(|o| o.get().inner.digest == self.inner.digest)
    }

    fn __hash__(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.inner.digest.hash(&mut h);
        h.finish()
    }
}

impl PyPolicy {
    /// The conclusions of a table's rows (see :meth:`outcome_columns`): the keys' names and
    /// indexes, and one result per row; with `sets` (an Arrow result asked for, see
    /// `ArrowPlan::new`), each block's part of the Arrow columns too.
    #[allow(clippy::too_many_arguments)]
    fn outcome_results(
        &self,
        py: Python<'_>,
        columns: &Bound<'_, PyAny>,
        as_of: &Bound<'_, PyAny>,
        keys: Option<Vec<String>>,
        threads: Option<usize>,
        lenient: bool,
        sets: Option<bool>,
    ) -> PyResult<OutcomeResults<'_>> {
        {
            let run = self.run(py, as_of, false, false, lenient)?;
            check_threads(py, threads)?;
            let (names, indexes) = self.conclusion_indexes(py, keys)?;
            let (cols, rows) = self.read_columns(py, columns)?;
            let row_text = RowText::new(&cols);
            let reader = self.row_reader(&cols);
            let rows_index: Vec<usize> = (0..rows).collect();
            let n = thread_count(threads, rows);
            let resolving = reader.as_ref().map(|rr| run.resolve_columns(rr, &cols));
            let plan = sets.map(|sets| ArrowPlan::new(&self.inner, &indexes, sets));
            // Rows the row reader reads (a block's column by column) are evaluated 64 at a
            // time straight from the columns (`evaluate_rows`); the others one by one, the
            // ways they always took.
            let results = py.detach(|| {
                par_blocks(&rows_index, n, BlockBuffers::default, |st, _, block| {
                    let mut results: Vec<Option<Concluded>> = Vec::with_capacity(block.len());
                    let mut read = 0u64;
                    let contiguous = block
                        .first()
                        .filter(|&&s| block.last() == Some(&(s + block.len() - 1)));
                    if let (Some(rr), Some(how), Some(&start)) = (&reader, &resolving, contiguous) {
                        read = run.read_rows(
                            rr,
                            &cols,
                            how,
                            start,
                            block.len(),
                            &mut st.rows,
                            &mut st.texts,
                        );
                    }
                    for (i, &r) in block.iter().enumerate() {
                        if read >> i & 1 == 1 {
                            results.push(None);
                            continue;
                        }
                        let bufs = &mut st.one;
                        if let Some(done) = row_text
                            .as_ref()
                            .and_then(|w| w.write(r, &mut st.text))
                            .and_then(|t| run.conclude_row_text(t, &indexes, bufs))
                        {
                            results.push(Some(done));
                            continue;
                        }
                        results.push(Some(match row_facts(&cols, r) {
                            Ok(json) => run.conclude_json(&json, &indexes, &mut bufs.out),
                            Err(e) => Concluded::Failed(Box::new(Outcome::Facts(vec![e]))),
                        }));
                    }
                    let mut done = std::mem::take(&mut st.done);
                    // A block whose rows were all decided together has its Arrow parts
                    // written straight from the lanes' masks, with no value per row.
                    let mut arrow = ArrowBlock::default();
                    let mut laid = false;
                    let rows = block.len();
                    run.finish_rows(results, read, &indexes, st, &mut done, |b| {
                        laid = plan.as_ref().is_some_and(|p| {
                            p.block_of_batch(b, &indexes, rows, &mut arrow).is_some()
                        });
                        laid
                    });
                    let Some(p) = &plan else {
                        return (done, None);
                    };
                    // The block's part of each Arrow column, written here on the worker. The
                    // values are handed on only where a column or a failed row needs them.
                    if !laid {
                        arrow = p.block(&done);
                    }
                    if arrow.needs_values() || !done.failed.is_empty() {
                        return (done, Some(arrow));
                    }
                    let rows = ConcludedBlock {
                        settled: done.settled.clone(),
                        ..ConcludedBlock::default()
                    };
                    st.done = done;
                    (rows, Some(arrow))
                })
            });
            let blocks =
                results.ok_or_else(|| internal_error(py, "a worker thread was lost", None))?;
            let (results, arrows): (Vec<ConcludedBlock>, Vec<Option<ArrowBlock>>) =
                blocks.into_iter().unzip();
            let arrow = plan.map(|p| (p, arrows.into_iter().flatten().collect()));
            Ok((names, indexes, results, arrow))
        }
    }
}

/// `outcome_results`: the asked keys' names and conclusion indexes, the blocks' results, and
/// with an Arrow layout asked for, the layout and each block's part of the columns.
type OutcomeResults<'p> = (
    Vec<String>,
    Vec<usize>,
    Vec<ConcludedBlock>,
    Option<(ArrowPlan<'p>, Vec<ArrowBlock>)>,
);

/// The columns of `evaluate_outcomes`: `settled`, one per conclusion key, and `error` with
/// `on_error="return"` (with `"raise"`, the first failure is raised, its `index` saying which).
fn concluded_columns<'py>(
    py: Python<'py>,
    policy: &humiao_core::Policy,
    names: &[String],
    indexes: &[usize],
    results: Vec<ConcludedBlock>,
    on_error: OnError,
) -> PyResult<Bound<'py, PyDict>> {
    without_gc(py, || {
        concluded_columns_now(py, policy, names, indexes, results, on_error)
    })
}

/// Conclusions' values made into what `decision.conclusions[key]` gives, one converter per
/// key: an enum's values (most conclusions) and a set's members are Python strings, immutable,
/// each made once per key and shared by the rows; a set is a new list of them per row; other
/// values go through their JSON form.
pub(crate) struct ConclusionCells<'py, 'p> {
    keys: Vec<(humiao_core::model::Type, Vec<Option<Bound<'py, PyAny>>>)>,
    schema: &'p humiao_core::model::Schema,
}

impl<'py, 'p> ConclusionCells<'py, 'p> {
    pub(crate) fn new(policy: &'p humiao_core::Policy, indexes: &[usize]) -> Self {
        let conclusions = &policy.program.conclusions;
        ConclusionCells {
            keys: indexes
                .iter()
                .map(|&i| {
                    let ty = conclusions
                        .get(i)
                        .map_or(humiao_core::model::Type::Bool, |c| c.ty.clone());
                    (ty, Vec::new())
                })
                .collect(),
            schema: &policy.schema,
        }
    }

    /// Key `k`'s value `v` as Python data (`None` for unknown).
    pub(crate) fn cell(
        &mut self,
        py: Python<'py>,
        k: usize,
        v: &humiao_core::model::Value,
    ) -> PyResult<Bound<'py, PyAny>> {
        use humiao_core::model::{Type, Value as V};
        let Some((ty, names)) = self.keys.get_mut(k) else {
            return Ok(py.None().into_bound(py));
        };
        let schema = self.schema;
        let mut name = |i: u16, id| -> Bound<'py, PyAny> {
            let i = usize::from(i);
            if names.len() <= i {
                names.resize(i + 1, None);
            }
            match names.get_mut(i) {
                Some(Some(o)) => o.clone(),
                Some(slot) => {
                    let text =
                        schema
                            .enum_def(id)
                            .map_or("?", |e: &humiao_core::model::EnumDef| {
                                e.name_of(u16::try_from(i).unwrap_or(u16::MAX))
                            });
                    let o = PyString::new(py, text).into_any();
                    *slot = Some(o.clone());
                    o
                }
                None => PyString::new(py, "?").into_any(),
            }
        };
        Ok(match (v, &*ty) {
            (V::Unknown, _) => py.None().into_bound(py),
            (V::Bool(b), _) => PyBool::new(py, *b).to_owned().into_any(),
            (V::Enum(i), Type::Enum(id)) => name(*i, *id),
            (V::Set { bits, .. }, Type::Set(id) | Type::Enum(id)) => {
                let id = *id;
                let list = PyList::empty(py);
                let mut rest = *bits;
                while rest != 0 {
                    let i = rest.trailing_zeros() as u16;
                    rest &= rest - 1;
                    list.append(name(i, id))?;
                }
                list.into_any()
            }
            (v, ty) => json_to_py(py, &schema.to_json(ty, v))?,
        })
    }
}

/// Runs `f` (which builds result objects while holding the GIL) with Python's cyclic garbage
/// collector paused, as it was before afterwards: also when `f` fails or panics (the guard's
/// `Drop` turns it back on while unwinding). The lists a batch's results are made of hold no
/// cycles, but each one counts towards the collector's next pass, and a pass walks every
/// tracked object of the process (the caller's own cases and tables among them): with 30,000
/// cases of the workload alive, building their conclusion columns took ~12 µs of CPU per case
/// with the collector running and ~3 µs with it paused (docs/performance.md). Only the
/// building of results is wrapped; it runs Python code only to make the exception objects of
/// failed cases, during which another Python thread may run and would find the collector
/// paused for that moment.
pub(crate) fn without_gc<T>(py: Python<'_>, f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    struct Resume<'py>(Option<Bound<'py, PyAny>>);
    impl Drop for Resume<'_> {
        fn drop(&mut self) {
            if let Some(gc) = self.0.take() {
                // Nothing to report it to from here; `gc.enable()` does not fail in practice.
                let _ = gc.call_method0(intern!(gc.py(), "enable"));
            }
        }
    }
    let gc = py.import(intern!(py, "gc"))?.into_any();
    let paused = if gc.call_method0(intern!(py, "isenabled"))?.is_truthy()? {
        gc.call_method0(intern!(py, "disable"))?;
        Resume(Some(gc))
    } else {
        Resume(None)
    };
    let result = f();
    drop(paused);
    result
}

fn concluded_columns_now<'py>(
    py: Python<'py>,
    policy: &humiao_core::Policy,
    names: &[String],
    indexes: &[usize],
    results: Vec<ConcludedBlock>,
    on_error: OnError,
) -> PyResult<Bound<'py, PyDict>> {
    let settled = PyList::empty(py);
    let columns: Vec<Bound<'py, PyList>> = names.iter().map(|_| PyList::empty(py)).collect();
    let errors = PyList::empty(py);
    let mut cells = ConclusionCells::new(policy, indexes);
    for_each_row(results, indexes.len(), |i, r| -> PyResult<()> {
        match r {
            RowResult::Done(s, values) => {
                settled.append(s)?;
                for (k, (col, v)) in columns.iter().zip(values).enumerate() {
                    col.append(cells.cell(py, k, v)?)?;
                }
                errors.append(py.None())?;
            }
            RowResult::Failed(o) => {
                let err = failure(py, concluded_error(py, i, *o), on_error)?;
                settled.append(py.None())?;
                for col in &columns {
                    col.append(py.None())?;
                }
                errors.append(err)?;
            }
        }
        Ok(())
    })?;
    let out = PyDict::new(py);
    out.set_item("settled", settled)?;
    for (k, col) in names.iter().zip(columns) {
        out.set_item(k, col)?;
    }
    if on_error == OnError::Return {
        out.set_item("error", errors)?;
    }
    Ok(out)
}

/// The exception of row `i`'s failure.
fn concluded_error(py: Python<'_>, i: usize, o: Outcome) -> PyErr {
    match o {
        Outcome::Facts(errs) => facts_error(py, &errs, Some(i)),
        Outcome::Eval(e) => evaluation_error(py, &e, Some(i)),
        Outcome::Internal(m) => internal_error(py, &m, Some(i)),
        Outcome::Decided(_) => internal_error(py, "a decision where none was asked", Some(i)),
    }
}

fn check_threads(py: Python<'_>, threads: Option<usize>) -> PyResult<()> {
    if threads == Some(0) {
        return Err(humiao_error(
            py,
            "threads must be at least 1",
            "threads 至少为 1",
        ));
    }
    if let Some(n) = threads.filter(|&n| n > crate::batch::MAX_THREADS) {
        return Err(humiao_error(
            py,
            &format!(
                "threads={n}: at most {} (None: one per core)",
                crate::batch::MAX_THREADS
            ),
            &format!(
                "threads={n}：最多为 {}（None 表示每个核一个线程）",
                crate::batch::MAX_THREADS
            ),
        ));
    }
    Ok(())
}

/// Unpickles a set read from its compiled bytes.
#[pyfunction]
pub(crate) fn _policy_from_bytes(py: Python<'_>, data: &[u8]) -> PyResult<PyPolicy> {
    PyPolicy::from_bytes(py, data)
}

/// A policy rebuilt from pickled state: `[(path, text)]` and the params as JSON.
#[pyfunction]
pub(crate) fn _policy_from_state(
    py: Python<'_>,
    sources: Vec<(String, String)>,
    params: &str,
) -> PyResult<PyPolicy> {
    guard(py, || {
        let params: Vec<(String, Value)> = serde_json::from_str(params).map_err(|e| {
            humiao_error(py, &format!("bad pickled params: {e}"), "序列化的参数有误")
        })?;
        let sources = sources
            .into_iter()
            .map(|(p, t)| Source::new(p, t))
            .collect();
        build(py, sources, params)
    })
}

/// Checks a policy set without loading it: every diagnostic, errors included. `source` is a
/// folder path or a mapping of file name to text.
#[pyfunction]
#[pyo3(signature = (source, params=None))]
pub(crate) fn check<'py>(
    py: Python<'py>,
    source: &Bound<'py, PyAny>,
    params: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyList>> {
    guard(py, || {
        let sources = if source.hasattr(intern!(py, "items"))? {
            sources_of(source)?
        } else {
            let dir = fspath(source)?;
            py.detach(|| humiao_cli::load::read_policy_dir(&dir))
                .map_err(|m| policy_read_error(py, &m))?
        };
        let opts = LoadOptions {
            params: params_of(params)?,
            ..LoadOptions::default()
        };
        let (_, diags) = py.detach(|| Policy::check_sources(&sources, &opts));
        diagnostics_list(py, &diags)
    })
}
