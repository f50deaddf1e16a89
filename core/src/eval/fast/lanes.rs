//! Many cases at once: the fast path over 64 cases in the bits of a word.
//!
//! A batch of cases is evaluated 64 at a time. Every truth-valued node of the program is worked
//! out for all 64 cases together as three masks — the cases where it is true, where it is false,
//! and where this evaluator cannot tell ("bail"); the rest are unknown — so a connective is a
//! few instructions for 64 cases instead of a dispatch per case. Integer-valued nodes (`age <
//! 18`, `len(x) == 2`, `a + 1 >= p`) are worked out per case into a row of 64 integers. Rule
//! states and settled conclusions are masks too: per rule, the cases where it fired, was
//! overridden, did not apply; per conclusion, one mask per value it can take (or per member of
//! a set).
//!
//! It answers for a case only where the fast path ([`Evaluator::run_fast`]) would have finished
//! alone: every rule definite, no conflict, every conclusion a constant. A case where anything
//! ends unknown, bails, conflicts, or needs what this evaluator does not model (a list item,
//! date arithmetic, a conclusion whose value is an expression that was reached) is handed over
//! whole to [`crate::Policy::evaluate_outcome`]. So it never produces a different outcome, only
//! the same one sooner; `tests/tests/fast_path.rs` holds it to that case by case.
//!
//! Why the masks give the fast path's answer where they give one:
//!
//! - every node is worked out for every case, also where the fast path would not have read it
//!   (a conjunction stops at its first false operand). Reading a node has no effect on the
//!   outcome (params marked used and notes are not part of it), so only a bail matters, and a
//!   connective takes an operand's bail only in the cases where the operands before it did not
//!   decide it already, as the fast path's order would;
//! - Kleene's connectives give the same definite values whether or not they stop early;
//! - a conclusion is read only after it is settled, in the program's step order (checked when
//!   the lanes are built: a program that reads one earlier gets no lanes).
//!
//! A program with a node this evaluator does not know still gets lanes: the node bails in
//! every case, and a case is handed over only where the node's value matters.

use super::*;
use crate::facts::{TAG_ENUM, TAG_FALSE, TAG_INT, TAG_LIST, TAG_OTHER, TAG_TRUE, TAG_UNKNOWN};

/// Cases per block: the bits of a mask.
pub(crate) const LANES: usize = 64;

/// A truth-valued node over a block: the cases where it is true, false, or bails. Unknown is
/// none of them. The three never overlap.
#[derive(Copy, Clone, Debug, Default)]
struct Tb {
    t: u64,
    f: u64,
    x: u64,
}

/// How one node is worked out over a block. Truth-valued ops write a [`Tb`] register;
/// integer-valued ones a row of 64 integers (`ints`) and a [`Tb`] whose `t` is "known".
#[derive(Clone, Debug)]
enum Op {
    /// Bails in every case.
    BailAll,
    Const(Option<bool>),
    /// A truth-valued fact: `want == None` reads it as is; `Some(w)` is `fact == w`; `neg`
    /// flips.
    Bool {
        slot: u32,
        want: Option<bool>,
        neg: bool,
    },
    /// An enum fact in a set of values; `neg` flips. A value of another kind, or an enum value
    /// past the tag's range, bails.
    EnumIn {
        slot: u32,
        mask: u128,
        neg: bool,
    },
    IsKnownFact {
        slot: u32,
    },
    /// A quantifier over a list fact: unknown where the list is unknown, bails elsewhere.
    QuantUnknownList {
        slot: u32,
    },
    /// A conclusion holding one value, read through a test of that value: per value of its
    /// domain, the test's answer.
    OneTest {
        conc: u32,
        answers: Vec<Option<bool>>,
    },
    /// A set-valued conclusion: true where it holds any of `want` (members), false elsewhere
    /// (lanes settle sets complete). `empty` flips the reading to "is empty". `masks`: the
    /// conclusion's masks (offsets from its first) of the members in `want`, found when the
    /// lanes are built.
    SetAny {
        conc: u32,
        masks: Vec<u32>,
        empty: bool,
    },
    And(Vec<u32>),
    Or(Vec<u32>),
    Not(u32),
    IntCmp {
        op: Cmp,
        a: u32,
        b: u32,
    },
    // Integer-valued.
    IntConst(i64),
    IntFact {
        slot: u32,
    },
    IntLen {
        slot: u32,
    },
    IntIf {
        c: u32,
        a: u32,
        b: u32,
    },
    IntArith {
        op: Arith,
        a: u32,
        b: u32,
    },
    /// An integer read from a row of values: unknown stays unknown, another kind bails.
    IntOfVal {
        v: u32,
    },
    // Valued: a row of 64 `Value`s (dates, date-times, anything not modelled above).
    ValFact {
        slot: u32,
    },
    ValConst(Value),
    ValAsOf,
    ValConc {
        conc: u32,
    },
    /// A builtin's result, its arguments worked out case by case as they are needed.
    ValCall {
        call: VArg,
    },
    ValIf {
        c: u32,
        a: u32,
        b: u32,
    },
    /// Truth-valued: two rows of values compared as `compare` does.
    ValCmp {
        op: Cmp,
        a: u32,
        b: u32,
    },
}

/// An argument of a builtin, worked out for one case when the call needs it: a builtin
/// whose first argument is unknown does not read the second, and an argument that is itself
/// a call (`zhousui(born, date(discovered_at))`) is made only where the call is made.
#[derive(Clone, Debug)]
enum VArg {
    None,
    Reg(u32),
    Fact(u32),
    Const(Value),
    AsOf,
    Call(Builtin, Box<[VArg; 2]>),
}

/// The kind of a register: a truth value, an integer row, a value row.
const TRUTH: u8 = 0;
const INT: u8 = 1;
const VAL: u8 = 2;

/// How a conclusion is held over a block.
#[derive(Clone, Debug, PartialEq)]
enum ConcLanes {
    /// A set: one mask per member that any writer adds (`bits`, in order), at `masks[at..]`.
    Set { at: u32, bits: Vec<u8> },
    /// One value of `domain`: one mask per value, at `masks[at..]`.
    One { at: u32, domain: Vec<Value> },
}

/// How a conclusion is settled over a block.
#[derive(Clone, Debug)]
enum SettleL {
    /// Per writer, its members' indexes (into the conclusion's `bits`).
    Set(Vec<(u32, Vec<u32>)>),
    /// Priority levels, highest first: per level, (writer, index into the domain) pairs.
    /// Where no writer fired, the value is `domain[default]`.
    One {
        levels: Vec<Vec<(u32, u32)>>,
        default: u32,
    },
    /// Any fired writer hands the case over; otherwise the value is `domain[0]` (or the empty
    /// set).
    Other { writers: Vec<u32> },
}

#[derive(Clone, Debug)]
enum StepL {
    Rule {
        rule: u32,
        /// `ops[a..b]` run before the rule's state is worked out.
        ops: (u32, u32),
        /// The register of its condition (or `NONE` for a rule the fast path leaves alone).
        cond: u32,
    },
    Settle(u32),
}

/// A policy's program for blocks of cases. Built once per policy, on its first batch
/// ([`FastProgram::lanes`]).
#[derive(Clone, Debug, Default)]
pub(crate) struct LaneProgram {
    ops: Vec<(Op, u32)>,
    n_regs: usize,
    /// Per register: its row of integers or values (`NONE` for a truth-valued one).
    int_row: Vec<u32>,
    n_ints: usize,
    n_vals: usize,
    steps: Vec<StepL>,
    conc: Vec<ConcLanes>,
    settle: Vec<SettleL>,
    n_conc_masks: usize,
    /// Sections any rule needs (their absence makes it not apply).
    sections: Vec<u32>,
    /// List facts whose length bounds the reference evaluator's steps.
    quant_slots: Vec<u32>,
    /// Per rule: whether a step evaluates it (one that none does stays `NotFired`).
    stepped: Vec<bool>,
    /// The fact slots whose tags the ops read: each block copies them into a matrix, one
    /// row of 64 tags per slot, before the ops run.
    tag_slots: Vec<u32>,
    /// Per fact slot: its row in that matrix (`NONE` for one no op reads).
    tag_row: Vec<u32>,
}

