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
    /// The value of each fact of the schema, by slot (read with [`Facts::slots`]).
    pub(crate) slots: Vec<Value>,
    /// One byte per slot summing up its value (see [`tag`]), for the evaluator's fast path:
    /// reading a case's truth values and small enums and integers touches these bytes only,
    /// not the slots (32 bytes each). Built with the slots; empty means "not built" (a
    /// `Facts::default()`), and the evaluator reads the slots.
    pub(crate) tags: Vec<u8>,
    /// Whether each optional section was given.
    pub sections: Vec<bool>,
    pub case_id: Option<String>,
    /// Notes about how input was read (a time without offset, lenient-mode warnings).
    pub notes: Vec<String>,
    /// The slots the one-pass reader wrote when it read these facts, and that reader's
    /// [`FastReader::id`] (0: none, or the slots were written since by something else): every
    /// other slot holds its default. The reader's next line into these facts then puts back
    /// the defaults only of those slots it does not write again, instead of every slot's
    /// before it starts. Whatever else writes `slots` sets `written_by` to 0.
    written: Vec<u32>,
    written_by: u64,
    /// Buffers kept for that reader: the list of the line being read, and its slots as bits.
    written_next: Vec<u32>,
    written_bits: Vec<u64>,
}

impl Facts {
    /// The value of each fact of the schema, in the order of `Schema::facts`.
    pub fn slots(&self) -> &[Value] {
        &self.slots
    }

    /// Whether the tags are those of the slots (or not built): for tests of the readers.
    #[doc(hidden)]
    pub fn tags_agree(&self) -> bool {
        self.tags.is_empty()
            || (self.tags.len() == self.slots.len()
                && self.tags.iter().zip(&self.slots).all(|(&t, v)| t == tag(v)))
    }

    fn with_tags(mut self) -> Facts {
        self.tags.clear();
        self.tags.extend(self.slots.iter().map(tag));
        self
    }
}

/// Tags of [`Facts::tags`]: an unknown value.
pub(crate) const TAG_UNKNOWN: u8 = 0;
/// `false`, `true`.
pub(crate) const TAG_FALSE: u8 = 1;
pub(crate) const TAG_TRUE: u8 = 2;
/// An enum value `e < 64`: `TAG_ENUM + e`.
pub(crate) const TAG_ENUM: u8 = 3;
/// An integer `0 <= i < 128`: `TAG_INT + i`.
pub(crate) const TAG_INT: u8 = 67;
/// A list of `n < 60` items: `TAG_LIST + n`.
pub(crate) const TAG_LIST: u8 = 195;
/// Anything else: read the slot.
pub(crate) const TAG_OTHER: u8 = 255;

/// The one-byte summary of a value. The ranges do not overlap, so a reader expecting one kind
/// of value tells any other kind apart and reads the slot.
pub(crate) fn tag(v: &Value) -> u8 {
    match v {
        Value::Unknown => TAG_UNKNOWN,
        Value::Bool(false) => TAG_FALSE,
        Value::Bool(true) => TAG_TRUE,
        Value::Enum(e) if *e < 64 => TAG_ENUM + *e as u8,
        Value::Int(i) if (0..128).contains(i) => TAG_INT + *i as u8,
        Value::List(l) if l.len() < 60 => TAG_LIST + l.len() as u8,
        _ => TAG_OTHER,
    }
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
            tags: Vec::new(),
            sections: vec![false; self.schema.sections.len()],
            case_id: None,
            notes: Vec::new(),
            ..Facts::default()
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
            Ok(facts.with_tags())
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
// `Policy::load_facts_text` reads a case with `PathTree::read_text` first: one pass over the
// text by a small JSON scanner driven by the schema (`Scan`), each value written straight into
// its fact slot; keys are matched against the key the schema's order expects next, else looked
// up in a hash table built per object, record and enum when the policy is loaded; strings are
// borrowed from the text unless they have escapes; no `serde_json::Value` is built. It answers
// only for a case the two-pass reader (`read_json`, then `Loader::load`) reads without a
// problem: at the first thing that would be one — a key the schema does not declare (strict: an
// error; lenient: a note whose hint depends on the other problems), a repeated key, a value of
// the wrong type or out of range, nesting past the limit, a list too long, text that is not JSON
// or that serde_json reads in a way of its own (`-0`, whole numbers past 64 bits) — it gives up,
// and the two-pass reader reads the case again, so every error and note, with its path and
// texts, is the two-pass reader's own. Giving up is always safe; accepting is allowed only where
// the two-pass reader accepts, with the same facts: the scanner keeps to serde_json's grammar
// (see `Scan`), converts as the `Loader` does (`Date::parse`, `parse_decimal` on the number's
// text as serde_json writes it, the first enum value of a name), and walks the same tree. The one
// thing the second pass did in an order of its own is notes: it walks each object by sorted key,
// so the notes of a case (times without an offset) are sorted by their paths at the end.
// A serde `DeserializeSeed` over serde_json's parser did the same in 27,900 instructions per
// workload line; this scanner takes 18,500 (the two-pass reader 101,000).

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
    records: Vec<(KeyTable, KeyOrder)>,
    /// Each enum's values, by enum id.
    enums: Vec<KeyTable>,
    /// Every slot's value when the case does not give it.
    defaults: Vec<Value>,
    sections: usize,
    /// `case.id` is `@sensitive`: the case's id is `<redacted>` unless asked.
    case_id_sensitive: bool,
    /// This reader among every reader made in the process (from 1): facts it read know it by
    /// this, so that another's facts are never taken for its own ([`Facts::written_by`]).
    id: u64,
}

/// The next [`FastReader::id`].
static NEXT_READER_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// An object of the fact tree: its keys, each to an entry.
#[derive(Debug, Default)]
struct FastObject {
    keys: KeyTable,
    entries: Vec<Entry>,
    /// The keys in the order of `entries`, and as they are written in JSON.
    order: KeyOrder,
}

/// The keys of an object or record by index, and which usually follows which: a case is
/// usually written in the schema's order (declaration order), so the reader first checks
/// whether the key after the last one is next in the text, byte for byte, before it reads
/// the key and looks it up.
#[derive(Debug, Default)]
struct KeyOrder {
    names: Vec<Box<str>>,
    /// `"name"` as JSON text; empty for a name that would be written with escapes.
    quoted: Vec<Box<[u8]>>,
    /// The key expected after each (`usize::MAX`: none).
    next: Vec<usize>,
    /// The key expected first.
    first: usize,
}

impl KeyOrder {
    /// Keys by index, and the indices in the order they are declared.
    fn new(names: Vec<&str>, declared: &[usize]) -> KeyOrder {
        let mut next = vec![usize::MAX; names.len()];
        for w in declared.windows(2) {
            if let (Some(&a), Some(&b)) = (w.first(), w.get(1)) {
                if let Some(n) = next.get_mut(a) {
                    *n = b;
                }
            }
        }
        KeyOrder {
            quoted: names
                .iter()
                .map(|n| {
                    if n.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
                        Box::default()
                    } else {
                        format!("\"{n}\"").into_bytes().into_boxed_slice()
                    }
                })
                .collect(),
            names: names.into_iter().map(Box::from).collect(),
            next,
            first: declared.first().copied().unwrap_or(usize::MAX),
        }
    }
}

/// The first slot under a node of the fact tree: its place in declaration order.
fn first_slot(node: &Node) -> usize {
    match node {
        Node::Leaf(slot) => *slot,
        Node::Branch(t) => t
            .children
            .values()
            .map(first_slot)
            .min()
            .unwrap_or(usize::MAX),
    }
}

