//! Between Python values and JSON: facts and params in, decision fields out, and the `as_of`
//! date in the forms Python users have at hand (`date`, `datetime`, ISO text).

use crate::errors::humiao_error;
use humiao_core::time::Date;
use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyModule, PyString, PyTuple, PyType};
use serde_json::{Map, Number, Value};

/// Deeper nesting than this is refused: real facts are three levels deep, and a cyclic
/// structure must end in an error, not a stack overflow.
const MAX_DEPTH: usize = 64;

static TYPES: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
static DATE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static DATETIME: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static CST: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// A class of `humiao._types` (the dataclasses decisions hand out).
pub(crate) fn types_class<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    let module = TYPES.get_or_try_init(py, || py.import("humiao._types").map(Bound::unbind))?;
    module.bind(py).getattr(name)
}

fn date_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    DATE.import(py, "datetime", "date")
}

fn datetime_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    DATETIME.import(py, "datetime", "datetime")
}

/// China Standard Time, `timezone(timedelta(hours=8))`.
fn china_tz(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    let tz = CST.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
        let dt = py.import("datetime")?;
        let delta = dt.getattr("timedelta")?.call1((0, 8 * 3600))?;
        Ok(dt.getattr("timezone")?.call1((delta,))?.unbind())
    })?;
    Ok(tz.bind(py))
}

/// Why a Python value could not become JSON, and where in the structure it was.
pub(crate) struct ConvertError {
    /// Path segments from the innermost out (reversed when shown).
    path: Vec<String>,
    pub(crate) found: String,
    pub(crate) expected: &'static str,
    expected_zh: &'static str,
    /// The facts code the same problem has in JSON text (F0101 wrong type, F0103 out of range,
    /// F0109 not UTF-8, F0112 nested too deeply).
    code: &'static str,
}

impl ConvertError {
    /// A value of a kind JSON has no place for (F0101).
    pub(crate) fn new(found: String, expected: &'static str) -> ConvertError {
        ConvertError::coded("F0101", found, expected, "JSON 值")
    }

    pub(crate) fn coded(
        code: &'static str,
        found: String,
        expected: &'static str,
        expected_zh: &'static str,
    ) -> ConvertError {
        ConvertError {
            path: Vec::new(),
            found,
            expected,
            expected_zh,
            code,
        }
    }

    fn at(mut self, seg: String) -> ConvertError {
        self.path.push(seg);
        self
    }

    /// The path in the facts' own notation: `minor.birth_date`, `parents[1].since`.
    pub(crate) fn path(&self) -> String {
        let mut out = String::new();
        for seg in self.path.iter().rev() {
            if seg.starts_with('[') || out.is_empty() {
                out.push_str(seg);
            } else {
                out.push('.');
                out.push_str(seg);
            }
        }
        out
    }

    /// As a facts problem, in the shape the core reports its own.
    pub(crate) fn to_fact_error(&self) -> humiao_core::FactError {
        let path = self.path();
        let shown = if path.is_empty() {
            "facts".to_string()
        } else {
            path.clone()
        };
        humiao_core::FactError {
            code: self.code,
            message: format!("{shown}: expected {}, found {}", self.expected, self.found),
            message_zh: format!("{shown}：应为{}，实际为 {}", self.expected_zh, self.found),
            path,
            expected: self.expected.to_string(),
            found: self.found.clone(),
        }
    }
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| format!("a Python `{n}`"))
        .unwrap_or_else(|_| "a Python object".to_string())
}

fn from_py(e: PyErr, obj: &Bound<'_, PyAny>) -> ConvertError {
    ConvertError::new(format!("{} ({e})", type_name(obj)), "a JSON value")
}

/// A Python value as JSON: `dict` (string keys), `list`, `tuple`, `str`, `int`, `float`
/// (finite), `bool`, `None`, and `date` / `datetime` as ISO text. NumPy scalars are accepted
/// through their `.item()`.
pub(crate) fn py_to_json(obj: &Bound<'_, PyAny>) -> Result<Value, ConvertError> {
    let mut tree = Tree::default();
    walk(obj, 0, &mut tree)?;
    Ok(tree.root.unwrap_or(Value::Null))
}

