//! The binding's calls as plain Rust over JSON text: what crosses into JavaScript is a string
//! (facts in, the decision's exact CLI bytes out), so the JS objects equal `JSON.parse` of the
//! CLI's output by construction, and this layer is unit-tested natively.

use humiao_core::time::{Date, DateTime};
use humiao_core::{
    Diagnostic, EvalOptions, EvaluateError, FactError, Facts, FactsOptions, Policy, Strictness,
};
#[cfg(feature = "full")]
use humiao_core::{LoadOptions, Severity, Source};
use serde::{Deserialize, Serialize};

/// What a failed call throws, as JSON; the JS layer turns it into a `HumiaoError`.
#[derive(Debug, Serialize)]
pub struct Failure {
    /// `policy` (the set does not load), `facts` (the case's facts are invalid),
    /// `evaluation` (evaluation stopped), `plan` (no plan could be made) or `input` (a
    /// malformed argument).
    pub kind: &'static str,
    pub message: String,
    pub message_zh: String,
    pub diagnostics: Vec<Diagnostic>,
    pub facts: Vec<FactError>,
}

impl Failure {
    fn input(message: String, message_zh: String) -> Failure {
        Failure {
            kind: "input",
            message,
            message_zh,
            diagnostics: Vec::new(),
            facts: Vec::new(),
        }
    }

    /// The failure as JSON text (a static fallback if serialisation itself fails).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| {
            r#"{"kind":"input","message":"unserialisable error","message_zh":"错误无法序列化","diagnostics":[],"facts":[]}"#.to_string()
        })
    }
}

/// Options of one evaluation, as the JS layer passes them.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct EvaluateOptions {
    pub explain: bool,
    pub reveal_sensitive: bool,
    /// Unknown fields are warnings (in `notes`) instead of errors, as `--lenient`.
    pub lenient: bool,
    pub max_steps: Option<u64>,
    /// `false`: the reference evaluator only (the same decision). It skips building the fast
    /// path's program, which the first evaluation of a policy otherwise does: a page's first,
    /// nearly empty case is undecided, so the fast path would give way to the reference anyway.
    pub fast_path: Option<bool>,
}

fn parse_json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T, Failure> {
    serde_json::from_str(text).map_err(|e| {
        Failure::input(
            format!("{what}: not valid JSON of the expected shape: {e}"),
            format!("{what}：JSON 无效或结构不符：{e}"),
        )
    })
}

#[cfg(feature = "full")]
/// Reads `{path: text}` and `{param: value}` into the core's types.
fn inputs(sources_json: &str, params_json: &str) -> Result<(Vec<Source>, LoadOptions), Failure> {
    let files: serde_json::Map<String, serde_json::Value> = parse_json("sources", sources_json)?;
    let mut sources = Vec::with_capacity(files.len());
    for (path, text) in files {
        match text {
            serde_json::Value::String(t) => sources.push(Source::new(path, t)),
            _ => {
                return Err(Failure::input(
                    format!("sources: the text of `{path}` is not a string"),
                    format!("sources：`{path}` 的内容不是字符串"),
                ))
            }
        }
    }
    let params: serde_json::Map<String, serde_json::Value> = if params_json.trim().is_empty() {
        serde_json::Map::new()
    } else {
        parse_json("params", params_json)?
    };
    let opts = LoadOptions {
        params: params.into_iter().collect(),
        ..LoadOptions::default()
    };
    Ok((sources, opts))
}

#[cfg(feature = "full")]
/// Checks and compiles a policy set.
pub fn load(sources_json: &str, params_json: &str) -> Result<Policy, Failure> {
    let (sources, opts) = inputs(sources_json, params_json)?;
    Policy::from_sources(&sources, &opts).map_err(|e| {
        let errors = e
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        Failure {
            kind: "policy",
            message: format!("the policy set has {errors} error(s)"),
            message_zh: format!("政策集有 {errors} 个错误"),
            diagnostics: e.diagnostics,
            facts: Vec::new(),
        }
    })
}

#[cfg(feature = "full")]
/// Reads a set compiled by [`to_bytes`] with the same engine version.
pub fn from_bytes(bytes: &[u8]) -> Result<Policy, Failure> {
    Policy::from_bytes(bytes).map_err(|e| Failure::input(e.to_string(), e.message_zh()))
}

