//! The monthly supervision rotation planner (专项督导轮换).
//!
//! Each month the district supervises `k` streets and `c` communities in each of them. The
//! planner picks them: fair (every street once per round of ⌈streets/k⌉ months, every community
//! of a street once before any repeats), explainable (every visit carries its reasons),
//! reproducible (ties are broken by a fixed hash of the seed and the names) and continuous (a
//! history of past rounds is replayed, so the plan carries on where the rounds stand).
//!
//! The algorithm, the guarantees and how flags interact with the rounds are described in
//! `docs/planner.md`. This module does no I/O and reads no clock: the roster, the history and the
//! first month come from the caller.

mod check;
mod csv;
mod engine;
mod hash;
mod history;
mod render;
mod roster;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use crate::time::YearMonth;

pub use check::check_plan;
pub use engine::plan;
pub use history::{parse_history_csv, parse_history_json};
pub use render::{display_width, to_csv, to_human, to_ics, to_json};
pub use roster::{
    parse_roster_csv, validate_roster, Community, Roster, RosterError, RosterErrorKind, Street,
};

/// The longest plan `plan` makes (100 years), so a typo cannot ask for a billion months.
pub const MAX_MONTHS: u32 = 1200;

/// A priority a rotation declares with `prefer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Preference {
    /// Flagged streets go into the first planned month (`prefer flagged`); without it the
    /// rotation takes no flags.
    Flagged,
    /// Inside a round, streets (and inside a street, communities) visited longest ago go first,
    /// never-visited ones before all. The planner always orders rounds this way; the preference
    /// documents it.
    LeastRecentlyVisited,
}

impl Preference {
    /// Parses the language's name: `flagged` or `least_recently_visited`.
    pub fn parse(s: &str) -> Option<Preference> {
        match s {
            "flagged" => Some(Preference::Flagged),
            "least_recently_visited" => Some(Preference::LeastRecentlyVisited),
            _ => None,
        }
    }
}

/// A `rotation` declaration: what to pick each month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationSpec {
    /// The rotation's name, e.g. `supervision`; it names the plan and the calendar events.
    pub name: String,
    /// The title, e.g. `专项督导：每月3条街道、6个社区`.
    pub title: String,
    /// `k`: streets visited each month.
    pub streets_per_month: u32,
    /// `c`: communities visited in each street visited.
    pub communities_per_street: u32,
    /// Method ids, e.g. `["home_visit", "document_review"]`, copied into every visit.
    pub methods: Vec<String>,
    pub prefer: Vec<Preference>,
    /// Street or community names or codes taken out of the rotation (e.g. under renovation).
    pub exclude: Vec<String>,
    /// The tie-break seed.
    pub seed: u64,
}

/// A street flagged for the next month (e.g. a red-level child, an open rectification item).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    /// The street's name or code.
    pub street: String,
    /// Why, in the staff's words; it is quoted in the plan's notes.
    pub reason: String,
}

/// A community in a plan or history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanCommunity {
    pub name: String,
    #[serde(default)]
    pub code: String,
}

/// Why a visit was picked. Serialised in snake_case; listed in this order inside a visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The street's regular turn in the round, and it has no visit before this one.
    NeverVisited,
    /// The street's regular turn in the round: among the streets the round still owes a visit,
    /// it was visited longest ago (`last_visited`).
    LeastRecentlyVisited,
    /// The street was flagged for this month.
    Flagged,
    /// An extra visit filling the last month of a round: the round owed fewer streets than a
    /// month visits (the number of streets is not a multiple of `k`), so the free places go to
    /// the streets visited longest ago.
    CycleCompletion,
}

