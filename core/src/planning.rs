//! Plans from a policy set: the `rotation` and `roster` declarations turned into the
//! planner's inputs, and the plan tests written inside policy files.

use crate::ir::{CompiledTest, ExpectKind};
use crate::plan::{self, Flag, Plan, PlanError, PlanMonth, Preference, Roster, RotationSpec};
use crate::policy::Policy;
use crate::testrun::{TestFailure, TestReport};
use crate::time::YearMonth;

/// A rotation could not be set up from the policy set.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RotationError {
    #[error("there is no rotation `{0}` in the policy set (rotations: {1})")]
    Unknown(String, String),
    #[error("rotation `{0}`: its roster could not be read: {1}")]
    Roster(String, String),
    #[error(transparent)]
    Plan(#[from] PlanError),
}

impl RotationError {
    pub fn message_zh(&self) -> String {
        match self {
            RotationError::Unknown(n, all) => format!("政策集中没有轮换 `{n}`（现有：{all}）"),
            RotationError::Roster(n, e) => format!("轮换 `{n}`：名册无法读取：{e}"),
            RotationError::Plan(e) => e.message_zh(),
        }
    }
}

impl Policy {
    /// The names of the rotations the set declares.
    pub fn rotation_names(&self) -> Vec<String> {
        self.rotations
            .iter()
            .map(|(_, r)| r.name.text.clone())
            .collect()
    }

    /// The planner's inputs for a rotation: its spec and its roster.
    pub fn rotation(&self, name: &str) -> Result<(RotationSpec, Roster), RotationError> {
        let Some((_, r)) = self.rotations.iter().find(|(_, r)| r.name.text == name) else {
            return Err(RotationError::Unknown(
                name.to_string(),
                self.rotation_names().join(", "),
            ));
        };
        let prefer = r
            .prefer
            .iter()
            .filter_map(|p| match p.text.as_str() {
                "标记" => Some(Preference::Flagged),
                "最久未访" => Some(Preference::LeastRecentlyVisited),
                other => Preference::parse(other),
            })
            .collect();
        let spec = RotationSpec {
            name: r.name.text.clone(),
            title: r
                .title
                .as_ref()
                .map(|t| t.value.clone())
                .unwrap_or_default(),
            streets_per_month: r
                .pick_streets
                .and_then(|(n, _)| u32::try_from(n).ok())
                .unwrap_or(0),
            communities_per_street: r
                .pick_communities
                .and_then(|(n, _)| u32::try_from(n).ok())
                .unwrap_or(0),
            methods: r.methods.iter().map(|(m, _)| m.text.clone()).collect(),
            prefer,
            exclude: r.exclude.iter().map(|e| e.value.clone()).collect(),
            seed: r.seed.and_then(|(s, _)| u64::try_from(s).ok()).unwrap_or(0),
        };
        let over = r.over.as_ref().map(|o| o.text.clone()).unwrap_or_default();
        let Some((_, decl)) = self.rosters.iter().find(|(_, x)| x.name.text == over) else {
            return Err(RotationError::Roster(
                name.to_string(),
                format!("no roster `{over}`"),
            ));
        };
        let text = self.data_file(&decl.file.value).ok_or_else(|| {
            RotationError::Roster(
                name.to_string(),
                format!("the file `{}` was not given", decl.file.value),
            )
        })?;
        let mut roster = plan::parse_roster_csv(text).map_err(|errs| {
            let msgs: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
            RotationError::Roster(name.to_string(), msgs.join("; "))
        })?;
        roster.name = decl
            .title
            .as_ref()
            .map_or_else(|| decl.name.text.clone(), |t| t.value.clone());
        Ok((spec, roster))
    }