/// [`py_to_json`] written as compact JSON text instead of built as a `Value`: the same values
/// accepted and the same errors, without a tree of allocations (batch cases are then read from
/// the text by the core's one-pass reader, on the worker threads). A float's text is its
/// shortest round-trip form, which serde_json (with `float_roundtrip`, set in the workspace)
/// reads back to the same double.
pub(crate) fn py_to_json_text(obj: &Bound<'_, PyAny>) -> Result<String, ConvertError> {
    let mut text = Text::default();
    walk(obj, 0, &mut text)?;
    String::from_utf8(text.out).map_err(|_| {
        ConvertError::coded(
            "F0109",
            "text that is not UTF-8".into(),
            "UTF-8 text",
            "UTF-8 文本",
        )
    })
}

/// Where [`walk`] puts a Python value's JSON, piece by piece.
trait Sink {
    fn scalar(&mut self, v: Value);
    fn string(&mut self, s: &str);
    /// An object (`true`) or an array begins.
    fn begin(&mut self, object: bool);
    fn key(&mut self, k: &str);
    fn end(&mut self, object: bool);
}

/// An object being built (with the key its next value goes under) or an array.
enum Frame {
    Object(Map<String, Value>, Option<String>),
    Array(Vec<Value>),
}

/// A `Value` tree.
#[derive(Default)]
struct Tree {
    stack: Vec<Frame>,
    root: Option<Value>,
}

impl Tree {
    fn put(&mut self, v: Value) {
        match self.stack.last_mut() {
            Some(Frame::Object(map, key)) => {
                if let Some(k) = key.take() {
                    map.insert(k, v);
                }
            }
            Some(Frame::Array(items)) => items.push(v),
            None => self.root = Some(v),
        }
    }
}

impl Sink for Tree {
    fn scalar(&mut self, v: Value) {
        self.put(v);
    }
    fn string(&mut self, s: &str) {
        self.put(Value::String(s.to_owned()));
    }
    fn begin(&mut self, object: bool) {
        self.stack.push(if object {
            Frame::Object(Map::new(), None)
        } else {
            Frame::Array(Vec::new())
        });
    }
    fn key(&mut self, k: &str) {
        if let Some(Frame::Object(_, key)) = self.stack.last_mut() {
            *key = Some(k.to_owned());
        }
    }
    fn end(&mut self, _object: bool) {
        match self.stack.pop() {
            Some(Frame::Object(map, _)) => self.put(Value::Object(map)),
            Some(Frame::Array(items)) => self.put(Value::Array(items)),
            None => {}
        }
    }
}

/// Compact JSON text.
#[derive(Default)]
struct Text {
    out: Vec<u8>,
    /// Per open object or array: whether nothing has been written in it yet.
    empty: Vec<bool>,
    /// A key was just written: its value needs no separator.
    after_key: bool,
}

impl Text {
    fn separate(&mut self) {
        if std::mem::take(&mut self.after_key) {
            return;
        }
        if let Some(empty) = self.empty.last_mut() {
            if !std::mem::take(empty) {
                self.out.push(b',');
            }
        }
    }
    fn quoted(&mut self, s: &str) {
        // Writing a str into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut self.out, s);
    }
}

impl Sink for Text {
    fn scalar(&mut self, v: Value) {
        self.separate();
        let _ = serde_json::to_writer(&mut self.out, &v);
    }
    fn string(&mut self, s: &str) {
        self.separate();
        self.quoted(s);
    }
    fn begin(&mut self, object: bool) {
        self.separate();
        self.out.push(if object { b'{' } else { b'[' });
        self.empty.push(true);
    }
    fn key(&mut self, k: &str) {
        self.separate();
        self.quoted(k);
        self.out.push(b':');
        self.after_key = true;
    }
    fn end(&mut self, object: bool) {
        self.empty.pop();
        self.out.push(if object { b'}' } else { b']' });
    }
}