/// Reads a set written by [`to_evaluation_bytes`] with the same engine version: only what
/// evaluation needs (the evaluation-only build reads nothing else).
pub fn from_evaluation_bytes(bytes: &[u8]) -> Result<Policy, Failure> {
    Policy::from_evaluation_bytes(bytes).map_err(|e| Failure::input(e.to_string(), e.message_zh()))
}

/// What evaluation needs of a set, as bytes (`Policy::to_evaluation_bytes`).
#[cfg(feature = "full")]
pub fn to_evaluation_bytes(policy: &Policy) -> Result<Vec<u8>, Failure> {
    policy
        .to_evaluation_bytes()
        .map_err(|e| Failure::input(e.to_string(), e.message_zh()))
}

#[cfg(feature = "full")]
/// The checked and compiled set as bytes (`Policy::to_bytes`).
pub fn to_bytes(policy: &Policy) -> Result<Vec<u8>, Failure> {
    policy
        .to_bytes()
        .map_err(|e| Failure::input(e.to_string(), e.message_zh()))
}

#[cfg(feature = "full")]
/// The effective params of a loaded set, as `humiao check --format json` lists them.
pub fn params_json(policy: &Policy) -> serde_json::Value {
    serde_json::Value::Array(
        policy
            .params()
            .iter()
            .map(|x| {
                serde_json::json!({"param": x.key, "value": x.text, "unconfirmed": x.unconfirmed, "source": x.source, "overridden": x.overridden})
            })
            .collect(),
    )
}

#[cfg(feature = "full")]
/// Every diagnostic of a set, whether or not it loads: the object `humiao check --format json`
/// prints (`ok`, `digest`, `diagnostics`, `params`).
pub fn check(sources_json: &str, params_json_text: &str) -> Result<String, Failure> {
    let (sources, opts) = inputs(sources_json, params_json_text)?;
    let (policy, diags) = Policy::check_sources(&sources, &opts);
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let v = serde_json::json!({
        "ok": errors == 0,
        "digest": policy.as_ref().map(|p| p.digest.clone()),
        "diagnostics": diags,
        "params": policy.as_ref().map_or(serde_json::Value::Array(Vec::new()), params_json),
    });
    Ok(v.to_string())
}

#[cfg(feature = "full")]
/// The warnings and notes of a loaded set (a set with errors does not load).
pub fn diagnostics(policy: &Policy) -> String {
    serde_json::to_string(&policy.diagnostics).unwrap_or_else(|_| "[]".into())
}

/// Evaluates one case. `as_of` absent: today in +08:00 from `now_unix_secs`, with the CLI's
/// note, so a decision made without a date says so on every surface.
pub fn evaluate(
    policy: &Policy,
    facts_json: &str,
    as_of: Option<&str>,
    now_unix_secs: i64,
    options_json: &str,
) -> Result<String, Failure> {
    let options: EvaluateOptions = if options_json.trim().is_empty() {
        EvaluateOptions::default()
    } else {
        parse_json("options", options_json)?
    };
    let facts: serde_json::Value = parse_json("facts", facts_json)?;
    let (as_of, as_of_note) = match as_of {
        Some(s) => (
            Date::parse(s).map_err(|e| {
                Failure::input(format!("asOf: {e}"), format!("asOf：{}", e.message_zh()))
            })?,
            None,
        ),
        None => {
            let d = DateTime::new(now_unix_secs, DateTime::DEFAULT_OFFSET_MIN).local_date();
            (
                d,
                Some(format!("as_of not given; today in +08:00 ({d}) was used / 未指定基准日，使用北京时间今日（{d}）")),
            )
        }
    };
    let defaults = EvalOptions::default();
    let opts = EvalOptions {
        explain: options.explain,
        reveal_sensitive: options.reveal_sensitive,
        max_steps: options.max_steps.unwrap_or(defaults.max_steps),
    };
    let fopts = FactsOptions {
        strictness: if options.lenient {
            Strictness::Lenient
        } else {
            Strictness::Strict
        },
        ..FactsOptions::default()
    };
    let decided = if options.fast_path == Some(false) {
        policy
            .load_facts(&facts, &fopts)
            .map_err(EvaluateError::Facts)
            .and_then(|f| Ok(policy.evaluate_reference(&f, as_of, &opts)?))
    } else {
        policy.evaluate_json(&facts, as_of, &opts, &fopts)
    };
    match decided {
        Ok(mut d) => {
            if let Some(n) = as_of_note {
                d.notes.push(n);
            }
            Ok(d.to_json())
        }
        Err(EvaluateError::Facts(errs)) => Err(Failure {
            kind: "facts",
            message: format!("the facts have {} problem(s)", errs.len()),
            message_zh: format!("案件事实有 {} 处问题", errs.len()),
            diagnostics: Vec::new(),
            facts: errs,
        }),
        Err(EvaluateError::Eval(e)) => Err(Failure {
            kind: "evaluation",
            message: e.to_string(),
            message_zh: e.message_zh(),
            diagnostics: Vec::new(),
            facts: Vec::new(),
        }),
    }
}

