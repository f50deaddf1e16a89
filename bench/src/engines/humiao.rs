//! humiao through its public API: `Policy::from_sources`, `load_facts_text`, `evaluate`,
//! `evaluate_json_into`, `evaluate_text`, `Decision::to_json`. The only module of the harness
//! that names humiao.

use crate::answers::*;
use humiao_core::facts::{Cell, RowsBlock};
use humiao_core::time::Date;
use humiao_core::{
    BatchOutcome, Decision, DecisionBuffers, EvalOptions, Facts, FactsOptions, LoadOptions,
    Outcome, Policy, Source, Status,
};
use serde_json::Value;

/// A case in the form humiao evaluates: facts loaded against the schema.
pub type Prepared = Facts;

/// The workload's policy, compiled once, with the options every case is decided with.
pub struct Humiao {
    policy: Policy,
    as_of: Date,
    plain: EvalOptions,
    explain: EvalOptions,
    facts: FactsOptions,
}

impl Humiao {
    /// Compiles a policy set given as (path, text) pairs.
    pub fn new(sources: &[(String, String)], as_of: &str) -> Result<Humiao, String> {
        let policy = compile(sources)?;
        let as_of = Date::parse(as_of).map_err(|e| format!("as-of {as_of}: {e:?}"))?;
        Ok(Humiao {
            policy,
            as_of,
            plain: EvalOptions::default(),
            explain: EvalOptions {
                explain: true,
                ..EvalOptions::default()
            },
            facts: FactsOptions::default(),
        })
    }

    /// Loads a case's JSON text into facts (ahead of timing, for "evaluate only").
    pub fn prepare(&self, line: &str) -> Result<Prepared, String> {
        self.policy
            .load_facts_text(line, &self.facts)
            .map_err(|e| format!("facts: {e:?}"))
    }

    /// Loads a case's JSON text with the two-pass reader alone (a `serde_json::Value`, then a
    /// walk against the schema): what `load_facts_text` did before the one-pass reader.
    pub fn prepare_two_pass(&self, line: &str) -> Result<Prepared, String> {
        self.policy
            .load_facts_text_two_pass(line, &self.facts)
            .map_err(|e| format!("facts: {e:?}"))
    }

    /// Evaluate only: loaded facts → `Decision`.
    #[inline(never)]
    pub fn evaluate(&self, facts: &Prepared) -> Result<Decision, String> {
        self.policy
            .evaluate(facts, self.as_of, &self.plain)
            .map_err(|e| e.to_string())
    }

    /// Evaluate only, the conclusions: loaded facts → the values of every conclusion and the
    /// state of every rule in a reused `Outcome` (no `Decision` built) — what the hand-written
    /// function computes.
    #[inline(never)]
    pub fn evaluate_outcome(&self, facts: &Prepared, out: &mut Outcome) -> Result<(), String> {
        self.policy
            .evaluate_outcome(facts, self.as_of, &self.plain, out)
            .map_err(|e| e.to_string())
    }

    /// Evaluate only, many cases at once: loaded facts → every case's conclusions and rule
    /// states in a reused `BatchOutcome` (64 cases at a time where the lanes decide them).
    #[inline(never)]
    pub fn evaluate_batch(&self, facts: &[Prepared], out: &mut BatchOutcome) {
        self.policy
            .evaluate_batch(facts, self.as_of, &self.plain, out);
    }

    /// Loads cases' JSON texts as a table's rows, 64 to a block, in humiao's columnar form
    /// (`RowsBlock`: per fact the rows' tags, written column by column with
    /// `Policy::rows_writer`), ahead of timing, for "evaluate only" over columns. Every fact a
    /// table cell can hold is a column; a row the writer does not read is an error.
    pub fn prepare_rows(&self, lines: &[&String]) -> Result<Vec<RowsBlock>, String> {
        let p = &self.policy;
        let paths = p.cell_fact_paths();
        let reader = p
            .row_reader(&paths)
            .ok_or("the schema's facts cannot be a table's columns")?;
        let mut blocks = Vec::new();
        for chunk in lines.chunks(64) {
            let cases: Vec<Value> = chunk
                .iter()
                .map(|l| serde_json::from_str(l).map_err(|e| e.to_string()))
                .collect::<Result<_, _>>()?;
            let mut block = RowsBlock::new();
            let mut w = p.rows_writer(&reader, &self.facts, &mut block, chunk.len());
            for (col, path) in paths.iter().enumerate() {
                let cells: Vec<_> = cases
                    .iter()
                    .map(|c| p.resolve_cell(&reader, col, Cell::of_json(c, path), &self.facts))
                    .collect();
                w.put_column(col, &cells);
            }
            let read = w.finish();
            if read.count_ones() as usize != chunk.len() {
                return Err(format!("rows not read as columns: {read:#x}"));
            }
            blocks.push(block);
        }
        Ok(blocks)
    }

