//! Three-valued evaluation of a compiled program over one case's facts.
//!
//! A fact that is absent is *unknown*; unknown propagates by Kleene's rules (`false and
//! unknown` is false, `true and unknown` is unknown). While evaluating, the slots of unknown
//! facts that an unknown result depended on are collected, so a decision can say which facts
//! would decide what is still open.

use crate::decision::*;
use crate::facts::Facts;
use crate::ir::*;
use crate::model::*;
use crate::time::{due_after, Date, DateTime, Duration};
use std::sync::Arc;

mod fast;
mod write;
pub(crate) use fast::lanes;
pub use fast::FastProgram;
pub use write::DecisionBuffers;
pub(crate) use write::{DecisionJson, Written};

/// Evaluation options.
#[derive(Clone, Debug)]
pub struct EvalOptions {
    /// Add a trace of every rule's conditions.
    pub explain: bool,
    /// Show `@sensitive` fact values in traces instead of `<redacted>`.
    pub reveal_sensitive: bool,
    /// Upper bound on expression nodes evaluated for one case.
    pub max_steps: u64,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            explain: false,
            reveal_sensitive: false,
            max_steps: 10_000_000,
        }
    }
}

/// Evaluation stopped before it finished.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    #[error("evaluation exceeded its budget of {0} steps")]
    StepLimit(u64),
}

impl EvalError {
    pub fn message_zh(&self) -> String {
        match self {
            EvalError::StepLimit(n) => format!("求值超过 {n} 步的上限"),
        }
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum RuleState {
    NotInForce,
    NotApplicable,
    Fired,
    NotFired,
    Undecided,
    /// Its condition held but an exception to it applied.
    Overridden,
}

pub(crate) struct Evaluator<'p> {
    pub prog: &'p Program,
    pub schema: &'p Schema,
    pub facts: &'p Facts,
    pub as_of: Date,
    conc: Vec<Value>,
    conc_undecided: Vec<bool>,
    conc_missing: Vec<Vec<FactRef>>,
    rule_state: Vec<RuleState>,
    rule_missing: Vec<Vec<FactRef>>,
    /// Whether each rule's own condition (before exceptions) held: for exceptions.
    rule_cond: Vec<Option<bool>>,
    /// Bound list items, with the list fact and index they came from (for `missing` paths).
    locals: Vec<(Value, Option<(u32, u32)>)>,
    scratch: Vec<FactRef>,
    /// Set when a conclusion that was settled without a value is read.
    absent_read: bool,
    params_used: Vec<bool>,
    steps: u64,
    max_steps: u64,
    pub notes: Vec<String>,
    /// The notes already in `notes`, so adding one is not a scan of them all.
    notes_seen: std::collections::HashSet<String>,
    conflicts: Vec<Conflict>,
    /// Fast path: how many unknown facts stand behind the current result (see `fast`).
    open: u32,
    /// Fast path: the values of shared nodes, once worked out, and whether unknown facts
    /// stand behind them.
    memo: Vec<Option<(Value, bool)>>,
    /// Fast path: the same for shared truth-valued nodes, one byte each (see `fb_memo`).
    bmemo: Vec<u8>,
    /// Fast path: the memo of the flat code (see `fast::flat`).
    fmemo: Vec<u8>,
    /// Fast path: a reusable buffer for the winning values of a conclusion.
    fast_winners: Vec<Value>,
    /// What explanations need, when worked out ahead (the fast program's); otherwise the
    /// explanation works it out itself.
    pub(crate) ahead: Option<&'p fast::TraceAhead>,
    /// The fast program, when this evaluation ran on the fast path to the end: explanations
    /// then read the conditions' values through it (with its memo of this case) instead of
    /// evaluating them again. Its step bound covers them (see `FastProgram::usable`).
    pub(crate) fast_run: Option<&'p fast::FastProgram>,
}

/// The buffers of an evaluation, kept between cases (see [`crate::policy::Outcome`]).
#[derive(Debug, Default)]
pub(crate) struct EvalState {
    pub(crate) conc: Vec<Value>,
    pub(crate) conc_undecided: Vec<bool>,
    conc_missing: Vec<Vec<FactRef>>,
    pub(crate) rule_state: Vec<RuleState>,
    rule_missing: Vec<Vec<FactRef>>,
    rule_cond: Vec<Option<bool>>,
    locals: Vec<(Value, Option<(u32, u32)>)>,
    scratch: Vec<FactRef>,
    params_used: Vec<bool>,
    notes: Vec<String>,
    notes_seen: std::collections::HashSet<String>,
    pub(crate) conflicts: Vec<Conflict>,
    memo: Vec<Option<(Value, bool)>>,
    bmemo: Vec<u8>,
    fmemo: Vec<u8>,
    fast_winners: Vec<Value>,
}

/// The running result of an aggregate over list items (see [`Evaluator::agg_add`]).
pub(crate) struct AggState {
    agg: Agg,
    unknown: bool,
    count: i64,
    acc: Option<Value>,
}

impl AggState {
    pub(crate) fn new(agg: Agg) -> AggState {
        AggState {
            agg,
            unknown: false,
            count: 0,
            acc: None,
        }
    }

    /// The result once every item is in.
    pub(crate) fn finish(self) -> Value {
        if self.unknown {
            return Value::Unknown;
        }
        match self.agg {
            Agg::Any => Value::Bool(false),
            Agg::All => Value::Bool(true),
            Agg::Count => Value::Int(self.count),
            Agg::Sum => self.acc.unwrap_or(Value::Int(0)),
            Agg::Min | Agg::Max => self.acc.unwrap_or(Value::Unknown),
        }
    }
}

/// An unknown fact an undecided result depended on: a fact slot, or a field of a list item.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct FactRef {
    slot: u32,
    item: u32,
    field: u32,
}

const NO_ITEM: u32 = u32::MAX;

impl FactRef {
    fn plain(slot: u32) -> FactRef {
        FactRef {
            slot,
            item: NO_ITEM,
            field: 0,
        }
    }
}

/// A fired obligation's `deadline` text, as the contract writes it.
#[derive(Copy, Clone, Debug)]
pub(crate) enum DeadlineText {
    Immediately,
    Within(Duration),
    /// `within` a param that is not a duration.
    Unknown,
    /// `by` a date that is not known.
    ByADate,
    By(DateTime),
}

