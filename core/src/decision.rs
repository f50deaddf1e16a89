//! The Decision: the one answer every surface returns, as one serde type. Field order is the
//! contract's; JSON is compact UTF-8.

use serde::{Deserialize, Serialize};
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

// An explanation: per case only what differs from case to case (each rule's result, each
// condition's truth value, the values of the facts the conditions read); the texts (rule ids,
// titles, conditions, fact paths) are the policy's, worked out once and shared by every trace of
// it through one reference count.

/// What happened to a rule in a case.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum RuleResult {
    Fired,
    NotFired,
    Undecided,
    Overridden,
    /// An optional section the rule reads is absent.
    NotApplicable,
    /// Outside its effective dates.
    NotInForce,
}

impl RuleResult {
    /// The word the JSON uses: `fired`, `not_fired`, `undecided`, `overridden`,
    /// `not_applicable` or `not_in_force`.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleResult::Fired => "fired",
            RuleResult::NotFired => "not_fired",
            RuleResult::Undecided => "undecided",
            RuleResult::Overridden => "overridden",
            RuleResult::NotApplicable => "not_applicable",
            RuleResult::NotInForce => "not_in_force",
        }
    }

    fn parse(s: &str) -> Option<RuleResult> {
        Some(match s {
            "fired" => RuleResult::Fired,
            "not_fired" => RuleResult::NotFired,
            "undecided" => RuleResult::Undecided,
            "overridden" => RuleResult::Overridden,
            "not_applicable" => RuleResult::NotApplicable,
            "not_in_force" => RuleResult::NotInForce,
            _ => return None,
        })
    }

    /// Whether an explanation lists the rule's conditions: not for a rule outside its dates or
    /// one whose section is absent.
    pub fn lists_conditions(self) -> bool {
        !matches!(self, RuleResult::NotInForce | RuleResult::NotApplicable)
    }
}

/// The texts of a policy's explanations, the same for every case.
#[derive(Debug, Default)]
pub struct TraceTexts {
    pub(crate) rules: Vec<RuleTexts>,
    /// Per fact entry (a fact some condition reads): its path.
    pub(crate) fact_paths: Vec<String>,
    /// Per fact entry: the fact's slot in the schema (for a trace made by the evaluator; empty
    /// in one read back from JSON, whose entries are its facts as listed).
    pub(crate) fact_slots: Vec<u32>,
}

#[derive(Debug, Default)]
pub(crate) struct RuleTexts {
    pub(crate) id: String,
    pub(crate) title: Option<String>,
    pub(crate) conditions: Vec<ConditionTexts>,
}

#[derive(Debug, Default)]
pub(crate) struct ConditionTexts {
    pub(crate) text: String,
    /// The fact entries it reads, in order.
    pub(crate) facts: Vec<u32>,
}

/// Why each rule did or did not fire, in the policy's rule order (`Decision::trace`). Read it
/// through [`Trace::rules`]; it serializes to the contract's JSON list of rules.
#[derive(Clone)]
pub struct Trace {
    pub(crate) texts: Arc<TraceTexts>,
    /// Per rule of `texts`: its result, and whether its conditions are listed.
    pub(crate) steps: Vec<(RuleResult, bool)>,
    /// Per condition of every listed rule, in order: true, false or unknown (`None`).
    pub(crate) values: Vec<Option<bool>>,
    /// Per fact entry of `texts`: its value in this case (`null` for one no listed condition
    /// reads).
    pub(crate) facts: Vec<serde_json::Value>,
}

/// One rule of a [`Trace`].
#[derive(Copy, Clone)]
pub struct TraceRule<'a> {
    texts: &'a TraceTexts,
    rule: &'a RuleTexts,
    result: RuleResult,
    /// The truth values of its listed conditions (empty when none are listed).
    values: &'a [Option<bool>],
    facts: &'a [serde_json::Value],
}

/// One condition of a [`TraceRule`].
#[derive(Copy, Clone)]
pub struct TraceCondition<'a> {
    texts: &'a TraceTexts,
    condition: &'a ConditionTexts,
    value: Option<bool>,
    facts: &'a [serde_json::Value],
}