/// Builds the lanes' program; `None` when the program reads a conclusion before it is
/// settled, or is too large for the lanes to be worth it.
pub(crate) fn build(fp: &FastProgram, prog: &Program, schema: &Schema) -> Option<LaneProgram> {
    if !fp.eligible || fp.hot.len() != prog.rules.len() || prog.conclusions.len() > 4096 {
        return None;
    }
    let mut b = Build {
        fp,
        prog,
        schema,
        lp: LaneProgram::default(),
        regs: HashMap::new(),
        settled: vec![false; prog.conclusions.len()],
        ok: true,
    };
    // Conclusions' shapes first: reading one needs its domain.
    let mut at = 0u32;
    for (ci, c) in prog.conclusions.iter().enumerate() {
        let (lanes, settle) = b.conclusion(ci, c, &mut at);
        b.lp.conc.push(lanes);
        b.lp.settle.push(settle);
    }
    b.lp.n_conc_masks = at as usize;
    for step in &prog.steps {
        match *step {
            Step::Rule(r) => {
                let a = u32::try_from(b.lp.ops.len()).ok()?;
                let cond = match fp.rule_when.get(r as usize) {
                    Some(&w) if w != NONE => b.truth(w),
                    _ => NONE,
                };
                let z = u32::try_from(b.lp.ops.len()).ok()?;
                b.lp.steps.push(StepL::Rule {
                    rule: r,
                    ops: (a, z),
                    cond,
                });
            }
            Step::Settle(c) => {
                if let Some(s) = b.settled.get_mut(c as usize) {
                    *s = true;
                }
                b.lp.steps.push(StepL::Settle(c));
            }
        }
    }
    b.lp.stepped = vec![false; prog.rules.len()];
    for step in &prog.steps {
        if let Step::Rule(r) = step {
            if let Some(s) = b.lp.stepped.get_mut(*r as usize) {
                *s = true;
            }
        }
    }
    let mut sections: Vec<u32> = prog
        .rules
        .iter()
        .flat_map(|r| r.sections.iter().copied())
        .collect();
    sections.sort_unstable();
    sections.dedup();
    b.lp.sections = sections;
    let mut qs = Vec::new();
    fn walk(q: &QuantBound, out: &mut Vec<u32>) {
        out.push(q.slot);
        for n in &q.nested {
            walk(n, out);
        }
    }
    for q in &fp.quants {
        walk(q, &mut qs);
    }
    qs.sort_unstable();
    qs.dedup();
    b.lp.quant_slots = qs;
    let mut tag_slots: Vec<u32> =
        b.lp.ops
            .iter()
            .filter_map(|(op, _)| match op {
                Op::Bool { slot, .. }
                | Op::EnumIn { slot, .. }
                | Op::IsKnownFact { slot }
                | Op::QuantUnknownList { slot }
                | Op::IntFact { slot }
                | Op::IntLen { slot } => Some(*slot),
                _ => None,
            })
            .chain(b.lp.quant_slots.iter().copied())
            .collect();
    tag_slots.sort_unstable();
    tag_slots.dedup();
    let n_slots = schema.facts.len();
    b.lp.tag_row = vec![NONE; n_slots];
    for (k, &s) in tag_slots.iter().enumerate() {
        if let Some(r) = b.lp.tag_row.get_mut(s as usize) {
            *r = k as u32;
        } else {
            return None;
        }
    }
    b.lp.tag_slots = tag_slots;
    b.ok.then_some(b.lp)
}

struct Build<'a> {
    fp: &'a FastProgram,
    prog: &'a Program,
    schema: &'a Schema,
    lp: LaneProgram,
    /// (node, kind) → register.
    regs: HashMap<(u32, u8), u32>,
    settled: Vec<bool>,
    ok: bool,
}

