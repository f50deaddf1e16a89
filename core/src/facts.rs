//! Case facts: JSON objects checked against the schema and loaded into numbered slots.
//! Every problem is reported at once, each with its JSON path and what was expected.

use crate::model::*;
use crate::time::{Date, DateTime, Duration};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// How unknown fields are treated.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum Strictness {
    /// Unknown fields are errors (the default: a misspelt field must not silently vanish).
    #[default]
    Strict,
    /// Unknown fields are warnings.
    Lenient,
}

/// The facts of one case, ready for evaluation.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    pub slots: Vec<Value>,
    /// Whether each optional section was given.
    pub sections: Vec<bool>,
    pub case_id: Option<String>,
    /// Notes about how input was read (a time without offset, lenient-mode warnings).
    pub notes: Vec<String>,
}

/// One problem with a case's facts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FactError {
    pub code: &'static str,
    /// JSON path, e.g. `minor.age` or `parents[1].since`.
    pub path: String,
    pub expected: String,
    pub found: String,
    pub message: String,
    pub message_zh: String,
}

impl FactError {
    fn new(
        code: &'static str,
        path: &str,
        expected: String,
        found: String,
        zh_expected: String,
    ) -> FactError {
        let message = format!("{path}: expected {expected}, found {found}");
        let message_zh = format!("{path}：应为 {zh_expected}，实际为 {found}");
        FactError {
            code,
            path: path.to_string(),
            expected,
            found,
            message,
            message_zh,
        }
    }
}

/// What reading a case needs from the schema, built once per policy: the fact paths as a tree
/// (for the two-pass reader of [`Loader`]) and the same tree compiled for the one-pass reader
/// of [`PathTree::read_text`].
#[derive(Debug, Default)]
pub(crate) struct PathTree {
    root: Tree,
    fast: FastReader,
}

/// Fact paths as a tree, so nested JSON is walked once.
#[derive(Debug, Default)]
struct Tree {
    children: BTreeMap<String, Node>,
}

#[derive(Debug)]
enum Node {
    Leaf(usize),
    Branch(Tree),
}

impl PathTree {
    pub(crate) fn build(schema: &Schema) -> PathTree {
        let mut root = Tree::default();
        for (i, f) in schema.facts.iter().enumerate() {
            let segs: Vec<&str> = f.path.split('.').collect();
            root.insert(&segs, i);
        }
        let fast = FastReader::build(schema, &root);
        PathTree { root, fast }
    }
}

impl Tree {
    fn insert(&mut self, segs: &[&str], slot: usize) {
        match segs {
            [] => {}
            [last] => {
                self.children.insert((*last).to_string(), Node::Leaf(slot));
            }
            [first, rest @ ..] => {
                let e = self
                    .children
                    .entry((*first).to_string())
                    .or_insert_with(|| Node::Branch(Tree::default()));
                if let Node::Branch(t) = e {
                    t.insert(rest, slot);
                }
            }
        }
    }
}

/// Whether a key can stand bare in a JSON path (`minor.age`); any other key is quoted. A
/// dotted key stays bare (`a.b`): it is an error of its own (F0106) that says so.
fn plain_key(key: &str) -> bool {
    // Bytes first (every key of a case goes through here); characters only past ASCII.
    !key.is_empty()
        && key.bytes().all(|b| {
            b >= 0x80 || !(b <= b' ' || b == 0x7f || matches!(b, b'[' | b']' | b'"' | b'\\'))
        })
        && (key.is_ascii()
            || !key
                .chars()
                .any(|c| !c.is_ascii() && (c.is_whitespace() || c.is_control())))
}

/// A string as a JSON literal: quoted, with control characters escaped.
fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// A key appended to a JSON path: bare when it is a plain name, else quoted in brackets
/// (`minor["a b"]`, `[""]`), so every path is never empty and printable.
pub(crate) fn join_key(prefix: &str, key: &str) -> String {
    let mut path = String::with_capacity(prefix.len() + key.len() + 1);
    path.push_str(prefix);
    push_key(&mut path, key);
    path
}

/// [`join_key`] in place: appends a key to a path being built (no allocation once the
/// buffer has grown).
pub(crate) fn push_key(path: &mut String, key: &str) {
    if plain_key(key) {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
    } else {
        path.push('[');
        path.push_str(&quoted(key));
        path.push(']');
    }
}

/// A key as an error shows it: `` `age` ``, or quoted when it is not a plain name.
fn show_key(key: &str) -> String {
    if plain_key(key) {
        format!("`{key}`")
    } else {
        quoted(key)
    }
}

fn json_kind(v: &serde_json::Value) -> String {
    use serde_json::Value as J;
    match v {
        J::Null => "null".into(),
        J::Bool(b) => b.to_string(),
        J::Number(n) => n.to_string(),
        J::String(s) => {
            let short: String = s.chars().take(40).collect();
            quoted(&short)
        }
        J::Array(_) => "a list".into(),
        J::Object(_) => "an object".into(),
    }
}

fn type_zh(schema: &Schema, t: &Type) -> String {
    match t {
        Type::Bool => "布尔值（true/false）".into(),
        Type::Int => "整数".into(),
        Type::Decimal => "数字".into(),
        Type::Text => "文本".into(),
        Type::Date => "日期（YYYY-MM-DD）".into(),
        Type::DateTime => "日期时间（RFC 3339）".into(),
        Type::Duration => "时长（如 \"24 hours\"）".into(),
        other => schema.type_name(other),
    }
}

fn type_en(schema: &Schema, t: &Type) -> String {
    match t {
        Type::Date => "Date (YYYY-MM-DD)".into(),
        Type::DateTime => "DateTime (RFC 3339)".into(),
        Type::Duration => "Duration (e.g. \"24 hours\")".into(),
        other => schema.type_name(other),
    }
}

pub(crate) struct Loader<'s> {
    pub schema: &'s Schema,
    pub tree: &'s PathTree,
    pub strictness: Strictness,
    pub max_list_len: usize,
    /// Quote `@sensitive` values in error messages (off: `<redacted>`).
    pub reveal_sensitive: bool,
}