#[derive(Debug)]
enum Entry {
    /// A fact's slot, its type and range (copied here so reading a value does not touch the
    /// schema's fact definitions); `case_id`: this is `case.id`, whose text is the case's id.
    Leaf {
        slot: usize,
        /// `None` for a slot the schema does not have (the reader then gives up, as it did
        /// when it looked the definition up).
        ty: Option<Type>,
        range: Option<(i64, i64)>,
        case_id: bool,
    },
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
                .map(|rec| {
                    let names: Vec<&str> = rec.fields.iter().map(|f| f.name.as_str()).collect();
                    let declared: Vec<usize> = (0..names.len()).collect();
                    (
                        KeyTable::new(rec.index.iter().map(|(k, i)| (k.as_str(), *i))),
                        KeyOrder::new(names, &declared),
                    )
                })
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
            id: NEXT_READER_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
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
                Node::Leaf(slot) => {
                    let def = schema.facts.get(*slot);
                    Entry::Leaf {
                        slot: *slot,
                        ty: def.map(|d| d.ty.clone()),
                        range: def.and_then(|d| d.range),
                        case_id: is_case && k == "id",
                    }
                }
                Node::Branch(sub) => {
                    let section = schema.sections.iter().position(|s| s.name == *prefix);
                    let object = self.add_object(schema, sub, prefix, at == 0 && k == "case");
                    Entry::Branch { object, section }
                }
            });
            prefix.truncate(len);
        }
        let mut declared: Vec<usize> = (0..entries.len()).collect();
        let firsts: Vec<usize> = tree.children.values().map(first_slot).collect();
        declared.sort_by_key(|&i| firsts.get(i).copied());
        if let Some(o) = self.objects.get_mut(at) {
            *o = FastObject {
                keys: KeyTable::new(tree.children.keys().map(String::as_str).zip(0..)),
                entries,
                order: KeyOrder::new(
                    tree.children.keys().map(String::as_str).collect(),
                    &declared,
                ),
            };
        }
        at
    }
}

impl PathTree {
    /// Reads a case's facts from JSON text in one pass (see above) into `into`, reusing its
    /// buffers: true when the two-pass reader would read the text without a problem (`into`
    /// then holds the facts), false otherwise (`into` then holds nothing of use).
    pub(crate) fn read_text_into(
        &self,
        schema: &Schema,
        text: &str,
        opts: &crate::policy::FactsOptions,
        into: &mut Facts,
    ) -> bool {
        let (limits, max_list_len, reveal_sensitive) =
            (opts.json_limits(), opts.max_list_len, opts.reveal_sensitive);
        let r = &self.fast;
        // Whatever happens below, the tags never describe slots they were not built from: they
        // are put back only when the line has been read.
        let mut tags = std::mem::take(&mut into.tags);
        if text.len() > limits.max_bytes || r.defaults.len() != schema.facts.len() {
            return false;
        }
        let mut slots = std::mem::take(&mut into.slots);
        // Every slot but those the last line wrote holds its default when this reader read the
        // last line into these facts (and nothing wrote them since); otherwise every slot is
        // set to its default here.
        let mut before = std::mem::take(&mut into.written);
        if std::mem::take(&mut into.written_by) != r.id || slots.len() != r.defaults.len() {
            slots.clone_from(&r.defaults);
            before.clear();
            tags.clear();
        }
        // The tags are the last line's (of these slots) unless cleared: then only the slots
        // written or put back below need theirs again.
        let tags_kept = tags.len() == slots.len();
        let mut written = std::mem::take(&mut into.written_next);
        written.clear();
        let mut written_bits = std::mem::take(&mut into.written_bits);
        written_bits.clear();
        written_bits.resize(slots.len().div_ceil(64), 0);
        let mut sections = std::mem::take(&mut into.sections);
        sections.clear();
        sections.resize(r.sections, false);
        let pass = Pass {
            reader: r,
            schema,
            max_depth: limits.max_depth.min(JSON_DEPTH_CEILING),
            max_list_len,
            case_id_hidden: r.case_id_sensitive && !reveal_sensitive,
            slots,
            written,
            written_bits,
            sections,
            case_id: None,
            notes: Vec::new(),
            path: Vec::new(),
        };
        let Some(root) = r.objects.first() else {
            return false;
        };
        let mut scan = Scan { text, at: 0, pass };
        scan.ws();
        if scan.object(root, 0).is_none() {
            return false;
        }
        scan.ws();
        if scan.at != text.len() {
            return false;
        }
        let mut pass = scan.pass;
        // The last line's slots this one did not write go back to their defaults.
        for &s in &before {
            let s = s as usize;
            let again = pass
                .written_bits
                .get(s / 64)
                .is_some_and(|w| w >> (s % 64) & 1 == 1);
            if !again {
                if let (Some(x), Some(d)) = (pass.slots.get_mut(s), r.defaults.get(s)) {
                    x.clone_from(d);
                    if let Some(t) = tags.get_mut(s) {
                        *t = tag(d);
                    }
                }
            }
        }
        if tags_kept {
            for &s in &pass.written {
                if let (Some(t), Some(v)) = (tags.get_mut(s as usize), pass.slots.get(s as usize)) {
                    *t = tag(v);
                }
            }
        } else {
            tags.clear();
            tags.extend(pass.slots.iter().map(tag));
        }
        let mut notes = pass.notes;
        if notes.len() > 1 {
            notes.sort_by(|a, b| a.0.cmp(&b.0));
        }
        into.slots = pass.slots;
        into.written = pass.written;
        into.written_by = r.id;
        into.written_next = before;
        into.written_bits = pass.written_bits;
        into.sections = pass.sections;
        into.case_id = pass.case_id;
        into.notes.clear();
        into.notes.extend(notes.into_iter().map(|(_, n)| n));
        into.tags = tags;
        true
    }
}

/// One cell of a table's row, as a row reader takes it ([`crate::Policy::load_row_into`]):
/// what a column holds in that row, already told apart by kind (a table reader has it typed:
/// a column of truth values, of integers, of text).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cell<'a> {
    /// No value in this row (`None`, `NaN`, a null): the fact is not given.
    Absent,
    Bool(bool),
    Int(i64),
    Text(&'a str),
    /// Anything else (a decimal number, a list, an object, a value that is not JSON): the row
    /// is not read this way, and the caller takes the JSON way, which reports what is wrong.
    Other,
}

impl<'a> Cell<'a> {
    /// The cell a table would hold in the column of fact `path` (`minor.age`) for a case
    /// given as JSON: the value at that path, `Absent` where there is none or it is `null`,
    /// `Other` for a decimal number, a list or an object.
    pub fn of_json(case: &'a serde_json::Value, path: &str) -> Cell<'a> {
        use serde_json::Value;
        let mut cur = case;
        for seg in path.split('.') {
            match cur.get(seg) {
                Some(v) => cur = v,
                None => return Cell::Absent,
            }
        }
        match cur {
            Value::Null => Cell::Absent,
            Value::Bool(b) => Cell::Bool(*b),
            Value::Number(n) => n.as_i64().map_or(Cell::Other, Cell::Int),
            Value::String(s) => Cell::Text(s),
            Value::Array(_) | Value::Object(_) => Cell::Other,
        }
    }
}

/// The columns of a table matched once to the schema's facts: each column a fact's path, to
/// be read row by row straight into the fact slots (no JSON text, no `serde_json::Value`).
/// Built by [`crate::Policy::row_reader`].
#[derive(Clone, Debug)]
pub struct RowReader {
    columns: Vec<RowColumn>,
    /// The slots no column is read into, ascending.
    uncovered: Vec<usize>,
}

#[derive(Clone, Debug)]
struct RowColumn {
    slot: usize,
    ty: Type,
    range: Option<(i64, i64)>,
    case_id: bool,
    /// The optional sections the path runs through: given when the cell is.
    sections: Vec<usize>,
    /// Objects the path opens in a case's JSON, the case itself included.
    depth: usize,
    /// An upper bound on the bytes the path's keys take in the row's JSON text.
    key_bytes: usize,
}

impl RowReader {
    /// Whether a fact of this type can be a column: a type a cell holds.
    pub fn holds(ty: &Type) -> bool {
        matches!(
            ty,
            Type::Bool
                | Type::Int
                | Type::Enum(_)
                | Type::Text
                | Type::Date
                | Type::DateTime
                | Type::Duration
        )
    }

