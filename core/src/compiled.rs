//! A checked and compiled policy set as bytes: what [`crate::Policy::to_bytes`] writes and
//! [`crate::Policy::from_bytes`] reads, so a set can be compiled once (at build time) and
//! loaded without parsing or checking.
//!
//! The layout: the magic `HUMIAO\0P`, then a postcard header (format version, engine version,
//! digest), then the postcard payload (everything a [`crate::Policy`] holds except what is
//! derived from it: record field indexes, line indexes and the facts path tree are rebuilt).
//!
//! A second, smaller kind holds only what evaluation needs ([`crate::Policy::to_evaluation_bytes`],
//! read by [`crate::Policy::from_evaluation_bytes`]; the page's first decision): the magic
//! `HUMIAO\0E`, the same header, then the name, version, schema, program and policies — no
//! source texts, in-file tests, rotations, rosters or diagnostics, and so none of the code that
//! reads them in a build that only evaluates. Each kind is refused by the other's reader with a
//! message that names the right one.
//! Bytes from another format or engine version are refused with a message, never misread;
//! malformed bytes are an error, never a panic (nesting is bounded while reading, since
//! postcard recurses once per level).

use crate::compile::PolicyInfo;
use crate::diag::{Diagnostic, Severity, SourceFile};
use crate::ir::{Agg, Arith, Builtin, Cmp, CompiledTest, Ex, Program};
use crate::model::{EnumId, FieldDef, RecordDef, RecordId, Schema, Type, Value};
use crate::policy::Source;
use crate::time::{Calendar, Date, DateTime, Duration};
use humiao_grammar::ast::{RosterDecl, RotationDecl, Span};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::cell::{Cell, RefCell};
use std::sync::Arc;

/// The first bytes of every compiled policy set.
pub const MAGIC: &[u8; 8] = b"HUMIAO\0P";

/// The first bytes of a compiled policy set that holds only what evaluation needs.
pub const EVALUATION_MAGIC: &[u8; 8] = b"HUMIAO\0E";

/// The version of the layout below. Bump it whenever a type written here changes shape (a field
/// or variant added, removed or reordered in `ir.rs`, `model.rs`, or the payload); the test
/// `the_format_is_pinned` fails until you do.
pub const FORMAT_VERSION: u32 = 1;

/// The engine that writes and reads the bytes: bytes are only read by the engine version that
/// wrote them, because the compiled program's meaning is the evaluator's.
pub const ENGINE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Deepest nesting of expressions, types and values read from bytes: twice what the parser
/// allows in one expression (128), for definitions inlined into each other, and shallow enough
/// for wasm32's 1 MiB stack. A deeper set still compiles from its sources.
pub const MAX_DEPTH: u32 = 256;

/// Why bytes could not be read as a compiled policy set (or a set could not be written).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BytesError {
    #[error("these bytes are not a compiled humiao policy set")]
    NotCompiled,
    #[error("the policy set was compiled by humiao {engine} (format {format}); this is humiao {ENGINE_VERSION} (format {FORMAT_VERSION}): compile it from its sources again")]
    OtherVersion { engine: String, format: u32 },
    #[error("the compiled policy set is damaged: {0}")]
    Malformed(String),
    #[error("these bytes hold only what evaluation needs (to_evaluation_bytes, toEvaluationBytes in JavaScript): read them with from_evaluation_bytes (fromEvaluationBytes), or compile the whole set from its sources")]
    EvaluationOnly,
    #[error("these bytes hold the whole policy set (to_bytes, toBytes in JavaScript), not only what evaluation needs (to_evaluation_bytes): read them with from_bytes (fromBytes)")]
    WholeSet,
    #[error("the policy set could not be written as bytes: {0}")]
    Write(String),
}