impl std::fmt::Display for DeadlineText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeadlineText::Immediately => f.write_str("immediately"),
            DeadlineText::Within(d) => write!(f, "{d}"),
            DeadlineText::Unknown => f.write_str("unknown"),
            DeadlineText::ByADate => f.write_str("by a date"),
            DeadlineText::By(d) => write!(f, "by {d}"),
        }
    }
}

fn definite(v: &Value) -> bool {
    !matches!(
        v,
        Value::Unknown
            | Value::Set {
                complete: false,
                ..
            }
    )
}

impl<'p> Evaluator<'p> {
    pub(crate) fn new(
        prog: &'p Program,
        schema: &'p Schema,
        facts: &'p Facts,
        as_of: Date,
        max_steps: u64,
    ) -> Self {
        let nc = prog.conclusions.len();
        let nr = prog.rules.len();
        Evaluator {
            prog,
            schema,
            facts,
            as_of,
            conc: vec![Value::Unknown; nc],
            conc_undecided: vec![false; nc],
            conc_missing: vec![Vec::new(); nc],
            rule_state: vec![RuleState::NotFired; nr],
            rule_missing: vec![Vec::new(); nr],
            rule_cond: vec![None; nr],
            locals: Vec::new(),
            scratch: Vec::new(),
            absent_read: false,
            params_used: vec![false; prog.params.len()],
            steps: 0,
            max_steps,
            notes: Vec::new(),
            notes_seen: std::collections::HashSet::new(),
            conflicts: Vec::new(),
            open: 0,
            memo: Vec::new(),
            bmemo: Vec::new(),
            fmemo: Vec::new(),
            fast_winners: Vec::new(),
            ahead: None,
            fast_run: None,
        }
    }

    /// An evaluator that takes its buffers from `state` (cleared and sized for the program)
    /// instead of allocating them; [`Evaluator::stash`] gives them back.
    /// Whether any of these optional sections was not given (a rule reading it does not
    /// apply).
    pub(crate) fn section_absent(&self, sections: &[u32]) -> bool {
        sections.iter().any(|&s| {
            !self
                .facts
                .sections
                .get(s as usize)
                .copied()
                .unwrap_or(false)
        })
    }

    pub(crate) fn reuse(
        prog: &'p Program,
        schema: &'p Schema,
        facts: &'p Facts,
        as_of: Date,
        max_steps: u64,
        state: &mut EvalState,
    ) -> Self {
        fn fill<T: Clone>(mut v: Vec<T>, n: usize, x: T) -> Vec<T> {
            v.clear();
            v.resize(n, x);
            v
        }
        let nc = prog.conclusions.len();
        let nr = prog.rules.len();
        let mut conc_missing = std::mem::take(&mut state.conc_missing);
        conc_missing.iter_mut().for_each(Vec::clear);
        conc_missing.resize_with(nc, Vec::new);
        let mut rule_missing = std::mem::take(&mut state.rule_missing);
        rule_missing.iter_mut().for_each(Vec::clear);
        rule_missing.resize_with(nr, Vec::new);
        let mut notes_seen = std::mem::take(&mut state.notes_seen);
        notes_seen.clear();
        let mut locals = std::mem::take(&mut state.locals);
        locals.clear();
        let mut scratch = std::mem::take(&mut state.scratch);
        scratch.clear();
        let mut notes = std::mem::take(&mut state.notes);
        notes.clear();
        let mut conflicts = std::mem::take(&mut state.conflicts);
        conflicts.clear();
        Evaluator {
            prog,
            schema,
            facts,
            as_of,
            conc: fill(std::mem::take(&mut state.conc), nc, Value::Unknown),
            conc_undecided: fill(std::mem::take(&mut state.conc_undecided), nc, false),
            conc_missing,
            rule_state: fill(
                std::mem::take(&mut state.rule_state),
                nr,
                RuleState::NotFired,
            ),
            rule_missing,
            rule_cond: fill(std::mem::take(&mut state.rule_cond), nr, None),
            locals,
            scratch,
            absent_read: false,
            params_used: fill(
                std::mem::take(&mut state.params_used),
                prog.params.len(),
                false,
            ),
            steps: 0,
            max_steps,
            notes,
            notes_seen,
            conflicts,
            open: 0,
            memo: std::mem::take(&mut state.memo),
            bmemo: std::mem::take(&mut state.bmemo),
            fmemo: std::mem::take(&mut state.fmemo),
            fast_winners: std::mem::take(&mut state.fast_winners),
            ahead: None,
            fast_run: None,
        }
    }

    /// Gives the buffers back to `state`, with the results of the run in them.
    pub(crate) fn stash(self, state: &mut EvalState) {
        state.conc = self.conc;
        state.conc_undecided = self.conc_undecided;
        state.conc_missing = self.conc_missing;
        state.rule_state = self.rule_state;
        state.rule_missing = self.rule_missing;
        state.rule_cond = self.rule_cond;
        state.locals = self.locals;
        state.scratch = self.scratch;
        state.params_used = self.params_used;
        state.notes = self.notes;
        state.notes_seen = self.notes_seen;
        state.conflicts = self.conflicts;
        state.memo = self.memo;
        state.bmemo = self.bmemo;
        state.fmemo = self.fmemo;
        state.fast_winners = self.fast_winners;
    }

    pub(crate) fn run(&mut self) -> Result<(), EvalError> {
        for step in &self.prog.steps {
            match *step {
                Step::Rule(r) => self.rule(r as usize)?,
                Step::Settle(c) => self.settle(c as usize)?,
            }
        }
        Ok(())
    }

