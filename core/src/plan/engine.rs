//! The planner: replays the history into the state of the rounds, then picks month by month.
//!
//! State (per street and per community): the month of the last visit, and whether the round in
//! progress still owes it a visit. A street round closes in the month its last owed street is
//! visited; the next round starts the month after with every street owed again. A community
//! round (inside one street) closes with the visit that covers its last owed community; the
//! other communities of that visit already count for the next community round.

use std::collections::BTreeMap;

use super::hash::tie_key;
use super::{
    validate_roster, Counts, Flag, Note, Plan, PlanCommunity, PlanError, PlanMonth, Preference,
    Reason, Roster, RotationSpec, Scope, Visit, MAX_MONTHS,
};
use crate::time::YearMonth;

/// A month of visits resolved to roster indices: (street, communities).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ResolvedMonth {
    pub month: YearMonth,
    pub visits: Vec<(usize, Vec<usize>)>,
}

/// A street round: its number (1 = the round the history starts in), its first month with a
/// visit and the month it closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RoundSpan {
    pub number: u32,
    pub start: Option<YearMonth>,
    pub end: YearMonth,
}

/// The state of the rounds after some months.
#[derive(Debug, Clone)]
pub(crate) struct State {
    pub street_last: Vec<Option<YearMonth>>,
    pub street_owed: Vec<bool>,
    pub comm_last: Vec<Vec<Option<YearMonth>>>,
    pub comm_owed: Vec<Vec<bool>>,
    /// The number of the round in progress.
    pub round: u32,
    /// Its first month with a visit, if it has had one.
    pub round_start: Option<YearMonth>,
    pub closed: Vec<RoundSpan>,
}

impl State {
    pub fn new(scope: &Scope<'_>) -> State {
        let streets = &scope.roster.streets;
        State {
            street_last: vec![None; streets.len()],
            street_owed: (0..streets.len())
                .map(|s| scope.street_eligible(s))
                .collect(),
            comm_last: streets
                .iter()
                .map(|st| vec![None; st.communities.len()])
                .collect(),
            comm_owed: streets
                .iter()
                .enumerate()
                .map(|(s, st)| {
                    (0..st.communities.len())
                        .map(|c| scope.community_eligible(s, c))
                        .collect()
                })
                .collect(),
            round: 1,
            round_start: None,
            closed: Vec::new(),
        }
    }

    pub fn last(&self, s: usize) -> Option<YearMonth> {
        self.street_last.get(s).copied().flatten()
    }

    pub fn owed(&self, s: usize) -> bool {
        self.street_owed.get(s).copied().unwrap_or(false)
    }

    pub fn comm_last(&self, s: usize, c: usize) -> Option<YearMonth> {
        self.comm_last
            .get(s)
            .and_then(|v| v.get(c))
            .copied()
            .flatten()
    }

    pub fn comm_owed(&self, s: usize, c: usize) -> bool {
        self.comm_owed
            .get(s)
            .and_then(|v| v.get(c))
            .copied()
            .unwrap_or(false)
    }

    /// Eligible streets the round in progress still owes a visit, in roster order.
    pub fn owed_streets(&self, scope: &Scope<'_>) -> Vec<usize> {
        scope
            .eligible_streets()
            .into_iter()
            .filter(|&s| self.owed(s))
            .collect()
    }

    /// Eligible communities of `s` its community round still owes, in roster order.
    pub fn owed_communities(&self, scope: &Scope<'_>, s: usize) -> Vec<usize> {
        scope
            .eligible_communities(s)
            .into_iter()
            .filter(|&c| self.comm_owed(s, c))
            .collect()
    }