impl BytesError {
    pub fn message_zh(&self) -> String {
        match self {
            BytesError::NotCompiled => "这些字节不是编译后的护苗政策集".into(),
            BytesError::OtherVersion { engine, format } => format!(
                "该政策集由护苗 {engine}（格式 {format}）编译，当前为护苗 {ENGINE_VERSION}（格式 {FORMAT_VERSION}）：请从源文件重新编译"
            ),
            BytesError::Malformed(m) => format!("编译后的政策集已损坏：{m}"),
            BytesError::EvaluationOnly => "这些字节只含求值所需的部分（to_evaluation_bytes，JavaScript 中为 toEvaluationBytes）：请用 from_evaluation_bytes（fromEvaluationBytes）读取，或从源文件编译完整的政策集".into(),
            BytesError::WholeSet => "这些字节是完整的政策集（to_bytes，JavaScript 中为 toBytes），而非只含求值所需的部分（to_evaluation_bytes）：请用 from_bytes（fromBytes）读取".into(),
            BytesError::Write(m) => format!("政策集无法写为字节：{m}"),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Header {
    format: u32,
    engine: String,
    digest: String,
}

/// The parts of a policy set the bytes carry, as read back.
pub(crate) struct Parts {
    pub name: String,
    pub version: String,
    pub digest: String,
    pub schema: Schema,
    pub program: Program,
    pub policies: Vec<PolicyInfo>,
    pub tests: Vec<CompiledTest>,
    pub rotations: Vec<(usize, RotationDecl)>,
    pub rosters: Vec<(usize, RosterDecl)>,
    pub files: Vec<SourceFile>,
    pub sources: Vec<Source>,
    pub diagnostics: Vec<Diagnostic>,
}

/// The payload as written: the `.humiao` files are indexes into `sources` (their texts are
/// the same).
#[derive(Serialize)]
struct PayloadOut<'a> {
    name: &'a str,
    version: &'a str,
    schema: &'a Schema,
    program: &'a Program,
    policies: &'a [PolicyInfo],
    tests: &'a [CompiledTest],
    rotations: &'a [(usize, RotationDecl)],
    rosters: &'a [(usize, RosterDecl)],
    files: Vec<u32>,
    sources: Vec<(&'a str, &'a str)>,
    diagnostics: Vec<DiagnosticWire>,
}

#[derive(Deserialize)]
struct PayloadIn {
    name: String,
    version: String,
    schema: Schema,
    program: Program,
    policies: Vec<PolicyInfo>,
    tests: Vec<CompiledTest>,
    rotations: Vec<(usize, RotationDecl)>,
    rosters: Vec<(usize, RosterDecl)>,
    files: Vec<u32>,
    sources: Vec<(String, String)>,
    diagnostics: Vec<DiagnosticWire>,
}

/// The payload of evaluation-only bytes.
#[derive(Serialize)]
struct EvaluationOut<'a> {
    name: &'a str,
    version: &'a str,
    schema: &'a Schema,
    program: &'a Program,
    policies: &'a [PolicyInfo],
}

#[derive(Deserialize)]
struct EvaluationIn {
    name: String,
    version: String,
    schema: Schema,
    program: Program,
    policies: Vec<PolicyInfo>,
}

#[derive(Serialize, Deserialize)]
struct DiagnosticWire {
    code: String,
    severity: u8,
    file: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    message: String,
    message_zh: String,
    help: Option<String>,
    help_zh: Option<String>,
    span: Span,
}

/// Every diagnostic code the engine can give (a `Diagnostic`'s code is `&'static str`).
const CODES: &[&str] = &[
    "E0001", "E0002", "E0003", "E0004", "E0005", "E0009", "E0101", "E0102", "E0103", "E0104",
    "E0105", "E0106", "E0107", "E0108", "E0201", "E0202", "E0203", "E0205", "E0206", "E0207",
    "E0208", "E0301", "E0302", "E0303", "E0304", "E0305", "E0401", "E0402", "E0501", "E0502",
    "E0503", "E0504", "E0601", "E0901", "I0401", "W0101", "W0102", "W0103", "W0301", "W0302",
    "W0303", "W0304", "W0305", "W0401", "W0601", "W0602",
];

fn severity_code(s: Severity) -> u8 {
    match s {
        Severity::Error => 0,
        Severity::Warning => 1,
        Severity::Info => 2,
    }
}

impl DiagnosticWire {
    fn of(d: &Diagnostic) -> DiagnosticWire {
        DiagnosticWire {
            code: d.code.to_string(),
            severity: severity_code(d.severity),
            file: d.file.clone(),
            line: d.line,
            column: d.column,
            end_line: d.end_line,
            end_column: d.end_column,
            message: d.message.clone(),
            message_zh: d.message_zh.clone(),
            help: d.help.clone(),
            help_zh: d.help_zh.clone(),
            span: d.span,
        }
    }

