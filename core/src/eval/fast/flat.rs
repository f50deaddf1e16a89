//! Rule conditions compiled to flat code, the first try of the fast path on each rule.
//!
//! The tree walk of the fast path ([`Evaluator::fb`]) costs a call, a dispatch on the node and
//! on its reading kind ([`B`]), bounds-checked lookups and the count of unknown facts for every
//! node it visits. Most rules of most cases are decided by a few truth-valued facts, so each
//! rule's condition is also compiled, once per policy, to a straight sequence of small
//! instructions over one accumulator (a truth value, or unknown), with the connectives as
//! conditional jumps (short-circuit in the same order as `fb`) and the shared truth-valued
//! nodes kept in a one-byte-per-node memo of its own.
//!
//! The flat code answers only when the condition comes out definite: true or false. Then `fb`
//! would have given the same value (the same leaves read in the same order, the same params
//! marked used, a definite result does not depend on the count of unknown facts). Anything else
//! — an unknown result, a fact holding a value of an unexpected kind — and the rule is
//! evaluated again by `fb` from its start, which works out what the state of the rule needs
//! (unknown facts behind it, absent conclusions read). Leaves the flat code does not know are
//! one instruction that calls `fb` on their node, so nothing is left out.

use super::*;
use crate::facts::{TAG_ENUM, TAG_FALSE, TAG_INT, TAG_TRUE, TAG_UNKNOWN};

/// The accumulator: false, true, or not definite (unknown, or the rule is to be redone).
type Tri = u8;
const F: Tri = 0;
const T: Tri = 1;
const U: Tri = 2;
/// A memo slot not worked out yet for this case.
const NOT_DONE: u8 = 3;

#[derive(Copy, Clone, Debug)]
enum Op {
    /// A truth-valued fact.
    Bool {
        slot: u32,
    },
    /// `fact == want` over a truth-valued fact; `neg` flips.
    BoolEq {
        slot: u32,
        want: bool,
        neg: bool,
    },
    /// An enum fact in a set of values (bits below 64); `neg` flips.
    EnumIn {
        slot: u32,
        mask: u64,
        neg: bool,
    },
    /// An enum fact in a set-valued param whose value is fixed; marks the param used.
    EnumInParam {
        slot: u32,
        param: u32,
        mask: u64,
    },
    /// A fixed answer that marks a param used (an enum constant in a set-valued param, a
    /// truth-valued param).
    ConstInParam {
        hit: bool,
        param: u32,
    },
    /// Whether a fact is known (always definite).
    IsKnown {
        slot: u32,
    },
    /// An integer fact compared with an integer: a constant, or a param's value (`param`
    /// is then marked used, `NONE` otherwise).
    IntCmp {
        slot: u32,
        op: Cmp,
        k: i64,
        param: u32,
    },
    /// A truth-valued conclusion.
    ConcBool {
        conc: u32,
    },
    /// Whether a conclusion is known.
    ConcKnown {
        conc: u32,
    },
    /// Whether a set-valued conclusion is empty.
    ConcEmpty {
        conc: u32,
    },
    /// Whether a set-valued conclusion holds an enum value.
    ConcHas {
        conc: u32,
        bit: u8,
    },
    /// Marks a param used (an operand whose value is fixed, but which reads a param).
    Mark {
        param: u32,
    },
    /// A fixed truth value.
    Set {
        v: Tri,
    },
    /// Anything else: `fb` on the node.
    Node {
        node: u32,
    },
    Not,
    /// `regs[reg] = v`: the start of a connective.
    Init {
        reg: u8,
        v: Tri,
    },
    /// In a conjunction: a false operand ends it (jump to `exit` with the accumulator false);
    /// a not definite one makes it not definite at best.
    AndStep {
        reg: u8,
        exit: u32,
    },
    /// In a disjunction: a true operand ends it; a not definite one as above.
    OrStep {
        reg: u8,
        exit: u32,
    },
    /// The end of a connective that ran through all its operands.
    Load {
        reg: u8,
    },
    /// A shared node already worked out for this case: its value, and jump to `skip`.
    MemoLoad {
        slot: u32,
        skip: u32,
    },
    MemoStore {
        slot: u32,
    },
}