    /// The number of columns (the cells a row is read from, in this order).
    pub fn len(&self) -> usize {
        self.columns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }
}

impl PathTree {
    /// Matches columns to facts: `paths` are the columns' fact paths (`minor.age`), split at
    /// dots as a table's column names are. `None` unless every column is a distinct fact of
    /// a type a cell can hold (truth value, integer, enum, text, date, time, duration): other
    /// tables take the JSON way.
    pub(crate) fn row_reader(&self, schema: &Schema, paths: &[&str]) -> Option<RowReader> {
        let r = &self.fast;
        let mut columns = Vec::with_capacity(paths.len());
        let mut slots_seen = std::collections::HashSet::new();
        for path in paths {
            let segs: Vec<&str> = path.split('.').collect();
            let (last, parents) = segs.split_last()?;
            let mut object = r.objects.first()?;
            let mut sections = Vec::new();
            for seg in parents {
                let (_, i) = object.keys.get(seg.as_bytes())?;
                match object.entries.get(i)? {
                    Entry::Branch { object: o, section } => {
                        sections.extend(*section);
                        object = r.objects.get(*o)?;
                    }
                    Entry::Leaf { .. } => return None,
                }
            }
            let (_, i) = object.keys.get(last.as_bytes())?;
            let Entry::Leaf {
                slot,
                ty: Some(ty),
                range,
                case_id,
            } = object.entries.get(i)?
            else {
                return None;
            };
            if !RowReader::holds(ty)
                || !slots_seen.insert(*slot)
                || schema.facts.get(*slot).is_none()
            {
                return None;
            }
            columns.push(RowColumn {
                slot: *slot,
                ty: ty.clone(),
                range: *range,
                case_id: *case_id,
                sections,
                depth: segs.len(),
                // Each key quoted and escaped (at most 6 bytes a byte), a colon, a comma,
                // and the braces of the object it opens.
                key_bytes: segs.iter().map(|s| 6 * s.len() + 6).sum(),
            });
        }
        let uncovered = (0..r.defaults.len())
            .filter(|s| !slots_seen.contains(s))
            .collect();
        Some(RowReader { columns, uncovered })
    }

    /// Reads one row into `into`, reusing its buffers: `cell(i)` is the row's cell of column
    /// `i`. True when the row reads exactly as its case written as JSON (an object opened
    /// only for a value inside it) reads with [`PathTree::read_text_into`] — the same slots,
    /// sections and case id, and no note; false when it does not, or might not (a cell of
    /// another kind, a value the reader refuses, a time without offset, which takes a note;
    /// the row then goes the JSON way). `into` holds nothing of use after false.
    pub(crate) fn read_row_into<'c>(
        &self,
        schema: &Schema,
        reader: &RowReader,
        mut cell: impl FnMut(usize) -> Cell<'c>,
        opts: &crate::policy::FactsOptions,
        into: &mut Facts,
    ) -> bool {
        let r = &self.fast;
        into.tags.clear();
        let Some(mut bound) = RowBound::new(r, schema, opts) else {
            return false;
        };
        into.written_by = 0;
        into.slots.clone_from(&r.defaults);
        into.sections.clear();
        into.sections.resize(r.sections, false);
        into.case_id = None;
        into.notes.clear();
        for (i, c) in reader.columns.iter().enumerate() {
            let value = cell(i);
            match bound.admit(c, value) {
                Some(true) => {}
                Some(false) => continue,
                None => return false,
            }
            let Some(slot) = into.slots.get_mut(c.slot) else {
                return false;
            };
            // Each value written into its slot where it is made (see `Scan::leaf`: built
            // apart and moved in, a value costs a store-forwarding stall).
            match (value, &c.ty) {
                (Cell::Bool(b), Type::Bool) => *slot = Value::Bool(b),
                (Cell::Int(n), Type::Int) if c.range.is_none_or(|(lo, hi)| lo <= n && n <= hi) => {
                    *slot = Value::Int(n);
                }
                (Cell::Text(s), Type::Enum(id)) if !c.case_id => {
                    let Some(e) = r.enums.get(usize::from(*id)) else {
                        return false;
                    };
                    let Some(v) = e.get(s.as_bytes()).and_then(|(_, v)| u16::try_from(v).ok())
                    else {
                        return false;
                    };
                    *slot = Value::Enum(v);
                }
                (Cell::Text(s), ty) => {
                    if c.case_id {
                        into.case_id = Some(if r.case_id_sensitive && !opts.reveal_sensitive {
                            REDACTED.to_string()
                        } else {
                            s.to_string()
                        });
                    }
                    let Some(v) = text_value(r, ty, s) else {
                        return false;
                    };
                    *slot = v;
                }
                _ => return false,
            }
            for &s in &c.sections {
                if let Some(given) = into.sections.get_mut(s) {
                    *given = true;
                }
            }
        }
        into.tags.extend(into.slots.iter().map(tag));
        true
    }
}

impl PathTree {
    /// Whether [`PathTree::read_row_into`] would read the row (true) or hand it over (false),
    /// without reading it: the same checks, no slot written. For a row checked where its cells
    /// are found and read elsewhere.
    pub(crate) fn check_row<'c>(
        &self,
        schema: &Schema,
        reader: &RowReader,
        mut cell: impl FnMut(usize) -> Cell<'c>,
        opts: &crate::policy::FactsOptions,
    ) -> bool {
        let r = &self.fast;
        let Some(mut bound) = RowBound::new(r, schema, opts) else {
            return false;
        };
        for (i, c) in reader.columns.iter().enumerate() {
            let value = cell(i);
            match bound.admit(c, value) {
                Some(true) if c.slot < r.defaults.len() => {}
                Some(true) => return false,
                Some(false) => continue,
                None => return false,
            }
            let ok = match (value, &c.ty) {
                (Cell::Bool(_), Type::Bool) => true,
                (Cell::Int(n), Type::Int) => c.range.is_none_or(|(lo, hi)| lo <= n && n <= hi),
                // Any text is a text (`text_value` would only copy it).
                (Cell::Text(_), Type::Text) => true,
                (Cell::Text(s), ty) => text_value(r, ty, s).is_some(),
                _ => false,
            };
            if !ok {
                return false;
            }
        }
        true
    }
}

/// A cell of a column worked out once for its column's fact (see [`crate::Policy::resolve_cell`]):
/// what [`RowsWriter::put`] writes into a row. A column of few distinct values (codes into
/// them, truth values) resolves each value once and puts it into every row that holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolved(Res);

/// A byte's eight bits spread into the eight bytes of a word (bit `j` to byte `j`, as 1).
fn spread(b: u8) -> u64 {
    let mut x = u64::from(b);
    x = (x | (x << 28)) & 0x0000_000F_0000_000F;
    x = (x | (x << 14)) & 0x0003_0003_0003_0003;
    (x | (x << 7)) & 0x0101_0101_0101_0101
}

/// A column's distinct values ready to be written by their codes
/// ([`RowsWriter::put_codes`]): per code its tag, the bytes it adds, whether it is given or
/// refused. Made once per column ([`crate::Policy::code_table`]).
#[derive(Clone, Debug)]
pub enum CodeTable {
    /// One entry per distinct value, then the missing value's.
    Entries(Vec<CodeEntry>),
    /// A value a tag does not hold, the case's id, or more than 256 distinct values: each
    /// cell written the general way.
    Cells(Vec<Resolved>, Resolved),
}

#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub struct CodeEntry {
    tag: u8,
    text: usize,
    given: bool,
    refused: bool,
}

