//! The decision's JSON written straight from the evaluator, without building a [`Decision`].
//!
//! [`Decision::to_json`] is the reference: every surface prints its bytes. Building the
//! `Decision` (strings for every rule id, title, citation and assumption, JSON values for the
//! conclusions) and serialising it cost more than evaluating, although most of the text is the
//! same in every decision of a policy. So [`DecisionJson`] serialises the constant parts once
//! per policy — the policy reference, each obligation's fields but its deadline and due time,
//! conclusion keys and enum names, assumptions, rule ids — and [`Evaluator::write_json`] adds
//! only what the case decides, in the order `decision()` works it out (due times, notes, then the
//! explanation), so the bytes are the reference's.
//!
//! Only determined decisions are written this way. A case with anything undecided or in
//! conflict, or an obligation whose due time is unknown, is written by `to_json` of the
//! `Decision` (see [`Written`]); `tests/tests/json_out.rs` holds both to the same bytes.

use super::*;
use crate::time::push_int;

/// The constant parts of a policy's decision JSON. Built once per policy.
#[derive(Debug, Default)]
pub(crate) struct DecisionJson {
    /// `{"policy":{…},"case_id":`
    head: Vec<u8>,
    /// Per rule, in program order.
    rules: Vec<RuleJson>,
    /// Per conclusion, in program order.
    conclusions: Vec<ConclusionJson>,
    /// Per param: its entry of `assumptions` when it is unconfirmed.
    assumptions: Vec<Option<Box<[u8]>>>,
}

#[derive(Debug, Default)]
struct RuleJson {
    /// The rule id as a JSON string (an entry of `fired`).
    id: Box<[u8]>,
    obligations: Vec<ObligationJson>,
}

/// An entry of `obligations` but its deadline text and due time.
#[derive(Debug, Default)]
struct ObligationJson {
    /// `{"id":…,"rule":…,"title":…,"cite":[…],"action":…,"actor":…,"party":…,"deadline":`
    head: Box<[u8]>,
    /// `,"with":[…]}`, or `}` when `with` is empty (the contract leaves it out).
    tail: Box<[u8]>,
}

#[derive(Debug)]
struct ConclusionJson {
    /// `"key":`
    key: Box<[u8]>,
    ty: Type,
    /// For an enum or set type, the JSON string of each name of its enum.
    names: Vec<Box<[u8]>>,
}

/// A JSON string, escaped as serde_json escapes it (the reference's escaping, by construction).
fn string(out: &mut Vec<u8>, s: &str) {
    // Writing to a Vec cannot fail, nor can serialising a str.
    let _ = serde_json::to_writer(&mut *out, s);
}

fn json<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, v: &T) {
    let _ = serde_json::to_writer(&mut *out, v);
}

/// A text that needs no escaping (dates, date times, durations, deadline texts: ASCII digits,
/// letters and `-:+ `) as a JSON string, from its `push_text`.
fn plain_string(out: &mut Vec<u8>, push_text: impl FnOnce(&mut Vec<u8>)) {
    out.push(b'"');
    push_text(out);
    out.push(b'"');
}

impl DeadlineText {
    /// Appends the `Display` text to `out`.
    fn push_text(self, out: &mut Vec<u8>) {
        match self {
            DeadlineText::Immediately => out.extend_from_slice(b"immediately"),
            DeadlineText::Within(d) => d.push_text(out),
            DeadlineText::Unknown => out.extend_from_slice(b"unknown"),
            DeadlineText::ByADate => out.extend_from_slice(b"by a date"),
            DeadlineText::By(d) => {
                out.extend_from_slice(b"by ");
                d.push_text(out);
            }
        }
    }
}

fn boxed(f: impl FnOnce(&mut Vec<u8>)) -> Box<[u8]> {
    let mut v = Vec::new();
    f(&mut v);
    v.into_boxed_slice()
}