impl Reason {
    /// The reason's JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::NeverVisited => "never_visited",
            Reason::LeastRecentlyVisited => "least_recently_visited",
            Reason::Flagged => "flagged",
            Reason::CycleCompletion => "cycle_completion",
        }
    }

    /// The reason for staff, in Chinese.
    pub fn label_zh(self) -> &'static str {
        match self {
            Reason::NeverVisited => "从未督导",
            Reason::LeastRecentlyVisited => "最久未督导",
            Reason::Flagged => "重点标记",
            Reason::CycleCompletion => "轮次补位",
        }
    }

    /// The reason for staff, in English.
    pub fn label_en(self) -> &'static str {
        match self {
            Reason::NeverVisited => "never visited",
            Reason::LeastRecentlyVisited => "least recently visited",
            Reason::Flagged => "flagged",
            Reason::CycleCompletion => "cycle completion",
        }
    }

    /// Parses a JSON name.
    pub fn parse(s: &str) -> Option<Reason> {
        [
            Reason::NeverVisited,
            Reason::LeastRecentlyVisited,
            Reason::Flagged,
            Reason::CycleCompletion,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

/// One visit: a street, the communities visited in it, how, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visit {
    pub street: String,
    #[serde(default)]
    pub street_code: String,
    #[serde(default)]
    pub communities: Vec<PlanCommunity>,
    #[serde(default)]
    pub methods: Vec<String>,
    #[serde(default)]
    pub reasons: Vec<Reason>,
    /// The month of the street's previous visit (history or earlier in the plan), `null` when
    /// never visited: the "since" of `least_recently_visited`. An addition to the CONTRACT.md
    /// shape; history input may omit it.
    #[serde(default)]
    pub last_visited: Option<YearMonth>,
}

/// One past or planned month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanMonth {
    pub month: YearMonth,
    pub visits: Vec<Visit>,
}

/// A rotation plan, serialised as in CONTRACT.md ("Rotation plan") plus `notes` (English) and
/// `notes_zh` (the same notes in Chinese, index by index).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub rotation: String,
    pub from: YearMonth,
    pub months: Vec<PlanMonth>,
    /// What the planner did that a reader should know: unusual rosters, exclusions, flags, the
    /// state of the rounds taken from the history, history entries it could not use.
    #[serde(default)]
    pub notes: Vec<String>,
    #[serde(default)]
    pub notes_zh: Vec<String>,
}

impl Plan {
    /// The planned month `m`, if the plan covers it.
    pub fn month(&self, m: YearMonth) -> Option<&PlanMonth> {
        self.months.iter().find(|pm| pm.month == m)
    }

    /// Every visit to the street with this name or code, with its month, in month order.
    pub fn visits_to<'a>(
        &'a self,
        street: &'a str,
    ) -> impl Iterator<Item = (YearMonth, &'a Visit)> + 'a {
        let key = street.trim();
        self.months
            .iter()
            .flat_map(|pm| pm.visits.iter().map(move |v| (pm.month, v)))
            .filter(move |(_, v)| v.street == key || v.street_code == key)
    }
}

/// Why no plan could be made (or a history could not be read).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("rotation `{rotation}`: {what} must be at least 1")]
    ZeroCount {
        rotation: String,
        what: &'static str,
    },
    #[error("a plan covers at most {max} months, not {months}")]
    TooManyMonths { months: u32, max: u32 },
    #[error("the plan would run past the year 9999")]
    MonthOutOfRange,
    #[error("invalid roster: {}{}", .0.first().map(ToString::to_string).unwrap_or_default(), more(.0.len()))]
    InvalidRoster(Vec<RosterError>),
    #[error("exclusion `{0}` names no street or community of the roster (by name or code){near}", near = did_you_mean_en(.1))]
    UnknownExclusion(String, Option<String>),
    #[error(
        "no street is left in the rotation: every street is excluded or has no community left"
    )]
    NoEligibleStreets,
    #[error("flag `{0}` names no street of the roster (by name or code){near}", near = did_you_mean_en(.1))]
    UnknownFlag(String, Option<String>),
    #[error("flag `{0}`: the street is excluded from the rotation")]
    FlaggedExcluded(String),
    #[error("{flagged} streets are flagged, but a month visits only {per_month}")]
    TooManyFlags { flagged: usize, per_month: usize },
    #[error("rotation `{0}` does not declare `prefer flagged`, so it takes no flags")]
    FlagsNotPreferred(String),
    #[error("{location}: {message}")]
    History {
        location: String,
        message: String,
        message_zh: String,
    },
}