/// "Did you mean" hints are worked out for the first problems of a case only: each compares
/// the key with every declared name, and a case may hold a great many unknown keys.
const MAX_HINTS: usize = 100;

/// What a redacted value is shown as, in traces and in facts errors.
pub const REDACTED: &str = "<redacted>";

impl Loader<'_> {
    pub(crate) fn load(&self, json: &serde_json::Value) -> Result<Facts, Vec<FactError>> {
        let mut facts = Facts {
            slots: self
                .schema
                .facts
                .iter()
                .map(|f| f.default.clone().unwrap_or(Value::Unknown))
                .collect(),
            sections: vec![false; self.schema.sections.len()],
            case_id: None,
            notes: Vec::new(),
        };
        let mut errors = Vec::new();
        let serde_json::Value::Object(obj) = json else {
            errors.push(FactError::new(
                "F0107",
                "$",
                "an object".into(),
                json_kind(json),
                "对象".into(),
            ));
            return Err(errors);
        };
        let id_hidden = !self.reveal_sensitive
            && self
                .schema
                .facts
                .iter()
                .any(|f| f.path == "case.id" && f.sensitive);
        if let Some(serde_json::Value::Object(case)) = obj.get("case") {
            if let Some(serde_json::Value::String(id)) = case.get("id") {
                facts.case_id = Some(if id_hidden {
                    REDACTED.to_string()
                } else {
                    id.clone()
                });
            }
        }
        self.object(
            obj,
            &self.tree.root,
            &mut String::new(),
            &mut facts,
            &mut errors,
        );
        if errors.is_empty() {
            Ok(facts)
        } else {
            Err(errors)
        }
    }

    /// `prefix` is the object's path, a buffer each key's path is built in (and taken off
    /// again), so reading a case does not allocate a path per key.
    fn object(
        &self,
        obj: &serde_json::Map<String, serde_json::Value>,
        tree: &Tree,
        prefix: &mut String,
        facts: &mut Facts,
        errors: &mut Vec<FactError>,
    ) {
        for (k, v) in obj {
            let len = prefix.len();
            push_key(prefix, k);
            self.member(k, v, tree, prefix, facts, errors);
            prefix.truncate(len);
        }
    }

    /// One key of an object; `path` holds its path.
    fn member(
        &self,
        k: &str,
        v: &serde_json::Value,
        tree: &Tree,
        path: &mut String,
        facts: &mut Facts,
        errors: &mut Vec<FactError>,
    ) {
        {
            if k.contains('.') {
                errors.push(FactError {
                    code: "F0106",
                    path: path.clone(),
                    expected: "nested objects".into(),
                    found: format!("the key {}", quoted(k)),
                    message: format!(
                        "{path}: write nested objects ({{\"a\": {{\"b\": …}}}}), not dotted keys"
                    ),
                    message_zh: format!(
                        "{path}：请用嵌套对象（{{\"a\": {{\"b\": …}}}}），不要用带点的键名"
                    ),
                });
                return;
            }
            match tree.children.get(k) {
                Some(Node::Leaf(slot)) => {
                    let Some(def) = self.schema.facts.get(*slot) else {
                        return;
                    };
                    if v.is_null() {
                        return;
                    }
                    if let Some(val) =
                        self.field_value(def.sensitive, &def.ty, def.range, v, path, facts, errors)
                    {
                        if let Some(s) = facts.slots.get_mut(*slot) {
                            *s = val;
                        }
                    }
                }
                Some(Node::Branch(sub)) => {
                    if let Some(si) = self.schema.sections.iter().position(|s| s.name == *path) {
                        if v.is_null() {
                            return;
                        }
                        if let Some(s) = facts.sections.get_mut(si) {
                            *s = true;
                        }
                    }
                    match v {
                        serde_json::Value::Object(o) => self.object(o, sub, path, facts, errors),
                        serde_json::Value::Null => {}
                        other => errors.push(FactError::new(
                            "F0107",
                            path,
                            "an object".into(),
                            json_kind(other),
                            "对象".into(),
                        )),
                    }
                }
                None => {
                    let hint = if errors.len() + facts.notes.len() < MAX_HINTS {
                        let names = tree.children.keys().map(|s| s.as_str());
                        crate::diag::did_you_mean(k, names).map(|s| s.to_string())
                    } else {
                        None
                    };
                    let (en, zh) = match &hint {
                        Some(h) => (
                            format!("; did you mean `{h}`?"),
                            format!("；是否想写 `{h}`？"),
                        ),
                        None => (String::new(), String::new()),
                    };
                    if self.strictness == Strictness::Lenient {
                        facts.notes.push(format!(
                            "unknown field `{path}` ignored{en} / 已忽略未知字段 `{path}`{zh}"
                        ));
                    } else {
                        errors.push(FactError {
                            code: "F0102",
                            path: path.clone(),
                            expected: "a declared field".into(),
                            found: show_key(k),
                            message: format!("{path}: unknown field{en}"),
                            message_zh: format!("{path}：未知字段{zh}"),
                        });
                    }
                }
            }
        }
    }

    /// A field's value; when the field is `@sensitive` (and the caller did not opt in), the
    /// errors say what was expected but never quote what was given.
    #[allow(clippy::too_many_arguments)]
    fn field_value(
        &self,
        sensitive: bool,
        ty: &Type,
        range: Option<(i64, i64)>,
        v: &serde_json::Value,
        path: &str,
        facts: &mut Facts,
        errors: &mut Vec<FactError>,
    ) -> Option<Value> {
        let before = errors.len();
        let out = self.value(ty, range, v, path, facts, errors);
        if sensitive && !self.reveal_sensitive {
            for e in errors.iter_mut().skip(before) {
                let zh = if e.path == path {
                    type_zh(self.schema, ty)
                } else {
                    e.expected.clone()
                };
                e.found = REDACTED.into();
                e.message = format!(
                    "{}: expected {}; the value given is not shown (the field is @sensitive)",
                    e.path, e.expected
                );
                e.message_zh = format!("{}：应为 {zh}；该字段为敏感字段，不显示所填的值", e.path);
            }
        }
        out
    }

    fn value(
        &self,
        ty: &Type,
        range: Option<(i64, i64)>,
        v: &serde_json::Value,
        path: &str,
        facts: &mut Facts,
        errors: &mut Vec<FactError>,
    ) -> Option<Value> {
        use serde_json::Value as J;
        let wrong = |errors: &mut Vec<FactError>| {
            errors.push(FactError::new(
                "F0101",
                path,
                type_en(self.schema, ty),
                json_kind(v),
                type_zh(self.schema, ty),
            ));
            None
        };
        match (ty, v) {
            (Type::Bool, J::Bool(b)) => Some(Value::Bool(*b)),
            (Type::Int, J::Number(n)) => {
                let Some(i) = n.as_i64() else {
                    errors.push(FactError::new(
                        "F0103",
                        path,
                        "a whole number".into(),
                        n.to_string(),
                        "整数".into(),
                    ));
                    return None;
                };
                if let Some((lo, hi)) = range {
                    if i < lo || i > hi {
                        errors.push(FactError::new(
                            "F0103",
                            path,
                            format!("a number from {lo} to {hi}"),
                            i.to_string(),
                            format!("{lo} 至 {hi} 之间的整数"),
                        ));
                        return None;
                    }
                }
                Some(Value::Int(i))
            }
            (Type::Decimal, J::Number(n)) => match parse_decimal(&n.to_string()) {
                Some(d) => Some(Value::Decimal(d)),
                None => {
                    errors.push(FactError::new(
                        "F0103",
                        path,
                        "a number with at most 6 decimals".into(),
                        n.to_string(),
                        "最多 6 位小数的数字".into(),
                    ));
                    None
                }
            },
            (Type::Text, J::String(s)) => Some(Value::Text(Arc::from(s.as_str()))),
            (Type::Date, J::String(s)) => match Date::parse(s) {
                Ok(d) => Some(Value::Date(d)),
                Err(e) => {
                    errors.push(FactError {
                        code: "F0104",
                        path: path.to_string(),
                        expected: "Date (YYYY-MM-DD)".into(),
                        found: json_kind(v),
                        message: format!("{path}: {e}"),
                        message_zh: format!("{path}：{}", e.message_zh()),
                    });
                    None
                }
            },
            (Type::DateTime, J::String(s)) => match DateTime::parse(s) {
                Ok((d, had_offset)) => {
                    if !had_offset {
                        facts.notes.push(format!("{path} had no offset; read as +08:00 / {path} 未注明时区，按北京时间（+08:00）处理"));
                    }
                    Some(Value::DateTime(d))
                }
                Err(e) => {
                    errors.push(FactError {
                        code: "F0104",
                        path: path.to_string(),
                        expected: "DateTime (RFC 3339)".into(),
                        found: json_kind(v),
                        message: format!("{path}: {e}"),
                        message_zh: format!("{path}：{}", e.message_zh()),
                    });
                    None
                }
            },
            (Type::Duration, J::String(s)) => match Duration::parse(s) {
                Ok(d) => Some(Value::Duration(d)),
                Err(_) => wrong(errors),
            },
            (Type::Enum(id), J::String(s)) => {
                let e = self.schema.enum_def(*id)?;
                match e.index(s) {
                    Some(i) => Some(Value::Enum(i)),
                    None => {
                        errors.push(self.enum_error(e, s, path));
                        None
                    }
                }
            }
            (Type::Set(id), J::Array(items)) => {
                let e = self.schema.enum_def(*id)?;
                let mut bits = 0u128;
                let mut ok = true;
                for (i, it) in items.iter().enumerate() {
                    let p = format!("{path}[{i}]");
                    match it.as_str().and_then(|s| e.index(s).map(|x| (s, x))) {
                        Some((_, x)) => bits |= 1u128 << (x % 128),
                        None => {
                            ok = false;
                            match it.as_str() {
                                Some(s) => errors.push(self.enum_error(e, s, &p)),
                                None => errors.push(FactError::new(
                                    "F0101",
                                    &p,
                                    e.name.clone(),
                                    json_kind(it),
                                    e.name.clone(),
                                )),
                            }
                        }
                    }
                }
                ok.then_some(Value::Set {
                    bits,
                    complete: true,
                })
            }
            (Type::List(rid), J::Array(items)) => {
                if items.len() > self.max_list_len {
                    errors.push(FactError::new(
                        "F0108",
                        path,
                        format!("at most {} items", self.max_list_len),
                        format!("{} items", items.len()),
                        format!("最多 {} 项", self.max_list_len),
                    ));
                    return None;
                }
                let rec = self.schema.record_def(*rid)?;
                let mut out = Vec::with_capacity(items.len());
                let before = errors.len();
                for (i, it) in items.iter().enumerate() {
                    let p = format!("{path}[{i}]");
                    let J::Object(o) = it else {
                        errors.push(FactError::new(
                            "F0107",
                            &p,
                            "an object".into(),
                            json_kind(it),
                            "对象".into(),
                        ));
                        continue;
                    };
                    let mut fields = vec![Value::Unknown; rec.fields.len()];
                    for (k, fv) in o {
                        let fp = join_key(&p, k);
                        match rec.field(k) {
                            Some((fi, fd)) => {
                                if fv.is_null() {
                                    continue;
                                }
                                if let Some(val) = self.field_value(
                                    fd.sensitive,
                                    &fd.ty,
                                    fd.range,
                                    fv,
                                    &fp,
                                    facts,
                                    errors,
                                ) {
                                    if let Some(slot) = fields.get_mut(fi) {
                                        *slot = val;
                                    }
                                }
                            }
                            None => {
                                let hint = if errors.len() + facts.notes.len() < MAX_HINTS {
                                    crate::diag::did_you_mean(
                                        k,
                                        rec.fields.iter().map(|f| f.name.as_str()),
                                    )
                                    .map(|s| s.to_string())
                                } else {
                                    None
                                };
                                let (en, zh) = match &hint {
                                    Some(h) => (
                                        format!("; did you mean `{h}`?"),
                                        format!("；是否想写 `{h}`？"),
                                    ),
                                    None => (String::new(), String::new()),
                                };
                                if self.strictness == Strictness::Lenient {
                                    facts.notes.push(format!("unknown field `{fp}` ignored{en} / 已忽略未知字段 `{fp}`{zh}"));
                                } else {
                                    errors.push(FactError {
                                        code: "F0102",
                                        path: fp.clone(),
                                        expected: "a declared field".into(),
                                        found: show_key(k),
                                        message: format!("{fp}: unknown field{en}"),
                                        message_zh: format!("{fp}：未知字段{zh}"),
                                    });
                                }
                            }
                        }
                    }
                    out.push(Arc::from(fields));
                }
                (errors.len() == before).then(|| Value::List(Arc::new(out)))
            }
            _ => wrong(errors),
        }
    }

    fn enum_error(&self, e: &EnumDef, s: &str, path: &str) -> FactError {
        let hint = crate::diag::did_you_mean(s, e.variants.iter().map(|x| x.as_str()));
        let listed: Vec<&str> = e.variants.iter().take(8).map(|x| x.as_str()).collect();
        let more = if e.variants.len() > 8 { ", …" } else { "" };
        let expected = format!("one of {}{more}", listed.join(", "));
        let mut f = FactError::new(
            "F0105",
            path,
            expected,
            quoted(s),
            format!("{} 之一{more}", listed.join("、")),
        );
        if let Some(h) = hint {
            f.message.push_str(&format!("; did you mean \"{h}\"?"));
            f.message_zh.push_str(&format!("；是否想写 \"{h}\"？"));
        }
        f
    }
}

