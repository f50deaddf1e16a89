//! The conformance corpus: `tests/conformance/*.json`, one case per file, read by the Rust,
//! Python and browser suites alike. This crate loads the cases and checks a decision against
//! a case's expectations; the Python and wasm suites compare their bytes with the CLI's.

pub mod generate;

use humiao_core::decision::Decision;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// One case of the corpus.
pub struct Case {
    pub file: PathBuf,
    pub name: String,
    pub as_of: String,
    pub params: Vec<(String, Value)>,
    pub facts: Value,
    pub expect: Value,
}

pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance")
}

pub fn rules_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("rules")
}

/// Every case, sorted by file name; a malformed file is an error naming it.
pub fn load_cases() -> Result<Vec<Case>, String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .map_err(|e| format!("{}: {e}", corpus_dir().display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?;
        let v: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", f.display()))?;
        let get = |k: &str| v.get(k).cloned();
        let params = match get("params") {
            Some(Value::Object(m)) => m.into_iter().collect(),
            _ => Vec::new(),
        };
        out.push(Case {
            name: get("name")
                .and_then(|n| n.as_str().map(String::from))
                .unwrap_or_default(),
            as_of: get("as_of")
                .and_then(|n| n.as_str().map(String::from))
                .ok_or_else(|| format!("{}: no as_of", f.display()))?,
            params,
            facts: get("facts").ok_or_else(|| format!("{}: no facts", f.display()))?,
            expect: get("expect").ok_or_else(|| format!("{}: no expect", f.display()))?,
            file: f,
        });
    }
    Ok(out)
}

/// Checks a decision against a case's expectations; returns every mismatch.
pub fn check(d: &Decision, expect: &Value) -> Vec<String> {
    let mut bad = Vec::new();
    let dj: Value = serde_json::to_value(d).unwrap_or(Value::Null);
    let strs = |k: &str| -> Vec<String> {
        expect
            .get(k)
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    if let Some(s) = expect.get("status").and_then(|s| s.as_str()) {
        if dj.get("status").and_then(|x| x.as_str()) != Some(s) {
            bad.push(format!(
                "status: expected {s}, got {}",
                dj.get("status").unwrap_or(&Value::Null)
            ));
        }
    }
    if let Some(Value::Object(cs)) = expect.get("conclusions") {
        for (k, want) in cs {
            match d.conclusions.get(k) {
                Some(got) if same(got, want) => {}
                got => bad.push(format!(
                    "conclusion {k}: expected {want}, got {}",
                    got.map_or("absent".into(), |g| g.to_string())
                )),
            }
        }
    }
    for k in strs("absent_conclusions") {
        if let Some(v) = d.conclusions.get(&k) {
            bad.push(format!("conclusion {k}: expected absent, got {v}"));
        }
    }
    let obligations = dj
        .get("obligations")
        .and_then(|o| o.as_array())
        .cloned()
        .unwrap_or_default();
    let matches = |pat: &Value, o: &Value| -> bool {
        pat.as_object()
            .is_some_and(|m| m.iter().all(|(k, v)| o.get(k).is_some_and(|x| same(x, v))))
    };
    if let Some(Value::Array(want)) = expect.get("obligations") {
        for w in want {
            if !obligations.iter().any(|o| matches(w, o)) {
                bad.push(format!(
                    "obligation {w}: not found among {}",
                    Value::Array(obligations.clone())
                ));
            }
        }
    }
    if let Some(Value::Array(want)) = expect.get("no_obligations") {
        for w in want {
            if let Some(o) = obligations.iter().find(|o| matches(w, o)) {
                bad.push(format!("obligation {w}: expected none, got {o}"));
            }
        }
    }
    for k in strs("undecided") {
        if !d.undecided.contains(&k) {
            bad.push(format!("undecided: expected {k} among {:?}", d.undecided));
        }
    }
    let missing: Vec<&str> = d.missing.iter().map(|m| m.fact.as_str()).collect();
    if let Some(first) = expect.get("missing_first").and_then(|s| s.as_str()) {
        if missing.first() != Some(&first) {
            bad.push(format!("missing_first: expected {first}, got {missing:?}"));
        }
    }
    for k in strs("missing") {
        if !missing.contains(&k.as_str()) {
            bad.push(format!("missing: expected {k} among {missing:?}"));
        }
    }
    for k in strs("fired") {
        if !d.fired.contains(&k) {
            bad.push(format!("fired: expected {k} among {:?}", d.fired));
        }
    }
    for k in strs("not_fired") {
        if d.fired.contains(&k) {
            bad.push(format!("not_fired: {k} fired"));
        }
    }
    bad
}

/// Equality for expectations: sets compare without order.
fn same(got: &Value, want: &Value) -> bool {
    match (got, want) {
        (Value::Array(a), Value::Array(b)) => a.len() == b.len() && b.iter().all(|x| a.contains(x)),
        _ => got == want,
    }
}

/// Assertions a case makes, to reject cases that assert nothing.
pub fn assertion_count(expect: &Value) -> usize {
    expect.as_object().map_or(0, |m| {
        m.values()
            .map(|v| match v {
                Value::Array(a) => a.len(),
                Value::Object(o) => o.len(),
                Value::Null => 0,
                _ => 1,
            })
            .sum()
    })
}