/// Options of `loadCases`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct LoadCasesOptions {
    pub lenient: bool,
}

/// Reads cases given as JSON Lines (one facts object per line; blank lines are skipped) into
/// loaded facts, for [`evaluate_outcomes`]. (Exported to JavaScript only with the `batch`
/// feature, as `loadCases`.) The first case whose facts are invalid fails the
/// whole call, its place in the message.
pub fn load_cases(
    policy: &Policy,
    cases_jsonl: &str,
    options_json: &str,
) -> Result<Vec<Facts>, Failure> {
    let options: LoadCasesOptions = if options_json.trim().is_empty() {
        LoadCasesOptions::default()
    } else {
        parse_json("options", options_json)?
    };
    let fopts = FactsOptions {
        strictness: if options.lenient {
            Strictness::Lenient
        } else {
            Strictness::Strict
        },
        ..FactsOptions::default()
    };
    let mut out = Vec::new();
    for line in cases_jsonl.lines().filter(|l| !l.trim().is_empty()) {
        let index = out.len();
        let facts: serde_json::Value = parse_json(&format!("case {index}"), line)?;
        match policy.load_facts(&facts, &fopts) {
            Ok(f) => out.push(f),
            Err(errs) => {
                return Err(Failure {
                    kind: "facts",
                    message: format!("case {index}: the facts have {} problem(s)", errs.len()),
                    message_zh: format!("第 {index} 个案件：案件事实有 {} 处问题", errs.len()),
                    diagnostics: Vec::new(),
                    facts: errs,
                })
            }
        }
    }
    Ok(out)
}

/// Evaluate only: every case of `cases` to its conclusions with the core's
/// `Policy::evaluate_batch` (64 cases at a time where they can be decided together, each
/// other case as `Policy::evaluate_outcome`), no decision built. Returns `{"settled": N, "conclusions": {key: [value
/// per case]}}`: how many cases had every conclusion settled, and the values of the conclusion
/// keys asked (`null` where a case's conclusion has none or is undecided); no keys, no values.
pub fn evaluate_outcomes(
    policy: &Policy,
    cases: &[Facts],
    as_of: &str,
    keys_json: &str,
) -> Result<String, Failure> {
    let as_of = Date::parse(as_of)
        .map_err(|e| Failure::input(format!("asOf: {e}"), format!("asOf：{}", e.message_zh())))?;
    let keys: Vec<String> = if keys_json.trim().is_empty() {
        Vec::new()
    } else {
        parse_json("keys", keys_json)?
    };
    let mut indexes = Vec::with_capacity(keys.len());
    for k in &keys {
        indexes.push(policy.conclusion_index(k).ok_or_else(|| {
            Failure::input(
                format!("keys: the policy set has no conclusion `{k}`"),
                format!("keys：政策集没有结论 `{k}`"),
            )
        })?);
    }
    let opts = EvalOptions::default();
    // 64 cases at a time where the lanes decide them together, the others one by one: the
    // same conclusions as `evaluate_outcome` case by case (core/tests/fast_path.rs).
    let mut out = humiao_core::BatchOutcome::new();
    policy.evaluate_batch(cases, as_of, &opts, &mut out);
    if let Some((index, e)) = (0..out.len()).find_map(|i| out.error(i).map(|e| (i, e))) {
        return Err(Failure {
            kind: "evaluation",
            message: format!("case {index}: {e}"),
            message_zh: format!("第 {index} 个案件：{}", e.message_zh()),
            diagnostics: Vec::new(),
            facts: Vec::new(),
        });
    }
    let settled = (0..out.len()).filter(|&i| out.settled(i)).count();
    let mut values = Vec::new();
    let columns: Vec<Vec<serde_json::Value>> = indexes
        .iter()
        .map(|&i| {
            out.conclusion_column(i, &mut values);
            let ty = policy.program.conclusions.get(i).map(|c| &c.ty);
            values
                .iter()
                .map(|v| match ty {
                    Some(ty) if v.is_known() => policy.schema.to_json(ty, v),
                    _ => serde_json::Value::Null,
                })
                .collect()
        })
        .collect();
    let conclusions: serde_json::Map<String, serde_json::Value> = keys
        .into_iter()
        .zip(columns)
        .map(|(k, col)| (k, serde_json::Value::Array(col)))
        .collect();
    Ok(serde_json::json!({"settled": settled, "conclusions": conclusions}).to_string())
}

