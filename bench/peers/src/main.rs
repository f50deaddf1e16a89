//! The peers of issue 7 on humiao-bench's workload: zen-engine 2.x (a JDM graph: input node →
//! expression node → output node) and cel-interpreter 0.10 (four CEL programs). Before timing,
//! every peer is checked against the hand-written typed baseline on every case.
//!
//! ```text
//! cd bench/peers && cargo build --release && ./target/release/humiao-bench-peers [--cases N] [--reps R] [--rows]
//! ```
//!
//! Prints the table of humiao-bench (engine, mode, ns/case, cases/s, ratio to the typed
//! baseline, measured here too); `--rows` prints tab-separated rows for humiao-bench to merge.

mod rules;

use humiao_bench::agreement::{compare, Disagreement};
use humiao_bench::answers::{Answers, Duty, HOTEL_VIOLATIONS, SITUATIONS, TRIGGERS};
use humiao_bench::baseline::typed;
use humiao_bench::table::{self, Row, EVALUATE, JSON_LINE, TYPED_BASELINE};
use humiao_bench::timing::{self, Job};
use humiao_bench::workload::{Case, Workload};
use serde_json::Value;
use std::error::Error;
use std::hint::black_box;
use std::ops::Range;
use std::process::ExitCode;
use std::sync::Arc;

// ------------------------------------------------------------------------------ zen-engine

struct Zen {
    decision: zen_engine::Decision,
}

impl Zen {
    fn new() -> Result<Zen, Box<dyn Error>> {
        let expressions: Vec<Value> = rules::ZEN
            .iter()
            .enumerate()
            .map(|(i, (k, v))| serde_json::json!({"id": format!("e{i}"), "key": k, "value": v}))
            .collect();
        let graph = serde_json::json!({
            "nodes": [
                {"id": "in", "type": "inputNode", "name": "case", "position": {"x": 0, "y": 0}, "content": {}},
                {"id": "rules", "type": "expressionNode", "name": "rules", "position": {"x": 200, "y": 0},
                 "content": {"expressions": expressions, "passThrough": false, "inputField": null,
                             "outputPath": null, "executionMode": "single"}},
                {"id": "out", "type": "outputNode", "name": "decision", "position": {"x": 400, "y": 0}, "content": {}}
            ],
            "edges": [
                {"id": "e1", "sourceId": "in", "targetId": "rules", "type": "edge"},
                {"id": "e2", "sourceId": "rules", "targetId": "out", "type": "edge"}
            ]
        });
        let content: zen_engine::model::DecisionContent = serde_json::from_value(graph)?;
        let engine = zen_engine::DecisionEngine::default();
        let mut decision = engine.create_decision(Arc::new(content))?;
        decision.compile();
        Ok(Zen { decision })
    }

    fn prepare(&self, line: &str) -> Result<zen_engine::Variable, String> {
        serde_json::from_str(line).map_err(|e| e.to_string())
    }

    #[inline(never)]
    fn evaluate(&self, ctx: &zen_engine::Variable) -> Result<zen_engine::Variable, String> {
        pollster::block_on(self.decision.evaluate(ctx.clone()))
            .map(|r| r.result)
            .map_err(|e| e.to_string())
    }

    #[inline(never)]
    fn json_line_to_decision(&self, line: &str) -> Result<String, String> {
        let out = self.evaluate(&self.prepare(line)?)?;
        serde_json::to_string(&out).map_err(|e| e.to_string())
    }

    fn answers(&self, line: &str) -> Result<Answers, String> {
        let out = self.evaluate(&self.prepare(line)?)?;
        answers_from_json(&serde_json::to_value(&out).map_err(|e| e.to_string())?)
    }
}

// ------------------------------------------------------------------------- cel-interpreter

struct Cel {
    programs: Vec<cel_interpreter::Program>,
}

const SECTIONS: [&str; 5] = ["reporter", "minor", "indicators", "hotel", "case"];
const STAGES: [&str; 3] = ["s1", "s2", "s3"];

/// JSON as CEL values; whole numbers as `int` (CEL does not compare `uint` with `int`).
fn cel_value(v: &Value) -> cel_interpreter::Value {
    use cel_interpreter::Value as C;
    match v {
        Value::Null => C::Null,
        Value::Bool(b) => C::Bool(*b),
        Value::Number(n) => n
            .as_i64()
            .map(C::Int)
            .unwrap_or_else(|| C::Float(n.as_f64().unwrap_or(f64::NAN))),
        Value::String(s) => C::String(Arc::new(s.clone())),
        Value::Array(a) => C::List(Arc::new(a.iter().map(cel_value).collect())),
        Value::Object(o) => {
            let map: std::collections::HashMap<cel_interpreter::objects::Key, C> = o
                .iter()
                .map(|(k, v)| (k.clone().into(), cel_value(v)))
                .collect();
            C::Map(cel_interpreter::objects::Map { map: Arc::new(map) })
        }
    }
}