    /// Records a month of visits (streets and communities outside the scope are skipped).
    /// Returns whether the street round closed in this month.
    pub fn apply_month(
        &mut self,
        scope: &Scope<'_>,
        month: YearMonth,
        visits: &[(usize, Vec<usize>)],
    ) -> bool {
        let mut any = false;
        for (s, comms) in visits {
            let s = *s;
            if !scope.street_eligible(s) {
                continue;
            }
            any = true;
            if let Some(o) = self.street_owed.get_mut(s) {
                *o = false;
            }
            if let Some(l) = self.street_last.get_mut(s) {
                *l = Some(month);
            }
            self.apply_communities(scope, s, month, comms);
        }
        if !any {
            return false;
        }
        if self.round_start.is_none() {
            self.round_start = Some(month);
        }
        if self.owed_streets(scope).is_empty() {
            self.closed.push(RoundSpan {
                number: self.round,
                start: self.round_start,
                end: month,
            });
            self.round = self.round.saturating_add(1);
            self.round_start = None;
            for s in scope.eligible_streets() {
                if let Some(o) = self.street_owed.get_mut(s) {
                    *o = true;
                }
            }
            return true;
        }
        false
    }

    fn apply_communities(
        &mut self,
        scope: &Scope<'_>,
        s: usize,
        month: YearMonth,
        comms: &[usize],
    ) {
        let mut visited: Vec<usize> = Vec::new();
        for &c in comms {
            if scope.community_eligible(s, c) && !visited.contains(&c) {
                visited.push(c);
            }
        }
        if visited.is_empty() {
            return;
        }
        let owed_before = self.owed_communities(scope, s);
        let closes = owed_before.iter().all(|c| visited.contains(c));
        let eligible = scope.eligible_communities(s);
        if let Some(owed) = self.comm_owed.get_mut(s) {
            if closes {
                // The community round closes; the visited communities it did not owe are the
                // first of the next round.
                for &c in &eligible {
                    if let Some(o) = owed.get_mut(c) {
                        *o = owed_before.contains(&c) || !visited.contains(&c);
                    }
                }
            } else {
                for &c in &visited {
                    if let Some(o) = owed.get_mut(c) {
                        *o = false;
                    }
                }
            }
        }
        if let Some(last) = self.comm_last.get_mut(s) {
            for &c in &visited {
                if let Some(l) = last.get_mut(c) {
                    *l = Some(month);
                }
            }
        }
    }

    /// The urgency of a street: visited longest ago first (never visited before all), then the
    /// tie-break key. Smaller is more urgent.
    pub fn street_rank(&self, scope: &Scope<'_>, seed: u64, s: usize) -> (Option<YearMonth>, u64) {
        let name = scope.street(s).map_or("", |st| st.name.as_str());
        (self.last(s), tie_key(seed, &[name]))
    }

    pub fn community_rank(
        &self,
        scope: &Scope<'_>,
        seed: u64,
        s: usize,
        c: usize,
    ) -> (Option<YearMonth>, u64) {
        let street = scope.street(s).map_or("", |st| st.name.as_str());
        let name = scope.community(s, c).map_or("", |cm| cm.name.as_str());
        (self.comm_last(s, c), tie_key(seed, &[street, name]))
    }

    /// The regular reason of a street picked in its turn.
    pub fn turn_reason(&self, s: usize) -> Reason {
        if self.last(s).is_none() {
            Reason::NeverVisited
        } else {
            Reason::LeastRecentlyVisited
        }
    }
}

/// The streets of one month without flags, most urgent first: the owed streets by urgency, then
/// (to fill a month in which the round closes) the other streets by urgency.
pub(crate) fn street_candidates(state: &State, scope: &Scope<'_>, seed: u64) -> Vec<usize> {
    let mut owed = state.owed_streets(scope);
    let mut others: Vec<usize> = scope
        .eligible_streets()
        .into_iter()
        .filter(|&s| !state.owed(s))
        .collect();
    owed.sort_by_cached_key(|&s| state.street_rank(scope, seed, s));
    others.sort_by_cached_key(|&s| state.street_rank(scope, seed, s));
    owed.extend(others);
    owed
}