// ---------------------------------------------------------------------------------------------
// Reading facts JSON text
// ---------------------------------------------------------------------------------------------

/// The deepest nesting `read_json` accepts whatever the options say: serde_json's own
/// recursion limit is 128, and a limit below it keeps the error ours (with a path).
pub const JSON_DEPTH_CEILING: usize = 100;

/// Limits for reading a facts document from text.
#[derive(Copy, Clone, Debug)]
pub(crate) struct JsonLimits {
    pub max_bytes: usize,
    pub max_depth: usize,
}

/// JSON text read into a value, with the problems found on the way: duplicate keys (the
/// value keeps the last of them, as serde_json would, but each is an error), or, when the
/// text could not be read at all, no value and the one error that stopped reading.
pub(crate) fn read_json(
    text: &str,
    limits: JsonLimits,
) -> (Option<serde_json::Value>, Vec<FactError>) {
    if text.len() > limits.max_bytes {
        let e = FactError {
            code: "F0111",
            path: "$".into(),
            expected: format!("at most {} bytes", limits.max_bytes),
            found: format!("{} bytes", text.len()),
            message: format!(
                "the facts are {} bytes, more than the limit of {}",
                text.len(),
                limits.max_bytes
            ),
            message_zh: format!(
                "案件事实有 {} 字节，超过上限 {}",
                text.len(),
                limits.max_bytes
            ),
        };
        return (None, vec![e]);
    }
    let mut ctx = ReadCtx {
        max_depth: limits.max_depth.min(JSON_DEPTH_CEILING),
        errors: Vec::new(),
        error_path: None,
        stopped: false,
        path: String::new(),
    };
    let mut de = serde_json::Deserializer::from_str(text);
    let value = serde::de::DeserializeSeed::deserialize(
        PathSeed {
            ctx: &mut ctx,
            depth: 0,
        },
        &mut de,
    )
    .and_then(|v| de.end().map(|()| v));
    match value {
        Ok(v) => (Some(v), ctx.errors),
        Err(_) if ctx.stopped => (None, ctx.errors),
        Err(e) => {
            let path = match ctx.error_path.as_deref() {
                None | Some("") => "$".to_string(),
                Some(p) => p.to_string(),
            };
            let err = if e.to_string().starts_with("number out of range") {
                FactError {
                    code: "F0103",
                    path: path.clone(),
                    expected: "a number that fits in 64 bits".into(),
                    found: "a number out of range".into(),
                    message: format!("{path}: the number is out of range ({e})"),
                    message_zh: format!(
                        "{path}：数字超出范围（第 {} 行第 {} 列）",
                        e.line(),
                        e.column()
                    ),
                }
            } else {
                FactError {
                    code: "F0100",
                    path: path.clone(),
                    expected: "JSON".into(),
                    found: "text that is not JSON".into(),
                    message: format!("{path}: not valid JSON: {e}"),
                    message_zh: format!(
                        "{path}：不是合法的 JSON（第 {} 行第 {} 列）",
                        e.line(),
                        e.column()
                    ),
                }
            };
            let mut errors = ctx.errors;
            errors.push(err);
            (None, errors)
        }
    }
}