    /// Evaluate only over columns: a block of rows → every row's conclusions and rule states
    /// in a reused `BatchOutcome`.
    #[inline(never)]
    pub fn evaluate_rows(&self, rows: &RowsBlock, out: &mut BatchOutcome) {
        self.policy
            .evaluate_rows(rows, self.as_of, &self.plain, out);
    }

    /// `evaluate_rows` agrees with `evaluate_outcome` of the same cases loaded from their
    /// JSON: errors, whether settled, every conclusion and fired rule. Returns how many rows
    /// were decided together.
    pub fn check_rows(&self, rows: &RowsBlock, facts: &[Prepared]) -> Result<usize, String> {
        let mut b = BatchOutcome::new();
        self.evaluate_rows(rows, &mut b);
        if b.len() != facts.len() {
            return Err("a block of rows and its cases differ in length".into());
        }
        let mut o = Outcome::new();
        for (i, f) in facts.iter().enumerate() {
            let r = self.evaluate_outcome(f, &mut o);
            if r.is_err() != b.error(i).is_some() || b.settled(i) != o.settled() {
                return Err(format!(
                    "row {i}: rows and outcome differ in error or settling"
                ));
            }
            for (ci, c) in self.policy.program.conclusions.iter().enumerate() {
                if b.conclusion(i, ci) != o.conclusion(ci).cloned() {
                    return Err(format!("row {i}: {} differs", c.key));
                }
            }
            for (ri, rule) in self.policy.program.rules.iter().enumerate() {
                if b.fired(i, ri) != o.fired(ri) {
                    return Err(format!("row {i}: rule {} differs", rule.id));
                }
            }
        }
        Ok(b.decided_together())
    }

    /// The batch agrees with `evaluate_outcome` on every case: errors, whether settled, every
    /// conclusion and fired rule. Returns how many cases the batch decided together.
    pub fn check_batch(&self, facts: &[Prepared]) -> Result<usize, String> {
        let mut b = BatchOutcome::new();
        self.evaluate_batch(facts, &mut b);
        let mut o = Outcome::new();
        for (i, f) in facts.iter().enumerate() {
            let r = self.evaluate_outcome(f, &mut o);
            if r.is_err() != b.error(i).is_some() || b.settled(i) != o.settled() {
                return Err(format!(
                    "case {i}: batch and outcome differ in error or settling"
                ));
            }
            for (ci, c) in self.policy.program.conclusions.iter().enumerate() {
                if b.conclusion(i, ci) != o.conclusion(ci).cloned() {
                    return Err(format!("case {i}: {} differs", c.key));
                }
            }
            for (ri, rule) in self.policy.program.rules.iter().enumerate() {
                if b.fired(i, ri) != o.fired(ri) {
                    return Err(format!("case {i}: rule {} differs", rule.id));
                }
            }
        }
        Ok(b.decided_together())
    }

    /// Evaluate only with the reference evaluator (no fast path): loaded facts → `Decision`.
    #[inline(never)]
    pub fn evaluate_reference(&self, facts: &Prepared) -> Result<Decision, String> {
        self.policy
            .evaluate_reference(facts, self.as_of, &self.plain)
            .map_err(|e| e.to_string())
    }

    /// The outcome of a case agrees with its decision: every conclusion the decision gives,
    /// and no other, with the same value.
    pub fn check_outcome(&self, facts: &Prepared, d: &Decision) -> Result<(), String> {
        let mut out = Outcome::new();
        self.evaluate_outcome(facts, &mut out)?;
        if !out.settled() {
            return Err("the outcome did not settle".into());
        }
        for (i, c) in self.policy.program.conclusions.iter().enumerate() {
            let v = out.conclusion(i).ok_or("a conclusion is undecided")?;
            let want = d.conclusions.get(&c.key).filter(|v| !v.is_null());
            let got = v.is_known().then(|| self.policy.schema.to_json(&c.ty, v));
            if want != got.as_ref() {
                return Err(format!("{}: outcome {got:?}, decision {want:?}", c.key));
            }
        }
        Ok(())
    }

    /// Evaluate with the trace of every rule's conditions.
    #[inline(never)]
    pub fn explain(&self, facts: &Prepared) -> Result<Decision, String> {
        self.policy
            .evaluate(facts, self.as_of, &self.explain)
            .map_err(|e| e.to_string())
    }