/// A test that, holding, makes a rule's condition false (see [`Flat::guards`]).
#[derive(Copy, Clone, Debug)]
enum Test {
    /// The fact's tag is this one (`false`; unknown, for `is known`).
    Tag { slot: u32, tag: u8 },
    /// The set-valued conclusion is the complete empty set (for `is not empty`).
    Empty { conc: u32 },
    /// The set-valued conclusion is complete and lacks this value (for `value in it`).
    Lacks { conc: u32, bit: u8 },
    /// The truth-valued conclusion is `false`.
    False { conc: u32 },
}

/// The compiled conditions of a policy's rules.
#[derive(Clone, Debug, Default)]
pub(crate) struct Flat {
    code: Vec<Op>,
    /// Per rule: its code is `code[start[i]..start[i + 1]]`.
    start: Vec<u32>,
    /// Per rule: its guard is `guards[guard_start[i]..guard_start[i + 1]]`, tests such that
    /// when every one of them holds, the condition is false and working it out has no effect
    /// (no param read before it is decided): the rule is not fired without running its code.
    /// Most rules of a case end this way (an indicator not seen, a list not given, no
    /// situation found), on a few byte compares.
    guards: Vec<Test>,
    guard_start: Vec<u32>,
    /// Memo slots (one per shared truth-valued node).
    n_memo: usize,
}

const MAX_REGS: usize = 32;

impl Flat {
    pub(crate) fn build(fp: &FastProgram, prog: &Program) -> Flat {
        let mut c = Compile {
            fp,
            prog,
            code: Vec::new(),
            depth_max: 0,
        };
        let mut start = Vec::with_capacity(fp.rule_when.len() + 1);
        let mut guards = Vec::new();
        let mut guard_start = Vec::with_capacity(fp.rule_when.len() + 1);
        for &w in &fp.rule_when {
            start.push(u32::try_from(c.code.len()).unwrap_or(u32::MAX));
            c.emit(w, 0);
            guard_start.push(u32::try_from(guards.len()).unwrap_or(u32::MAX));
            if let Some(g) = c.guard(w) {
                guards.extend(g);
            }
        }
        if c.depth_max > MAX_REGS {
            // Nesting deeper than the registers: no code and no guards, every rule through
            // `fb` (`flat_rule` finds no range for it).
            return Flat::default();
        }
        start.push(u32::try_from(c.code.len()).unwrap_or(u32::MAX));
        guard_start.push(u32::try_from(guards.len()).unwrap_or(u32::MAX));
        Flat {
            code: c.code,
            start,
            guards,
            guard_start,
            n_memo: fp.n_bmemo,
        }
    }
}

struct Compile<'a> {
    fp: &'a FastProgram,
    prog: &'a Program,
    code: Vec<Op>,
    depth_max: usize,
}