    fn into_diagnostic(self) -> Result<Diagnostic, BytesError> {
        let code = CODES.iter().find(|c| **c == self.code).ok_or_else(|| {
            BytesError::Malformed(format!("unknown diagnostic code `{}`", self.code))
        })?;
        let severity = match self.severity {
            0 => Severity::Error,
            1 => Severity::Warning,
            2 => Severity::Info,
            n => return Err(BytesError::Malformed(format!("unknown severity {n}"))),
        };
        Ok(Diagnostic {
            code,
            severity,
            file: self.file,
            line: self.line,
            column: self.column,
            end_line: self.end_line,
            end_column: self.end_column,
            message: self.message,
            message_zh: self.message_zh,
            help: self.help,
            help_zh: self.help_zh,
            span: self.span,
        })
    }
}

/// Writes the parts of a policy set.
pub(crate) fn write(p: &crate::Policy) -> Result<Vec<u8>, BytesError> {
    let files = p
        .files
        .iter()
        .map(|f| {
            p.sources
                .iter()
                .position(|s| s.path == f.path && s.text == f.text)
                .and_then(|i| u32::try_from(i).ok())
                .ok_or_else(|| BytesError::Write(format!("`{}` is not among the sources", f.path)))
        })
        .collect::<Result<Vec<u32>, BytesError>>()?;
    let payload = PayloadOut {
        name: &p.name,
        version: &p.version,
        schema: &p.schema,
        program: &p.program,
        policies: &p.policies,
        tests: &p.tests,
        rotations: &p.rotations,
        rosters: &p.rosters,
        files,
        sources: p
            .sources
            .iter()
            .map(|s| (s.path.as_str(), s.text.as_str()))
            .collect(),
        diagnostics: p.diagnostics.iter().map(DiagnosticWire::of).collect(),
    };
    encode(MAGIC, &p.digest, &payload)
}

/// Writes what evaluation needs of a policy set.
pub(crate) fn write_evaluation(p: &crate::Policy) -> Result<Vec<u8>, BytesError> {
    let payload = EvaluationOut {
        name: &p.name,
        version: &p.version,
        schema: &p.schema,
        program: &p.program,
        policies: &p.policies,
    };
    encode(EVALUATION_MAGIC, &p.digest, &payload)
}

/// The magic, the header and the payload.
fn encode<T: Serialize>(magic: &[u8; 8], digest: &str, payload: &T) -> Result<Vec<u8>, BytesError> {
    let header = Header {
        format: FORMAT_VERSION,
        engine: ENGINE_VERSION.to_string(),
        digest: digest.to_string(),
    };
    let enc = |e: postcard::Error| BytesError::Write(e.to_string());
    let out = postcard::to_extend(&header, magic.to_vec()).map_err(enc)?;
    postcard::to_extend(payload, out).map_err(enc)
}

/// Checks the magic and the header, then reads the payload; the digest comes with it. Bytes
/// of the other kind (`other`) are refused with `wrong`.
fn decode<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    magic: &[u8; 8],
    other: &[u8; 8],
    wrong: BytesError,
) -> Result<(String, T), BytesError> {
    let Some(rest) = bytes.strip_prefix(magic) else {
        return Err(if bytes.starts_with(other) {
            wrong
        } else {
            BytesError::NotCompiled
        });
    };
    let (header, rest) = postcard::take_from_bytes::<Header>(rest)
        .map_err(|e| BytesError::Malformed(format!("header: {e}")))?;
    if header.format != FORMAT_VERSION || header.engine != ENGINE_VERSION {
        return Err(BytesError::OtherVersion {
            engine: header.engine,
            format: header.format,
        });
    }
    DEPTH.with(|d| d.set(0));
    REASON.with(|r| r.borrow_mut().take());
    let (payload, rest) = postcard::take_from_bytes::<T>(rest).map_err(|e| {
        let why = REASON
            .with(|r| r.borrow_mut().take())
            .unwrap_or_else(|| e.to_string());
        BytesError::Malformed(why)
    })?;
    if !rest.is_empty() {
        return Err(BytesError::Malformed(format!(
            "{} bytes after the end",
            rest.len()
        )));
    }
    Ok((header.digest, payload))
}

