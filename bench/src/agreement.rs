//! The agreement check: on every case, every baseline gives humiao's answers. A harness, not a
//! test: it stops at the first disagreement and names the case.

use crate::answers::Answers;
use crate::baseline::{typed, value};
use crate::engines::humiao::Humiao;
use crate::workload::Case;

/// Two engines answered one case differently.
#[derive(Debug)]
pub struct Disagreement {
    pub case: usize,
    pub line: String,
    pub engine: String,
    pub reference: String,
    pub differences: Vec<String>,
}

impl std::fmt::Display for Disagreement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "case {}: {} disagrees with {}: {}\n  {}",
            self.case,
            self.engine,
            self.reference,
            self.differences.join("; "),
            self.line
        )
    }
}

impl std::error::Error for Disagreement {}

/// Compares one engine's answer with the reference answer of the case.
pub fn compare(
    index: usize,
    case: &Case,
    engine: &str,
    got: Result<Answers, String>,
    reference: &str,
    want: &Answers,
) -> Result<(), Disagreement> {
    let differences = match got {
        Ok(a) => a.differences(want),
        Err(e) => vec![format!("error: {e}")],
    };
    if differences.is_empty() {
        return Ok(());
    }
    Err(Disagreement {
        case: index,
        line: case.to_json_line(),
        engine: engine.to_string(),
        reference: reference.to_string(),
        differences,
    })
}

/// Checks every baseline against humiao's decision on every case, and humiao's JSON-line path
/// against its evaluate path; the number of cases checked.
pub fn check(humiao: &Humiao, cases: &[Case]) -> Result<usize, Disagreement> {
    check_with(humiao, cases, true)
}

/// [`check`] without the JSON-line path, which doubles humiao's work (for the quick test).
pub fn check_answers(humiao: &Humiao, cases: &[Case]) -> Result<usize, Disagreement> {
    check_with(humiao, cases, false)
}

fn check_with(humiao: &Humiao, cases: &[Case], json_path: bool) -> Result<usize, Disagreement> {
    let mut buffers = crate::engines::humiao::JsonBuffers::default();
    for (n, case) in cases.iter().enumerate() {
        let line = case.to_json_line();
        let facts = humiao.prepare(&line);
        let decision = facts.as_ref().map_err(Clone::clone).and_then(|f| {
            let d = humiao.evaluate(f)?;
            Ok((crate::engines::humiao::answers(&d), d))
        });
        let (want, decision) = match decision {
            Ok((Ok(a), d)) => (a, d),
            Ok((Err(e), _)) | Err(e) => {
                return Err(Disagreement {
                    case: n,
                    line,
                    engine: "humiao".into(),
                    reference: "the workload".into(),
                    differences: vec![e],
                })
            }
        };
        if let Err(e) = facts
            .as_ref()
            .map_err(Clone::clone)
            .and_then(|f| humiao.check_outcome(f, &decision))
        {
            return Err(Disagreement {
                case: n,
                line,
                engine: "humiao evaluate_outcome".into(),
                reference: "humiao evaluate".into(),
                differences: vec![e],
            });
        }
        if json_path
            && humiao.json_line_to_decision(&line, &mut buffers)
                != Ok(decision.to_json().as_bytes())
        {
            return Err(Disagreement {
                case: n,
                line,
                engine: "humiao JSON line → decision".into(),
                reference: "humiao evaluate".into(),
                differences: vec!["different decision JSON".into()],
            });
        }
        let parsed: Option<serde_json::Value> = serde_json::from_str(&line).ok();
        let baselines: [(&str, Result<Answers, String>); 4] = [
            ("hand-written typed", Ok(typed::decide(case))),
            (
                "hand-written typed (serde parse)",
                typed::parse_and_decide(&line).map_err(|e| e.to_string()),
            ),
            (
                "hand-written serde_json::Value",
                parsed
                    .as_ref()
                    .and_then(value::decide)
                    .ok_or_else(|| "no answer".to_string()),
            ),
            (
                "hand-written serde_json::Value (parse)",
                value::parse_and_decide(&line).ok_or_else(|| "no answer".to_string()),
            ),
        ];
        for (name, got) in baselines {
            compare(n, case, name, got, "humiao", &want)?;
        }
    }
    Ok(cases.len())
}