impl Build<'_> {
    fn conclusion(&mut self, ci: usize, c: &ConclusionDef, at: &mut u32) -> (ConcLanes, SettleL) {
        let start = *at;
        match self.fp.settle.get(ci) {
            Some(Settle::ConstSet(writers)) => {
                let mut all = 0u128;
                for (_, b) in writers {
                    all |= b;
                }
                let bits: Vec<u8> = (0..128u8).filter(|i| all >> i & 1 == 1).collect();
                let idx = |bit: u8| bits.iter().position(|&b| b == bit).unwrap_or(0) as u32;
                let per: Vec<(u32, Vec<u32>)> = writers
                    .iter()
                    .map(|(w, b)| {
                        let members = (0..128u8).filter(|i| b >> i & 1 == 1).map(idx).collect();
                        (*w, members)
                    })
                    .collect();
                *at += bits.len() as u32;
                (ConcLanes::Set { at: start, bits }, SettleL::Set(per))
            }
            Some(Settle::ConstOne(writers)) => {
                let mut domain: Vec<Value> = Vec::new();
                let index = |v: &Value, domain: &mut Vec<Value>| -> u32 {
                    match domain.iter().position(|d| d == v) {
                        Some(i) => i as u32,
                        None => {
                            domain.push(v.clone());
                            (domain.len() - 1) as u32
                        }
                    }
                };
                let default = index(c.default.as_ref().unwrap_or(&Value::Unknown), &mut domain);
                let mut prios: Vec<i64> = writers.iter().map(|(_, p, _)| *p).collect();
                prios.sort_unstable_by(|a, b| b.cmp(a));
                prios.dedup();
                let mut levels = Vec::new();
                for p in prios {
                    let mut level = Vec::new();
                    for (w, prio, values) in writers {
                        if *prio != p {
                            continue;
                        }
                        for &k in values {
                            let v = self.fp.consts.get(k as usize).unwrap_or(&Value::Unknown);
                            level.push((*w, index(v, &mut domain)));
                        }
                    }
                    levels.push(level);
                }
                *at += domain.len() as u32;
                (
                    ConcLanes::One { at: start, domain },
                    SettleL::One { levels, default },
                )
            }
            _ => {
                let writers = c.writers.clone();
                if c.collect {
                    (
                        ConcLanes::Set {
                            at: start,
                            bits: Vec::new(),
                        },
                        SettleL::Other { writers },
                    )
                } else {
                    *at += 1;
                    (
                        ConcLanes::One {
                            at: start,
                            domain: vec![c.default.clone().unwrap_or(Value::Unknown)],
                        },
                        SettleL::Other { writers },
                    )
                }
            }
        }
    }

    fn push(&mut self, key: (u32, u8), op: Op) -> u32 {
        let r = self.lp.n_regs as u32;
        self.lp.n_regs += 1;
        match key.1 {
            INT => {
                self.lp.int_row.push(self.lp.n_ints as u32);
                self.lp.n_ints += 1;
            }
            VAL => {
                self.lp.int_row.push(self.lp.n_vals as u32);
                self.lp.n_vals += 1;
            }
            _ => self.lp.int_row.push(NONE),
        }
        self.lp.ops.push((op, r));
        self.regs.insert(key, r);
        r
    }

    fn node(&self, id: u32) -> Option<&N> {
        self.fp.nodes.get(id as usize)
    }

    fn konst(&self, id: u32) -> Option<&Value> {
        match self.node(id)? {
            N::Const(k) => self.fp.consts.get(*k as usize),
            _ => None,
        }
    }

    /// A conclusion read at this point of the program: its lanes, when it is settled.
    fn conc(&mut self, c: u32) -> Option<ConcLanes> {
        if !self.settled.get(c as usize).copied().unwrap_or(false) {
            self.ok = false;
            return None;
        }
        self.lp.conc.get(c as usize).cloned()
    }

    /// The register of a truth-valued node.
    fn truth(&mut self, id: u32) -> u32 {
        if let Some(&r) = self.regs.get(&(id, TRUTH)) {
            return r;
        }
        let op = self.truth_op(id);
        self.push((id, TRUTH), op)
    }

    fn truth_op(&mut self, id: u32) -> Op {
        match self.fp.truth_kind(id as usize, self.prog) {
            B::Fact(slot) => {
                return Op::Bool {
                    slot,
                    want: None,
                    neg: false,
                }
            }
            B::BoolEq { slot, want, neg } => {
                return Op::Bool {
                    slot,
                    want: Some(want),
                    neg,
                }
            }
            B::EnumIn { slot, mask, neg } => return Op::EnumIn { slot, mask, neg },
            B::EnumInParam { slot, mask, .. } => {
                return Op::EnumIn {
                    slot,
                    mask,
                    neg: false,
                }
            }
            B::ConstInParam { hit, .. } => return Op::Const(Some(hit)),
            B::ConstInConclusion { bit, set } => {
                return match self.node(set).cloned() {
                    Some(N::Conclusion(c)) => self.set_any(c, bit, false),
                    _ => Op::BailAll,
                }
            }
            _ => {}
        }
        let Some(node) = self.node(id).cloned() else {
            return Op::BailAll;
        };
        match node {
            N::And(s, n) | N::Or(s, n) => {
                let kids: Vec<u32> = Evaluator::fx_kids(self.fp, s, n).to_vec();
                let regs = kids.into_iter().map(|k| self.truth(k)).collect();
                if matches!(node, N::And(..)) {
                    Op::And(regs)
                } else {
                    Op::Or(regs)
                }
            }
            N::Not(x) => Op::Not(self.truth(x)),
            N::Fact(slot) => Op::Bool {
                slot,
                want: None,
                neg: false,
            },
            N::Const(k) => Op::Const(match self.fp.consts.get(k as usize) {
                Some(Value::Bool(b)) => Some(*b),
                _ => None,
            }),
            N::Param(p) => Op::Const(match self.prog.params.get(p as usize).map(|d| &d.value) {
                Some(Value::Bool(b)) => Some(*b),
                _ => None,
            }),
            N::Conclusion(c) => self.one_test(c, |v| match v {
                Value::Bool(b) => Some(*b),
                _ => None,
            }),
            N::IsKnown(x) => match self.node(x).cloned() {
                Some(N::Fact(slot)) => Op::IsKnownFact { slot },
                Some(N::Conclusion(c)) => match self.conc(c) {
                    Some(ConcLanes::Set { .. }) => Op::Const(Some(true)),
                    Some(ConcLanes::One { .. }) => self.one_test(c, |v| match v {
                        Value::Unknown => Some(false),
                        Value::Set {
                            complete: false, ..
                        } => None,
                        _ => Some(true),
                    }),
                    None => Op::BailAll,
                },
                _ => Op::BailAll,
            },
            N::IsEmpty(x) => match self.node(x).cloned() {
                Some(N::Conclusion(c)) => self.set_any(c, u128::MAX, true),
                _ => Op::BailAll,
            },
            N::Intersects(m, x) => {
                let want = self.fp.masks.get(m as usize).copied().unwrap_or(0);
                match self.node(x).cloned() {
                    Some(N::Conclusion(c)) => self.set_any(c, want, false),
                    _ => Op::BailAll,
                }
            }
            N::InSet(x, s) => match (self.node(x).cloned(), self.konst(s).cloned()) {
                (Some(N::Conclusion(c)), Some(Value::Set { bits, complete })) => {
                    self.one_test(c, |v| match v {
                        Value::Enum(b) => {
                            let hit = bits & (1u128 << (b % 128)) != 0;
                            (hit || complete).then_some(hit)
                        }
                        _ => None,
                    })
                }
                // An enum fact in a constant set, as `fx` reads it: a value of another kind
                // (or past the tag's range) bails.
                (
                    Some(N::Fact(slot)),
                    Some(Value::Set {
                        bits,
                        complete: true,
                    }),
                ) => Op::EnumIn {
                    slot,
                    mask: bits,
                    neg: false,
                },
                _ => Op::BailAll,
            },
            N::InValues(x, s, n) => match self.node(x).cloned() {
                Some(N::Conclusion(c)) => {
                    let vals: Vec<Value> = self
                        .fp
                        .consts
                        .get(s as usize..(s as usize).saturating_add(n as usize))
                        .unwrap_or(&[])
                        .to_vec();
                    self.one_test(c, |v| {
                        v.is_known().then(|| {
                            vals.iter()
                                .any(|k| compare(Cmp::Eq, v, k) == Value::Bool(true))
                        })
                    })
                }
                _ => Op::BailAll,
            },
            N::Cmp(op, a, b) => {
                if let (Some(N::Conclusion(c)), Some(k)) = (self.node(a).cloned(), self.konst(b)) {
                    let k = k.clone();
                    return self.one_test(c, |v| match compare(op, v, &k) {
                        Value::Bool(r) => Some(r),
                        _ => None,
                    });
                }
                if self.int_typed(a) && self.int_typed(b) {
                    if let (Some(a), Some(b)) = (self.int(a), self.int(b)) {
                        return Op::IntCmp { op, a, b };
                    }
                }
                let (a, b) = (self.val(a), self.val(b));
                Op::ValCmp { op, a, b }
            }
            N::Quant { list, .. } => match self.node(list) {
                Some(N::Fact(slot)) => Op::QuantUnknownList { slot: *slot },
                _ => Op::BailAll,
            },
            _ => Op::BailAll,
        }
    }

    /// A test of a single-valued conclusion's value, worked out for each value of its domain.
    fn one_test(&mut self, c: u32, test: impl Fn(&Value) -> Option<bool>) -> Op {
        match self.conc(c) {
            Some(ConcLanes::One { domain, .. }) => Op::OneTest {
                conc: c,
                answers: domain.iter().map(test).collect(),
            },
            // A set read as one value: through `fx` in the fast path; not modelled.
            _ => Op::BailAll,
        }
    }

    fn set_any(&mut self, c: u32, want: u128, empty: bool) -> Op {
        match self.conc(c) {
            Some(ConcLanes::Set { bits, .. }) => Op::SetAny {
                conc: c,
                masks: (0u32..)
                    .zip(&bits)
                    .filter(|(_, &b)| want >> b & 1 == 1)
                    .map(|(i, _)| i)
                    .collect(),
                empty,
            },
            _ => Op::BailAll,
        }
    }

    /// The register of an integer-valued node; `None` when it is not one this evaluator can
    /// read as an integer (a constant of another kind).
    fn int(&mut self, id: u32) -> Option<u32> {
        if let Some(&r) = self.regs.get(&(id, INT)) {
            return Some(r);
        }
        let op = match self.node(id).cloned()? {
            N::Const(k) => match self.fp.consts.get(k as usize)? {
                Value::Int(i) => Op::IntConst(*i),
                _ => return None,
            },
            N::Param(p) => match &self.prog.params.get(p as usize)?.value {
                Value::Int(i) => Op::IntConst(*i),
                _ => return None,
            },
            N::Fact(slot) if self.fact_is_int(slot) => Op::IntFact { slot },
            N::Len(x) => match self.node(x)? {
                N::Fact(slot) => Op::IntLen { slot: *slot },
                _ => Op::BailAll,
            },
            N::If(c, a, b) => {
                let c = self.truth(c);
                match (self.int(a), self.int(b)) {
                    (Some(a), Some(b)) => Op::IntIf { c, a, b },
                    _ => return None,
                }
            }
            N::Arith(op, a, b) => match (self.int(a), self.int(b)) {
                (Some(a), Some(b)) => Op::IntArith { op, a, b },
                _ => return None,
            },
            // Anything else (a builtin's result, a conclusion): read as a value.
            _ => Op::IntOfVal { v: self.val(id) },
        };
        Some(self.push((id, INT), op))
    }

    fn fact_is_int(&self, slot: u32) -> bool {
        self.schema
            .facts
            .get(slot as usize)
            .is_some_and(|f| f.ty == Type::Int)
    }

    /// Whether a node's value is an integer (or unknown) by its form.
    fn int_typed(&self, id: u32) -> bool {
        match self.node(id) {
            Some(N::Const(k)) => matches!(self.fp.consts.get(*k as usize), Some(Value::Int(_))),
            Some(N::Param(p)) => matches!(
                self.prog.params.get(*p as usize).map(|d| &d.value),
                Some(Value::Int(_))
            ),
            Some(N::Fact(slot)) => self.fact_is_int(*slot),
            Some(N::Len(_)) | Some(N::Call(Builtin::Zhousui | Builtin::DaysBetween, ..)) => true,
            Some(N::If(_, a, b)) | Some(N::Arith(_, a, b)) => {
                let (a, b) = (*a, *b);
                self.int_typed(a) && self.int_typed(b)
            }
            _ => false,
        }
    }

    /// A builtin's argument (or the call itself), for [`Op::ValCall`].
    fn varg(&mut self, id: u32) -> VArg {
        match self.node(id).cloned() {
            Some(N::Fact(slot)) => VArg::Fact(slot),
            Some(N::Const(k)) => {
                VArg::Const(self.fp.consts.get(k as usize).cloned().unwrap_or_default())
            }
            Some(N::Param(p)) => VArg::Const(
                self.prog
                    .params
                    .get(p as usize)
                    .map(|d| d.value.clone())
                    .unwrap_or_default(),
            ),
            Some(N::AsOf) => VArg::AsOf,
            Some(N::Call(b, s, n)) => {
                let kids: Vec<u32> = Evaluator::fx_kids(self.fp, s, n).to_vec();
                let mut args = [VArg::None, VArg::None];
                for (a, &k) in args.iter_mut().zip(&kids) {
                    *a = self.varg(k);
                }
                VArg::Call(b, Box::new(args))
            }
            _ => VArg::Reg(self.val(id)),
        }
    }

    /// The register of a node read as a row of values.
    fn val(&mut self, id: u32) -> u32 {
        if let Some(&r) = self.regs.get(&(id, VAL)) {
            return r;
        }
        let op = match self.node(id).cloned() {
            Some(N::Fact(slot)) => Op::ValFact { slot },
            Some(N::Const(k)) => {
                Op::ValConst(self.fp.consts.get(k as usize).cloned().unwrap_or_default())
            }
            Some(N::Param(p)) => Op::ValConst(
                self.prog
                    .params
                    .get(p as usize)
                    .map(|d| d.value.clone())
                    .unwrap_or_default(),
            ),
            Some(N::AsOf) => Op::ValAsOf,
            Some(N::Conclusion(c)) => match self.conc(c) {
                Some(ConcLanes::One { .. }) => Op::ValConc { conc: c },
                _ => Op::BailAll,
            },
            Some(N::Call(..)) => Op::ValCall {
                call: self.varg(id),
            },
            Some(N::If(c, a, b)) => {
                let c = self.truth(c);
                let (a, b) = (self.val(a), self.val(b));
                Op::ValIf { c, a, b }
            }
            _ => Op::BailAll,
        };
        self.push((id, VAL), op)
    }
}

/// The outcomes of a batch: per block of 64 cases, masks; per case handed over, an
/// [`crate::policy::Outcome`].
#[derive(Debug, Default)]
pub(crate) struct Batch {
    pub(crate) n: usize,
    /// Per block: `stride` masks (see [`Batch::at`]).
    masks: Vec<u64>,
    stride: usize,
    n_rules: usize,
    /// Per rule: whether it is in force at the batch's date.
    in_force: Vec<bool>,
    /// Per block: the cases evaluated (a block of a table's rows skips the rows not read).
    live: Vec<u64>,
    /// Cases handed over, in order, with their outcome.
    pub(crate) handed: Vec<usize>,
    pub(crate) outcomes: Vec<(Result<(), EvalError>, crate::policy::Outcome)>,
    /// The lane program's conclusion shapes (a copy, so a `Batch` outlives nothing).
    conc: Vec<ConcLanes>,
    /// Working registers.
    regs: Vec<Tb>,
    ints: Vec<[i64; LANES]>,
    vals: Vec<Vec<Value>>,
    absent: Vec<u64>,
    /// The block's tags, one row per slot of `LaneProgram::tag_slots`.
    tags: Vec<[u8; LANES]>,
    /// The block's enum rows as masks (see [`EnumBits`]).
    enums: Vec<Option<EnumBits>>,
}

// Per block, in `masks[block * stride ..]`: [bail, fired × n_rules, overridden × n_rules,
// not applicable × n_rules, conclusion masks ...].
const BAIL: usize = 0;

impl Batch {
    fn fired_at(&self) -> usize {
        1
    }
    fn overridden_at(&self) -> usize {
        1 + self.n_rules
    }
    fn not_applicable_at(&self) -> usize {
        1 + 2 * self.n_rules
    }
    fn conc_at(&self) -> usize {
        1 + 3 * self.n_rules
    }

    /// Whether the batch has an outcome for `case` (in it, and not skipped).
    pub(crate) fn has(&self, case: usize) -> bool {
        case < self.n
            && self
                .live
                .get(case / LANES)
                .is_some_and(|l| l >> (case % LANES) & 1 == 1)
    }

