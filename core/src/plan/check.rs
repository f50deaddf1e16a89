//! `check_plan`: every guarantee of `docs/planner.md`, checked on any plan (one `plan` made or
//! one a person made by hand), after replaying the history the same way the planner does.

use super::engine::{resolve_history, State};
use super::{validate_roster, Counts, Plan, PlanMonth, Reason, Roster, RotationSpec, Scope, Visit};
use crate::time::YearMonth;

fn show(m: Option<YearMonth>) -> String {
    m.map_or_else(|| "never".to_owned(), |m| m.to_string())
}

/// Checks `plan` against the guarantees and returns every violation (empty: the plan keeps them
/// all). The history is replayed as `plan` replays it (months at or after `plan.from` ignored).
/// Flags are not an input: a visit whose reasons include `flagged` may be an extra visit, in the
/// plan's first month only.
pub fn check_plan(
    spec: &RotationSpec,
    roster: &Roster,
    history: &[PlanMonth],
    plan: &Plan,
) -> Vec<String> {
    let mut out = Vec::new();
    if plan.rotation != spec.name {
        out.push(format!(
            "the plan is for rotation `{}`, not `{}`",
            plan.rotation, spec.name
        ));
    }
    if spec.streets_per_month == 0 || spec.communities_per_street == 0 {
        out.push("the rotation must visit at least 1 street and 1 community per street".to_owned());
        return out;
    }
    if let Err(errors) = validate_roster(roster) {
        out.extend(errors.iter().map(|e| format!("roster: {e}")));
        return out;
    }
    let mut notes = Vec::new();
    let scope = match Scope::new(spec, roster, &mut notes) {
        Ok(scope) => scope,
        Err(e) => {
            out.push(e.to_string());
            return out;
        }
    };
    let counts = Counts::new(spec, &scope);
    if counts.streets == 0 {
        out.push("no street is left in the rotation".to_owned());
        return out;
    }
    let mut state = State::new(&scope);
    for m in resolve_history(roster, history, plan.from, &mut notes) {
        state.apply_month(&scope, m.month, &m.visits);
    }

    // The month index by which the round in progress must be completed.
    let mut deadline: Option<usize> = None;
    let mut late_reported = false;
    let mut expected = Some(plan.from);
    for (i, pm) in plan.months.iter().enumerate() {
        let m = pm.month;
        if expected != Some(m) {
            out.push(format!(
                "month {} of the plan is {m}, expected {}",
                i + 1,
                show(expected)
            ));
        }
        expected = m.add(1);

        // Resolve and check each visit on its own.
        let mut visits: Vec<(usize, Vec<usize>, &Visit)> = Vec::new();
        for v in &pm.visits {
            if let Some(r) = check_visit(spec, &scope, &state, m, v, &mut out) {
                if visits.iter().any(|(s, _, _)| *s == r.0) {
                    out.push(format!("{m}: {} is listed twice", v.street));
                    continue;
                }
                visits.push((r.0, r.1, v));
            }
        }
        if pm.visits.len() != counts.per_month {
            out.push(format!(
                "{m}: {} streets, expected {}",
                pm.visits.len(),
                counts.per_month
            ));
        }

        // Streets and rounds.
        let owed_before = state.owed_streets(&scope);
        let in_month = |s: usize| visits.iter().any(|(x, _, _)| *x == s);
        let closes = owed_before.iter().all(|&s| in_month(s));
        let missing: Vec<&str> = owed_before
            .iter()
            .filter(|&&s| !in_month(s))
            .filter_map(|&s| scope.street(s))
            .map(|s| s.name.as_str())
            .collect();
        let mut flagged_extras = 0usize;
        for (s, _, v) in &visits {
            let has = |r: Reason| v.reasons.contains(&r);
            if has(Reason::Flagged) && i > 0 {
                out.push(format!(
                    "{m}: {} is marked flagged, but flags apply to the first month only",
                    v.street
                ));
            }
            if state.owed(*s) {
                let turn = state.turn_reason(*s);
                let wrong = if turn == Reason::NeverVisited {
                    Reason::LeastRecentlyVisited
                } else {
                    Reason::NeverVisited
                };
                if has(wrong) {
                    out.push(format!(
                        "{m}: {} is given the reason {} but its last visit is {}",
                        v.street,
                        wrong.as_str(),
                        show(state.last(*s))
                    ));
                }
                if has(Reason::CycleCompletion) {
                    out.push(format!(
                        "{m}: {} is its turn in the round, not a cycle_completion visit",
                        v.street
                    ));
                }
                if !has(turn) && !has(Reason::Flagged) {
                    out.push(format!(
                        "{m}: {} is its turn in the round; its reasons should include {}",
                        v.street,
                        turn.as_str()
                    ));
                }
            } else {
                let flag_ok = has(Reason::Flagged) && i == 0;
                let completion_ok = has(Reason::CycleCompletion) && closes;
                if flag_ok {
                    flagged_extras += 1;
                }
                if !flag_ok && !completion_ok {
                    out.push(format!(
                        "{m}: {} is visited again in round {} before {} had their turn",
                        v.street,
                        state.round,
                        missing.join("、")
                    ));
                }
                if has(Reason::CycleCompletion) && !closes {
                    out.push(format!(
                        "{m}: {} is marked cycle_completion, but the round is not completed this month",
                        v.street
                    ));
                }
                for r in [Reason::NeverVisited, Reason::LeastRecentlyVisited] {
                    if has(r) {
                        out.push(format!(
                            "{m}: {} already had its turn in round {}, so {} is not its reason",
                            v.street,
                            state.round,
                            r.as_str()
                        ));
                    }
                }
            }
        }
        // Least recently visited first: among owed streets, and among the completion extras.
        let unflagged = |v: &Visit| !v.reasons.contains(&Reason::Flagged);
        let picked_regular: Vec<usize> = visits
            .iter()
            .filter(|(s, _, v)| state.owed(*s) && unflagged(v))
            .map(|(s, _, _)| *s)
            .collect();
        let left: Vec<usize> = owed_before
            .iter()
            .copied()
            .filter(|&s| !in_month(s))
            .collect();
        order_violations(
            &scope,
            &state,
            m,
            &picked_regular,
            &left,
            "the round still owes",
            &mut out,
        );
        let picked_extra: Vec<usize> = visits
            .iter()
            .filter(|(s, _, v)| {
                !state.owed(*s) && v.reasons.contains(&Reason::CycleCompletion) && unflagged(v)
            })
            .map(|(s, _, _)| *s)
            .collect();
        let others: Vec<usize> = scope
            .eligible_streets()
            .into_iter()
            .filter(|&s| !state.owed(s) && !in_month(s))
            .collect();
        order_violations(
            &scope,
            &state,
            m,
            &picked_extra,
            &others,
            "also visited in this round",
            &mut out,
        );

        if i == 0 {
            let regular_places = counts.per_month.saturating_sub(flagged_extras);
            let owed = owed_before.len();
            let months_needed = if owed <= regular_places {
                1
            } else {
                1 + (owed - regular_places).div_ceil(counts.per_month.max(1))
            };
            deadline = Some(months_needed - 1);
        }

        let applied: Vec<(usize, Vec<usize>)> =
            visits.iter().map(|(s, c, _)| (*s, c.clone())).collect();
        let round = state.round;
        let start = state.round_start.unwrap_or(m);
        let closed = state.apply_month(&scope, m, &applied);
        if closed {
            deadline = Some(i + counts.round_months);
            late_reported = false;
        } else if deadline.is_some_and(|d| i >= d) && !late_reported {
            out.push(format!(
                "round {round}, begun in {start}, is not completed by {m}: it still owes {}",
                state
                    .owed_streets(&scope)
                    .iter()
                    .filter_map(|&s| scope.street(s))
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join("、")
            ));
            late_reported = true;
        }
    }
    out
}