    fn rule(&mut self, ri: usize) -> Result<(), EvalError> {
        let Some(r) = self.prog.rules.get(ri) else {
            return Ok(());
        };
        let (from, until) = r.effective;
        let state = if from.is_some_and(|f| self.as_of < f) || until.is_some_and(|u| self.as_of > u)
        {
            RuleState::NotInForce
        } else if self.section_absent(&r.sections) {
            RuleState::NotApplicable
        } else {
            self.scratch.clear();
            self.absent_read = false;
            let v = self.eval(&r.when)?;
            let mut missing = std::mem::take(&mut self.scratch);
            let reads_absent = self.absent_read;
            let own = match v {
                Value::Bool(b) => Some(b),
                _ => None,
            };
            if let Some(c) = self.rule_cond.get_mut(ri) {
                *c = own;
            }
            // Exceptions: the rule holds only when no exception to it holds.
            let mut overridden = false;
            let mut exception_unknown = false;
            for &xi in &r.overridden_by {
                let xi = xi as usize;
                match self.rule_state.get(xi) {
                    Some(RuleState::Fired | RuleState::Overridden) => overridden = true,
                    Some(RuleState::Undecided) => {
                        exception_unknown = true;
                        if let Some(m) = self.rule_missing.get(xi) {
                            missing.extend_from_slice(m);
                        }
                    }
                    _ => {}
                }
            }
            match own {
                Some(false) => {
                    missing.clear();
                    RuleState::NotFired
                }
                // Unknown only because it reads a conclusion that was settled without a value
                // (no rule set it): nothing the caseworker could add would decide it.
                None if missing.is_empty() && reads_absent && !exception_unknown => {
                    RuleState::NotApplicable
                }
                _ if overridden => {
                    missing.clear();
                    RuleState::Overridden
                }
                Some(true) if !exception_unknown => {
                    missing.clear();
                    RuleState::Fired
                }
                _ => {
                    missing.sort_unstable();
                    missing.dedup();
                    if let Some(m) = self.rule_missing.get_mut(ri) {
                        *m = missing;
                    }
                    RuleState::Undecided
                }
            }
        };
        if let Some(s) = self.rule_state.get_mut(ri) {
            *s = state;
        }
        Ok(())
    }

    fn settle(&mut self, ci: usize) -> Result<(), EvalError> {
        let Some(c) = self.prog.conclusions.get(ci) else {
            return Ok(());
        };
        let mut missing: Vec<FactRef> = Vec::new();
        let mut undecided = false;
        let mut value = Value::Unknown;
        if c.collect {
            // Fired rules first, so an undecided rule adding a value already present changes nothing.
            let mut adds: Vec<(bool, Value, Vec<FactRef>, u32)> = Vec::new();
            for &w in &c.writers {
                let state = self.rule_state.get(w as usize).copied();
                let is_fired = match state {
                    Some(RuleState::Fired) => true,
                    Some(RuleState::Undecided) => false,
                    _ => continue,
                };
                let Some(r) = self.prog.rules.get(w as usize) else {
                    continue;
                };
                for e in &r.effects {
                    let Effect::Add {
                        conclusion,
                        value: vx,
                    } = e
                    else {
                        continue;
                    };
                    if *conclusion as usize != ci {
                        continue;
                    }
                    self.scratch.clear();
                    let v = self.eval(vx)?;
                    let vm = std::mem::take(&mut self.scratch);
                    adds.push((is_fired, v, vm, w));
                }
            }
            let mut bits = 0u128;
            let mut complete = true;
            for (is_fired, v, vm, _) in adds.iter().filter(|a| a.0) {
                let _ = is_fired;
                match v {
                    Value::Enum(b) => bits |= 1u128 << (b % 128),
                    _ => {
                        complete = false;
                        missing.extend_from_slice(vm);
                    }
                }
            }
            for (_, v, vm, w) in adds.iter().filter(|a| !a.0) {
                if let Value::Enum(b) = v {
                    if bits & (1u128 << (b % 128)) != 0 {
                        continue;
                    }
                }
                complete = false;
                missing.extend_from_slice(vm);
                if let Some(m) = self.rule_missing.get(*w as usize) {
                    missing.extend_from_slice(m);
                }
            }
            value = Value::Set { bits, complete };
            undecided = !complete;
        } else {
            let mut fired: Vec<(i64, Value, u32)> = Vec::new();
            let mut open: Vec<(i64, Value, u32)> = Vec::new();
            for &w in &c.writers {
                let state = self.rule_state.get(w as usize).copied();
                if !matches!(state, Some(RuleState::Fired | RuleState::Undecided)) {
                    continue;
                }
                let Some(r) = self.prog.rules.get(w as usize) else {
                    continue;
                };
                for e in &r.effects {
                    let Effect::Conclude {
                        conclusion,
                        value: vx,
                    } = e
                    else {
                        continue;
                    };
                    if *conclusion as usize != ci {
                        continue;
                    }
                    self.scratch.clear();
                    let v = self.eval(vx)?;
                    let vm = std::mem::take(&mut self.scratch);
                    if state == Some(RuleState::Fired) {
                        if !definite(&v) {
                            missing.extend(vm);
                        }
                        fired.push((r.priority, v, w));
                    } else {
                        missing.extend(vm);
                        if let Some(m) = self.rule_missing.get(w as usize) {
                            missing.extend_from_slice(m);
                        }
                        open.push((r.priority, v, w));
                    }
                }
            }
            let top = fired.iter().map(|f| f.0).max();
            match top {
                Some(top) => {
                    let winners: Vec<&(i64, Value, u32)> =
                        fired.iter().filter(|f| f.0 == top).collect();
                    let first = winners
                        .first()
                        .map(|w| w.1.clone())
                        .unwrap_or(Value::Unknown);
                    let disagree = winners
                        .iter()
                        .any(|w| w.1 != first && definite(&w.1) && definite(&first));
                    if disagree {
                        let mut rules = Vec::new();
                        let mut values = Vec::new();
                        for w in &winners {
                            if let Some(r) = self.prog.rules.get(w.2 as usize) {
                                rules.push(r.id.clone());
                                values.push(self.schema.to_json(&c.ty, &w.1));
                            }
                        }
                        self.conflicts.push(Conflict {
                            conclusion: c.key.clone(),
                            rules,
                            values,
                        });
                        value = Value::Unknown;
                    } else if !definite(&first) || winners.iter().any(|w| !definite(&w.1)) {
                        undecided = true;
                    } else {
                        // An undecided rule of equal or higher priority could still change it.
                        let threat = open.iter().any(|o| o.0 >= top && o.1 != first);
                        if threat {
                            undecided = true;
                        } else {
                            value = first;
                        }
                    }
                }
                None => {
                    let fallback = c.default.clone().unwrap_or(Value::Unknown);
                    if open.iter().any(|o| o.1 != fallback || !definite(&o.1)) {
                        undecided = true;
                    } else {
                        value = fallback;
                    }
                }
            }
            if !undecided {
                missing.clear();
            }
        }
        missing.sort_unstable();
        missing.dedup();
        if let Some(v) = self.conc.get_mut(ci) {
            *v = if undecided && !c.collect {
                Value::Unknown
            } else {
                value
            };
        }
        if let Some(u) = self.conc_undecided.get_mut(ci) {
            *u = undecided;
        }
        if let Some(m) = self.conc_missing.get_mut(ci) {
            *m = missing;
        }
        Ok(())
    }