impl CodeTable {
    pub(crate) fn new(
        reader: &RowReader,
        defaults: &[Value],
        col: usize,
        cells: Vec<Resolved>,
        absent: Resolved,
    ) -> CodeTable {
        let Some(c) = reader.columns.get(col) else {
            return CodeTable::Cells(cells, absent);
        };
        let default_tag = defaults.get(c.slot).map_or(TAG_UNKNOWN, tag);
        let entry = |r: &Resolved| -> Option<CodeEntry> {
            Some(match &r.0 {
                Res::Absent if default_tag < TAG_LIST => CodeEntry {
                    tag: default_tag,
                    text: 0,
                    given: false,
                    refused: false,
                },
                Res::Refused => CodeEntry {
                    tag: TAG_UNKNOWN,
                    text: 0,
                    given: false,
                    refused: true,
                },
                Res::Value { tag, text, .. } if *tag < TAG_LIST && !c.case_id => CodeEntry {
                    tag: *tag,
                    text: *text,
                    given: true,
                    refused: false,
                },
                _ => return None,
            })
        };
        let entries: Option<Vec<CodeEntry>> = if cells.len() <= 256 {
            cells.iter().chain([&absent]).map(entry).collect()
        } else {
            None
        };
        match entries {
            Some(e) => CodeTable::Entries(e),
            None => CodeTable::Cells(cells, absent),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Res {
    /// No value: the fact's default.
    Absent,
    /// The row is not read this way (a cell of another kind, a value refused, a note).
    Refused,
    Value {
        value: Value,
        tag: u8,
        /// The bytes the cell adds to the bound on the row's JSON text (key and value).
        text: usize,
        /// For the case id's column: the id the case gets.
        case_id: Option<String>,
    },
}

impl Resolved {
    /// Whether a row holding this cell is handed over (read another way).
    pub fn is_refused(&self) -> bool {
        matches!(self.0, Res::Refused)
    }
}

impl PathTree {
    /// Column `col`'s cell `value` as [`PathTree::read_row_into`] would read it.
    pub(crate) fn resolve_cell(
        &self,
        reader: &RowReader,
        col: usize,
        value: Cell,
        opts: &crate::policy::FactsOptions,
    ) -> Resolved {
        let r = &self.fast;
        let Some(c) = reader.columns.get(col) else {
            return Resolved(Res::Refused);
        };
        let max_depth = opts.json_limits().max_depth.min(JSON_DEPTH_CEILING);
        let text = match value {
            Cell::Absent => return Resolved(Res::Absent),
            Cell::Other => return Resolved(Res::Refused),
            Cell::Bool(_) => 5,
            Cell::Int(_) => 20,
            Cell::Text(s) => s.len().saturating_mul(6).saturating_add(2),
        };
        if c.depth > max_depth {
            return Resolved(Res::Refused);
        }
        let mut case_id = None;
        let v = match (value, &c.ty) {
            (Cell::Bool(b), Type::Bool) => Value::Bool(b),
            (Cell::Int(n), Type::Int) if c.range.is_none_or(|(lo, hi)| lo <= n && n <= hi) => {
                Value::Int(n)
            }
            (Cell::Text(s), ty) => {
                if c.case_id {
                    case_id = Some(if r.case_id_sensitive && !opts.reveal_sensitive {
                        REDACTED.to_string()
                    } else {
                        s.to_string()
                    });
                }
                match text_value(r, ty, s) {
                    Some(v) => v,
                    None => return Resolved(Res::Refused),
                }
            }
            _ => return Resolved(Res::Refused),
        };
        Resolved(Res::Value {
            tag: tag(&v),
            value: v,
            text: text.saturating_add(c.key_bytes),
            case_id,
        })
    }

    /// A writer of the first `n` (at most 64) rows of a table into `block` (see
    /// [`RowsWriter`]).
    pub(crate) fn code_table(
        &self,
        reader: &RowReader,
        col: usize,
        cells: Vec<Resolved>,
        absent: Resolved,
    ) -> CodeTable {
        CodeTable::new(reader, &self.fast.defaults, col, cells, absent)
    }

    pub(crate) fn rows_writer<'a>(
        &'a self,
        schema: &Schema,
        reader: &'a RowReader,
        opts: &crate::policy::FactsOptions,
        block: &'a mut RowsBlock,
        n: usize,
    ) -> RowsWriter<'a> {
        let r = &self.fast;
        let n = n.min(64);
        let bound = RowBound::new(r, schema, opts);
        let slots = r.defaults.len();
        block.n = n;
        block.read = 0;
        block.tags.resize(slots, [TAG_UNKNOWN; 64]);
        block.others.resize_with(slots, || None);
        // The columns' slots are all written by `put`; the others hold their defaults.
        for &s in &reader.uncovered {
            if let Some(d) = r.defaults.get(s) {
                block.set(s, 0..n, d);
            }
        }
        block.given.clear();
        block.given.resize(r.sections, 0);
        block.case_ids.clear();
        if reader.columns.iter().any(|c| c.case_id) {
            block.case_ids.resize(n, None);
        }
        block.sections = r.sections;
        block.deferred.clear();
        RowsWriter {
            reader,
            defaults: &r.defaults,
            block,
            bytes: [2; 64],
            puts: [0; 64],
            puts_all: 0,
            deferred_bytes: 0,
            refused: if bound.is_some() { 0 } else { u64::MAX },
            max_bytes: bound.map_or(0, |b| b.max_bytes),
            max_depth: opts.json_limits().max_depth.min(JSON_DEPTH_CEILING),
        }
    }
}

/// Up to 64 rows of a table as the lanes of the batch evaluator read them: per fact, the rows'
/// tags in one row of 64 bytes, and the values a tag does not hold (a time, a text, a large
/// number); per optional section, the rows that give it. Written column by column by a
/// [`RowsWriter`] and evaluated by [`crate::Policy::evaluate_rows`]; a row's [`Facts`] are
/// made only where it is handed over, or asked for ([`RowsBlock::facts_into`]).
#[derive(Debug, Default)]
pub struct RowsBlock {
    n: usize,
    /// The rows the last writer read.
    read: u64,
    pub(crate) tags: Vec<[u8; 64]>,
    /// Per slot, the values of the rows whose tag does not hold it (`TAG_LIST` and above);
    /// made the first time a row needs it.
    others: Vec<Option<Box<[Value; 64]>>>,
    /// Per section, the rows that give it.
    given: Vec<u64>,
    sections: usize,
    /// Per row, the case's id (empty when no column is the id).
    case_ids: Vec<Option<String>>,
    /// For `Cases::with_facts`: a row's facts, made when handed over.
    scratch: std::cell::RefCell<Facts>,
    /// Truth-value columns whose bytes a writer counts only for a row near the limit: the
    /// rows true, false and missing, and the bytes each adds.
    deferred: Vec<([u64; 3], [usize; 3])>,
}

impl RowsBlock {
    pub fn new() -> RowsBlock {
        RowsBlock::default()
    }

    /// The rows written.
    pub fn len(&self) -> usize {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The rows read (bit `i` for row `i`), as the writer's `finish` said.
    pub fn read(&self) -> u64 {
        self.read
    }

    /// Writes `v` into `slot` for `rows`.
    fn set(&mut self, slot: usize, rows: std::ops::Range<usize>, v: &Value) {
        let t = tag(v);
        if let Some(row) = self.tags.get_mut(slot) {
            for i in rows.clone() {
                if let Some(x) = row.get_mut(i) {
                    *x = t;
                }
            }
        }
        if t >= TAG_LIST {
            for i in rows {
                self.set_other(slot, i, v);
            }
        }
    }

    fn set_other(&mut self, slot: usize, i: usize, v: &Value) {
        if let Some(o) = self.others.get_mut(slot) {
            let row = o.get_or_insert_with(|| Box::new(std::array::from_fn(|_| Value::Unknown)));
            if let Some(x) = row.get_mut(i) {
                x.clone_from(v);
            }
        }
    }

    /// Row `i`'s tag of `slot`.
    #[inline]
    pub(crate) fn tag(&self, i: usize, slot: usize) -> u8 {
        self.tags
            .get(slot)
            .and_then(|r| r.get(i))
            .copied()
            .unwrap_or(TAG_UNKNOWN)
    }

    /// Row `i`'s value of `slot`.
    pub(crate) fn value(&self, i: usize, slot: usize) -> std::borrow::Cow<'_, Value> {
        use std::borrow::Cow;
        let t = self.tag(i, slot);
        Cow::Owned(match t {
            TAG_UNKNOWN => Value::Unknown,
            TAG_FALSE => Value::Bool(false),
            TAG_TRUE => Value::Bool(true),
            _ if t < TAG_INT => Value::Enum(u16::from(t - TAG_ENUM)),
            _ if t < TAG_LIST => Value::Int(i64::from(t - TAG_INT)),
            _ => {
                return self
                    .others
                    .get(slot)
                    .and_then(|o| o.as_ref())
                    .and_then(|o| o.get(i))
                    .map_or(Cow::Owned(Value::Unknown), Cow::Borrowed)
            }
        })
    }