/// A fact a condition reads, with its value in the case (`<redacted>` for a sensitive one).
#[derive(Copy, Clone, Debug, PartialEq, Serialize)]
pub struct TraceFact<'a> {
    pub fact: &'a str,
    pub value: &'a serde_json::Value,
}

impl Trace {
    /// The rules, in the policy's order.
    pub fn rules(&self) -> impl ExactSizeIterator<Item = TraceRule<'_>> + '_ {
        let mut at = 0usize;
        self.texts
            .rules
            .iter()
            .zip(&self.steps)
            .map(move |(rule, &(result, listed))| {
                let n = if listed { rule.conditions.len() } else { 0 };
                let values = self.values.get(at..at + n).unwrap_or_default();
                at += n;
                TraceRule {
                    texts: &self.texts,
                    rule,
                    result,
                    values,
                    facts: &self.facts,
                }
            })
    }

    pub fn len(&self) -> usize {
        self.steps.len().min(self.texts.rules.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<'a> TraceRule<'a> {
    /// The rule's id.
    pub fn rule(&self) -> &'a str {
        &self.rule.id
    }

    pub fn title(&self) -> Option<&'a str> {
        self.rule.title.as_deref()
    }

    pub fn result(&self) -> RuleResult {
        self.result
    }

    /// Its conditions with their truth values; none for a rule outside its dates or whose
    /// section is absent.
    pub fn conditions(&self) -> impl ExactSizeIterator<Item = TraceCondition<'a>> + 'a {
        let (texts, facts) = (self.texts, self.facts);
        self.rule
            .conditions
            .iter()
            .zip(self.values)
            .map(move |(condition, &value)| TraceCondition {
                texts,
                condition,
                value,
                facts,
            })
    }
}

impl<'a> TraceCondition<'a> {
    /// The condition as written in the policy.
    pub fn condition(&self) -> &'a str {
        &self.condition.text
    }

    /// `Some(true)`, `Some(false)`, or `None` when unknown.
    pub fn truth(&self) -> Option<bool> {
        self.value
    }

    /// `true`, `false` or `unknown`, as the JSON says.
    pub fn value(&self) -> &'static str {
        match self.value {
            Some(true) => "true",
            Some(false) => "false",
            None => "unknown",
        }
    }

    /// The facts it reads, with their values in the case.
    pub fn facts(&self) -> impl ExactSizeIterator<Item = TraceFact<'a>> + 'a {
        let (texts, facts) = (self.texts, self.facts);
        self.condition.facts.iter().map(move |&e| TraceFact {
            fact: texts.fact_paths.get(e as usize).map_or("", String::as_str),
            value: facts.get(e as usize).unwrap_or(&serde_json::Value::Null),
        })
    }
}

impl Serialize for Trace {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.rules())
    }
}

impl Serialize for TraceRule<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        struct Conditions<'b>(TraceRule<'b>);
        impl Serialize for Conditions<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.0.conditions())
            }
        }
        let mut st = s.serialize_struct("TraceRule", 4)?;
        st.serialize_field("rule", self.rule())?;
        st.serialize_field("title", &self.title())?;
        st.serialize_field("result", self.result.as_str())?;
        st.serialize_field("conditions", &Conditions(*self))?;
        st.end()
    }
}

impl Serialize for TraceCondition<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        struct Facts<'b>(TraceCondition<'b>);
        impl Serialize for Facts<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.0.facts())
            }
        }
        let mut st = s.serialize_struct("TraceCondition", 3)?;
        st.serialize_field("condition", self.condition())?;
        st.serialize_field("value", self.value())?;
        st.serialize_field("facts", &Facts(*self))?;
        st.end()
    }
}

impl PartialEq for TraceRule<'_> {
    fn eq(&self, o: &Self) -> bool {
        self.rule() == o.rule()
            && self.title() == o.title()
            && self.result == o.result
            && self.conditions().eq(o.conditions())
    }
}

impl PartialEq for TraceCondition<'_> {
    fn eq(&self, o: &Self) -> bool {
        self.condition() == o.condition() && self.value == o.value && self.facts().eq(o.facts())
    }
}

/// Equal when they read the same, whoever made them.
impl PartialEq for Trace {
    fn eq(&self, o: &Self) -> bool {
        self.len() == o.len() && self.rules().eq(o.rules())
    }
}

