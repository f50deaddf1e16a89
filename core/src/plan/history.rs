//! Reading a history of past rounds: the plan JSON (a plan object or a list of months) or a CSV
//! of `month,street,community` rows. Streets and communities may be given by name or code; known
//! ones are rewritten to the roster's name and code, unknown ones are kept as written (the
//! planner then says in its notes that it ignored them). Malformed input is an error with its
//! line or JSON path.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::csv;
use super::engine::{resolve_community, resolve_street};
use super::{PlanCommunity, PlanError, PlanMonth, Reason, Roster, Visit};
use crate::time::YearMonth;

fn error(location: impl Into<String>, en: impl Into<String>, zh: impl Into<String>) -> PlanError {
    PlanError::History {
        location: location.into(),
        message: en.into(),
        message_zh: zh.into(),
    }
}

/// A visit as written, rewritten to the roster's names and codes where they are known.
fn canonical_visit(
    roster: &Roster,
    street: &str,
    street_code: &str,
    communities: Vec<PlanCommunity>,
) -> (Option<usize>, Visit) {
    let idx = resolve_street(roster, street, street_code);
    let mut visit = Visit {
        street: street.trim().to_owned(),
        street_code: street_code.trim().to_owned(),
        communities,
        methods: Vec::new(),
        reasons: Vec::new(),
        last_visited: None,
    };
    if let Some(st) = idx.and_then(|i| roster.streets.get(i)) {
        visit.street = st.name.clone();
        visit.street_code = st.code.clone();
        for pc in &mut visit.communities {
            if let Some(c) =
                resolve_community(st, &pc.name, &pc.code).and_then(|c| st.communities.get(c))
            {
                pc.name = c.name.clone();
                pc.code = c.code.clone();
            }
        }
    } else if visit.street.is_empty() {
        visit.street = visit.street_code.clone();
    }
    (idx, visit)
}

/// The key under which two visits of one month are the same street.
fn street_key(idx: Option<usize>, visit: &Visit) -> String {
    idx.map_or_else(|| format!("?{}", visit.street), |i| i.to_string())
}