#[cfg(feature = "full")]
/// The manifest `humiao.toml` read by the core's own type: `name`, `version`, `files`, `data`.
/// Tools use it to gather a set's files the way the CLI does.
pub fn manifest(text: &str) -> Result<String, Failure> {
    let m: humiao_core::policy::Manifest = toml::from_str(text).map_err(|e| {
        let msg = e.message().to_string();
        Failure::input(
            format!("humiao.toml: {msg}"),
            format!("humiao.toml 格式错误：{msg}"),
        )
    })?;
    Ok(
        serde_json::json!({"name": m.name, "version": m.version, "files": m.files, "data": m.data})
            .to_string(),
    )
}

#[cfg(feature = "full")]
/// The arguments of a plan, as the JS layer passes them.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlanArgs {
    pub rotation: String,
    /// The first month: `2027-01`, or a date in it.
    pub start: String,
    #[serde(default = "one_month")]
    pub months: u32,
    /// Past rounds: the JSON plan format (a plan, or a list of months) or CSV
    /// `month,street,community`; JSON when it starts with `[` or `{`, as the Python binding.
    #[serde(default)]
    pub history: Option<String>,
    /// `(street, reason)` pairs: each puts a street into the first month.
    #[serde(default)]
    pub flags: Vec<(String, String)>,
}

#[cfg(feature = "full")]
fn one_month() -> u32 {
    1
}

#[cfg(feature = "full")]
fn plan_failure(message: String, message_zh: String) -> Failure {
    Failure {
        kind: "plan",
        ..Failure::input(message, message_zh)
    }
}

#[cfg(feature = "full")]
/// Plans a rotation the set declares: the plan's JSON, as `humiao plan --format json`.
pub fn plan(policy: &Policy, args_json: &str) -> Result<String, Failure> {
    use humiao_core::plan::{self as planner, Flag};
    use humiao_core::time::YearMonth;
    let args: PlanArgs = parse_json("plan", args_json)?;
    let start = YearMonth::parse(&args.start)
        .or_else(|_| Date::parse(&args.start).map(YearMonth::of))
        .map_err(|_| {
            Failure::input(
                format!(
                    "start: `{}` is not a month: expected YYYY-MM, e.g. 2027-01",
                    args.start
                ),
                format!(
                    "start：`{}` 不是月份，应为 YYYY-MM 格式，例如 2027-01",
                    args.start
                ),
            )
        })?;
    let (spec, roster) = policy
        .rotation(&args.rotation)
        .map_err(|e| plan_failure(e.to_string(), e.message_zh()))?;
    let history = match &args.history {
        None => Vec::new(),
        Some(text) => {
            let parsed = if text.trim_start().starts_with(['[', '{']) {
                planner::parse_history_json(text, &roster)
            } else {
                planner::parse_history_csv(text, &roster)
            };
            parsed.map_err(|e| {
                plan_failure(
                    format!("history: {e}"),
                    format!("history：{}", e.message_zh()),
                )
            })?
        }
    };
    let flags: Vec<Flag> = args
        .flags
        .into_iter()
        .map(|(street, reason)| Flag { street, reason })
        .collect();
    let made = planner::plan(&spec, &roster, start, args.months, &history, &flags)
        .map_err(|e| plan_failure(e.to_string(), e.message_zh()))?;
    Ok(planner::to_json(&made))
}