impl Cel {
    fn new() -> Result<Cel, Box<dyn Error>> {
        let programs = rules::CEL
            .iter()
            .map(|p| cel_interpreter::Program::compile(p).map_err(|e| format!("{e:?}")))
            .collect::<Result<_, _>>()?;
        Ok(Cel { programs })
    }

    /// The case's context: one variable per section, `hotel` null when absent.
    fn prepare_value(&self, v: &Value) -> cel_interpreter::Context<'static> {
        let mut ctx = cel_interpreter::Context::default();
        for s in SECTIONS {
            ctx.add_variable_from_value(
                s,
                v.get(s).map_or(cel_interpreter::Value::Null, cel_value),
            );
        }
        ctx
    }

    fn prepare(&self, line: &str) -> Result<cel_interpreter::Context<'static>, String> {
        let v: Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
        Ok(self.prepare_value(&v))
    }

    #[inline(never)]
    fn evaluate(&self, ctx: &cel_interpreter::Context) -> Result<cel_interpreter::Value, String> {
        let mut scope = ctx.new_inner_scope();
        let mut out = cel_interpreter::Value::Null;
        for (i, p) in self.programs.iter().enumerate() {
            out = p.execute(&scope).map_err(|e| e.to_string())?;
            if let Some(name) = STAGES.get(i) {
                scope.add_variable_from_value(*name, out.clone());
            }
        }
        Ok(out)
    }

    #[inline(never)]
    fn json_line_to_decision(&self, line: &str) -> Result<String, String> {
        let out = self.evaluate(&self.prepare(line)?)?;
        let json = out.json().map_err(|e| format!("{e:?}"))?;
        Ok(json.to_string())
    }

    fn answers(&self, line: &str) -> Result<Answers, String> {
        let out = self.evaluate(&self.prepare(line)?)?;
        answers_from_json(&out.json().map_err(|e| format!("{e:?}"))?)
    }
}

// ------------------------------------------------------------------------------- answers

fn bits(v: Option<&Value>, all: &[&str]) -> Result<u32, String> {
    let mut b = 0;
    for x in v.and_then(Value::as_array).ok_or("expected a list")? {
        let name = x.as_str().unwrap_or_default();
        b |= Answers::bit_of(all, name).ok_or_else(|| format!("unexpected {x}"))?;
    }
    Ok(b)
}

/// Reads a peer's answer object (see [`rules`]).
fn answers_from_json(v: &Value) -> Result<Answers, String> {
    let flag = |k: &str| {
        v.get(k)
            .and_then(Value::as_bool)
            .ok_or(format!("{k}: not a bool in {v}"))
    };
    Ok(Answers {
        situations: bits(v.get("situations"), &SITUATIONS)? as u16,
        duty: v
            .get("duty")
            .and_then(Value::as_str)
            .and_then(Duty::from_name)
            .ok_or("duty")?,
        hotel_suspicious: v.get("hotel_suspicious").and_then(Value::as_bool),
        hotel_violations: bits(v.get("hotel_violations"), &HOTEL_VIOLATIONS)? as u8,
        triggers: bits(v.get("triggers"), &TRIGGERS)? as u8,
        consultation_required: flag("required")?,
        consultation_emergency: flag("emergency")?,
        obligations: bits(v.get("obligations"), &rules::OBLIGATION_NAMES)? as u8,
    })
}

// -------------------------------------------------------------------------------- timing

fn slice<T>(v: &[T], r: Range<usize>) -> &[T] {
    v.get(r).unwrap_or(&[])
}

struct Args {
    cases: usize,
    reps: usize,
    rows: bool,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        cases: 200_000,
        reps: 5,
        rows: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut num = || -> Result<usize, String> {
            it.next()
                .and_then(|s| s.replace('_', "").parse().ok())
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("{arg} needs a positive number"))
        };
        match arg.as_str() {
            "--cases" => a.cases = num()?,
            "--reps" => a.reps = num()?,
            "--quick" => {
                a.cases = 20_000;
                a.reps = 3;
            }
            "--rows" => a.rows = true,
            other => {
                return Err(format!(
                    "unknown argument {other}; usage: humiao-bench-peers [--cases N] [--reps R] [--quick] [--rows]"
                ))
            }
        }
    }
    Ok(a)
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("humiao-bench-peers: {e}");
            ExitCode::FAILURE
        }
    }
}

