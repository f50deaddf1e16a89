//! The fast path of evaluation.
//!
//! The reference evaluator ([`Evaluator::run`]) walks each rule's expression tree and, for
//! every result that is not definite, collects the unknown facts behind it (for `missing`).
//! Most cases are fully decided, and for them that bookkeeping is pure cost. The fast path
//! runs the same program lowered to a flat arena of nodes in which:
//!
//! - identical subexpressions are one node (the checker inlines `let`s, so `is_minor` appears
//!   in every rule) and a shared node's value is computed once per case;
//! - no list of unknown facts is kept, only whether one contributed (a counter);
//! - truth-valued nodes are read without building a [`Value`]: the common leaves are
//!   specialised when the program is lowered (a truth-valued fact, `fact == const`, an enum
//!   fact in a set of values or in a set-valued param, an enum constant in a param or in a
//!   set-valued conclusion), and shared truth-valued nodes (`is_minor`, `at_work`) are kept in
//!   a one-byte memo;
//! - it stops as soon as anything ends undecided or in conflict, or would add a note it cannot
//!   reproduce, and the case is evaluated again by the reference evaluator.
//!
//! So it never produces a different decision: when it finishes, every rule state and
//! conclusion equals the reference evaluator's, `missing` is empty in both, and the decision
//! is built by the same code. Differential tests (`core/tests/fast_path.rs`) hold it to that.
//!
//! The step budget ([`EvalOptions::max_steps`]) is defined by the reference evaluator. The
//! fast path takes fewer steps, so it is used only when an upper bound on the reference
//! evaluator's steps for the case (nodes of every expression, quantifier bodies multiplied by
//! the length of their list) fits the budget; otherwise the reference evaluator runs and ends
//! exactly where it always did.

use super::*;
use std::collections::HashMap;

mod flat;
pub(crate) mod lanes;
use std::sync::Arc;

const NONE: u32 = u32::MAX;

/// A node of the lowered program. Children are node ids; variable-length children are ranges
/// of `FastProgram::kids`.
#[derive(Clone, Debug)]
enum N {
    Const(u32),
    Fact(u32),
    Param(u32),
    Conclusion(u32),
    AsOf,
    Local(u32),
    Field(u32, u32),
    Not(u32),
    Neg(u32),
    And(u32, u32),
    Or(u32, u32),
    Cmp(Cmp, u32, u32),
    Arith(Arith, u32, u32),
    InSet(u32, u32),
    /// The value, then a range of `consts`.
    InValues(u32, u32, u32),
    /// A mask (index into `masks`) and the set.
    Intersects(u32, u32),
    Subset(u32, u32),
    IsKnown(u32),
    IsEmpty(u32),
    If(u32, u32, u32),
    Call(Builtin, u32, u32),
    Len(u32),
    Quant {
        agg: Agg,
        list: u32,
        /// The list fact when the list is a plain fact (for the origins of list items).
        source: u32,
        filter: u32,
        body: u32,
    },
}

/// How [`Evaluator::fb`] reads a node whose value is a truth value: the common leaves
/// specialised (no [`Value`] built, no memo lookup), shared nodes through the truth-value memo.
#[derive(Copy, Clone, Debug)]
enum B {
    /// Through [`Evaluator::fx`] (a `Value`), then read as a truth value.
    General,
    /// Through [`Evaluator::fb_inner`] (connectives and common leaves).
    Direct,
    /// Kept in the truth-value memo (slot `bmemo[id]`).
    Memo,
    /// A truth-valued fact read in place.
    Fact(u32),
    /// `fact == true` / `fact != false` and the like over a truth-valued fact: `neg` flips.
    BoolEq { slot: u32, want: bool, neg: bool },
    /// An enum fact tested against a set of values (`x in {a, b}`, `x == a`, `x != a`): `neg`
    /// flips.
    EnumIn { slot: u32, mask: u128, neg: bool },
    /// An enum fact in a set-valued param (`reporter.org_type in some.param`): the param's
    /// value is fixed when the policy is loaded; reading it still marks it used.
    EnumInParam { slot: u32, param: u32, mask: u128 },
    /// An enum constant in a set-valued param: a fixed answer; reading it marks the param used.
    ConstInParam { hit: bool, param: u32 },
    /// An enum constant in a conclusion holding a set (node `set`).
    ConstInConclusion { bit: u128, set: u32 },
}

impl N {
    /// Whether the node's value is always a truth value or unknown.
    fn is_truth(&self) -> bool {
        matches!(
            self,
            N::Not(_)
                | N::And(..)
                | N::Or(..)
                | N::Cmp(..)
                | N::InSet(..)
                | N::InValues(..)
                | N::Intersects(..)
                | N::Subset(..)
                | N::IsKnown(_)
                | N::IsEmpty(_)
        )
    }
}

/// The bound on the reference evaluator's steps inside one quantifier.
#[derive(Clone, Debug)]
struct QuantBound {
    /// The list fact the quantifier runs over.
    slot: u32,
    /// Nodes of the filter and body, outside nested quantifiers' bodies.
    per_item: u64,
    nested: Vec<QuantBound>,
}

/// A policy's program lowered for the fast path. Built once per policy.
#[derive(Clone, Debug, Default)]
pub struct FastProgram {
    nodes: Vec<N>,
    /// Per node: its memo slot, or `NONE` when its value is not kept (or is kept in the
    /// truth-value memo instead).
    memo: Vec<u32>,
    /// Per node: its slot in the truth-value memo, or `NONE`.
    bmemo: Vec<u32>,
    n_bmemo: usize,
    /// Per node: how `fb` reads it.
    bk: Vec<B>,
    /// What explanations need, worked out once.
    pub(crate) trace: TraceAhead,
    kids: Vec<u32>,
    consts: Vec<Value>,
    masks: Vec<u128>,
    rule_when: Vec<u32>,
    /// Per rule: `(conclusion, is_add, value node)` for each effect.
    effects: Vec<Vec<(u32, bool, u32)>>,
    n_memo: usize,
    /// Steps outside quantifier bodies.
    base_steps: u64,
    quants: Vec<QuantBound>,
    /// False when a quantifier runs over anything but a list fact: the bound cannot be
    /// worked out cheaply, so the reference evaluator is always used.
    eligible: bool,
    /// The rules' conditions as flat code, tried before `fb` (see `flat`).
    flat: flat::Flat,
    /// Per rule: what deciding its state reads besides its condition, kept together.
    hot: Vec<RuleHot>,
    /// The sections and exceptions of every rule (ranges of `RuleHot`).
    hot_ids: Vec<u32>,
    /// Per conclusion: how it is settled.
    settle: Vec<Settle>,
    /// Per rule, per top-level condition: its node, for explanations after a fast run.
    cond_nodes: Vec<Vec<u32>>,
    /// The program for blocks of 64 cases (`lanes`), built on the first batch; `None` when it
    /// cannot be built.
    lanes: std::sync::OnceLock<Option<lanes::LaneProgram>>,
}

