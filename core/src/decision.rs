//! The Decision: the one answer every surface returns, as one serde type. Field order is the
//! contract's; JSON is compact UTF-8.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::sync::Arc;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyRef {
    pub name: String,
    pub version: String,
    pub digest: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ObligationOut {
    pub id: String,
    pub rule: String,
    pub title: Option<String>,
    pub cite: Vec<String>,
    pub action: String,
    pub actor: String,
    pub party: Option<String>,
    pub deadline: String,
    pub due: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub with: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Missing {
    pub fact: String,
    pub decides: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Assumption {
    pub param: String,
    pub value: String,
    pub why: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Conflict {
    pub conclusion: String,
    pub rules: Vec<String>,
    pub values: Vec<serde_json::Value>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Determined,
    Undetermined,
    Conflict,
}

/// Conclusions in declaration order (a JSON object whose key order is kept).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Conclusions(pub Vec<(String, serde_json::Value)>);

impl Serialize for Conclusions {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for Conclusions {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Conclusions;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of conclusions")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<Conclusions, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = a.next_entry::<String, serde_json::Value>()? {
                    out.push((k, v));
                }
                Ok(Conclusions(out))
            }
        }
        d.deserialize_map(V)
    }
}

impl Conclusions {
    pub fn get(&self, key: &str) -> Option<&serde_json::Value> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

// The texts of an explanation are shared (`Arc<str>`) with the policy, which works them out
// once: every explained case repeats the same rule ids, titles, conditions and fact paths.

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceFact {
    pub fact: Arc<str>,
    pub value: serde_json::Value,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceCondition {
    pub condition: Arc<str>,
    /// `true`, `false` or `unknown`. (The fixed words of an explanation are borrowed, not
    /// shared: every explained case has ~150 of them, and sharing costs two atomic operations
    /// each.)
    pub value: Cow<'static, str>,
    pub facts: Vec<TraceFact>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceRule {
    pub rule: Arc<str>,
    pub title: Option<Arc<str>>,
    /// `fired`, `not_fired`, `undecided`, `overridden`, `not_applicable` (an optional section is
    /// absent) or `not_in_force` (outside its effective dates).
    pub result: Cow<'static, str>,
    pub conditions: Vec<TraceCondition>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub policy: PolicyRef,
    pub case_id: Option<String>,
    pub as_of: String,
    pub status: Status,
    pub obligations: Vec<ObligationOut>,
    pub conclusions: Conclusions,
    pub undecided: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<Conflict>,
    pub missing: Vec<Missing>,
    pub assumptions: Vec<Assumption>,
    pub notes: Vec<String>,
    pub fired: Vec<String>,
    pub trace: Option<Vec<TraceRule>>,
}

impl Decision {
    /// Compact JSON, the bytes every surface must agree on.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }
}