/// Picks a month's streets with their reasons, in roster order. Flagged streets are placed
/// first; the other places go to the most urgent candidates, so the flags displace the least
/// urgent picks.
pub(crate) fn select_streets(
    state: &State,
    scope: &Scope<'_>,
    counts: Counts,
    seed: u64,
    flagged: &[usize],
) -> (Vec<(usize, Vec<Reason>)>, Vec<usize>) {
    let candidates = street_candidates(state, scope, seed);
    let base: Vec<usize> = candidates.iter().copied().take(counts.per_month).collect();
    let reason = |s: usize| {
        if state.owed(s) {
            state.turn_reason(s)
        } else {
            Reason::CycleCompletion
        }
    };
    let mut picks: Vec<(usize, Vec<Reason>)> = Vec::new();
    for &s in flagged.iter().take(counts.per_month) {
        // A flagged street that the round still owes and would have been picked anyway keeps
        // its turn reason too. One the round does not owe is an extra visit for the flag alone
        // (even where it would have been a completion visit: the flags may have displaced an
        // owed street, and then the round does not complete this month).
        let mut reasons = vec![Reason::Flagged];
        if base.contains(&s) && state.owed(s) {
            reasons.push(state.turn_reason(s));
        }
        reasons.sort();
        picks.push((s, reasons));
    }
    let free = counts.per_month.saturating_sub(picks.len());
    for s in candidates
        .iter()
        .copied()
        .filter(|s| !flagged.contains(s))
        .take(free)
    {
        picks.push((s, vec![reason(s)]));
    }
    let displaced: Vec<usize> = base
        .into_iter()
        .filter(|s| !picks.iter().any(|(p, _)| p == s))
        .collect();
    picks.sort_by_key(|(s, _)| *s);
    (picks, displaced)
}

/// Picks the communities of street `s`, in roster order: the communities its round still owes,
/// visited longest ago first; if the round owes fewer than the visit takes, it closes and the
/// rest come from the next round, again visited longest ago first.
pub(crate) fn select_communities(
    state: &State,
    scope: &Scope<'_>,
    spec: &RotationSpec,
    s: usize,
) -> Vec<usize> {
    let take = Counts::communities_in(spec, scope, s);
    let mut owed = state.owed_communities(scope, s);
    owed.sort_by_cached_key(|&c| state.community_rank(scope, spec.seed, s, c));
    let mut picked: Vec<usize> = owed.into_iter().take(take).collect();
    if picked.len() < take {
        let mut rest: Vec<usize> = scope
            .eligible_communities(s)
            .into_iter()
            .filter(|c| !picked.contains(c))
            .collect();
        rest.sort_by_cached_key(|&c| state.community_rank(scope, spec.seed, s, c));
        let more = take - picked.len();
        picked.extend(rest.into_iter().take(more));
    }
    picked.sort_unstable();
    picked
}