    /// The block's masks and the case's bit, or `None` for a case handed over, skipped or
    /// past the batch's end.
    fn lane(&self, case: usize) -> Option<(&[u64], u64)> {
        if !self.has(case) {
            return None;
        }
        let block = case / LANES;
        let bit = 1u64 << (case % LANES);
        let at = block.checked_mul(self.stride)?;
        let m = self.masks.get(at..at.checked_add(self.stride)?)?;
        (m.get(BAIL)? & bit == 0).then_some((m, bit))
    }

    /// A case handed over: its result and outcome (`None` for one the lanes decided, or past
    /// the batch's end).
    pub(crate) fn handed_outcome(
        &self,
        case: usize,
    ) -> Option<&(Result<(), EvalError>, crate::policy::Outcome)> {
        if case >= self.n {
            return None;
        }
        let i = self.handed.binary_search(&case).ok()?;
        self.outcomes.get(i)
    }

    /// The state of a rule in a case the lanes decided.
    pub(crate) fn rule_state(&self, case: usize, rule: usize) -> Option<RuleState> {
        let (m, bit) = self.lane(case)?;
        if rule >= self.n_rules {
            return None;
        }
        Some(if !self.in_force.get(rule).copied().unwrap_or(true) {
            RuleState::NotInForce
        } else if m.get(self.not_applicable_at() + rule)? & bit != 0 {
            RuleState::NotApplicable
        } else if m.get(self.fired_at() + rule)? & bit != 0 {
            RuleState::Fired
        } else if m.get(self.overridden_at() + rule)? & bit != 0 {
            RuleState::Overridden
        } else {
            RuleState::NotFired
        })
    }

    /// A conclusion's value in a case the lanes decided.
    pub(crate) fn conclusion(&self, case: usize, ci: usize) -> Option<Value> {
        let (m, bit) = self.lane(case)?;
        let base = self.conc_at();
        match self.conc.get(ci)? {
            ConcLanes::Set { at, bits } => {
                let mut v = 0u128;
                for (i, b) in bits.iter().enumerate() {
                    if m.get(base + *at as usize + i)? & bit != 0 {
                        v |= 1u128 << b;
                    }
                }
                Some(Value::Set {
                    bits: v,
                    complete: true,
                })
            }
            ConcLanes::One { at, domain } => domain
                .iter()
                .enumerate()
                .find(|(i, _)| m.get(base + *at as usize + i).is_some_and(|x| x & bit != 0))
                .map(|(_, v)| v.clone()),
        }
    }

    /// Conclusion `ci` of every case the lanes decided, written into `out` (one value per
    /// case, `out.len() >= self.n`); the other cases' places are left.
    pub(crate) fn conclusion_column(&self, ci: usize, out: &mut [Value]) {
        let Some(c) = self.conc.get(ci) else {
            return;
        };
        let base = self.conc_at();
        for (bi, &live) in self.live.iter().enumerate() {
            let Some(m) = self.masks.get(bi * self.stride..(bi + 1) * self.stride) else {
                continue;
            };
            let decided = live & !m.get(BAIL).copied().unwrap_or(u64::MAX);
            let rows = out.get_mut(bi * LANES..).unwrap_or(&mut []);
            match c {
                ConcLanes::One { at, domain } => {
                    for (d, v) in domain.iter().enumerate() {
                        let at = m.get(base + *at as usize + d).copied().unwrap_or(0);
                        for i in lanes_of(at & decided) {
                            if let Some(x) = rows.get_mut(i) {
                                x.clone_from(v);
                            }
                        }
                    }
                }
                ConcLanes::Set { at, bits } => {
                    let mut sets = [0u128; LANES];
                    for (k, b) in bits.iter().enumerate() {
                        let at = m.get(base + *at as usize + k).copied().unwrap_or(0);
                        for i in lanes_of(at & decided) {
                            if let Some(x) = sets.get_mut(i) {
                                *x |= 1u128 << b;
                            }
                        }
                    }
                    for i in lanes_of(decided) {
                        if let (Some(x), Some(&v)) = (rows.get_mut(i), sets.get(i)) {
                            *x = Value::Set {
                                bits: v,
                                complete: true,
                            };
                        }
                    }
                }
            }
        }
    }

    /// The cases of block `block` the lanes decided: evaluated (not skipped) and not handed
    /// over.
    pub(crate) fn decided_in_block(&self, block: usize) -> u64 {
        let live = self.live.get(block).copied().unwrap_or(0);
        let bail = self
            .masks
            .get(block * self.stride + BAIL)
            .copied()
            .unwrap_or(u64::MAX);
        live & !bail
    }

    /// Conclusion `ci` over block `block` as the lanes hold it: per value (or per member of a
    /// set), the cases holding it. Meaningful for the cases of [`Batch::decided_in_block`].
    pub(crate) fn block_conclusion(
        &self,
        block: usize,
        ci: usize,
    ) -> Option<crate::policy::BlockConclusion<'_>> {
        use crate::policy::BlockConclusion;
        let m = self
            .masks
            .get(block * self.stride..(block + 1) * self.stride)?;
        let base = self.conc_at();
        Some(match self.conc.get(ci)? {
            ConcLanes::One { at, domain } => {
                let at = base + *at as usize;
                BlockConclusion::One {
                    domain,
                    masks: m.get(at..at + domain.len())?,
                }
            }
            ConcLanes::Set { at, bits } => {
                let at = base + *at as usize;
                BlockConclusion::Set {
                    members: bits,
                    masks: m.get(at..at + bits.len())?,
                }
            }
        })
    }

    /// Cases the lanes decided (not handed over).
    pub(crate) fn decided(&self) -> usize {
        let live: usize = self.live.iter().map(|l| l.count_ones() as usize).sum();
        live - self.handed.len()
    }
}

/// The step budget's bound of the fast path, as [`FastProgram::usable`] works it out.
fn usable(fp: &FastProgram, lp: &LaneProgram, facts: &Facts, opts: &EvalOptions) -> bool {
    let lists_unknown = lp
        .quant_slots
        .iter()
        .all(|&s| tag_of(facts, s) == TAG_UNKNOWN);
    if lists_unknown {
        fp.base_steps <= opts.max_steps
    } else {
        fp.usable(facts, opts)
    }
}

#[inline]
fn tag_of(facts: &Facts, slot: u32) -> u8 {
    match facts.tags.get(slot as usize) {
        Some(&t) => t,
        None => facts
            .slots
            .get(slot as usize)
            .map_or(TAG_UNKNOWN, crate::facts::tag),
    }
}

#[inline]
fn slot_of(facts: &Facts, slot: u32) -> &Value {
    facts.slots.get(slot as usize).unwrap_or(&Value::Unknown)
}

/// Where a batch's cases come from: loaded facts, one per case, or a table's rows written
/// column by column ([`crate::facts::RowsBlock`]), whose tags are already rows of 64.
pub(crate) trait Cases {
    fn len(&self) -> usize;
    /// Whether the lanes may run case `i` (as [`usable`]).
    fn usable(&self, i: usize, fp: &FastProgram, lp: &LaneProgram, opts: &EvalOptions) -> bool;
    /// The cases of `live` (bit `k` for case `start + k`) the lanes may run: [`Cases::usable`]
    /// of each.
    fn usable_lanes(
        &self,
        start: usize,
        live: u64,
        fp: &FastProgram,
        lp: &LaneProgram,
        opts: &EvalOptions,
    ) -> u64 {
        usable_each(self, start, live, fp, lp, opts)
    }
    /// The tags of `slots` for cases `start..start + n` (at most 64): row `k` of `tags` for
    /// `slots[k]`, unknown past the last case.
    fn fill_tags(&self, start: usize, n: usize, slots: &[u32], tags: &mut Vec<[u8; LANES]>);
    /// Case `i`'s value of `slot`.
    fn value(&self, i: usize, slot: u32) -> std::borrow::Cow<'_, Value>;
    /// The cases of `start..start + n` that give optional section `s` (bit `k` for case
    /// `start + k`).
    fn given(&self, start: usize, n: usize, s: u32) -> u64;
    /// Runs `f` on case `i`'s facts (for a case handed over).
    fn with_facts<R>(&self, i: usize, f: impl FnOnce(&Facts) -> R) -> R;
}

/// [`Cases::usable`] of each case of `live` (bit `k` for case `start + k`).
fn usable_each<C: Cases + ?Sized>(
    cases: &C,
    start: usize,
    live: u64,
    fp: &FastProgram,
    lp: &LaneProgram,
    opts: &EvalOptions,
) -> u64 {
    lanes_of(live)
        .filter(|&i| cases.usable(start + i, fp, lp, opts))
        .fold(0u64, |ok, i| ok | 1 << i)
}

impl Cases for [Facts] {
    fn len(&self) -> usize {
        <[Facts]>::len(self)
    }

    #[inline]
    fn usable(&self, i: usize, fp: &FastProgram, lp: &LaneProgram, opts: &EvalOptions) -> bool {
        self.get(i).is_some_and(|f| usable(fp, lp, f, opts))
    }

    fn fill_tags(&self, start: usize, n: usize, slots: &[u32], tags: &mut Vec<[u8; LANES]>) {
        tags.clear();
        tags.resize(slots.len(), [TAG_UNKNOWN; LANES]);
        for (i, f) in self.get(start..start + n).unwrap_or(&[]).iter().enumerate() {
            // `i < LANES`, said so the row's bound check goes.
            let i = i % LANES;
            let ft = f.tags.as_slice();
            if ft.len() == f.slots.len() {
                for (row, &s) in tags.iter_mut().zip(slots) {
                    let t = ft.get(s as usize).copied().unwrap_or(TAG_UNKNOWN);
                    if let Some(x) = row.get_mut(i) {
                        *x = t;
                    }
                }
            } else {
                for (row, &s) in tags.iter_mut().zip(slots) {
                    if let Some(x) = row.get_mut(i) {
                        *x = tag_of(f, s);
                    }
                }
            }
        }
    }