/// What `fast_rule` reads of a rule besides its condition, out of the (large) compiled rule.
#[derive(Clone, Debug, Default)]
struct RuleHot {
    from: Option<Date>,
    until: Option<Date>,
    /// `hot_ids[sections.0..sections.1]`: the optional sections the rule needs.
    sections: (u32, u32),
    /// `hot_ids[overridden_by.0..overridden_by.1]`: the rules that are exceptions to it.
    overridden_by: (u32, u32),
}

/// How a conclusion is settled on the fast path, worked out once per policy.
#[derive(Clone, Debug)]
enum Settle {
    /// A collected set whose every writer adds constant enum values: per writer, the bits it
    /// adds (`fx` of a constant reads nothing and marks nothing, so this is `fast_settle`).
    ConstSet(Vec<(u32, u128)>),
    /// A single value whose every writer concludes constants: per writer, its priority and the
    /// constants (indices of `consts`) it concludes, in order.
    ConstOne(Vec<(u32, i64, Vec<u32>)>),
    /// Through `fast_settle`.
    General,
}

/// The parts of an explanation that are the same for every case: the texts, and which facts
/// each condition reads, shared with every [`crate::decision::Trace`] made.
#[derive(Clone, Debug, Default)]
pub(crate) struct TraceAhead {
    pub(crate) texts: Arc<crate::decision::TraceTexts>,
}

/// What lowering knows about a node.
#[derive(Copy, Clone, Default)]
struct Info {
    /// Reads a bound list item.
    local: bool,
    /// Reads a conclusion.
    conclusion: bool,
    /// Worth keeping (not a leaf).
    composite: bool,
}

struct Lower {
    p: FastProgram,
    info: Vec<Info>,
    uses: Vec<u32>,
    interned: HashMap<String, u32>,
}

impl FastProgram {
    pub(crate) fn build(prog: &Program, schema: &Schema) -> FastProgram {
        let mut l = Lower {
            p: FastProgram {
                eligible: true,
                ..FastProgram::default()
            },
            info: Vec::new(),
            uses: Vec::new(),
            interned: HashMap::new(),
        };
        let mut base: u64 = 0;
        let mut quants = Vec::new();
        for r in &prog.rules {
            let w = l.lower(&r.when);
            l.used(w);
            l.p.rule_when.push(w);
            let mut eff = Vec::new();
            let mut exprs: Vec<&Ex> = vec![&r.when];
            for e in &r.effects {
                let (c, add, x) = match e {
                    Effect::Conclude { conclusion, value } => (*conclusion, false, value),
                    Effect::Add { conclusion, value } => (*conclusion, true, value),
                };
                let id = l.lower(x);
                l.used(id);
                eff.push((c, add, id));
                exprs.push(x);
            }
            // Obligations' due times are worked out by the shared decision code, which counts
            // its steps against the same budget.
            for o in &r.obligations {
                match &o.from {
                    Some(f) => exprs.push(f),
                    None => base = base.saturating_add(1),
                }
                if let Deadline::By(b) = &o.deadline {
                    exprs.push(b);
                }
            }
            for x in exprs {
                match steps_of(x, &mut quants) {
                    Some(n) => base = base.saturating_add(n),
                    None => l.p.eligible = false,
                }
            }
            l.p.effects.push(eff);
        }
        // Each rule's top-level conditions, for explanations. They are the conjuncts of `when`,
        // already lowered; lowering them again must not count as more uses (which would keep
        // more nodes in the memo).
        let uses = l.uses.clone();
        let cond_nodes: Vec<Vec<u32>> = prog
            .rules
            .iter()
            .map(|r| r.conditions.iter().map(|c| l.lower(&c.ex)).collect())
            .collect();
        for (u, was) in l.uses.iter_mut().zip(uses) {
            *u = was;
        }
        l.p.cond_nodes = cond_nodes;
        let mut n_memo = 0usize;
        let mut n_bmemo = 0usize;
        let n = l.p.nodes.len();
        let mut memo = vec![NONE; n];
        let mut bmemo = vec![NONE; n];
        for i in 0..n {
            let info = l.info.get(i).copied().unwrap_or_default();
            let uses = l.uses.get(i).copied().unwrap_or(0);
            if uses >= 2 && info.composite && !info.local && !info.conclusion {
                // Nodes that always give a truth value (or unknown) are kept as one byte.
                let (slot, count) = if l.p.nodes.get(i).is_some_and(N::is_truth) {
                    (&mut bmemo, &mut n_bmemo)
                } else {
                    (&mut memo, &mut n_memo)
                };
                if let Some(m) = slot.get_mut(i) {
                    *m = u32::try_from(*count).unwrap_or(NONE);
                }
                *count += 1;
            }
        }
        l.p.bk = (0..n)
            .map(|i| {
                if bmemo.get(i).is_some_and(|&m| m != NONE) {
                    B::Memo
                } else if memo.get(i).is_some_and(|&m| m != NONE) {
                    B::General
                } else {
                    l.p.truth_kind(i, prog)
                }
            })
            .collect();
        l.p.trace.texts = Arc::new(crate::eval::trace_texts(prog, schema));
        l.p.memo = memo;
        l.p.n_memo = n_memo;
        l.p.bmemo = bmemo;
        l.p.n_bmemo = n_bmemo;
        l.p.base_steps = base;
        l.p.quants = quants;
        l.p.flat = flat::Flat::build(&l.p, prog);
        l.p.build_hot(prog);
        l.p
    }

    /// The rules' hot data and the conclusions' settle plans.
    fn build_hot(&mut self, prog: &Program) {
        let mut ids = Vec::new();
        let range = |ids: &mut Vec<u32>, v: &[u32]| {
            let a = u32::try_from(ids.len()).unwrap_or(u32::MAX);
            ids.extend_from_slice(v);
            (a, u32::try_from(ids.len()).unwrap_or(u32::MAX))
        };
        self.hot = prog
            .rules
            .iter()
            .map(|r| RuleHot {
                from: r.effective.0,
                until: r.effective.1,
                sections: range(&mut ids, &r.sections),
                overridden_by: range(&mut ids, &r.overridden_by),
            })
            .collect();
        self.hot_ids = ids;
        self.settle = prog
            .conclusions
            .iter()
            .enumerate()
            .map(|(ci, c)| self.settle_plan(ci, c, prog))
            .collect();
    }