/// Resolves history visits to roster indices: months at or after `before` are dropped, months
/// are sorted and merged, streets and communities are found by code or name; what cannot be
/// found is reported in notes and skipped.
pub(crate) fn resolve_history(
    roster: &Roster,
    history: &[PlanMonth],
    before: YearMonth,
    notes: &mut Vec<Note>,
) -> Vec<ResolvedMonth> {
    let mut months: BTreeMap<YearMonth, Vec<(usize, Vec<usize>)>> = BTreeMap::new();
    let mut late: BTreeMap<YearMonth, ()> = BTreeMap::new();
    let mut unknown_streets: BTreeMap<String, usize> = BTreeMap::new();
    let mut unknown_communities: BTreeMap<(String, String), usize> = BTreeMap::new();
    for pm in history {
        if pm.month >= before {
            late.insert(pm.month, ());
            continue;
        }
        let entry = months.entry(pm.month).or_default();
        for v in &pm.visits {
            let Some(s) = resolve_street(roster, &v.street, &v.street_code) else {
                let key = if v.street.trim().is_empty() {
                    v.street_code.trim()
                } else {
                    v.street.trim()
                };
                *unknown_streets.entry(key.to_owned()).or_default() += 1;
                continue;
            };
            let Some(street) = roster.streets.get(s) else {
                continue;
            };
            let mut comms = Vec::new();
            for pc in &v.communities {
                match resolve_community(street, &pc.name, &pc.code) {
                    Some(c) => comms.push(c),
                    None => {
                        let key = if pc.name.trim().is_empty() {
                            pc.code.trim()
                        } else {
                            pc.name.trim()
                        };
                        *unknown_communities
                            .entry((street.name.clone(), key.to_owned()))
                            .or_default() += 1;
                    }
                }
            }
            match entry.iter_mut().find(|(x, _)| *x == s) {
                Some((_, existing)) => {
                    for c in comms {
                        if !existing.contains(&c) {
                            existing.push(c);
                        }
                    }
                }
                None => entry.push((s, comms)),
            }
        }
    }
    if let (Some((first, _)), Some((last, _))) = (late.first_key_value(), late.last_key_value()) {
        notes.push(Note {
            en: format!(
                "the history has {} month(s) at or after the plan's first month {before} ({first} to {last}); they were ignored",
                late.len()
            ),
            zh: format!("历史记录中有 {} 个月不早于计划首月 {before}（{first} 至 {last}），已忽略", late.len()),
        });
    }
    for (key, n) in unknown_streets {
        notes.push(Note {
            en: format!("the history mentions `{key}` ({n} visit(s)), which is not a street of the roster; ignored"),
            zh: format!("历史记录中的 `{key}`（{n} 次督导）不是名册中的街道，已忽略"),
        });
    }
    for ((street, key), n) in unknown_communities {
        notes.push(Note {
            en: format!("the history mentions `{key}` in {street} ({n} time(s)), which is not a community of that street in the roster; ignored"),
            zh: format!("历史记录中 {street} 的 `{key}`（{n} 次）不是名册中该街道的社区，已忽略"),
        });
    }
    months
        .into_iter()
        .map(|(month, visits)| ResolvedMonth { month, visits })
        .collect()
}

/// A street by code (when given and known), else by name (or a code written as the name).
pub(crate) fn resolve_street(roster: &Roster, name: &str, code: &str) -> Option<usize> {
    let code = code.trim();
    if !code.is_empty() {
        if let Some(i) = roster.streets.iter().position(|s| s.code == code) {
            return Some(i);
        }
    }
    roster.street_index(name)
}

pub(crate) fn resolve_community(street: &super::Street, name: &str, code: &str) -> Option<usize> {
    let code = code.trim();
    if !code.is_empty() {
        if let Some(i) = street.communities.iter().position(|c| c.code == code) {
            return Some(i);
        }
    }
    street.community_index(name)
}