struct ReadCtx {
    max_depth: usize,
    errors: Vec<FactError>,
    /// The deepest path a reading error surfaced at.
    error_path: Option<String>,
    /// Reading stopped on an error of ours (nesting), already in `errors`.
    stopped: bool,
    /// The path of the value being read: each level appends its key or index and takes it
    /// off again, so no path is built for a value that reads cleanly.
    path: String,
}

fn shown(path: &str) -> &str {
    if path.is_empty() {
        "$"
    } else {
        path
    }
}

/// A value at a JSON path (`ctx.path`): tracks nesting depth and duplicate keys on the way
/// down.
struct PathSeed<'c> {
    ctx: &'c mut ReadCtx,
    /// Containers around this value.
    depth: usize,
}

impl<'de> serde::de::DeserializeSeed<'de> for PathSeed<'_> {
    type Value = serde_json::Value;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<serde_json::Value, D::Error> {
        let PathSeed { ctx, depth } = self;
        let r = d.deserialize_any(PathVisitor {
            ctx: &mut *ctx,
            depth,
        });
        // The deepest value that failed records where reading stopped (its path is still
        // in the buffer: nothing below it took its key off).
        if r.is_err() && ctx.error_path.is_none() {
            ctx.error_path = Some(ctx.path.clone());
        }
        r
    }
}