    fn settle_plan(&self, ci: usize, c: &ConclusionDef, prog: &Program) -> Settle {
        let konst = |x: u32| match self.nodes.get(x as usize) {
            Some(N::Const(k)) => Some(*k),
            _ => None,
        };
        let mut set = Vec::new();
        let mut one = Vec::new();
        for &w in &c.writers {
            let mut bits = 0u128;
            let mut values = Vec::new();
            for &(target, add, x) in self.effects.get(w as usize).map_or(&[][..], |v| v) {
                if target as usize != ci || add != c.collect {
                    continue;
                }
                let Some(k) = konst(x) else {
                    return Settle::General;
                };
                if c.collect {
                    match self.consts.get(k as usize) {
                        Some(Value::Enum(b)) => bits |= 1u128 << (b % 128),
                        _ => return Settle::General,
                    }
                } else {
                    values.push(k);
                }
            }
            let prio = prog.rules.get(w as usize).map_or(0, |r| r.priority);
            set.push((w, bits));
            one.push((w, prio, values));
        }
        if c.collect {
            Settle::ConstSet(set)
        } else {
            Settle::ConstOne(one)
        }
    }

    /// How `fb` reads a node that is not memoized.
    fn truth_kind(&self, id: usize, prog: &Program) -> B {
        let fact_const =
            |a: u32, b: u32| match (self.nodes.get(a as usize), self.nodes.get(b as usize)) {
                (Some(N::Fact(slot)), Some(N::Const(k))) => {
                    Some((*slot, self.consts.get(*k as usize)))
                }
                _ => None,
            };
        match self.nodes.get(id) {
            Some(N::Fact(s)) => B::Fact(*s),
            Some(N::Cmp(op @ (Cmp::Eq | Cmp::Ne), a, b)) => {
                let neg = *op == Cmp::Ne;
                match fact_const(*a, *b) {
                    Some((slot, Some(Value::Bool(want)))) => B::BoolEq {
                        slot,
                        want: *want,
                        neg,
                    },
                    Some((slot, Some(Value::Enum(e)))) if *e < 128 => B::EnumIn {
                        slot,
                        mask: 1u128 << e,
                        neg,
                    },
                    _ => B::Direct,
                }
            }
            Some(N::InValues(x, s, n)) => {
                let vals = self
                    .consts
                    .get(*s as usize..(*s as usize).saturating_add(*n as usize))
                    .unwrap_or(&[]);
                let mut mask = 0u128;
                let all_enums = vals.iter().all(|v| match v {
                    Value::Enum(e) if *e < 128 => {
                        mask |= 1u128 << e;
                        true
                    }
                    _ => false,
                });
                match self.nodes.get(*x as usize) {
                    Some(N::Fact(slot)) if all_enums => B::EnumIn {
                        slot: *slot,
                        mask,
                        neg: false,
                    },
                    _ => B::Direct,
                }
            }
            Some(N::InSet(x, p)) => {
                match (self.nodes.get(*x as usize), self.nodes.get(*p as usize)) {
                    (Some(N::Const(k)), Some(set)) => {
                        let Some(Value::Enum(e)) = self.consts.get(*k as usize) else {
                            return B::General;
                        };
                        let bit = 1u128 << (e % 128);
                        match set {
                            N::Param(param) => {
                                match prog.params.get(*param as usize).map(|d| &d.value) {
                                    Some(Value::Set {
                                        bits,
                                        complete: true,
                                    }) => B::ConstInParam {
                                        hit: bits & bit != 0,
                                        param: *param,
                                    },
                                    _ => B::General,
                                }
                            }
                            N::Conclusion(_) => B::ConstInConclusion { bit, set: *p },
                            _ => B::General,
                        }
                    }
                    (Some(N::Fact(slot)), Some(N::Param(param))) => {
                        match prog.params.get(*param as usize).map(|d| &d.value) {
                            Some(Value::Set {
                                bits,
                                complete: true,
                            }) => B::EnumInParam {
                                slot: *slot,
                                param: *param,
                                mask: *bits,
                            },
                            _ => B::General,
                        }
                    }
                    _ => B::General,
                }
            }
            Some(
                N::And(..)
                | N::Or(..)
                | N::Not(_)
                | N::IsKnown(_)
                | N::Cmp(..)
                | N::IsEmpty(_)
                | N::Intersects(..),
            ) => B::Direct,
            _ => B::General,
        }
    }

    /// An upper bound on the reference evaluator's steps for these facts (rules, settling
    /// and due times; not explanations).
    fn step_bound(&self, facts: &Facts) -> u64 {
        let mut n = self.base_steps;
        for q in &self.quants {
            n = n.saturating_add(q.bound(facts));
        }
        n
    }

    /// The program for blocks of 64 cases, built on first use (only batches pay for it, and a
    /// build without batches, such as the browser's, leaves it out).
    pub(crate) fn lanes(&self, prog: &Program, schema: &Schema) -> Option<&lanes::LaneProgram> {
        self.lanes
            .get_or_init(|| lanes::build(self, prog, schema))
            .as_ref()
    }

    /// Whether the fast path may run for these facts within this budget.
    pub(crate) fn usable(&self, facts: &Facts, opts: &EvalOptions) -> bool {
        if !self.eligible {
            return false;
        }
        let mut bound = self.step_bound(facts);
        if opts.explain {
            // The explanation evaluates every rule's conditions once more.
            bound = bound.saturating_mul(2);
        }
        bound <= opts.max_steps
    }
}

impl QuantBound {
    fn bound(&self, facts: &Facts) -> u64 {
        let len = match facts.slots.get(self.slot as usize) {
            Some(Value::List(items)) => items.len() as u64,
            _ => 0,
        };
        let mut per = self.per_item;
        for q in &self.nested {
            per = per.saturating_add(q.bound(facts));
        }
        len.saturating_mul(per)
    }
}

/// Nodes of an expression the reference evaluator may visit, with each quantifier's body
/// listed separately (its count depends on the case). None when a quantifier's list is not a
/// plain list fact.
fn steps_of(e: &Ex, quants: &mut Vec<QuantBound>) -> Option<u64> {
    let mut n: u64 = 0;
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        n = n.saturating_add(1);
        match e {
            Ex::Quant {
                list, filter, body, ..
            } => {
                let Ex::Fact(slot) = **list else {
                    return None;
                };
                n = n.saturating_add(1);
                let mut nested = Vec::new();
                let mut per_item = 0u64;
                for x in [filter, body].into_iter().flatten() {
                    per_item = per_item.saturating_add(steps_of(x, &mut nested)?);
                }
                quants.push(QuantBound {
                    slot,
                    per_item,
                    nested,
                });
            }
            Ex::Field(x, _)
            | Ex::Not(x)
            | Ex::Neg(x)
            | Ex::IsKnown(x)
            | Ex::IsEmpty(x)
            | Ex::Len(x)
            | Ex::Intersects(_, x)
            | Ex::Subset(_, x)
            | Ex::InValues(x, _) => stack.push(x),
            Ex::And(v) | Ex::Or(v) | Ex::Call(_, v) => stack.extend(v.iter()),
            Ex::Cmp(_, a, b) | Ex::Arith(_, a, b) | Ex::InSet(a, b) => {
                stack.push(a);
                stack.push(b);
            }
            Ex::If(a, b, c) => {
                stack.push(a);
                stack.push(b);
                stack.push(c);
            }
            Ex::Const(_)
            | Ex::Fact(_)
            | Ex::Param(_)
            | Ex::Conclusion(_)
            | Ex::AsOf
            | Ex::Local(_) => {}
        }
    }
    Some(n)
}