    #[inline]
    fn value(&self, i: usize, slot: u32) -> std::borrow::Cow<'_, Value> {
        std::borrow::Cow::Borrowed(self.get(i).map_or(&Value::Unknown, |f| slot_of(f, slot)))
    }

    fn given(&self, start: usize, n: usize, s: u32) -> u64 {
        let mut g = 0u64;
        for (i, f) in self.get(start..start + n).unwrap_or(&[]).iter().enumerate() {
            if f.sections.get(s as usize).copied().unwrap_or(false) {
                g |= 1 << (i % LANES);
            }
        }
        g
    }

    fn with_facts<R>(&self, i: usize, f: impl FnOnce(&Facts) -> R) -> R {
        match self.get(i) {
            Some(x) => f(x),
            None => f(&Facts::default()),
        }
    }
}

impl Cases for crate::facts::RowsBlock {
    fn len(&self) -> usize {
        crate::facts::RowsBlock::len(self)
    }

    fn usable(&self, i: usize, fp: &FastProgram, lp: &LaneProgram, opts: &EvalOptions) -> bool {
        let lists_unknown = lp
            .quant_slots
            .iter()
            .all(|&s| self.tag(i, s as usize) == TAG_UNKNOWN);
        if lists_unknown {
            fp.base_steps <= opts.max_steps
        } else {
            self.with_facts(i, |f| fp.usable(f, opts))
        }
    }

    /// A block's rows at once: the rows whose list facts are all unknown (most) from the
    /// tag rows, a word at a time; the others one by one.
    fn usable_lanes(
        &self,
        start: usize,
        live: u64,
        fp: &FastProgram,
        lp: &LaneProgram,
        opts: &EvalOptions,
    ) -> u64 {
        if start > 0 {
            return usable_each(self, start, live, fp, lp, opts);
        }
        let mut lists_unknown = live;
        for &s in &lp.quant_slots {
            lists_unknown &= self
                .tags
                .get(s as usize)
                .map_or(live, |row| eq_mask(row, TAG_UNKNOWN));
        }
        let ok = if fp.base_steps <= opts.max_steps {
            lists_unknown
        } else {
            0
        };
        lanes_of(live & !lists_unknown)
            .filter(|&i| self.with_facts(i, |f| fp.usable(f, opts)))
            .fold(ok, |ok, i| ok | 1 << i)
    }

    fn fill_tags(&self, start: usize, n: usize, slots: &[u32], tags: &mut Vec<[u8; LANES]>) {
        // The block is one of 64 rows: its tags are rows already.
        tags.clear();
        tags.extend(slots.iter().map(|&s| {
            let mut row = self
                .tags
                .get(s as usize)
                .copied()
                .unwrap_or([TAG_UNKNOWN; LANES]);
            if start > 0 {
                row = [TAG_UNKNOWN; LANES];
            }
            if let Some(past) = row.get_mut(n..) {
                past.fill(TAG_UNKNOWN);
            }
            row
        }));
    }

    #[inline]
    fn value(&self, i: usize, slot: u32) -> std::borrow::Cow<'_, Value> {
        crate::facts::RowsBlock::value(self, i, slot as usize)
    }

    fn given(&self, start: usize, n: usize, s: u32) -> u64 {
        let live = if n >= LANES {
            u64::MAX
        } else {
            (1u64 << n) - 1
        };
        if start > 0 {
            0
        } else {
            crate::facts::RowsBlock::given(self, s as usize) & live
        }
    }

    fn with_facts<R>(&self, i: usize, f: impl FnOnce(&Facts) -> R) -> R {
        crate::facts::RowsBlock::with_facts(self, i, f)
    }
}

/// Evaluates `cases` into `out`; cases the lanes cannot decide through `hand_over`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run<C: Cases + ?Sized>(
    fp: &FastProgram,
    lp: Option<&LaneProgram>,
    prog: &Program,
    cases: &C,
    as_of: Date,
    opts: &EvalOptions,
    out: &mut Batch,
    skip: impl Fn(usize, usize) -> u64,
    mut hand_over: impl FnMut(&Facts, &mut crate::policy::Outcome) -> Result<(), EvalError>,
) {
    let n_rules = prog.rules.len();
    let none = LaneProgram::default();
    let (lp, lanes) = match lp {
        Some(lp) if !opts.explain => (lp, true),
        // Explanations, or no lanes for this program: every case one by one.
        _ => (&none, false),
    };
    out.n = cases.len();
    out.n_rules = n_rules;
    out.stride = 1 + 3 * n_rules + lp.n_conc_masks;
    if out.conc != lp.conc {
        out.conc.clone_from(&lp.conc);
    }
    out.in_force.clear();
    out.in_force
        .extend(fp.hot.iter().zip(&lp.stepped).map(|(r, &stepped)| {
            !stepped || !(r.from.is_some_and(|f| as_of < f) || r.until.is_some_and(|u| as_of > u))
        }));
    let n_blocks = cases.len().div_ceil(LANES);
    out.masks.clear();
    out.masks.resize(n_blocks * out.stride, 0);
    out.live.clear();
    // Every op writes its whole register before any op reads it (operands are earlier ops),
    // so the registers are not cleared from call to call: a block of 64 rows evaluated at a
    // time (`evaluate_rows`) would clear ~40 KB each time.
    if out.regs.len() != lp.n_regs {
        out.regs.clear();
        out.regs.resize(lp.n_regs, Tb::default());
    }
    // Likewise the integer rows: an op writes a lane's integer wherever it calls the lane
    // known (`t`), and ops read integers only in lanes their operands call known.
    if out.ints.len() != lp.n_ints {
        out.ints.clear();
        out.ints.resize(lp.n_ints, [0; LANES]);
    }
    out.vals.resize_with(lp.n_vals, Vec::new);
    out.vals.truncate(lp.n_vals);
    for row in &mut out.vals {
        row.clear();
        row.resize(LANES, Value::Unknown);
    }
    let mut n_handed = 0usize;
    out.handed.clear();
    for bi in 0..n_blocks {
        let start = bi * LANES;
        let n = (cases.len() - start).min(LANES);
        let live = if n == LANES {
            u64::MAX
        } else {
            (1u64 << n) - 1
        };
        let live = live & skip(start, n);
        out.live.push(live);
        let mut bail = if lanes {
            live & !cases.usable_lanes(start, live, fp, lp, opts)
        } else {
            live
        };
        if bail != live {
            bail |= run_block(fp, lp, cases, start, n, live, bi, as_of, out);
        }
        bail &= live;
        if let Some(m) = out.masks.get_mut(bi * out.stride + BAIL) {
            *m = bail;
        }
        let mut rest = bail;
        while rest != 0 {
            let i = rest.trailing_zeros() as usize;
            rest &= rest - 1;
            let case = bi * LANES + i;
            if out.outcomes.len() <= n_handed {
                out.outcomes
                    .push((Ok(()), crate::policy::Outcome::default()));
            }
            if let Some(slot) = out.outcomes.get_mut(n_handed) {
                slot.0 = cases.with_facts(case, |f| hand_over(f, &mut slot.1));
            }
            out.handed.push(case);
            n_handed += 1;
        }
    }
    out.outcomes.truncate(n_handed);
}