/// Makes the plan; see `docs/planner.md` for the algorithm and the guarantees.
pub fn plan(
    spec: &RotationSpec,
    roster: &Roster,
    from: YearMonth,
    months: u32,
    history: &[PlanMonth],
    flags: &[Flag],
) -> Result<Plan, PlanError> {
    if spec.streets_per_month == 0 {
        return Err(PlanError::ZeroCount {
            rotation: spec.name.clone(),
            what: "streets per month",
        });
    }
    if spec.communities_per_street == 0 {
        return Err(PlanError::ZeroCount {
            rotation: spec.name.clone(),
            what: "communities per street",
        });
    }
    if months > MAX_MONTHS {
        return Err(PlanError::TooManyMonths {
            months,
            max: MAX_MONTHS,
        });
    }
    if months > 0 && from.add(i64::from(months) - 1).is_none() {
        return Err(PlanError::MonthOutOfRange);
    }
    validate_roster(roster).map_err(PlanError::InvalidRoster)?;
    let mut notes = Vec::new();
    let scope = Scope::new(spec, roster, &mut notes)?;
    let counts = Counts::new(spec, &scope);
    if counts.streets == 0 {
        return Err(PlanError::NoEligibleStreets);
    }
    let flagged = resolve_flags(spec, &scope, flags, counts)?;
    notes.extend(roster_notes(spec, &scope, counts));

    let resolved = resolve_history(roster, history, from, &mut notes);
    let mut state = State::new(&scope);
    for m in &resolved {
        state.apply_month(&scope, m.month, &m.visits);
    }
    notes.push(history_note(&scope, &state, &resolved, from, counts));
    let first_round = state.round;
    let flag_state = state.clone();

    let mut out = Vec::new();
    let mut displaced_first = Vec::new();
    let mut month = from;
    for i in 0..months {
        if i > 0 {
            month = month.add(1).ok_or(PlanError::MonthOutOfRange)?;
        }
        let flagged_now: Vec<usize> = if i == 0 {
            flagged.iter().map(|(s, _)| *s).collect()
        } else {
            Vec::new()
        };
        let (picks, displaced) = select_streets(&state, &scope, counts, spec.seed, &flagged_now);
        if i == 0 {
            displaced_first = displaced;
        }
        let mut visits = Vec::new();
        let mut applied = Vec::new();
        for (s, reasons) in picks {
            let Some(street) = scope.street(s) else {
                continue;
            };
            let comms = select_communities(&state, &scope, spec, s);
            visits.push(Visit {
                street: street.name.clone(),
                street_code: street.code.clone(),
                communities: comms
                    .iter()
                    .filter_map(|&c| scope.community(s, c))
                    .map(|c| PlanCommunity {
                        name: c.name.clone(),
                        code: c.code.clone(),
                    })
                    .collect(),
                methods: spec.methods.clone(),
                reasons,
                last_visited: state.last(s),
            });
            applied.push((s, comms));
        }
        state.apply_month(&scope, month, &applied);
        out.push(PlanMonth { month, visits });
    }

    if months > 0 {
        notes.extend(flag_notes(
            &scope,
            &flag_state,
            &flagged,
            &displaced_first,
            from,
        ));
        notes.push(rounds_note(&state, first_round, from, months));
    }
    let (en, zh) = notes.into_iter().map(|n| (n.en, n.zh)).unzip();
    Ok(Plan {
        rotation: spec.name.clone(),
        from,
        months: out,
        notes: en,
        notes_zh: zh,
    })
}

/// Flagged streets (roster index, the reasons given), merged per street, in roster order.
fn resolve_flags(
    spec: &RotationSpec,
    scope: &Scope<'_>,
    flags: &[Flag],
    counts: Counts,
) -> Result<Vec<(usize, Vec<String>)>, PlanError> {
    if flags.is_empty() {
        return Ok(Vec::new());
    }
    if !spec.prefer.contains(&Preference::Flagged) {
        return Err(PlanError::FlagsNotPreferred(spec.name.clone()));
    }
    let mut by_street: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for f in flags {
        let s = scope.roster.street_index(&f.street).ok_or_else(|| {
            let names = scope.roster.streets.iter().map(|st| st.name.as_str());
            let near = crate::diag::did_you_mean(f.street.trim(), names).map(str::to_owned);
            PlanError::UnknownFlag(f.street.clone(), near)
        })?;
        if !scope.street_eligible(s) {
            return Err(PlanError::FlaggedExcluded(f.street.clone()));
        }
        let reasons = by_street.entry(s).or_default();
        let r = f.reason.trim().to_owned();
        if !r.is_empty() && !reasons.contains(&r) {
            reasons.push(r);
        }
    }
    if by_street.len() > counts.per_month {
        return Err(PlanError::TooManyFlags {
            flagged: by_street.len(),
            per_month: counts.per_month,
        });
    }
    Ok(by_street.into_iter().collect())
}