impl Lower {
    fn used(&mut self, id: u32) {
        if let Some(u) = self.uses.get_mut(id as usize) {
            *u += 1;
        }
    }

    /// Adds a node, or finds the identical one already added.
    fn intern(&mut self, key: String, node: N, info: Info) -> u32 {
        if let Some(&id) = self.interned.get(&key) {
            return id;
        }
        let id = u32::try_from(self.p.nodes.len()).unwrap_or(NONE);
        self.p.nodes.push(node);
        self.info.push(info);
        self.uses.push(0);
        self.interned.insert(key, id);
        id
    }

    fn child(&mut self, e: &Ex, info: &mut Info) -> u32 {
        let id = self.lower(e);
        self.used(id);
        if let Some(ci) = self.info.get(id as usize) {
            info.local |= ci.local;
            info.conclusion |= ci.conclusion;
        }
        id
    }

    fn range(&mut self, items: &[Ex], info: &mut Info) -> (u32, u32) {
        let ids: Vec<u32> = items.iter().map(|x| self.child(x, info)).collect();
        let start = u32::try_from(self.p.kids.len()).unwrap_or(NONE);
        self.p.kids.extend_from_slice(&ids);
        (start, u32::try_from(ids.len()).unwrap_or(0))
    }

    fn lower(&mut self, e: &Ex) -> u32 {
        let mut info = Info {
            composite: true,
            ..Info::default()
        };
        let (key, node) = match e {
            Ex::Const(v) => {
                info.composite = false;
                // Equal constants are one node (their `Debug` text tells values apart), so
                // `age < 18` written in every rule is one shared node too.
                let key = format!("const {v:?}");
                if let Some(&id) = self.interned.get(&key) {
                    return id;
                }
                let i = u32::try_from(self.p.consts.len()).unwrap_or(NONE);
                self.p.consts.push(v.clone());
                (key, N::Const(i))
            }
            Ex::Fact(s) => {
                info.composite = false;
                (format!("fact {s}"), N::Fact(*s))
            }
            Ex::Param(i) => {
                info.composite = false;
                (format!("param {i}"), N::Param(*i))
            }
            Ex::Conclusion(c) => {
                info.composite = false;
                info.conclusion = true;
                (format!("conc {c}"), N::Conclusion(*c))
            }
            Ex::AsOf => {
                info.composite = false;
                ("as_of".to_string(), N::AsOf)
            }
            Ex::Local(i) => {
                info.composite = false;
                info.local = true;
                (format!("local {i}"), N::Local(*i))
            }
            Ex::Field(x, f) => {
                let x = self.child(x, &mut info);
                (format!("field {x} {f}"), N::Field(x, *f))
            }
            Ex::Not(x) => {
                let x = self.child(x, &mut info);
                (format!("not {x}"), N::Not(x))
            }
            Ex::Neg(x) => {
                let x = self.child(x, &mut info);
                (format!("neg {x}"), N::Neg(x))
            }
            Ex::And(items) | Ex::Or(items) => {
                let (s, n) = self.range(items, &mut info);
                let ids = self.ids(s, n);
                if matches!(e, Ex::And(_)) {
                    (format!("and {ids:?}"), N::And(s, n))
                } else {
                    (format!("or {ids:?}"), N::Or(s, n))
                }
            }
            Ex::Cmp(op, a, b) => {
                let a = self.child(a, &mut info);
                let b = self.child(b, &mut info);
                (format!("cmp {op:?} {a} {b}"), N::Cmp(*op, a, b))
            }
            Ex::Arith(op, a, b) => {
                let a = self.child(a, &mut info);
                let b = self.child(b, &mut info);
                (format!("arith {op:?} {a} {b}"), N::Arith(*op, a, b))
            }
            Ex::InSet(a, b) => {
                let a = self.child(a, &mut info);
                let b = self.child(b, &mut info);
                (format!("inset {a} {b}"), N::InSet(a, b))
            }
            Ex::InValues(x, vals) => {
                let x = self.child(x, &mut info);
                let s = u32::try_from(self.p.consts.len()).unwrap_or(NONE);
                self.p.consts.extend(vals.iter().cloned());
                let n = u32::try_from(vals.len()).unwrap_or(0);
                (format!("invalues#{s} {x}"), N::InValues(x, s, n))
            }
            Ex::Intersects(m, x) | Ex::Subset(m, x) => {
                let x = self.child(x, &mut info);
                let mi = u32::try_from(self.p.masks.len()).unwrap_or(NONE);
                self.p.masks.push(*m);
                if matches!(e, Ex::Intersects(..)) {
                    (format!("intersects {m} {x}"), N::Intersects(mi, x))
                } else {
                    (format!("subset {m} {x}"), N::Subset(mi, x))
                }
            }
            Ex::IsKnown(x) => {
                let x = self.child(x, &mut info);
                (format!("known {x}"), N::IsKnown(x))
            }
            Ex::IsEmpty(x) => {
                let x = self.child(x, &mut info);
                (format!("empty {x}"), N::IsEmpty(x))
            }
            Ex::If(c, t, f) => {
                let c = self.child(c, &mut info);
                let t = self.child(t, &mut info);
                let f = self.child(f, &mut info);
                (format!("if {c} {t} {f}"), N::If(c, t, f))
            }
            Ex::Call(b, args) => {
                let (s, n) = self.range(args, &mut info);
                let ids = self.ids(s, n);
                (format!("call {b:?} {ids:?}"), N::Call(*b, s, n))
            }
            Ex::Len(x) => {
                let x = self.child(x, &mut info);
                (format!("len {x}"), N::Len(x))
            }
            Ex::Quant {
                agg,
                list,
                filter,
                body,
            } => {
                let source = match **list {
                    Ex::Fact(s) => s,
                    _ => NONE,
                };
                let list = self.child(list, &mut info);
                let filter = match filter {
                    Some(f) => self.child(f, &mut info),
                    None => NONE,
                };
                let body = match body {
                    Some(b) => self.child(b, &mut info),
                    None => NONE,
                };
                // The quantifier binds a new local: what its body reads through `Local` is
                // the item, not an outer value, so the quantifier itself may still read an
                // outer local (nested quantifiers). Keep it out of the memo to be safe.
                info.local = true;
                (
                    format!("quant {agg:?} {list} {filter} {body}"),
                    N::Quant {
                        agg: *agg,
                        list,
                        source,
                        filter,
                        body,
                    },
                )
            }
        };
        self.intern(key, node, info)
    }