/// Reads what [`write`] wrote.
pub(crate) fn read(bytes: &[u8]) -> Result<Parts, BytesError> {
    let (digest, payload) =
        decode::<PayloadIn>(bytes, MAGIC, EVALUATION_MAGIC, BytesError::EvaluationOnly)?;
    let sources: Vec<Source> = payload
        .sources
        .into_iter()
        .map(|(path, text)| Source { path, text })
        .collect();
    let files = payload
        .files
        .iter()
        .map(|i| {
            sources
                .get(*i as usize)
                .map(|s| SourceFile::new(&s.path, &s.text))
                .ok_or_else(|| BytesError::Malformed(format!("no source {i}")))
        })
        .collect::<Result<Vec<SourceFile>, BytesError>>()?;
    let diagnostics = payload
        .diagnostics
        .into_iter()
        .map(DiagnosticWire::into_diagnostic)
        .collect::<Result<Vec<Diagnostic>, BytesError>>()?;
    Ok(Parts {
        name: payload.name,
        version: payload.version,
        digest,
        schema: payload.schema,
        program: payload.program,
        policies: payload.policies,
        tests: payload.tests,
        rotations: payload.rotations,
        rosters: payload.rosters,
        files,
        sources,
        diagnostics,
    })
}

/// Reads what [`write_evaluation`] wrote: the parts evaluation does not need are empty.
pub(crate) fn read_evaluation(bytes: &[u8]) -> Result<Parts, BytesError> {
    let (digest, payload) =
        decode::<EvaluationIn>(bytes, EVALUATION_MAGIC, MAGIC, BytesError::WholeSet)?;
    Ok(Parts {
        name: payload.name,
        version: payload.version,
        digest,
        schema: payload.schema,
        program: payload.program,
        policies: payload.policies,
        tests: Vec::new(),
        rotations: Vec::new(),
        rosters: Vec::new(),
        files: Vec::new(),
        sources: Vec::new(),
        diagnostics: Vec::new(),
    })
}

// ---------------------------------------------------------------------------------------------
// Bounded nesting: expressions, types and values are recursive, and postcard recurses once per
// level. Reading counts the levels (one thread reads at a time per thread, so a thread-local
// counter is exact) and stops past MAX_DEPTH with a reason, since postcard keeps no messages.
// ---------------------------------------------------------------------------------------------

thread_local! {
    static DEPTH: Cell<u32> = const { Cell::new(0) };
    static REASON: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn fail<E: serde::de::Error>(why: String) -> E {
    let e = E::custom(&why);
    REASON.with(|r| {
        r.borrow_mut().get_or_insert(why);
    });
    e
}

/// One level of nesting while reading; leaves it when dropped.
struct Level;

impl Level {
    fn enter<E: serde::de::Error>() -> Result<Level, E> {
        let d = DEPTH.with(|c| {
            let d = c.get().saturating_add(1);
            c.set(d);
            d
        });
        let level = Level;
        if d > MAX_DEPTH {
            return Err(fail(format!("nested deeper than {MAX_DEPTH} levels")));
        }
        Ok(level)
    }
}

impl Drop for Level {
    fn drop(&mut self) {
        DEPTH.with(|c| c.set(c.get().saturating_sub(1)));
    }
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "Ex")]
enum ExDef {
    Const(Value),
    Fact(u32),
    Param(u32),
    Conclusion(u32),
    AsOf,
    Local(u32),
    Field(Box<Ex>, u32),
    Not(Box<Ex>),
    Neg(Box<Ex>),
    And(Vec<Ex>),
    Or(Vec<Ex>),
    Cmp(Cmp, Box<Ex>, Box<Ex>),
    Arith(Arith, Box<Ex>, Box<Ex>),
    InSet(Box<Ex>, Box<Ex>),
    InValues(Box<Ex>, Vec<Value>),
    Intersects(u128, Box<Ex>),
    Subset(u128, Box<Ex>),
    IsKnown(Box<Ex>),
    IsEmpty(Box<Ex>),
    If(Box<Ex>, Box<Ex>, Box<Ex>),
    Call(Builtin, Vec<Ex>),
    Len(Box<Ex>),
    Quant {
        agg: Agg,
        list: Box<Ex>,
        filter: Option<Box<Ex>>,
        body: Option<Box<Ex>>,
    },
}

impl Serialize for Ex {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ExDef::serialize(self, s)
    }
}

impl<'de> Deserialize<'de> for Ex {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Ex, D::Error> {
        let _level = Level::enter()?;
        ExDef::deserialize(d)
    }
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "Type")]
enum TypeDef {
    Bool,
    Int,
    Decimal,
    Text,
    Date,
    DateTime,
    Duration,
    Enum(EnumId),
    Set(EnumId),
    List(RecordId),
    Record(RecordId),
    ValueSet(Box<Type>),
}