    /// Evaluates an expression. Unknown facts read on the way are left in `scratch` only when
    /// the result is itself not definite.
    pub(crate) fn eval(&mut self, e: &Ex) -> Result<Value, EvalError> {
        self.steps += 1;
        if self.steps > self.max_steps {
            return Err(EvalError::StepLimit(self.max_steps));
        }
        let mark = self.scratch.len();
        let v = self.eval_inner(e)?;
        if definite(&v) {
            self.scratch.truncate(mark);
        }
        Ok(v)
    }

    fn eval_inner(&mut self, e: &Ex) -> Result<Value, EvalError> {
        Ok(match e {
            Ex::Const(v) => v.clone(),
            Ex::Fact(s) => {
                let v = self
                    .facts
                    .slots
                    .get(*s as usize)
                    .cloned()
                    .unwrap_or_default();
                if !v.is_known() {
                    self.scratch.push(FactRef::plain(*s));
                }
                v
            }
            Ex::Param(i) => {
                if let Some(u) = self.params_used.get_mut(*i as usize) {
                    *u = true;
                }
                self.prog
                    .params
                    .get(*i as usize)
                    .map(|p| p.value.clone())
                    .unwrap_or_default()
            }
            Ex::Conclusion(c) => {
                let ci = *c as usize;
                let v = self.conc.get(ci).cloned().unwrap_or_default();
                if self.conc_undecided.get(ci).copied().unwrap_or(false) {
                    if let Some(m) = self.conc_missing.get(ci) {
                        self.scratch.extend_from_slice(m);
                    }
                } else if !v.is_known() {
                    self.absent_read = true;
                }
                v
            }
            Ex::AsOf => Value::Date(self.as_of),
            Ex::Local(i) => self
                .locals
                .get(*i as usize)
                .map(|l| l.0.clone())
                .unwrap_or_default(),
            Ex::Field(x, i) => {
                let origin = match **x {
                    Ex::Local(l) => self.locals.get(l as usize).and_then(|l| l.1),
                    _ => None,
                };
                match self.eval(x)? {
                    Value::Record(fields) => {
                        let v = fields.get(*i as usize).cloned().unwrap_or_default();
                        if let (false, Some((slot, item))) = (v.is_known(), origin) {
                            self.scratch.push(FactRef {
                                slot,
                                item,
                                field: *i,
                            });
                        }
                        v
                    }
                    _ => Value::Unknown,
                }
            }
            Ex::Not(x) => match self.eval(x)? {
                Value::Bool(b) => Value::Bool(!b),
                _ => Value::Unknown,
            },
            Ex::Neg(x) => match self.eval(x)? {
                Value::Int(i) => i.checked_neg().map_or(Value::Unknown, Value::Int),
                Value::Decimal(i) => i.checked_neg().map_or(Value::Unknown, Value::Decimal),
                _ => Value::Unknown,
            },
            Ex::And(items) => {
                let mut unknown = false;
                for i in items {
                    match self.eval(i)? {
                        Value::Bool(false) => return Ok(Value::Bool(false)),
                        Value::Bool(true) => {}
                        _ => unknown = true,
                    }
                }
                if unknown {
                    Value::Unknown
                } else {
                    Value::Bool(true)
                }
            }
            Ex::Or(items) => {
                let mut unknown = false;
                for i in items {
                    match self.eval(i)? {
                        Value::Bool(true) => return Ok(Value::Bool(true)),
                        Value::Bool(false) => {}
                        _ => unknown = true,
                    }
                }
                if unknown {
                    Value::Unknown
                } else {
                    Value::Bool(false)
                }
            }
            Ex::Cmp(op, a, b) => {
                let a = self.eval(a)?;
                let b = self.eval(b)?;
                compare(*op, &a, &b)
            }
            Ex::Arith(op, a, b) => {
                let a = self.eval(a)?;
                let b = self.eval(b)?;
                self.arith(*op, a, b)
            }
            Ex::InSet(x, s) => {
                let x = self.eval(x)?;
                let s = self.eval(s)?;
                match (x, s) {
                    (Value::Enum(b), Value::Set { bits, complete }) => {
                        let hit = bits & (1u128 << (b % 128)) != 0;
                        if hit || complete {
                            Value::Bool(hit)
                        } else {
                            Value::Unknown
                        }
                    }
                    _ => Value::Unknown,
                }
            }
            Ex::InValues(x, vals) => {
                let x = self.eval(x)?;
                if !x.is_known() {
                    Value::Unknown
                } else {
                    Value::Bool(
                        vals.iter()
                            .any(|v| compare(Cmp::Eq, &x, v) == Value::Bool(true)),
                    )
                }
            }
            Ex::Intersects(want, s) => match self.eval(s)? {
                Value::Set { bits, complete } => {
                    let hit = bits & want != 0;
                    if hit || complete {
                        Value::Bool(hit)
                    } else {
                        Value::Unknown
                    }
                }
                _ => Value::Unknown,
            },
            Ex::Subset(want, s) => match self.eval(s)? {
                Value::Set { bits, complete } => {
                    let all = bits & want == *want;
                    if all || complete {
                        Value::Bool(all)
                    } else {
                        Value::Unknown
                    }
                }
                _ => Value::Unknown,
            },
            Ex::IsKnown(x) => {
                let v = self.eval(x)?;
                match v {
                    Value::Unknown => {
                        // Whether a fact is known is itself known: forget the unknown read.
                        Value::Bool(false)
                    }
                    Value::Set {
                        complete: false, ..
                    } => Value::Unknown,
                    _ => Value::Bool(true),
                }
            }
            Ex::IsEmpty(x) => match self.eval(x)? {
                Value::Set { bits, complete } => {
                    if bits != 0 {
                        Value::Bool(false)
                    } else if complete {
                        Value::Bool(true)
                    } else {
                        Value::Unknown
                    }
                }
                Value::List(l) => Value::Bool(l.is_empty()),
                _ => Value::Unknown,
            },
            Ex::If(c, t, f) => match self.eval(c)? {
                Value::Bool(true) => self.eval(t)?,
                Value::Bool(false) => self.eval(f)?,
                _ => {
                    let a = self.eval(t)?;
                    let b = self.eval(f)?;
                    if definite(&a) && a == b {
                        a
                    } else {
                        Value::Unknown
                    }
                }
            },
            Ex::Call(b, args) => self.call(*b, args)?,
            Ex::Len(x) => match self.eval(x)? {
                Value::List(l) => Value::Int(l.len() as i64),
                Value::Set {
                    bits,
                    complete: true,
                } => Value::Int(i64::from(bits.count_ones())),
                _ => Value::Unknown,
            },
            Ex::Quant {
                agg,
                list,
                filter,
                body,
            } => self.quant(*agg, list, filter.as_deref(), body.as_deref())?,
        })
    }