fn names(scope: &Scope<'_>, streets: &[usize]) -> String {
    let v: Vec<&str> = streets
        .iter()
        .filter_map(|&s| scope.street(s))
        .map(|s| s.name.as_str())
        .collect();
    v.join("、")
}

fn roster_notes(spec: &RotationSpec, scope: &Scope<'_>, counts: Counts) -> Vec<Note> {
    let mut notes = Vec::new();
    let Counts {
        streets: n,
        per_month: k,
        round_months: l,
    } = counts;
    notes.push(Note {
        en: format!("{n} streets in the rotation, {k} a month: every street is visited once per round of {l} month(s)"),
        zh: format!("轮换共 {n} 条街道，每月 {k} 条：每 {l} 个月为一轮，每条街道每轮督导一次"),
    });
    if u64::from(spec.streets_per_month) > k as u64 {
        notes.push(Note {
            en: format!(
                "only {n} streets are in the rotation, fewer than the {} a month the rotation asks: each month visits all {n}",
                spec.streets_per_month
            ),
            zh: format!("轮换中只有 {n} 条街道，少于每月要求的 {} 条：每月督导全部 {n} 条", spec.streets_per_month),
        });
    }
    let rem = n % k.max(1);
    if rem != 0 {
        let extra = k - rem;
        notes.push(Note {
            en: format!(
                "{n} streets are not a multiple of {k}: the last month of each round visits the {rem} street(s) the round still owes and adds {extra} extra visit(s) (cycle_completion) to the streets visited longest ago, so every month has {k} streets"
            ),
            zh: format!(
                "{n} 条街道不是 {k} 的整数倍：每轮最后一个月督导本轮剩下的 {rem} 条街道，另补 {extra} 条最久未督导的街道（轮次补位），使每月仍为 {k} 条"
            ),
        });
    }
    let c = spec.communities_per_street;
    let small: Vec<String> = scope
        .eligible_streets()
        .into_iter()
        .filter_map(|s| {
            let m = scope.eligible_communities(s).len();
            (u64::try_from(m).unwrap_or(u64::MAX) < u64::from(c))
                .then(|| scope.street(s).map(|st| format!("{} ({m})", st.name)))
                .flatten()
        })
        .collect();
    if !small.is_empty() {
        let list = small.join("、");
        notes.push(Note {
            en: format!("fewer communities in the rotation than the {c} a visit asks, so a visit covers all of them: {list}"),
            zh: format!("以下街道参加轮换的社区少于每次要求的 {c} 个，每次督导其全部社区：{list}"),
        });
    }
    if !spec.prefer.contains(&Preference::LeastRecentlyVisited) {
        notes.push(Note {
            en: "the rotation does not list `prefer least_recently_visited`; rounds are still ordered by least recently visited, which is what lets a plan continue a history".to_owned(),
            zh: "轮换未声明 `prefer least_recently_visited`；每轮仍按最久未督导排序，这样计划才能接续历史记录".to_owned(),
        });
    }
    notes
}