fn more(n: usize) -> String {
    if n > 1 {
        format!(" (and {} more)", n - 1)
    } else {
        String::new()
    }
}

fn did_you_mean_en(near: &Option<String>) -> String {
    near.as_ref()
        .map(|n| format!("; did you mean `{n}`?"))
        .unwrap_or_default()
}

fn did_you_mean_zh(near: &Option<String>) -> String {
    near.as_ref()
        .map(|n| format!("；是否想写 `{n}`？"))
        .unwrap_or_default()
}

impl PlanError {
    /// The message in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            PlanError::ZeroCount { rotation, what } => {
                let what = if what.starts_with("streets") {
                    "每月街道数"
                } else {
                    "每条街道的社区数"
                };
                format!("轮换 `{rotation}`：{what}至少为 1")
            }
            PlanError::TooManyMonths { months, max } => {
                format!("计划最多 {max} 个月，不能是 {months} 个月")
            }
            PlanError::MonthOutOfRange => "计划会超出 9999 年".to_owned(),
            PlanError::InvalidRoster(errors) => {
                let first = errors
                    .first()
                    .map(RosterError::message_zh)
                    .unwrap_or_default();
                if errors.len() > 1 {
                    format!("名册有误：{first}（另有 {} 处）", errors.len() - 1)
                } else {
                    format!("名册有误：{first}")
                }
            }
            PlanError::UnknownExclusion(k, near) => {
                format!(
                    "排除项 `{k}` 不是名册中任何街道或社区的名称或代码{}",
                    did_you_mean_zh(near)
                )
            }
            PlanError::NoEligibleStreets => {
                "轮换中没有街道：所有街道都被排除或已没有可督导的社区".to_owned()
            }
            PlanError::UnknownFlag(k, near) => format!(
                "标记 `{k}` 不是名册中任何街道的名称或代码{}",
                did_you_mean_zh(near)
            ),
            PlanError::FlaggedExcluded(k) => format!("标记 `{k}`：该街道已被排除在轮换之外"),
            PlanError::TooManyFlags { flagged, per_month } => {
                format!("标记了 {flagged} 条街道，但每月只督导 {per_month} 条")
            }
            PlanError::FlagsNotPreferred(r) => {
                format!("轮换 `{r}` 没有声明 `prefer flagged`，不接受标记")
            }
            PlanError::History {
                location,
                message_zh,
                ..
            } => format!("{location}：{message_zh}"),
        }
    }
}

/// A note in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Note {
    pub en: String,
    pub zh: String,
}

/// Which streets and communities take part in the rotation: the roster minus the exclusions,
/// minus streets left with no community.
#[derive(Debug, Clone)]
pub(crate) struct Scope<'a> {
    pub roster: &'a Roster,
    pub street_ok: Vec<bool>,
    pub community_ok: Vec<Vec<bool>>,
}

