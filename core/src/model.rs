//! Types, values and the declared schema of a policy set.

use crate::time::{Date, DateTime, Duration};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

pub type EnumId = u16;
pub type RecordId = u16;

/// The type of a fact, conclusion, param or expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Type {
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
    /// A set literal of plain values (`{1, 2}`), only as the right side of `in`.
    ValueSet(Box<Type>),
}

/// At most this many values in one enum: sets of enum values are bitsets.
pub const MAX_ENUM_VARIANTS: usize = 128;

/// Decimal numbers are fixed-point with six places (micro-units), exact for money and ratios.
pub const DECIMAL_SCALE: i64 = 1_000_000;

/// A runtime value. `Unknown` is the third truth value and the value of an absent fact.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Value {
    #[default]
    Unknown,
    Bool(bool),
    Int(i64),
    Decimal(i64),
    Text(Arc<str>),
    Date(Date),
    DateTime(DateTime),
    Duration(Duration),
    Enum(u16),
    /// A set of enum values as a bitset; `complete == false` means "at least these"
    /// (a collected conclusion that undecided rules could still add to).
    Set {
        bits: u128,
        complete: bool,
    },
    List(Arc<Vec<Arc<[Value]>>>),
    Record(Arc<[Value]>),
}

impl Value {
    pub fn is_known(&self) -> bool {
        !matches!(self, Value::Unknown)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EnumDef {
    pub name: String,
    pub label: Option<String>,
    pub variants: Vec<String>,
    pub labels: Vec<Option<String>>,
}

impl EnumDef {
    pub fn index(&self, v: &str) -> Option<u16> {
        self.variants
            .iter()
            .position(|x| x == v)
            .and_then(|i| u16::try_from(i).ok())
    }
    pub fn name_of(&self, i: u16) -> &str {
        self.variants
            .get(usize::from(i))
            .map_or("?", |s| s.as_str())
    }
    pub fn label_of(&self, i: u16) -> Option<&str> {
        self.labels.get(usize::from(i)).and_then(|l| l.as_deref())
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FieldDef {
    pub name: String,
    pub ty: Type,
    pub optional: bool,
    pub range: Option<(i64, i64)>,
    pub sensitive: bool,
    pub label: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(from = "crate::compiled::RecordWire")]
pub struct RecordDef {
    pub name: String,
    pub fields: Vec<FieldDef>,
    /// Field names to their index in `fields` (every key of every list item is looked up).
    #[serde(skip_serializing)]
    pub(crate) index: std::collections::BTreeMap<String, usize>,
}

impl RecordDef {
    pub(crate) fn new(name: String, fields: Vec<FieldDef>) -> RecordDef {
        let index = fields
            .iter()
            .enumerate()
            .map(|(i, f)| (f.name.clone(), i))
            .collect();
        RecordDef {
            name,
            fields,
            index,
        }
    }

    pub fn field(&self, name: &str) -> Option<(usize, &FieldDef)> {
        let i = *self.index.get(name)?;
        self.fields.get(i).map(|f| (i, f))
    }
}

/// One declared fact: a leaf of the case's JSON object, held in a numbered slot.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FactDef {
    pub path: String,
    pub ty: Type,
    pub optional: bool,
    pub default: Option<Value>,
    pub range: Option<(i64, i64)>,
    pub sensitive: bool,
    pub label: Option<String>,
    /// The optional section this fact belongs to (absent section = not applicable).
    pub section: Option<usize>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SectionDef {
    pub name: String,
    pub label: Option<String>,
}

/// The facts a policy set reads, with enums and records.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Schema {
    pub enums: Vec<EnumDef>,
    pub records: Vec<RecordDef>,
    pub facts: Vec<FactDef>,
    /// Optional sections only; required sections need no entry.
    pub sections: Vec<SectionDef>,
}

impl Schema {
    pub fn fact(&self, path: &str) -> Option<usize> {
        self.facts.iter().position(|f| f.path == path)
    }
    pub fn enum_by_name(&self, name: &str) -> Option<EnumId> {
        self.enums
            .iter()
            .position(|e| e.name == name)
            .and_then(|i| u16::try_from(i).ok())
    }
    pub fn record_by_name(&self, name: &str) -> Option<RecordId> {
        self.records
            .iter()
            .position(|e| e.name == name)
            .and_then(|i| u16::try_from(i).ok())
    }
    pub fn enum_def(&self, id: EnumId) -> Option<&EnumDef> {
        self.enums.get(usize::from(id))
    }
    pub fn record_def(&self, id: RecordId) -> Option<&RecordDef> {
        self.records.get(usize::from(id))
    }

    /// The type as a user reads it: `Int`, `Set<Situation>`.
    pub fn type_name(&self, t: &Type) -> String {
        let en = |id: EnumId| {
            self.enum_def(id)
                .map_or("?".to_string(), |e| e.name.clone())
        };
        let rec = |id: RecordId| {
            self.record_def(id)
                .map_or("?".to_string(), |e| e.name.clone())
        };
        match t {
            Type::Bool => "Bool".into(),
            Type::Int => "Int".into(),
            Type::Decimal => "Decimal".into(),
            Type::Text => "Text".into(),
            Type::Date => "Date".into(),
            Type::DateTime => "DateTime".into(),
            Type::Duration => "Duration".into(),
            Type::Enum(id) => en(*id),
            Type::Set(id) => format!("Set<{}>", en(*id)),
            Type::List(id) => format!("List<{}>", rec(*id)),
            Type::Record(id) => rec(*id),
            Type::ValueSet(t) => format!("{{{}, …}}", self.type_name(t)),
        }
    }

    /// The value as JSON, as it appears in a decision.
    pub fn to_json(&self, ty: &Type, v: &Value) -> serde_json::Value {
        use serde_json::Value as J;
        match v {
            Value::Unknown => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Decimal(d) => {
                // Exact decimal text, parsed back as a JSON number.
                serde_json::from_str(&format_decimal(*d)).unwrap_or(J::Null)
            }
            Value::Text(s) => J::String(s.to_string()),
            Value::Date(d) => J::String(d.to_string()),
            Value::DateTime(d) => J::String(d.to_string()),
            Value::Duration(d) => J::String(d.to_string()),
            Value::Enum(i) => match ty {
                Type::Enum(id) => J::String(
                    self.enum_def(*id)
                        .map_or("?", |e| e.name_of(*i))
                        .to_string(),
                ),
                _ => J::from(*i),
            },
            Value::Set { bits, .. } => {
                let id = match ty {
                    Type::Set(id) | Type::Enum(id) => Some(*id),
                    _ => None,
                };
                let def = id.and_then(|id| self.enum_def(id));
                let mut names = Vec::with_capacity(bits.count_ones() as usize);
                // The members in order, one step per member (not one per possible bit).
                let mut rest = *bits;
                while rest != 0 {
                    let i = rest.trailing_zeros() as u16;
                    rest &= rest - 1;
                    names.push(J::String(def.map_or("?", |e| e.name_of(i)).to_string()));
                }
                J::Array(names)
            }
            Value::List(items) => {
                let rec = match ty {
                    Type::List(id) => self.record_def(*id),
                    _ => None,
                };
                J::Array(
                    items
                        .iter()
                        .map(|r| {
                            let mut m = serde_json::Map::new();
                            if let Some(rec) = rec {
                                for (f, v) in rec.fields.iter().zip(r.iter()) {
                                    if v.is_known() {
                                        m.insert(f.name.clone(), self.to_json(&f.ty, v));
                                    }
                                }
                            }
                            J::Object(m)
                        })
                        .collect(),
                )
            }
            Value::Record(_) => J::String("<record>".into()),
        }
    }

    /// A short text for traces and messages.
    pub fn display(&self, ty: &Type, v: &Value) -> String {
        match self.to_json(ty, v) {
            serde_json::Value::String(s) => s,
            serde_json::Value::Null => "unknown".into(),
            other => other.to_string(),
        }
    }
}

pub fn format_decimal(d: i64) -> String {
    let sign = if d < 0 { "-" } else { "" };
    let a = d.unsigned_abs();
    let scale = DECIMAL_SCALE.unsigned_abs();
    let int = a / scale;
    let frac = a % scale;
    if frac == 0 {
        return format!("{sign}{int}");
    }
    let f = format!("{frac:06}");
    format!("{sign}{int}.{}", f.trim_end_matches('0'))
}

/// Parses `12`, `-1.5`, `0.125` into micro-units; None when malformed or out of range.
pub fn parse_decimal(s: &str) -> Option<i64> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s),
    };
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, f),
        None => (body, ""),
    };
    if int.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > 6
    {
        return None;
    }
    let i: i64 = int.parse().ok()?;
    let mut f: i64 = if frac.is_empty() {
        0
    } else {
        frac.parse().ok()?
    };
    for _ in frac.len()..6 {
        f = f.checked_mul(10)?;
    }
    let v = i.checked_mul(DECIMAL_SCALE)?.checked_add(f)?;
    Some(if neg { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_round_trip() {
        for s in ["0", "1.5", "-2.25", "0.000001", "123456"] {
            assert_eq!(parse_decimal(s).map(format_decimal).as_deref(), Some(s));
        }
        assert_eq!(parse_decimal("1.2345678"), None);
        assert_eq!(parse_decimal("x"), None);
    }
}