/// One block: returns the cases to hand over.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn run_block<C: Cases + ?Sized>(
    fp: &FastProgram,
    lp: &LaneProgram,
    cases: &C,
    start: usize,
    n: usize,
    live: u64,
    bi: usize,
    as_of: Date,
    out: &mut Batch,
) -> u64 {
    let n_rules = out.n_rules;
    let stride = out.stride;
    let conc_base = 1 + 3 * n_rules;
    let Batch {
        masks,
        regs,
        ints,
        vals,
        absent,
        in_force,
        tags,
        enums,
        ..
    } = out;
    // The tags the ops read, a row per slot (unknown past the block's last case).
    cases.fill_tags(start, n, &lp.tag_slots, tags);
    // No allocation from block to block: the rows are only marked not made.
    enums.resize_with(tags.len(), || None);
    enums.iter_mut().for_each(|e| *e = None);
    let mut rows = Rows {
        ints,
        vals,
        tags,
        enums,
        as_of,
    };
    let Some(m) = masks.get_mut(bi * stride..(bi + 1) * stride) else {
        return live;
    };
    // Absent sections.
    absent.clear();
    let n_sections = lp.sections.last().map_or(0, |&s| s as usize + 1);
    absent.resize(n_sections, 0);
    for &s in &lp.sections {
        if let Some(x) = absent.get_mut(s as usize) {
            *x = live & !cases.given(start, n, s);
        }
    }
    let mut bail = 0u64;
    for step in &lp.steps {
        match step {
            StepL::Rule { rule, ops, cond } => {
                let ri = *rule as usize;
                for (op, r) in lp.ops.get(ops.0 as usize..ops.1 as usize).unwrap_or(&[]) {
                    eval_op(
                        op, *r, lp, cases, start, live, m, conc_base, regs, &mut rows,
                    );
                }
                let Some(hot) = fp.hot.get(ri) else {
                    continue;
                };
                if !in_force.get(ri).copied().unwrap_or(true) {
                    continue;
                }
                let mut na = 0u64;
                for &s in fp
                    .hot_ids
                    .get(hot.sections.0 as usize..hot.sections.1 as usize)
                    .unwrap_or(&[])
                {
                    na |= absent.get(s as usize).copied().unwrap_or(live);
                }
                na &= live;
                let own = if *cond == NONE {
                    Tb {
                        t: 0,
                        f: live,
                        x: 0,
                    }
                } else {
                    regs.get(*cond as usize).copied().unwrap_or(Tb {
                        t: 0,
                        f: 0,
                        x: live,
                    })
                };
                let active = live & !na;
                // Not definite, or not worked out: the fast path would redo it or stop.
                bail |= active & !(own.t | own.f);
                bail |= active & own.x;
                let mut overridden = 0u64;
                for &xi in fp
                    .hot_ids
                    .get(hot.overridden_by.0 as usize..hot.overridden_by.1 as usize)
                    .unwrap_or(&[])
                {
                    overridden |= m.get(1 + xi as usize).copied().unwrap_or(0)
                        | m.get(1 + n_rules + xi as usize).copied().unwrap_or(0);
                }
                let yes = active & own.t;
                if let Some(x) = m.get_mut(1 + ri) {
                    *x = yes & !overridden;
                }
                if let Some(x) = m.get_mut(1 + n_rules + ri) {
                    *x = yes & overridden;
                }
                if let Some(x) = m.get_mut(1 + 2 * n_rules + ri) {
                    *x = na;
                }
            }
            StepL::Settle(ci) => {
                let ci = *ci as usize;
                let fired = |m: &[u64], w: u32| m.get(1 + w as usize).copied().unwrap_or(0);
                match (lp.settle.get(ci), lp.conc.get(ci)) {
                    (Some(SettleL::Set(writers)), Some(ConcLanes::Set { at, bits })) => {
                        let at = conc_base + *at as usize;
                        for i in 0..bits.len() {
                            if let Some(x) = m.get_mut(at + i) {
                                *x = 0;
                            }
                        }
                        for (w, members) in writers {
                            let f = fired(m, *w);
                            if f == 0 {
                                continue;
                            }
                            for &i in members {
                                if let Some(x) = m.get_mut(at + i as usize) {
                                    *x |= f;
                                }
                            }
                        }
                    }
                    (
                        Some(SettleL::One { levels, default }),
                        Some(ConcLanes::One { at, domain }),
                    ) => {
                        let at = conc_base + *at as usize;
                        for i in 0..domain.len() {
                            if let Some(x) = m.get_mut(at + i) {
                                *x = 0;
                            }
                        }
                        let mut open = live;
                        for level in levels {
                            let mut present = 0u64;
                            let mut any = 0u64;
                            // Per value of this level, the cases where a writer of it fired.
                            for &(w, d) in level {
                                let f = fired(m, w) & open;
                                if f == 0 {
                                    continue;
                                }
                                if let Some(x) = m.get_mut(at + d as usize) {
                                    *x |= f;
                                }
                                any |= f;
                            }
                            if any == 0 {
                                continue;
                            }
                            // Two values of one level in a case: a conflict, for the
                            // reference evaluator to report. A value not definite: the same.
                            for (d, v) in domain.iter().enumerate() {
                                let x = m.get(at + d).copied().unwrap_or(0) & any;
                                bail |= present & x;
                                present |= x;
                                if !definite(v) {
                                    bail |= x;
                                }
                            }
                            open &= !any;
                        }
                        if let Some(x) = m.get_mut(at + *default as usize) {
                            *x |= open;
                        }
                    }
                    (Some(SettleL::Other { writers }), Some(c)) => {
                        for &w in writers {
                            bail |= fired(m, w);
                        }
                        if let ConcLanes::One { at, .. } = c {
                            if let Some(x) = m.get_mut(conc_base + *at as usize) {
                                *x = live;
                            }
                        }
                    }
                    _ => bail = live,
                }
            }
        }
    }
    bail
}

/// The rows of integer and value registers, and the batch's date.
struct Rows<'a> {
    ints: &'a mut [[i64; LANES]],
    vals: &'a mut [Vec<Value>],
    tags: &'a [[u8; LANES]],
    /// Per row of `tags`, its enum values as masks, made by the first `EnumIn` of the block
    /// that reads the row.
    enums: &'a mut [Option<EnumBits>],
    as_of: Date,
}

/// A row of enum tags as masks: per value `e < 64`, the lanes holding it; the lanes unknown,
/// and those holding anything else (another kind, a value past the tag's range).
#[derive(Debug)]
struct EnumBits {
    vals: [u64; 64],
    unknown: u64,
    other: u64,
}

impl EnumBits {
    fn of(row: &[u8; LANES]) -> EnumBits {
        let mut b = EnumBits {
            vals: [0; 64],
            unknown: 0,
            other: 0,
        };
        for (i, &t) in row.iter().enumerate() {
            let bit = 1u64 << i;
            if let Some(v) = t
                .checked_sub(TAG_ENUM)
                .and_then(|e| b.vals.get_mut(usize::from(e)))
            {
                *v |= bit;
            } else if t == TAG_UNKNOWN {
                b.unknown |= bit;
            } else {
                b.other |= bit;
            }
        }
        b
    }
}

/// The cases in which a builtin's argument bails (a register's).
fn varg_bails(a: &VArg, regs: &[Tb]) -> u64 {
    match a {
        VArg::Reg(r) => regs.get(*r as usize).map_or(u64::MAX, |t| t.x),
        VArg::Call(_, args) => args.iter().fold(0, |m, a| m | varg_bails(a, regs)),
        _ => 0,
    }
}

/// A builtin's argument (or the call) for case `i` of the block, as `fx` gives it.
fn varg_value<'v, C: Cases + ?Sized>(
    a: &'v VArg,
    cases: &'v C,
    case: usize,
    i: usize,
    rows: &'v Rows,
    lp: &LaneProgram,
) -> std::borrow::Cow<'v, Value> {
    use std::borrow::Cow;
    const UNKNOWN: &Value = &Value::Unknown;
    match a {
        VArg::None => Cow::Borrowed(UNKNOWN),
        VArg::Reg(r) => Cow::Borrowed(
            lp.int_row
                .get(*r as usize)
                .and_then(|&k| rows.vals.get(k as usize))
                .and_then(|row| row.get(i))
                .unwrap_or(UNKNOWN),
        ),
        VArg::Fact(slot) => cases.value(case, *slot),
        VArg::Const(v) => Cow::Borrowed(v),
        VArg::AsOf => Cow::Owned(Value::Date(rows.as_of)),
        VArg::Call(b, args) => {
            let [x, y] = &**args;
            let vx = varg_value(x, cases, case, i, rows, lp);
            // Every builtin gives unknown for an unknown argument it reads.
            if !vx.is_known() {
                return Cow::Borrowed(UNKNOWN);
            }
            let vy = varg_value(y, cases, case, i, rows, lp);
            if !matches!(y, VArg::None) && !vy.is_known() {
                return Cow::Borrowed(UNKNOWN);
            }
            Cow::Owned(apply_builtin(*b, [vx.into_owned(), vy.into_owned()]).0)
        }
    }
}

/// An integer read per case from a fact's tags: a tag in `range` holds the number (its
/// distance from the range's start), the unknown tag is unknown, the catch-all tag reads the
/// slot through `other` (`None`: a value of another kind, which bails), any other tag bails.
fn int_leaf<C: Cases + ?Sized>(
    tags: &[u8; LANES],
    cases: &C,
    start: usize,
    slot: u32,
    range: std::ops::Range<u8>,
    row: &mut [i64; LANES],
    other: impl Fn(&Value) -> Option<i64>,
) -> Tb {
    let mut out = Tb::default();
    let n = cases.len().saturating_sub(start).min(LANES);
    if range.len() == 128 {
        // The integers' tags (0–127 from the range's start): the lanes holding one found a
        // word at a time, every lane's number written without a branch (lanes not holding
        // one are not called known, so what they get is never read).
        let live = if n >= LANES {
            u64::MAX
        } else {
            (1u64 << n) - 1
        };
        out.t = in_range_128(tags, range.start) & live;
        for (v, &t) in row.iter_mut().zip(tags) {
            *v = i64::from(t.wrapping_sub(range.start));
        }
        let mut rest = live & !out.t & !eq_mask(tags, TAG_UNKNOWN);
        while rest != 0 {
            let i = rest.trailing_zeros() as usize;
            rest &= rest - 1;
            let b = 1u64 << i;
            let is_other = tags.get(i) == Some(&TAG_OTHER);
            match row.get_mut(i) {
                Some(v) if is_other => match other(&cases.value(start + i, slot)) {
                    Some(k) => {
                        *v = k;
                        out.t |= b;
                    }
                    None => out.x |= b,
                },
                _ => out.x |= b,
            }
        }
        return out;
    }
    for (i, (v, &t)) in row.iter_mut().zip(tags).enumerate().take(n) {
        let b = 1u64 << i;
        if range.contains(&t) {
            *v = i64::from(t - range.start);
            out.t |= b;
        } else if t == TAG_OTHER {
            match other(&cases.value(start + i, slot)) {
                Some(k) => {
                    *v = k;
                    out.t |= b;
                }
                None => out.x |= b,
            }
        } else if t != TAG_UNKNOWN {
            out.x |= b;
        }
    }
    out
}

/// The lanes whose tag is in `lo..lo + 128`, eight lanes a word: a byte minus `lo` (a
/// subtraction within each byte, no borrow crossing into the next) has its top bit clear
/// exactly there.
#[inline]
fn in_range_128(row: &[u8; LANES], lo: u8) -> u64 {
    const H: u64 = 0x8080_8080_8080_8080;
    let rep = u64::from(lo) * 0x0101_0101_0101_0101;
    let mut m = 0u64;
    for (k, chunk) in row.chunks_exact(8).enumerate() {
        let w = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        let d = ((w | H).wrapping_sub(rep & !H)) ^ ((w ^ !rep) & H);
        let top = !d & H;
        let bits = (top >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56;
        m |= bits << (8 * k);
    }
    m
}

/// A row of unknown tags.
static UNKNOWN_ROW: [u8; LANES] = [TAG_UNKNOWN; LANES];

/// The lanes set in `m`, lowest first.
#[inline]
fn lanes_of(mut m: u64) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        (m != 0).then(|| {
            let i = m.trailing_zeros() as usize;
            m &= m - 1;
            i
        })
    })
}

