//! The syntax tree of one `.humiao` file. Every node carries the byte span it came from,
//! so the checker can point at it; nothing here knows what a name means.

use serde::{Deserialize, Serialize};

/// A byte range in one source file.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start: clamp_u32(start),
            end: clamp_u32(end),
        }
    }
    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
    pub fn shift(self, by: usize) -> Span {
        Span::new(self.start as usize + by, self.end as usize + by)
    }
}

fn clamp_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A name as written (possibly dotted: `minor.sex`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Name {
    pub text: String,
    pub span: Span,
}

/// A quoted text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Str {
    pub value: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct File {
    pub decls: Vec<Decl>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Decl {
    Policy(PolicyDecl),
    Import(ImportDecl),
    Enum(EnumDecl),
    Record(RecordDecl),
    Facts(FactsDecl),
    Param(ParamDecl),
    Conclusion(ConclusionDecl),
    Let(LetDecl),
    Rule(RuleDecl),
    Test(TestDecl),
    Calendar(CalendarDecl),
    Roster(RosterDecl),
    Rotation(RotationDecl),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PolicyDecl {
    pub name: Name,
    pub title: Option<Str>,
    pub sources: Vec<SourceRef>,
    pub effective: Option<Effective>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SourceRef {
    pub text: Str,
    pub date: Option<Name>,
}

/// `effective 2021-06-01 until 2025-12-31`: dates as written, checked later.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Effective {
    pub from: Name,
    pub until: Option<Name>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ImportDecl {
    pub path: Str,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EnumDecl {
    pub name: Name,
    pub label: Option<Str>,
    pub variants: Vec<Variant>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Variant {
    pub name: Name,
    pub label: Option<Str>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RecordDecl {
    pub name: Name,
    pub label: Option<Str>,
    pub fields: Vec<FieldDecl>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FieldDecl {
    pub path: Name,
    pub ty: TypeExpr,
    pub default: Option<Expr>,
    pub annotations: Vec<Annotation>,
    pub label: Option<Str>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TypeExpr {
    pub kind: TypeKind,
    pub optional: bool,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum TypeKind {
    Named(Name),
    Set(Name),
    List(Name),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Annotation {
    pub name: Name,
    pub args: Vec<AnnArg>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum AnnArg {
    Number(String, Span),
    Str(Str),
    Path(Name),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FactsDecl {
    pub section: Option<Name>,
    pub optional: bool,
    pub label: Option<Str>,
    pub fields: Vec<FieldDecl>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ParamDecl {
    pub path: Name,
    pub ty: TypeExpr,
    pub value: Expr,
    pub annotations: Vec<Annotation>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConclusionDecl {
    pub path: Name,
    pub ty: TypeExpr,
    pub collect: bool,
    pub default: Option<Expr>,
    pub label: Option<Str>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LetDecl {
    pub name: Name,
    /// `None` for a value (`let age = …`), `Some` for a predicate with parameters.
    pub params: Option<Vec<LetParam>>,
    pub body: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LetParam {
    pub name: Name,
    pub ty: TypeExpr,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RuleDecl {
    pub name: Name,
    pub title: Option<Str>,
    pub cites: Vec<Str>,
    pub effective: Option<Effective>,
    pub exceptions: Vec<Name>,
    pub priority: Option<(i64, Span)>,
    pub when: Option<Expr>,
    pub outcomes: Vec<Outcome>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Outcome {
    Conclude {
        key: Name,
        value: Expr,
        span: Span,
    },
    Add {
        value: Expr,
        key: Name,
        span: Span,
    },
    /// `note "text"`: a note added to the decision when the rule fires.
    Note {
        text: Str,
        span: Span,
    },
    Oblige(ObligationDecl),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ObligationDecl {
    pub actor: Name,
    pub action: Name,
    pub party: Option<Name>,
    pub deadline: DeadlineDecl,
    pub with: Vec<Name>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum DeadlineDecl {
    Immediately {
        from: Option<Expr>,
    },
    Within {
        duration: DurationOrParam,
        from: Option<Expr>,
    },
    By(Expr),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum DurationOrParam {
    Literal(DurationLit),
    Param(Name),
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum DurationUnit {
    Hours,
    Days,
    WorkingDays,
    Months,
    Years,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DurationLit {
    pub amount: i64,
    pub unit: DurationUnit,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
pub enum BinOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
pub enum UnaryOp {
    Not,
    Neg,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
pub enum PostfixOp {
    IsKnown,
    IsUnknown,
    IsEmpty,
    IsNotEmpty,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
pub enum QuantKind {
    Any,
    All,
    Count,
    Sum,
    Min,
    Max,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum ExprKind {
    Bool(bool),
    Int(i64),
    /// Decimal as written (`1.5`), parsed by the checker.
    Decimal(String),
    Text(String),
    /// Date as written (`2026-03-01`), validated by the checker.
    Date(String),
    DateTime(String),
    Duration(DurationLit),
    /// A (possibly dotted) name: a fact, conclusion, param, let, bound variable or enum value.
    Path(String),
    Set(Vec<Expr>),
    Call {
        name: Name,
        args: Vec<Expr>,
    },
    Unary {
        op: UnaryOp,
        expr: Box<Expr>,
    },
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `a and b and c` is one node, so long chains stay shallow.
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Postfix {
        op: PostfixOp,
        expr: Box<Expr>,
    },
    If {
        cond: Box<Expr>,
        then: Box<Expr>,
        els: Box<Expr>,
    },
    /// `any {a, b}`: true when any member is (a bool or, with `in`, a set test).
    AnyOf(Vec<Expr>),
    AllOf(Vec<Expr>),
    /// `count(list)`
    Count(Name),
    /// `any p in parents where …: …`
    Quant {
        kind: QuantKind,
        var: Name,
        list: Name,
        filter: Option<Box<Expr>>,
        body: Option<Box<Expr>>,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TestDecl {
    pub title: Option<Str>,
    pub plan: Option<PlanTestHead>,
    pub items: Vec<TestItem>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlanTestHead {
    pub rotation: Name,
    pub from: Name,
    pub months: (i64, Span),
    pub flags: Vec<(Name, Str)>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum TestItem {
    Given(Datum),
    AsOf(Name),
    Param { path: Name, value: Expr, span: Span },
    Expect(Expectation),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Expectation {
    pub kind: ExpectKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum ExpectKind {
    Status(Name),
    Missing {
        first: bool,
        fact: Name,
    },
    Fired(Name),
    NotFired(Name),
    Undecided(Name),
    NoObligation {
        action: Name,
        party: Option<Name>,
    },
    Obligation {
        actor: Option<Name>,
        action: Name,
        party: Option<Name>,
        due: Option<Name>,
    },
    EveryStreetVisitedOnce,
    NoCommunityRepeated,
    StreetInMonth {
        street: Name,
        month: Name,
    },
    Expr(Expr),
}

/// Test data: JSON-shaped, with bare names, dates and times.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Datum {
    pub kind: DatumKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum DatumKind {
    Object(Vec<(Name, Datum)>),
    List(Vec<Datum>),
    Text(String),
    Int(i64),
    Decimal(String),
    Bool(bool),
    /// A date, a date-time, or a bare name: kept as written.
    Word(String),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CalendarDecl {
    pub name: Name,
    pub title: Option<Str>,
    pub first_year: (i64, Span),
    pub last_year: (i64, Span),
    pub entries: Vec<CalendarEntry>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CalendarEntry {
    pub holiday: bool,
    pub from: Name,
    pub to: Option<Name>,
    pub label: Option<Str>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RosterDecl {
    pub name: Name,
    pub title: Option<Str>,
    pub file: Str,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RotationDecl {
    pub name: Name,
    pub title: Option<Str>,
    pub cites: Vec<Str>,
    pub over: Option<Name>,
    pub every_month: bool,
    pub pick_streets: Option<(i64, Span)>,
    pub pick_communities: Option<(i64, Span)>,
    pub methods: Vec<(Name, Option<Str>)>,
    pub prefer: Vec<Name>,
    pub exclude: Vec<Str>,
    pub exclude_reason: Option<Str>,
    pub seed: Option<(i64, Span)>,
    pub span: Span,
}
