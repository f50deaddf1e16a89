//! The compiled form of a policy set: expressions over numbered slots, rules with their
//! outcomes, and the order in which rules and conclusions are settled. Built once by the
//! checker; evaluation reads it without string lookups.

use crate::model::{Type, Value};
use crate::time::{Calendar, Date, Duration};
use humiao_grammar::ast::Span;
use serde::{Deserialize, Serialize};

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Arith {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Builtin {
    /// 周岁 (completed years) of a birth date on a date.
    Zhousui,
    /// The local date of a date-time.
    DateOf,
    /// Whole days from the first date to the second.
    DaysBetween,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Agg {
    Any,
    All,
    Count,
    Sum,
    Min,
    Max,
}

/// A compiled expression. Children are boxed once at compile time; evaluating allocates nothing
/// except where a value itself is built (text, lists).
#[derive(Clone, Debug)]
pub enum Ex {
    Const(Value),
    Fact(u32),
    Param(u32),
    Conclusion(u32),
    AsOf,
    /// A bound list element (`p` in `all p in parents: …`), by binding depth.
    Local(u32),
    /// A field of a record value.
    Field(Box<Ex>, u32),
    Not(Box<Ex>),
    Neg(Box<Ex>),
    And(Vec<Ex>),
    Or(Vec<Ex>),
    Cmp(Cmp, Box<Ex>, Box<Ex>),
    Arith(Arith, Box<Ex>, Box<Ex>),
    /// An enum value in a set (bitset) value.
    InSet(Box<Ex>, Box<Ex>),
    /// A plain value among constants.
    InValues(Box<Ex>, Vec<Value>),
    /// Any of the bits is in the set.
    Intersects(u128, Box<Ex>),
    /// All of the bits are in the set.
    Subset(u128, Box<Ex>),
    IsKnown(Box<Ex>),
    IsEmpty(Box<Ex>),
    If(Box<Ex>, Box<Ex>, Box<Ex>),
    Call(Builtin, Vec<Ex>),
    /// `count(x)` of a list or set.
    Len(Box<Ex>),
    Quant {
        agg: Agg,
        list: Box<Ex>,
        filter: Option<Box<Ex>>,
        body: Option<Box<Ex>>,
    },
}

/// How a conclusion combines the rules that set it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ConclusionDef {
    pub key: String,
    pub ty: Type,
    pub collect: bool,
    pub default: Option<Value>,
    pub label: Option<String>,
    pub file: usize,
    pub span: Span,
    /// Rules that set or add to it, in declaration order.
    pub writers: Vec<u32>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ParamDef {
    pub key: String,
    pub ty: Type,
    pub value: Value,
    pub default: Value,
    /// Canonical text of the value, for the digest and `assumptions`.
    pub text: String,
    pub unconfirmed: Option<String>,
    pub source: Option<String>,
    pub overridden: bool,
    pub file: usize,
    pub span: Span,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Deadline {
    Immediately,
    Within(#[serde(with = "crate::compiled::DurationDef")] Duration),
    WithinParam(u32),
    By(Ex),
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Obligation {
    pub actor: String,
    pub action: String,
    pub party: Option<String>,
    pub deadline: Deadline,
    /// The trigger time the deadline counts from (default: `discovered_at`, else `as_of`).
    pub from: Option<Ex>,
    pub with: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Effect {
    Conclude { conclusion: u32, value: Ex },
    Add { conclusion: u32, value: Ex },
}

/// One condition of a rule as written, for explanations: its text and compiled form.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Condition {
    pub text: String,
    pub ex: Ex,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CompiledRule {
    /// `<policy>.<rule>`
    pub id: String,
    pub name: String,
    pub policy: String,
    pub title: Option<String>,
    pub cites: Vec<String>,
    pub file: usize,
    pub span: Span,
    /// Declaration order across the set (manifest file order, then position).
    pub order: u32,
    #[serde(with = "crate::compiled::period")]
    pub effective: (Option<Date>, Option<Date>),
    pub priority: i64,
    pub exceptions: Vec<u32>,
    /// The rules that are exceptions to this one.
    pub overridden_by: Vec<u32>,
    /// The `when` condition (true when absent).
    pub when: Ex,
    /// The top-level conjuncts of `when`, for traces.
    pub conditions: Vec<Condition>,
    pub effects: Vec<Effect>,
    pub obligations: Vec<Obligation>,
    /// Notes the decision carries when the rule fires.
    pub notes: Vec<String>,
    /// Optional sections read; the rule applies only when all are present.
    pub sections: Vec<u32>,
    /// Facts read, for explanations.
    pub facts_read: Vec<u32>,
}

/// One step of evaluation, in dependency order.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    Rule(u32),
    Settle(u32),
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Program {
    pub rules: Vec<CompiledRule>,
    pub conclusions: Vec<ConclusionDef>,
    pub params: Vec<ParamDef>,
    pub steps: Vec<Step>,
    #[serde(with = "crate::compiled::calendar_opt")]
    pub calendar: Option<Calendar>,
    /// The `discovered_at` fact, the default trigger time of deadlines.
    pub trigger_fact: Option<u32>,
}

/// A test written inside a policy file, checked and compiled with the policy.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CompiledTest {
    pub file: usize,
    pub policy: String,
    pub title: String,
    pub span: Span,
    #[serde(with = "crate::compiled::json_text")]
    pub given: serde_json::Value,
    #[serde(with = "crate::compiled::date_opt")]
    pub as_of: Option<Date>,
    pub params: Vec<(u32, Value)>,
    pub expects: Vec<Expect>,
    /// For plan tests: the rotation, first month, number of months and flags.
    pub plan: Option<PlanTest>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PlanTest {
    pub rotation: String,
    pub from: String,
    pub months: u32,
    pub flags: Vec<(String, String)>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Expect {
    /// The expectation as written, for failure messages.
    pub text: String,
    pub span: Span,
    pub kind: ExpectKind,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum ExpectKind {
    Status(String),
    Missing {
        first: bool,
        fact: String,
    },
    Fired(String),
    NotFired(String),
    Undecided(String),
    NoObligation {
        action: String,
        party: Option<String>,
    },
    Obligation {
        actor: Option<String>,
        action: String,
        party: Option<String>,
        due: Option<String>,
    },
    Holds(Ex),
    EveryStreetVisitedOnce,
    NoCommunityRepeated,
    StreetInMonth {
        street: String,
        month: String,
    },
}