impl std::fmt::Debug for TraceRule<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TraceRule")
            .field("rule", &self.rule())
            .field("title", &self.title())
            .field("result", &self.result)
            .field("conditions", &self.conditions().collect::<Vec<_>>())
            .finish()
    }
}

impl std::fmt::Debug for TraceCondition<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TraceCondition")
            .field("condition", &self.condition())
            .field("value", &self.value())
            .field("facts", &self.facts().collect::<Vec<_>>())
            .finish()
    }
}

impl std::fmt::Debug for Trace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.rules()).finish()
    }
}

impl<'de> Deserialize<'de> for Trace {
    /// A trace read back from its JSON: its texts are its own.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        #[derive(Deserialize)]
        struct FactIn {
            fact: String,
            value: serde_json::Value,
        }
        #[derive(Deserialize)]
        struct ConditionIn {
            condition: String,
            value: String,
            facts: Vec<FactIn>,
        }
        #[derive(Deserialize)]
        struct RuleIn {
            rule: String,
            title: Option<String>,
            result: String,
            conditions: Vec<ConditionIn>,
        }
        let rules = Vec::<RuleIn>::deserialize(d)?;
        let mut texts = TraceTexts::default();
        let (mut steps, mut values, mut facts) = (Vec::new(), Vec::new(), Vec::new());
        for r in rules {
            let result = RuleResult::parse(&r.result)
                .ok_or_else(|| D::Error::custom(format!("unknown rule result {:?}", r.result)))?;
            steps.push((result, true));
            let mut conditions = Vec::with_capacity(r.conditions.len());
            for c in r.conditions {
                values.push(match c.value.as_str() {
                    "true" => Some(true),
                    "false" => Some(false),
                    "unknown" => None,
                    v => return Err(D::Error::custom(format!("unknown condition value {v:?}"))),
                });
                let mut entries = Vec::with_capacity(c.facts.len());
                for f in c.facts {
                    entries.push(u32::try_from(facts.len()).map_err(D::Error::custom)?);
                    texts.fact_paths.push(f.fact);
                    facts.push(f.value);
                }
                conditions.push(ConditionTexts {
                    text: c.condition,
                    facts: entries,
                });
            }
            texts.rules.push(RuleTexts {
                id: r.rule,
                title: r.title,
                conditions,
            });
        }
        Ok(Trace {
            texts: Arc::new(texts),
            steps,
            values,
            facts,
        })
    }
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
    pub trace: Option<Trace>,
}

impl Decision {
    /// Compact JSON, the bytes every surface must agree on.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;
    use crate::time::Date;
    use crate::{EvalOptions, FactsOptions, LoadOptions, Policy, Source};

    fn policy() -> Policy {
        let sources = [
            Source::new("humiao.toml", "name = \"t\"\nversion = \"1\"\n"),
            Source::new(
                "a.humiao",
                concat!(
                    "policy a \"A\"\n",
                    "facts { discovered_at: DateTime }\n",
                    "facts minor \"未成年人\" {\n",
                    "  age: Int? @range(0, 150) \"年龄\"\n",
                    "  id: Text? @sensitive \"证件号码\"\n",
                    "  disabled: Bool? \"残疾\"\n",
                    "}\n",
                    "conclusion a.young: Bool \"年幼\"\n",
                    "conclusion a.later: Bool \"以后\"\n",
                    "rule young \"年幼\"\n",
                    "  cite \"第一条\"\n",
                    "  when minor.age < 14 and minor.disabled\n",
                    "  then conclude a.young = true\n",
                    "rule known \"已知身份\"\n",
                    "  cite \"第一条\"\n",
                    "  when minor.id == \"x\" and minor.age < 18\n",
                    "  then conclude a.young = true\n",
                    "rule later\n",
                    "  cite \"第一条\"\n",
                    "  effective 2090-01-01\n",
                    "  when minor.age < 10\n",
                    "  then conclude a.later = true\n",
                ),
            ),
        ];
        Policy::from_sources(&sources, &LoadOptions::default()).unwrap()
    }

    fn explained(p: &Policy, facts: &str) -> Trace {
        let opts = EvalOptions {
            explain: true,
            ..EvalOptions::default()
        };
        let as_of = Date::parse("2026-03-01").unwrap();
        p.evaluate_text(facts, as_of, &opts, &FactsOptions::default())
            .unwrap()
            .trace
            .unwrap()
    }