    /// JSON line → decision JSON text, what `humiao eval --format jsonl` does per line:
    /// `evaluate_text_into` (`load_facts_text` into reused facts buffers, then
    /// `evaluate_json_into`) into `b`'s text (cleared first).
    #[inline(never)]
    pub fn json_line_to_decision<'b>(
        &self,
        line: &str,
        b: &'b mut JsonBuffers,
    ) -> Result<&'b [u8], String> {
        b.text.clear();
        self.policy
            .evaluate_text_into(
                line,
                self.as_of,
                &self.plain,
                &self.facts,
                &mut b.decision,
                &mut b.text,
            )
            .map_err(|e| format!("{e:?}"))?;
        Ok(&b.text)
    }

    /// JSON line → decision JSON text through the `Decision`: `load_facts_text`, `evaluate`,
    /// `to_json` (how the CLI did it before `evaluate_json_into`).
    #[inline(never)]
    pub fn json_line_via_decision(&self, line: &str) -> Result<String, String> {
        self.policy
            .evaluate_text(line, self.as_of, &self.plain, &self.facts)
            .map(|d| d.to_json())
            .map_err(|e| e.to_string())
    }

    /// Loaded facts → decision JSON text with `evaluate_json_into` (evaluating and writing,
    /// the last two parts of "JSON line → decision").
    #[inline(never)]
    pub fn evaluate_json<'b>(
        &self,
        facts: &Prepared,
        b: &'b mut JsonBuffers,
    ) -> Result<&'b [u8], String> {
        b.text.clear();
        self.policy
            .evaluate_json_into(facts, self.as_of, &self.plain, &mut b.decision, &mut b.text)
            .map_err(|e| e.to_string())?;
        Ok(&b.text)
    }

    /// Writes a decision as JSON text with `to_json` (the last part of "JSON line → decision"
    /// through the `Decision`).
    #[inline(never)]
    pub fn write(&self, decision: &Decision) -> String {
        decision.to_json()
    }

    /// humiao's answers to the workload's questions, for the agreement check.
    pub fn answers(&self, facts: &Prepared) -> Result<Answers, String> {
        answers(&self.evaluate(facts)?)
    }
}

/// What humiao's JSON-line path keeps between cases: the evaluator's buffers and the text.
#[derive(Debug, Default)]
pub struct JsonBuffers {
    decision: DecisionBuffers,
    text: Vec<u8>,
}

/// Checks and compiles a policy set; the number of rules.
pub fn compile_rules(sources: &[(String, String)]) -> Result<usize, String> {
    compile(sources).map(|p| p.program.rules.len())
}

fn compile(sources: &[(String, String)]) -> Result<Policy, String> {
    let sources: Vec<Source> = sources
        .iter()
        .map(|(p, t)| Source::new(p.clone(), t.clone()))
        .collect();
    Policy::from_sources(&sources, &LoadOptions::default()).map_err(|e| {
        let first: Vec<String> = e
            .diagnostics
            .iter()
            .take(5)
            .map(|d| format!("{} {}:{}: {}", d.code, d.file, d.line, d.message))
            .collect();
        format!("{e}: {}", first.join("; "))
    })
}

fn set_bits(v: Option<&Value>, all: &[&str]) -> Result<u32, String> {
    let mut bits = 0;
    for item in v.and_then(Value::as_array).into_iter().flatten() {
        let name = item.as_str().unwrap_or_default();
        bits |= Answers::bit_of(all, name).ok_or_else(|| format!("unexpected member {item}"))?;
    }
    Ok(bits)
}

/// Reads the workload's conclusions and obligations out of a decision. A decision that is not
/// determined is an error: the workload gives every fact its rules read.
pub fn answers(d: &Decision) -> Result<Answers, String> {
    if d.status != Status::Determined {
        return Err(format!(
            "status {:?}, undecided {:?}, missing {:?}",
            d.status, d.undecided, d.missing
        ));
    }
    let c = |k: &str| d.conclusions.get(k).filter(|v| !v.is_null());
    let duty = c("reporting.duty")
        .and_then(Value::as_str)
        .and_then(Duty::from_name)
        .ok_or("reporting.duty has no value")?;
    let mut obligations = 0u8;
    for o in &d.obligations {
        let bit = OBLIGATIONS
            .iter()
            .position(|w| {
                w.rule == o.rule
                    && w.actor == o.actor
                    && w.action == o.action
                    && w.party == o.party.as_deref()
            })
            .map_or(OTHER_OBLIGATION, |i| 1 << i);
        obligations |= bit;
    }
    let flag = |k: &str| c(k).and_then(Value::as_bool).unwrap_or(false);
    Ok(Answers {
        situations: set_bits(c("reporting.situations"), &SITUATIONS)? as u16,
        duty,
        hotel_suspicious: c("hotel.suspicious").and_then(Value::as_bool),
        hotel_violations: set_bits(c("hotel.violations"), &HOTEL_VIOLATIONS)? as u8,
        triggers: set_bits(c("consultation.triggers"), &TRIGGERS)? as u8,
        consultation_required: flag("consultation.required"),
        consultation_emergency: flag("consultation.emergency"),
        obligations,
    })
}