    /// Plans `months` months of a rotation from `from`, continuing `history`.
    pub fn plan(
        &self,
        rotation: &str,
        from: YearMonth,
        months: u32,
        history: &[PlanMonth],
        flags: &[Flag],
    ) -> Result<Plan, RotationError> {
        let (spec, roster) = self.rotation(rotation)?;
        Ok(plan::plan(&spec, &roster, from, months, history, flags)?)
    }

    /// Runs every test of the set, decision tests and plan tests alike.
    pub fn run_tests(&self) -> TestReport {
        self.run_tests_with(Some(&run_plan_test))
    }
}

/// Runs one plan test: makes the plan and checks its expectations and the planner's guarantees.
pub fn run_plan_test(policy: &Policy, t: &CompiledTest) -> Result<Vec<TestFailure>, String> {
    let Some(p) = &t.plan else {
        return Err("not a plan test".into());
    };
    let from = YearMonth::parse(&p.from).map_err(|e| e.to_string())?;
    let flags: Vec<Flag> = p
        .flags
        .iter()
        .map(|(s, r)| Flag {
            street: s.clone(),
            reason: r.clone(),
        })
        .collect();
    let (spec, roster) = policy
        .rotation(&p.rotation)
        .map_err(|e| format!("{e} / {}", e.message_zh()))?;
    let made = plan::plan(&spec, &roster, from, p.months, &[], &flags)
        .map_err(|e| format!("{e} / {}", e.message_zh()))?;
    let file = policy.files.get(t.file);
    let line_of = |span: humiao_grammar::ast::Span| {
        file.map_or(0, |f| f.lines.line_col(&f.text, span.start as usize).0)
    };
    let mut failures = Vec::new();
    for v in plan::check_plan(&spec, &roster, &[], &made) {
        failures.push(TestFailure {
            expectation: "the planner's guarantees".into(),
            line: line_of(t.span),
            expected: "none violated".into(),
            actual: v,
        });
    }
    for e in &t.expects {
        let fail = |expected: String, actual: String| TestFailure {
            expectation: e.text.clone(),
            line: line_of(e.span),
            expected,
            actual,
        };
        match &e.kind {
            ExpectKind::EveryStreetVisitedOnce => {
                let eligible: Vec<&str> = roster
                    .streets
                    .iter()
                    .filter(|s| !spec.exclude.iter().any(|x| x == &s.name || x == &s.code))
                    .map(|s| s.name.as_str())
                    .collect();
                let total = p.months as usize * spec.streets_per_month as usize;
                for s in &eligible {
                    let n = made.visits_to(s).count();
                    let ok = if total >= eligible.len() {
                        n == 1
                    } else {
                        n <= 1
                    };
                    if !ok {
                        failures.push(fail(
                            format!("{s} visited once"),
                            format!("{s} visited {n} times"),
                        ));
                    }
                }
            }
            ExpectKind::NoCommunityRepeated => {
                let mut seen: Vec<(&str, &str)> = Vec::new();
                for m in &made.months {
                    for v in &m.visits {
                        for c in &v.communities {
                            if seen.contains(&(v.street.as_str(), c.name.as_str())) {
                                failures.push(fail(
                                    "no community repeated".into(),
                                    format!("{} {} visited twice", v.street, c.name),
                                ));
                            }
                            seen.push((v.street.as_str(), c.name.as_str()));
                        }
                    }
                }
            }
            ExpectKind::StreetInMonth { street, month } => {
                let ym = YearMonth::parse(month).map_err(|e| e.to_string())?;
                if !made.visits_to(street).any(|(m, _)| m == ym) {
                    let planned: Vec<String> = made
                        .month(ym)
                        .map(|pm| pm.visits.iter().map(|v| v.street.clone()).collect())
                        .unwrap_or_default();
                    failures.push(fail(
                        format!("{street} in {month}"),
                        format!("{month}: {}", planned.join(", ")),
                    ));
                }
            }
            _ => failures.push(fail(
                "a plan expectation".into(),
                "a decision expectation inside a plan test".into(),
            )),
        }
    }
    Ok(failures)
}