fn history_note(
    scope: &Scope<'_>,
    state: &State,
    resolved: &[ResolvedMonth],
    from: YearMonth,
    counts: Counts,
) -> Note {
    let used: Vec<&ResolvedMonth> = resolved
        .iter()
        .filter(|m| m.visits.iter().any(|(s, _)| scope.street_eligible(*s)))
        .collect();
    let (Some(first), Some(last)) = (used.first(), used.last()) else {
        return Note {
            en: format!("no history: round 1 starts in {from}"),
            zh: format!("没有历史记录：第 1 轮从 {from} 开始"),
        };
    };
    let (first, last) = (first.month, last.month);
    let done = state.closed.len();
    let owed = state.owed_streets(scope);
    match state.round_start {
        Some(start) => Note {
            en: format!(
                "history: {} month(s) with visits, {first} to {last}; counting rounds from {first}, {done} round(s) completed and round {} in progress since {start}, still owing {} of {} streets: {}",
                used.len(),
                state.round,
                owed.len(),
                counts.streets,
                names(scope, &owed)
            ),
            zh: format!(
                "历史记录：{first} 至 {last} 共 {} 个月有督导；自 {first} 起计，已完成 {done} 轮，第 {} 轮自 {start} 开始，尚余 {}/{} 条街道：{}",
                used.len(),
                state.round,
                owed.len(),
                counts.streets,
                names(scope, &owed)
            ),
        },
        None => Note {
            en: format!(
                "history: {} month(s) with visits, {first} to {last}; counting rounds from {first}, {done} round(s) completed; round {} starts in {from}",
                used.len(),
                state.round
            ),
            zh: format!(
                "历史记录：{first} 至 {last} 共 {} 个月有督导；自 {first} 起计，已完成 {done} 轮；第 {} 轮从 {from} 开始",
                used.len(),
                state.round
            ),
        },
    }
}

fn flag_notes(
    scope: &Scope<'_>,
    before: &State,
    flagged: &[(usize, Vec<String>)],
    displaced: &[usize],
    month: YearMonth,
) -> Vec<Note> {
    let mut notes = Vec::new();
    for (s, why) in flagged {
        let Some(street) = scope.street(*s) else {
            continue;
        };
        let name = &street.name;
        let why_en = if why.is_empty() {
            String::new()
        } else {
            format!(" ({})", why.join("; "))
        };
        let why_zh = if why.is_empty() {
            String::new()
        } else {
            format!("（{}）", why.join("；"))
        };
        if before.owed(*s) {
            notes.push(Note {
                en: format!("{name} is flagged{why_en}: visited in {month}, which counts as its turn in the current round"),
                zh: format!("{name} 已标记{why_zh}：安排在 {month} 督导，计为其本轮的轮次"),
            });
        } else {
            let last = before.last(*s).map(|m| m.to_string()).unwrap_or_default();
            notes.push(Note {
                en: format!(
                    "{name} is flagged{why_en}: an extra visit in {month} (its turn in the current round was in {last}); it keeps its regular turn in the next round"
                ),
                zh: format!("{name} 已标记{why_zh}：{month} 额外督导一次（本轮已于 {last} 督导）；下一轮仍按轮次督导"),
            });
        }
    }
    let postponed: Vec<usize> = displaced
        .iter()
        .copied()
        .filter(|&s| before.owed(s))
        .collect();
    if !postponed.is_empty() {
        let list = names(scope, &postponed);
        notes.push(Note {
            en: format!("to make room for the flagged streets in {month}, {list} (the least urgent pick(s)) move to a later month of the round"),
            zh: format!("为安排标记街道，{list}（{month} 最不紧迫的选择）顺延到本轮之后的月份"),
        });
    }
    notes
}

fn rounds_note(state: &State, first_round: u32, from: YearMonth, months: u32) -> Note {
    let last_month = from.add(i64::from(months) - 1).unwrap_or(from);
    let mut en = Vec::new();
    let mut zh = Vec::new();
    for r in state.closed.iter().filter(|r| r.number >= first_round) {
        let start = r.start.map(|m| m.to_string()).unwrap_or_default();
        en.push(format!("round {} {start} – {}", r.number, r.end));
        zh.push(format!("第 {} 轮 {start} 至 {}", r.number, r.end));
    }
    if let Some(start) = state.round_start {
        en.push(format!(
            "round {} {start} – (continues after {last_month})",
            state.round
        ));
        zh.push(format!(
            "第 {} 轮 {start} 起（{last_month} 后继续）",
            state.round
        ));
    }
    Note {
        en: format!("rounds in this plan: {}", en.join("; ")),
        zh: format!("本计划涉及的轮次：{}", zh.join("；")),
    }
}