/// Streets picked (`picked`) must not have been visited more recently than streets left out
/// (`left`): never visited first, then by last visit.
fn order_violations(
    scope: &Scope<'_>,
    state: &State,
    m: YearMonth,
    picked: &[usize],
    left: &[usize],
    what: &str,
    out: &mut Vec<String>,
) {
    for &p in picked {
        for &l in left {
            if state.last(p) > state.last(l) {
                let name = |s: usize| scope.street(s).map_or("", |st| st.name.as_str());
                out.push(format!(
                    "{m}: {} (last visited {}) is picked before {} (last visited {}), which {what} and was visited longer ago",
                    name(p),
                    show(state.last(p)),
                    name(l),
                    show(state.last(l))
                ));
            }
        }
    }
}

/// Checks one visit on its own: the street and communities exist, are in the rotation, match
/// their codes; the number of communities; the methods; the community round. Returns the
/// resolved (street, communities) when the street is known.
fn check_visit(
    spec: &RotationSpec,
    scope: &Scope<'_>,
    state: &State,
    m: YearMonth,
    v: &Visit,
    out: &mut Vec<String>,
) -> Option<(usize, Vec<usize>)> {
    let Some(s) = scope.roster.street_index(&v.street) else {
        out.push(format!("{m}: `{}` is not a street of the roster", v.street));
        return None;
    };
    let street = scope.street(s)?;
    if v.street_code != street.code {
        out.push(format!(
            "{m}: {} has the code {}, not `{}`",
            street.name, street.code, v.street_code
        ));
    }
    if !scope.street_eligible(s) {
        out.push(format!(
            "{m}: {} is out of the rotation (excluded)",
            street.name
        ));
    }
    if v.methods != spec.methods {
        out.push(format!(
            "{m}: {}: methods {:?}, expected {:?}",
            street.name, v.methods, spec.methods
        ));
    }
    if v.reasons.is_empty() {
        out.push(format!("{m}: {} has no reason", street.name));
    }
    let mut sorted = v.reasons.clone();
    sorted.dedup();
    if sorted.len() != v.reasons.len() {
        out.push(format!("{m}: {} lists a reason twice", street.name));
    }
    if let Some(last) = v.last_visited {
        if Some(last) != state.last(s) {
            out.push(format!(
                "{m}: {} says last_visited {last}, but its last visit was {}",
                street.name,
                show(state.last(s))
            ));
        }
    }
    let mut comms: Vec<usize> = Vec::new();
    for pc in &v.communities {
        let Some(c) = street.community_index(&pc.name) else {
            out.push(format!(
                "{m}: `{}` is not a community of {}",
                pc.name, street.name
            ));
            continue;
        };
        let Some(community) = scope.community(s, c) else {
            continue;
        };
        if pc.code != community.code {
            out.push(format!(
                "{m}: {} has the code {}, not `{}`",
                community.name, community.code, pc.code
            ));
        }
        if !scope.community_eligible(s, c) {
            out.push(format!(
                "{m}: {} of {} is out of the rotation (excluded)",
                community.name, street.name
            ));
        }
        if comms.contains(&c) {
            out.push(format!(
                "{m}: {} of {} is listed twice",
                community.name, street.name
            ));
            continue;
        }
        comms.push(c);
    }
    let need = Counts::communities_in(spec, scope, s);
    if v.communities.len() != need {
        out.push(format!(
            "{m}: {} has {} communities, expected {need}",
            street.name,
            v.communities.len()
        ));
    }
    if scope.street_eligible(s) {
        // Inside the street: the owed communities first; repeats only once all were visited.
        let owed = state.owed_communities(scope, s);
        let name = |c: usize| scope.community(s, c).map_or("", |x| x.name.as_str());
        let unvisited: Vec<&str> = owed
            .iter()
            .copied()
            .filter(|c| !comms.contains(c))
            .map(name)
            .collect();
        let repeats: Vec<usize> = comms
            .iter()
            .copied()
            .filter(|c| !owed.contains(c))
            .collect();
        let ok = if owed.len() >= need {
            repeats.is_empty()
        } else {
            unvisited.is_empty()
        };
        if !ok {
            for &c in &repeats {
                out.push(format!(
                    "{m}: in {}, {} is visited again before {} were visited",
                    street.name,
                    name(c),
                    unvisited.join("、")
                ));
            }
        }
        // ... and visited longest ago first among them.
        for &p in comms.iter().filter(|c| owed.contains(c)) {
            for &l in owed.iter().filter(|c| !comms.contains(c)) {
                if state.comm_last(s, p) > state.comm_last(s, l) {
                    out.push(format!(
                        "{m}: in {}, {} (last visited {}) is picked before {} (last visited {})",
                        street.name,
                        name(p),
                        show(state.comm_last(s, p)),
                        name(l),
                        show(state.comm_last(s, l))
                    ));
                }
            }
        }
    }
    Some((s, comms))
}