    fn quant(
        &mut self,
        agg: Agg,
        list: &Ex,
        filter: Option<&Ex>,
        body: Option<&Ex>,
    ) -> Result<Value, EvalError> {
        let Value::List(items) = self.eval(list)? else {
            return Ok(Value::Unknown);
        };
        let source = match list {
            Ex::Fact(s) => Some(*s),
            _ => None,
        };
        let mut st = AggState::new(agg);
        for (idx, item) in items.iter().enumerate() {
            let origin = source.map(|s| (s, u32::try_from(idx).unwrap_or(NO_ITEM - 1)));
            self.locals.push((Value::Record(item.clone()), origin));
            let r = self.quant_item(filter, body);
            self.locals.pop();
            let (f, b) = r?;
            if let Some(v) = self.agg_add(&mut st, f, b) {
                return Ok(v);
            }
        }
        Ok(st.finish())
    }

    /// The filter's truth (None = unknown) and the body's value, for one list element.
    fn quant_item(
        &mut self,
        filter: Option<&Ex>,
        body: Option<&Ex>,
    ) -> Result<(Option<bool>, Value), EvalError> {
        let f = match filter {
            Some(f) => match self.eval(f)? {
                Value::Bool(b) => Some(b),
                _ => None,
            },
            None => Some(true),
        };
        if f != Some(true) {
            return Ok((f, Value::Unknown));
        }
        let b = match body {
            Some(b) => self.eval(b)?,
            None => Value::Bool(true),
        };
        Ok((f, b))
    }

    /// Adds one list item to an aggregate: its filter's truth (`None`: unknown) and its
    /// body's value. `Some` when the result is settled before the end (`any`, `all`).
    /// Shared by both evaluators.
    pub(crate) fn agg_add(
        &mut self,
        st: &mut AggState,
        f: Option<bool>,
        b: Value,
    ) -> Option<Value> {
        match f {
            Some(false) => return None,
            None => {
                st.unknown = true;
                return None;
            }
            Some(true) => {}
        }
        match st.agg {
            Agg::Any => match b {
                Value::Bool(true) => return Some(Value::Bool(true)),
                Value::Bool(false) => {}
                _ => st.unknown = true,
            },
            Agg::All => match b {
                Value::Bool(false) => return Some(Value::Bool(false)),
                Value::Bool(true) => {}
                _ => st.unknown = true,
            },
            Agg::Count => match b {
                Value::Bool(true) => st.count += 1,
                Value::Bool(false) => {}
                _ => st.unknown = true,
            },
            Agg::Sum | Agg::Min | Agg::Max => {
                if !b.is_known() {
                    st.unknown = true;
                    return None;
                }
                st.acc = Some(match st.acc.take() {
                    None => b,
                    Some(a) => self.fold(st.agg, a, b),
                });
            }
        }
        None
    }

    /// One step of `sum`, `min` or `max` over list items.
    fn fold(&mut self, agg: Agg, a: Value, b: Value) -> Value {
        match agg {
            Agg::Sum => self.arith(Arith::Add, a, b),
            Agg::Min => {
                if compare(Cmp::Lt, &b, &a) == Value::Bool(true) {
                    b
                } else {
                    a
                }
            }
            _ => {
                if compare(Cmp::Gt, &b, &a) == Value::Bool(true) {
                    b
                } else {
                    a
                }
            }
        }
    }

    fn call(&mut self, b: Builtin, args: &[Ex]) -> Result<Value, EvalError> {
        let mut vals = [Value::Unknown, Value::Unknown];
        for (slot, a) in vals.iter_mut().zip(args) {
            *slot = self.eval(a)?;
        }
        Ok(self.apply(b, vals))
    }

    /// A builtin applied to its (at most two) evaluated arguments.
    fn apply(&mut self, b: Builtin, vals: [Value; 2]) -> Value {
        let (v, late_birth) = apply_builtin(b, vals);
        if late_birth {
            // No dates in the note: a birth date is usually @sensitive.
            let n = "a birth date is after the date the age is counted on; age unknown / 出生日期晚于计算周岁的日期，年龄无法确定".to_string();
            self.note(n);
        }
        v
    }