impl Compile<'_> {
    fn here(&self) -> u32 {
        u32::try_from(self.code.len()).unwrap_or(u32::MAX)
    }

    fn node(&self, id: u32) -> Option<&N> {
        self.fp.nodes.get(id as usize)
    }

    /// Code leaving the truth value of node `id` in the accumulator, connectives below
    /// `depth` using registers from `depth` on.
    fn emit(&mut self, id: u32, depth: usize) {
        let memo = match self.fp.bk.get(id as usize) {
            Some(B::Memo) => self.fp.bmemo.get(id as usize).copied().unwrap_or(NONE),
            _ => NONE,
        };
        if memo == NONE {
            self.emit_inner(id, depth);
            return;
        }
        let at = self.code.len();
        self.code.push(Op::MemoLoad {
            slot: memo,
            skip: 0,
        });
        self.emit_inner(id, depth);
        self.code.push(Op::MemoStore { slot: memo });
        let end = self.here();
        if let Some(Op::MemoLoad { skip, .. }) = self.code.get_mut(at) {
            *skip = end;
        }
    }

    /// The value of a param when it is fixed and of the given kind.
    fn param(&self, p: u32) -> Option<&Value> {
        self.prog.params.get(p as usize).map(|d| &d.value)
    }

    /// The node's own code, without its memo.
    fn emit_inner(&mut self, id: u32, depth: usize) {
        // The leaves `fb` reads without a `Value` (whether or not they are shared).
        match self.fp.truth_kind(id as usize, self.prog) {
            B::Fact(slot) => return self.code.push(Op::Bool { slot }),
            B::BoolEq { slot, want, neg } => return self.code.push(Op::BoolEq { slot, want, neg }),
            B::EnumIn { slot, mask, neg } if mask >> 64 == 0 => {
                return self.code.push(Op::EnumIn {
                    slot,
                    mask: mask as u64,
                    neg,
                })
            }
            B::EnumInParam { slot, param, mask } if mask >> 64 == 0 => {
                return self.code.push(Op::EnumInParam {
                    slot,
                    param,
                    mask: mask as u64,
                })
            }
            B::ConstInParam { hit, param } => {
                return self.code.push(Op::ConstInParam { hit, param })
            }
            _ => {}
        }
        let node = |k: u32| self.node(k).cloned();
        let op = match node(id) {
            Some(N::And(s, n)) => return self.connective(s, n, depth, true),
            Some(N::Or(s, n)) => return self.connective(s, n, depth, false),
            Some(N::Not(x)) => {
                self.emit(x, depth);
                return self.code.push(Op::Not);
            }
            Some(N::Fact(slot)) => Op::Bool { slot },
            Some(N::Conclusion(conc)) => Op::ConcBool { conc },
            Some(N::Param(p)) => match self.param(p) {
                Some(Value::Bool(hit)) => Op::ConstInParam {
                    hit: *hit,
                    param: p,
                },
                _ => Op::Node { node: id },
            },
            Some(N::IsKnown(x)) => match node(x) {
                Some(N::Fact(slot)) => Op::IsKnown { slot },
                Some(N::Conclusion(conc)) => Op::ConcKnown { conc },
                _ => Op::Node { node: id },
            },
            Some(N::IsEmpty(x)) => match node(x) {
                Some(N::Conclusion(conc)) => Op::ConcEmpty { conc },
                _ => Op::Node { node: id },
            },
            Some(N::InSet(a, b)) => match (node(a), node(b)) {
                (Some(N::Const(k)), Some(N::Conclusion(conc))) => {
                    match self.fp.consts.get(k as usize) {
                        Some(Value::Enum(e)) => Op::ConcHas {
                            conc,
                            bit: (e % 128) as u8,
                        },
                        _ => Op::Node { node: id },
                    }
                }
                (Some(N::Fact(slot)), Some(N::Const(k))) => match self.fp.consts.get(k as usize) {
                    Some(Value::Set {
                        bits,
                        complete: true,
                    }) if bits >> 64 == 0 => Op::EnumIn {
                        slot,
                        mask: *bits as u64,
                        neg: false,
                    },
                    _ => Op::Node { node: id },
                },
                _ => Op::Node { node: id },
            },
            Some(N::Cmp(op, a, b)) => {
                // An integer fact against an integer constant, or a param's (marked used).
                let (k, param) = match node(b) {
                    Some(N::Const(k)) => (self.fp.consts.get(k as usize), NONE),
                    Some(N::Param(p)) => (self.param(p), p),
                    _ => (None, NONE),
                };
                match (node(a), k) {
                    (Some(N::Fact(slot)), Some(Value::Int(k))) => Op::IntCmp {
                        slot,
                        op,
                        k: *k,
                        param,
                    },
                    _ => Op::Node { node: id },
                }
            }
            _ => Op::Node { node: id },
        };
        self.code.push(op);
    }

    /// Tests that, all holding, make node `id` false with no effect on the evaluation (see
    /// [`Flat::guards`]); `None` when there are none.
    fn guard(&self, id: u32) -> Option<Vec<Test>> {
        let node = |k: u32| self.node(k);
        match node(id)? {
            N::Fact(slot) => Some(vec![Test::Tag {
                slot: *slot,
                tag: TAG_FALSE,
            }]),
            N::IsKnown(x) => match node(*x)? {
                N::Fact(slot) => Some(vec![Test::Tag {
                    slot: *slot,
                    tag: TAG_UNKNOWN,
                }]),
                _ => None,
            },
            N::Conclusion(conc) => Some(vec![Test::False { conc: *conc }]),
            N::Not(x) => match node(*x)? {
                N::IsEmpty(c) => match node(*c)? {
                    N::Conclusion(conc) => Some(vec![Test::Empty { conc: *conc }]),
                    _ => None,
                },
                _ => None,
            },
            N::InSet(a, b) => match (node(*a)?, node(*b)?) {
                (N::Const(k), N::Conclusion(conc)) => match self.fp.consts.get(*k as usize)? {
                    Value::Enum(e) => Some(vec![Test::Lacks {
                        conc: *conc,
                        bit: (e % 128) as u8,
                    }]),
                    _ => None,
                },
                _ => None,
            },
            // A disjunction is false when every operand is.
            N::Or(s, n) => {
                let mut all = Vec::new();
                for &k in Evaluator::fx_kids(self.fp, *s, *n) {
                    all.extend(self.guard(k)?);
                }
                (!all.is_empty()).then_some(all)
            }
            // A conjunction is false when one operand is, and the operands before it, which
            // are worked out first, read no param.
            N::And(s, n) => {
                for &k in Evaluator::fx_kids(self.fp, *s, *n) {
                    if let Some(g) = self.guard(k) {
                        return Some(g);
                    }
                    if !self.pure(k) {
                        return None;
                    }
                }
                None
            }
            _ => None,
        }
    }

    /// Whether working out node `id` reads no param (so it marks nothing). It may read
    /// conclusions: on the fast path every conclusion read is settled (`fast_settle` runs in
    /// step order and the fast path stops on anything undecided), so reading one stops
    /// nothing; that it was absent matters only to a condition that is not definite.
    fn pure(&self, id: u32) -> bool {
        let mut stack = vec![id];
        let mut seen = 0usize;
        while let Some(x) = stack.pop() {
            seen += 1;
            if seen > 10_000 {
                return false;
            }
            let Some(node) = self.node(x) else {
                return false;
            };
            match *node {
                N::Param(_) => return false,
                N::Const(_) | N::Fact(_) | N::Conclusion(_) | N::AsOf | N::Local(_) => {}
                N::Field(a, _)
                | N::Not(a)
                | N::Neg(a)
                | N::InValues(a, _, _)
                | N::Intersects(_, a)
                | N::Subset(_, a)
                | N::IsKnown(a)
                | N::IsEmpty(a)
                | N::Len(a) => stack.push(a),
                N::Cmp(_, a, b) | N::Arith(_, a, b) | N::InSet(a, b) => {
                    stack.push(a);
                    stack.push(b);
                }
                N::If(a, b, c) => stack.extend([a, b, c]),
                N::And(s, n) | N::Or(s, n) | N::Call(_, s, n) => {
                    stack.extend_from_slice(Evaluator::fx_kids(self.fp, s, n));
                }
                N::Quant {
                    list, filter, body, ..
                } => {
                    stack.push(list);
                    stack.extend([filter, body].into_iter().filter(|&k| k != NONE));
                }
            }
        }
        true
    }

    /// The value of node `id` when it is the same for every case (it reads only constants
    /// and params, which are fixed when the policy is loaded), with the params it marks used
    /// on the way, in order — as `fb` reads it, connectives stopping at their first deciding
    /// operand.
    fn constant(&self, id: u32) -> Option<(bool, Vec<u32>)> {
        if let B::ConstInParam { hit, param } = self.fp.truth_kind(id as usize, self.prog) {
            return Some((hit, vec![param]));
        }
        match self.node(id)? {
            N::Const(k) => match self.fp.consts.get(*k as usize)? {
                Value::Bool(b) => Some((*b, Vec::new())),
                _ => None,
            },
            N::Param(p) => match self.param(*p)? {
                Value::Bool(b) => Some((*b, vec![*p])),
                _ => None,
            },
            N::Not(x) => self.constant(*x).map(|(b, m)| (!b, m)),
            N::And(s, n) | N::Or(s, n) => {
                let and = matches!(self.node(id), Some(N::And(..)));
                let mut marks = Vec::new();
                for &k in Evaluator::fx_kids(self.fp, *s, *n) {
                    let (b, m) = self.constant(k)?;
                    marks.extend(m);
                    if b != and {
                        return Some((b, marks));
                    }
                }
                Some((and, marks))
            }
            _ => None,
        }
    }

    /// A conjunction or disjunction. Operands with a fixed value are folded: their params
    /// are marked where `fb` would read them (once per param at this level), one that decides
    /// the connective ends it there, the others vanish.
    fn connective(&mut self, s: u32, n: u32, depth: usize, and: bool) {
        let kids: Vec<u32> = Evaluator::fx_kids(self.fp, s, n).to_vec();
        let reg = u8::try_from(depth).unwrap_or(u8::MAX);
        self.depth_max = self.depth_max.max(depth + 1);
        let init = self.code.len();
        self.code.push(Op::Init {
            reg,
            v: if and { T } else { F },
        });
        let mut exits = Vec::with_capacity(kids.len());
        let mut marked: Vec<u32> = Vec::new();
        let mut dynamic = 0usize;
        // Whether anything was emitted after the last dynamic operand's step.
        let mut after = false;
        let mut decided = false;
        for k in kids {
            if let Some((b, marks)) = self.constant(k) {
                for p in marks {
                    if !marked.contains(&p) {
                        marked.push(p);
                        self.code.push(Op::Mark { param: p });
                        after = true;
                    }
                }
                if b != and {
                    // Decides the connective: false for `and`, true for `or`.
                    self.code.push(Op::Set { v: Tri::from(b) });
                    decided = true;
                    break;
                }
                continue;
            }
            self.emit(k, depth + 1);
            exits.push(self.code.len());
            self.code.push(if and {
                Op::AndStep { reg, exit: 0 }
            } else {
                Op::OrStep { reg, exit: 0 }
            });
            dynamic += 1;
            after = false;
        }
        if decided {
            // Every way out gives the deciding value: the steps jump past the end with it.
        } else if dynamic == 0 {
            self.code.push(Op::Set {
                v: if and { T } else { F },
            });
        } else if dynamic == 1 && !after {
            // One operand and nothing after it: the connective is that operand (`true and x`
            // is `x`). Drop the register and the step.
            if let Some(last) = exits.pop() {
                self.code.remove(last);
            }
            self.code.remove(init);
            // The operand's own jumps were emitted after `init`: shift them back by one.
            let from = u32::try_from(init).unwrap_or(u32::MAX);
            for op in self.code.iter_mut().skip(init) {
                match op {
                    Op::AndStep { exit, .. } | Op::OrStep { exit, .. } if *exit > from => {
                        *exit -= 1
                    }
                    Op::MemoLoad { skip, .. } if *skip > from => *skip -= 1,
                    _ => {}
                }
            }
            return;
        } else {
            self.code.push(Op::Load { reg });
        }
        let end = self.here();
        for at in exits {
            if let Some(Op::AndStep { exit, .. } | Op::OrStep { exit, .. }) = self.code.get_mut(at)
            {
                *exit = end;
            }
        }
    }
}