fn check(zen: &Zen, cel: &Cel, cases: &[Case], lines: &[String]) -> Result<(), Disagreement> {
    for (n, (case, line)) in cases.iter().zip(lines).enumerate() {
        let want = typed::decide(case);
        compare(
            n,
            case,
            "zen-engine",
            zen.answers(line),
            TYPED_BASELINE,
            &want,
        )?;
        compare(
            n,
            case,
            "cel-interpreter",
            cel.answers(line),
            TYPED_BASELINE,
            &want,
        )?;
    }
    Ok(())
}

fn run() -> Result<(), Box<dyn Error>> {
    let a = args()?;
    let n = a.cases;
    let zen = Zen::new()?;
    let cel = Cel::new()?;
    let cases = Workload::cases(n);
    let lines: Vec<String> = cases.iter().map(Case::to_json_line).collect();
    eprintln!("· peers: agreement with the typed baseline on {n} cases");
    check(&zen, &cel, &cases, &lines)?;

    let mut rows = Vec::new();
    let mut failed = 0usize;
    let zen_name = "zen-engine 2.1 (expression node)";
    let cel_name = "cel-interpreter 0.10";
    eprintln!("· peers: evaluate only");
    let ns = {
        let mut typed_job = Job::new(
            |r| slice(&cases, r).iter().collect(),
            |c: &&Case| {
                black_box(typed::decide(black_box(c)));
            },
        );
        let mut zen_job = Job::new(
            |r| {
                slice(&lines, r)
                    .iter()
                    .filter_map(|l| zen.prepare(l).ok())
                    .collect()
            },
            |ctx: &zen_engine::Variable| {
                black_box(zen.evaluate(black_box(ctx)).is_err());
            },
        );
        let mut cel_job = Job::new(
            |r| {
                slice(&lines, r)
                    .iter()
                    .filter_map(|l| cel.prepare(l).ok())
                    .collect()
            },
            |ctx: &cel_interpreter::Context| {
                black_box(cel.evaluate(black_box(ctx)).is_err());
            },
        );
        timing::measure(n, a.reps, &mut [&mut typed_job, &mut zen_job, &mut cel_job])
    };
    let [typed_ns, zen_ns, cel_ns] = ns[..] else {
        return Err("measure".into());
    };
    rows.push(Row::timed(TYPED_BASELINE, EVALUATE, typed_ns));
    rows.push(Row::timed(zen_name, EVALUATE, zen_ns).note("context: a zen Variable, parsed ahead"));
    rows.push(
        Row::timed(cel_name, EVALUATE, cel_ns).note("context: CEL values, built ahead; 4 programs"),
    );

    eprintln!("· peers: JSON line → decision");
    let ns = {
        let prepare_lines = |r: Range<usize>| -> Vec<&String> { slice(&lines, r).iter().collect() };
        let mut fails = [0usize; 3];
        let [f0, f1, f2] = &mut fails;
        let mut typed_job = Job::new(prepare_lines, |l: &&String| {
            *f0 += usize::from(black_box(typed::json_line_to_decision(black_box(l))).is_err());
        });
        let mut zen_job = Job::new(prepare_lines, |l: &&String| {
            *f1 += usize::from(black_box(zen.json_line_to_decision(black_box(l))).is_err());
        });
        let mut cel_job = Job::new(prepare_lines, |l: &&String| {
            *f2 += usize::from(black_box(cel.json_line_to_decision(black_box(l))).is_err());
        });
        let ns = timing::measure(n, a.reps, &mut [&mut typed_job, &mut zen_job, &mut cel_job]);
        failed += fails.iter().sum::<usize>();
        ns
    };
    let [typed_ns, zen_ns, cel_ns] = ns[..] else {
        return Err("measure".into());
    };
    rows.push(Row::timed(TYPED_BASELINE, JSON_LINE, typed_ns));
    rows.push(
        Row::timed(zen_name, JSON_LINE, zen_ns)
            .note("serde into a zen Variable, evaluate, to JSON text"),
    );
    rows.push(
        Row::timed(cel_name, JSON_LINE, cel_ns)
            .note("serde_json::Value → CEL values, evaluate, to JSON text"),
    );
    if failed > 0 {
        return Err(format!("{failed} evaluations failed while timing").into());
    }

    if a.rows {
        for r in &rows {
            println!("{}", r.to_tsv());
        }
    } else {
        table::set_ratios(&mut rows);
        println!("{}", table::machine());
        println!(
            "workload: {n} cases of humiao-bench; median of {} passes\n",
            a.reps
        );
        print!("{}", table::render(&rows));
    }
    Ok(())
}