    /// The rows that give optional section `s` (bit `i` for row `i`).
    pub(crate) fn given(&self, s: usize) -> u64 {
        self.given.get(s).copied().unwrap_or(0)
    }

    /// Row `i`'s facts, as [`crate::Policy::load_row_into`] reads the row (for a row read).
    pub fn facts_into(&self, i: usize, facts: &mut Facts) {
        let slots = self.tags.len();
        facts.written_by = 0;
        facts.slots.clear();
        facts
            .slots
            .extend((0..slots).map(|s| self.value(i, s).into_owned()));
        facts.tags.clear();
        facts.tags.extend((0..slots).map(|s| self.tag(i, s)));
        facts.sections.clear();
        facts
            .sections
            .extend((0..self.sections).map(|s| self.given(s) >> (i % 64) & 1 == 1));
        facts.case_id = self.case_ids.get(i).cloned().flatten();
        facts.notes.clear();
    }

    /// Runs `f` on row `i`'s facts, made in a buffer the block keeps.
    pub(crate) fn with_facts<R>(&self, i: usize, f: impl FnOnce(&Facts) -> R) -> R {
        match self.scratch.try_borrow_mut() {
            Ok(mut scratch) => {
                self.facts_into(i, &mut scratch);
                f(&scratch)
            }
            Err(_) => {
                let mut facts = Facts::default();
                self.facts_into(i, &mut facts);
                f(&facts)
            }
        }
    }
}

/// Writes a block of up to 64 rows of a table into a [`RowsBlock`] column by column: every
/// cell of every row is [`put`](RowsWriter::put) (resolved once per distinct value where the
/// column has few), and [`finish`](RowsWriter::finish) says which rows read. A row that reads
/// holds exactly what [`crate::Policy::load_row_into`] gives it (see
/// [`RowsBlock::facts_into`]); the others (a cell refused, a cell never put, past the text's
/// limit) are to be read row by row.
pub struct RowsWriter<'a> {
    reader: &'a RowReader,
    defaults: &'a [Value],
    block: &'a mut RowsBlock,
    bytes: [usize; 64],
    puts: [u32; 64],
    /// Columns put into every row at once (`put_bits`), beside each row's `puts`.
    puts_all: u32,
    /// The most bytes the columns in `block.deferred` add to any row: a row whose `bytes` and
    /// this stay within the limit needs no exact count.
    deferred_bytes: usize,
    refused: u64,
    max_bytes: usize,
    /// The deepest path a cell may have (the options' JSON depth limit).
    max_depth: usize,
}