impl DecisionJson {
    pub(crate) fn build(policy: &PolicyRef, prog: &Program, schema: &Schema) -> DecisionJson {
        let mut head = b"{\"policy\":".to_vec();
        json(&mut head, policy);
        head.extend_from_slice(b",\"case_id\":");
        let rules = prog
            .rules
            .iter()
            .map(|r| RuleJson {
                id: boxed(|v| string(v, &r.id)),
                obligations: r
                    .obligations
                    .iter()
                    .enumerate()
                    .map(|(oi, o)| ObligationJson {
                        head: boxed(|v| {
                            v.extend_from_slice(b"{\"id\":");
                            string(v, &format!("{}#{}", r.id, oi + 1));
                            v.extend_from_slice(b",\"rule\":");
                            string(v, &r.id);
                            v.extend_from_slice(b",\"title\":");
                            json(v, &r.title);
                            v.extend_from_slice(b",\"cite\":");
                            json(v, &r.cites);
                            v.extend_from_slice(b",\"action\":");
                            string(v, &o.action);
                            v.extend_from_slice(b",\"actor\":");
                            string(v, &o.actor);
                            v.extend_from_slice(b",\"party\":");
                            json(v, &o.party);
                            v.extend_from_slice(b",\"deadline\":");
                        }),
                        tail: boxed(|v| {
                            if !o.with.is_empty() {
                                v.extend_from_slice(b",\"with\":");
                                json(v, &o.with);
                            }
                            v.push(b'}');
                        }),
                    })
                    .collect(),
            })
            .collect();
        let conclusions = prog
            .conclusions
            .iter()
            .map(|c| {
                let names = match c.ty {
                    Type::Enum(id) | Type::Set(id) => schema
                        .enum_def(id)
                        .map(|e| e.variants.iter().map(|n| boxed(|v| string(v, n))).collect())
                        .unwrap_or_default(),
                    _ => Vec::new(),
                };
                ConclusionJson {
                    key: boxed(|v| {
                        string(v, &c.key);
                        v.push(b':');
                    }),
                    ty: c.ty.clone(),
                    names,
                }
            })
            .collect();
        let assumptions = prog
            .params
            .iter()
            .map(|p| {
                let why = p.unconfirmed.as_deref()?;
                Some(boxed(|v| {
                    v.extend_from_slice(b"{\"param\":");
                    string(v, &p.key);
                    v.extend_from_slice(b",\"value\":");
                    string(v, &p.text);
                    v.extend_from_slice(b",\"why\":");
                    string(v, why);
                    v.push(b'}');
                }))
            })
            .collect();
        DecisionJson {
            head,
            rules,
            conclusions,
            assumptions,
        }
    }
}

impl DecisionJson {
    /// An outcome as one JSON object (see [`crate::Policy::write_outcome_json`]): the
    /// conclusions `keys` in that order, the `k`th `value(k)` written as a decision writes it,
    /// or `null` where it is `None` or unknown.
    pub(crate) fn write_outcome<V: std::borrow::Borrow<Value>>(
        &self,
        schema: &Schema,
        case_id: Option<&str>,
        settled: bool,
        keys: &[usize],
        mut value: impl FnMut(usize) -> Option<V>,
        out: &mut Vec<u8>,
    ) {
        out.extend_from_slice(b"{\"case_id\":");
        match case_id {
            Some(id) => string(out, id),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(if settled {
            b",\"settled\":true,\"conclusions\":{"
        } else {
            b",\"settled\":false,\"conclusions\":{"
        });
        let mut first = true;
        for (k, &ci) in keys.iter().enumerate() {
            let Some(cj) = self.conclusions.get(ci) else {
                continue;
            };
            if !first {
                out.push(b',');
            }
            first = false;
            out.extend_from_slice(&cj.key);
            match value(k) {
                Some(v) if v.borrow().is_known() => write_value(schema, cj, v.borrow(), out),
                _ => out.extend_from_slice(b"null"),
            }
        }
        out.extend_from_slice(b"}}");
    }
}

/// What [`Policy::evaluate_json_into`](crate::Policy::evaluate_json_into) keeps between cases:
/// the evaluator's buffers, and notes added after every decision's own (the CLI's note that
/// the as-of date was today's).
#[derive(Debug, Default)]
pub struct DecisionBuffers {
    pub(crate) state: EvalState,
    pub(crate) notes: Vec<String>,
    /// The facts of the last line read by `evaluate_text_into`, whose buffers the next
    /// line reuses.
    pub(crate) facts: crate::facts::Facts,
}

impl DecisionBuffers {
    pub fn new() -> DecisionBuffers {
        DecisionBuffers::default()
    }

    /// Buffers that add `notes` at the end of every decision's `notes`, as a caller pushing
    /// them onto [`Decision::notes`] before [`Decision::to_json`] would.
    pub fn with_notes(notes: Vec<String>) -> DecisionBuffers {
        DecisionBuffers {
            notes,
            ..DecisionBuffers::default()
        }
    }
}

/// How [`Evaluator::write_json`] ended.
pub(crate) enum Written {
    /// The decision is written.
    Done,
    /// Nothing was written and the evaluator is as the run left it: the decision is not
    /// determined, build it with `decision()`.
    NotDetermined,
    /// Nothing was written, but the evaluator has moved on (due times were worked out): an
    /// obligation's due time is unknown, evaluate the case again and build its decision.
    Again,
}

impl Evaluator<'_> {
    /// Writes the decision `decision()` would give, as `to_json` would write it, after a run
    /// (fast or reference) has finished. On anything but [`Written::Done`], or an error,
    /// `out` is as it was.
    pub(crate) fn write_json(
        &mut self,
        dj: &DecisionJson,
        opts: &EvalOptions,
        extra_notes: &[String],
        out: &mut Vec<u8>,
    ) -> Result<Written, EvalError> {
        let undetermined = !self.conflicts.is_empty()
            || self.conc_undecided.iter().any(|&u| u)
            || self
                .prog
                .rules
                .iter()
                .zip(&self.rule_state)
                .any(|(r, &s)| s == RuleState::Undecided && !r.obligations.is_empty());
        if undetermined {
            return Ok(Written::NotDetermined);
        }
        let start = out.len();
        let r = self.write_determined(dj, opts, extra_notes, out);
        if !matches!(r, Ok(Written::Done)) {
            out.truncate(start);
        }
        r
    }

