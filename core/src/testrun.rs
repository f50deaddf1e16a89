//! Runs the tests written inside policy files and reports each failure with what was
//! expected and what came out.

use crate::decision::{Decision, Status};
use crate::eval::{EvalOptions, Evaluator};
use crate::ir::{CompiledTest, Ex, ExpectKind};
use crate::model::Value;
use crate::policy::{FactsOptions, Policy};
use crate::time::{Date, DateTime};
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct TestFailure {
    pub expectation: String,
    pub line: usize,
    pub expected: String,
    pub actual: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct TestResult {
    pub file: String,
    pub line: usize,
    pub title: String,
    pub passed: bool,
    pub failures: Vec<TestFailure>,
    /// Set when the test could not run at all (bad facts, no date).
    pub error: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TestReport {
    pub passed: usize,
    pub failed: usize,
    pub results: Vec<TestResult>,
}

/// A runner for plan tests, supplied by the planner (kept apart so decisions do not depend on it).
pub type PlanRunner<'a> = &'a dyn Fn(&Policy, &CompiledTest) -> Result<Vec<TestFailure>, String>;

impl Policy {
    /// Runs every test in the set. Plan tests are run by `plan_runner`.
    pub fn run_tests_with(&self, plan_runner: Option<PlanRunner>) -> TestReport {
        let mut results = Vec::new();
        for t in &self.tests {
            let file = self.files.get(t.file);
            let line_of = |span: humiao_grammar::ast::Span| {
                file.map_or(0, |f| f.lines.line_col(&f.text, span.start as usize).0)
            };
            let mut r = TestResult {
                file: file.map(|f| f.path.clone()).unwrap_or_default(),
                line: line_of(t.span),
                title: t.title.clone(),
                passed: false,
                failures: Vec::new(),
                error: None,
            };
            if t.plan.is_some() {
                match plan_runner {
                    Some(run) => match run(self, t) {
                        Ok(f) => r.failures = f,
                        Err(e) => r.error = Some(e),
                    },
                    None => {
                        r.error = Some(
                            "plan tests need the planner; none was given / 计划测试需要排程器"
                                .into(),
                        )
                    }
                }
            } else {
                match self.run_decision_test(t, &line_of) {
                    Ok(f) => r.failures = f,
                    Err(e) => r.error = Some(e),
                }
            }
            r.passed = r.error.is_none() && r.failures.is_empty();
            results.push(r);
        }
        let passed = results.iter().filter(|r| r.passed).count();
        TestReport {
            passed,
            failed: results.len() - passed,
            results,
        }
    }

    fn run_decision_test(
        &self,
        t: &CompiledTest,
        line_of: &dyn Fn(humiao_grammar::ast::Span) -> usize,
    ) -> Result<Vec<TestFailure>, String> {
        let owned;
        let policy = if t.params.is_empty() {
            self
        } else {
            owned = self.with_param_values(&t.params);
            &owned
        };
        let facts = policy
            .load_facts(&t.given, &FactsOptions::default())
            .map_err(|errs| {
                let lines: Vec<String> = errs
                    .iter()
                    .map(|e| format!("{} / {}", e.message, e.message_zh))
                    .collect();
                format!("the test's facts are invalid: {}", lines.join("; "))
            })?;
        let as_of = match t.as_of {
            Some(d) => d,
            None => discovered_date(&t.given).ok_or_else(|| {
                "the test has no `as_of` and no `discovered_at` to take the date from / 测试既没有 `as_of` 也没有 `discovered_at`".to_string()
            })?,
        };
        let opts = EvalOptions::default();
        let mut ev = Evaluator::new(
            &policy.program,
            &policy.schema,
            &facts,
            as_of,
            opts.max_steps,
        );
        ev.run().map_err(|e| e.to_string())?;
        let d = ev
            .decision(policy.reference(), &opts)
            .map_err(|e| e.to_string())?;
        let mut failures = Vec::new();
        for e in &t.expects {
            let fail = |expected: String, actual: String| TestFailure {
                expectation: e.text.clone(),
                line: line_of(e.span),
                expected,
                actual,
            };
            match &e.kind {
                ExpectKind::Status(s) => {
                    let actual = status_name(d.status);
                    if actual != s {
                        failures.push(fail(
                            format!("status {s}"),
                            format!("status {actual}{}", undecided_hint(&d)),
                        ));
                    }
                }
                ExpectKind::Missing { first, fact } => {
                    let pos = d.missing.iter().position(|m| &m.fact == fact);
                    let ok = match pos {
                        Some(0) => true,
                        Some(_) => !first,
                        None => false,
                    };
                    if !ok {
                        let listed: Vec<&str> = d.missing.iter().map(|m| m.fact.as_str()).collect();
                        let want = if *first {
                            format!("`{fact}` first among missing facts")
                        } else {
                            format!("`{fact}` among missing facts")
                        };
                        failures.push(fail(want, format!("missing: [{}]", listed.join(", "))));
                    }
                }
                ExpectKind::Fired(id) => {
                    if !d.fired.contains(id) {
                        failures.push(fail(
                            format!("`{id}` fired"),
                            format!("fired: [{}]{}", d.fired.join(", "), undecided_hint(&d)),
                        ));
                    }
                }
                ExpectKind::NotFired(id) => {
                    if d.fired.contains(id) {
                        failures.push(fail(
                            format!("`{id}` not fired"),
                            format!("fired: [{}]", d.fired.join(", ")),
                        ));
                    }
                }
                ExpectKind::Undecided(k) => {
                    if !d.undecided.contains(k) {
                        failures.push(fail(
                            format!("`{k}` undecided"),
                            format!("undecided: [{}]", d.undecided.join(", ")),
                        ));
                    }
                }
                ExpectKind::NoObligation { action, party } => {
                    let hit = d.obligations.iter().find(|o| {
                        &o.action == action
                            && party.as_ref().is_none_or(|p| o.party.as_ref() == Some(p))
                    });
                    if let Some(o) = hit {
                        failures.push(fail(
                            format!("no `{action}` obligation"),
                            format!("`{}` from rule `{}`", o.id, o.rule),
                        ));
                    }
                }
                ExpectKind::Obligation {
                    actor,
                    action,
                    party,
                    due,
                } => {
                    let cands: Vec<_> = d
                        .obligations
                        .iter()
                        .filter(|o| {
                            &o.action == action
                                && party.as_ref().is_none_or(|p| o.party.as_ref() == Some(p))
                                && actor.as_ref().is_none_or(|a| &o.actor == a)
                        })
                        .collect();
                    let want = format!(
                        "{}{action}{}{}",
                        actor
                            .as_ref()
                            .map_or(String::new(), |a| format!("{a} must ")),
                        party.as_ref().map_or(String::new(), |p| format!(" to {p}")),
                        due.as_ref().map_or(String::new(), |d| format!(" due {d}"))
                    );
                    if cands.is_empty() {
                        let have: Vec<String> = d
                            .obligations
                            .iter()
                            .map(|o| {
                                format!(
                                    "{} {} to {}",
                                    o.actor,
                                    o.action,
                                    o.party.as_deref().unwrap_or("-")
                                )
                            })
                            .collect();
                        failures.push(fail(
                            want,
                            format!("obligations: [{}]{}", have.join("; "), undecided_hint(&d)),
                        ));
                    } else if let Some(due) = due {
                        let ok = cands
                            .iter()
                            .any(|o| o.due.as_deref().is_some_and(|od| same_time(od, due)));
                        if !ok {
                            let got: Vec<String> = cands
                                .iter()
                                .map(|o| o.due.clone().unwrap_or_else(|| "unknown".into()))
                                .collect();
                            failures.push(fail(want, format!("due {}", got.join(", "))));
                        }
                    }
                }
                ExpectKind::Holds(ex) => match ev.eval(ex) {
                    Ok(Value::Bool(true)) => {}
                    Ok(Value::Bool(false)) => failures.push(fail(
                        "true".into(),
                        format!("false{}", operands(policy, &mut ev, ex)),
                    )),
                    Ok(_) => failures.push(fail(
                        "true".into(),
                        format!(
                            "unknown (not decided){}{}",
                            operands(policy, &mut ev, ex),
                            undecided_hint(&d)
                        ),
                    )),
                    Err(err) => failures.push(fail("true".into(), err.to_string())),
                },
                ExpectKind::EveryStreetVisitedOnce
                | ExpectKind::NoCommunityRepeated
                | ExpectKind::StreetInMonth { .. } => {
                    failures.push(fail(
                        "a plan expectation inside a plan test".into(),
                        "used in a decision test".into(),
                    ));
                }
            }
        }
        Ok(failures)
    }
}

/// What the facts, conclusions and params an expectation compares came to, in the decision's
/// JSON: `: reporting.duty = "mandatory"` where `expect reporting.duty == voluntary` failed, so
/// the reader sees the value, not only "false".
fn operands(policy: &Policy, ev: &mut Evaluator<'_>, ex: &Ex) -> String {
    fn visit<'e>(ex: &'e Ex, out: &mut Vec<&'e Ex>) {
        match ex {
            Ex::Conclusion(_) | Ex::Fact(_) | Ex::Param(_) => {
                let same = |o: &&Ex| match (o, ex) {
                    (Ex::Conclusion(a), Ex::Conclusion(b))
                    | (Ex::Fact(a), Ex::Fact(b))
                    | (Ex::Param(a), Ex::Param(b)) => a == b,
                    _ => false,
                };
                if !out.iter().any(same) {
                    out.push(ex);
                }
            }
            Ex::Not(x) | Ex::Neg(x) | Ex::IsKnown(x) | Ex::IsEmpty(x) => visit(x, out),
            Ex::InValues(x, _) | Ex::Intersects(_, x) | Ex::Subset(_, x) => visit(x, out),
            Ex::Cmp(_, a, b) | Ex::Arith(_, a, b) | Ex::InSet(a, b) => {
                visit(a, out);
                visit(b, out);
            }
            Ex::And(xs) | Ex::Or(xs) => xs.iter().for_each(|x| visit(x, out)),
            _ => {}
        }
    }
    let mut leaves = Vec::new();
    visit(ex, &mut leaves);
    let mut parts = Vec::new();
    for leaf in leaves {
        let idx = |i: &u32| usize::try_from(*i).unwrap_or(usize::MAX);
        let named = match leaf {
            Ex::Conclusion(i) => policy
                .program
                .conclusions
                .get(idx(i))
                .map(|c| (&c.key, &c.ty, false)),
            Ex::Fact(i) => policy
                .schema
                .facts
                .get(idx(i))
                .map(|f| (&f.path, &f.ty, f.sensitive)),
            Ex::Param(i) => policy
                .program
                .params
                .get(idx(i))
                .map(|p| (&p.key, &p.ty, false)),
            _ => None,
        };
        let (Some((name, ty, sensitive)), Ok(v)) = (named, ev.eval(leaf)) else {
            continue;
        };
        let shown = match v {
            Value::Unknown => "unknown".to_string(),
            _ if sensitive => "<redacted>".to_string(),
            v => policy.schema.to_json(ty, &v).to_string(),
        };
        parts.push(format!("{name} = {shown}"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(": {}", parts.join(", "))
    }
}

fn undecided_hint(d: &Decision) -> String {
    if d.undecided.is_empty() {
        String::new()
    } else {
        let m: Vec<&str> = d.missing.iter().map(|m| m.fact.as_str()).collect();
        format!(
            " (undecided: {}; missing: {})",
            d.undecided.join(", "),
            m.join(", ")
        )
    }
}

fn status_name(s: Status) -> &'static str {
    match s {
        Status::Determined => "determined",
        Status::Undetermined => "undetermined",
        Status::Conflict => "conflict",
    }
}

fn same_time(actual: &str, want: &str) -> bool {
    match (DateTime::parse(actual), DateTime::parse(want)) {
        (Ok((a, _)), Ok((b, _))) => a.unix() == b.unix(),
        _ => match (DateTime::parse(actual), Date::parse(want)) {
            (Ok((a, _)), Ok(d)) => a.with_offset(DateTime::DEFAULT_OFFSET_MIN).local_date() == d,
            _ => false,
        },
    }
}

/// The date of `discovered_at` in the given facts, the default as-of date of a test.
pub fn discovered_date(given: &serde_json::Value) -> Option<Date> {
    let s = given.get("discovered_at")?.as_str()?;
    let (dt, _) = DateTime::parse(s).ok()?;
    Some(dt.with_offset(DateTime::DEFAULT_OFFSET_MIN).local_date())
}