/// Gathers the lowest bit of each byte of `w` into a byte (bit `j` from byte `j`).
#[inline]
fn gather(w: u64) -> u64 {
    (w & 0x0101_0101_0101_0101).wrapping_mul(0x0102_0408_1020_4080) >> 56
}

/// A row of a truth-valued fact's tags: the lanes holding true, false, and a value of another
/// kind (the rest are unknown). Eight lanes a word while every byte is 0, 1 or 2 (unknown,
/// false, true: bit 1 is true, bit 0 false); byte compares otherwise.
#[inline]
fn bool_masks(row: &[u8; LANES]) -> (u64, u64, u64) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let (mut t, mut f) = (0u64, 0u64);
    for (k, chunk) in row.chunks_exact(8).enumerate() {
        let w = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        if w & !(ONES * 3) != 0 || (w & (w >> 1)) & ONES != 0 {
            let (tm, fm, um) = (
                eq_mask(row, TAG_TRUE),
                eq_mask(row, TAG_FALSE),
                eq_mask(row, TAG_UNKNOWN),
            );
            return (tm, fm, !(tm | fm | um));
        }
        t |= gather(w >> 1) << (8 * k);
        f |= gather(w) << (8 * k);
    }
    (t, f, 0)
}

/// The lanes whose tag is `c`, eight lanes a word: the bytes equal to `c` become zero, a
/// zero byte sets its top bit (exactly: no carry crosses a byte), and one multiply gathers
/// the eight top bits into a byte.
#[inline]
fn eq_mask(row: &[u8; LANES], c: u8) -> u64 {
    const LO7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let rep = u64::from(c) * 0x0101_0101_0101_0101;
    let mut m = 0u64;
    for (k, chunk) in row.chunks_exact(8).enumerate() {
        let w = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8])) ^ rep;
        let z = !(((w & LO7) + LO7) | w | LO7);
        let bits = (z >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56;
        m |= bits << (8 * k);
    }
    m
}

/// The lanes where `f` holds of two rows of integers.
#[inline]
fn cmp_lanes(a: &[i64; LANES], b: &[i64; LANES], f: impl Fn(i64, i64) -> bool) -> u64 {
    a.iter()
        .zip(b)
        .enumerate()
        .fold(0u64, |m, (i, (&x, &y))| m | u64::from(f(x, y)) << i)
}