impl RowsWriter<'_> {
    /// The rows being written.
    pub fn len(&self) -> usize {
        self.block.n
    }

    pub fn is_empty(&self) -> bool {
        self.block.n == 0
    }

    /// Writes column `col`'s cell of row `row`.
    #[inline]
    pub fn put(&mut self, col: usize, row: usize, cell: &Resolved) {
        if let Some(c) = self.reader.columns.get(col) {
            self.put_at(c, row, cell);
        }
    }

    /// Whether column `col` is a date-time fact's (for [`RowsWriter::put_datetime`]).
    pub fn is_datetime(&self, col: usize) -> bool {
        self.reader
            .columns
            .get(col)
            .is_some_and(|c| c.ty == Type::DateTime && !c.case_id)
    }

    /// Writes a date-time column's cell given as its text's bytes, when the text has the
    /// common shape (`YYYY-MM-DDTHH:MM:SS±HH:MM`): what [`RowsWriter::put`] of the cell
    /// [`crate::Policy::resolve_cell`] makes of the text writes, without checking the bytes
    /// as UTF-8 first (the shape is ASCII) or working out the cell's kind again (a time
    /// column's texts seldom repeat, so each is read). False, and nothing written, for another
    /// column or another shape: that cell is to be resolved and `put`.
    pub fn put_datetime(&mut self, col: usize, row: usize, raw: &[u8]) -> bool {
        let reader = self.reader;
        let Some(c) = reader.columns.get(col) else {
            return false;
        };
        if c.ty != Type::DateTime || c.case_id || c.depth > self.max_depth {
            return false;
        }
        let Some(t) = DateTime::parse_common_bytes(raw) else {
            return false;
        };
        let value = Value::DateTime(t);
        let cell = Resolved(Res::Value {
            tag: tag(&value),
            value,
            text: raw
                .len()
                .saturating_mul(6)
                .saturating_add(2)
                .saturating_add(c.key_bytes),
            case_id: None,
        });
        self.put_at(c, row, &cell);
        true
    }

    /// Writes column `col`'s cells: the `i`th for row `i` (those past the block's last row
    /// are left).
    #[inline]
    pub fn put_column<'r>(&mut self, col: usize, cells: impl IntoIterator<Item = &'r Resolved>) {
        let Some(c) = self.reader.columns.get(col) else {
            return;
        };
        let n = self.block.n;
        for (row, cell) in cells.into_iter().take(n).enumerate() {
            self.put_at(c, row, cell);
        }
    }

    /// Writes column `col`'s cells given as codes into `cells`: row `i` holds
    /// `cells[codes[i]]`, and a code past `cells` is `absent`. For a column of few distinct
    /// values (truth values, an enum's texts): each cell is then a byte written and a few
    /// sums, where [`RowsWriter::put`] works out each cell's kind again. Over many blocks,
    /// make the table once ([`crate::Policy::code_table`]) and use [`RowsWriter::put_codes`].
    pub fn put_coded(
        &mut self,
        col: usize,
        codes: impl IntoIterator<Item = usize>,
        cells: &[Resolved],
        absent: &Resolved,
    ) {
        let table = CodeTable::new(
            self.reader,
            self.defaults,
            col,
            cells.to_vec(),
            absent.clone(),
        );
        self.put_codes(col, codes, &table);
    }

    /// Writes a column of truth values given as bitmaps (Arrow's): row `i` is bit `i` of
    /// `values`, missing where bit `i` of `valid` is clear. `table` is the column's
    /// [`CodeTable`] of `[false, true]` and the missing value: the same cells as
    /// [`RowsWriter::put_codes`] with codes 0, 1 and 2, written eight rows at a time.
    pub fn put_bits(&mut self, col: usize, values: u64, valid: u64, table: &CodeTable) {
        let n = self.block.n.min(64);
        let live = if n >= 64 { u64::MAX } else { (1u64 << n) - 1 };
        let (t, f, a) = (values & valid & live, !values & valid & live, !valid & live);
        let (Some(c), CodeTable::Entries(entries)) = (self.reader.columns.get(col), table) else {
            let code = |i: usize| usize::from(a >> i & 1 == 1) * 2 + usize::from(t >> i & 1 == 1);
            self.put_codes(col, (0..n).map(code), table);
            return;
        };
        let (Some(e0), Some(e1), Some(ea), 3) = (
            entries.first(),
            entries.get(1),
            entries.get(2),
            entries.len(),
        ) else {
            let code = |i: usize| usize::from(a >> i & 1 == 1) * 2 + usize::from(t >> i & 1 == 1);
            self.put_codes(col, (0..n).map(code), table);
            return;
        };
        let Some(tags) = self.block.tags.get_mut(c.slot) else {
            self.refused = u64::MAX;
            return;
        };
        // Eight rows' tags a word: each row's byte is its entry's tag.
        for (j, chunk) in tags.chunks_exact_mut(8).enumerate().take(n.div_ceil(8)) {
            let byte = |m: u64, tag: u8| spread((m >> (8 * j)) as u8) * u64::from(tag);
            let word = byte(t, e1.tag) | byte(f, e0.tag) | byte(a, ea.tag);
            let rows = n - 8 * j;
            if rows >= 8 {
                chunk.copy_from_slice(&word.to_le_bytes());
            } else {
                for (dst, src) in chunk.iter_mut().zip(word.to_le_bytes()).take(rows) {
                    *dst = src;
                }
            }
        }
        if e0.text | e1.text | ea.text != 0 {
            // Counted row by row only where a row may pass the limit (`finish`).
            let most = e0.text.max(e1.text).max(ea.text);
            self.deferred_bytes = self.deferred_bytes.saturating_add(most);
            self.block
                .deferred
                .push(([t, f, a], [e1.text, e0.text, ea.text]));
        }
        let rows_of = |e: &CodeEntry, m: u64, which: fn(&CodeEntry) -> bool| {
            if which(e) {
                m
            } else {
                0
            }
        };
        let given =
            rows_of(e1, t, |e| e.given) | rows_of(e0, f, |e| e.given) | rows_of(ea, a, |e| e.given);
        self.refused |= rows_of(e1, t, |e| e.refused)
            | rows_of(e0, f, |e| e.refused)
            | rows_of(ea, a, |e| e.refused);
        self.puts_all += 1;
        for &s in &c.sections {
            if let Some(g) = self.block.given.get_mut(s) {
                *g |= given;
            }
        }
    }

    /// [`RowsWriter::put_coded`] with the column's table made once.
    pub fn put_codes(
        &mut self,
        col: usize,
        codes: impl IntoIterator<Item = usize>,
        table: &CodeTable,
    ) {
        let Some(c) = self.reader.columns.get(col) else {
            return;
        };
        let n = self.block.n.min(64);
        let entries = match table {
            CodeTable::Entries(e) => e,
            CodeTable::Cells(cells, absent) => {
                for (row, code) in codes.into_iter().take(n).enumerate() {
                    self.put_at(c, row, cells.get(code).unwrap_or(absent));
                }
                return;
            }
        };
        let past = entries.len().saturating_sub(1);
        let Some(tags) = self.block.tags.get_mut(c.slot) else {
            self.refused = u64::MAX;
            return;
        };
        let (mut given, mut refused, mut put) = (0u64, 0u64, 0usize);
        let rows = tags.iter_mut().zip(self.bytes.iter_mut()).take(n);
        for (row, (code, (t, b))) in codes.into_iter().zip(rows).enumerate() {
            let Some(e) = entries.get(code.min(past)) else {
                continue;
            };
            *t = e.tag;
            *b = b.saturating_add(e.text);
            given |= u64::from(e.given) << row;
            refused |= u64::from(e.refused) << row;
            put += 1;
        }
        for p in self.puts.iter_mut().take(put) {
            *p += 1;
        }
        self.refused |= refused;
        for &s in &c.sections {
            if let Some(g) = self.block.given.get_mut(s) {
                *g |= given;
            }
        }
    }

    #[inline(always)]
    fn put_at(&mut self, c: &RowColumn, row: usize, cell: &Resolved) {
        if row >= self.block.n {
            return;
        }
        let (Some(puts), Some(bytes)) = (self.puts.get_mut(row), self.bytes.get_mut(row)) else {
            return;
        };
        *puts += 1;
        let bit = 1u64 << (row % 64);
        let Some(t) = self.block.tags.get_mut(c.slot).and_then(|r| r.get_mut(row)) else {
            self.refused |= bit;
            return;
        };
        match &cell.0 {
            Res::Absent => match self.defaults.get(c.slot) {
                None | Some(Value::Unknown) => *t = TAG_UNKNOWN,
                Some(d) => {
                    let dt = tag(d);
                    *t = dt;
                    if dt >= TAG_LIST {
                        self.block.set_other(c.slot, row, d);
                    }
                }
            },
            Res::Refused => self.refused |= bit,
            Res::Value {
                value,
                tag: vt,
                text,
                case_id,
            } => {
                *t = *vt;
                *bytes = bytes.saturating_add(*text);
                if *vt >= TAG_LIST {
                    self.block.set_other(c.slot, row, value);
                }
                if c.case_id {
                    if let Some(x) = self.block.case_ids.get_mut(row) {
                        x.clone_from(case_id);
                    }
                }
                for &s in &c.sections {
                    if let Some(g) = self.block.given.get_mut(s) {
                        *g |= bit;
                    }
                }
            }
        }
    }

    /// The rows read (bit `i` for row `i`), also kept in the block.
    pub fn finish(self) -> u64 {
        let n = self.block.n;
        let mut read = if n >= 64 { u64::MAX } else { (1u64 << n) - 1 };
        read &= !self.refused;
        let cols = self.reader.columns.len();
        for (i, (&p, &b)) in self.puts.iter().zip(&self.bytes).enumerate().take(n) {
            let mut b = b;
            if b.saturating_add(self.deferred_bytes) > self.max_bytes {
                // Near the limit: the deferred columns' bytes, counted exactly.
                for (masks, texts) in &self.block.deferred {
                    for (m, t) in masks.iter().zip(texts) {
                        if m >> i & 1 == 1 {
                            b = b.saturating_add(*t);
                        }
                    }
                }
            }
            if (p + self.puts_all) as usize != cols || b > self.max_bytes {
                read &= !(1 << i);
            }
        }
        self.block.read = read;
        read
    }
}

/// The limits a row's JSON text would be held to (its length, its depth), checked cell by cell
/// against an upper bound on the text's length.
struct RowBound {
    bytes: usize,
    max_bytes: usize,
    max_depth: usize,
}

impl RowBound {
    /// `None` when no row can be read (the row's text is at least `{}`, an object at depth 1).
    fn new(
        r: &FastReader,
        schema: &Schema,
        opts: &crate::policy::FactsOptions,
    ) -> Option<RowBound> {
        let limits = opts.json_limits();
        let max_depth = limits.max_depth.min(JSON_DEPTH_CEILING);
        (r.defaults.len() == schema.facts.len() && max_depth >= 1 && limits.max_bytes >= 2)
            .then_some(RowBound {
                bytes: 2,
                max_bytes: limits.max_bytes,
                max_depth,
            })
    }

    /// A cell of column `c`: `Some(true)` to read it, `Some(false)` when it is absent, `None`
    /// when the row is not to be read (a cell of another kind, past a limit).
    fn admit(&mut self, c: &RowColumn, value: Cell) -> Option<bool> {
        let text = match value {
            Cell::Absent => return Some(false),
            Cell::Other => return None,
            Cell::Bool(_) => 5,
            Cell::Int(_) => 20,
            Cell::Text(s) => s.len().saturating_mul(6).saturating_add(2),
        };
        self.bytes = self.bytes.saturating_add(c.key_bytes).saturating_add(text);
        (c.depth <= self.max_depth && self.bytes <= self.max_bytes).then_some(true)
    }
}