    fn arith(&mut self, op: Arith, a: Value, b: Value) -> Value {
        match (a, b) {
            (Value::Int(x), Value::Int(y)) => match op {
                Arith::Add => x.checked_add(y),
                Arith::Sub => x.checked_sub(y),
                Arith::Mul => x.checked_mul(y),
                Arith::Div => x.checked_div(y),
            }
            .map_or(Value::Unknown, Value::Int),
            (Value::Decimal(x), Value::Decimal(y)) => {
                let (x, y) = (i128::from(x), i128::from(y));
                let s = i128::from(DECIMAL_SCALE);
                let r = match op {
                    Arith::Add => x.checked_add(y),
                    Arith::Sub => x.checked_sub(y),
                    Arith::Mul => x.checked_mul(y).map(|p| p / s),
                    Arith::Div => x.checked_mul(s).and_then(|p| p.checked_div(y)),
                };
                r.and_then(|r| i64::try_from(r).ok())
                    .map_or(Value::Unknown, Value::Decimal)
            }
            (Value::Date(d), Value::Duration(dur)) => {
                let sign = if op == Arith::Sub { -1 } else { 1 };
                let r = match dur {
                    Duration::Hours(h) => d.add_days(sign * h.div_euclid(24)),
                    Duration::Days(n) => d.add_days(sign * n),
                    Duration::Months(n) => d.add_months(sign * n),
                    Duration::Years(n) => d.add_years(sign * n),
                    Duration::WorkingDays(n) if sign > 0 => self.working_days(d, n),
                    Duration::WorkingDays(_) => None,
                };
                r.map_or(Value::Unknown, Value::Date)
            }
            (Value::DateTime(t), Value::Duration(dur)) => {
                let sign = if op == Arith::Sub { -1 } else { 1 };
                let r = match dur {
                    Duration::Hours(h) => h.checked_mul(3600).and_then(|s| t.add_seconds(sign * s)),
                    Duration::Days(n) => n.checked_mul(86400).and_then(|s| t.add_seconds(sign * s)),
                    Duration::Months(_) | Duration::Years(_) => {
                        let local = t.local_date();
                        let moved = match dur {
                            Duration::Months(n) => local.add_months(sign * n),
                            Duration::Years(n) => local.add_years(sign * n),
                            _ => None,
                        };
                        moved
                            .and_then(|m| t.add_seconds(i64::from(m.days() - local.days()) * 86400))
                    }
                    Duration::WorkingDays(n) if sign > 0 => due_after(
                        t,
                        dur,
                        self.prog.calendar.as_ref(),
                        DateTime::DEFAULT_OFFSET_MIN,
                    )
                    .map(|(d, outside)| {
                        if outside {
                            self.note_outside_calendar();
                        }
                        let _ = n;
                        d
                    }),
                    Duration::WorkingDays(_) => None,
                };
                r.map_or(Value::Unknown, Value::DateTime)
            }
            _ => Value::Unknown,
        }
    }

    fn working_days(&mut self, d: Date, n: i64) -> Option<Date> {
        let weekends_only = crate::time::Calendar::new("", 1, 0);
        let cal = self.prog.calendar.as_ref().unwrap_or(&weekends_only);
        let (r, outside) = cal.add_working_days(d, n)?;
        if outside {
            self.note_outside_calendar();
        }
        Some(r)
    }

    fn note_outside_calendar(&mut self) {
        let years = self.prog.calendar.as_ref().map(|c| c.covered_years());
        let n = match years {
            Some((a, b)) => format!(
                "a working-day count left the calendar's years {a}–{b}; weekends only were skipped there / 工作日计算超出日历覆盖年份 {a}–{b}，超出部分只扣除周末"
            ),
            None => "no working-day calendar is declared; weekends only were skipped / 未声明工作日日历，只扣除周末".to_string(),
        };
        self.note(n);
    }

    /// Adds a note once, in the order first seen.
    fn note(&mut self, n: String) {
        if self.notes_seen.insert(n.clone()) {
            self.notes.push(n);
        }
    }

    // ------------------------------------------------------------------ the decision

    pub(crate) fn decision(
        &mut self,
        policy: PolicyRef,
        opts: &EvalOptions,
    ) -> Result<Decision, EvalError> {
        let prog = self.prog;
        let mut obligations = Vec::new();
        let mut undecided: Vec<String> = Vec::new();
        let mut open_items: Vec<(String, Vec<FactRef>)> = Vec::new();
        let mut fired = Vec::new();
        for (ci, c) in prog.conclusions.iter().enumerate() {
            if self.conc_undecided.get(ci).copied().unwrap_or(false) {
                undecided.push(c.key.clone());
                open_items.push((
                    c.key.clone(),
                    self.conc_missing.get(ci).cloned().unwrap_or_default(),
                ));
            }
        }
        let default_trigger = prog.trigger_fact.map(Ex::Fact);
        for (ri, r) in prog.rules.iter().enumerate() {
            let state = self
                .rule_state
                .get(ri)
                .copied()
                .unwrap_or(RuleState::NotFired);
            if state == RuleState::Fired {
                fired.push(r.id.clone());
                for n in &r.notes {
                    self.note(n.clone());
                }
            }
            if !matches!(state, RuleState::Fired | RuleState::Undecided) {
                continue;
            }
            for (oi, o) in r.obligations.iter().enumerate() {
                let id = format!("{}#{}", r.id, oi + 1);
                match state {
                    RuleState::Fired => {
                        self.scratch.clear();
                        let (due, deadline) = self.due(o, default_trigger.as_ref())?;
                        let due_missing = std::mem::take(&mut self.scratch);
                        if due.is_none() {
                            undecided.push(id.clone());
                            open_items.push((id.clone(), due_missing));
                        }
                        obligations.push(ObligationOut {
                            id,
                            rule: r.id.clone(),
                            title: r.title.clone(),
                            cite: r.cites.clone(),
                            action: o.action.clone(),
                            actor: o.actor.clone(),
                            party: o.party.clone(),
                            deadline,
                            due,
                            with: o.with.clone(),
                        });
                    }
                    RuleState::Undecided => {
                        undecided.push(id.clone());
                        open_items
                            .push((id, self.rule_missing.get(ri).cloned().unwrap_or_default()));
                    }
                    _ => {}
                }
            }
        }
        // Keep `undecided` in contract order: conclusions first, then obligations (already so).
        // Items are distinct and come in order, so an item repeated under one fact can only be
        // the last one pushed; facts are found through an index (no scan per pair: a set with
        // thousands of items waiting on one fact stays linear).
        let mut by_fact: Vec<(FactRef, Vec<String>)> = Vec::new();
        let mut fact_index: std::collections::BTreeMap<FactRef, usize> =
            std::collections::BTreeMap::new();
        for (item, facts) in &open_items {
            for &f in facts {
                let at = *fact_index.entry(f).or_insert_with(|| {
                    by_fact.push((f, Vec::new()));
                    by_fact.len() - 1
                });
                if let Some((_, v)) = by_fact.get_mut(at) {
                    if v.last() != Some(item) {
                        v.push(item.clone());
                    }
                }
            }
        }
        by_fact.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
        let missing = by_fact
            .into_iter()
            .map(|(f, decides)| Missing {
                fact: self.fact_path(f),
                decides,
            })
            .collect();
        let mut conclusions = Vec::new();
        for (ci, c) in prog.conclusions.iter().enumerate() {
            let v = self.conc.get(ci).cloned().unwrap_or_default();
            let open = self.conc_undecided.get(ci).copied().unwrap_or(false);
            if v.is_known() && (!open || c.collect) {
                conclusions.push((c.key.clone(), self.schema.to_json(&c.ty, &v)));
            }
        }
        let assumptions = prog
            .params
            .iter()
            .enumerate()
            .filter(|(i, p)| {
                p.unconfirmed.is_some() && self.params_used.get(*i).copied().unwrap_or(false)
            })
            .map(|(_, p)| Assumption {
                param: p.key.clone(),
                value: p.text.clone(),
                why: p.unconfirmed.clone().unwrap_or_default(),
            })
            .collect();
        let status = if !self.conflicts.is_empty() {
            Status::Conflict
        } else if undecided.is_empty() {
            Status::Determined
        } else {
            Status::Undetermined
        };
        let trace = if opts.explain {
            Some(self.trace(opts)?)
        } else {
            None
        };
        let mut notes = self.facts.notes.clone();
        notes.extend(self.notes.iter().cloned());
        Ok(Decision {
            policy,
            case_id: self.facts.case_id.clone(),
            as_of: self.as_of.to_string(),
            status,
            obligations,
            conclusions: Conclusions(conclusions),
            undecided,
            conflicts: std::mem::take(&mut self.conflicts),
            missing,
            assumptions,
            notes,
            fired,
            trace,
        })
    }