/// Works out one op over a block into register `r`.
#[allow(clippy::too_many_arguments)]
fn eval_op<C: Cases + ?Sized>(
    op: &Op,
    r: u32,
    lp: &LaneProgram,
    cases: &C,
    start: usize,
    live: u64,
    m: &[u64],
    conc_base: usize,
    regs: &mut [Tb],
    rows: &mut Rows,
) {
    let n = cases.len().saturating_sub(start).min(LANES);
    let ints = &mut *rows.ints;
    let tag_row = |slot: u32| -> &[u8; LANES] {
        lp.tag_row
            .get(slot as usize)
            .and_then(|&k| rows.tags.get(k as usize))
            .unwrap_or(&UNKNOWN_ROW)
    };
    let reg = |regs: &[Tb], k: u32| {
        regs.get(k as usize).copied().unwrap_or(Tb {
            t: 0,
            f: 0,
            x: live,
        })
    };
    let row = |k: u32| lp.int_row.get(k as usize).copied().unwrap_or(NONE) as usize;
    let mut out = Tb::default();
    match op {
        Op::BailAll => out.x = live,
        Op::Const(v) => match v {
            Some(true) => out.t = live,
            Some(false) => out.f = live,
            None => {}
        },
        Op::Bool { slot, want, neg } => {
            let (tm, fm, xm) = bool_masks(tag_row(*slot));
            // A value of another kind: `fb` reads it as unknown; not modelled here.
            out.x = live & xm;
            let (mut t, mut f) = (tm & live, fm & live);
            if *want == Some(false) {
                std::mem::swap(&mut t, &mut f);
            }
            if *neg {
                std::mem::swap(&mut t, &mut f);
            }
            out.t = t;
            out.f = f;
        }
        Op::EnumIn { slot, mask, neg } => {
            // The row's values as masks, made once a block: the test is an OR of the masks
            // of the values in the set.
            let k = lp.tag_row.get(*slot as usize).copied().unwrap_or(NONE) as usize;
            let row = tag_row(*slot);
            let bits = match rows.enums.get_mut(k) {
                Some(e) => &*e.get_or_insert_with(|| EnumBits::of(row)),
                None => &EnumBits::of(row),
            };
            let mut member = 0u64;
            #[allow(clippy::cast_possible_truncation)]
            let mut rest = *mask as u64;
            while rest != 0 {
                let e = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                member |= bits.vals.get(e).copied().unwrap_or(0);
            }
            // Another kind, or an enum value past the tag's range: not modelled.
            out.x = bits.other & live;
            let known = live & !bits.unknown & !bits.other;
            out.t = if *neg {
                known & !member
            } else {
                known & member
            };
            out.f = known & !out.t;
        }
        Op::IsKnownFact { slot } => {
            // Only `Unknown` has the unknown tag; every other value is known.
            let um = eq_mask(tag_row(*slot), TAG_UNKNOWN);
            out.t = live & !um;
            out.f = live & um;
        }
        Op::QuantUnknownList { slot } => {
            out.x = live & !eq_mask(tag_row(*slot), TAG_UNKNOWN);
        }
        Op::OneTest { conc, answers } => {
            if let Some(ConcLanes::One { at, .. }) = lp.conc.get(*conc as usize) {
                let at = conc_base + *at as usize;
                for (d, a) in answers.iter().enumerate() {
                    let x = m.get(at + d).copied().unwrap_or(0);
                    match a {
                        Some(true) => out.t |= x,
                        Some(false) => out.f |= x,
                        None => {}
                    }
                }
            } else {
                out.x = live;
            }
        }
        Op::SetAny { conc, masks, empty } => {
            if let Some(ConcLanes::Set { at, .. }) = lp.conc.get(*conc as usize) {
                let at = conc_base + *at as usize;
                let mut hit = 0u64;
                for &i in masks {
                    hit |= m.get(at + i as usize).copied().unwrap_or(0);
                }
                // Sets settle complete: a member not held is known absent.
                if *empty {
                    out.f = hit & live;
                    out.t = live & !hit;
                } else {
                    out.t = hit & live;
                    out.f = live & !hit;
                }
            } else {
                out.x = live;
            }
        }
        Op::And(kids) | Op::Or(kids) => {
            let and = matches!(op, Op::And(_));
            let mut stop = 0u64;
            let mut all = live;
            let mut x = 0u64;
            let mut decided = 0u64;
            for &k in kids {
                let v = reg(regs, k);
                let (win, lose) = if and { (v.f, v.t) } else { (v.t, v.f) };
                let nx = v.x & !stop;
                let nw = win & !stop;
                x |= nx;
                decided |= nw;
                stop |= nx | nw;
                all &= lose;
            }
            out.x = x & live;
            let (win, lose) = (decided & live & !out.x, all & !stop & live);
            if and {
                out.f = win;
                out.t = lose;
            } else {
                out.t = win;
                out.f = lose;
            }
        }
        Op::Not(k) => {
            let v = reg(regs, *k);
            out = Tb {
                t: v.f,
                f: v.t,
                x: v.x,
            };
        }
        Op::IntCmp { op, a, b } => {
            let (ka, kb) = (reg(regs, *a), reg(regs, *b));
            let (ra, rb) = (row(*a), row(*b));
            out.x = (ka.x | kb.x) & live;
            let both = ka.t & kb.t & !out.x & live;
            if let (Some(va), Some(vb)) = (ints.get(ra), ints.get(rb)) {
                // Every lane compared, without a branch (a lane not in `both` holds whatever
                // its row held last, and is masked off).
                let hits = match op {
                    Cmp::Eq => cmp_lanes(va, vb, |x, y| x == y),
                    Cmp::Ne => cmp_lanes(va, vb, |x, y| x != y),
                    Cmp::Lt => cmp_lanes(va, vb, |x, y| x < y),
                    Cmp::Le => cmp_lanes(va, vb, |x, y| x <= y),
                    Cmp::Gt => cmp_lanes(va, vb, |x, y| x > y),
                    Cmp::Ge => cmp_lanes(va, vb, |x, y| x >= y),
                };
                out.t = both & hits;
                out.f = both & !hits;
            } else {
                out.x = live;
            }
        }
        Op::IntConst(k) => {
            if let Some(v) = ints.get_mut(row(r)) {
                *v = [*k; LANES];
            }
            out.t = live;
        }
        Op::IntFact { slot } => {
            // An integer 0–127 is in its tag; another reads the slot.
            if let Some(v) = ints.get_mut(row(r)) {
                out = int_leaf(
                    tag_row(*slot),
                    cases,
                    start,
                    *slot,
                    TAG_INT..TAG_LIST,
                    v,
                    |x| match x {
                        Value::Int(k) => Some(*k),
                        _ => None,
                    },
                );
            }
        }
        Op::IntLen { slot } => {
            // A list's length below 60 is in its tag; a longer list, or a set, reads the slot.
            // `len` of an unknown value is unknown.
            if let Some(v) = ints.get_mut(row(r)) {
                out = int_leaf(
                    tag_row(*slot),
                    cases,
                    start,
                    *slot,
                    TAG_LIST..TAG_OTHER,
                    v,
                    |x| match x {
                        Value::List(l) => Some(l.len() as i64),
                        Value::Set {
                            bits,
                            complete: true,
                        } => Some(i64::from(bits.count_ones())),
                        _ => None,
                    },
                );
            }
        }
        Op::IntIf { c, a, b } => {
            let (kc, ka, kb) = (reg(regs, *c), reg(regs, *a), reg(regs, *b));
            // An unknown condition: the fast path works out both branches; handed over.
            out.x = (kc.x | (live & !(kc.t | kc.f)) | (kc.t & ka.x) | (kc.f & kb.x)) & live;
            out.t = ((kc.t & ka.t) | (kc.f & kb.t)) & !out.x & live;
            let (ra, rb, rr) = (row(*a), row(*b), row(r));
            let va = ints.get(ra).copied();
            let vb = ints.get(rb).copied();
            if let (Some(va), Some(vb), Some(v)) = (va, vb, ints.get_mut(rr)) {
                for (i, (v, (a, b))) in v.iter_mut().zip(va.iter().zip(vb.iter())).enumerate() {
                    *v = if kc.t >> i & 1 == 1 { *a } else { *b };
                }
            } else {
                out = Tb {
                    t: 0,
                    f: 0,
                    x: live,
                };
            }
        }
        Op::IntArith { op, a, b } => {
            let (ka, kb) = (reg(regs, *a), reg(regs, *b));
            out.x = (ka.x | kb.x) & live;
            let both = ka.t & kb.t & !out.x & live;
            let (ra, rb, rr) = (row(*a), row(*b), row(r));
            let va = ints.get(ra).copied();
            let vb = ints.get(rb).copied();
            if let (Some(va), Some(vb), Some(v)) = (va, vb, ints.get_mut(rr)) {
                let mut rest = both;
                while rest != 0 {
                    let i = rest.trailing_zeros() as usize;
                    rest &= rest - 1;
                    let (Some(&x), Some(&y), Some(slot)) = (va.get(i), vb.get(i), v.get_mut(i))
                    else {
                        continue;
                    };
                    let r = match op {
                        Arith::Add => x.checked_add(y),
                        Arith::Sub => x.checked_sub(y),
                        Arith::Mul => x.checked_mul(y),
                        Arith::Div => x.checked_div(y),
                    };
                    match r {
                        Some(r) => {
                            *slot = r;
                            out.t |= 1 << i;
                        }
                        // Unknown in the fast path; handed over.
                        None => out.x |= 1 << i,
                    }
                }
            } else {
                out.x = live;
            }
        }
        Op::IntOfVal { v } => {
            let vx = reg(regs, *v).x & live;
            out.x = vx;
            let (rv, rr) = (row(*v), row(r));
            if let (Some(src), Some(dst)) = (rows.vals.get(rv), ints.get_mut(rr)) {
                for (i, (s, d)) in src.iter().zip(dst.iter_mut()).enumerate() {
                    let b = 1u64 << i;
                    if b & live & !vx == 0 {
                        continue;
                    }
                    match s {
                        Value::Int(k) => {
                            *d = *k;
                            out.t |= b;
                        }
                        Value::Unknown => {}
                        _ => out.x |= b,
                    }
                }
            } else {
                out.x = live;
            }
        }
        Op::ValFact { slot } => {
            if let Some(dst) = rows.vals.get_mut(row(r)) {
                for (i, d) in dst.iter_mut().enumerate().take(n) {
                    d.clone_from(&cases.value(start + i, *slot));
                }
            }
        }
        Op::ValConst(v) => {
            if let Some(dst) = rows.vals.get_mut(row(r)) {
                dst.iter_mut().for_each(|d| d.clone_from(v));
            }
        }
        Op::ValAsOf => {
            let v = Value::Date(rows.as_of);
            if let Some(dst) = rows.vals.get_mut(row(r)) {
                dst.iter_mut().for_each(|d| d.clone_from(&v));
            }
        }
        Op::ValConc { conc } => {
            if let (Some(ConcLanes::One { at, domain }), Some(dst)) =
                (lp.conc.get(*conc as usize), rows.vals.get_mut(row(r)))
            {
                let at = conc_base + *at as usize;
                for (d, v) in domain.iter().enumerate() {
                    let mut rest = m.get(at + d).copied().unwrap_or(0) & live;
                    while rest != 0 {
                        let i = rest.trailing_zeros() as usize;
                        rest &= rest - 1;
                        if let Some(x) = dst.get_mut(i) {
                            x.clone_from(v);
                        }
                    }
                }
            } else {
                out.x = live;
            }
        }
        Op::ValCall { call } => {
            out.x = varg_bails(call, regs) & live;
            // Every builtin gives unknown for an unknown first argument (`varg_value`): where
            // that argument is a fact whose tag is unknown, the call is not made
            // (`zhousui(minor.birth_date, …)` in cases that give an age instead).
            let unknown_first = match call {
                VArg::Call(_, args) => match args.first() {
                    Some(VArg::Fact(slot)) => lp
                        .tag_row
                        .get(*slot as usize)
                        .and_then(|&k| rows.tags.get(k as usize))
                        .map_or(0, |row| eq_mask(row, TAG_UNKNOWN)),
                    _ => 0,
                },
                _ => 0,
            };
            let skip = out.x | unknown_first;
            let rr = row(r);
            // The row is taken out while the arguments (other rows) are read.
            let mut dst = rows
                .vals
                .get_mut(rr)
                .map(std::mem::take)
                .unwrap_or_default();
            for (i, d) in dst.iter_mut().enumerate().take(n) {
                *d = if skip >> i & 1 == 1 {
                    Value::Unknown
                } else {
                    varg_value(call, cases, start + i, i, rows, lp).into_owned()
                };
            }
            if let Some(x) = rows.vals.get_mut(rr) {
                *x = dst;
            }
        }
        Op::ValIf { c, a, b } => {
            let (kc, ka, kb) = (reg(regs, *c), reg(regs, *a), reg(regs, *b));
            out.x = (kc.x | (live & !(kc.t | kc.f)) | (kc.t & ka.x) | (kc.f & kb.x)) & live;
            let (ra, rb, rr) = (row(*a), row(*b), row(r));
            let mut dst = rows
                .vals
                .get_mut(rr)
                .map(std::mem::take)
                .unwrap_or_default();
            for (i, x) in dst.iter_mut().enumerate() {
                let src = if kc.t >> i & 1 == 1 { ra } else { rb };
                match rows.vals.get(src).and_then(|row| row.get(i)) {
                    Some(v) => x.clone_from(v),
                    None => *x = Value::Unknown,
                }
            }
            if let Some(x) = rows.vals.get_mut(rr) {
                *x = dst;
            }
        }
        Op::ValCmp { op, a, b } => {
            let (ka, kb) = (reg(regs, *a), reg(regs, *b));
            out.x = (ka.x | kb.x) & live;
            let (ra, rb) = (row(*a), row(*b));
            if let (Some(va), Some(vb)) = (rows.vals.get(ra), rows.vals.get(rb)) {
                let mut rest = live & !out.x;
                while rest != 0 {
                    let i = rest.trailing_zeros() as usize;
                    rest &= rest - 1;
                    let (Some(x), Some(y)) = (va.get(i), vb.get(i)) else {
                        continue;
                    };
                    match compare(*op, x, y) {
                        Value::Bool(true) => out.t |= 1 << i,
                        Value::Bool(false) => out.f |= 1 << i,
                        _ => {}
                    }
                }
            } else {
                out.x = live;
            }
        }
    }
    if let Some(x) = regs.get_mut(r as usize) {
        *x = out;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eq_mask_is_the_lanes_holding_the_byte() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for round in 0..2000 {
            let mut row = [0u8; LANES];
            for b in row.iter_mut() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                // Mostly the tags that matter, some of every other byte.
                *b = match x % 8 {
                    0 => 0,
                    1 => 1,
                    2 => 2,
                    3 => 255,
                    4 => 128,
                    _ => (x >> 8) as u8,
                };
            }
            let c = [0u8, 1, 2, 255, 128, (round % 256) as u8]
                .get(round % 6)
                .copied()
                .unwrap_or(0);
            let want = row
                .iter()
                .enumerate()
                .fold(0u64, |m, (i, &t)| m | (u64::from(t == c) << i));
            assert_eq!(eq_mask(&row, c), want, "{row:?} {c}");
            // The same row as a truth-valued fact's tags, and mostly-valid rows.
            let mut valid = row;
            for (i, b) in valid.iter_mut().enumerate() {
                if round % 3 != 0 || i % 17 != 5 {
                    *b %= 3;
                }
            }
            for lo in [TAG_INT, 0, 1, 100, 127, 128, 200, 255, (round % 256) as u8] {
                let want = row.iter().enumerate().fold(0u64, |m, (i, &t)| {
                    m | (u64::from(t.wrapping_sub(lo) < 128) << i)
                });
                assert_eq!(in_range_128(&row, lo), want, "{row:?} {lo}");
            }
            for r in [&row, &valid] {
                let (t, f, x) = bool_masks(r);
                let e = |c: u8| {
                    r.iter()
                        .enumerate()
                        .fold(0u64, |m, (i, &b)| m | (u64::from(b == c) << i))
                };
                assert_eq!((t, f), (e(TAG_TRUE), e(TAG_FALSE)), "{r:?}");
                assert_eq!(x, !(e(TAG_TRUE) | e(TAG_FALSE) | e(TAG_UNKNOWN)), "{r:?}");
            }
        }
    }
}