    #[test]
    fn a_trace_reads_as_its_rules_conditions_and_facts() {
        let p = policy();
        let t = explained(
            &p,
            r#"{"discovered_at": "2026-02-01T10:00+08:00", "minor": {"age": 9, "id": "x"}}"#,
        );
        let rules: Vec<_> = t.rules().collect();
        assert_eq!(t.len(), 3);
        assert_eq!(rules[0].rule(), "a.young");
        assert_eq!(rules[0].title(), Some("年幼"));
        assert_eq!(rules[0].result(), RuleResult::Undecided);
        let c: Vec<_> = rules[0].conditions().collect();
        assert_eq!(c.len(), 2);
        assert_eq!((c[0].truth(), c[0].value()), (Some(true), "true"));
        assert_eq!((c[1].truth(), c[1].value()), (None, "unknown"));
        let f: Vec<_> = c[0].facts().collect();
        assert_eq!(f.len(), 1);
        assert_eq!(
            (f[0].fact, f[0].value),
            ("minor.age", &serde_json::json!(9))
        );
        // A sensitive fact is redacted; the age read by a second rule has the same value.
        assert_eq!(rules[1].result(), RuleResult::Fired);
        assert_eq!(
            rules[1].conditions().map(|c| c.value()).collect::<Vec<_>>(),
            ["true", "true"]
        );
        let f: Vec<_> = rules[1].conditions().flat_map(|c| c.facts()).collect();
        assert_eq!(
            f.iter()
                .map(|f| (f.fact, f.value.clone()))
                .collect::<Vec<_>>(),
            [
                ("minor.id", serde_json::json!("<redacted>")),
                ("minor.age", serde_json::json!(9)),
            ]
        );
        // A rule not in force lists no conditions.
        assert_eq!(rules[2].result(), RuleResult::NotInForce);
        assert_eq!(rules[2].title(), None);
        assert_eq!(rules[2].conditions().count(), 0);
    }

    #[test]
    fn a_trace_reads_back_from_its_json_equal_and_to_the_same_bytes() {
        let p = policy();
        let facts = r#"{"discovered_at": "2026-02-01T10:00+08:00", "minor": {"age": 15, "disabled": true}}"#;
        let t = explained(&p, facts);
        let json = serde_json::to_string(&t).unwrap();
        assert!(json.starts_with(
            r#"[{"rule":"a.young","title":"年幼","result":"not_fired","conditions":[{"condition":"#
        ));
        assert!(json.ends_with(
            r#"{"rule":"a.later","title":null,"result":"not_in_force","conditions":[]}]"#
        ));
        let back: Trace = serde_json::from_str(&json).unwrap();
        assert_eq!(serde_json::to_string(&back).unwrap(), json);
        assert_eq!(back, t);
        assert_eq!(format!("{back:?}"), format!("{t:?}"));
        // Another case's trace is not equal, whoever made it.
        let other = explained(
            &p,
            r#"{"discovered_at": "2026-02-01T10:00+08:00", "minor": {"age": 15}}"#,
        );
        assert_ne!(other, t);
        assert_ne!(back, other);
        // Conditions listed under a rule outside its dates are kept when read back.
        let odd = r#"[{"rule":"r","title":null,"result":"not_in_force","conditions":[{"condition":"c","value":"false","facts":[]}]}]"#;
        let t: Trace = serde_json::from_str(odd).unwrap();
        assert_eq!(serde_json::to_string(&t).unwrap(), odd);
    }

    #[test]
    fn a_trace_with_unknown_words_is_refused() {
        let bad_result = r#"[{"rule":"r","title":null,"result":"maybe","conditions":[]}]"#;
        let e = serde_json::from_str::<Trace>(bad_result).unwrap_err();
        assert!(
            e.to_string().contains("unknown rule result \"maybe\""),
            "{e}"
        );
        let bad_value = r#"[{"rule":"r","title":null,"result":"fired","conditions":[{"condition":"c","value":"yes","facts":[]}]}]"#;
        let e = serde_json::from_str::<Trace>(bad_value).unwrap_err();
        assert!(
            e.to_string().contains("unknown condition value \"yes\""),
            "{e}"
        );
    }
}