    /// `minor.sex`, or `parents[1].since` for a field of a list item (0-based index).
    fn fact_path(&self, f: FactRef) -> String {
        let Some(def) = self.schema.facts.get(f.slot as usize) else {
            return String::new();
        };
        if f.item == NO_ITEM {
            return def.path.clone();
        }
        let field = match def.ty {
            Type::List(rid) => self
                .schema
                .record_def(rid)
                .and_then(|r| r.fields.get(f.field as usize))
                .map(|x| x.name.clone()),
            _ => None,
        };
        format!("{}[{}].{}", def.path, f.item, field.unwrap_or_default())
    }

    /// The due time and the canonical deadline text of a fired obligation.
    fn due(
        &mut self,
        o: &Obligation,
        default_trigger: Option<&Ex>,
    ) -> Result<(Option<String>, String), EvalError> {
        let (due, text) = self.due_at(o, default_trigger)?;
        Ok((due.map(|d| d.to_string()), text.to_string()))
    }

    /// [`Evaluator::due`] before anything is a string (the JSON writer prints them itself).
    pub(crate) fn due_at(
        &mut self,
        o: &Obligation,
        default_trigger: Option<&Ex>,
    ) -> Result<(Option<DateTime>, DeadlineText), EvalError> {
        let trigger = match o.from.as_ref().or(default_trigger) {
            Some(t) => match self.eval(t)? {
                Value::DateTime(d) => Some(d),
                Value::Date(d) => Some(DateTime::at_start_of_day(d, DateTime::DEFAULT_OFFSET_MIN)),
                _ => None,
            },
            None => Some(DateTime::at_start_of_day(
                self.as_of,
                DateTime::DEFAULT_OFFSET_MIN,
            )),
        };
        let (dur, text) = match &o.deadline {
            Deadline::Immediately => (None, DeadlineText::Immediately),
            Deadline::Within(d) => (Some(*d), DeadlineText::Within(*d)),
            Deadline::WithinParam(p) => {
                if let Some(u) = self.params_used.get_mut(*p as usize) {
                    *u = true;
                }
                match self.prog.params.get(*p as usize).map(|x| &x.value) {
                    Some(Value::Duration(d)) => (Some(*d), DeadlineText::Within(*d)),
                    _ => (None, DeadlineText::Unknown),
                }
            }
            Deadline::By(e) => {
                let v = self.eval(e)?;
                let due = match v {
                    Value::DateTime(d) => Some(d.with_offset(DateTime::DEFAULT_OFFSET_MIN)),
                    Value::Date(d) => {
                        Some(DateTime::at_end_of_day(d, DateTime::DEFAULT_OFFSET_MIN))
                    }
                    _ => None,
                };
                let text = due.map_or(DeadlineText::ByADate, DeadlineText::By);
                return Ok((due, text));
            }
        };
        let Some(trigger) = trigger else {
            return Ok((None, text));
        };
        let due = match dur {
            None => Some(trigger.with_offset(DateTime::DEFAULT_OFFSET_MIN)),
            Some(d) => match due_after(
                trigger,
                d,
                self.prog.calendar.as_ref(),
                DateTime::DEFAULT_OFFSET_MIN,
            ) {
                Some((due, outside)) => {
                    if outside && matches!(d, Duration::WorkingDays(_)) {
                        self.note_outside_calendar();
                    }
                    Some(due)
                }
                None => None,
            },
        };
        Ok((due, text))
    }