#[cfg(feature = "full")]
/// The rotations the set declares, as a JSON array of names.
pub fn rotations(policy: &Policy) -> String {
    serde_json::to_string(&policy.rotation_names()).unwrap_or_else(|_| "[]".into())
}

#[cfg(feature = "full")]
/// Runs the tests written inside the set's files, plan tests included: the report
/// `humiao test --format json` prints.
pub fn run_tests(policy: &Policy) -> String {
    let report = policy.run_tests();
    serde_json::to_string(&report).unwrap_or_else(|_| "null".into())
}

#[cfg(all(test, feature = "full"))]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;

    fn sources() -> String {
        serde_json::json!({
            "humiao.toml": "name = \"t\"\nversion = \"1\"\n",
            "a.humiao": concat!(
                "policy a \"A\"\n",
                "facts { discovered_at: DateTime }\n",
                "facts minor \"未成年人\" { age: Int? @range(0, 150) \"年龄\" }\n",
                "conclusion a.young: Bool \"年幼\"\n",
                "rule young \"年幼\"\n",
                "  cite \"第一条\"\n",
                "  when minor.age < 14\n",
                "  then conclude a.young = true\n",
            ),
        })
        .to_string()
    }

    fn policy() -> Policy {
        load(&sources(), "{}").map_err(|f| f.to_json()).unwrap()
    }

    fn decision(text: Result<String, Failure>) -> serde_json::Value {
        serde_json::from_str(&text.map_err(|f| f.to_json()).unwrap()).unwrap()
    }

    #[test]
    fn evaluate_only_gives_the_decisions_conclusions() {
        let p = policy();
        let lines = concat!(
            r#"{"discovered_at":"2026-03-01T10:00:00+08:00","minor":{"age":9}}"#,
            "\n\n",
            r#"{"discovered_at":"2026-03-01T10:00:00+08:00","minor":{"age":15}}"#,
            "\n",
            r#"{"discovered_at":"2026-03-01T10:00:00+08:00"}"#,
        );
        let cases = load_cases(&p, lines, "").map_err(|f| f.to_json()).unwrap();
        assert_eq!(cases.len(), 3);
        let out = decision(evaluate_outcomes(
            &p,
            &cases,
            "2026-03-01",
            r#"["a.young"]"#,
        ));
        // The third case lacks minor.age: undecided, no value, not settled.
        assert_eq!(
            out,
            serde_json::json!({"settled": 2, "conclusions": {"a.young": [true, null, null]}})
        );
        let first = decision(evaluate(
            &p,
            lines.lines().next().unwrap(),
            Some("2026-03-01"),
            0,
            "",
        ));
        assert_eq!(first["conclusions"]["a.young"], true);
        let bare = decision(evaluate_outcomes(&p, &cases, "2026-03-01", ""));
        assert_eq!(bare, serde_json::json!({"settled": 2, "conclusions": {}}));
        let e = evaluate_outcomes(&p, &cases, "2026-03-01", r#"["a.old"]"#).unwrap_err();
        assert_eq!(e.kind, "input");
        let e = evaluate_outcomes(&p, &cases, "2026-3-1", "").unwrap_err();
        assert_eq!(e.kind, "input");
        let e = load_cases(&p, "{}\n{\"minor\":{\"age\":\"nine\"}}", "").unwrap_err();
        assert_eq!((e.kind, e.message.starts_with("case 1:")), ("facts", true));
        assert!(!e.facts.is_empty());
        let e = load_cases(&p, "{}", r#"{"strict":true}"#).unwrap_err();
        assert_eq!(e.kind, "input");
    }

    #[test]
    fn evaluates_to_the_decision_bytes() {
        let facts = r#"{"discovered_at":"2026-03-01T10:00:00+08:00","minor":{"age":9}}"#;
        let v = decision(evaluate(&policy(), facts, Some("2026-03-01"), 0, ""));
        assert_eq!(v["status"], "determined");
        assert_eq!(v["conclusions"]["a.young"], true);
        assert_eq!(v["as_of"], "2026-03-01");
        assert_eq!(v["policy"]["name"], "t");
    }

    #[test]
    fn without_as_of_uses_today_in_china_and_says_so() {
        // 2026-02-28T16:30:00Z is already 2026-03-01 in +08:00.
        let now = 1_772_296_200;
        let v = decision(evaluate(
            &policy(),
            r#"{"minor":{"age":9}}"#,
            None,
            now,
            "{}",
        ));
        assert_eq!(v["as_of"], "2026-03-01");
        assert!(v["notes"].to_string().contains("as_of not given"));
    }

    #[test]
    fn bad_facts_fail_with_every_problem() {
        let facts = r#"{"minor":{"age":"nine","agee":1}}"#;
        let f = evaluate(&policy(), facts, Some("2026-03-01"), 0, "").unwrap_err();
        assert_eq!(f.kind, "facts");
        assert!(f.facts.len() >= 2, "{:?}", f.facts);
        assert!(f.facts.iter().any(|e| e.path == "minor.age"));
    }

    #[test]
    fn a_broken_set_fails_with_diagnostics_and_check_lists_them() {
        let broken = serde_json::json!({
            "a.humiao": "policy a \"A\"\nfacts { x: Int }\nrule r \"R\"\n  cite \"第一条\"\n  when y > 1\n  then conclude a.z = true\n",
        })
        .to_string();
        let f = load(&broken, "{}").unwrap_err();
        assert_eq!(f.kind, "policy");
        assert!(!f.diagnostics.is_empty());
        let v: serde_json::Value = serde_json::from_str(&check(&broken, "{}").unwrap()).unwrap();
        assert_eq!(v["ok"], false);
        let diags = v["diagnostics"].as_array().unwrap();
        assert!(diags.iter().all(|d| d["file"] == "a.humiao"), "{v}");
        assert!(
            diags.iter().any(|d| d["line"] == 5 && d["column"] == 8),
            "{v}"
        );
    }

    fn bundled() -> Policy {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules");
        let sources = humiao_cli::load::read_policy_dir(&dir).unwrap();
        let map: serde_json::Map<String, serde_json::Value> = sources
            .into_iter()
            .map(|s| (s.path, serde_json::Value::String(s.text)))
            .collect();
        load(&serde_json::Value::Object(map).to_string(), "{}")
            .map_err(|f| f.to_json())
            .unwrap()
    }

    #[test]
    fn plans_the_bundled_rotation_and_runs_every_test() {
        let p = bundled();
        let names: Vec<String> = serde_json::from_str(&rotations(&p)).unwrap();
        let Some(rotation) = names.first() else {
            return; // a set without rotations has nothing to plan
        };
        let args = serde_json::json!({"rotation": rotation, "start": "2027-01", "months": 2});
        let v: serde_json::Value = serde_json::from_str(
            &plan(&p, &args.to_string())
                .map_err(|f| f.to_json())
                .unwrap(),
        )
        .unwrap();
        assert_eq!(v["months"].as_array().unwrap().len(), 2);
        assert_eq!(v["months"][0]["month"], "2027-01");
        let bad = serde_json::json!({"rotation": "nope", "start": "2027-01"});
        assert_eq!(plan(&p, &bad.to_string()).unwrap_err().kind, "plan");
        let report: serde_json::Value = serde_json::from_str(&run_tests(&p)).unwrap();
        assert_eq!(report["failed"], 0, "{report}");
    }

    #[test]
    fn a_set_read_from_its_bytes_decides_the_same() {
        let p = bundled();
        let bytes = to_bytes(&p).unwrap();
        let q = from_bytes(&bytes).map_err(|f| f.to_json()).unwrap();
        let facts = r#"{"discovered_at":"2026-03-01T10:00:00+08:00","reporter":{"org_type":"school","in_course_of_work":true},"minor":{"age":9,"sex":"female"},"indicators":{"sexual_assault":true}}"#;
        let explain = r#"{"explain":true}"#;
        assert_eq!(
            evaluate(&p, facts, Some("2026-03-01"), 0, explain).map_err(|f| f.to_json()),
            evaluate(&q, facts, Some("2026-03-01"), 0, explain).map_err(|f| f.to_json())
        );
        assert_eq!(diagnostics(&p), diagnostics(&q));
        assert_eq!(run_tests(&p), run_tests(&q));
        let f = from_bytes(b"not a policy").unwrap_err();
        assert_eq!(f.kind, "input");
        assert!(
            f.message.contains("not a compiled humiao policy set"),
            "{}",
            f.message
        );
    }

    #[test]
    fn reads_the_manifest() {
        let text =
            "name = \"yuexiu\"\nversion = \"1\"\nfiles = [\"a.humiao\"]\ndata = [\"r.csv\"]\n";
        let v: serde_json::Value = serde_json::from_str(&manifest(text).unwrap()).unwrap();
        assert_eq!(v["data"], serde_json::json!(["r.csv"]));
        assert_eq!(manifest("nme = 1").unwrap_err().kind, "input");
    }

    #[test]
    fn malformed_arguments_are_input_errors() {
        assert_eq!(load("[1]", "{}").unwrap_err().kind, "input");
        let p = policy();
        assert_eq!(
            evaluate(&p, "{}", Some("2026-3-1"), 0, "")
                .unwrap_err()
                .kind,
            "input"
        );
        let typo = r#"{"explian":true}"#;
        assert_eq!(
            evaluate(&p, "{}", Some("2026-03-01"), 0, typo)
                .unwrap_err()
                .kind,
            "input"
        );
    }
}

/// What the evaluation-only build (`--no-default-features`) has: these run in both builds.
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod evaluation_tests {
    use super::*;

    fn compiled() -> Policy {
        let sources = [
            humiao_core::Source::new("humiao.toml", "name = \"t\"\nversion = \"1\"\n"),
            humiao_core::Source::new(
                "a.humiao",
                concat!(
                    "policy a \"A\"\n",
                    "facts minor \"未成年人\" { age: Int? @range(0, 150) \"年龄\" }\n",
                    "conclusion a.young: Bool \"年幼\"\n",
                    "rule young \"年幼\"\n",
                    "  cite \"第一条\"\n",
                    "  when minor.age < 14\n",
                    "  then conclude a.young = true\n",
                ),
            ),
        ];
        Policy::from_sources(&sources, &humiao_core::LoadOptions::default()).unwrap()
    }

    #[test]
    fn evaluation_bytes_decide_as_the_set() {
        let p = compiled();
        let q = from_evaluation_bytes(&p.to_evaluation_bytes().unwrap())
            .map_err(|f| f.to_json())
            .unwrap();
        for facts in [
            r#"{"minor":{"age":9}}"#,
            r#"{"minor":{}}"#,
            r#"{"minor":{"age":"x"}}"#,
        ] {
            let want = evaluate(&p, facts, Some("2026-03-01"), 0, "").map_err(|f| f.to_json());
            for options in ["", r#"{"fastPath":false}"#, r#"{"fastPath":true}"#] {
                assert_eq!(
                    want,
                    evaluate(&q, facts, Some("2026-03-01"), 0, options).map_err(|f| f.to_json()),
                    "{options}"
                );
            }
            let explained = r#"{"explain":true}"#;
            let want = evaluate(&p, facts, Some("2026-03-01"), 0, explained);
            let reference = r#"{"explain":true,"fastPath":false}"#;
            assert_eq!(
                want.map_err(|f| f.to_json()),
                evaluate(&q, facts, Some("2026-03-01"), 0, reference).map_err(|f| f.to_json()),
            );
        }
    }

    #[test]
    fn other_bytes_are_input_errors() {
        let p = compiled();
        for bytes in [p.to_bytes().unwrap(), b"HUMIAO\0E".to_vec(), Vec::new()] {
            let f = from_evaluation_bytes(&bytes).unwrap_err();
            assert_eq!(f.kind, "input");
            assert!(!f.message.is_empty() && !f.message_zh.is_empty());
        }
    }
}