    fn write_determined(
        &mut self,
        dj: &DecisionJson,
        opts: &EvalOptions,
        extra_notes: &[String],
        out: &mut Vec<u8>,
    ) -> Result<Written, EvalError> {
        let prog = self.prog;
        out.extend_from_slice(&dj.head);
        match &self.facts.case_id {
            Some(id) => string(out, id),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"as_of\":");
        plain_string(out, |o| self.as_of.push_text(o));
        out.extend_from_slice(b",\"status\":\"determined\",\"obligations\":[");
        // Rule by rule as `decision()` goes: a fired rule's notes, then its obligations' due
        // times (which may add the calendar's note), so the notes come in the same order.
        let default_trigger = prog.trigger_fact.map(Ex::Fact);
        let mut first = true;
        for (ri, r) in prog.rules.iter().enumerate() {
            if self.rule_state.get(ri) != Some(&RuleState::Fired) {
                continue;
            }
            for n in &r.notes {
                if !self.notes_seen.contains(n.as_str()) {
                    self.note(n.clone());
                }
            }
            let oj = dj.rules.get(ri).map_or(&[][..], |x| &x.obligations);
            for (o, oj) in r.obligations.iter().zip(oj) {
                let (due, text) = self.due_at(o, default_trigger.as_ref())?;
                let Some(due) = due else {
                    return Ok(Written::Again);
                };
                if !first {
                    out.push(b',');
                }
                first = false;
                out.extend_from_slice(&oj.head);
                plain_string(out, |o| text.push_text(o));
                out.extend_from_slice(b",\"due\":");
                plain_string(out, |o| due.push_text(o));
                out.extend_from_slice(&oj.tail);
            }
        }
        out.extend_from_slice(b"],\"conclusions\":{");
        let mut first = true;
        for (v, cj) in self.conc.iter().zip(&dj.conclusions) {
            if !v.is_known() {
                continue;
            }
            if !first {
                out.push(b',');
            }
            first = false;
            out.extend_from_slice(&cj.key);
            self.write_value(cj, v, out);
        }
        out.extend_from_slice(b"},\"undecided\":[],\"missing\":[],\"assumptions\":[");
        let mut first = true;
        for (a, &used) in dj.assumptions.iter().zip(&self.params_used) {
            if let (Some(a), true) = (a, used) {
                if !first {
                    out.push(b',');
                }
                first = false;
                out.extend_from_slice(a);
            }
        }
        // The explanation is worked out before the notes are read, as in `decision()`: it may
        // add a note.
        let trace = if opts.explain {
            Some(self.trace(opts)?)
        } else {
            None
        };
        out.extend_from_slice(b"],\"notes\":[");
        let notes = self
            .facts
            .notes
            .iter()
            .chain(&self.notes)
            .chain(extra_notes);
        for (i, n) in notes.enumerate() {
            if i > 0 {
                out.push(b',');
            }
            string(out, n);
        }
        out.extend_from_slice(b"],\"fired\":[");
        let mut first = true;
        for (s, rj) in self.rule_state.iter().zip(&dj.rules) {
            if *s == RuleState::Fired {
                if !first {
                    out.push(b',');
                }
                first = false;
                out.extend_from_slice(&rj.id);
            }
        }
        out.extend_from_slice(b"],\"trace\":");
        match &trace {
            Some(t) => {
                if serde_json::to_writer(&mut *out, t).is_err() {
                    return Ok(Written::Again);
                }
            }
            None => out.extend_from_slice(b"null"),
        }
        out.push(b'}');
        Ok(Written::Done)
    }

    fn write_value(&self, cj: &ConclusionJson, v: &Value, out: &mut Vec<u8>) {
        write_value(self.schema, cj, v, out);
    }
}

/// A conclusion's value as `Schema::to_json` gives it and serde_json writes it: the common
/// kinds directly, the rest (decimals, lists, records) through `to_json`.
fn write_value(schema: &Schema, cj: &ConclusionJson, v: &Value, out: &mut Vec<u8>) {
    const UNNAMED: &[u8] = b"\"?\"";
    match v {
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Int(i) => push_int(out, *i),
        Value::Text(s) => string(out, s),
        Value::Date(d) => plain_string(out, |o| d.push_text(o)),
        Value::DateTime(d) => plain_string(out, |o| d.push_text(o)),
        Value::Duration(d) => plain_string(out, |o| d.push_text(o)),
        Value::Enum(i) if matches!(cj.ty, Type::Enum(_)) => {
            out.extend_from_slice(cj.names.get(usize::from(*i)).map_or(UNNAMED, |n| n));
        }
        Value::Set { bits, .. } => {
            out.push(b'[');
            let mut rest = *bits;
            let mut first = true;
            while rest != 0 {
                let i = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                if !first {
                    out.push(b',');
                }
                first = false;
                out.extend_from_slice(cj.names.get(i).map_or(UNNAMED, |n| n));
            }
            out.push(b']');
        }
        _ => json(out, &schema.to_json(&cj.ty, v)),
    }
}