    /// The explanation: each rule's result, each listed condition's truth value and the value
    /// of each fact those conditions read, next to the policy's texts (shared, not copied).
    fn trace(&mut self, opts: &EvalOptions) -> Result<Trace, EvalError> {
        let prog = self.prog;
        let texts = match self.ahead {
            Some(a) => Arc::clone(&a.texts),
            None => Arc::new(trace_texts(prog, self.schema)),
        };
        let mut steps = Vec::with_capacity(prog.rules.len());
        let mut values = Vec::with_capacity(texts.rules.iter().map(|r| r.conditions.len()).sum());
        let mut facts = vec![serde_json::Value::Null; texts.fact_paths.len()];
        let mut done = vec![false; texts.fact_paths.len()];
        for (ri, (r, rt)) in prog.rules.iter().zip(&texts.rules).enumerate() {
            let state = self
                .rule_state
                .get(ri)
                .copied()
                .unwrap_or(RuleState::NotFired);
            let result = match state {
                RuleState::NotInForce => RuleResult::NotInForce,
                RuleState::NotApplicable => RuleResult::NotApplicable,
                RuleState::Fired => RuleResult::Fired,
                RuleState::NotFired => RuleResult::NotFired,
                RuleState::Undecided => RuleResult::Undecided,
                RuleState::Overridden => RuleResult::Overridden,
            };
            let listed = result.lists_conditions();
            steps.push((result, listed));
            if !listed {
                continue;
            }
            for (ci, (c, ct)) in r.conditions.iter().zip(&rt.conditions).enumerate() {
                let fast = match self.fast_run {
                    Some(fp) => self.fast_condition(fp, ri, ci),
                    None => None,
                };
                values.push(match fast {
                    Some(b) => b,
                    None => {
                        let v = self.eval(&c.ex)?;
                        self.scratch.clear();
                        match v {
                            Value::Bool(b) => Some(b),
                            _ => None,
                        }
                    }
                });
                // A fact read by many conditions is turned into JSON once.
                for &e in &ct.facts {
                    let e = e as usize;
                    match done.get_mut(e) {
                        Some(d) if !*d => *d = true,
                        _ => continue,
                    }
                    let Some(&s) = texts.fact_slots.get(e) else {
                        continue;
                    };
                    let Some(def) = self.schema.facts.get(s as usize) else {
                        continue;
                    };
                    let v = self
                        .facts
                        .slots
                        .get(s as usize)
                        .cloned()
                        .unwrap_or_default();
                    let value = if def.sensitive && !opts.reveal_sensitive && v.is_known() {
                        serde_json::Value::String("<redacted>".into())
                    } else {
                        let mut j = self.schema.to_json(&def.ty, &v);
                        if !opts.reveal_sensitive {
                            redact_record_fields(self.schema, &def.ty, &mut j);
                        }
                        j
                    };
                    if let Some(f) = facts.get_mut(e) {
                        *f = value;
                    }
                }
            }
        }
        Ok(Trace {
            texts,
            steps,
            values,
            facts,
        })
    }
}

/// The texts of a policy's explanations: per rule its id, title and conditions, per condition
/// the facts it reads (sorted by slot, each fact one entry however many conditions read it).
pub(crate) fn trace_texts(prog: &Program, schema: &Schema) -> TraceTexts {
    let mut t = TraceTexts::default();
    let mut entry_of: std::collections::HashMap<u32, u32> = std::collections::HashMap::new();
    for r in &prog.rules {
        let mut conditions = Vec::with_capacity(r.conditions.len());
        for c in &r.conditions {
            let mut slots = Vec::new();
            crate::compile::walk(&c.ex, &mut |x| {
                if let Ex::Fact(s) = x {
                    slots.push(*s);
                }
            });
            slots.sort_unstable();
            slots.dedup();
            let mut facts = Vec::with_capacity(slots.len());
            for s in slots {
                let Some(def) = schema.facts.get(s as usize) else {
                    continue;
                };
                let e = *entry_of.entry(s).or_insert_with(|| {
                    t.fact_paths.push(def.path.clone());
                    t.fact_slots.push(s);
                    u32::try_from(t.fact_paths.len() - 1).unwrap_or(u32::MAX)
                });
                facts.push(e);
            }
            conditions.push(ConditionTexts {
                text: c.text.clone(),
                facts,
            });
        }
        t.rules.push(RuleTexts {
            id: r.id.clone(),
            title: r.title.clone(),
            conditions,
        });
    }
    t
}

/// In a list of records, the `@sensitive` fields of every item are shown as `<redacted>`.
fn redact_record_fields(schema: &Schema, ty: &Type, j: &mut serde_json::Value) {
    let Type::List(rid) = ty else {
        return;
    };
    let Some(rec) = schema.record_def(*rid) else {
        return;
    };
    if !rec.fields.iter().any(|f| f.sensitive) {
        return;
    }
    let serde_json::Value::Array(items) = j else {
        return;
    };
    for item in items {
        let serde_json::Value::Object(fields) = item else {
            continue;
        };
        for f in rec.fields.iter().filter(|f| f.sensitive) {
            if let Some(v) = fields.get_mut(&f.name) {
                if !v.is_null() {
                    *v = serde_json::Value::String("<redacted>".into());
                }
            }
        }
    }
}

/// A builtin applied to its (at most two) evaluated arguments, and whether the case gets the
/// note that a birth date is after the date an age is counted on.
pub(crate) fn apply_builtin(b: Builtin, vals: [Value; 2]) -> (Value, bool) {
    let [a, c] = vals;
    match (b, a, c) {
        (Builtin::Zhousui, Value::Date(birth), Value::Date(on)) => {
            match crate::time::zhousui(birth, on) {
                Some(y) => (Value::Int(y), false),
                None => (Value::Unknown, true),
            }
        }
        (Builtin::DateOf, Value::DateTime(dt), _) => (
            Value::Date(dt.with_offset(DateTime::DEFAULT_OFFSET_MIN).local_date()),
            false,
        ),
        (Builtin::DaysBetween, Value::Date(x), Value::Date(y)) => {
            (Value::Int(i64::from(y.days()) - i64::from(x.days())), false)
        }
        _ => (Value::Unknown, false),
    }
}

/// Kleene comparison: unknown when either side is unknown.
pub(crate) fn compare(op: Cmp, a: &Value, b: &Value) -> Value {
    use std::cmp::Ordering;
    if !definite(a) || !definite(b) {
        return Value::Unknown;
    }
    let ord: Option<Ordering> = match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::Decimal(x), Value::Decimal(y)) => Some(x.cmp(y)),
        (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
        (Value::DateTime(x), Value::DateTime(y)) => Some(x.unix().cmp(&y.unix())),
        _ => None,
    };
    let r = match (op, ord) {
        (Cmp::Eq, Some(o)) => o == Ordering::Equal,
        (Cmp::Ne, Some(o)) => o != Ordering::Equal,
        (Cmp::Eq, None) => a == b,
        (Cmp::Ne, None) => a != b,
        (Cmp::Lt, Some(o)) => o == Ordering::Less,
        (Cmp::Le, Some(o)) => o != Ordering::Greater,
        (Cmp::Gt, Some(o)) => o == Ordering::Greater,
        (Cmp::Ge, Some(o)) => o != Ordering::Less,
        _ => return Value::Unknown,
    };
    Value::Bool(r)
}