/// Reads a history in the plan's JSON shape: a plan object (`{"months": [...], ...}`, other keys
/// ignored) or a bare list of months. In a visit only `street` (or `street_code`) is required;
/// a community may be an object with `name` and/or `code` or a plain string (name or code).
pub fn parse_history_json(text: &str, roster: &Roster) -> Result<Vec<PlanMonth>, PlanError> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        let msg = e.to_string();
        let msg = msg.split(" at line ").next().unwrap_or(&msg).to_owned();
        error(
            format!("line {}, column {}", e.line(), e.column()),
            format!("invalid JSON: {msg}"),
            format!("JSON 格式错误：{msg}"),
        )
    })?;
    let (list, prefix) = match &value {
        Value::Array(a) => (a, String::new()),
        Value::Object(o) => match o.get("months") {
            Some(Value::Array(a)) => (a, "months".to_owned()),
            Some(_) => return Err(error("months", "expected a list of months", "应为月份列表")),
            None => {
                return Err(error(
                    "(top level)",
                    "expected a plan object with `months`, or a list of months",
                    "应为含 `months` 的计划对象，或月份列表",
                ))
            }
        },
        _ => {
            return Err(error(
                "(top level)",
                "expected a plan object with `months`, or a list of months",
                "应为含 `months` 的计划对象，或月份列表",
            ))
        }
    };
    let mut seen: BTreeMap<YearMonth, String> = BTreeMap::new();
    let mut out = Vec::new();
    for (i, mv) in list.iter().enumerate() {
        let path = format!("{prefix}[{i}]");
        let Some(obj) = mv.as_object() else {
            return Err(error(
                path,
                "expected an object with `month` and `visits`",
                "应为含 `month` 和 `visits` 的对象",
            ));
        };
        let month_path = format!("{path}.month");
        let Some(month) = obj.get("month").and_then(Value::as_str) else {
            return Err(error(
                month_path,
                "missing month (\"YYYY-MM\")",
                "缺少月份（\"YYYY-MM\"）",
            ));
        };
        let month = YearMonth::parse(month)
            .map_err(|e| error(month_path.clone(), e.to_string(), e.message_zh()))?;
        if let Some(first) = seen.get(&month) {
            return Err(error(
                month_path,
                format!("{month} appears twice (also {first})"),
                format!("{month} 出现两次（另见 {first}）"),
            ));
        }
        seen.insert(month, path.clone());
        let visits = match obj.get("visits") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a.clone(),
            Some(_) => {
                return Err(error(
                    format!("{path}.visits"),
                    "expected a list of visits",
                    "应为督导列表",
                ))
            }
        };
        let mut month_visits: Vec<(String, Visit)> = Vec::new();
        for (j, vv) in visits.iter().enumerate() {
            let vpath = format!("{path}.visits[{j}]");
            let Some(vo) = vv.as_object() else {
                return Err(error(
                    vpath,
                    "expected an object with `street`",
                    "应为含 `street` 的对象",
                ));
            };
            let street = opt_str(vo, "street", &vpath)?;
            let street_code = opt_str(vo, "street_code", &vpath)?;
            if street.trim().is_empty() && street_code.trim().is_empty() {
                return Err(error(
                    vpath,
                    "a visit needs `street` (a name or code)",
                    "督导记录需要 `street`（名称或代码）",
                ));
            }
            let communities = json_communities(vo, &vpath)?;
            let methods = str_list(vo, "methods", &vpath)?;
            let mut reasons = Vec::new();
            for (k, r) in str_list(vo, "reasons", &vpath)?.into_iter().enumerate() {
                let Some(reason) = Reason::parse(&r) else {
                    return Err(error(
                        format!("{vpath}.reasons[{k}]"),
                        format!("unknown reason `{r}` (never_visited, least_recently_visited, flagged, cycle_completion)"),
                        format!("未知理由 `{r}`（never_visited、least_recently_visited、flagged、cycle_completion）"),
                    ));
                };
                reasons.push(reason);
            }
            let (idx, mut visit) = canonical_visit(roster, &street, &street_code, communities);
            visit.methods = methods;
            visit.reasons = reasons;
            let key = street_key(idx, &visit);
            if month_visits.iter().any(|(k, _)| *k == key) {
                return Err(error(
                    vpath,
                    format!("{} appears twice in {month}", visit.street),
                    format!("{} 在 {month} 出现两次", visit.street),
                ));
            }
            month_visits.push((key, visit));
        }
        out.push(PlanMonth {
            month,
            visits: month_visits.into_iter().map(|(_, v)| v).collect(),
        });
    }
    out.sort_by_key(|m| m.month);
    Ok(out)
}

fn opt_str(obj: &Map<String, Value>, key: &str, path: &str) -> Result<String, PlanError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(error(
            format!("{path}.{key}"),
            "expected a string",
            "应为字符串",
        )),
    }
}

fn str_list(obj: &Map<String, Value>, key: &str, path: &str) -> Result<Vec<String>, PlanError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.as_str().map(str::to_owned).ok_or_else(|| {
                    error(
                        format!("{path}.{key}[{i}]"),
                        "expected a string",
                        "应为字符串",
                    )
                })
            })
            .collect(),
        Some(_) => Err(error(
            format!("{path}.{key}"),
            "expected a list of strings",
            "应为字符串列表",
        )),
    }
}

fn json_communities(obj: &Map<String, Value>, path: &str) -> Result<Vec<PlanCommunity>, PlanError> {
    let list = match obj.get("communities") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(a)) => a,
        Some(_) => {
            return Err(error(
                format!("{path}.communities"),
                "expected a list of communities",
                "应为社区列表",
            ))
        }
    };
    let mut out = Vec::new();
    for (i, c) in list.iter().enumerate() {
        let cpath = format!("{path}.communities[{i}]");
        let pc = match c {
            Value::String(s) => PlanCommunity {
                name: s.trim().to_owned(),
                code: String::new(),
            },
            Value::Object(o) => PlanCommunity {
                name: opt_str(o, "name", &cpath)?.trim().to_owned(),
                code: opt_str(o, "code", &cpath)?.trim().to_owned(),
            },
            _ => {
                return Err(error(
                    cpath,
                    "expected a community name or {\"name\", \"code\"}",
                    "应为社区名称或 {\"name\", \"code\"}",
                ))
            }
        };
        if pc.name.is_empty() && pc.code.is_empty() {
            return Err(error(
                cpath,
                "a community needs a name or a code",
                "社区需要名称或代码",
            ));
        }
        if pc.name.is_empty() {
            out.push(PlanCommunity {
                name: pc.code.clone(),
                code: pc.code,
            });
        } else {
            out.push(pc);
        }
    }
    Ok(out)
}