struct PathVisitor<'c> {
    ctx: &'c mut ReadCtx,
    depth: usize,
}

impl PathVisitor<'_> {
    /// Entering a list or object: an error past the nesting limit.
    fn enter<E: serde::de::Error>(&mut self) -> Result<usize, E> {
        let level = self.depth + 1;
        if level > self.ctx.max_depth {
            let max = self.ctx.max_depth;
            let path = shown(&self.ctx.path).to_string();
            self.ctx.errors.push(FactError {
                code: "F0112",
                path: path.clone(),
                expected: format!("at most {max} levels of nested lists and objects"),
                found: "deeper nesting".into(),
                message: format!(
                    "{path}: lists and objects are nested more than {max} levels deep"
                ),
                message_zh: format!("{path}：列表和对象嵌套超过 {max} 层"),
            });
            self.ctx.stopped = true;
            return Err(E::custom("nested too deeply"));
        }
        Ok(level)
    }
}

impl<'de> serde::de::Visitor<'de> for PathVisitor<'_> {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<serde_json::Value, E> {
        Ok(serde_json::Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<serde_json::Value, E> {
        Ok(serde_json::Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<serde_json::Value, E> {
        Ok(serde_json::Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<serde_json::Value, E> {
        Ok(serde_json::Number::from_f64(v)
            .map_or(serde_json::Value::Null, serde_json::Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<serde_json::Value, E> {
        Ok(serde_json::Value::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<serde_json::Value, E> {
        Ok(serde_json::Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<serde_json::Value, E> {
        Ok(serde_json::Value::Null)
    }

    fn visit_none<E>(self) -> Result<serde_json::Value, E> {
        Ok(serde_json::Value::Null)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        mut self,
        mut seq: A,
    ) -> Result<serde_json::Value, A::Error> {
        use std::fmt::Write;
        let level = self.enter()?;
        let mut out = Vec::new();
        loop {
            let len = self.ctx.path.len();
            let _ = write!(self.ctx.path, "[{}]", out.len());
            let seed = PathSeed {
                ctx: &mut *self.ctx,
                depth: level,
            };
            match seq.next_element_seed(seed)? {
                Some(v) => out.push(v),
                None => {
                    self.ctx.path.truncate(len);
                    break;
                }
            }
            self.ctx.path.truncate(len);
        }
        Ok(serde_json::Value::Array(out))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(
        mut self,
        mut map: A,
    ) -> Result<serde_json::Value, A::Error> {
        let level = self.enter()?;
        let mut out = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let len = self.ctx.path.len();
            push_key(&mut self.ctx.path, &key);
            let value = map.next_value_seed(PathSeed {
                ctx: &mut *self.ctx,
                depth: level,
            })?;
            if out.contains_key(&key) {
                let k = show_key(&key);
                let path = self.ctx.path.clone();
                let parent = shown(self.ctx.path.get(..len).unwrap_or_default()).to_string();
                self.ctx.errors.push(FactError {
                    code: "F0113",
                    path: path.clone(),
                    expected: "each key once".into(),
                    found: format!("{k} again"),
                    message: format!("{path}: the key {k} is given more than once in {parent}"),
                    message_zh: format!("{path}：键 {k} 在 {parent} 中出现了不止一次"),
                });
            }
            self.ctx.path.truncate(len);
            out.insert(key, value);
        }
        Ok(serde_json::Value::Object(out))
    }
}

// ---------------------------------------------------------------------------------------------
// Reading facts JSON text in one pass
// ---------------------------------------------------------------------------------------------
//
// `Policy::load_facts_text` reads a case with `PathTree::read_text` first: one pass of
// serde_json's parser driven by the schema (a `DeserializeSeed` for each object, list and
// value the schema declares), each value written straight into its fact slot, keys looked up in
// a table built per object, record and enum when the policy is loaded; no `serde_json::Value`
// is built. It answers only for a case the two-pass reader (`read_json`, then `Loader::load`)
// reads without a problem: at the first thing that would be one — a key the schema does not
// declare (strict: an error; lenient: a note whose hint depends on the other problems), a
// repeated key, a value of the wrong type or out of range, nesting past the limit, a list too
// long, text that is not JSON — it gives up, and the two-pass reader reads the case again, so
// every error and note, with its path and texts, is the two-pass reader's own. A case that reads
// cleanly gets the two-pass reader's facts: the same parser (numbers, strings and escapes are
// read by serde_json's `deserialize_any` either way), the same conversions (`Date::parse`,
// `parse_decimal` on the number's text, the first enum value of a name), the same tree. The one
// thing the second pass did in an order of its own is notes: it walks each object by sorted
// key, so the notes of a case (times without an offset) are sorted by their paths at the end.

/// Names to values (an object's keys to its entries, a record's fields and an enum's values
/// to their index): open addressing on a hash of the name's bytes, at most half full; each
/// slot keeps part of the hash, so most misses compare no text.
#[derive(Debug, Default)]
struct KeyTable {
    names: Vec<(Box<str>, usize)>,
    /// `(hash tag, position in names + 1)`; 0 is an empty slot.
    slots: Vec<(u32, u32)>,
}

const HASH_K: u64 = 0x9E37_79B9_7F4A_7C15;

/// A hash of a key's bytes, eight at a time.
#[inline]
fn key_hash(key: &[u8]) -> u64 {
    let mut h = (key.len() as u64).wrapping_mul(HASH_K);
    let mut chunks = key.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = (h.rotate_left(23) ^ u64::from_le_bytes(w)).wrapping_mul(HASH_K);
    }
    let rest = chunks.remainder();
    let mut w = [0u8; 8];
    if let Some(to) = w.get_mut(..rest.len()) {
        to.copy_from_slice(rest);
    }
    h = (h.rotate_left(23) ^ u64::from_le_bytes(w)).wrapping_mul(HASH_K);
    h ^ (h >> 32)
}

impl KeyTable {
    /// A table of names and their values; a name given twice keeps its first value.
    fn new<'a>(names: impl IntoIterator<Item = (&'a str, usize)>) -> KeyTable {
        let mut t = KeyTable::default();
        let names: Vec<(&str, usize)> = names.into_iter().collect();
        let size = (names.len() * 2).next_power_of_two().max(4);
        t.slots = vec![(0, 0); size];
        let mask = size - 1;
        for (name, value) in names {
            if t.get(name.as_bytes()).is_some() {
                continue;
            }
            let h = key_hash(name.as_bytes());
            let mut at = h as usize & mask;
            while let Some(slot) = t.slots.get_mut(at) {
                if slot.1 == 0 {
                    *slot = ((h >> 32) as u32, (t.names.len() + 1) as u32);
                    t.names.push((Box::from(name), value));
                    break;
                }
                at = (at + 1) & mask;
            }
        }
        t
    }

    /// The name and value of a key.
    #[inline]
    fn get(&self, key: &[u8]) -> Option<(&str, usize)> {
        let mask = self.slots.len().wrapping_sub(1);
        let h = key_hash(key);
        let tag = (h >> 32) as u32;
        let mut at = h as usize & mask;
        loop {
            let &(t, i) = self.slots.get(at)?;
            let (name, value) = self.names.get((i as usize).checked_sub(1)?)?;
            if t == tag && name.as_bytes() == key {
                return Some((name, *value));
            }
            at = (at + 1) & mask;
        }
    }
}

/// The schema compiled for the one-pass reader.
#[derive(Debug, Default)]
struct FastReader {
    /// The objects of the fact tree; the first is the case itself.
    objects: Vec<FastObject>,
    /// Each record's fields, by record id.
    records: Vec<KeyTable>,
    /// Each enum's values, by enum id.
    enums: Vec<KeyTable>,
    /// Every slot's value when the case does not give it.
    defaults: Vec<Value>,
    sections: usize,
    /// `case.id` is `@sensitive`: the case's id is `<redacted>` unless asked.
    case_id_sensitive: bool,
}

/// An object of the fact tree: its keys, each to an entry.
#[derive(Debug, Default)]
struct FastObject {
    keys: KeyTable,
    entries: Vec<Entry>,
}

#[derive(Debug)]
enum Entry {
    /// A fact's slot; `case_id`: this is `case.id`, whose text is the case's id.
    Leaf { slot: usize, case_id: bool },
    /// A nested object (`objects[object]`), an optional section or not.
    Branch {
        object: usize,
        section: Option<usize>,
    },
}

impl FastReader {
    fn build(schema: &Schema, root: &Tree) -> FastReader {
        let mut r = FastReader {
            objects: Vec::new(),
            records: schema
                .records
                .iter()
                .map(|rec| KeyTable::new(rec.index.iter().map(|(k, i)| (k.as_str(), *i))))
                .collect(),
            enums: schema
                .enums
                .iter()
                .map(|e| KeyTable::new(e.variants.iter().map(String::as_str).zip(0..)))
                .collect(),
            defaults: schema
                .facts
                .iter()
                .map(|f| f.default.clone().unwrap_or(Value::Unknown))
                .collect(),
            sections: schema.sections.len(),
            case_id_sensitive: schema
                .facts
                .iter()
                .any(|f| f.path == "case.id" && f.sensitive),
        };
        r.add_object(schema, root, &mut String::new(), false);
        r
    }

    /// Adds an object and those below it; `prefix` is its path, as the two-pass reader builds
    /// it (a section is found by that path).
    fn add_object(
        &mut self,
        schema: &Schema,
        tree: &Tree,
        prefix: &mut String,
        is_case: bool,
    ) -> usize {
        let at = self.objects.len();
        self.objects.push(FastObject::default());
        let mut entries = Vec::with_capacity(tree.children.len());
        for (k, node) in &tree.children {
            let len = prefix.len();
            push_key(prefix, k);
            entries.push(match node {
                Node::Leaf(slot) => Entry::Leaf {
                    slot: *slot,
                    case_id: is_case && k == "id",
                },
                Node::Branch(sub) => {
                    let section = schema.sections.iter().position(|s| s.name == *prefix);
                    let object = self.add_object(schema, sub, prefix, at == 0 && k == "case");
                    Entry::Branch { object, section }
                }
            });
            prefix.truncate(len);
        }
        if let Some(o) = self.objects.get_mut(at) {
            *o = FastObject {
                keys: KeyTable::new(tree.children.keys().map(String::as_str).zip(0..)),
                entries,
            };
        }
        at
    }
}

impl PathTree {
    /// Reads a case's facts from JSON text in one pass (see above): `Some` with the facts
    /// when the two-pass reader would read the text without a problem, `None` otherwise.
    pub(crate) fn read_text(
        &self,
        schema: &Schema,
        text: &str,
        limits: JsonLimits,
        max_list_len: usize,
        reveal_sensitive: bool,
    ) -> Option<Facts> {
        use serde::Deserializer as _;
        let r = &self.fast;
        if text.len() > limits.max_bytes || r.defaults.len() != schema.facts.len() {
            return None;
        }
        let mut pass = Pass {
            reader: r,
            schema,
            max_depth: limits.max_depth.min(JSON_DEPTH_CEILING),
            max_list_len,
            case_id_hidden: r.case_id_sensitive && !reveal_sensitive,
            slots: r.defaults.clone(),
            sections: vec![false; r.sections],
            case_id: None,
            notes: Vec::new(),
            path: Vec::new(),
        };
        let root = r.objects.first()?;
        let mut de = serde_json::Deserializer::from_str(text);
        de.deserialize_map(ObjectVisitor {
            pass: &mut pass,
            object: root,
            depth: 0,
            section: None,
        })
        .ok()?;
        de.end().ok()?;
        let mut notes = pass.notes;
        if notes.len() > 1 {
            notes.sort_by(|a, b| a.0.cmp(&b.0));
        }
        Some(Facts {
            slots: pass.slots,
            sections: pass.sections,
            case_id: pass.case_id,
            notes: notes.into_iter().map(|(_, n)| n).collect(),
        })
    }
}

/// One segment of a path: a key or a list index. Sorting paths by their segments orders
/// them as the two-pass reader walks a case (keys by their text, items by index).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Seg<'r> {
    Key(&'r str),
    Index(usize),
}

/// A path as the two-pass reader writes it (`minor.age`, `parents[1].since`).
fn path_text(path: &[Seg]) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => push_key(&mut s, k),
            Seg::Index(i) => {
                let _ = write!(s, "[{i}]");
            }
        }
    }
    s
}

/// The state of one pass over a case.
struct Pass<'r> {
    reader: &'r FastReader,
    schema: &'r Schema,
    max_depth: usize,
    max_list_len: usize,
    case_id_hidden: bool,
    slots: Vec<Value>,
    sections: Vec<bool>,
    case_id: Option<String>,
    /// Notes, each with the path of its value (they are sorted by it at the end).
    notes: Vec<(Vec<Seg<'r>>, String)>,
    /// The path of the value being read, for notes.
    path: Vec<Seg<'r>>,
}

/// Ends the pass: the two-pass reader reads the case again and says what is wrong.
fn give_up<E: serde::de::Error>() -> E {
    E::custom("the one-pass reader gives up")
}

/// The keys of an object met so far, to catch a repeated one.
struct Seen {
    small: u128,
    big: Vec<bool>,
}

impl Seen {
    fn new(n: usize) -> Seen {
        Seen {
            small: 0,
            big: if n > 128 { vec![false; n] } else { Vec::new() },
        }
    }

    /// Whether the key is new.
    #[inline]
    fn insert(&mut self, i: usize) -> bool {
        if self.big.is_empty() {
            let bit = 1u128.checked_shl(i as u32).unwrap_or(0);
            let new = bit != 0 && self.small & bit == 0;
            self.small |= bit;
            new
        } else {
            match self.big.get_mut(i) {
                Some(b) => !std::mem::replace(b, true),
                None => false,
            }
        }
    }
}

/// A key of an object, record or enum: its name and value in the table; any other gives up.
struct KeySeed<'r>(&'r KeyTable);

impl<'de, 'r> serde::de::DeserializeSeed<'de> for KeySeed<'r> {
    type Value = (&'r str, usize);
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(&'r str, usize), D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de, 'r> serde::de::Visitor<'de> for KeySeed<'r> {
    type Value = (&'r str, usize);
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a declared name")
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<(&'r str, usize), E> {
        self.0.get(v.as_bytes()).ok_or_else(give_up)
    }
}

/// An object of the fact tree (`null` is an absent one, when `section` says so too).
struct ObjectVisitor<'p, 'r> {
    pass: &'p mut Pass<'r>,
    object: &'r FastObject,
    /// Lists and objects around it.
    depth: usize,
    section: Option<usize>,
}

impl<'de> serde::de::DeserializeSeed<'de> for ObjectVisitor<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for ObjectVisitor<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an object")
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let ObjectVisitor {
            pass,
            object,
            depth,
            section,
        } = self;
        let level = depth + 1;
        if level > pass.max_depth {
            return Err(give_up());
        }
        if let Some(s) = section.and_then(|s| pass.sections.get_mut(s)) {
            *s = true;
        }
        let (schema, reader) = (pass.schema, pass.reader);
        let mut seen = Seen::new(object.entries.len());
        while let Some((name, i)) = map.next_key_seed(KeySeed(&object.keys))? {
            if !seen.insert(i) {
                return Err(give_up());
            }
            pass.path.push(Seg::Key(name));
            match object.entries.get(i) {
                Some(Entry::Leaf { slot, case_id }) => {
                    let def = schema.facts.get(*slot).ok_or_else(give_up)?;
                    let v = map.next_value_seed(ValueSeed {
                        pass: &mut *pass,
                        ty: &def.ty,
                        range: def.range,
                        depth: level,
                        case_id: *case_id,
                    })?;
                    if let (Some(v), Some(s)) = (v, pass.slots.get_mut(*slot)) {
                        *s = v;
                    }
                }
                Some(Entry::Branch { object, section }) => {
                    let sub = reader.objects.get(*object).ok_or_else(give_up)?;
                    map.next_value_seed(ObjectVisitor {
                        pass: &mut *pass,
                        object: sub,
                        depth: level,
                        section: *section,
                    })?;
                }
                None => return Err(give_up()),
            }
            pass.path.pop();
        }
        Ok(())
    }
}

/// A fact's or a record field's value: `None` for `null` (absent).
struct ValueSeed<'p, 'r> {
    pass: &'p mut Pass<'r>,
    ty: &'r Type,
    range: Option<(i64, i64)>,
    /// Lists and objects around it.
    depth: usize,
    /// This is `case.id`: its text is the case's id.
    case_id: bool,
}

impl<'de> serde::de::DeserializeSeed<'de> for ValueSeed<'_, '_> {
    type Value = Option<Value>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Option<Value>, D::Error> {
        d.deserialize_any(self)
    }
}

impl ValueSeed<'_, '_> {
    /// A JSON number; `int` is it as an `i64` when it is a whole number that fits.
    fn number<E: serde::de::Error>(
        self,
        n: impl FnOnce() -> serde_json::Number,
        int: Option<i64>,
    ) -> Result<Option<Value>, E> {
        match self.ty {
            Type::Int => {
                let i = int.ok_or_else(give_up)?;
                match self.range {
                    Some((lo, hi)) if i < lo || i > hi => Err(give_up()),
                    _ => Ok(Some(Value::Int(i))),
                }
            }
            // `parse_decimal` of the number's text, as the two-pass reader does; of a whole
            // number that text is its digits, and the digits' value times the scale.
            Type::Decimal => match int {
                Some(i) => i.checked_mul(DECIMAL_SCALE),
                None => parse_decimal(&n().to_string()),
            }
            .map(|d| Some(Value::Decimal(d)))
            .ok_or_else(give_up),
            _ => Err(give_up()),
        }
    }
}

impl<'de> serde::de::Visitor<'de> for ValueSeed<'_, '_> {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a fact's value")
    }

    fn visit_unit<E>(self) -> Result<Option<Value>, E> {
        Ok(None)
    }

    fn visit_bool<E: serde::de::Error>(self, b: bool) -> Result<Option<Value>, E> {
        match self.ty {
            Type::Bool => Ok(Some(Value::Bool(b))),
            _ => Err(give_up()),
        }
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Option<Value>, E> {
        self.number(|| serde_json::Number::from(v), Some(v))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Option<Value>, E> {
        self.number(|| serde_json::Number::from(v), i64::try_from(v).ok())
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Option<Value>, E> {
        // The two-pass reader's value is `null` when the number is not finite.
        match serde_json::Number::from_f64(v) {
            Some(n) => self.number(|| n, None),
            None => Ok(None),
        }
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Option<Value>, E> {
        let ValueSeed {
            pass, ty, case_id, ..
        } = self;
        if case_id {
            pass.case_id = Some(if pass.case_id_hidden {
                REDACTED.to_string()
            } else {
                s.to_string()
            });
        }
        let v = match ty {
            Type::Text => Value::Text(Arc::from(s)),
            Type::Date => Value::Date(Date::parse(s).map_err(|_| give_up())?),
            Type::DateTime => {
                let (d, had_offset) = DateTime::parse(s).map_err(|_| give_up())?;
                if !had_offset {
                    let path = path_text(&pass.path);
                    pass.notes.push((
                        pass.path.clone(),
                        format!("{path} had no offset; read as +08:00 / {path} 未注明时区，按北京时间（+08:00）处理"),
                    ));
                }
                Value::DateTime(d)
            }
            Type::Duration => Value::Duration(Duration::parse(s).map_err(|_| give_up())?),
            Type::Enum(id) => {
                let e = pass
                    .reader
                    .enums
                    .get(usize::from(*id))
                    .ok_or_else(give_up)?;
                let (_, i) = e.get(s.as_bytes()).ok_or_else(give_up)?;
                Value::Enum(u16::try_from(i).map_err(|_| give_up())?)
            }
            _ => return Err(give_up()),
        };
        Ok(Some(v))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> Result<Option<Value>, A::Error> {
        let ValueSeed {
            pass, ty, depth, ..
        } = self;
        let level = depth + 1;
        if level > pass.max_depth {
            return Err(give_up());
        }
        let (schema, reader) = (pass.schema, pass.reader);
        match ty {
            Type::Set(id) => {
                let e = reader.enums.get(usize::from(*id)).ok_or_else(give_up)?;
                let mut bits = 0u128;
                while let Some((_, i)) = seq.next_element_seed(KeySeed(e))? {
                    bits |= 1u128 << (i % 128);
                }
                Ok(Some(Value::Set {
                    bits,
                    complete: true,
                }))
            }
            Type::List(rid) => {
                let rec = schema.record_def(*rid).ok_or_else(give_up)?;
                let keys = reader.records.get(usize::from(*rid)).ok_or_else(give_up)?;
                let mut out = Vec::new();
                loop {
                    pass.path.push(Seg::Index(out.len()));
                    let item = seq.next_element_seed(RecordSeed {
                        pass: &mut *pass,
                        rec,
                        keys,
                        depth: level,
                    })?;
                    pass.path.pop();
                    match item {
                        Some(_) if out.len() >= pass.max_list_len => return Err(give_up()),
                        Some(fields) => out.push(fields),
                        None => break,
                    }
                }
                Ok(Some(Value::List(Arc::new(out))))
            }
            _ => Err(give_up()),
        }
    }
}

/// An item of a list of records: an object of the record's fields.
struct RecordSeed<'p, 'r> {
    pass: &'p mut Pass<'r>,
    rec: &'r RecordDef,
    keys: &'r KeyTable,
    depth: usize,
}

impl<'de> serde::de::DeserializeSeed<'de> for RecordSeed<'_, '_> {
    type Value = Arc<[Value]>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Arc<[Value]>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for RecordSeed<'_, '_> {
    type Value = Arc<[Value]>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Arc<[Value]>, A::Error> {
        let RecordSeed {
            pass,
            rec,
            keys,
            depth,
        } = self;
        let level = depth + 1;
        if level > pass.max_depth {
            return Err(give_up());
        }
        let mut fields = vec![Value::Unknown; rec.fields.len()];
        let mut seen = Seen::new(rec.fields.len());
        while let Some((name, i)) = map.next_key_seed(KeySeed(keys))? {
            if !seen.insert(i) {
                return Err(give_up());
            }
            let fd = rec.fields.get(i).ok_or_else(give_up)?;
            pass.path.push(Seg::Key(name));
            let v = map.next_value_seed(ValueSeed {
                pass: &mut *pass,
                ty: &fd.ty,
                range: fd.range,
                depth: level,
                case_id: false,
            })?;
            pass.path.pop();
            if let (Some(v), Some(f)) = (v, fields.get_mut(i)) {
                *f = v;
            }
        }
        Ok(Arc::from(fields))
    }
}

#[cfg(test)]
mod key_tests {
    use super::plain_key;

    /// The definition `plain_key` is a faster form of.
    fn plain_by_chars(key: &str) -> bool {
        !key.is_empty()
            && !key
                .chars()
                .any(|c| matches!(c, '[' | ']' | '"' | '\\') || c.is_whitespace() || c.is_control())
    }

    #[test]
    fn plain_key_agrees_with_its_definition_on_every_character() {
        for c in (0u32..0x11_0000).filter_map(char::from_u32) {
            for key in [c.to_string(), format!("age{c}"), format!("{c}x")] {
                assert_eq!(plain_key(&key), plain_by_chars(&key), "{key:?}");
            }
        }
        assert!(!plain_key(""));
        assert!(plain_key("minor"));
        assert!(plain_key("未成年人"));
        assert!(!plain_key("a b"));
        assert!(!plain_key("a\u{3000}b"));
    }
}