impl Serialize for Type {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        TypeDef::serialize(self, s)
    }
}

impl<'de> Deserialize<'de> for Type {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Type, D::Error> {
        let _level = Level::enter()?;
        TypeDef::deserialize(d)
    }
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "Value")]
enum ValueDef {
    Unknown,
    Bool(bool),
    Int(i64),
    Decimal(i64),
    Text(Arc<str>),
    Date(#[serde(with = "date")] Date),
    DateTime(#[serde(with = "datetime")] DateTime),
    Duration(#[serde(with = "DurationDef")] Duration),
    Enum(u16),
    Set { bits: u128, complete: bool },
    List(Arc<Vec<Arc<[Value]>>>),
    Record(Arc<[Value]>),
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ValueDef::serialize(self, s)
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        let _level = Level::enter()?;
        ValueDef::deserialize(d)
    }
}

// ---------------------------------------------------------------------------------------------
// Dates, times and durations as numbers (their own serde impls write the strings of the JSON
// contract), and the calendar through its public API.
// ---------------------------------------------------------------------------------------------

/// A date as its day number.
pub(crate) mod date {
    use super::*;

    pub fn serialize<S: Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
        d.days().serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        i32::deserialize(d).map(Date::from_days)
    }
}

/// An optional date as its day number.
pub(crate) mod date_opt {
    use super::*;

    pub fn serialize<S: Serializer>(d: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
        d.map(Date::days).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
        Option::<i32>::deserialize(d).map(|o| o.map(Date::from_days))
    }
}

/// An effective period: two optional dates.
pub(crate) mod period {
    use super::*;

    type Period = (Option<Date>, Option<Date>);

    pub fn serialize<S: Serializer>(p: &Period, s: S) -> Result<S::Ok, S::Error> {
        (p.0.map(Date::days), p.1.map(Date::days)).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Period, D::Error> {
        let (a, b) = <(Option<i32>, Option<i32>)>::deserialize(d)?;
        Ok((a.map(Date::from_days), b.map(Date::from_days)))
    }
}

/// An instant as seconds and offset minutes.
pub(crate) mod datetime {
    use super::*;

    pub fn serialize<S: Serializer>(t: &DateTime, s: S) -> Result<S::Ok, S::Error> {
        (t.unix(), t.offset_min()).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime, D::Error> {
        let (unix, offset) = <(i64, i32)>::deserialize(d)?;
        Ok(DateTime::new(unix, offset))
    }
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "Duration")]
pub(crate) enum DurationDef {
    Hours(i64),
    Days(i64),
    WorkingDays(i64),
    Months(i64),
    Years(i64),
}

/// The working-day calendar: name, covered years, holidays and make-up working days.
pub(crate) mod calendar_opt {
    use super::*;

    pub fn serialize<S: Serializer>(c: &Option<Calendar>, s: S) -> Result<S::Ok, S::Error> {
        let wire = c.as_ref().map(|c| {
            let days = |it: &mut dyn Iterator<Item = (Date, &'_ str)>| -> Vec<(i32, String)> {
                it.map(|(d, l)| (d.days(), l.to_string())).collect()
            };
            (
                c.name(),
                c.covered_years(),
                days(&mut c.holidays()),
                days(&mut c.workdays()),
            )
        });
        wire.serialize(s)
    }

    #[allow(clippy::type_complexity)]
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Calendar>, D::Error> {
        let wire: Option<(String, (i32, i32), Vec<(i32, String)>, Vec<(i32, String)>)> =
            Option::deserialize(d)?;
        Ok(wire.map(|(name, (first, last), holidays, workdays)| {
            let mut c = Calendar::new(&name, first, last);
            for (d, l) in holidays {
                c.add_holiday(Date::from_days(d), &l);
            }
            for (d, l) in workdays {
                c.add_workday(Date::from_days(d), &l);
            }
            c
        }))
    }
}

/// A record type as written: its field index is rebuilt when read.
#[derive(Deserialize)]
pub(crate) struct RecordWire {
    name: String,
    fields: Vec<FieldDef>,
}

impl From<RecordWire> for RecordDef {
    fn from(w: RecordWire) -> RecordDef {
        RecordDef::new(w.name, w.fields)
    }
}

/// A test's `given` facts as JSON text (postcard cannot read a self-describing JSON value).
pub(crate) mod json_text {
    use super::*;