/// Reads a history CSV: a header with the columns `month`, `street` and (optionally)
/// `community`, in any order (other columns, such as those `to_csv` writes, are ignored); then
/// one row per visited community, or per street when `community` is empty. Rows of the same
/// month and street are one visit.
pub fn parse_history_csv(text: &str, roster: &Roster) -> Result<Vec<PlanMonth>, PlanError> {
    let (records, problems) = csv::read(text);
    if let Some((line, p)) = problems.first() {
        let (en, zh) = match p {
            csv::CsvProblem::Unterminated => {
                ("a quoted field is not closed", "带引号的字段没有结束引号")
            }
            csv::CsvProblem::Stray => (
                "a quote inside an unquoted field",
                "未加引号的字段中出现引号",
            ),
            csv::CsvProblem::TextAfter => (
                "text after the closing quote of a field",
                "字段的结束引号后还有文字",
            ),
        };
        return Err(error(format!("line {line}"), en, zh));
    }
    let Some((header, rows)) = records.split_first() else {
        return Err(error(
            "line 1",
            "empty history (expected the header month,street,community)",
            "历史记录为空（应有表头 month,street,community）",
        ));
    };
    let names: Vec<String> = header
        .fields
        .iter()
        .map(|f| f.trim().to_lowercase())
        .collect();
    let col = |name: &str| names.iter().position(|n| n == name);
    let (Some(mc), Some(sc)) = (col("month"), col("street")) else {
        return Err(error(
            format!("line {}", header.line),
            "the header needs the columns month and street (and community)",
            "表头需要 month 和 street 列（以及 community 列）",
        ));
    };
    let cc = col("community");
    let mut months: BTreeMap<YearMonth, Vec<(String, Visit)>> = BTreeMap::new();
    for r in rows {
        let loc = format!("line {}", r.line);
        if r.fields.len() != names.len() {
            return Err(error(
                loc,
                format!(
                    "{} fields, but the header has {} (a comma in a field needs quotes)",
                    r.fields.len(),
                    names.len()
                ),
                format!(
                    "有 {} 个字段，表头有 {} 个（字段中的逗号需要加引号）",
                    r.fields.len(),
                    names.len()
                ),
            ));
        }
        let get = |i: Option<usize>| i.and_then(|i| r.fields.get(i)).map_or("", |s| s.as_str());
        let month = YearMonth::parse(get(Some(mc)))
            .map_err(|e| error(loc.clone(), e.to_string(), e.message_zh()))?;
        let street = get(Some(sc));
        if street.is_empty() {
            return Err(error(loc, "empty street", "街道为空"));
        }
        let community = get(cc);
        let communities = if community.is_empty() {
            Vec::new()
        } else {
            vec![PlanCommunity {
                name: community.to_owned(),
                code: String::new(),
            }]
        };
        let (idx, visit) = canonical_visit(roster, street, "", communities);
        let key = street_key(idx, &visit);
        let list = months.entry(month).or_default();
        match list.iter_mut().find(|(k, _)| *k == key) {
            Some((_, existing)) => {
                for pc in visit.communities {
                    if !existing.communities.contains(&pc) {
                        existing.communities.push(pc);
                    }
                }
            }
            None => list.push((key, visit)),
        }
    }
    Ok(months
        .into_iter()
        .map(|(month, visits)| PlanMonth {
            month,
            visits: visits.into_iter().map(|(_, v)| v).collect(),
        })
        .collect())
}