/// A text cell's value for a fact of type `ty`, as the one-pass reader reads a JSON string:
/// `None` where it would refuse it, or note something (a time without offset).
fn text_value(r: &FastReader, ty: &Type, s: &str) -> Option<Value> {
    Some(match ty {
        Type::Enum(id) => {
            let e = r.enums.get(usize::from(*id))?;
            Value::Enum(u16::try_from(e.get(s.as_bytes())?.1).ok()?)
        }
        Type::Text => Value::Text(Arc::from(s)),
        Type::Date => Value::Date(Date::parse(s).ok()?),
        Type::DateTime => match DateTime::parse(s).ok()? {
            (d, true) => Value::DateTime(d),
            (_, false) => return None,
        },
        Type::Duration => Value::Duration(Duration::parse(s).ok()?),
        _ => return None,
    })
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
    /// The slots written (see [`Facts::written`]), as a list and as bits.
    written: Vec<u32>,
    written_bits: Vec<u64>,
    sections: Vec<bool>,
    case_id: Option<String>,
    /// Notes, each with the path of its value (they are sorted by it at the end).
    notes: Vec<(Vec<Seg<'r>>, String)>,
    /// The path of the value being read, for notes.
    path: Vec<Seg<'r>>,
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

/// The one-pass reader's JSON scanner: reads exactly what the schema expects where it expects
/// it (any other JSON value, even a valid one, gives up), to serde_json's grammar: whitespace
/// is space, tab, CR and LF; strings have no raw control characters, their escapes are
/// serde_json's (`\u` surrogates only in pairs); numbers have no leading zeros, a digit after
/// `.` and after an exponent. Whole numbers are read here; any other number is read by
/// serde_json itself, from its text, to the same value the two-pass reader gets.
struct Scan<'t, 'r> {
    text: &'t str,
    /// The next byte to read.
    at: usize,
    pass: Pass<'r>,
}

/// A JSON number: a whole number written without fraction or exponent that fits an `i64`, or
/// the text of any other.
enum Num<'t> {
    Int(i64),
    Other(&'t str),
}

/// Where a plain run of a string's bytes ends, from `i`: the first `"`, `\\` or control
/// character (or the end of the text). Eight bytes at a time: a byte's high bit is set in
/// `hit` when it is one of them (the lowest set bit always marks a true one; borrows only
/// mark bytes above it).
#[inline]
fn string_end(b: &[u8], mut i: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while let Some(chunk) = b.get(i..i + 8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        let w = u64::from_le_bytes(w);
        let quote = w ^ (ONES * u64::from(b'"'));
        let backslash = w ^ (ONES * u64::from(b'\\'));
        let hit = ((quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
            | (w.wrapping_sub(ONES * 0x20) & !w))
            & HIGH;
        if hit != 0 {
            return i + (hit.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if c == b'"' || c == b'\\' || c < 0x20 {
            break;
        }
        i += 1;
    }
    i
}

/// Four hex digits of a `\u` escape.
fn hex4(b: &[u8], at: usize) -> Option<u32> {
    let mut n = 0;
    for &c in b.get(at..at + 4)? {
        n = n * 16 + char::from(c).to_digit(16)?;
    }
    Some(n)
}

impl<'t, 'r> Scan<'t, 'r> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    #[inline]
    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    /// The next byte after whitespace, not read.
    #[inline]
    fn token(&mut self) -> Option<u8> {
        self.ws();
        self.peek()
    }

    #[inline]
    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.at += 1)
    }

    /// `true`, `false` or `null`: compared byte by byte inline (no call to `memcmp`).
    #[inline]
    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.at + word.len();
        let got = self.text.as_bytes().get(self.at..end)?;
        got.iter()
            .zip(word)
            .all(|(a, b)| a == b)
            .then(|| self.at = end)
    }

    /// The key expected next, when it is next in the text (its index), else the key read
    /// and looked up.
    #[inline]
    fn key(&mut self, expect: usize, order: &KeyOrder, keys: &KeyTable) -> Option<usize> {
        if let Some(q) = order.quoted.get(expect).filter(|q| !q.is_empty()) {
            let end = self.at + q.len();
            if self.text.as_bytes().get(self.at..end) == Some(&**q) {
                self.at = end;
                return Some(expect);
            }
        }
        let key = self.string()?;
        keys.get(key.as_bytes()).map(|(_, i)| i)
    }

    /// After an item of an object or list: `,` (true) or the closing byte (false).
    #[inline]
    fn more(&mut self, close: u8) -> Option<bool> {
        let c = self.token()?;
        self.at += 1;
        if c == b',' {
            self.ws();
            Some(true)
        } else {
            (c == close).then_some(false)
        }
    }

    /// A string, from its opening quote: borrowed from the text unless it has escapes.
    fn string(&mut self) -> Option<std::borrow::Cow<'t, str>> {
        use std::borrow::Cow;
        self.eat(b'"')?;
        let text = self.text;
        let b = text.as_bytes();
        let start = self.at;
        let mut i = string_end(b, start);
        match *b.get(i)? {
            b'"' => {
                self.at = i + 1;
                return text.get(start..i).map(Cow::Borrowed);
            }
            b'\\' => {}
            _ => return None,
        }
        let mut out = String::from(text.get(start..i)?);
        loop {
            match *b.get(i)? {
                b'"' => {
                    self.at = i + 1;
                    return Some(Cow::Owned(out));
                }
                b'\\' => {
                    i += 1;
                    out.push(match *b.get(i)? {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = hex4(b, i + 1)?;
                            i += 4;
                            let cp = if (0xD800..0xDC00).contains(&hi) {
                                if b.get(i + 1..i + 3)? != b"\\u" {
                                    return None;
                                }
                                let lo = hex4(b, i + 3)?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return None;
                                }
                                i += 6;
                                0x1_0000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            // A lone trailing surrogate is no character.
                            char::from_u32(cp)?
                        }
                        _ => return None,
                    });
                    i += 1;
                }
                c if c < 0x20 => return None,
                _ => {
                    let run = i;
                    i = string_end(b, i);
                    out.push_str(text.get(run..i)?);
                }
            }
        }
    }

    fn number(&mut self) -> Option<Num<'t>> {
        let b = self.text.as_bytes();
        let start = self.at;
        let mut i = start;
        let neg = b.get(i) == Some(&b'-');
        if neg {
            i += 1;
        }
        let mut mag: Option<u64> = Some(0);
        match *b.get(i)? {
            b'0' => {
                i += 1;
                if b.get(i).is_some_and(u8::is_ascii_digit) {
                    return None;
                }
            }
            b'1'..=b'9' => {
                while let Some(&d) = b.get(i).filter(|d| d.is_ascii_digit()) {
                    mag = mag
                        .and_then(|m| m.checked_mul(10))
                        .and_then(|m| m.checked_add(u64::from(d - b'0')));
                    i += 1;
                }
            }
            _ => return None,
        }
        let mut whole = true;
        if b.get(i) == Some(&b'.') {
            whole = false;
            i += 1;
            if !b.get(i).is_some_and(u8::is_ascii_digit) {
                return None;
            }
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            whole = false;
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if !b.get(i).is_some_and(u8::is_ascii_digit) {
                return None;
            }
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
        self.at = i;
        if !whole {
            return self.text.get(start..i).map(Num::Other);
        }
        // serde_json reads `-0`, and whole numbers past 64 bits, as floats: left to the
        // two-pass reader (for both an `Int` and a `Decimal` they are an error or rare).
        let mag = mag?;
        let v = if neg {
            if mag == 0 {
                return None;
            }
            0i64.checked_sub_unsigned(mag)?
        } else {
            i64::try_from(mag).ok()?
        };
        Some(Num::Int(v))
    }

    /// An object of the fact tree, from its `{`.
    fn object(&mut self, object: &'r FastObject, depth: usize) -> Option<()> {
        let level = depth + 1;
        if level > self.pass.max_depth {
            return None;
        }
        self.eat(b'{')?;
        let reader = self.pass.reader;
        let mut seen = Seen::new(object.entries.len());
        if self.token()? == b'}' {
            self.at += 1;
            return Some(());
        }
        let order = &object.order;
        let mut expect = order.first;
        loop {
            let i = self.key(expect, order, &object.keys)?;
            if !seen.insert(i) {
                return None;
            }
            expect = order.next.get(i).copied().unwrap_or(usize::MAX);
            let name = order.names.get(i)?;
            self.ws();
            self.eat(b':')?;
            self.ws();
            self.pass.path.push(Seg::Key(name));
            match object.entries.get(i)? {
                Entry::Leaf {
                    slot,
                    ty,
                    range,
                    case_id,
                } => self.leaf(ty.as_ref()?, *range, level, *case_id, *slot)?,
                Entry::Branch { object, section } => {
                    if self.peek()? == b'n' {
                        self.literal(b"null")?;
                    } else {
                        if let Some(s) = section {
                            *self.pass.sections.get_mut(*s)? = true;
                        }
                        self.object(reader.objects.get(*object)?, level)?;
                    }
                }
            }
            self.pass.path.pop();
            if !self.more(b'}')? {
                return Some(());
            }
        }
    }

    /// A fact's value, into its slot (left as it is for `null`). Truth values, whole numbers
    /// and enum values — most of a case — are written into the slot where they are read:
    /// returned through `value` as an `Option<Option<Value>>`, each was stored to the stack
    /// byte by byte and loaded back in 16-byte words, a store-forwarding stall per fact that
    /// cost most of the reader's time.
    #[inline]
    fn leaf(
        &mut self,
        ty: &'r Type,
        range: Option<(i64, i64)>,
        depth: usize,
        case_id: bool,
        slot: usize,
    ) -> Option<()> {
        let c = self.peek()?;
        if c == b'n' {
            return self.literal(b"null");
        }
        // Recorded before it is written. (A value that fails to read fails the whole line: the
        // next line then sets every slot to its default.)
        self.pass.written.push(slot as u32);
        if let Some(w) = self.pass.written_bits.get_mut(slot / 64) {
            *w |= 1 << (slot % 64);
        }
        match ty {
            Type::Bool => {
                let b = c == b't';
                self.literal(if b { b"true" } else { b"false" })?;
                *self.pass.slots.get_mut(slot)? = Value::Bool(b);
            }
            Type::Int => {
                let Num::Int(i) = self.number()? else {
                    return None;
                };
                if range.is_some_and(|(lo, hi)| i < lo || i > hi) {
                    return None;
                }
                *self.pass.slots.get_mut(slot)? = Value::Int(i);
            }
            Type::Enum(id) if !case_id => {
                let s = self.string()?;
                let e = self.pass.reader.enums.get(usize::from(*id))?;
                let v = u16::try_from(e.get(s.as_bytes())?.1).ok()?;
                *self.pass.slots.get_mut(slot)? = Value::Enum(v);
            }
            _ => {
                if let Some(v) = self.value(ty, range, depth, case_id)? {
                    *self.pass.slots.get_mut(slot)? = v;
                }
            }
        }
        Some(())
    }

    /// A fact's or a record field's value: `None` for `null` (absent).
    fn value(
        &mut self,
        ty: &'r Type,
        range: Option<(i64, i64)>,
        depth: usize,
        case_id: bool,
    ) -> Option<Option<Value>> {
        let c = self.peek()?;
        if c == b'n' {
            self.literal(b"null")?;
            return Some(None);
        }
        let v = match ty {
            Type::Bool if c == b't' => {
                self.literal(b"true")?;
                Value::Bool(true)
            }
            Type::Bool => {
                self.literal(b"false")?;
                Value::Bool(false)
            }
            Type::Int => match self.number()? {
                Num::Int(i) => match range {
                    Some((lo, hi)) if i < lo || i > hi => return None,
                    _ => Value::Int(i),
                },
                Num::Other(_) => return None,
            },
            // `parse_decimal` of the number's text as serde_json writes it, as the two-pass
            // reader does; of a whole number that text is its digits.
            Type::Decimal => Value::Decimal(match self.number()? {
                Num::Int(i) => i.checked_mul(DECIMAL_SCALE)?,
                Num::Other(t) => {
                    let n: serde_json::Number = serde_json::from_str(t).ok()?;
                    parse_decimal(&n.to_string())?
                }
            }),
            Type::Text | Type::Date | Type::DateTime | Type::Duration | Type::Enum(_) => {
                let s = self.string()?;
                if case_id {
                    self.pass.case_id = Some(if self.pass.case_id_hidden {
                        REDACTED.to_string()
                    } else {
                        s.to_string()
                    });
                }
                match ty {
                    Type::Text => Value::Text(Arc::from(&*s)),
                    Type::Date => Value::Date(Date::parse(&s).ok()?),
                    Type::DateTime => {
                        let (d, had_offset) = DateTime::parse(&s).ok()?;
                        if !had_offset {
                            let path = path_text(&self.pass.path);
                            self.pass.notes.push((
                                self.pass.path.clone(),
                                format!("{path} had no offset; read as +08:00 / {path} 未注明时区，按北京时间（+08:00）处理"),
                            ));
                        }
                        Value::DateTime(d)
                    }
                    Type::Duration => Value::Duration(Duration::parse(&s).ok()?),
                    Type::Enum(id) => {
                        let e = self.pass.reader.enums.get(usize::from(*id))?;
                        Value::Enum(u16::try_from(e.get(s.as_bytes())?.1).ok()?)
                    }
                    _ => return None,
                }
            }
            Type::Set(id) => self.set(*id, depth)?,
            Type::List(rid) => self.list(*rid, depth)?,
            _ => return None,
        };
        Some(Some(v))
    }

    /// A set of enum values, from its `[`.
    fn set(&mut self, id: EnumId, depth: usize) -> Option<Value> {
        if depth + 1 > self.pass.max_depth {
            return None;
        }
        self.eat(b'[')?;
        let e = self.pass.reader.enums.get(usize::from(id))?;
        let mut bits = 0u128;
        if self.token()? == b']' {
            self.at += 1;
        } else {
            loop {
                let s = self.string()?;
                bits |= 1u128 << (e.get(s.as_bytes())?.1 % 128);
                if !self.more(b']')? {
                    break;
                }
            }
        }
        Some(Value::Set {
            bits,
            complete: true,
        })
    }

    /// A list of records, from its `[`.
    fn list(&mut self, rid: RecordId, depth: usize) -> Option<Value> {
        let level = depth + 1;
        if level > self.pass.max_depth {
            return None;
        }
        self.eat(b'[')?;
        let (schema, reader) = (self.pass.schema, self.pass.reader);
        let rec = schema.record_def(rid)?;
        let keys = reader.records.get(usize::from(rid))?;
        let mut out = Vec::new();
        if self.token()? == b']' {
            self.at += 1;
        } else {
            loop {
                if out.len() >= self.pass.max_list_len {
                    return None;
                }
                self.pass.path.push(Seg::Index(out.len()));
                out.push(self.record(rec, keys, level)?);
                self.pass.path.pop();
                if !self.more(b']')? {
                    break;
                }
            }
        }
        Some(Value::List(Arc::new(out)))
    }

    /// An item of a list of records, from its `{`.
    fn record(
        &mut self,
        rec: &'r RecordDef,
        keys: &'r (KeyTable, KeyOrder),
        depth: usize,
    ) -> Option<Arc<[Value]>> {
        let level = depth + 1;
        if level > self.pass.max_depth {
            return None;
        }
        self.eat(b'{')?;
        let mut fields = vec![Value::Unknown; rec.fields.len()];
        let mut seen = Seen::new(rec.fields.len());
        if self.token()? == b'}' {
            self.at += 1;
            return Some(Arc::from(fields));
        }
        let (keys, order) = (&keys.0, &keys.1);
        let mut expect = order.first;
        loop {
            let i = self.key(expect, order, keys)?;
            if !seen.insert(i) {
                return None;
            }
            expect = order.next.get(i).copied().unwrap_or(usize::MAX);
            let name = order.names.get(i)?;
            let fd = rec.fields.get(i)?;
            self.ws();
            self.eat(b':')?;
            self.ws();
            self.pass.path.push(Seg::Key(name));
            if let Some(v) = self.value(&fd.ty, fd.range, level, false)? {
                *fields.get_mut(i)? = v;
            }
            self.pass.path.pop();
            if !self.more(b'}')? {
                return Some(Arc::from(fields));
            }
        }
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