impl Evaluator<'_> {
    /// A conclusion's value as the flat code reads it: the fast path stops on one not
    /// settled, as `fx` does.
    fn conclusion(&self, conc: u32) -> Result<&Value, Bail> {
        if self
            .conc_undecided
            .get(conc as usize)
            .copied()
            .unwrap_or(false)
        {
            return Err(Bail);
        }
        Ok(self.conc.get(conc as usize).unwrap_or(&Value::Unknown))
    }

    /// A conclusion's value when it is settled (for guards: one not settled holds no test,
    /// and the rule's code runs).
    fn settled(&self, conc: u32) -> Option<&Value> {
        if self
            .conc_undecided
            .get(conc as usize)
            .copied()
            .unwrap_or(true)
        {
            return None;
        }
        self.conc.get(conc as usize)
    }

    /// Sizes the flat code's memo for a new case.
    pub(super) fn flat_reset(&mut self, flat: &Flat) {
        self.fmemo.clear();
        self.fmemo.resize(flat.n_memo, NOT_DONE);
    }

    /// Rule `ri`'s condition by its flat code: `Some` when definite, `None` when `fb` is to
    /// work it out.
    pub(super) fn flat_rule(&mut self, fp: &FastProgram, ri: usize) -> Result<Option<bool>, Bail> {
        let flat = &fp.flat;
        let facts: &Facts = self.facts;
        let (slots, tags) = (&facts.slots, &facts.tags);
        // A slot's tag (see `crate::facts::tag`); worked out from the slot when the facts have
        // no tags.
        let tag = |slot: u32| -> u8 {
            match tags.get(slot as usize) {
                Some(t) => *t,
                None => slots
                    .get(slot as usize)
                    .map_or(TAG_UNKNOWN, crate::facts::tag),
            }
        };
        if let (Some(&g0), Some(&g1)) = (flat.guard_start.get(ri), flat.guard_start.get(ri + 1)) {
            let guard = flat.guards.get(g0 as usize..g1 as usize).unwrap_or(&[]);
            let holds = |t: &Test| match *t {
                Test::Tag { slot, tag: want } => tag(slot) == want,
                Test::Empty { conc } => matches!(
                    self.settled(conc),
                    Some(Value::Set {
                        bits: 0,
                        complete: true
                    })
                ),
                Test::Lacks { conc, bit } => matches!(
                    self.settled(conc),
                    Some(Value::Set { bits, complete: true }) if bits & (1u128 << (bit % 128)) == 0
                ),
                Test::False { conc } => matches!(self.settled(conc), Some(Value::Bool(false))),
            };
            if !guard.is_empty() && guard.iter().all(holds) {
                return Ok(Some(false));
            }
        }
        let (Some(&a), Some(&b)) = (flat.start.get(ri), flat.start.get(ri + 1)) else {
            return Ok(None);
        };
        if a >= b {
            return Ok(None);
        }
        let code = flat.code.get(a as usize..b as usize).unwrap_or(&[]);
        let base = a;
        let mut regs = [T; MAX_REGS];
        let mut acc: Tri = U;
        let mut pc = 0usize;
        // A truth value: `Err(())` for a value of an unexpected kind. The rule is then redone by
        // `fb` at once (which may read it differently, and must not see operands read after it
        // that it would not read).
        let truth = |t: u8| -> Result<Tri, ()> {
            match t {
                TAG_FALSE => Ok(F),
                TAG_TRUE => Ok(T),
                TAG_UNKNOWN => Ok(U),
                _ => Err(()),
            }
        };
        // An enum value below 64, or `U`, or `Err(())` as above.
        let enum_of = |t: u8| -> Result<Option<u8>, ()> {
            match t {
                TAG_UNKNOWN => Ok(None),
                t if (TAG_ENUM..TAG_ENUM + 64).contains(&t) => Ok(Some(t - TAG_ENUM)),
                _ => Err(()),
            }
        };
        while let Some(op) = code.get(pc) {
            pc += 1;
            match *op {
                Op::Bool { slot } => match truth(tag(slot)) {
                    Ok(t) => acc = t,
                    Err(()) => return Ok(None),
                },
                Op::BoolEq { slot, want, neg } => match truth(tag(slot)) {
                    Ok(U) => acc = U,
                    Ok(t) => acc = Tri::from(((t == T) == want) != neg),
                    Err(()) => return Ok(None),
                },
                Op::EnumIn { slot, mask, neg } => match enum_of(tag(slot)) {
                    Ok(Some(e)) => acc = Tri::from((mask & (1u64 << e) != 0) != neg),
                    Ok(None) => acc = U,
                    Err(()) => return Ok(None),
                },
                Op::EnumInParam { slot, param, mask } => {
                    match enum_of(tag(slot)) {
                        Ok(Some(e)) => acc = Tri::from(mask & (1u64 << e) != 0),
                        Ok(None) => acc = U,
                        Err(()) => return Ok(None),
                    }
                    if let Some(u) = self.params_used.get_mut(param as usize) {
                        *u = true;
                    }
                }
                Op::ConstInParam { hit, param } => {
                    acc = Tri::from(hit);
                    if let Some(u) = self.params_used.get_mut(param as usize) {
                        *u = true;
                    }
                }
                Op::IsKnown { slot } => acc = Tri::from(tag(slot) != TAG_UNKNOWN),
                Op::IntCmp { slot, op, k, param } => {
                    // `fb` reads the fact, then the param (marked used whatever the fact).
                    if param != NONE {
                        if let Some(u) = self.params_used.get_mut(param as usize) {
                            *u = true;
                        }
                    }
                    let x = match tag(slot) {
                        TAG_UNKNOWN => {
                            acc = U;
                            continue;
                        }
                        t if (TAG_INT..TAG_INT + 128).contains(&t) => i64::from(t - TAG_INT),
                        _ => match slots.get(slot as usize) {
                            Some(Value::Int(x)) => *x,
                            _ => return Ok(None),
                        },
                    };
                    acc = Tri::from(match op {
                        Cmp::Eq => x == k,
                        Cmp::Ne => x != k,
                        Cmp::Lt => x < k,
                        Cmp::Le => x <= k,
                        Cmp::Gt => x > k,
                        Cmp::Ge => x >= k,
                    });
                }
                Op::ConcBool { conc } => {
                    acc = match self.conclusion(conc)? {
                        Value::Bool(b) => Tri::from(*b),
                        Value::Unknown => U,
                        _ => return Ok(None),
                    }
                }
                Op::ConcKnown { conc } => {
                    acc = match self.conclusion(conc)? {
                        Value::Unknown => F,
                        Value::Set {
                            complete: false, ..
                        } => U,
                        _ => T,
                    }
                }
                Op::ConcEmpty { conc } => {
                    acc = match self.conclusion(conc)? {
                        Value::Set { bits, complete } => {
                            if *bits != 0 {
                                F
                            } else if *complete {
                                T
                            } else {
                                U
                            }
                        }
                        Value::Unknown => U,
                        _ => return Ok(None),
                    }
                }
                Op::ConcHas { conc, bit } => {
                    acc = match self.conclusion(conc)? {
                        Value::Set { bits, complete } => {
                            let hit = bits & (1u128 << (bit % 128)) != 0;
                            if hit {
                                T
                            } else if *complete {
                                F
                            } else {
                                U
                            }
                        }
                        Value::Unknown => U,
                        _ => return Ok(None),
                    }
                }
                Op::Mark { param } => {
                    if let Some(u) = self.params_used.get_mut(param as usize) {
                        *u = true;
                    }
                }
                Op::Set { v } => acc = v,
                Op::Node { node } => {
                    acc = match self.fb(fp, node)? {
                        Some(b) => Tri::from(b),
                        None => U,
                    }
                }
                Op::Not => {
                    if acc != U {
                        acc ^= 1;
                    }
                }
                Op::Init { reg, v } => {
                    if let Some(r) = regs.get_mut(reg as usize) {
                        *r = v;
                    }
                }
                Op::AndStep { reg, exit } => {
                    if acc == F {
                        pc = exit.wrapping_sub(base) as usize;
                    } else if acc == U {
                        if let Some(r) = regs.get_mut(reg as usize) {
                            *r = U;
                        }
                    }
                }
                Op::OrStep { reg, exit } => {
                    if acc == T {
                        pc = exit.wrapping_sub(base) as usize;
                    } else if acc == U {
                        if let Some(r) = regs.get_mut(reg as usize) {
                            *r = U;
                        }
                    }
                }
                Op::Load { reg } => acc = regs.get(reg as usize).copied().unwrap_or(U),
                Op::MemoLoad { slot, skip } => {
                    if let Some(&m) = self.fmemo.get(slot as usize) {
                        if m != NOT_DONE {
                            acc = m;
                            pc = skip.wrapping_sub(base) as usize;
                        }
                    }
                }
                Op::MemoStore { slot } => {
                    if let Some(m) = self.fmemo.get_mut(slot as usize) {
                        *m = acc;
                    }
                }
            }
        }
        Ok(match acc {
            F => Some(false),
            T => Some(true),
            _ => None,
        })
    }
}