fn walk(obj: &Bound<'_, PyAny>, depth: usize, sink: &mut impl Sink) -> Result<(), ConvertError> {
    if depth > MAX_DEPTH {
        return Err(ConvertError::coded(
            "F0112",
            format!("nesting deeper than {MAX_DEPTH} levels"),
            "at most 64 levels of nesting",
            "至多 64 层嵌套",
        ));
    }
    if obj.is_none() {
        sink.scalar(Value::Null);
        return Ok(());
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        sink.scalar(Value::Bool(b.is_true()));
        return Ok(());
    }
    if let Ok(s) = obj.cast::<PyString>() {
        let text = s.to_cow().map_err(|e| from_py(e, obj))?;
        sink.string(&text);
        return Ok(());
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            sink.scalar(Value::Number(Number::from(i)));
            return Ok(());
        }
        if let Ok(u) = obj.extract::<u64>() {
            sink.scalar(Value::Number(Number::from(u)));
            return Ok(());
        }
        return Err(ConvertError::coded(
            "F0103",
            "an integer too large for 64 bits".into(),
            "an integer within 64 bits",
            "64 位以内的整数",
        ));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        let n = Number::from_f64(f.value()).ok_or_else(|| {
            ConvertError::coded(
                "F0101",
                format!("{}", f.value()),
                "a finite number",
                "有限的数",
            )
        })?;
        sink.scalar(Value::Number(n));
        return Ok(());
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        sink.begin(true);
        for (k, v) in d.iter() {
            let key = match k.cast::<PyString>() {
                Ok(s) => s.to_cow().map_err(|e| from_py(e, &k))?,
                Err(_) => {
                    return Err(ConvertError::coded(
                        "F0101",
                        format!("a key that is {}", type_name(&k)),
                        "string keys",
                        "字符串键",
                    ))
                }
            };
            sink.key(&key);
            walk(&v, depth + 1, sink).map_err(|e| e.at(key.into_owned()))?;
        }
        sink.end(true);
        return Ok(());
    }
    if let Ok(l) = obj.cast::<PyList>() {
        return walk_seq(l.iter(), depth, sink);
    }
    if let Ok(t) = obj.cast::<PyTuple>() {
        return walk_seq(t.iter(), depth, sink);
    }
    let py = obj.py();
    // datetime before date: a datetime is a date.
    if datetime_type(py).is_ok_and(|t| obj.is_instance(t).unwrap_or(false))
        || date_type(py).is_ok_and(|t| obj.is_instance(t).unwrap_or(false))
    {
        let text = obj
            .call_method0(intern!(py, "isoformat"))
            .and_then(|s| s.extract::<String>())
            .map_err(|e| from_py(e, obj))?;
        sink.string(&text);
        return Ok(());
    }
    // NumPy scalars (numpy.int64, numpy.bool_) and the like.
    if obj.hasattr(intern!(py, "item")).unwrap_or(false)
        && obj.hasattr(intern!(py, "dtype")).unwrap_or(false)
    {
        let item = obj
            .call_method0(intern!(py, "item"))
            .map_err(|e| from_py(e, obj))?;
        if !item.is(obj) {
            return walk(&item, depth + 1, sink);
        }
    }
    // Other mappings (e.g. types.MappingProxyType) through a dict copy.
    if obj.hasattr(intern!(py, "keys")).unwrap_or(false)
        && obj.hasattr(intern!(py, "__getitem__")).unwrap_or(false)
    {
        if let Ok(d) = py
            .get_type::<PyDict>()
            .call1((obj,))
            .and_then(|d| d.cast_into::<PyDict>().map_err(PyErr::from))
        {
            return walk(d.as_any(), depth, sink);
        }
    }
    Err(ConvertError::new(type_name(obj), "a JSON value"))
}

fn walk_seq<'py>(
    items: impl Iterator<Item = Bound<'py, PyAny>>,
    depth: usize,
    sink: &mut impl Sink,
) -> Result<(), ConvertError> {
    sink.begin(false);
    for (i, v) in items.enumerate() {
        walk(&v, depth + 1, sink).map_err(|e| e.at(format!("[{i}]")))?;
    }
    sink.end(false);
    Ok(())
}