    fn ids(&self, start: u32, n: u32) -> Vec<u32> {
        self.p
            .kids
            .get(start as usize..(start as usize + n as usize))
            .map(<[u32]>::to_vec)
            .unwrap_or_default()
    }
}

/// The fast path stopped: the case goes to the reference evaluator.
pub(crate) struct Bail;

impl Evaluator<'_> {
    /// Runs the program on the fast path. `Err(Bail)` when the case needs the reference
    /// evaluator (something ended undecided or in conflict); the evaluator must then be
    /// discarded.
    pub(crate) fn run_fast(&mut self, fp: &FastProgram) -> Result<(), Bail> {
        self.memo.clear();
        self.memo.resize(fp.n_memo, None);
        self.bmemo.clear();
        self.bmemo.resize(fp.n_bmemo, 0);
        self.flat_reset(&fp.flat);
        for step in &self.prog.steps {
            match *step {
                Step::Rule(r) => self.fast_rule(fp, r as usize)?,
                Step::Settle(c) => self.fast_settle(fp, c as usize)?,
            }
        }
        Ok(())
    }

    fn fast_rule(&mut self, fp: &FastProgram, ri: usize) -> Result<(), Bail> {
        let Some(r) = fp.hot.get(ri) else {
            return Ok(());
        };
        let ids = |(a, b): (u32, u32)| fp.hot_ids.get(a as usize..b as usize).unwrap_or(&[]);
        let state =
            if r.from.is_some_and(|f| self.as_of < f) || r.until.is_some_and(|u| self.as_of > u) {
                RuleState::NotInForce
            } else if self.section_absent(ids(r.sections)) {
                RuleState::NotApplicable
            } else {
                self.open = 0;
                self.absent_read = false;
                let own = match self.flat_rule(fp, ri)? {
                    Some(b) => Some(b),
                    // Not definite: `fb` works out what stands behind it.
                    None => {
                        self.open = 0;
                        self.absent_read = false;
                        let when = fp.rule_when.get(ri).copied().unwrap_or(NONE);
                        self.fb(fp, when)?
                    }
                };
                let missing = self.open > 0;
                if let Some(c) = self.rule_cond.get_mut(ri) {
                    *c = own;
                }
                let mut overridden = false;
                for &xi in ids(r.overridden_by) {
                    match self.rule_state.get(xi as usize) {
                        Some(RuleState::Fired | RuleState::Overridden) => overridden = true,
                        Some(RuleState::Undecided) => return Err(Bail),
                        _ => {}
                    }
                }
                match own {
                    Some(false) => RuleState::NotFired,
                    None if !missing && self.absent_read => RuleState::NotApplicable,
                    _ if overridden => RuleState::Overridden,
                    Some(true) => RuleState::Fired,
                    None => return Err(Bail),
                }
            };
        if let Some(s) = self.rule_state.get_mut(ri) {
            *s = state;
        }
        Ok(())
    }

    fn fast_settle(&mut self, fp: &FastProgram, ci: usize) -> Result<(), Bail> {
        let Some(c) = self.prog.conclusions.get(ci) else {
            return Ok(());
        };
        // Each value is written into its slot where it is worked out: built on the stack and
        // moved in, the 32-byte value was stored in pieces and loaded back whole, a
        // store-forwarding stall per conclusion.
        match fp.settle.get(ci) {
            Some(Settle::ConstSet(writers)) => {
                let mut bits = 0u128;
                for &(w, b) in writers {
                    match self.rule_state.get(w as usize) {
                        Some(RuleState::Fired) => bits |= b,
                        Some(RuleState::Undecided) => return Err(Bail),
                        _ => {}
                    }
                }
                if let Some(v) = self.conc.get_mut(ci) {
                    *v = Value::Set {
                        bits,
                        complete: true,
                    };
                }
            }
            Some(Settle::ConstOne(writers)) => {
                // As the general case below: the winners are the fired writers' values of the
                // top priority; they must agree and be definite.
                let mut top: Option<i64> = None;
                let mut first: Option<&Value> = None;
                let mut ok = true;
                for (w, prio, values) in writers {
                    match self.rule_state.get(*w as usize) {
                        Some(RuleState::Fired) => {}
                        Some(RuleState::Undecided) => return Err(Bail),
                        _ => continue,
                    }
                    for &k in values {
                        let v = fp.consts.get(k as usize).unwrap_or(&Value::Unknown);
                        match top {
                            Some(t) if *prio < t => {}
                            Some(t) if *prio == t => {
                                ok &= definite(v) && first.is_some_and(|f| f == v);
                            }
                            _ => {
                                top = Some(*prio);
                                first = Some(v);
                                ok = definite(v);
                            }
                        }
                    }
                }
                let value = match (top, first) {
                    (Some(_), Some(v)) if ok => v,
                    (Some(_), _) => return Err(Bail),
                    (None, _) => c.default.as_ref().unwrap_or(&Value::Unknown),
                };
                if let Some(slot) = self.conc.get_mut(ci) {
                    slot.clone_from(value);
                }
            }
            _ => {
                let value = self.settle_general(fp, c, ci)?;
                if let Some(v) = self.conc.get_mut(ci) {
                    *v = value;
                }
            }
        }
        if let Some(u) = self.conc_undecided.get_mut(ci) {
            *u = false;
        }
        Ok(())
    }

    /// `fast_settle` for any conclusion: its writers' values worked out by `fx`.
    fn settle_general(
        &mut self,
        fp: &FastProgram,
        c: &ConclusionDef,
        ci: usize,
    ) -> Result<Value, Bail> {
        Ok(if c.collect {
            let mut bits = 0u128;
            for &w in &c.writers {
                match self.rule_state.get(w as usize) {
                    Some(RuleState::Fired) => {}
                    Some(RuleState::Undecided) => return Err(Bail),
                    _ => continue,
                }
                for &(target, add, x) in fp.effects.get(w as usize).map_or(&[][..], |v| v) {
                    if !add || target as usize != ci {
                        continue;
                    }
                    match self.fx(fp, x)? {
                        Value::Enum(b) => bits |= 1u128 << (b % 128),
                        _ => return Err(Bail),
                    }
                }
            }
            Value::Set {
                bits,
                complete: true,
            }
        } else {
            // Every fired writer's value is worked out, in order, as the reference
            // evaluator does (params used and notes must match).
            let mut top: Option<i64> = None;
            let mut first = Value::Unknown;
            let mut winners_definite = true;
            let mut disagree = false;
            let mut winners: Vec<Value> = std::mem::take(&mut self.fast_winners);
            winners.clear();
            for &w in &c.writers {
                match self.rule_state.get(w as usize) {
                    Some(RuleState::Fired) => {}
                    Some(RuleState::Undecided) => return Err(Bail),
                    _ => continue,
                }
                let prio = self.prog.rules.get(w as usize).map_or(0, |r| r.priority);
                for &(target, add, x) in fp.effects.get(w as usize).map_or(&[][..], |v| v) {
                    if add || target as usize != ci {
                        continue;
                    }
                    let v = self.fx(fp, x)?;
                    match top {
                        Some(t) if prio < t => {}
                        Some(t) if prio == t => winners.push(v),
                        _ => {
                            top = Some(prio);
                            winners.clear();
                            winners.push(v);
                        }
                    }
                }
            }
            if top.is_some() {
                first = winners.first().cloned().unwrap_or(Value::Unknown);
                for w in &winners {
                    if !definite(w) {
                        winners_definite = false;
                    } else if *w != first && definite(&first) {
                        disagree = true;
                    }
                }
            }
            self.fast_winners = winners;
            match top {
                // A conflict, or a winner without a definite value: the reference
                // evaluator reports it.
                Some(_) if disagree || !definite(&first) || !winners_definite => return Err(Bail),
                Some(_) => first,
                None => c.default.clone().unwrap_or(Value::Unknown),
            }
        })
    }

    /// Evaluates a node as [`Evaluator::eval`] evaluates the expression it came from, keeping
    /// only a count of the unknown facts behind a result that is not definite.
    fn fx(&mut self, fp: &FastProgram, id: u32) -> Result<Value, Bail> {
        match fp.nodes.get(id as usize) {
            Some(N::Const(i)) => {
                return Ok(fp.consts.get(*i as usize).cloned().unwrap_or_default())
            }
            Some(N::Fact(s)) => {
                let v = self
                    .facts
                    .slots
                    .get(*s as usize)
                    .cloned()
                    .unwrap_or_default();
                if !v.is_known() {
                    self.open += 1;
                }
                return Ok(v);
            }
            _ => {}
        }
        if matches!(fp.bk.get(id as usize), Some(B::Memo)) {
            return Ok(match self.fb(fp, id)? {
                Some(b) => Value::Bool(b),
                None => Value::Unknown,
            });
        }
        let slot = fp.memo.get(id as usize).copied().unwrap_or(NONE);
        if slot != NONE {
            if let Some(Some((v, open))) = self.memo.get(slot as usize) {
                if *open {
                    self.open += 1;
                }
                return Ok(v.clone());
            }
        }
        let mark = self.open;
        let v = self.fx_inner(fp, id)?;
        if definite(&v) {
            self.open = mark;
        }
        if slot != NONE {
            let open = self.open > mark;
            if let Some(m) = self.memo.get_mut(slot as usize) {
                *m = Some((v.clone(), open));
            }
        }
        Ok(v)
    }

    /// Evaluates a node whose value is a truth value (or unknown), as [`Evaluator::fx`] does,
    /// without building a [`Value`] for the connectives and the common leaves.
    fn fb(&mut self, fp: &FastProgram, id: u32) -> Result<Option<bool>, Bail> {
        match fp.bk.get(id as usize).copied().unwrap_or(B::General) {
            B::Fact(s) => Ok(match self.facts.slots.get(s as usize) {
                Some(Value::Bool(b)) => Some(*b),
                Some(Value::Unknown) | None => {
                    self.open += 1;
                    None
                }
                Some(_) => None,
            }),
            B::BoolEq { slot, want, neg } => match self.facts.slots.get(slot as usize) {
                Some(Value::Bool(b)) => Ok(Some((*b == want) != neg)),
                Some(Value::Unknown) | None => {
                    self.open += 1;
                    Ok(None)
                }
                Some(_) => self.fb_direct(fp, id),
            },
            B::EnumIn { slot, mask, neg } => match self.facts.slots.get(slot as usize) {
                Some(Value::Enum(e)) => {
                    let hit = *e < 128 && mask & (1u128 << e) != 0;
                    Ok(Some(hit != neg))
                }
                Some(Value::Unknown) | None => {
                    self.open += 1;
                    Ok(None)
                }
                Some(_) => self.fb_direct(fp, id),
            },
            B::EnumInParam { slot, param, mask } => {
                // As `fx_inner` does: the fact is read, then the param (marked used).
                let r = match self.facts.slots.get(slot as usize) {
                    Some(Value::Enum(e)) => Some(mask & (1u128 << (e % 128)) != 0),
                    Some(Value::Unknown) | None => {
                        self.open += 1;
                        None
                    }
                    Some(_) => None,
                };
                if let Some(u) = self.params_used.get_mut(param as usize) {
                    *u = true;
                }
                Ok(r)
            }
            B::ConstInParam { hit, param } => {
                if let Some(u) = self.params_used.get_mut(param as usize) {
                    *u = true;
                }
                Ok(Some(hit))
            }
            B::ConstInConclusion { bit, set } => match self.set_operand(fp, set)? {
                Some((bits, complete)) => {
                    let hit = bits & bit != 0;
                    Ok((hit || complete).then_some(hit))
                }
                // Not a set (absent): as `fx_inner` reads it.
                None => Ok(match self.fx(fp, id)? {
                    Value::Bool(b) => Some(b),
                    _ => None,
                }),
            },
            B::Direct => self.fb_direct(fp, id),
            B::Memo => self.fb_memo(fp, id),
            B::General => Ok(match self.fx(fp, id)? {
                Value::Bool(b) => Some(b),
                _ => None,
            }),
        }
    }

    /// The value of rule `ri`'s condition `ci` after a successful fast run, for its
    /// explanation: `None` when it cannot be read this way (the caller evaluates it).
    pub(crate) fn fast_condition(
        &mut self,
        fp: &FastProgram,
        ri: usize,
        ci: usize,
    ) -> Option<Option<bool>> {
        let node = *fp.cond_nodes.get(ri)?.get(ci)?;
        self.fb(fp, node).ok()
    }

    /// A node through [`Evaluator::fb_inner`], keeping the count of unknown facts only
    /// behind a result that is not definite.
    fn fb_direct(&mut self, fp: &FastProgram, id: u32) -> Result<Option<bool>, Bail> {
        let mark = self.open;
        let r = self.fb_inner(fp, id)?;
        if r.is_some() {
            self.open = mark;
        }
        Ok(r)
    }

    /// A shared truth-valued node: worked out once per case, then read from the memo (one
    /// byte: worked out, its value, whether unknown facts stand behind it).
    fn fb_memo(&mut self, fp: &FastProgram, id: u32) -> Result<Option<bool>, Bail> {
        const DONE: u8 = 1;
        const KNOWN: u8 = 2;
        const TRUE: u8 = 4;
        const OPEN: u8 = 8;
        let slot = fp.bmemo.get(id as usize).copied().unwrap_or(NONE) as usize;
        if let Some(&m) = self.bmemo.get(slot) {
            if m & DONE != 0 {
                if m & OPEN != 0 {
                    self.open += 1;
                }
                return Ok((m & KNOWN != 0).then_some(m & TRUE != 0));
            }
        }
        let mark = self.open;
        let direct = matches!(
            fp.nodes.get(id as usize),
            Some(
                N::And(..)
                    | N::Or(..)
                    | N::Not(_)
                    | N::IsKnown(_)
                    | N::Cmp(..)
                    | N::InValues(..)
                    | N::IsEmpty(_)
                    | N::Intersects(..)
            )
        );
        let r = if direct {
            self.fb_inner(fp, id)?
        } else {
            match self.fx_inner(fp, id)? {
                Value::Bool(b) => Some(b),
                _ => None,
            }
        };
        if r.is_some() {
            self.open = mark;
        }
        let open = self.open > mark;
        if let Some(m) = self.bmemo.get_mut(slot) {
            *m = DONE
                | if r.is_some() { KNOWN } else { 0 }
                | if r == Some(true) { TRUE } else { 0 }
                | if open { OPEN } else { 0 };
        }
        Ok(r)
    }

    /// The connectives and common leaves of [`Evaluator::fb`], without the memo; the caller
    /// keeps the count of unknown facts.
    fn fb_inner(&mut self, fp: &FastProgram, id: u32) -> Result<Option<bool>, Bail> {
        let node = fp.nodes.get(id as usize);
        Ok(match node {
            Some(N::And(s, n)) => {
                let mut r = Some(true);
                for &k in Self::fx_kids(fp, *s, *n) {
                    match self.fb(fp, k)? {
                        Some(false) => {
                            r = Some(false);
                            break;
                        }
                        Some(true) => {}
                        None => r = None,
                    }
                }
                r
            }
            Some(N::Or(s, n)) => {
                let mut r = Some(false);
                for &k in Self::fx_kids(fp, *s, *n) {
                    match self.fb(fp, k)? {
                        Some(true) => {
                            r = Some(true);
                            break;
                        }
                        Some(false) => {}
                        None => r = None,
                    }
                }
                r
            }
            Some(N::Not(x)) => self.fb(fp, *x)?.map(|b| !b),
            Some(N::Fact(s)) => match self.facts.slots.get(*s as usize) {
                Some(Value::Bool(b)) => Some(*b),
                Some(Value::Unknown) | None => {
                    self.open += 1;
                    None
                }
                Some(_) => None,
            },
            Some(N::IsKnown(x)) => match fp.nodes.get(*x as usize) {
                // Whether a fact is known is itself known (no unknown read is kept).
                Some(N::Fact(s)) => Some(
                    self.facts
                        .slots
                        .get(*s as usize)
                        .is_some_and(Value::is_known),
                ),
                _ => match self.fx(fp, *x)? {
                    Value::Unknown => Some(false),
                    Value::Set {
                        complete: false, ..
                    } => None,
                    _ => Some(true),
                },
            },
            _ => self.fb_other(fp, id)?,
        })
    }

    /// The rest of [`Evaluator::fb_inner`], out of line so the connectives stay small.
    #[inline(never)]
    fn fb_other(&mut self, fp: &FastProgram, id: u32) -> Result<Option<bool>, Bail> {
        let node = fp.nodes.get(id as usize);
        Ok(match node {
            Some(N::Cmp(op, a, b)) => {
                // The common `age < 18`: the constant side is compared in place.
                let a = self.fx(fp, *a)?;
                let r = match fp.nodes.get(*b as usize) {
                    Some(N::Const(k)) => match fp.consts.get(*k as usize) {
                        Some(k) => compare(*op, &a, k),
                        None => Value::Unknown,
                    },
                    _ => {
                        let b = self.fx(fp, *b)?;
                        compare(*op, &a, &b)
                    }
                };
                match r {
                    Value::Bool(b) => Some(b),
                    _ => None,
                }
            }
            Some(N::InValues(x, s, n)) => {
                let facts = self.facts;
                let owned;
                let v = match fp.nodes.get(*x as usize) {
                    Some(N::Fact(slot)) => {
                        let v = facts.slots.get(*slot as usize).unwrap_or(&Value::Unknown);
                        if !v.is_known() {
                            self.open += 1;
                        }
                        v
                    }
                    _ => {
                        owned = self.fx(fp, *x)?;
                        &owned
                    }
                };
                if !v.is_known() {
                    None
                } else {
                    let vals = fp
                        .consts
                        .get(*s as usize..(*s as usize).saturating_add(*n as usize))
                        .unwrap_or(&[]);
                    Some(
                        vals.iter()
                            .any(|k| compare(Cmp::Eq, v, k) == Value::Bool(true)),
                    )
                }
            }
            Some(N::IsEmpty(x)) => match self.set_operand(fp, *x)? {
                Some((bits, complete)) => {
                    if bits != 0 {
                        Some(false)
                    } else if complete {
                        Some(true)
                    } else {
                        None
                    }
                }
                None => match self.fx(fp, *x)? {
                    Value::Set { bits, complete } => {
                        if bits != 0 {
                            Some(false)
                        } else if complete {
                            Some(true)
                        } else {
                            None
                        }
                    }
                    Value::List(l) => Some(l.is_empty()),
                    _ => None,
                },
            },
            Some(N::Intersects(m, x)) => {
                let want = fp.masks.get(*m as usize).copied().unwrap_or(0);
                let set = match self.set_operand(fp, *x)? {
                    Some(s) => Some(s),
                    None => match self.fx(fp, *x)? {
                        Value::Set { bits, complete } => Some((bits, complete)),
                        _ => None,
                    },
                };
                match set {
                    Some((bits, complete)) => {
                        let hit = bits & want != 0;
                        (hit || complete).then_some(hit)
                    }
                    None => None,
                }
            }
            _ => None,
        })
    }

    /// A set read straight from a conclusion, without copying the value: `None` when the
    /// operand is not a conclusion holding a set (the caller evaluates it in full).
    fn set_operand(&mut self, fp: &FastProgram, x: u32) -> Result<Option<(u128, bool)>, Bail> {
        let Some(N::Conclusion(c)) = fp.nodes.get(x as usize) else {
            return Ok(None);
        };
        let ci = *c as usize;
        if self.conc_undecided.get(ci).copied().unwrap_or(false) {
            return Err(Bail);
        }
        Ok(match self.conc.get(ci) {
            Some(Value::Set { bits, complete }) => Some((*bits, *complete)),
            _ => None,
        })
    }

    fn fx_kids(fp: &FastProgram, start: u32, n: u32) -> &[u32] {
        fp.kids
            .get(start as usize..(start as usize).saturating_add(n as usize))
            .unwrap_or(&[])
    }

    #[inline(never)]
    fn fx_inner(&mut self, fp: &FastProgram, id: u32) -> Result<Value, Bail> {
        let Some(node) = fp.nodes.get(id as usize) else {
            return Err(Bail);
        };
        Ok(match *node {
            N::Const(i) => fp.consts.get(i as usize).cloned().unwrap_or_default(),
            N::Fact(s) => {
                let v = self
                    .facts
                    .slots
                    .get(s as usize)
                    .cloned()
                    .unwrap_or_default();
                if !v.is_known() {
                    self.open += 1;
                }
                v
            }
            N::Param(i) => {
                if let Some(u) = self.params_used.get_mut(i as usize) {
                    *u = true;
                }
                self.prog
                    .params
                    .get(i as usize)
                    .map(|p| p.value.clone())
                    .unwrap_or_default()
            }
            N::Conclusion(c) => {
                let ci = c as usize;
                if self.conc_undecided.get(ci).copied().unwrap_or(false) {
                    return Err(Bail);
                }
                let v = self.conc.get(ci).cloned().unwrap_or_default();
                if !v.is_known() {
                    self.absent_read = true;
                }
                v
            }
            N::AsOf => Value::Date(self.as_of),
            N::Local(i) => self
                .locals
                .get(i as usize)
                .map(|l| l.0.clone())
                .unwrap_or_default(),
            N::Field(x, i) => {
                let origin = match fp.nodes.get(x as usize) {
                    Some(N::Local(l)) => self.locals.get(*l as usize).and_then(|l| l.1),
                    _ => None,
                };
                match self.fx(fp, x)? {
                    Value::Record(fields) => {
                        let v = fields.get(i as usize).cloned().unwrap_or_default();
                        if !v.is_known() && origin.is_some() {
                            self.open += 1;
                        }
                        v
                    }
                    _ => Value::Unknown,
                }
            }
            N::Neg(x) => match self.fx(fp, x)? {
                Value::Int(i) => i.checked_neg().map_or(Value::Unknown, Value::Int),
                Value::Decimal(i) => i.checked_neg().map_or(Value::Unknown, Value::Decimal),
                _ => Value::Unknown,
            },
            // The connectives have one definition in the fast path: `fb_inner`.
            N::And(..) | N::Or(..) | N::Not(_) => match self.fb_inner(fp, id)? {
                Some(b) => Value::Bool(b),
                None => Value::Unknown,
            },
            N::Cmp(op, a, b) => {
                let a = self.fx(fp, a)?;
                let b = self.fx(fp, b)?;
                compare(op, &a, &b)
            }
            N::Arith(op, a, b) => {
                let a = self.fx(fp, a)?;
                let b = self.fx(fp, b)?;
                self.arith(op, a, b)
            }
            N::InSet(x, s) => {
                let x = self.fx(fp, x)?;
                let s = self.fx(fp, s)?;
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
            N::InValues(x, s, n) => {
                let x = self.fx(fp, x)?;
                if !x.is_known() {
                    Value::Unknown
                } else {
                    let vals = fp
                        .consts
                        .get(s as usize..(s as usize).saturating_add(n as usize))
                        .unwrap_or(&[]);
                    Value::Bool(
                        vals.iter()
                            .any(|v| compare(Cmp::Eq, &x, v) == Value::Bool(true)),
                    )
                }
            }
            N::Intersects(m, s) => {
                let want = fp.masks.get(m as usize).copied().unwrap_or(0);
                match self.fx(fp, s)? {
                    Value::Set { bits, complete } => {
                        let hit = bits & want != 0;
                        if hit || complete {
                            Value::Bool(hit)
                        } else {
                            Value::Unknown
                        }
                    }
                    _ => Value::Unknown,
                }
            }
            N::Subset(m, s) => {
                let want = fp.masks.get(m as usize).copied().unwrap_or(0);
                match self.fx(fp, s)? {
                    Value::Set { bits, complete } => {
                        let all = bits & want == want;
                        if all || complete {
                            Value::Bool(all)
                        } else {
                            Value::Unknown
                        }
                    }
                    _ => Value::Unknown,
                }
            }
            N::IsKnown(x) => match self.fx(fp, x)? {
                Value::Unknown => Value::Bool(false),
                Value::Set {
                    complete: false, ..
                } => Value::Unknown,
                _ => Value::Bool(true),
            },
            N::IsEmpty(x) => match self.fx(fp, x)? {
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
            N::If(c, t, f) => match self.fx(fp, c)? {
                Value::Bool(true) => self.fx(fp, t)?,
                Value::Bool(false) => self.fx(fp, f)?,
                _ => {
                    let a = self.fx(fp, t)?;
                    let b = self.fx(fp, f)?;
                    if definite(&a) && a == b {
                        a
                    } else {
                        Value::Unknown
                    }
                }
            },
            N::Call(b, s, n) => {
                let mut vals = [Value::Unknown, Value::Unknown];
                for (slot, &k) in vals.iter_mut().zip(Self::fx_kids(fp, s, n)) {
                    *slot = self.fx(fp, k)?;
                }
                self.apply(b, vals)
            }
            N::Len(x) => match self.fx(fp, x)? {
                Value::List(l) => Value::Int(l.len() as i64),
                Value::Set {
                    bits,
                    complete: true,
                } => Value::Int(i64::from(bits.count_ones())),
                _ => Value::Unknown,
            },
            N::Quant {
                agg,
                list,
                source,
                filter,
                body,
            } => self.fast_quant(fp, agg, list, source, filter, body)?,
        })
    }

    fn fast_quant(
        &mut self,
        fp: &FastProgram,
        agg: Agg,
        list: u32,
        source: u32,
        filter: u32,
        body: u32,
    ) -> Result<Value, Bail> {
        let Value::List(items) = self.fx(fp, list)? else {
            return Ok(Value::Unknown);
        };
        let source = (source != NONE).then_some(source);
        let mut st = AggState::new(agg);
        for (idx, item) in items.iter().enumerate() {
            let origin = source.map(|s| (s, u32::try_from(idx).unwrap_or(NO_ITEM - 1)));
            self.locals.push((Value::Record(item.clone()), origin));
            let r = self.fast_quant_item(fp, filter, body);
            self.locals.pop();
            let (f, b) = r?;
            if let Some(v) = self.agg_add(&mut st, f, b) {
                return Ok(v);
            }
        }
        Ok(st.finish())
    }

    fn fast_quant_item(
        &mut self,
        fp: &FastProgram,
        filter: u32,
        body: u32,
    ) -> Result<(Option<bool>, Value), Bail> {
        let f = if filter == NONE {
            Some(true)
        } else {
            match self.fx(fp, filter)? {
                Value::Bool(b) => Some(b),
                _ => None,
            }
        };
        if f != Some(true) {
            return Ok((f, Value::Unknown));
        }
        let b = if body == NONE {
            Value::Bool(true)
        } else {
            self.fx(fp, body)?
        };
        Ok((f, b))
    }
}