    pub fn serialize<S: Serializer>(v: &serde_json::Value, s: S) -> Result<S::Ok, S::Error> {
        v.to_string().serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<serde_json::Value, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        serde_json::from_str(&text).map_err(|e| fail(format!("a test's facts: {e}")))
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;
    use crate::{LoadOptions, Policy};

    fn policy() -> Policy {
        let sources = [
            Source::new("humiao.toml", "name = \"t\"\nversion = \"1\"\n"),
            Source::new(
                "a.humiao",
                concat!(
                    "policy a \"A\"\n",
                    "facts { discovered_at: DateTime }\n",
                    "facts minor \"未成年人\" { age: Int? @range(0, 150) \"年龄\" }\n",
                    "conclusion a.young: Bool \"年幼\"\n",
                    "rule young \"年幼\"\n",
                    "  cite \"第一条\"\n",
                    "  when minor.age < 14\n",
                    "  then conclude a.young = true\n",
                ),
            ),
        ];
        Policy::from_sources(&sources, &LoadOptions::default()).unwrap()
    }

    #[test]
    fn reads_back_what_it_wrote() {
        let p = policy();
        let bytes = p.to_bytes().unwrap();
        assert!(bytes.starts_with(MAGIC));
        let q = Policy::from_bytes(&bytes).unwrap();
        assert_eq!(q.digest, p.digest);
        assert_eq!(q.to_bytes().unwrap(), bytes);
    }

    #[test]
    fn refuses_other_bytes_and_other_versions_with_a_message() {
        assert_eq!(
            Policy::from_bytes(b"{\"not\": \"bytes\"}").unwrap_err(),
            BytesError::NotCompiled
        );
        let bytes = policy().to_bytes().unwrap();
        let rest = &bytes[MAGIC.len()..];
        let (header, payload) = postcard::take_from_bytes::<Header>(rest).unwrap();
        for (format, engine) in [
            (FORMAT_VERSION + 1, ENGINE_VERSION),
            (FORMAT_VERSION, "0.0.1"),
        ] {
            let other = Header {
                format,
                engine: engine.to_string(),
                digest: header.digest.clone(),
            };
            let mut b = MAGIC.to_vec();
            b = postcard::to_extend(&other, b).unwrap();
            b.extend_from_slice(payload);
            let e = Policy::from_bytes(&b).unwrap_err();
            assert_eq!(
                e,
                BytesError::OtherVersion {
                    engine: engine.to_string(),
                    format
                }
            );
            assert!(
                e.to_string().contains("compile it from its sources again"),
                "{e}"
            );
            assert!(e.message_zh().contains("重新编译"));
        }
    }

    /// Every prefix of `bytes` is an error, one byte more is `Malformed`, and every single-byte
    /// change after the magic either reads or fails: none panics.
    fn damage_is_an_error_never_a_panic(
        bytes: &[u8],
        magic: &[u8],
        read: impl Fn(&[u8]) -> Result<Policy, BytesError>,
    ) {
        for n in 0..bytes.len() {
            assert!(read(&bytes[..n]).is_err(), "prefix of {n} bytes");
        }
        let mut longer = bytes.to_vec();
        longer.push(0);
        assert!(matches!(read(&longer), Err(BytesError::Malformed(_))));
        for i in magic.len()..bytes.len() {
            for x in [0u8, 1, 0x7f, 0x80, 0xff] {
                let mut b = bytes.to_vec();
                b[i] = x;
                let _ = read(&b);
            }
        }
    }

    #[test]
    fn damaged_bytes_are_errors_never_panics() {
        let bytes = policy().to_bytes().unwrap();
        damage_is_an_error_never_a_panic(&bytes, MAGIC, Policy::from_bytes);
    }

    #[test]
    fn evaluation_bytes_read_back_and_each_kind_is_refused_by_the_other() {
        let p = policy();
        let whole = p.to_bytes().unwrap();
        let eval = p.to_evaluation_bytes().unwrap();
        assert!(eval.starts_with(EVALUATION_MAGIC));
        assert!(eval.len() < whole.len());
        let q = Policy::from_evaluation_bytes(&eval).unwrap();
        assert_eq!(q.reference(), p.reference());
        assert_eq!(
            q.to_evaluation_bytes().unwrap(),
            eval,
            "nothing evaluation needs is lost"
        );
        assert!(q.sources.is_empty() && q.tests.is_empty() && q.diagnostics.is_empty());
        assert_eq!(
            Policy::from_bytes(&eval).unwrap_err(),
            BytesError::EvaluationOnly
        );
        assert_eq!(
            Policy::from_evaluation_bytes(&whole).unwrap_err(),
            BytesError::WholeSet
        );
        assert_eq!(
            Policy::from_evaluation_bytes(b"HUMIAO").unwrap_err(),
            BytesError::NotCompiled
        );
        for e in [BytesError::EvaluationOnly, BytesError::WholeSet] {
            assert!(!e.to_string().is_empty() && !e.message_zh().is_empty());
        }
    }

    #[test]
    fn evaluation_bytes_of_another_version_or_damaged_are_errors_never_panics() {
        let bytes = policy().to_evaluation_bytes().unwrap();
        let rest = &bytes[EVALUATION_MAGIC.len()..];
        let (header, payload) = postcard::take_from_bytes::<Header>(rest).unwrap();
        let other = Header {
            format: FORMAT_VERSION + 1,
            engine: ENGINE_VERSION.to_string(),
            digest: header.digest,
        };
        let mut b = EVALUATION_MAGIC.to_vec();
        b = postcard::to_extend(&other, b).unwrap();
        b.extend_from_slice(payload);
        assert!(matches!(
            Policy::from_evaluation_bytes(&b),
            Err(BytesError::OtherVersion { .. })
        ));
        damage_is_an_error_never_a_panic(&bytes, EVALUATION_MAGIC, Policy::from_evaluation_bytes);
    }

    #[test]
    fn nesting_is_bounded_while_reading() {
        // Written on a thread with room to recurse (writing is not bounded: only compiled sets are).
        let deep = std::thread::Builder::new()
            .stack_size(64 << 20)
            .spawn(|| {
                let mut e = Ex::AsOf;
                for _ in 0..(MAX_DEPTH + 10) {
                    e = Ex::Not(Box::new(e));
                }
                let bytes = postcard::to_allocvec(&e).unwrap();
                let mut t = Type::Bool;
                for _ in 0..(MAX_DEPTH + 10) {
                    t = Type::ValueSet(Box::new(t));
                }
                let tb = postcard::to_allocvec(&t).unwrap();
                // Dropping deep boxes recurses too.
                std::mem::forget(e);
                std::mem::forget(t);
                (bytes, tb)
            })
            .unwrap()
            .join()
            .unwrap();
        // Debug builds use far more stack per level than release builds.
        let r = std::thread::Builder::new()
            .stack_size(16 << 20)
            .spawn(move || {
                DEPTH.with(|d| d.set(0));
                let a = postcard::from_bytes::<Ex>(&deep.0).is_err();
                let reason = REASON.with(|r| r.borrow_mut().take());
                DEPTH.with(|d| d.set(0));
                let b = postcard::from_bytes::<Type>(&deep.1).is_err();
                (a, b, reason)
            })
            .unwrap()
            .join()
            .unwrap();
        assert!(r.0 && r.1);
        assert_eq!(
            r.2.as_deref(),
            Some("nested deeper than 256 levels"),
            "the reason is kept"
        );
    }

    #[test]
    fn every_diagnostic_code_can_be_read_back() {
        // Codes are `&'static str`: reading maps them onto CODES, which must list them all.
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut missing = Vec::new();
        for dir in [root.join("src"), root.join("../grammar/src")] {
            let mut stack = vec![dir];
            while let Some(d) = stack.pop() {
                for e in std::fs::read_dir(&d).unwrap() {
                    let p = e.unwrap().path();
                    if p.is_dir() {
                        stack.push(p);
                        continue;
                    }
                    if p.extension().is_none_or(|x| x != "rs") {
                        continue;
                    }
                    let text = std::fs::read_to_string(&p).unwrap();
                    let b = text.as_bytes();
                    for i in 0..b.len().saturating_sub(6) {
                        let w = &b[i..i + 7];
                        if w[0] == b'"'
                            && matches!(w[1], b'E' | b'W' | b'I')
                            && w[2..6].iter().all(u8::is_ascii_digit)
                            && w[6] == b'"'
                        {
                            let code = std::str::from_utf8(&w[1..6]).unwrap().to_string();
                            if !CODES.contains(&code.as_str()) {
                                missing.push(format!("{code} ({})", p.display()));
                            }
                        }
                    }
                }
            }
        }
        assert!(missing.is_empty(), "add to CODES: {missing:?}");
    }
}