/// JSON as Python: objects become dicts (keys in the JSON's order), numbers int or float.
pub(crate) fn json_to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(a) => {
            let list = PyList::empty(py);
            for x in a {
                list.append(json_to_py(py, x)?)?;
            }
            list.into_any()
        }
        Value::Object(m) => {
            let dict = PyDict::new(py);
            for (k, x) in m {
                dict.set_item(k, json_to_py(py, x)?)?;
            }
            dict.into_any()
        }
    })
}

/// The date a decision is made for, from `date`, `datetime` or ISO text (`YYYY-MM-DD`).
///
/// A naive `datetime` gives its own date; an aware one the date it is in China Standard Time
/// (+08:00), the district's time, as the CLI's default `--as-of` is.
pub(crate) fn as_of_date(obj: &Bound<'_, PyAny>) -> PyResult<Date> {
    let py = obj.py();
    if let Ok(s) = obj.cast::<PyString>() {
        let text = s.to_cow()?;
        return Date::parse(&text).map_err(|e| {
            humiao_error(
                py,
                &format!("as_of: {e}"),
                &format!("as_of：{}", e.message_zh()),
            )
        });
    }
    let mut day = obj.clone();
    if obj.is_instance(datetime_type(py)?)? {
        let aware = !obj.call_method0(intern!(py, "utcoffset"))?.is_none();
        if aware {
            day = obj.call_method1(intern!(py, "astimezone"), (china_tz(py)?,))?;
        }
    } else if !obj.is_instance(date_type(py)?)? {
        return Err(PyTypeError::new_err(format!(
            "as_of must be a datetime.date, a datetime.datetime or an ISO date string \
             (\"2026-03-01\"), not {}",
            type_name(obj)
        )));
    }
    let y: i32 = day.getattr(intern!(py, "year"))?.extract()?;
    let m: u32 = day.getattr(intern!(py, "month"))?.extract()?;
    let d: u32 = day.getattr(intern!(py, "day"))?.extract()?;
    Date::from_ymd(y, m, d).ok_or_else(|| {
        humiao_error(
            py,
            &format!("as_of: {y:04}-{m:02}-{d:02} is outside the supported years 0001–9999"),
            &format!("as_of：{y:04}-{m:02}-{d:02} 超出支持的年份范围"),
        )
    })
}

/// A `datetime.date` for a core date.
pub(crate) fn date_to_py(py: Python<'_>, d: Date) -> PyResult<Bound<'_, PyAny>> {
    let (y, m, day) = d.ymd();
    date_type(py)?.call1((y, m, day))
}

/// `str` or `os.PathLike` as a file-system path.
pub(crate) fn fspath(obj: &Bound<'_, PyAny>) -> PyResult<std::path::PathBuf> {
    let py = obj.py();
    let p = py.import("os")?.getattr("fspath")?.call1((obj,))?;
    Ok(std::path::PathBuf::from(p.extract::<String>()?))
}

/// Params given as a mapping of name to value (`{"reporting.late_after": "48 hours"}`).
pub(crate) fn params_of(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<(String, Value)>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(Vec::new());
    };
    let py = obj.py();
    let items = obj.call_method0(intern!(py, "items")).map_err(|_| {
        PyTypeError::new_err(format!(
            "params must be a mapping of name to value, not {}",
            type_name(obj)
        ))
    })?;
    let mut out = Vec::new();
    for item in items.try_iter()? {
        let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item?.extract()?;
        let key: String = k.extract().map_err(|_| {
            PyTypeError::new_err(format!(
                "param names must be strings, not {}",
                type_name(&k)
            ))
        })?;
        let value = py_to_json(&v).map_err(|e| {
            humiao_error(
                py,
                &format!("param `{key}`: expected {}, found {}", e.expected, e.found),
                &format!("参数 `{key}`：无法使用 {}", e.found),
            )
        })?;
        out.push((key, value));
    }
    Ok(out)
}