impl<'a> Scope<'a> {
    /// Resolves `spec.exclude` against the roster. Unknown names are an error: an exclusion that
    /// silently matched nothing would put a community under renovation back into the plan.
    pub fn new(
        spec: &RotationSpec,
        roster: &'a Roster,
        notes: &mut Vec<Note>,
    ) -> Result<Scope<'a>, PlanError> {
        let mut street_ok = vec![true; roster.streets.len()];
        let mut community_ok: Vec<Vec<bool>> = roster
            .streets
            .iter()
            .map(|s| vec![true; s.communities.len()])
            .collect();
        let mut excluded_streets = Vec::new();
        let mut excluded_communities = Vec::new();
        for key in &spec.exclude {
            let key = key.trim();
            let mut matched = false;
            for (si, street) in roster.streets.iter().enumerate() {
                if street.name == key || street.code == key {
                    matched = true;
                    if let Some(ok) = street_ok.get_mut(si) {
                        if *ok {
                            excluded_streets.push(street.name.clone());
                        }
                        *ok = false;
                    }
                }
                for (ci, c) in street.communities.iter().enumerate() {
                    if c.name == key || c.code == key {
                        matched = true;
                        if let Some(ok) = community_ok.get_mut(si).and_then(|v| v.get_mut(ci)) {
                            if *ok {
                                excluded_communities.push(format!("{}（{}）", c.name, street.name));
                            }
                            *ok = false;
                        }
                    }
                }
            }
            if !matched {
                let names = roster.streets.iter().flat_map(|st| {
                    std::iter::once(st.name.as_str())
                        .chain(st.communities.iter().map(|c| c.name.as_str()))
                });
                let near = crate::diag::did_you_mean(key, names).map(str::to_owned);
                return Err(PlanError::UnknownExclusion(key.to_owned(), near));
            }
        }
        if !excluded_streets.is_empty() {
            let list = excluded_streets.join("、");
            notes.push(Note {
                en: format!("excluded streets, not planned: {list}"),
                zh: format!("已排除的街道（不安排督导）：{list}"),
            });
        }
        if !excluded_communities.is_empty() {
            let list = excluded_communities.join("、");
            notes.push(Note {
                en: format!("excluded communities, not planned: {list}"),
                zh: format!("已排除的社区（不安排督导）：{list}"),
            });
        }
        for (si, street) in roster.streets.iter().enumerate() {
            let any = community_ok.get(si).is_some_and(|v| v.iter().any(|&b| b));
            if let Some(ok) = street_ok.get_mut(si) {
                if *ok && !any {
                    *ok = false;
                    notes.push(Note {
                        en: format!("{} has no community left after the exclusions and is out of the rotation", street.name),
                        zh: format!("{} 的社区均已排除，该街道不参加轮换", street.name),
                    });
                }
            }
        }
        Ok(Scope {
            roster,
            street_ok,
            community_ok,
        })
    }

    pub fn street_eligible(&self, s: usize) -> bool {
        self.street_ok.get(s).copied().unwrap_or(false)
    }

    pub fn community_eligible(&self, s: usize, c: usize) -> bool {
        self.street_eligible(s)
            && self
                .community_ok
                .get(s)
                .and_then(|v| v.get(c))
                .copied()
                .unwrap_or(false)
    }

    /// Eligible street indices in roster order.
    pub fn eligible_streets(&self) -> Vec<usize> {
        (0..self.roster.streets.len())
            .filter(|&s| self.street_eligible(s))
            .collect()
    }

    /// Eligible community indices of a street in roster order.
    pub fn eligible_communities(&self, s: usize) -> Vec<usize> {
        let n = self
            .roster
            .streets
            .get(s)
            .map_or(0, |st| st.communities.len());
        (0..n).filter(|&c| self.community_eligible(s, c)).collect()
    }

    pub fn street(&self, s: usize) -> Option<&'a Street> {
        self.roster.streets.get(s)
    }

    pub fn community(&self, s: usize, c: usize) -> Option<&'a Community> {
        self.roster
            .streets
            .get(s)
            .and_then(|st| st.communities.get(c))
    }
}

/// The month counts a rotation over a scope works with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Counts {
    /// Eligible streets.
    pub streets: usize,
    /// Streets visited each month: min(k, streets).
    pub per_month: usize,
    /// Months in a round: ⌈streets / per_month⌉.
    pub round_months: usize,
}

impl Counts {
    pub fn new(spec: &RotationSpec, scope: &Scope<'_>) -> Counts {
        let streets = scope.eligible_streets().len();
        let k = usize::try_from(spec.streets_per_month).unwrap_or(usize::MAX);
        let per_month = k.min(streets);
        let round_months = if per_month == 0 {
            0
        } else {
            streets.div_ceil(per_month)
        };
        Counts {
            streets,
            per_month,
            round_months,
        }
    }

    /// Communities visited in street `s`: min(c, its eligible communities).
    pub fn communities_in(spec: &RotationSpec, scope: &Scope<'_>, s: usize) -> usize {
        let c = usize::try_from(spec.communities_per_street).unwrap_or(usize::MAX);
        c.min(scope.eligible_communities(s).len())
    }
}
